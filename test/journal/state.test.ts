// The state model: what a restore brings back, by Wasmer's replay rules.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StateModel } from '../../src/journal/state';
import type { JournalEntry } from '../../src/journal/entries';

const R = (1n << 39n) - 1n;
const open = (fd: number, path: string, o_flags = 0, fs_flags = 0): JournalEntry => ({
  kind: 'OpenFileDescriptorV1', fd, dirfd: 3, dirflags: 1, path, o_flags, fs_rights_base: R, fs_rights_inheriting: R, fs_flags,
});
const write = (fd: number, offset: number, s: string): JournalEntry => ({
  kind: 'FileDescriptorWriteV1', fd, offset: BigInt(offset), data: new Uint8Array(Buffer.from(s)), is_64bit: false,
});
const mem = (start: number, s: string): JournalEntry => ({
  kind: 'UpdateMemoryRegionV1', region: { start: BigInt(start), end: BigInt(start + s.length) }, data: new Uint8Array(Buffer.from(s)),
});
const snap: JournalEntry = { kind: 'SnapshotV1', when: { secs_since_epoch: 1n, nanos_since_epoch: 0 }, trigger: 'idle' };

function fileText(m: StateModel, key: string): string {
  const n = m.paths.get(key);
  assert.ok(n && n !== 'absent' && n.type === 'file', `${key} is a file`);
  return Buffer.concat([...n.content.runs()].map((r) => Buffer.from(r.data))).toString();
}

test('files, descriptors (same numbers, cursors) and terminal text apply at once', () => {
  const m = StateModel.replay([open(4, 'a.txt', 1 | 8), write(4, 0, 'hello'), write(4, 5, ' world'), write(1, 0, 'out'), write(2, 0, 'err'), write(1, 0, '!')]);
  assert.equal(fileText(m, 'fd3:/a.txt'), 'hello world');
  assert.equal(m.fds.get(4)?.desc.cursor, 11);
  assert.equal(m.terminalText().toString(), 'outerr!');
  assert.deepEqual(m.terminal.map((t) => t.fd), [1, 2, 1]);
});

test('memory and threads wait for a snapshot; what follows the last one is dropped', () => {
  const m = StateModel.replay([mem(0, 'aaaa'), snap, mem(2, 'bb'), mem(100, 'zz')]);
  assert.deepEqual([...m.committedMemory.runs()].map((r) => [r.start, Buffer.from(r.data).toString()]), [[0, 'aaaa']]);
  const m2 = StateModel.replay([mem(0, 'aaaa'), snap, mem(2, 'bb'), snap]);
  assert.deepEqual([...m2.committedMemory.runs()].map((r) => Buffer.from(r.data).toString()), ['aabb']);
  assert.deepEqual(m2.snapshots.map((s) => s.memoryBytes), [4, 2]);
  const m3 = StateModel.replay([mem(0, 'aaaa'), { kind: 'ClearEtherealV1' }, snap]);
  assert.ok(m3.committedMemory.isEmpty);
});

test('a process exit restarts the process but keeps files and terminal text', () => {
  const m = StateModel.replay([open(4, 'keep.txt', 1), write(4, 0, 'kept'), write(1, 0, 'printed'), mem(0, 'x'), snap, { kind: 'ProcessExitV1', exit_code: { Other: 3 } }]);
  assert.equal(fileText(m, 'fd3:/keep.txt'), 'kept');
  assert.equal(m.terminalText().toString(), 'printed');
  assert.ok(m.committedMemory.isEmpty);
  assert.equal(m.lastSnapshot, undefined);
  assert.equal(m.fds.has(4), false);
  assert.deepEqual(m.exitCode, { Other: 3 });
});

test('paths resolve through directory descriptors, "." and ".."; renames move folders', () => {
  const m = StateModel.replay([
    { kind: 'CreateDirectoryV1', fd: 3, path: 'd' },
    open(5, 'd', 2),
    { ...open(6, 'x.txt', 1), dirfd: 5 } as JournalEntry,
    write(6, 0, 'in d'),
    { kind: 'PathRenameV1', old_fd: 3, old_path: './d/../d', new_fd: 3, new_path: 'e' },
  ]);
  assert.equal(fileText(m, 'fd3:/e/x.txt'), 'in d');
  assert.equal(m.paths.get('fd3:/d'), 'absent');
  assert.equal(m.fds.get(5)?.key, 'fd3:/e');
});

test('truncation, set-size and unlink', () => {
  const m = StateModel.replay([open(4, 'f', 1 | 8), write(4, 0, 'abcdef'), { kind: 'FileDescriptorSetSizeV1', fd: 4, st_size: 3n }, write(4, 5, 'Z')]);
  const n = m.paths.get('fd3:/f');
  assert.ok(n && n !== 'absent' && n.type === 'file');
  assert.equal(n.size, 6);
  assert.deepEqual([...n.content.runs()].map((r) => [r.start, Buffer.from(r.data).toString()]), [[0, 'abc'], [5, 'Z']]);
  const m2 = StateModel.replay([open(4, 'f', 1), write(4, 0, 'x'), { kind: 'UnlinkFileV1', fd: 3, path: 'f' }]);
  assert.equal(m2.paths.get('fd3:/f'), 'absent');
});
