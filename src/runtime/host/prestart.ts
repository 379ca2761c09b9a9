// The worker thread `run` runs the program on, started before anything else: a process that runs a program spends
// its first hundred milliseconds loading code, the command line's on this thread and the engine's on the worker.
// Started first thing (the entry point does it when the command is `run`), the worker loads while this thread reads
// the command line; ProgramHost then hands it the plan (a `start` message, protocol.ts). Kept small: it is loaded
// before the rest of the program.

import * as path from 'node:path';
import { Worker } from 'node:worker_threads';

let early: { worker: Worker; failure?: Error } | undefined;

/** Starts the run worker now, waiting for its plan. Harmless when nothing takes it (it never keeps the process up). */
export function prestartRunWorker(): void {
  if (early) return;
  // run-worker.js sits next to this file (out/src/runtime/host) or next to the bundle (dist/).
  const worker = new Worker(path.join(__dirname, 'run-worker.js'), { workerData: { early: true } });
  const e: { worker: Worker; failure?: Error } = { worker };
  // A failure before anyone listens (a broken installation) is kept for ProgramHost to report.
  worker.once('error', (err) => (e.failure = err));
  worker.unref();
  early = e;
}

/** The worker started early, if any (taken: a second call gets nothing). */
export function takePrestarted(): { worker: Worker; failure?: Error } | undefined {
  const e = early;
  early = undefined;
  if (e) e.worker.ref();
  return e;
}

/** The command turned out not to run a program (a usage error, --help): the early worker goes. */
export function dropPrestarted(): void {
  const e = early;
  early = undefined;
  if (e) void e.worker.terminate();
}
