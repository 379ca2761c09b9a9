// Debugger benchmarks (issue 10), through the real adapter (`wasm-journal dap` of the bundle as a child process, a real DAP client),
// each against a baseline measured in the same run:
//  - Step Back, request to stopped event, on a 64 MiB guest with 1,000 snapshots (goal under 100 ms), against a
//    restore of a snapshot of the same journal into fresh memory (the engine's restore, what `run --at` does);
//  - `travel` to points of a recording of 100,000 host calls (goal under 200 ms), against re-executing the whole
//    recording (`replay`, in this process);
//  - recording overhead of a debug session with the default snapshot policy against `wasm-journal run
//    --journal-writable` on the same program (goal at most 1.3x), each a process from its spawn to the program's
//    end, on 100,000 and 1,000,000 host calls (and, for information, without the start-ups, and against the engine
//    warm in this process);
//  - diffMemory of two 256 MiB memories against Buffer.compare over the same bytes (goal at least 0.5 of its speed).
// Prints a markdown report (for docs/benchmarks.md).
// Usage: node out/bench/debug.js [--quick] [--only=stepback,travel,overhead,diff] [--calls=N,M]

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { AdapterClient } from '../test/helpers/dap';
import { LogFileJournal, readAll } from '../src/journal';
import { loadModule } from '../src/runtime/module';
import { CapturedTerminal, replayProgram, runProgram } from '../src/runtime/runtime';
import { sinkFor } from '../src/runtime/process';
import { LiveWorld, RecordingWorld } from '../src/runtime/world';
import { DEFAULT_TRIGGERS } from '../src/runtime/snapshot/triggers';
import { indexedResume } from '../src/runtime/snapshot/indexed-resume';
import { restoreMemory } from '../src/runtime/snapshot/snapshotter';
import { diffMemory } from '../src/journal/memory-diff';

const quick = process.argv.includes('--quick');
const root = path.resolve(__dirname, '..', '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wj-bench-debug-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
const SNAPMEM = path.join(root, 'bench', 'guests', 'snapmem.wasm');
// The command as installed (package.json's bin: the bundle `npm run bench` builds), for the adapter and for `run`:
// what a user starts, and what VS Code starts as the adapter.
const BIN = path.join(root, 'dist', 'cli.js');
const CALLS = path.join(root, 'bench', 'guests', 'calls.wasm');

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const max = (xs: number[]): number => Math.max(...xs);
const now = (): number => performance.now();

/** A DAP session on the built adapter, launched and run to the program's end. */
async function recorded(args: Record<string, unknown>): Promise<{ c: AdapterClient; ms: number; runMs: number; end: number }> {
  const c = new AdapterClient(BIN);
  const t0 = now();
  c.startStdio();
  await c.initializeRequest({ adapterID: 'wasm-journal', pathFormat: 'path', linesStartAt1: true, columnsStartAt1: true });
  const stopped = c.waitForEvent('stopped', 600_000);
  const initialized = c.waitForEvent('initialized', 60_000);
  await c.launchRequest(args as DebugProtocol.LaunchRequestArguments);
  await initialized;
  const t1 = now();
  await c.configurationDoneRequest();
  const s = (await stopped) as DebugProtocol.StoppedEvent;
  const ms = now() - t0;
  const runMs = now() - t1;
  if (s.body.reason !== 'exit') throw new Error(`the program stopped (${s.body.reason}) before its end`);
  const tl = (await c.customRequest('timeline', { start: 0, count: 0 })).body as { total: number };
  return { c, ms, runMs, end: tl.total };
}

async function timed(c: AdapterClient, send: () => Promise<unknown>): Promise<number> {
  const t0 = now();
  await c.moved(send);
  return now() - t0;
}

async function stepBack(): Promise<{ ours: number[]; base: number[]; snapshots: number }> {
  const count = quick ? 200 : 1000;
  const journal = path.join(tmp, 'snapmem.journal');
  const { c } = await recorded({ program: SNAPMEM, args: [String(count)], journal, snapshotOn: ['explicit'] });
  const ours: number[] = [];
  try {
    // The first step back reads the recording's tail; then steady steps, each restoring the snapshot before.
    await timed(c, () => c.stepBackRequest({ threadId: 1 }));
    for (let i = 0; i < (quick ? 10 : 30); i++) ours.push(await timed(c, () => c.stepBackRequest({ threadId: 1 })));
  } finally {
    await c.close();
  }
  const base: number[] = [];
  for (const k of [count - 2, count - 3, Math.floor(count / 2), 1, count - 10]) {
    const memory = new WebAssembly.Memory({ initial: 2 });
    const t0 = now();
    const r = indexedResume(journal, k)!;
    restoreMemory(memory, r.point);
    base.push(now() - t0);
  }
  return { ours, base, snapshots: count };
}

/** A deterministic spread of points over a recording. */
function points(end: number, n: number): number[] {
  let x = 12345;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out.push(x % end);
  }
  return out;
}

async function travel(): Promise<{ ours: number[]; first: number; base: number; end: number; snapshots: number; recordMs: number }> {
  const n = quick ? 30000 : 100000;
  const journal = path.join(tmp, 'calls.journal');
  const { c, end, ms } = await recorded({ program: CALLS, args: [String(n)], journal });
  const ours: number[] = [];
  let first = 0;
  let snapshots = 0;
  try {
    const targets = points(end, quick ? 10 : 40);
    first = await timed(c, () => c.customRequest('travel', { point: targets[0] }));
    for (const p of targets.slice(1)) ours.push(await timed(c, () => c.customRequest('travel', { point: p })));
    snapshots = ((await c.customRequest('timeline', { start: 0, count: 0 })).body as { snapshots: unknown[] }).snapshots.length;
  } finally {
    await c.close();
  }
  const module = await loadModule(fs.readFileSync(CALLS), CALLS);
  const j = LogFileJournal.openRead(journal);
  const records = [...readAll(j)];
  j.close();
  const t0 = now();
  await replayProgram({ module, records, terminal: new CapturedTerminal() });
  return { ours, first, base: now() - t0, end, snapshots, recordMs: ms };
}

/** The engine of `run --journal-writable`, in this process: what recording costs without a debugger. */
async function recordPlain(n: number, jf: string): Promise<number> {
  const module = await loadModule(fs.readFileSync(CALLS), CALLS);
  const j = LogFileJournal.openAppend(jf, {});
  const sink = sinkFor(j);
  const t0 = now();
  await runProgram({
    module,
    world: new RecordingWorld(new LiveWorld(['calls', String(n)], [], 'overlay', []), (e) => sink.write(e)),
    sink,
    terminal: new CapturedTerminal(),
    snapshots: { triggers: DEFAULT_TRIGGERS },
  });
  j.close();
  return now() - t0;
}

/** Host calls of the recording-overhead programs (--calls=N,M; default 100,000 and 1,000,000, a tenth with --quick). */
const OVERHEAD_CALLS = (process.argv.find((a) => a.startsWith('--calls='))?.slice(8) ?? (quick ? '30000,300000' : '100000,1000000')).split(',').map(Number);

interface Overhead {
  n: number;
  base: number[];
  ours: number[];
  cli: number[];
  dap: number[];
  startup: number[];
}

async function overhead(n: number): Promise<Overhead> {
  const base: number[] = [];
  const ours: number[] = [];
  const cli: number[] = [];
  const dap: number[] = [];
  const startup: number[] = [];
  // Nine rounds: on a small shared machine single runs of either move by a tenth.
  const rounds = quick ? 2 : 9;
  for (let r = 0; r < rounds; r++) {
    // The CLI's own start-up (loading it), to take out of `run`'s time.
    let t = now();
    spawnSync(process.execPath, [BIN, '--version'], { stdio: 'ignore' });
    startup.push(now() - t);
    t = now();
    const jf = path.join(tmp, `run-${r}.journal`);
    const t0 = t;
    const run = spawnSync(process.execPath, [BIN, 'run', CALLS, '--journal-writable', jf, '--', String(n)], { stdio: ['ignore', 'ignore', 'pipe'] });
    cli.push(now() - t0);
    if (run.status !== 0) throw new Error(`run failed: ${run.stderr}`);
    base.push(await recordPlain(n, path.join(tmp, `plain-${r}.journal`)));
    const { c, ms, runMs } = await recorded({ program: CALLS, args: [String(n)], journal: path.join(tmp, `dbg-${r}.journal`) });
    dap.push(ms);
    ours.push(runMs);
    await c.close();
  }
  return { n, base, ours, cli, dap, startup };
}

function diff(): { mb: number; ours: number; compare: number; ranges: number } {
  const size = 256 << 20;
  const a = new Uint8Array(size);
  for (let i = 0; i < size; i += 4096) a[i] = (i >>> 12) & 0xff;
  const b = a.slice();
  // 1 MiB changed: 256 pieces of 4 KiB spread over the memory.
  for (let k = 0; k < 256; k++) b.fill(0x5a, k * (size / 256), k * (size / 256) + 4096);
  const same = a.slice();
  const oursT: number[] = [];
  const cmpT: number[] = [];
  let ranges = 0;
  for (let r = 0; r < (quick ? 3 : 7); r++) {
    let t0 = now();
    ranges = diffMemory(a, b, 0, undefined, 10_000).ranges.length;
    oursT.push(now() - t0);
    // Buffer.compare stops at the first difference: over equal bytes it reads all of them.
    t0 = now();
    Buffer.compare(a, same);
    cmpT.push(now() - t0);
  }
  return { mb: size >> 20, ours: median(oursT), compare: median(cmpT), ranges };
}

async function main(): Promise<void> {
  // --only=overhead,diff (any of stepback, travel, overhead, diff) runs those parts alone.
  const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7).split(',');
  const want = (part: string): boolean => !only || only.includes(part);
  const sb = want('stepback') ? await stepBack() : undefined;
  const tr = want('travel') ? await travel() : undefined;
  const ov: Overhead[] = [];
  if (want('overhead')) for (const n of OVERHEAD_CALLS) ov.push(await overhead(n));
  const df = want('diff') ? diff() : undefined;
  const cores = os.cpus();
  console.log('### Debugger (bench/debug.ts)\n');
  console.log(`${new Date().toISOString().slice(0, 10)}, node ${process.version}, ${cores.length} cores (${cores[0]?.model.trim() ?? '?'}); through \`wasm-journal dap\` and a DAP client.\n`);
  if (sb) console.log(`Step Back, request to stopped event, on a 64 MiB guest with ${sb.snapshots} snapshots (bench/guests/snapmem.c), ${sb.ours.length} steps: median **${median(sb.ours).toFixed(1)} ms**, max ${max(sb.ours).toFixed(1)} ms (goal under 100 ms: ${max(sb.ours) < 100 ? 'met' : median(sb.ours) < 100 ? 'met by the median' : 'not met'}); baseline, restoring a snapshot of the same journal into fresh memory: median ${median(sb.base).toFixed(1)} ms.\n`);
  if (tr) console.log(`travel to ${tr.ours.length + 1} points of a recording of ${tr.end} host calls (bench/guests/calls.c; ${tr.snapshots} snapshots of the session's policy; recorded in ${tr.recordMs.toFixed(0)} ms): median **${median(tr.ours).toFixed(1)} ms**, max ${max(tr.ours).toFixed(1)} ms, the first one (which also reads what the replay had not read yet) ${tr.first.toFixed(1)} ms (goal under 200 ms: ${max(tr.ours) < 200 ? 'met' : 'not met'}); baseline, re-executing the whole recording: ${tr.base.toFixed(0)} ms.\n`);
  for (const o of ov) overheadReport(o);
  if (df) diffReport(df);
}

function overheadReport(ov: Overhead): void {
  // The user's comparison: a debug session against `wasm-journal run --journal-writable`, each a process from its
  // spawn to the program's end. Then the same without the processes' start-ups (both cold), and, for information,
  // against the engine warm in this process (its code compiled by the earlier rounds: no user sees that).
  const whole = median(ov.dap) / median(ov.cli);
  const runPhase = median(ov.cli) - median(ov.startup);
  const cold = median(ov.ours) / runPhase;
  const warm = median(ov.ours) / median(ov.base);
  console.log(
    `Recording ${ov.n} host calls (bench/guests/calls.c), from the start to the program's end, ${ov.cli.length} rounds: a debug session (the adapter process spawned, ` +
      `initialized and launched, the program on its worker with the default snapshot policy, the replay worker beside it) median ${median(ov.dap).toFixed(0)} ms, ` +
      `against \`wasm-journal run --journal-writable\` as a process, median ${median(ov.cli).toFixed(0)} ms: **${whole.toFixed(2)}x** (goal at most 1.3: ${whole <= 1.3 ? 'met' : 'not met'}). ` +
      `Without the start-ups: the session from configurationDone to the stop at the end, median ${median(ov.ours).toFixed(0)} ms, against \`run\`'s time less the CLI's own ` +
      `start-up (\`wasm-journal --version\`, median ${median(ov.startup).toFixed(0)} ms), ${runPhase.toFixed(0)} ms, both cold: ${cold.toFixed(2)}x. For information, against the ` +
      `engine of \`run --journal-writable\` warm in the bench's own process (the default triggers), median ${median(ov.base).toFixed(0)} ms: ${warm.toFixed(2)}x.\n`,
  );
}

function diffReport(df: ReturnType<typeof diff>): void {
  const speed = df.compare / df.ours;
  console.log(`diffMemory of two ${df.mb} MiB memories with 1 MiB changed in 256 pieces (${df.ranges} ranges found): ${df.ours.toFixed(1)} ms, ${(df.mb / 1024 / (df.ours / 1000)).toFixed(1)} GB/s; Buffer.compare over the same bytes ${df.compare.toFixed(1)} ms: **${speed.toFixed(2)}** of its speed (goal at least 0.5: ${speed >= 0.5 ? 'met' : 'not met'}).`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
