// Edge cases a review found: unsigned arguments, a refused open that must leave nothing behind, symlinks whose
// target ends in a slash.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Process } from '../../src/runtime/process';
import { CapturedTerminal } from '../../src/runtime/runtime';
import { MemFsContext, memoryRoot } from '../../src/runtime/vfs/mem-fs';
import { resolvePath } from '../../src/runtime/vfs/resolve';
import { wasiImports } from '../../src/runtime/wasi';
import { E, OFLAG, R } from '../../src/runtime/wasi-defs';
import { LiveWorld } from '../../src/runtime/world';

function setup(): { proc: Process; wasi: Record<string, (...a: unknown[]) => unknown>; memory: WebAssembly.Memory } {
  const world = new LiveWorld(['t'], [], 'memory', []);
  const start = world.start();
  const root = memoryRoot(new MemFsContext(() => 0n));
  const proc = new Process(world, { write: () => undefined }, new CapturedTerminal(), [{ guestPath: '/', root }], start.tty, 0n);
  const memory = new WebAssembly.Memory({ initial: 1 });
  const wasi = wasiImports(proc, () => memory, ['t'], []) as unknown as Record<string, (...a: unknown[]) => unknown>;
  return { proc, wasi, memory };
}

test('64-bit arguments are unsigned: huge offsets and cookies are errors, not crashes', () => {
  const { proc, wasi, memory } = setup();
  const fd = proc.pathOpen(3, 0, 'f', OFLAG.CREAT, R.FD_READ | R.FD_WRITE, 0n, 0);
  const v = new DataView(memory.buffer);
  v.setUint32(0, 100, true); // iovec: buffer at 100, 4 bytes
  v.setUint32(4, 4, true);
  // As WebAssembly hands them over: i64 arguments arrive signed.
  assert.equal(wasi.fd_pread(fd, 0, 1, -3n, 200), E.INVAL);
  assert.equal(wasi.fd_pwrite(fd, 0, 1, -1n, 200), E.INVAL);
  assert.equal(wasi.fd_filestat_set_size(fd, -1n), E.FBIG);
  assert.equal(wasi.fd_readdir(3, 100, 64, -1n, 200), E.SUCCESS, 'a cookie past the end lists nothing');
  assert.equal(v.getUint32(200, true), 0);
  // fd_seek's offset is the one signed argument.
  assert.equal(wasi.fd_seek(fd, -1n, 0, 200), E.INVAL);
});

test('pointers above 2 GiB are not refused as negative (i32 arguments arrive signed)', () => {
  const { wasi } = setup();
  // 0x80000000 arrives as -2147483648: beyond this 64 KiB memory either way, so a trap naming it, not a crash.
  assert.throws(() => wasi.args_sizes_get(-2147483648, 0), /args_sizes_get: pointer 0x80000000 \(4 bytes\) is out of bounds of the memory \(65536 bytes\)/);
});

test('an open refused for TRUNC without write access creates nothing', () => {
  const { proc } = setup();
  assert.throws(() => proc.pathOpen(3, 0, 'new.txt', OFLAG.CREAT | OFLAG.TRUNC, R.FD_READ, 0n, 0), (e: { errno: number }) => e.errno === E.INVAL);
  assert.equal(proc.mounts[0].root.lookup('new.txt'), undefined);
});

test('a symlink whose target ends in a slash leads into the directory', () => {
  const root = memoryRoot(new MemFsContext(() => 0n));
  root.mkdir('sub');
  (root.lookup('sub') as import('../../src/runtime/vfs/types').VDir).createFile('file');
  root.symlink('d', 'sub/');
  assert.equal(resolvePath(root, 'd/file', false).node?.kind, 'file');
  assert.equal(resolvePath(root, 'd', true).node?.kind, 'dir');
});
