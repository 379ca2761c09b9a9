// Snapshot benchmarks, each against a baseline measured in the same run:
//  - instrumentation time per MB of module: first (npm binaryen loaded and compiled by V8), again, and cached;
//  - overhead of an instrumented, journaled run with the default triggers against node:wasi running the original
//    module, on a CPU-bound guest (goal at most 1.15x);
//  - the same on a CPU-bound loop in main after a read of stdin (main instrumented), built as is and through
//    wasm-opt -O2 (its helpers inlined into main; goal at most 1.15x);
//  - an incremental snapshot of a 256 MiB guest with 1 MiB changed, as memory scanned per second against
//    Buffer.equals over the same bytes (goal at least 0.5 of it);
//  - restoring snapshot k of 1,000 in a 64 MiB guest (goal under 50 ms).
// Prints a markdown report (for docs/benchmarks.md). Usage: node out/bench/snapshot.js [--quick]

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { WASI } from 'node:wasi';
import { LogFileJournal } from '../src/journal/log-file';
import { loadModule } from '../src/runtime/module';
import { Process, sinkFor } from '../src/runtime/process';
import { CapturedTerminal, runProgram } from '../src/runtime/runtime';
import { instrument } from '../src/runtime/snapshot/instrument';
import { restoreMemory, Snapshotter } from '../src/runtime/snapshot/snapshotter';
import { indexedResume } from '../src/runtime/snapshot/indexed-resume';
import { SnapshotIndex } from '../src/journal/snapshot-index';
import { DEFAULT_TRIGGERS } from '../src/runtime/snapshot/triggers';
import { LiveWorld, RecordingWorld } from '../src/runtime/world';

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 3 : 7;
const root = path.resolve(__dirname, '..', '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wj-bench-snap-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
const devNull = fs.openSync('/dev/null', 'w');

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function ms(f: () => void): number {
  const t = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

async function instrumentation(): Promise<{ rows: string[]; tool: string }> {
  const rows: string[] = [];
  let tool = '';
  process.env.WASM_JOURNAL_CACHE = path.join(tmp, 'cache');
  for (const file of [path.join(root, 'bench', 'guests', 'cpu.wasm'), path.join(root, 'test', 'fixtures', 'guests', 'files.wasm')]) {
    const m = await loadModule(fs.readFileSync(file), file);
    const hash = Buffer.from(m.hash).toString('hex');
    const first = await instrument(m.bytes, hash);
    const again = await instrument(m.bytes, hash, { noCache: true });
    const cached = await instrument(m.bytes, hash);
    tool = first.tool ?? again.tool ?? '';
    const mb = m.bytes.length / 1e6;
    rows.push(`| ${path.basename(file)} | ${(m.bytes.length / 1024).toFixed(0)} KiB -> ${(first.bytes.length / 1024).toFixed(0)} KiB | ${first.ms} | ${again.ms} | ${cached.ms} | ${(again.ms / mb / 1000).toFixed(1)} s/MB |`);
  }
  return { rows, tool };
}

/** A stdin that holds `text`, then its end. */
function stdinOf(text: string): { ready(): boolean; read(max: number): Uint8Array } {
  let left: Uint8Array = Buffer.from(text);
  return {
    ready: () => true,
    read: (max) => {
      const out = left.subarray(0, max);
      left = left.subarray(out.length);
      return out;
    },
  };
}

/**
 * A guest of bench/guests run by node:wasi on the original module, then instrumented and journaled with the default
 * triggers (in memory): the medians of ROUNDS rounds after a warm-up, in ms. `input`: its standard input.
 */
async function againstNodeWasi(name: string, args: string[], input?: string): Promise<{ base: number; ours: number }> {
  const file = path.join(root, 'bench', 'guests', `${name}.wasm`);
  const m = await loadModule(fs.readFileSync(file), file);
  const inputFile = path.join(tmp, `${name}.in`);
  if (input !== undefined) fs.writeFileSync(inputFile, input);
  const base: number[] = [];
  const ours: number[] = [];
  for (let i = 0; i <= ROUNDS; i++) {
    let t = process.hrtime.bigint();
    const stdin = input === undefined ? undefined : fs.openSync(inputFile, 'r');
    const wasi = new WASI({ version: 'preview1', args: [name, ...args], env: {}, stdin, stdout: devNull, returnOnExit: true });
    wasi.start(new WebAssembly.Instance(m.module, wasi.getImportObject() as WebAssembly.Imports) as unknown as object);
    if (stdin !== undefined) fs.closeSync(stdin);
    const b = Number(process.hrtime.bigint() - t) / 1e6;
    const jf = path.join(tmp, `${name}.journal`);
    fs.rmSync(jf, { force: true });
    t = process.hrtime.bigint();
    const j = LogFileJournal.openAppend(jf);
    const sink = sinkFor(j);
    const live = new LiveWorld([name, ...args], [], 'memory', [], 0, [], undefined, input === undefined ? {} : { stdin: stdinOf(input) });
    await runProgram({
      module: m,
      world: new RecordingWorld(live, (e) => sink.write(e)),
      sink,
      terminal: new CapturedTerminal(),
      snapshots: { triggers: DEFAULT_TRIGGERS },
    });
    j.close();
    const o = Number(process.hrtime.bigint() - t) / 1e6;
    if (i > 0) {
      base.push(b);
      ours.push(o);
    }
  }
  return { base: median(base), ours: median(ours) };
}

/** The CPU-bound guest (bench/guests/cpu.c). */
function overhead(): Promise<{ base: number; ours: number }> {
  return againstNodeWasi('cpu', quick ? ['10'] : []);
}

/** bench/guests/cpuloop.c as built and through wasm-opt -O2. */
async function loopOverhead(): Promise<{ name: string; base: number; ours: number }[]> {
  const out: { name: string; base: number; ours: number }[] = [];
  for (const name of ['cpuloop', 'cpuloop-opt']) out.push({ name, ...(await againstNodeWasi(name, [], quick ? '5\n' : '30\n')) });
  return out;
}

/** A process to snapshot: a real one over an in-memory folder (what the snapshot records of descriptors). */
function snapshotterFor(memory: WebAssembly.Memory, journal: LogFileJournal): Snapshotter {
  const world = new LiveWorld(['bench'], [], 'memory', []);
  const start = world.start();
  const proc = new Process(world, sinkFor(journal), new CapturedTerminal(), [], start.tty, start.startNs);
  return new Snapshotter({}, memory, proc, sinkFor(journal), false);
}

function fill(mem: Uint8Array, seed: number): void {
  let x = seed;
  for (let i = 0; i < mem.length; i += 4096) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    mem[i] = x & 0xff;
  }
}

function incremental(): { ours: number; equals: number; mb: number } {
  const size = (quick ? 64 : 256) << 20;
  const memory = new WebAssembly.Memory({ initial: size >>> 16 });
  const jf = path.join(tmp, 'incr.journal');
  fs.rmSync(jf, { force: true });
  const journal = LogFileJournal.openAppend(jf, { sync: 'never' });
  const snap = snapshotterFor(memory, journal);
  const mem = new Uint8Array(memory.buffer);
  fill(mem, 1);
  snap.snapshotWithoutStack('explicit'); // the first, complete snapshot
  const copy = Buffer.from(mem);
  const ours: number[] = [];
  const equals: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    // 1 MiB changed, in 16 pieces of 64 KiB spread over the memory.
    for (let p = 0; p < 16; p++) mem.fill((r + p) & 0xff, Math.floor((p / 16) * size) + 4096, Math.floor((p / 16) * size) + 4096 + 65536);
    ours.push(ms(() => snap.snapshotWithoutStack('explicit')));
    copy.set(mem);
    const view = Buffer.from(mem.buffer, 0, mem.length);
    equals.push(ms(() => void view.equals(copy)));
  }
  journal.close();
  return { ours: median(ours), equals: median(equals), mb: size / (1 << 20) };
}

/**
 * The guest's pause for a snapshot of a 256 MiB memory with 16 MiB changed (16 pieces of 1 MiB, a C heap's kind of
 * bytes): the snapshot written by the caller's thread, and with the background writer (compressing and writing on
 * its own thread); against copying the 16 MiB changed, in the same run.
 */
function pause(): { plain: number; background: number; memcpy: number; mb: number; changedMb: number } {
  const size = (quick ? 64 : 256) << 20;
  const piece = (quick ? 256 : 1024) << 10;
  const out = { plain: 0, background: 0, memcpy: 0, mb: size >> 20, changedMb: (16 * piece) >> 20 };
  for (const background of [false, true]) {
    const memory = new WebAssembly.Memory({ initial: size >>> 16 });
    const jf = path.join(tmp, `pause-${background}.journal`);
    fs.rmSync(jf, { force: true });
    const journal = LogFileJournal.openAppend(jf, { background });
    const snap = snapshotterFor(memory, journal);
    const mem = new Uint8Array(memory.buffer);
    fill(mem, 1);
    snap.snapshotWithoutStack('explicit');
    journal.flush();
    const times: number[] = [];
    const copies: number[] = [];
    const target = new Uint8Array(16 * piece);
    for (let r = 0; r < ROUNDS; r++) {
      for (let p = 0; p < 16; p++) {
        const at = Math.floor((p / 16) * size);
        for (let i = at; i < at + piece; i += 8) mem[i] = (i * (r + 3)) & 0xff;
      }
      times.push(ms(() => snap.snapshotWithoutStack('explicit')));
      copies.push(ms(() => {
        for (let p = 0; p < 16; p++) {
          const at = Math.floor((p / 16) * size);
          target.set(mem.subarray(at, at + piece), p * piece);
        }
      }));
      // The writer catches up between snapshots (the guest ran on meanwhile).
      journal.flush();
    }
    journal.close();
    if (background) out.background = median(times);
    else out.plain = median(times);
    out.memcpy = median(copies);
  }
  return out;
}

interface RestoreRow {
  k: number;
  ms: number;
  memoryMb: number;
  records: number;
}

/**
 * Restoring snapshot k of 1,000 of a real 64 MiB guest (bench/guests/snapmem.c: 64 KiB changed before each explicit
 * snapshot): the snapshot is gathered through the journal's index (indexedResume: index, effects, thread state,
 * cursors) and its memory written into a fresh memory grown to the snapshot's size, as Snapshotter.resume does.
 */
async function restoreK(): Promise<{ rows: RestoreRow[]; build: number; load: number; journalMb: number; indexMb: number; count: number }> {
  const count = quick ? 100 : 1000;
  const file = path.join(root, 'bench', 'guests', 'snapmem.wasm');
  const m = await loadModule(fs.readFileSync(file), file);
  const jf = path.join(tmp, 'k.journal');
  fs.rmSync(jf, { force: true });
  const j = LogFileJournal.openAppend(jf, { sync: 'never' });
  const sink = sinkFor(j);
  const out = new CapturedTerminal();
  await runProgram({
    module: m,
    world: new RecordingWorld(new LiveWorld(['snapmem', String(count)], [], 'memory', []), (e) => sink.write(e)),
    sink,
    terminal: out,
    snapshots: { triggers: ['explicit'] },
  });
  j.close();
  const build = ms(() => SnapshotIndex.rebuild(jf));
  const load = ms(() => SnapshotIndex.open(jf));
  const rows: RestoreRow[] = [];
  for (const k of [1, Math.floor(count / 2), count - 1]) {
    const times: number[] = [];
    let memoryMb = 0;
    let records = 0;
    for (let r = 0; r < ROUNDS; r++) {
      const memory = new WebAssembly.Memory({ initial: 2 });
      times.push(
        ms(() => {
          const resume = indexedResume(jf, k)!;
          restoreMemory(memory, resume.point);
          memoryMb = resume.memoryBytes / (1 << 20);
        }),
      );
      records = SnapshotIndex.open(jf).plan(k).memory.length;
    }
    rows.push({ k, ms: median(times), memoryMb, records });
  }
  return { rows, build, load, journalMb: fs.statSync(jf).size / 1e6, indexMb: fs.statSync(SnapshotIndex.pathFor(jf)).size / 1e6, count };
}

function pauseReport(ps: ReturnType<typeof pause>): void {
  console.log(
    `The guest's pause for a snapshot of a ${ps.mb} MiB memory with ${ps.changedMb} MiB changed (16 pieces, every 8th byte written): written by its own thread ${ps.plain.toFixed(1)} ms, ` +
      `with the background writer (LZ4 and the file on its thread) **${ps.background.toFixed(1)} ms**; copying the changed bytes ${ps.memcpy.toFixed(1)} ms: ` +
      `**${(ps.background / ps.memcpy).toFixed(1)}x** the copy (${(ps.plain / ps.memcpy).toFixed(1)}x without the writer; goal at most 3x: ${ps.background / ps.memcpy <= 3 ? 'met' : 'not met'}).\n`,
  );
}

async function main(): Promise<void> {
  // --only=pause: that figure alone.
  if (process.argv.includes('--only=pause')) return pauseReport(pause());
  const inst = await instrumentation();
  const over = await overhead();
  const loops = await loopOverhead();
  const incr = incremental();
  const ps = pause();
  const rest = await restoreK();
  const cores = os.cpus();
  console.log('### Snapshots (bench/snapshot.ts)\n');
  console.log(`${new Date().toISOString().slice(0, 10)}, node ${process.version}, ${cores.length} cores (${cores[0]?.model.trim() ?? '?'}); medians of ${ROUNDS} rounds.\n`);
  console.log(`Instrumentation (${inst.tool}; the recipe of docs/snapshots.md), ms:\n`);
  console.log('| module | size | first | again | cached | per MB |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: |');
  inst.rows.forEach((r) => console.log(r));
  const ratio = over.ours / over.base;
  console.log(`\nCPU-bound guest (bench/guests/cpu.c), instrumented and journaled with the default triggers (${DEFAULT_TRIGGERS.join(', ')}), against node:wasi running the original module: ${over.base.toFixed(0)} ms vs ${over.ours.toFixed(0)} ms, **${ratio.toFixed(2)}x** (goal at most 1.15: ${ratio <= 1.15 ? 'met' : 'not met'}).\n`);
  for (const l of loops) {
    const r = l.ours / l.base;
    console.log(`CPU-bound loop in main after a read of stdin (bench/guests/cpuloop.c, main instrumented)${l.name.endsWith('-opt') ? ', linked through wasm-opt -O2 (its helpers inlined into main)' : ', as built (its helpers calls)'}, the same way: ${l.base.toFixed(0)} ms vs ${l.ours.toFixed(0)} ms, **${r.toFixed(2)}x** (goal at most 1.15: ${r <= 1.15 ? 'met' : 'not met'}).\n`);
  }
  const speed = incr.mb / 1024 / (incr.ours / 1000);
  const eqSpeed = incr.mb / 1024 / (incr.equals / 1000);
  console.log(`Incremental snapshot of a ${incr.mb} MiB guest with 1 MiB changed (16 pieces of 64 KiB), written to a log file: ${incr.ours.toFixed(1)} ms, ${speed.toFixed(1)} GB/s of memory scanned; Buffer.equals over the same bytes ${incr.equals.toFixed(1)} ms, ${eqSpeed.toFixed(1)} GB/s: **${(speed / eqSpeed).toFixed(2)}** of it (goal at least 0.5: ${speed / eqSpeed >= 0.5 ? 'met' : 'not met'}).\n`);
  pauseReport(ps);
  console.log(`Restoring snapshot k of ${rest.count} of a 64 MiB guest (bench/guests/snapmem.c, 64 KiB changed before each snapshot; journal ${rest.journalMb.toFixed(1)} MB, its index ${rest.indexMb.toFixed(2)} MB, built in ${rest.build.toFixed(0)} ms, loaded in ${rest.load.toFixed(1)} ms): gathering the snapshot through the index and writing its memory into a fresh memory, as a restore does (instantiating the module is the same for every k and not included):\n`);
  console.log('| k | ms | memory records read | MiB decompressed | goal under 50 ms |');
  console.log('| ---: | ---: | ---: | ---: | --- |');
  for (const r of rest.rows) console.log(`| ${r.k} | ${r.ms.toFixed(1)} | ${r.records} | ${r.memoryMb.toFixed(1)} | ${r.ms < 50 ? 'met' : 'not met'} |`);
}

void main();
