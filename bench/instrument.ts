// Instrumentation of large modules: time per MB with a native wasm-opt and with npm binaryen, for the imports the
// default triggers take snapshots at and for every import (signals, the period), and what it costs the program
// (its run time under node:wasi, instrumented against the original). The modules are the generated C++ programs of
// bench/guests/large (scripts/build-large-guest.sh 1mb / 5mb / 20mb); those not built are left out.
// Usage: node out/bench/instrument.js [--quick] [--npm-all] (npm binaryen on modules above 6 MB only with --npm-all)

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadModule } from '../src/runtime/module';
import { instrument, nativeWasmOpt } from '../src/runtime/snapshot/instrument';
import { ALL_SNAPSHOT_IMPORTS, DEFAULT_TRIGGERS, snapshotImports } from '../src/runtime/snapshot/triggers';
import { largeGuests, NO_LARGE_GUEST } from './large-guests';

const quick = process.argv.includes('--quick');
const npmAll = process.argv.includes('--npm-all');
const root = path.resolve(__dirname, '..', '..');
const RUN_LIMIT_MS = 120_000;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wj-bench-inst-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
const native = nativeWasmOpt() !== undefined;

/**
 * The program's median run time under node:wasi, in a child process: compiling a large module goes on in V8's
 * background threads after it runs, which would slow down the next instrumentation measured in this process.
 */
function runTime(bytes: Uint8Array): number {
  const file = path.join(tmp, `run-${process.pid}.wasm`);
  fs.writeFileSync(file, bytes);
  const script = `
    const { WASI } = require('node:wasi'); const fs = require('node:fs');
    const module = new WebAssembly.Module(fs.readFileSync(process.argv[1]));
    const times = [];
    for (let r = 0; r < Number(process.argv[2]); r++) {
      const wasi = new WASI({ version: 'preview1', args: ['large'], env: {}, stdin: fs.openSync('/dev/null', 'r'), stdout: fs.openSync('/dev/null', 'w'), returnOnExit: true });
      const t = process.hrtime.bigint();
      const exit = wasi.start(new WebAssembly.Instance(module, wasi.getImportObject()));
      times.push(Number(process.hrtime.bigint() - t) / 1e6);
      if (exit !== 0) throw new Error('the program exited with ' + exit);
    }
    process.stdout.write(String(times.sort((a, b) => a - b)[Math.floor(times.length / 2)]));`;
  const r = spawnSync(process.execPath, ['--no-warnings', '-e', script, file, quick ? '1' : '3'], { encoding: 'utf8', timeout: RUN_LIMIT_MS, killSignal: 'SIGKILL' });
  if (r.signal) return Number.NaN; // over the limit: V8 still compiling the instrumented functions (docs/benchmarks.md)
  if (r.status !== 0) throw new Error(`running ${file}: ${r.stderr}`);
  return Number(r.stdout);
}

async function main(): Promise<void> {
  const files = largeGuests(root, quick);
  const cores = os.cpus();
  console.log('### Instrumentation of large modules (bench/instrument.ts)\n');
  console.log(`${new Date().toISOString().slice(0, 10)}, node ${process.version}, ${cores.length} cores (${cores[0]?.model.trim() ?? '?'}).\n`);
  if (files.length === 0) {
    console.log(NO_LARGE_GUEST);
    return;
  }
  console.log('| module | binaryen | snapshots at | functions instrumented | analysis, asyncify, output (s) | total s | s per MB | size | run time vs original |');
  console.log('| --- | --- | --- | ---: | --- | ---: | ---: | --- | ---: |');
  for (const file of files) {
    const m = await loadModule(fs.readFileSync(file), file);
    const base = runTime(m.bytes);
    const mb = m.bytes.length / 1e6;
    const tools: ('native' | 'npm')[] = [...(native ? ['native' as const] : []), ...(mb < 6 || npmAll ? ['npm' as const] : [])];
    for (const tool of tools) {
      for (const [label, imports] of [[`the default triggers (${DEFAULT_TRIGGERS.join(', ')})`, snapshotImports(DEFAULT_TRIGGERS)], ['every call (signals, period)', [...ALL_SNAPSHOT_IMPORTS]]] as const) {
        const r = await instrument(m.bytes, Buffer.from(m.hash).toString('hex'), { noCache: true, tool, imports });
        const ph = r.phases!;
        const ours = runTime(r.bytes);
        console.log(
          `| ${path.basename(file)} (${mb.toFixed(1)} MB) | ${r.tool}${r.threads ? `, ${r.threads} threads` : ''} | ${label} | ${r.instrumented ? `${r.instrumented.only} of ${r.instrumented.functions}` : 'asyncify\'s choice'} | ` +
            `${(ph.analyse / 1000).toFixed(1)}, ${(ph.asyncify / 1000).toFixed(1)}, ${(ph.emit / 1000).toFixed(1)} | ${(r.ms / 1000).toFixed(1)} | ${(r.ms / 1000 / mb).toFixed(1)} | ` +
            `${mb.toFixed(1)} -> ${(r.bytes.length / 1e6).toFixed(1)} MB | ${Number.isNaN(ours) ? `over ${RUN_LIMIT_MS / 1000} s (base ${(base / 1000).toFixed(1)} s)` : `${(ours / base).toFixed(2)}x`} |`,
        );
      }
    }
  }
}

void main();
