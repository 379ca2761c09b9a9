// Runtime benchmarks: our journaling runtime against Node's own node:wasi running the same module, in the same run.
//  - a file-I/O-heavy guest (bench/guests/fileio.c: create files, many small writes and reads), with journaling on:
//    goal at most 1.5x node:wasi's time (stretch: faster), on a host folder and in the overlay;
//  - a CPU-bound guest (bench/guests/cpu.c), journaling on: goal at most 1.05x.
// Both runtimes get the module already compiled; rounds alternate between them; medians are reported.
// Prints a markdown report (for docs/benchmarks.md). Usage: node out/bench/runtime.js [--quick]

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { WASI } from 'node:wasi';
import { LogFileJournal } from '../src/journal/log-file';
import { loadModule, type LoadedModule } from '../src/runtime/module';
import { sinkFor } from '../src/runtime/process';
import { runProgram } from '../src/runtime/runtime';
import { LiveWorld, RecordingWorld, type FsMode } from '../src/runtime/world';

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 3 : 9;
const root = path.resolve(__dirname, '..', '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wj-bench-rt-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
const devNull = fs.openSync('/dev/null', 'w');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function nodeWasi(module: LoadedModule, args: string[], dir: string): Promise<number> {
  const t = process.hrtime.bigint();
  const wasi = new WASI({ version: 'preview1', args: ['guest', ...args], env: {}, preopens: { '/sandbox': dir }, stdout: devNull, returnOnExit: true });
  const instance = new WebAssembly.Instance(module.module, wasi.getImportObject() as WebAssembly.Imports);
  const code = wasi.start(instance as unknown as object);
  if (code !== 0) throw new Error(`node:wasi: the guest exited with ${code}`);
  return Number(process.hrtime.bigint() - t) / 1e6;
}

async function ours(module: LoadedModule, args: string[], dir: string, mode: FsMode, journalFile: string): Promise<{ ms: number; journalBytes: number }> {
  fs.rmSync(journalFile, { force: true });
  const t = process.hrtime.bigint();
  const journal = LogFileJournal.openAppend(journalFile);
  const sink = sinkFor(journal);
  const world = new RecordingWorld(new LiveWorld(['guest', ...args], [], mode, [{ host: dir, guest: '/sandbox' }]), (e) => sink.write(e));
  const r = await runProgram({ module, world, sink, terminal: { write: () => true } });
  journal.close();
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.exitCode !== 0) throw new Error(`wasm-journal: the guest exited with ${r.exitCode} ${r.trap ?? ''}`);
  return { ms, journalBytes: fs.statSync(journalFile).size };
}

interface Row {
  name: string;
  goal: number;
  base: number;
  ours: number;
  journal: number;
}

async function workload(name: string, file: string, args: string[], mode: FsMode, goal: number): Promise<Row> {
  const module = await loadModule(fs.readFileSync(file), file);
  const baseDir = path.join(tmp, `${name}-base`);
  const ourDir = path.join(tmp, `${name}-ours`);
  fs.mkdirSync(baseDir, { recursive: true });
  fs.mkdirSync(ourDir, { recursive: true });
  const base: number[] = [];
  const our: number[] = [];
  let journal = 0;
  // One warm-up round each (V8 tiers up the module and our code), then alternate.
  await nodeWasi(module, args, baseDir);
  await ours(module, args, ourDir, mode, path.join(tmp, `${name}.journal`));
  for (let i = 0; i < ROUNDS; i++) {
    base.push(await nodeWasi(module, args, baseDir));
    const r = await ours(module, args, ourDir, mode, path.join(tmp, `${name}.journal`));
    our.push(r.ms);
    journal = r.journalBytes;
  }
  return { name, goal, base: median(base), ours: median(our), journal };
}

async function main(): Promise<void> {
  const guests = path.join(root, 'bench', 'guests');
  const fileio = path.join(guests, 'fileio.wasm');
  const cpu = path.join(guests, 'cpu.wasm');
  const rows = [
    await workload('file I/O, host folder', fileio, [quick ? '100' : '400'], 'host', 1.5),
    await workload('file I/O, overlay (copy-on-write in memory)', fileio, [quick ? '100' : '400'], 'overlay', 1.5),
    await workload('CPU-bound', cpu, quick ? ['1'] : [], 'host', 1.05),
  ];
  const cores = os.cpus();
  console.log(`### Runtime (bench/runtime.ts)\n`);
  console.log(`${new Date().toISOString().slice(0, 10)}, node ${process.version}, ${cores.length} cores (${cores[0]?.model.trim() ?? '?'}); median of ${ROUNDS} rounds after a warm-up, rounds alternating.\n`);
  console.log('Our runtime with journaling on (log file, default sync policy: fdatasync at the end) against node:wasi running the same compiled module in the same process. Ratio = our time / node:wasi time (lower is better).\n');
  console.log('| workload | node:wasi ms | ours ms | **ratio** | goal | met? | journal |');
  console.log('| --- | ---: | ---: | ---: | ---: | --- | ---: |');
  for (const r of rows) {
    const ratio = r.ours / r.base;
    console.log(`| ${r.name} | ${r.base.toFixed(1)} | ${r.ours.toFixed(1)} | **${ratio.toFixed(2)}** | at most ${r.goal} | ${ratio <= r.goal ? 'yes' : 'no'} | ${(r.journal / 1e6).toFixed(2)} MB |`);
  }
}

void main();
