// The journal kinds: unsupported, null, in-memory, filtered, counting, compacting, compacting log file.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { UnsupportedJournal, NullJournal, MemoryJournal, PackedEntries } from '../../src/journal/simple-journals';
import { FilteredJournal, passesFilter, FILTER_NAMES, type FilterConfig } from '../../src/journal/filtered';
import { CountingJournal } from '../../src/journal/counting';
import { CompactingJournal, CompactingLogFileJournal } from '../../src/journal/compacting';
import { copyJournal, readAll } from '../../src/journal/journal';
import { StateModel } from '../../src/journal/state';
import { ALL_KINDS, OWN_TAG_BASE, type JournalEntry } from '../../src/journal/entries';
import { encodeEntryRecord } from '../../src/journal/codec';
import { ENTRY_FIXTURES } from '../helpers/entry-fixtures';
import { journalArb } from '../helpers/simulation';
import { readJournal, tempJournal } from '../helpers/journals';

const ALL = Object.values(ENTRY_FIXTURES) as JournalEntry[];
const entriesOf = (j: { read(): { entry: JournalEntry } | undefined; restart(): void }): JournalEntry[] =>
  [...readAll(j as Parameters<typeof readAll>[0])].map((r) => r.entry);

test('the unsupported journal refuses writes and restores nothing without error', () => {
  const j = new UnsupportedJournal();
  assert.throws(() => j.write(ALL[0]), /does not support writing \(tried to write InitModuleV1\)/);
  assert.deepEqual(entriesOf(j), []);
  assert.equal(j.commit(), 0);
});

test('the null journal accepts everything and keeps nothing', () => {
  const j = new NullJournal();
  for (const e of ALL) assert.deepEqual(j.write(e), { recordStart: 0, recordEnd: 0 });
  assert.deepEqual(entriesOf(j), []);
});

test('the in-memory journal keeps entries in order, with commit and rollback', () => {
  const j = new MemoryJournal();
  ALL.slice(0, 5).forEach((e) => j.write(e));
  j.commit();
  j.write(ALL[5]);
  assert.equal(j.rollback(), 1);
  assert.deepEqual(entriesOf(j), ALL.slice(0, 5));
  j.restart();
  assert.equal(j.read()?.index, 0);
});

// Wasmer's classification (lib/journal/src/concrete/filter.rs), which the filter must reproduce.
const WASMER_FILTER: Record<string, string[]> = {
  core: ['SetClockTimeV1', 'InitModuleV1', 'ProcessExitV1', 'EpollCreateV1', 'EpollCtlV1', 'TtySetV1'],
  threads: ['SetThreadV1', 'CloseThreadV1'],
  memory: ['UpdateMemoryRegionV1'],
  snapshots: ['SnapshotV1'],
  fs: [
    'FileDescriptorSeekV1', 'FileDescriptorWriteV1', 'OpenFileDescriptorV1', 'OpenFileDescriptorV2', 'CloseFileDescriptorV1',
    'RenumberFileDescriptorV1', 'DuplicateFileDescriptorV1', 'DuplicateFileDescriptorV2', 'FileDescriptorSetFdFlagsV1',
    'FileDescriptorSetFlagsV1', 'FileDescriptorAdviseV1', 'FileDescriptorAllocateV1', 'FileDescriptorSetRightsV1',
    'FileDescriptorSetTimesV1', 'FileDescriptorSetSizeV1', 'RemoveDirectoryV1', 'UnlinkFileV1', 'PathRenameV1',
    'CreateDirectoryV1', 'PathSetTimesV1', 'CreateHardLinkV1', 'CreateSymbolicLinkV1', 'ChangeDirectoryV1',
    'CreatePipeV1', 'CreateEventV1',
  ],
};

test('each filter switch drops exactly the kinds Wasmer drops', () => {
  const net = ALL_KINDS.filter((k) => k.tag < OWN_TAG_BASE && (k.name.startsWith('Port') || k.name.startsWith('Socket'))).map((k) => k.name);
  const inputs = ALL_KINDS.filter((k) => k.category === 'inputs').map((k) => k.name);
  // Our own snapshot-side kinds go with Wasmer's snapshot markers.
  const snapshots = [...WASMER_FILTER.snapshots, ...ALL_KINDS.filter((k) => k.tag >= OWN_TAG_BASE && k.category === 'snapshots').map((k) => k.name)];
  const expected: Record<string, string[]> = { ...WASMER_FILTER, networking: net, stdio: [], inputs, snapshots };
  for (const name of FILTER_NAMES) {
    if (name === 'stdio') continue;
    const config: FilterConfig = { [name]: true };
    const dropped = ALL.filter((e) => !passesFilter(config, e)).map((e) => e.kind).sort();
    assert.deepEqual(dropped, [...expected[name]].sort(), name);
  }
  // ClearEthereal is never filtered
  const everything: FilterConfig = Object.fromEntries(FILTER_NAMES.map((n) => [n, true]));
  assert.deepEqual(ALL.filter((e) => passesFilter(everything, e)).map((e) => e.kind), ['ClearEtherealV1']);
});

test('the stdio switch drops descriptor operations on fds 0-2 only', () => {
  const config: FilterConfig = { stdio: true };
  const w = (fd: number): JournalEntry => ({ kind: 'FileDescriptorWriteV1', fd, offset: 0n, data: new Uint8Array([1]), is_64bit: false });
  assert.equal(passesFilter(config, w(1)), false);
  assert.equal(passesFilter(config, w(2)), false);
  assert.equal(passesFilter(config, w(3)), true);
  assert.equal(passesFilter(config, { kind: 'UnlinkFileV1', fd: 1, path: 'x' }), true, 'path operations are not stdio');
});

test('the filtered journal filters writes and reads, and keeps whitelisted indices', () => {
  const inner = new MemoryJournal();
  const f = new FilteredJournal(inner, { memory: true, onlyIndices: new Set([0, 2, 3, 4]) });
  ALL.slice(0, 6).forEach((e) => f.write(e)); // 0 init, 1 clear, 2 memory, 3 exit, 4 thread, 5 close-thread
  assert.deepEqual(inner.all().map((e) => e.kind), ['InitModuleV1', 'ProcessExitV1', 'SetThreadV1']);
  const reader = new FilteredJournal(new MemoryJournal(ALL), { threads: true, fs: true, networking: true });
  const kinds = entriesOf(reader).map((e) => e.kind);
  assert.ok(!kinds.includes('SetThreadV1') && !kinds.includes('FileDescriptorWriteV1') && !kinds.includes('SocketSendV1'));
  assert.ok(kinds.includes('UpdateMemoryRegionV1') && kinds.includes('SnapshotV1'));
});

test('the counting journal counts entries and encoded bytes, and forwards them', () => {
  const inner = new MemoryJournal();
  const c = new CountingJournal(inner);
  ALL.forEach((e) => c.write(e));
  assert.equal(c.entries, ALL.length);
  assert.equal(c.bytes, ALL.reduce((n, e) => n + encodeEntryRecord(e).length, 0));
  assert.equal(c.byKind.get('SnapshotV1')?.entries, 1);
  assert.equal(inner.length, ALL.length);
});

test('the compacting journal learns from what it forwards and compacts into another journal', () => {
  fc.assert(
    fc.property(journalArb, (entries) => {
      const inner = new MemoryJournal(entries.slice(0, 3)); // it also learns what was already there
      const c = new CompactingJournal(inner);
      entries.slice(3).forEach((e) => c.write(e));
      const out = new MemoryJournal();
      const r = c.compactTo(out);
      assert.equal(r.entriesBefore, entries.length);
      assert.equal(r.entriesAfter, out.length);
      assert.equal(StateModel.replay(out.all()).canonical(), StateModel.replay(entries).canonical());
    }),
    { numRuns: 50 },
  );
});

test('the compacting log file compacts itself when it grows by the factor, atomically', () => {
  const file = tempJournal();
  const j = new CompactingLogFileJournal(file, { growthFactor: 0.15, minBytes: 4096 });
  const written: JournalEntry[] = [];
  for (let i = 0; i < 400; i++) {
    // the same 2 KiB of memory rewritten, and a file rewritten from the start: most of it compacts away
    const e: JournalEntry[] = [
      { kind: 'UpdateMemoryRegionV1', region: { start: 4096n, end: 6144n }, data: new Uint8Array(2048).fill(i & 0xff) },
      { kind: 'SnapshotV1', when: { secs_since_epoch: BigInt(1_700_000_000 + i), nanos_since_epoch: 0 }, trigger: 'periodic-interval' },
    ];
    for (const x of e) {
      j.write(x);
      written.push(x);
    }
  }
  assert.ok(j.compactions > 3, `compacted ${j.compactions} times`);
  j.close();
  const after = readJournal(file);
  assert.ok(after.length < written.length / 4, `${after.length} of ${written.length} entries left`);
  assert.equal(StateModel.replay(after).canonical(), StateModel.replay(written).canonical());
  assert.deepEqual(fs.readdirSync(path.dirname(file)), ['test.journal']);
});

test('copyJournal copies every entry', () => {
  const to = new MemoryJournal();
  assert.equal(copyJournal(new MemoryJournal(ALL), to), ALL.length);
  assert.deepEqual(to.all(), ALL);
});

test('packed entries: every kind is read back as it was pushed, byte arrays copied in (the pusher may reuse its buffers)', () => {
  const packed = new PackedEntries();
  const all = ALL;
  const shared = new Uint8Array([1, 2, 3, 4]);
  const reused: JournalEntry = { kind: 'RandomBytesV1', data: shared };
  for (const e of all) packed.push(e);
  packed.push(reused);
  shared.fill(9);
  assert.equal(packed.length, all.length + 1);
  const back = packed.entries();
  assert.deepEqual(back.slice(0, all.length), all);
  assert.deepEqual(back[all.length], { kind: 'RandomBytesV1', data: new Uint8Array([1, 2, 3, 4]) });
  assert.ok(packed.byteLength > 0);
  packed.clear();
  assert.equal(packed.length, 0);
  assert.deepEqual(packed.entries(), []);
});
