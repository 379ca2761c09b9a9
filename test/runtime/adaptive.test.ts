// Adaptive instrumentation (src/runtime/snapshot/adaptive.ts): the module as built runs at once; a snapshot point
// whose stack the running module cannot unwind instruments the functions on it, re-executes the run in the new
// module from the recording, and takes the snapshot there; later runs start from the cached stack set.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { LogFileJournal, readEntries } from '../../src/journal';
import { cacheDir, instrument } from '../../src/runtime/snapshot/instrument';
import { functionCount } from '../../src/runtime/snapshot/wasm-binary';
import { GUESTS } from '../helpers/guest';
import { tempDir } from '../helpers/tmp';

const ROOT = path.join(__dirname, '..', '..', '..');
const BIN = path.join(ROOT, 'out', 'src', 'cli', 'bin.js');
const DEEP = path.join(GUESTS, 'deep.wasm');
const INPUT = 'one\ntwo\nthree\n';

function cli(args: string[], input = '', env: Record<string, string> = {}): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { input, maxBuffer: 1 << 26, env: { ...process.env, WASM_JOURNAL_WASM_OPT: 'npm', ...env } });
  return { code: r.status ?? -1, out: r.stdout.toString(), err: r.stderr.toString() };
}

/** The instrumented functions each snapshot's thread state names, in journal order. */
function snapshotFunctions(journal: string): (number[] | undefined)[] {
  const j = LogFileJournal.openRead(journal);
  const out: (number[] | undefined)[] = [];
  for (const e of readEntries(j)) {
    if (e.kind !== 'SetThreadV1') continue;
    const store = JSON.parse(Buffer.from(e.store_data).toString('utf8')) as { instrumented?: { functions?: number[] } };
    out.push(store.instrumented?.functions);
  }
  j.close();
  return out;
}

const moduleHash = (file: string): string => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

test('adaptive, waiting (WASM_JOURNAL_ADAPTIVE=wait): the module as built runs first; each new stack at a snapshot point is instrumented and re-executed to, the snapshot taken where its trigger fired; every snapshot resumes; the next run starts from the cached set', () => {
  const cache = tempDir('wj-cache-');
  const env = { WASM_JOURNAL_CACHE: cache, WASM_JOURNAL_ADAPTIVE: 'wait' };
  const plain = cli(['run', DEEP, '40', '2'], INPUT, env);
  assert.equal(plain.code, 0, plain.err);
  const dir = tempDir('wj-adapt-');
  const j = path.join(dir, 'a.journal');
  // Snapshots at every read of stdin (inside fgets), at the clock (inside clock_gettime: a stack the reads did not
  // show) and at the explicit request.
  const first = cli(['run', DEEP, '40', '2', '--snapshot-on', 'non-deterministic-call,explicit', '--journal-writable', j], INPUT, env);
  assert.equal(first.code, 0, first.err);
  assert.equal(first.out, plain.out, 'the switches are invisible to the program');
  const switches = first.err.match(/instrumenting the module for snapshots: the \d+ functions seen on its call stacks/g) ?? [];
  assert.equal(switches.length, 2, first.err);
  assert.doesNotMatch(first.err, /no .* snapshot|cannot/);
  const sets = snapshotFunctions(j);
  assert.ok(sets.length >= 3, `snapshots: ${sets.length}`);
  assert.ok(sets.every((s) => Array.isArray(s) && s.length > 0), 'every snapshot holds its call stack');
  const last = sets[sets.length - 1]!;
  assert.ok(sets[0]!.length < last.length && sets[0]!.every((f) => last.includes(f)), 'the set grew at the clock');
  // Far fewer than what can reach a snapshot import.
  assert.ok(last.length < functionCount(fs.readFileSync(DEEP)) / 3, `${last.length} functions`);
  const kept = JSON.parse(fs.readFileSync(path.join(cache, path.basename(cacheDir()), `${moduleHash(DEEP)}.stacks.json`), 'utf8')) as { functions: number[] };
  assert.deepEqual(kept.functions, last);

  // The journal is the run's, whole: a replay reproduces it exactly.
  const replay = cli(['replay', j, DEEP], '', env);
  assert.equal(replay.code, 0, replay.err + replay.out);
  assert.match(replay.out + replay.err, /reproduced exactly/);
  // The first snapshot (before any read) and the last (after the explicit request) resume where they were taken.
  const fromFirst = cli(['run', DEEP, '40', '2', '--journal', j, '--at', '0', '--dir', `${tempDir('wj-adapt-')}::/x`], INPUT, env);
  assert.equal(fromFirst.code, 0, fromFirst.err);
  assert.equal(fromFirst.out, plain.out);
  assert.doesNotMatch(fromFirst.err, /restarts main|instrumenting/);
  const fromLast = cli(['run', DEEP, '40', '2', '--journal', j, '--at', String(sets.length - 1)], '', env);
  assert.equal(fromLast.code, 0, fromLast.err);
  assert.equal(fromLast.out, plain.out);

  // The next run starts with the module instrumented for the set it learned: nothing to instrument, nothing to redo.
  const j2 = path.join(dir, 'b.journal');
  const second = cli(['run', DEEP, '40', '2', '--snapshot-on', 'non-deterministic-call,explicit', '--journal-writable', j2], INPUT, env);
  assert.equal(second.code, 0, second.err);
  assert.equal(second.out, plain.out);
  assert.doesNotMatch(second.err, /instrumenting/);
  assert.deepEqual(snapshotFunctions(j2), sets.map(() => last));
  assert.equal(cli(['replay', j2, DEEP], '', env).code, 0);
});

test('adaptive: a snapshot with its stack at first-stdin, stopped there and resumed elsewhere (an empty cache: the snapshot names its functions, and they are instrumented again)', () => {
  const env = { WASM_JOURNAL_CACHE: tempDir('wj-cache-') };
  const plain = cli(['run', DEEP, '30', '2'], INPUT, env);
  const j = path.join(tempDir('wj-adapt-'), 'c.journal');
  const stopped = cli(['run', DEEP, '30', '2', '--snapshot-on', 'first-stdin', '--stop-after-snapshot', '--journal-writable', j], '', env);
  assert.equal(stopped.code, 0, stopped.err);
  assert.match(stopped.err, /stopped after a snapshot \(first-stdin\)/);
  const elsewhere = { WASM_JOURNAL_CACHE: tempDir('wj-cache-') };
  const resumed = cli(['run', DEEP, '30', '2', '--journal', j], INPUT, elsewhere);
  assert.equal(resumed.code, 0, resumed.err);
  assert.equal(resumed.out, plain.out);
});

test('adaptive: a module whose adaptive instrumentation failed before is instrumented as a whole (the static analysis), and WASM_JOURNAL_INSTRUMENT=static asks for it', () => {
  for (const how of ['failed', 'asked'] as const) {
    const cache = tempDir('wj-cache-');
    const env: Record<string, string> = { WASM_JOURNAL_CACHE: cache };
    if (how === 'failed') {
      fs.mkdirSync(path.join(cache, path.basename(cacheDir())), { recursive: true });
      fs.writeFileSync(path.join(cache, path.basename(cacheDir()), `${moduleHash(DEEP)}.stacks.json`), JSON.stringify({ functions: [], static: 'a re-execution diverged' }));
    } else env.WASM_JOURNAL_INSTRUMENT = 'static';
    const j = path.join(tempDir('wj-adapt-'), 'd.journal');
    const r = cli(['run', DEEP, '20', '2', '--snapshot-on', 'first-stdin', '--stop-after-snapshot', '--journal-writable', j], '', env);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /instrumenting the module for snapshots \(/, how);
    assert.equal(snapshotFunctions(j)[0], undefined, 'the static recipe lists no functions');
  }
});

test('instrumenting chosen functions: only their bodies change; every other function is exactly as built', async () => {
  const bytes = fs.readFileSync(DEEP);
  const module = await WebAssembly.compile(bytes);
  const imported = WebAssembly.Module.imports(module).filter((i) => i.kind === 'function').length;
  const chosen = [imported, imported + 3];
  const r = await instrument(bytes, moduleHash(DEEP), { noCache: true, tool: 'npm', functions: chosen });
  assert.deepEqual(r.instrumented, { only: 2, functions: functionCount(bytes) });
  const bodies = (b: Uint8Array): Buffer[] => {
    // The code section's bodies, by a tiny reader of our own (sizes are LEB128).
    const out: Buffer[] = [];
    let p = 8;
    const leb = (): number => {
      let n = 0;
      let shift = 0;
      for (;;) {
        const x = b[p++];
        n += (x & 0x7f) * 2 ** shift;
        shift += 7;
        if (x < 0x80) return n;
      }
    };
    while (p < b.length) {
      const id = b[p++];
      const size = leb();
      const end = p + size;
      if (id === 10) {
        const count = leb();
        for (let i = 0; i < count; i++) {
          const s = leb();
          out.push(Buffer.from(b.subarray(p, p + s)));
          p += s;
        }
      }
      p = end;
    }
    return out;
  };
  const before = bodies(bytes);
  const after = bodies(r.bytes);
  assert.ok(after.length > before.length, 'asyncify adds its functions after the module\'s own');
  let same = 0;
  for (let d = 0; d < before.length; d++) {
    if (chosen.includes(imported + d)) assert.notDeepEqual(after[d], before[d], `function ${imported + d} is instrumented`);
    else if (Buffer.compare(after[d], before[d]) === 0) same++;
  }
  // Bodies that name a type index may differ only in that index (the join orders types canonically).
  assert.ok(same > (before.length - chosen.length) * 0.9, `${same} of ${before.length - chosen.length} unchanged`);
});

test('adaptive: a run that keeps meeting new stacks re-executes a bounded number of times, then instruments the module as a whole (every stack covered)', () => {
  const env = { WASM_JOURNAL_CACHE: tempDir('wj-cache-'), WASM_JOURNAL_ADAPTIVE_SWITCHES: '1', WASM_JOURNAL_ADAPTIVE: 'wait' };
  const plain = cli(['run', DEEP, '25', '2'], INPUT, env);
  const j = path.join(tempDir('wj-adapt-'), 'e.journal');
  const r = cli(['run', DEEP, '25', '2', '--snapshot-on', 'non-deterministic-call,explicit', '--journal-writable', j], INPUT, env);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, plain.out);
  assert.match(r.err, /the \d+ functions seen on its call stacks[^]*as a whole, after 1 re-executions/);
  const sets = snapshotFunctions(j);
  assert.ok(Array.isArray(sets[0]) && sets[sets.length - 1] === undefined, 'chosen functions first, then the static recipe');
  assert.equal(cli(['replay', j, DEEP], '', env).code, 0);
  const fromLast = cli(['run', DEEP, '25', '2', '--journal', j, '--at', String(sets.length - 1)], '', env);
  assert.equal(fromLast.code, 0, fromLast.err);
  assert.equal(fromLast.out, plain.out);
});

test('adaptive, deferred (WASM_JOURNAL_ADAPTIVE=defer; the default for large modules in a run that goes on): the program goes on while the module is instrumented; the snapshot is taken at a later covered call, or, when the program ends first, by the next runs where its trigger fires', () => {
  const cache = tempDir('wj-cache-');
  const env = { WASM_JOURNAL_CACHE: cache, WASM_JOURNAL_ADAPTIVE: 'defer' };
  const plain = cli(['run', DEEP, '40', '2'], INPUT, env);
  const dir = tempDir('wj-adapt-');
  const j = path.join(dir, 'f.journal');
  const first = cli(['run', DEEP, '40', '2', '--snapshot-on', 'first-stdin', '--journal-writable', j], INPUT, env);
  assert.equal(first.code, 0, first.err);
  assert.equal(first.out, plain.out);
  assert.match(first.err, /instrumenting the module for snapshots in the background: the \d+ functions seen on its call stacks/);
  const taken = snapshotFunctions(j);
  if (taken.length === 0) assert.match(first.err, /the program ended first; finishing the instrumentation for the next runs/);
  else assert.ok(taken.every((s) => Array.isArray(s)));
  assert.equal(cli(['replay', j, DEEP], '', env).code, 0, 'the journal is the run\'s, whole');
  // The next run has the module: the snapshot where the trigger fires, nothing instrumented or re-executed.
  const j2 = path.join(dir, 'g.journal');
  const second = cli(['run', DEEP, '40', '2', '--snapshot-on', 'first-stdin', '--journal-writable', j2], INPUT, env);
  assert.equal(second.code, 0, second.err);
  assert.equal(second.out, plain.out);
  assert.doesNotMatch(second.err, /instrumenting/);
  // first-stdin, and the program's explicit request (always on).
  assert.equal(snapshotFunctions(j2).length, 2);
  assert.ok(snapshotFunctions(j2).every((s) => Array.isArray(s)));
  const resumed = cli(['run', DEEP, '40', '2', '--journal', j2, '--at', '0'], INPUT, env);
  assert.equal(resumed.code, 0, resumed.err);
  assert.equal(resumed.out, plain.out);
});

test('adaptive: a run that restores a journal\'s effects into a host folder first re-executes them the same way (answered from the recording, the folder untouched by the re-execution)', () => {
  const stdin = path.join(GUESTS, 'stdin.wasm');
  const input = fs.readFileSync(path.join(GUESTS, 'expected', 'stdin.input'), 'utf8');
  const dir = tempDir('wj-adapt-');
  const j = path.join(tempDir('wj-adapt-'), 'h.journal');
  const once = cli(['run', stdin, '--dir', `${dir}::/sandbox`, '--journal-writable', j], input, { WASM_JOURNAL_CACHE: tempDir('wj-cache-') });
  assert.equal(once.code, 0, once.err);
  const before = fs.readFileSync(path.join(dir, 'upper.txt'));
  // A fresh cache: the second run (restoring the first's effects) instruments and re-executes at its first read.
  const env = { WASM_JOURNAL_CACHE: tempDir('wj-cache-'), WASM_JOURNAL_ADAPTIVE: 'wait' };
  const twice = cli(['run', stdin, '--dir', `${dir}::/sandbox`, '--journal-writable', j], input, env);
  assert.equal(twice.code, 0, twice.err);
  assert.match(twice.err, /instrumenting the module for snapshots: the \d+ functions/);
  assert.ok(twice.out.endsWith(once.out), 'the restored terminal text, then the same run');
  assert.deepEqual(fs.readFileSync(path.join(dir, 'upper.txt')), before);
  const sets = snapshotFunctions(j);
  assert.ok(sets.length >= 1 && Array.isArray(sets[sets.length - 1]), "the second run's snapshot holds its call stack");
  const replay = cli(['replay', j, stdin], '', env);
  assert.equal(replay.code, 0, replay.err);
  assert.match(replay.out + replay.err, /run 2 of 2 reproduced exactly/);
});

test('adaptive: a run resumed from a snapshot taken with chosen functions takes its own snapshots only where that module can unwind (the others are skipped, saying why, and learned for the next runs); each resumes', () => {
  const misc = path.join(GUESTS, 'misc.wasm');
  const env = { WASM_JOURNAL_CACHE: tempDir('wj-cache-'), WASM_JOURNAL_ADAPTIVE: 'wait' };
  const plain = cli(['run', misc], '', env);
  assert.equal(plain.code, 0, plain.err);
  const j = path.join(tempDir('wj-adapt-'), 'm.journal');
  const first = cli(['run', misc, '--snapshot-on', 'non-deterministic-call', '--journal-writable', j], '', env);
  assert.equal(first.code, 0, first.err);
  const firstSets = snapshotFunctions(j);
  // Later stacks grew the set (or, after three re-executions, the module was instrumented as a whole: no list).
  const last = firstSets[firstSets.length - 1];
  assert.ok(Array.isArray(firstSets[0]) && (last === undefined || firstSets[0]!.length < last.length), 'the first snapshot was taken with fewer functions than later ones');
  // On from snapshot 0 (its module: the few functions seen then), taking snapshots at every clock and random call.
  const second = cli(['run', misc, '--snapshot-on', 'non-deterministic-call', '--journal-writable', j, '--at', '0', '--skip-journal-stdio'], '', env);
  assert.equal(second.code, 0, second.err);
  assert.match(second.err, /no non-deterministic-call snapshot at \w+: its call stack holds \d+ function\(s\) the module this run resumed in was not instrumented for/);
  const sets = snapshotFunctions(j);
  const taken = sets.length - firstSets.length;
  assert.ok(taken >= 1, `the resumed run took the snapshots its module covers (${taken})`);
  assert.ok(sets.slice(firstSets.length).every((s) => JSON.stringify(s) === JSON.stringify(firstSets[0])), 'with the module it resumed in');
  // Every snapshot of both runs resumes: run 1's print the whole run's output; run 2's print the terminal text
  // restored (a beginning of it) and then go on where the snapshot was (an end of it). The replay of run 2 is exact.
  for (let k = 0; k < sets.length; k++) {
    const r = cli(['run', misc, '--journal', j, '--at', String(k)], '', env);
    assert.equal(r.code, 0, `snapshot ${k}: ${r.err}`);
    if (k < firstSets.length) assert.equal(r.out, plain.out, `snapshot ${k}`);
    else {
      let a = 0;
      while (a < r.out.length && r.out[a] === plain.out[a]) a++;
      assert.ok(plain.out.endsWith(r.out.slice(a)) && r.out.length - a < plain.out.length - 10, `snapshot ${k} goes on where it was: ${JSON.stringify(r.out.slice(a, a + 200))}`);
    }
  }
  assert.match(cli(['replay', j, misc], '', env).err, /run 2 of 2 reproduced exactly/);
});
