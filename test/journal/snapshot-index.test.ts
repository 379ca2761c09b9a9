// The snapshot index and the readers it relies on: LZ4 decompressed straight into place (and never outside it),
// the index kept beside a journal (saved, loaded, extended, rebuilt when stale or damaged), and records read back by
// offset with every check the scanner makes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { compressSync } from 'lz4-napi';
import { lz4DecompressPlaced, lz4DecompressPrefix } from '../../src/journal/compression';
import { JournalError } from '../../src/journal/errors';
import { LogFileJournal } from '../../src/journal/log-file';
import { RecordReader } from '../../src/journal/record-reader';
import { SnapshotIndex } from '../../src/journal/snapshot-index';
import type { JournalEntry } from '../../src/journal/entries';

const RUNS = Number(process.env.FC_RUNS ?? 100);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wj-index-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

/** Bytes with runs, repeats and noise: what LZ4 meets in memory images. */
const structured = fc
  .array(
    fc.oneof(
      fc.record({ t: fc.constant('run' as const), v: fc.nat(255), n: fc.integer({ min: 1, max: 5000 }) }),
      fc.record({ t: fc.constant('noise' as const), b: fc.uint8Array({ maxLength: 64 }) }),
      fc.record({ t: fc.constant('repeat' as const), b: fc.uint8Array({ minLength: 1, maxLength: 7 }), n: fc.integer({ min: 1, max: 300 }) }),
    ),
    { maxLength: 30 },
  )
  .map((parts) => {
    const chunks: Buffer[] = [];
    for (const p of parts) {
      if (p.t === 'run') chunks.push(Buffer.alloc(p.n, p.v));
      else if (p.t === 'noise') chunks.push(Buffer.from(p.b));
      else for (let i = 0; i < p.n; i++) chunks.push(Buffer.from(p.b));
    }
    return new Uint8Array(Buffer.concat(chunks));
  });

test('LZ4 decompressed into place equals lz4-napi, and writes nothing outside its place', () => {
  fc.assert(
    fc.property(structured, fc.constantFrom(0, 4, 20), fc.nat(100), (data, head, pad) => {
      const h = Math.min(head, data.length);
      const c = compressSync(Buffer.from(data));
      const target = new Uint8Array(pad + data.length - h + 50).fill(0xee);
      let seen: Uint8Array | undefined;
      lz4DecompressPlaced(c, h, (hd) => {
        seen = hd.slice();
        return { target, at: pad, length: data.length - h };
      }, 'test');
      assert.deepEqual(seen, data.subarray(0, h));
      assert.deepEqual(target.subarray(pad, pad + data.length - h), data.subarray(h));
      assert.ok(target.subarray(0, pad).every((b) => b === 0xee), 'nothing before the place');
      assert.ok(target.subarray(pad + data.length - h).every((b) => b === 0xee), 'nothing after the place');
      if (data.length >= 16) assert.deepEqual(lz4DecompressPrefix(c, 16, 'test'), data.subarray(0, 16));
    }),
    { numRuns: RUNS * 3 },
  );
});

test('damaged LZ4 data is a JournalError and never writes outside its place', () => {
  fc.assert(
    fc.property(structured, fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 4 }), (data, flips) => {
      const c = Buffer.from(compressSync(Buffer.from(data)));
      for (const [at, v] of flips) c[4 + (at % Math.max(1, c.length - 4))] = v;
      const size = c.readUInt32LE(0);
      const target = new Uint8Array(size + 64).fill(0xee);
      try {
        lz4DecompressPlaced(c, 0, () => ({ target, at: 32, length: size }), 'test');
      } catch (e) {
        assert.ok(e instanceof JournalError, String(e));
      }
      assert.ok(target.subarray(0, 32).every((b) => b === 0xee));
      assert.ok(target.subarray(32 + size).every((b) => b === 0xee));
    }),
    { numRuns: RUNS * 3 },
  );
});

test('a placement that disagrees with the block\'s size is refused before anything is written', () => {
  const c = compressSync(Buffer.alloc(1000, 7));
  const target = new Uint8Array(2000);
  assert.throws(() => lz4DecompressPlaced(c, 20, () => ({ target, at: 0, length: 500 }), 'region'), /region: corrupt LZ4 data at byte \d+ \(it holds 1000 bytes, the header says 520\)/);
  assert.ok(target.every((b) => b === 0));
  assert.throws(() => lz4DecompressPlaced(c, 20, () => ({ target, at: 1500, length: 980 }), 'region'), /outside the target/);
  // Shorter than its header: never placed, and said so.
  assert.throws(() => lz4DecompressPlaced(compressSync(Buffer.alloc(10, 1)), 20, () => ({ target, at: 0, length: 0 }), 'region'), /fewer than its 20-byte header/);
});

// ---- the index ----

const MEM = 1 << 20;

function memUpdate(start: number, data: Uint8Array): JournalEntry {
  return { kind: 'UpdateMemoryRegionV1', region: { start: BigInt(start), end: BigInt(start + data.length) }, data };
}

function thread(id: number, tag: number): JournalEntry {
  return {
    kind: 'SetThreadV1', id, call_stack: new Uint8Array([tag, tag + 1]), memory_stack: new Uint8Array(0),
    store_data: Buffer.from(JSON.stringify({ memoryBytes: MEM, globals: {} })), start: 'main_thread',
    layout: { stack_upper: 0n, stack_lower: 0n, guard_size: 0n, stack_size: 0n }, is_64bit: false,
  };
}

const snapshot: JournalEntry = { kind: 'SnapshotV1', when: { secs_since_epoch: 1n, nanos_since_epoch: 0 }, trigger: 'explicit' };

/** Random journals of runs, memory updates (large, to make keyframes), thread states, cursors and effects. */
const journalArb = fc
  .array(
    fc.oneof(
      { weight: 6, arbitrary: fc.tuple(fc.nat(MEM - 1), fc.integer({ min: 1, max: 96 * 1024 }), fc.nat(255)).map(([s, n, v]) => {
        const len = Math.min(n, MEM - s);
        const d = new Uint8Array(len);
        for (let i = 0; i < len; i++) d[i] = (v + (i % 251 === 0 ? i : 0)) & 0xff;
        return memUpdate(s, d);
      }) },
      { weight: 3, arbitrary: fc.constant(snapshot) },
      { weight: 2, arbitrary: fc.tuple(fc.constantFrom(0, 1), fc.nat(200)).map(([id, t]) => thread(id, t)) },
      { weight: 1, arbitrary: fc.nat(1000).map((p): JournalEntry => {
        const c = Buffer.alloc(12);
        c.writeUInt32LE(3, 0);
        c.writeBigUInt64LE(BigInt(p), 4);
        return { kind: 'FdCursorsV1', cursors: new Uint8Array(c) };
      }) },
      { weight: 1, arbitrary: fc.constant<JournalEntry>({ kind: 'ClearEtherealV1' }) },
      { weight: 1, arbitrary: fc.constant<JournalEntry>({ kind: 'InitModuleV1', wasm_hash: new Uint8Array(32) }) },
      { weight: 1, arbitrary: fc.constant<JournalEntry>({ kind: 'ProcessExitV1', exit_code: null }) },
      { weight: 2, arbitrary: fc.nat(50).map((n): JournalEntry => ({ kind: 'FileDescriptorWriteV1', fd: 1, offset: BigInt(n), data: new Uint8Array([n]), is_64bit: false })) },
      { weight: 1, arbitrary: fc.nat(5).map((n): JournalEntry => ({ kind: 'ClockTimeV1', clock_id: 'Monotonic', time: BigInt(n) })) },
    ),
    { maxLength: 40 },
  );

let fileNo = 0;
function writeJournal(entries: JournalEntry[], file = path.join(tmp, `j${fileNo++}`)): string {
  const j = LogFileJournal.create(file, { sync: 'never' });
  for (const e of entries) j.write(e);
  j.close();
  return file;
}

function append(file: string, entries: JournalEntry[]): void {
  const j = LogFileJournal.openAppend(file, { sync: 'never' });
  for (const e of entries) j.write(e);
  j.close();
}

/** What snapshot k holds, straight from the entries (the journal's commit rules, spelled out). */
function reference(entries: JournalEntry[], k: number): { memory: Uint8Array; thread: number | undefined; cursors: number | undefined; effects: number; marker: number } {
  let seen = -1;
  let memory = new Uint8Array(MEM);
  let pending: JournalEntry[] = [];
  let pendingThread: number | undefined;
  let pendingCursors: number | undefined;
  let threadAt: number | undefined;
  let cursorsAt: number | undefined;
  let effects = 0;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    switch (e.kind) {
      case 'InitModuleV1':
        memory = new Uint8Array(MEM);
        pending = [];
        pendingThread = pendingCursors = threadAt = cursorsAt = undefined;
        effects++;
        break;
      case 'UpdateMemoryRegionV1':
        pending.push(e);
        break;
      case 'SetThreadV1':
        if (e.id === 0) pendingThread = i;
        break;
      case 'FdCursorsV1':
        pendingCursors = i;
        break;
      case 'ClearEtherealV1':
        pending = [];
        pendingThread = undefined;
        break;
      case 'SnapshotV1':
        for (const p of pending) if (p.kind === 'UpdateMemoryRegionV1') memory.set(p.data, Number(p.region.start));
        pending = [];
        if (pendingThread !== undefined) threadAt = pendingThread;
        if (pendingCursors !== undefined) cursorsAt = pendingCursors;
        pendingThread = pendingCursors = undefined;
        if (++seen === k) return { memory, thread: threadAt, cursors: cursorsAt, effects, marker: i };
        break;
      case 'ProcessExitV1':
      case 'FileDescriptorWriteV1':
        effects++;
        break;
      default:
        break;
    }
  }
  throw new Error(`no snapshot ${k}`);
}

function offsetsOf(file: string): number[] {
  const j = LogFileJournal.openRead(file);
  const out: number[] = [];
  for (let r = j.read(); r; r = j.read()) out.push(r.offset);
  j.close();
  return out;
}

function checkIndex(index: SnapshotIndex, file: string, entries: JournalEntry[]): void {
  const offsets = offsetsOf(file);
  const snapshots = entries.filter((e) => e.kind === 'SnapshotV1').length;
  assert.equal(index.snapshots, snapshots);
  for (let k = 0; k < snapshots; k++) {
    const ref = reference(entries, k);
    const plan = index.plan(k);
    assert.equal(plan.entryIndex, ref.marker);
    assert.equal(plan.thread, ref.thread === undefined ? undefined : offsets[ref.thread], `thread of snapshot ${k}`);
    assert.equal(plan.cursors, ref.cursors === undefined ? undefined : offsets[ref.cursors], `cursors of snapshot ${k}`);
    assert.equal(plan.effects.length, ref.effects, `effects of snapshot ${k}`);
    const mem = new Uint8Array(MEM);
    const reader = new RecordReader(file);
    for (const o of plan.memory) reader.memoryInto(o, mem);
    reader.close();
    assert.ok(Buffer.from(mem).equals(Buffer.from(ref.memory)), `memory of snapshot ${k}`);
  }
}

test('the index gives every snapshot\'s memory, thread state, cursors and effects as the entries do', () => {
  fc.assert(
    fc.property(journalArb, (entries) => {
      const file = writeJournal(entries);
      const built = SnapshotIndex.open(file);
      assert.equal(built.status, 'built');
      checkIndex(built, file, entries);
      // Saved beside the journal, and read back as it was.
      const loaded = SnapshotIndex.open(file);
      assert.equal(loaded.status, 'loaded');
      checkIndex(loaded, file, entries);
    }),
    { numRuns: RUNS },
  );
});

test('a journal that grew is indexed from where its index stopped', () => {
  fc.assert(
    fc.property(journalArb, fc.nat(), (entries, cut) => {
      const k = entries.length ? cut % (entries.length + 1) : 0;
      const file = writeJournal(entries.slice(0, k));
      SnapshotIndex.open(file);
      append(file, entries.slice(k));
      const index = SnapshotIndex.open(file);
      assert.equal(index.status, k === entries.length ? 'loaded' : 'extended');
      checkIndex(index, file, entries);
    }),
    { numRuns: RUNS },
  );
});

function sample(): JournalEntry[] {
  const out: JournalEntry[] = [{ kind: 'InitModuleV1', wasm_hash: new Uint8Array(32) }];
  for (let i = 0; i < 40; i++) {
    out.push(memUpdate((i * 65536) % MEM, new Uint8Array(65536).fill(i + 1)), thread(0, i), snapshot);
  }
  return out;
}

test('keyframes keep what a restore reads near the size of the state, whatever the snapshot', () => {
  const entries = sample();
  const file = writeJournal(entries);
  const index = SnapshotIndex.open(file);
  checkIndex(index, file, entries);
  for (let k = 0; k < index.snapshots; k++) {
    // The state is at most MEM bytes; a plan reads at most about 1.25 times it (plus the keyframe floor).
    assert.ok(index.plan(k).memoryBytes <= MEM * 1.25 + 256 * 1024, `snapshot ${k} reads ${index.plan(k).memoryBytes}`);
  }
});

test('an index that no longer matches its journal is rebuilt: rewritten, shrunk and regrown, damaged', () => {
  const file = writeJournal(sample());
  SnapshotIndex.open(file);
  // Rewritten (a new header): built again.
  writeJournal(sample().slice(0, 30), file);
  let index = SnapshotIndex.open(file);
  assert.equal(index.status, 'built');
  checkIndex(index, file, sample().slice(0, 30));
  // Cut back and grown with other records past where the index stopped: its last record no longer matches.
  const size = fs.statSync(file).size;
  const offsets = offsetsOf(file);
  fs.truncateSync(file, offsets[20]);
  const other = [...sample().slice(0, 20), ...sample().slice(0, 25).map((e) => (e.kind === 'UpdateMemoryRegionV1' ? memUpdate(0, new Uint8Array(70000).fill(9)) : e))];
  append(file, other.slice(20));
  assert.ok(fs.statSync(file).size > size);
  index = SnapshotIndex.open(file);
  assert.equal(index.status, 'built');
  checkIndex(index, file, other);
  // A damaged index file: built again, no error.
  const idx = SnapshotIndex.pathFor(file);
  const b = fs.readFileSync(idx);
  b[b.length >> 1] ^= 0xff;
  fs.writeFileSync(idx, b);
  assert.equal(SnapshotIndex.open(file).status, 'built');
  // Not an index at all.
  fs.writeFileSync(idx, 'hello');
  assert.equal(SnapshotIndex.open(file).status, 'built');
});

test('a torn tail is not indexed; once a writer cuts it off and appends, the index goes on', () => {
  const entries = sample();
  const file = writeJournal(entries.slice(0, 30));
  fs.appendFileSync(file, Buffer.from([1, 2, 3, 4, 5, 6, 7]));
  const index = SnapshotIndex.open(file);
  assert.equal(index.lastScan?.tornBytes, 7);
  checkIndex(index, file, entries.slice(0, 30));
  append(file, entries.slice(30));
  const again = SnapshotIndex.open(file);
  assert.equal(again.status, 'extended');
  checkIndex(again, file, entries);
});

test('reading a plan\'s records checks them: a damaged record is named, a moved one is a stale index', () => {
  const entries = sample();
  const file = writeJournal(entries);
  const plan = SnapshotIndex.open(file).plan(10);
  const target = plan.memory[plan.memory.length - 1];
  const b = fs.readFileSync(file);
  b[target + 40] ^= 0xff;
  fs.writeFileSync(file, b);
  const reader = new RecordReader(file);
  assert.throws(() => reader.memoryInto(target, new Uint8Array(MEM)), (e: unknown) => e instanceof JournalError && e.code === 'checksum' && e.message.includes(`byte ${target}`));
  assert.throws(() => reader.memoryInto(plan.thread!, new Uint8Array(MEM)), (e: unknown) => e instanceof JournalError && e.code === 'stale-index');
  assert.throws(() => reader.entryAt(target + 8, 'SetThreadV1'), (e: unknown) => e instanceof JournalError && e.code === 'stale-index');
  // A region beyond the memory it is restored into.
  const ok = SnapshotIndex.open(writeJournal(entries)).plan(10);
  const r2 = new RecordReader(path.join(tmp, `j${fileNo - 1}`));
  assert.throws(() => r2.memoryInto(ok.memory[ok.memory.length - 1], new Uint8Array(1000)), /writes up to byte \d+ of memory, which has 1000/);
  r2.close();
  reader.close();
});

test('asking for a snapshot that is not there names how many there are', () => {
  const file = writeJournal(sample().slice(0, 7));
  assert.throws(() => SnapshotIndex.open(file).plan(2), /holds 2 snapshot\(s\); there is no snapshot 2/);
  assert.throws(() => SnapshotIndex.open(path.join(tmp, 'missing')), /cannot open the journal/);
  fs.writeFileSync(path.join(tmp, 'not-a-journal'), 'hello there, not a journal');
  assert.throws(() => SnapshotIndex.open(path.join(tmp, 'not-a-journal')), /not a wasm-journal file/);
});
