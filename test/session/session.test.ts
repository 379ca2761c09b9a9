// The recording session (src/runtime/session) without DAP: travels from the session's own snapshots land on the
// same state as a re-execution from the start; breakpoint conditions; the memory diff.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { RecordingSession, type Stop } from '../../src/runtime/session/session';
import { parseCondition, ConditionError, describePoint } from '../../src/runtime/session/points';
import { diffMemory } from '../../src/journal/memory-diff';
import { lineRows, SourceLines } from '../../src/runtime/source-lines';
import { functionNames } from '../../src/runtime/snapshot/wasm-binary';
import { tempDir } from '../helpers/tmp';
import { GUESTS } from '../helpers/guest';
import { RecordScanner } from '../../src/journal/scanner';
import { kindByTag } from '../../src/journal/codec';

const ROOT = path.join(__dirname, '..', '..', '..');
const CALLS = path.join(ROOT, 'bench', 'guests', 'calls.wasm');
const HELLO = path.join(GUESTS, 'hello.wasm');
const STEPS_WASM = path.join(GUESTS, 'steps.wasm');

async function recorded(s: RecordingSession, opts: Parameters<RecordingSession['launch']>[0]): Promise<Stop> {
  await s.launch(opts);
  const stopped = new Promise<Stop>((r) => s.once('stopped', r));
  s.start();
  return stopped;
}

test('session: a travel from the session\'s own snapshots gives the memory a re-execution from the start gives', async () => {
  const dir = tempDir('wj-session-');
  const withSnaps = new RecordingSession();
  const without = new RecordingSession();
  try {
    // The session's snapshots come from its policy (and a period of 20 ms, so there are some on any machine).
    const end = await recorded(withSnaps, { program: CALLS, args: ['40000'], journal: path.join(dir, 'a.journal'), snapshotPeriod: 20 });
    assert.equal(end.reason, 'exit');
    assert.ok(withSnaps.snapshots.length > 0);
    // The same recording without its snapshots: every travel there re-executes from the start.
    const bare = path.join(dir, 'bare.journal');
    withSnaps.exportJournal(bare, { filter: ['snap', 'mem', 'threads'] });
    await without.attach({ journal: bare, program: CALLS });
    assert.equal(without.snapshots.length, 0);
    assert.equal(without.liveEnd, end.point);
    // Points on both sides of snapshots, in an order that goes back and forth.
    const points = [...withSnaps.snapshots.map((s) => s.point), ...withSnaps.snapshots.map((s) => s.point + 7), 3, end.point - 1, Math.floor(end.point / 2)]
      .filter((p) => p >= 0 && p < end.point);
    for (const p of points) {
      await withSnaps.travel(p);
      await without.travel(p);
      const a = await withSnaps.readMemory(0, 1 << 22);
      const b = await without.readMemory(0, 1 << 22);
      assert.equal(Buffer.compare(a.data, b.data), 0, `memory at point ${p} differs`);
      // The post-mortem timeline of the bare journal names the same calls the live one recorded.
      assert.deepEqual(without.info(p), withSnaps.info(p));
    }
  } finally {
    await withSnaps.terminate();
    await without.terminate();
  }
});

test('breakpoint conditions: fields, comparisons, contains, and, or, not; clear errors', () => {
  const w = { call: 'fd_write', fd: 1, len: 12 };
  const o = { call: 'path_open', fd: 3, path: 'logs/app.log' };
  assert.equal(parseCondition('fd == 1')(w), true);
  assert.equal(parseCondition('fd == 1')(o), false);
  assert.equal(parseCondition('path contains "log"')(o), true);
  assert.equal(parseCondition('path contains "log"')(w), false, 'a call without the field does not match');
  assert.equal(parseCondition('len > 10 && !(fd == 2)')(w), true);
  assert.equal(parseCondition('call == "path_open" || fd >= 5')(o), true);
  assert.equal(parseCondition('')(w), true);
  assert.throws(() => parseCondition('fd = 1'), (e: unknown) => e instanceof ConditionError && /column 4/.test((e as Error).message));
  assert.throws(() => parseCondition('size > 1'), /unknown field/);
  assert.throws(() => parseCondition('fd == "1"'), /fd is a number/);
  assert.throws(() => parseCondition('(fd == 1'), /expected "\)"/);
  // What a call's arguments say, read from memory: the path of path_open, the bytes of fd_write.
  const mem = new Uint8Array(64);
  mem.set(Buffer.from('out.txt'), 40);
  assert.deepEqual(describePoint('path_open', [3, 0, 40, 7], mem), { call: 'path_open', fd: 3, path: 'out.txt' });
  new DataView(mem.buffer).setUint32(8, 100, true);
  new DataView(mem.buffer).setUint32(12, 5, true);
  assert.deepEqual(describePoint('fd_write', [1, 8, 1, 0], mem), { call: 'fd_write', fd: 1, len: 5 });
  // A bad pointer leaves the field out instead of failing.
  assert.deepEqual(describePoint('path_open', [3, 0, 60, 70], mem), { call: 'path_open', fd: 3 });
});

test('memory diff: exact ranges with old and new bytes, grown memory as zeros, a range limit', () => {
  const a = new Uint8Array(300_000);
  const b = new Uint8Array(400_000);
  a[10] = 1;
  b[10] = 2;
  b[12] = 5; // within JOIN: one range 10..12
  b[200_000] = 9;
  b[350_000] = 7; // beyond a's end: compared with zeros
  const d = diffMemory(a, b);
  assert.equal(d.changedBytes, 4);
  assert.deepEqual(d.ranges.map((r) => [r.offset, [...r.old], [...r.new]]), [
    [10, [1, 0, 0], [2, 0, 5]],
    [200_000, [0], [9]],
    [350_000, [0], [7]],
  ]);
  assert.equal(d.fromBytes, 300_000);
  assert.equal(d.toBytes, 400_000);
  const part = diffMemory(a, b, 100_000, 150_000);
  assert.deepEqual(part.ranges.map((r) => r.offset), [200_000]);
  const limited = diffMemory(a, b, 0, undefined, 1);
  assert.equal(limited.ranges.length, 1);
  assert.equal(limited.truncated, true);
  assert.equal(limited.changedBytes, 4);
});

test('source lines: the DWARF line table of a clang -g module, and call sites mapped to lines', () => {
  const bytes = fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'guests', 'steps.wasm'));
  const rows = lineRows(bytes);
  assert.ok(rows.some((r) => r.file === 'steps.c' && r.line === 26), 'a row for the fopen line');
  for (let i = 1; i < rows.length; i++) assert.ok(rows[i - 1].address <= rows[i].address);
  const names = functionNames(bytes);
  const index = (n: string): number => [...names].find(([, x]) => x === n)![0];
  const lines = new SourceLines(bytes, names);
  assert.equal(lines.available, true);
  // main calls fopen once (line 26) and fgets once (line 29): exact; the innermost frame is in the host call.
  const [inFopen, inMain] = lines.locate([
    { func: index('fopen'), name: 'fopen', offset: 0 },
    { func: index('__original_main'), name: '__original_main', offset: Number.MAX_SAFE_INTEGER },
  ]);
  assert.equal(inMain?.file, 'steps.c');
  assert.equal(inMain?.line, 26);
  assert.equal(inMain?.approximate, false);
  assert.ok(inFopen === undefined || inFopen.file !== 'steps.c');
  const [, atFgets] = lines.locate([
    { func: index('fgets'), name: 'fgets', offset: 0 },
    { func: -1, name: '__original_main', offset: Number.MAX_SAFE_INTEGER },
  ]);
  assert.equal(atFgets?.line, 29);
  // A module without line tables.
  assert.equal(new SourceLines(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'guests', 'hello.wasm'))).available, false);
});

test('session: a recording damaged in any record is refused with the record and the file named; the file is untouched', async () => {
  const dir = tempDir('wj-session-');
  const hello = path.join(ROOT, 'test', 'fixtures', 'guests', 'hello.wasm');
  const good = path.join(dir, 'good.journal');
  const s0 = new RecordingSession();
  try {
    assert.equal((await recorded(s0, { program: hello, journal: good })).reason, 'exit');
  } finally {
    await s0.terminate();
  }
  const bytes = fs.readFileSync(good);
  // A byte inside each record but the last (a damaged last record reads as a write the crash cut short).
  const offsets: number[] = [];
  const fd = fs.openSync(good, 'r');
  const scanner = new RecordScanner(fd, bytes.length, { name: good });
  for (let r = scanner.next(); r; r = scanner.next()) offsets.push(r.offset + Math.floor(r.size / 2));
  fs.closeSync(fd);
  assert.ok(offsets.length > 5);
  for (const at of offsets.slice(0, -1)) {
    const damaged = path.join(dir, `damaged-${at}.journal`);
    const d = Buffer.from(bytes);
    d[at] ^= 0xff;
    fs.writeFileSync(damaged, d);
    const s = new RecordingSession();
    try {
      await assert.rejects(s.attach({ journal: damaged, program: hello }), (e: Error) => {
        assert.match(e.message, new RegExp(`damaged-${at}\\.journal: damaged record \\d+ at byte \\d+`));
        assert.doesNotMatch(e.message, /internal error|\n\s+at /);
        return true;
      });
    } finally {
      await s.terminate();
    }
    assert.deepEqual(fs.readFileSync(damaged), d);
  }
});

test('session: memory of several past points read at once (a view paging both sides): each copied once, all answered', async () => {
  const dir = tempDir('wj-session-');
  const s = new RecordingSession();
  try {
    assert.equal((await recorded(s, { program: CALLS, args: ['3000'], journal: path.join(dir, 'c.journal') })).reason, 'exit');
    const at = s.current;
    // Together, as a client sends them; then one by one: the same bytes.
    const together = await Promise.all([s.readMemoryAt(100, 4096, 4096), s.readMemoryAt(2000, 4096, 4096), s.readMemoryAt(100, 8192, 64), s.readMemoryAt(2000, 0, 0)]);
    assert.equal(together[3].data.length, 0);
    assert.ok(together[3].size >= 65536);
    const again = [await s.readMemoryAt(100, 4096, 4096), await s.readMemoryAt(2000, 4096, 4096), await s.readMemoryAt(100, 8192, 64)];
    for (let i = 0; i < 3; i++) assert.deepEqual(Buffer.from(together[i].data), Buffer.from(again[i].data));
    // The table the program fills changed between the two points, and the session stayed where it was.
    assert.notDeepEqual(Buffer.from(together[0].data), Buffer.from(together[1].data));
    assert.equal(s.current, at);
  } finally {
    await s.terminate();
  }
});

test('session: a journal two runs appended to opens at either run (post-mortem), each with its own points and output', async () => {
  const dir = tempDir('wj-runs-');
  const journal = path.join(dir, 'two.journal');
  const bin = path.join(ROOT, 'out', 'src', 'cli', 'bin.js');
  for (const word of ['first', 'second']) {
    const r = spawnSync(process.execPath, [bin, 'run', HELLO, '--journal-writable', journal, '--no-snapshots', '--', '0', word], { input: '' });
    assert.equal(r.status, 0, r.stderr.toString());
  }
  const before = fs.readFileSync(journal);
  const text = (s: RecordingSession): string => s.output.map((c) => c.text).join('');
  const opened: RecordingSession[] = [];
  const open = async (run?: number): Promise<RecordingSession> => {
    const s = new RecordingSession();
    opened.push(s);
    await s.attach({ journal, program: HELLO, run });
    return s;
  };
  try {
    const first = await open(1);
    assert.match(text(first), /argv\[2\]=first\n/);
    assert.doesNotMatch(text(first), /second/, 'the first run ends where the second begins');
    const last = await open();
    assert.match(text(last), /argv\[2\]=second\n/);
    assert.doesNotMatch(text(last), /first/);
    const second = await open(2);
    assert.equal(second.liveEnd, last.liveEnd);
    // Points of the first run can be visited, and their terminal is the first run's.
    await first.travel(0);
    assert.equal(first.current, 0);
    await first.travel(first.liveEnd - 1);
    assert.equal(first.terminalUpTo(first.liveEnd - 1), 'hello from wasm\n');
    assert.match(first.terminalUpTo(first.liveEnd), /argv\[2\]=first/);
    await assert.rejects(open(3), /two\.journal holds 2 run\(s\); there is no run 3/);
    await assert.rejects(open(0), /run 0: expected a run number from 1/);
    assert.equal(Buffer.compare(fs.readFileSync(journal), before), 0, 'the journal is untouched');
  } finally {
    for (const s of opened) await s.terminate();
  }
});

test('session: a run that went on from a snapshot of the run before it opens from that snapshot (post-mortem)', async () => {
  const dir = tempDir('wj-runs-');
  fs.mkdirSync(path.join(dir, 'out'));
  const journal = path.join(dir, 'resumed.journal');
  const bin = path.join(ROOT, 'out', 'src', 'cli', 'bin.js');
  const steps = path.join(GUESTS, 'steps.wasm');
  const common = [bin, 'run', steps, '--dir', `${dir}/out::/out`, '--fs', 'overlay', '--journal-writable', journal];
  const stopped = spawnSync(process.execPath, [...common, '--snapshot-on', 'first-stdin', '--stop-after-snapshot'], { input: '' });
  assert.equal(stopped.status, 0, stopped.stderr.toString());
  const resumed = spawnSync(process.execPath, common, { input: 'later\n' });
  assert.equal(resumed.status, 0, resumed.stderr.toString());
  const s = new RecordingSession();
  try {
    await s.attach({ journal, program: steps, dirs: [`${dir}/out::/out`] });
    // The second run is the greeting alone: it went on inside the first run's read of stdin.
    assert.equal(s.output.map((c) => c.text).join(''), 'hello later\n');
    await s.travel(0);
    assert.equal(s.info(0)?.call, 'fd_write', 'its first call is the greeting (it resumed inside the read)');
  } finally {
    await s.terminate();
  }
});

test('session: a recording cut inside its last write (a crash) opens post-mortem without that write\'s output', async () => {
  const dir = tempDir('wj-cut-');
  const good = path.join(dir, 'good.journal');
  const s0 = new RecordingSession();
  const full: string[] = [];
  s0.on('output', (c) => full.push(c.text));
  try {
    assert.equal((await recorded(s0, { program: STEPS_WASM, journal: good, stdin: 'ada\n' })).reason, 'exit');
  } finally {
    await s0.terminate();
  }
  // The records, and the last write to stdout among them: the journal is cut in its middle.
  const bytes = fs.readFileSync(good);
  const fd = fs.openSync(good, 'r');
  const scanner = new RecordScanner(fd, bytes.length, { name: good });
  const writes: { offset: number; size: number }[] = [];
  for (let r = scanner.next(); r; r = scanner.next()) if (kindByTag(r.kind)?.name === 'FileDescriptorWriteV1') writes.push({ offset: r.offset, size: r.size });
  fs.closeSync(fd);
  const last = writes.at(-1)!;
  const cut = path.join(dir, 'cut.journal');
  fs.writeFileSync(cut, bytes.subarray(0, last.offset + Math.floor(last.size / 2)));
  const s = new RecordingSession();
  const seen: string[] = [];
  s.on('output', (c) => seen.push(c.text));
  try {
    await s.attach({ journal: cut, program: STEPS_WASM });
    const text = full.join('');
    assert.match(text, /hello ada\n$/);
    // Everything the program wrote before its last write (the one the cut leaves half), and not that one.
    assert.equal(seen.join(''), text.slice(0, -'hello ada\n'.length));
  } finally {
    await s.terminate();
  }
});
