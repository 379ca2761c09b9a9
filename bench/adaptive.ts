// Adaptive instrumentation on the generated large C++ programs (bench/guests/large, scripts/build-large-guest.sh):
// a short job run by `wasm-journal run --journal-writable` with the default triggers, against node:wasi running the
// same module, each a whole process (start-up and compiling included), stdin at its end (the program looks for a
// command on stdin at its first trace event, so the first-stdin snapshot is taken deep in virtual calls).
//
//   - cached: the stack set and its instrumented module are in the cache (every run after the first);
//   - first run: an empty cache (the module as built runs at once; the snapshot point instruments and re-executes);
//     time to the program's first output, and to its end;
//   - the first-stdin snapshot with --stop-after-snapshot, resumed from the journal: the same output as node:wasi.
//
// Rounds alternate between the runtimes; medians. `--quick`: the 1 MB module only, fewer rounds.

import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { median } from './timing';
import { largeGuests, NO_LARGE_GUEST } from './large-guests';

const quick = process.argv.includes('--quick');
const root = path.join(__dirname, '..', '..');
// The command as installed (package.json's bin: the bundle), whose start-up is what a user waits for.
const BIN = path.join(root, 'dist', 'cli.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wj-bench-adaptive-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

const NODE_WASI = path.join(tmp, 'node-wasi.js');
fs.writeFileSync(
  NODE_WASI,
  `const { WASI } = require('node:wasi'); const fs = require('node:fs');
   const wasi = new WASI({ version: 'preview1', args: ['large'], env: {}, returnOnExit: true });
   const exit = wasi.start(new WebAssembly.Instance(new WebAssembly.Module(fs.readFileSync(process.argv[2])), wasi.getImportObject()));
   process.exitCode = exit;`,
);

interface Timed {
  /** Milliseconds from spawning to the first byte on stdout, and to the exit. */
  first: number;
  total: number;
  out: string;
  err: string;
  code: number;
}

function timed(args: string[], env: Record<string, string> = {}): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let first = Number.NaN;
    let out = '';
    let err = '';
    const p = spawn(process.execPath, args, { stdio: [fs.openSync('/dev/null', 'r'), 'pipe', 'pipe'], env: { ...process.env, ...env } }) as ChildProcessByStdio<null, Readable, Readable>;
    p.stdout.on('data', (d: Buffer) => {
      if (Number.isNaN(first)) first = performance.now() - t0;
      out += d.toString();
    });
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.once('error', reject);
    p.once('close', (code) => resolve({ first, total: performance.now() - t0, out, err, code: code ?? -1 }));
  });
}

const nodeWasi = (file: string): Promise<Timed> => timed(['--no-warnings', NODE_WASI, file]);
function ours(file: string, cache: string): Promise<Timed> {
  const journal = path.join(tmp, 'run.journal');
  return timed([BIN, 'run', '--journal-writable', journal, file], { WASM_JOURNAL_CACHE: cache }).finally(() => fs.rmSync(journal, { force: true }));
}

function check(r: Timed, what: string, want?: string): void {
  if (r.code !== 0) throw new Error(`${what} exited with ${r.code}: ${r.err}`);
  if (want !== undefined && r.out !== want) throw new Error(`${what} printed something else than node:wasi`);
}

async function main(): Promise<void> {
  const files = largeGuests(root, quick);
  console.log('### Adaptive instrumentation on large modules (bench/adaptive.ts)\n');
  console.log(`${new Date().toISOString().slice(0, 10)}, node ${process.version}, ${os.availableParallelism()} cores; \`node out/bench/adaptive.js\`. Whole processes, medians; stdin at its end.\n`);
  if (files.length === 0) {
    console.log(NO_LARGE_GUEST);
    return;
  }
  console.log('| module | node:wasi s (first output) | cached: ours s | **cached ratio** | first run: first output s | **vs node:wasi** | first run: total s | functions instrumented | first-stdin snapshot resumed |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const file of files) {
    const mb = fs.statSync(file).size / 1e6;
    const rounds = quick ? 3 : mb > 10 ? 5 : 7;
    const firstRounds = quick ? 1 : 3;
    const base = await nodeWasi(file);
    check(base, 'node:wasi');
    // First runs, each on an empty cache.
    const firsts: Timed[] = [];
    let cache = '';
    for (let r = 0; r < firstRounds; r++) {
      cache = fs.mkdtempSync(path.join(tmp, 'cache-'));
      const f = await ours(file, cache);
      check(f, 'the first run', base.out);
      firsts.push(f);
    }
    const set = fs.readdirSync(path.join(cache, 'asyncify-v5')).find((n) => n.endsWith('.stacks.json'));
    const functions = set ? (JSON.parse(fs.readFileSync(path.join(cache, 'asyncify-v5', set), 'utf8')) as { functions: number[] }).functions.length : 0;
    // Cached runs against node:wasi, alternating.
    const w: Timed[] = [];
    const o: Timed[] = [];
    for (let r = 0; r < rounds; r++) {
      const a = await nodeWasi(file);
      check(a, 'node:wasi', base.out);
      w.push(a);
      const b = await ours(file, cache);
      check(b, 'a cached run', base.out);
      if (/instrumenting/.test(b.err)) throw new Error(`a cached run instrumented again: ${b.err}`);
      o.push(b);
    }
    // The first-stdin snapshot, stopped there, resumed.
    const j = path.join(tmp, 'stop.journal');
    const stopped = await timed([BIN, 'run', '--journal-writable', j, '--snapshot-on', 'first-stdin', '--stop-after-snapshot', file], { WASM_JOURNAL_CACHE: cache });
    check(stopped, 'the run stopped at first-stdin');
    const resumed = await timed([BIN, 'run', '--journal', j, file], { WASM_JOURNAL_CACHE: cache });
    // The resumed run prints the journal's terminal text first, then goes on: the whole output.
    const ok = resumed.code === 0 && resumed.out === base.out && !/restarts main/.test(resumed.err) && /stopped after a snapshot \(first-stdin\)/.test(stopped.err);
    fs.rmSync(j, { force: true });
    const wt = median(w.map((x) => x.total));
    const wf = median(w.map((x) => x.first));
    const ot = median(o.map((x) => x.total));
    const ff = median(firsts.map((x) => x.first));
    const s = (ms: number): string => (ms / 1000).toFixed(2);
    console.log(
      `| ${path.basename(file)} (${mb.toFixed(1)} MB) | ${s(wt)} (${s(wf)}) | ${s(ot)} | **${(ot / wt).toFixed(2)}x** | ${s(ff)} | **${(ff / wf).toFixed(2)}x** | ${s(median(firsts.map((x) => x.total)))} | ${functions} | ${ok ? `yes (${s(resumed.total)} s)` : `NO: ${resumed.err.trim().split('\n').pop()}`} |`,
    );
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
