// Worker threads started before anything else. A process that runs a program spends its first hundred milliseconds
// loading code: the command line's or the debug adapter's on its main thread, the engine's on the worker the program
// runs on. Started first thing (by the entry point, which knows the command: `run` starts its run worker, `dap` the
// live and replay workers of its first session), a worker loads while the main thread loads and reads its input;
// its user then hands it what to run in a `start` message (each worker's protocol declares it), instead of workerData.
// The worker sees `{ early: true }` as its workerData. This module is loaded before the rest of the program: it stays
// small, and imports nothing of the engine.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';

/** A worker started early; `failure` is an error it had before anyone listened (a broken installation). */
export interface EarlyWorker {
  worker: Worker;
  failure?: Error;
}

const pool = new Map<string, EarlyWorker[]>();

/**
 * The worker file `name` (run-worker.js, guest-worker.js): next to the bundle (dist/), or in its folder of the
 * compiled sources (out/src/runtime/<folder>/).
 */
export function workerFile(name: string, folder: string): string {
  const bundled = path.join(__dirname, name);
  return fs.existsSync(bundled) ? bundled : path.join(__dirname, folder, name);
}

/** Starts `count` workers of `file` now, waiting for their start message. They never keep the process up. */
export function prestartWorker(file: string, count = 1): void {
  const list = pool.get(file) ?? [];
  for (let i = 0; i < count; i++) {
    const worker = new Worker(file, { workerData: { early: true } });
    const e: EarlyWorker = { worker };
    worker.once('error', (err) => (e.failure = err));
    worker.unref();
    list.push(e);
  }
  pool.set(file, list);
}

/** A worker of `file` started early, if one is left (then it is the caller's, and keeps the process up). */
export function takePrestarted(file: string): EarlyWorker | undefined {
  const e = pool.get(file)?.shift();
  e?.worker.ref();
  return e;
}

/** The workers nobody took (the command did not get as far as running a program) go. */
export function dropPrestarted(): void {
  for (const list of pool.values()) for (const e of list.splice(0)) void e.worker.terminate();
}
