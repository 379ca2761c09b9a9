// What compaction removes, case by case: the rules that go beyond Wasmer's compactor.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compactEntries } from '../../src/journal/compaction';
import { StateModel } from '../../src/journal/state';
import type { JournalEntry } from '../../src/journal/entries';

const R = (1n << 39n) - 1n;
const open = (fd: number, path: string, o_flags = 0): JournalEntry => ({
  kind: 'OpenFileDescriptorV1', fd, dirfd: 3, dirflags: 1, path, o_flags, fs_rights_base: R, fs_rights_inheriting: R, fs_flags: 0,
});
const close = (fd: number): JournalEntry => ({ kind: 'CloseFileDescriptorV1', fd });
const write = (fd: number, offset: number, s: string): JournalEntry => ({
  kind: 'FileDescriptorWriteV1', fd, offset: BigInt(offset), data: new Uint8Array(Buffer.from(s)), is_64bit: false,
});
const mem = (start: number, len: number, fill: number): JournalEntry => ({
  kind: 'UpdateMemoryRegionV1', region: { start: BigInt(start), end: BigInt(start + len) }, data: new Uint8Array(len).fill(fill),
});
let t = 0n;
const snap = (): JournalEntry => ({ kind: 'SnapshotV1', when: { secs_since_epoch: 1_700_000_000n + t++, nanos_since_epoch: 0 }, trigger: 'idle' });

function compacted(entries: JournalEntry[]): JournalEntry[] {
  const out = compactEntries(entries);
  assert.equal(StateModel.replay(out).canonical(), StateModel.replay(entries).canonical(), 'same restored state');
  return out;
}

test('overlapping and adjacent memory updates merge into the newest bytes of each address', () => {
  const out = compacted([mem(0, 1024, 1), mem(512, 1024, 2), snap(), mem(1536, 512, 3), mem(256, 16, 4), snap()]);
  const regions = out.filter((e) => e.kind === 'UpdateMemoryRegionV1');
  assert.equal(regions.length, 1, 'one merged region');
  const r = regions[0] as Extract<JournalEntry, { kind: 'UpdateMemoryRegionV1' }>;
  assert.deepEqual([r.region.start, r.region.end], [0n, 2048n]);
  assert.equal(r.data[0], 1);
  assert.equal(r.data[256], 4);
  assert.equal(r.data[600], 2);
  assert.equal(r.data[1600], 3);
  assert.deepEqual(out.map((e) => e.kind), ['UpdateMemoryRegionV1', 'SnapshotV1'], 'only the last snapshot marker stays');
});

test('memory updated after the last snapshot stays as it is', () => {
  const out = compacted([mem(0, 64, 1), snap(), mem(0, 64, 2)]);
  assert.deepEqual(out.map((e) => e.kind), ['UpdateMemoryRegionV1', 'SnapshotV1', 'UpdateMemoryRegionV1']);
});

test('writes overwritten later, or cut by a truncation, are dropped', () => {
  const out = compacted([open(4, 'f', 1 | 8), write(4, 0, 'aaaa'), write(4, 4, 'bbbb'), write(4, 0, 'cccccccc'), write(4, 8, 'dd'), close(4)]);
  assert.deepEqual(out.filter((e) => e.kind === 'FileDescriptorWriteV1').map((e) => Buffer.from((e as { data: Uint8Array }).data).toString()), ['cccccccc', 'dd']);
  const out2 = compacted([open(4, 'f', 1 | 8), write(4, 0, 'old data'), close(4), open(5, 'f', 1 | 8), write(5, 0, 'new'), close(5)]);
  assert.deepEqual(out2.map((e) => e.kind), ['OpenFileDescriptorV1', 'FileDescriptorWriteV1', 'CloseFileDescriptorV1'], 'the first session vanished');
});

test('a file created, written and deleted leaves only the delete; read-only descriptors vanish', () => {
  const out = compacted([open(4, 'tmp', 1), write(4, 0, 'scratch'), close(4), { kind: 'UnlinkFileV1', fd: 3, path: 'tmp' }]);
  assert.deepEqual(out.map((e) => e.kind), ['UnlinkFileV1']);
  const out2 = compacted([open(4, 'config'), { kind: 'FileDescriptorSeekV1', fd: 4, offset: 10n, whence: 'Set' }, close(4)]);
  assert.deepEqual(out2, []);
  const excl = compacted([open(4, 'tmp', 1 | 4), write(4, 0, 'x'), close(4), { kind: 'UnlinkFileV1', fd: 3, path: 'tmp' }]);
  assert.deepEqual(excl.map((e) => e.kind), ['UnlinkFileV1']);
});

test('descriptors still open keep their number, flags and position', () => {
  const out = compacted([open(7, 'log', 1), write(7, 0, 'one'), { kind: 'FileDescriptorSeekV1', fd: 7, offset: 1n, whence: 'Set' }]);
  assert.deepEqual(out.map((e) => e.kind), ['OpenFileDescriptorV1', 'FileDescriptorWriteV1', 'FileDescriptorSeekV1']);
});

test('renamed files keep their writes; terminal text is kept whole', () => {
  const out = compacted([open(4, 'a', 1), write(4, 0, 'content'), close(4), { kind: 'PathRenameV1', old_fd: 3, old_path: 'a', new_fd: 3, new_path: 'b' }, write(1, 0, 'hi'), write(1, 0, 'hi')]);
  assert.equal(out.length, 6);
});

test('thread states as of the last snapshot; closed threads vanish', () => {
  const thread = (id: number, b: number): JournalEntry => ({
    kind: 'SetThreadV1', id, call_stack: new Uint8Array([b]), memory_stack: new Uint8Array(), store_data: new Uint8Array(), start: 'main_thread',
    layout: { stack_upper: 0n, stack_lower: 0n, guard_size: 0n, stack_size: 0n }, is_64bit: false,
  });
  const out = compacted([thread(0, 1), thread(1, 1), snap(), thread(0, 2), { kind: 'CloseThreadV1', id: 1, exit_code: null }, snap(), thread(0, 3)]);
  assert.deepEqual(out.map((e) => `${e.kind}${'call_stack' in e ? e.call_stack[0] : ''}`), ['SetThreadV12', 'SnapshotV1', 'SetThreadV13']);
});

test('a process exit drops memory and threads but keeps file effects; last-wins for clocks, tty, cwd', () => {
  const out = compacted([
    mem(0, 100, 1), snap(), open(4, 'out.txt', 1), write(4, 0, 'result'), close(4),
    { kind: 'SetClockTimeV1', clock_id: 'Realtime', time: 1n }, { kind: 'SetClockTimeV1', clock_id: 'Realtime', time: 2n },
    { kind: 'ChangeDirectoryV1', path: '/a' }, { kind: 'ChangeDirectoryV1', path: '/b' },
    { kind: 'ProcessExitV1', exit_code: { Errno: 'Success' } },
  ]);
  assert.deepEqual(out.map((e) => e.kind), ['OpenFileDescriptorV1', 'FileDescriptorWriteV1', 'CloseFileDescriptorV1', 'ProcessExitV1']);
  const live = compacted([{ kind: 'SetClockTimeV1', clock_id: 'Realtime', time: 1n }, { kind: 'SetClockTimeV1', clock_id: 'Realtime', time: 2n }, { kind: 'SetClockTimeV1', clock_id: 'Monotonic', time: 5n }]);
  assert.equal(live.length, 2);
});

test('a truncation another descriptor observed (an append-mode write) is not superseded by a later one', () => {
  // Found by the property test: fd 7 appends after fd 9 truncated the file, so fd 7's cursor depends on that
  // truncation even though fd 10 truncates the file again later.
  const appendOpen: JournalEntry = { ...(open(7, 'a', 1) as Extract<JournalEntry, { kind: 'OpenFileDescriptorV1' }>), fs_flags: 1 };
  const out = compacted([appendOpen, open(9, 'a', 9), write(7, 0, 'x'), open(10, 'a', 9), close(9)]);
  assert.ok(out.some((e) => e.kind === 'OpenFileDescriptorV1' && e.fd === 9), 'the first truncating open stays');
  // Without the append-mode write in between, the first truncation is superseded and goes.
  const plain = compacted([open(7, 'a', 1), open(9, 'a', 9), close(9), write(7, 0, 'x'), open(10, 'a', 9)]);
  assert.ok(!plain.some((e) => e.kind === 'OpenFileDescriptorV1' && e.fd === 9), 'superseded when nothing observed it');
});
