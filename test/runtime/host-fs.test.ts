// The host boundary: sandboxed paths (through /proc and, portable, on paths; Windows path rules as pure functions),
// coalesced runs of small reads and writes, and recording/replaying answers.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { controlSocket } from '../../src/runtime/host/program-host';
import { isInside, RealHostFs, RecordingHostFs, ReplayHostFs, type HostAnswer } from '../../src/runtime/vfs/host-fs';
import { FsError } from '../../src/runtime/vfs/types';
import { E } from '../../src/runtime/wasi-defs';
import { tempDir } from '../helpers/tmp';

const RW = { read: true, write: true, create: 'yes', trunc: false } as const;

function errno(f: () => unknown): number {
  try {
    f();
  } catch (e) {
    if (e instanceof FsError) return e.errno;
    throw e;
  }
  return 0;
}

test('small writes are coalesced, and the host has them once anything else happens', () => {
  const dir = tempDir('wj-hostfs-');
  const h = new RealHostFs(dir);
  const fd = h.open('a.txt', RW);
  for (let i = 0; i < 100; i++) assert.equal(h.write(fd, i * 3, Buffer.from('abc')), 3);
  // Another operation (any: here a stat of another path) ends the run.
  h.lstat('');
  assert.equal(fs.readFileSync(path.join(dir, 'a.txt'), 'utf8'), 'abc'.repeat(100));
  // A read sees what was just written, even through another handle.
  h.write(fd, 300, Buffer.from('XYZ'));
  const other = h.open('a.txt', { read: true, write: false, create: 'no', trunc: false });
  const buf = new Uint8Array(3);
  assert.equal(h.read(other, 300, buf), 3);
  assert.equal(Buffer.from(buf).toString(), 'XYZ');
  // A write that does not follow the last one starts a new run (the earlier one is written first).
  h.write(fd, 0, Buffer.from('1'));
  h.write(fd, 10, Buffer.from('2'));
  h.settle();
  const text = fs.readFileSync(path.join(dir, 'a.txt'), 'utf8');
  assert.equal(text[0], '1');
  assert.equal(text[10], '2');
  h.close(fd);
  h.close(other);
});

test('reads ahead serve a run of small reads, and see a file that grew', () => {
  const dir = tempDir('wj-hostfs-');
  fs.writeFileSync(path.join(dir, 'b.txt'), '0123456789');
  const h = new RealHostFs(dir);
  const fd = h.open('b.txt', { read: true, write: false, create: 'no', trunc: false });
  const two = new Uint8Array(2);
  assert.equal(h.read(fd, 0, two), 2);
  assert.equal(Buffer.from(two).toString(), '01');
  assert.equal(h.read(fd, 8, two), 2);
  assert.equal(h.read(fd, 10, two), 0, 'end of file');
  fs.appendFileSync(path.join(dir, 'b.txt'), 'ab');
  assert.equal(h.read(fd, 10, two), 2, 'past the old end, the host is asked again');
  assert.equal(Buffer.from(two).toString(), 'ab');
  h.close(fd);
  assert.equal(errno(() => h.read(fd, 0, two)), E.BADF);
});

/** A RealHostFs that checks through the kernel (/proc), or, portable, on paths (as on macOS and Windows). */
function hostFs(root: string, portable: boolean): RealHostFs {
  const before = process.env.WASM_JOURNAL_PORTABLE;
  process.env.WASM_JOURNAL_PORTABLE = portable ? '1' : '0';
  try {
    return new RealHostFs(root);
  } finally {
    if (before === undefined) delete process.env.WASM_JOURNAL_PORTABLE;
    else process.env.WASM_JOURNAL_PORTABLE = before;
  }
}

for (const portable of [false, true]) {
  const how = portable ? 'portable checks on paths' : 'the kernel\'s /proc';
  test(`paths through symlinks or out of the folder are refused by the host layer itself (${how})`, () => {
    const root = tempDir('wj-hostfs-');
    fs.mkdirSync(path.join(root, 'sandbox'));
    fs.mkdirSync(path.join(root, 'sandbox', 'sub'));
    fs.mkdirSync(path.join(root, 'outside'));
    fs.writeFileSync(path.join(root, 'outside', 'secret'), 'SECRET');
    fs.symlinkSync('../outside', path.join(root, 'sandbox', 'link'));
    fs.symlinkSync('../../outside/secret', path.join(root, 'sandbox', 'sub', 'file-link'));
    const h = hostFs(path.join(root, 'sandbox'), portable);
    assert.equal(h.kernelChecks, !portable && process.platform === 'linux');
    assert.notEqual(errno(() => h.open('link/secret', { read: true, write: false, create: 'no', trunc: false })), 0);
    assert.notEqual(errno(() => h.lstat('link/secret')), 0);
    assert.notEqual(errno(() => h.readdir('link')), 0);
    assert.notEqual(errno(() => h.open('link/new', RW)), 0, 'nothing is created through it');
    assert.equal(fs.existsSync(path.join(root, 'outside', 'new')), false);
    assert.notEqual(errno(() => h.mkdir('link/dir')), 0);
    assert.notEqual(errno(() => h.unlink('link/secret')), 0);
    assert.equal(fs.readFileSync(path.join(root, 'outside', 'secret'), 'utf8'), 'SECRET');
    assert.equal(errno(() => h.open('link', { read: true, write: false, create: 'no', trunc: false })), E.LOOP, 'the final symlink is not followed');
    assert.equal(errno(() => h.open('sub/file-link', { read: true, write: false, create: 'no', trunc: false })), E.LOOP);
    assert.equal(h.readlink('link'), '../outside', 'the link itself can be read');
    // Inside, everything works as usual.
    const fd = h.open('sub/f.txt', RW);
    assert.equal(h.write(fd, 0, Buffer.from('inside')), 6);
    h.close(fd);
    assert.deepEqual(h.readdir('sub').map((d) => d.name), ['f.txt', 'file-link']);
    h.rename('sub/f.txt', 'g.txt');
    assert.equal(fs.readFileSync(path.join(root, 'sandbox', 'g.txt'), 'utf8'), 'inside');
    assert.equal(Number(h.lstat('').filetype), Number(h.lstat('sub').filetype));
  });
}

test('inside the guest folder, by the path rules of POSIX and of Windows (drive letters, slashes, \\\\?\\ prefixes, case)', () => {
  assert.equal(isInside('/data', '/data', 'posix'), true);
  assert.equal(isInside('/data', '/data/a/b', 'posix'), true);
  assert.equal(isInside('/data', '/database', 'posix'), false);
  assert.equal(isInside('/data', '/Data/a', 'posix'), false, 'POSIX names are case-sensitive');
  assert.equal(isInside('/', '/anything', 'posix'), true);
  const w = (root: string, real: string): boolean => isInside(root, real, 'win32');
  assert.equal(w('C:\\work\\data', 'C:\\work\\data\\notes.txt'), true);
  assert.equal(w('C:\\work\\data', 'c:\\WORK\\Data\\notes.txt'), true, 'drive letters and names compare case-insensitively');
  assert.equal(w('C:\\work\\data', 'C:/work/data/sub/x'), true, 'either slash separates');
  assert.equal(w('C:\\work\\data\\', 'C:\\work\\data'), true, 'a trailing separator on the root');
  assert.equal(w('C:\\work\\data', 'C:\\work\\database\\x'), false);
  assert.equal(w('C:\\work\\data', 'D:\\work\\data\\x'), false, 'another drive');
  assert.equal(w('C:\\work\\data', 'C:\\work\\data\\..\\secret'), false, '.. leaves');
  assert.equal(w('C:\\work\\data', '\\\\?\\C:\\work\\data\\x'), true, 'a \\\\?\\ prefix is the path it prefixes');
  assert.equal(w('\\\\?\\C:\\work\\data', 'C:\\work\\data\\x'), true);
  assert.equal(w('\\\\server\\share\\data', '\\\\?\\UNC\\server\\share\\data\\x'), true, 'UNC paths, with and without the prefix');
  assert.equal(w('\\\\server\\share\\data', '\\\\?\\UNC\\other\\share\\data\\x'), false);
  assert.equal(w('C:\\', 'C:\\anything'), true, 'a drive root');
});

test('a recording of host answers replays them without the host, including failed and unrecorded writes', () => {
  const dir = tempDir('wj-hostfs-');
  fs.writeFileSync(path.join(dir, 'in.txt'), 'input data');
  const answers: HostAnswer[] = [];
  const rec = new RecordingHostFs(new RealHostFs(dir), (a) => answers.push({ ...a, data: new Uint8Array(a.data) }));
  const script = (h: RecordingHostFs | ReplayHostFs): unknown[] => {
    const out: unknown[] = [];
    const fd = h.open('in.txt', { read: true, write: false, create: 'no', trunc: false });
    const buf = new Uint8Array(5);
    out.push(h.read(fd, 0, buf), Buffer.from(buf).toString());
    out.push(errno(() => h.write(fd, 0, Buffer.from('no')))); // a read-only descriptor
    const w = h.open('out.txt', RW);
    out.push(h.write(w, 0, Buffer.from('ok')), h.write(w, 2, Buffer.from('!')));
    out.push(h.lstat('in.txt').size, h.readdir('').map((e) => e.name).join(','));
    out.push(errno(() => h.mkdir('in.txt')));
    h.close(w);
    h.close(fd);
    return out;
  };
  const recorded = script(rec);
  assert.equal(answers.filter((a) => a.op === 'write').length, 1, 'only the failed write is recorded');
  fs.rmSync(dir, { recursive: true });
  let i = 0;
  const replay = new ReplayHostFs(
    dir,
    (op) => {
      const a = answers[i++];
      assert.equal(a.op, op);
      return a;
    },
    (op) => (answers[i]?.op === op ? answers[i] : undefined),
  );
  assert.deepEqual(script(replay), recorded);
  assert.equal(i, answers.length);
});

test('the control channel of `run`: a Unix socket in a private folder, a named pipe on Windows', () => {
  assert.equal(controlSocket(4242, 'win32'), '\\\\.\\pipe\\wasm-journal-4242');
  const unix = controlSocket(4242, 'linux');
  assert.match(unix, /wasm-journal-\d+[/\\]4242\.sock$/);
  assert.ok(unix.startsWith(os.tmpdir()));
});
