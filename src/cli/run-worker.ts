// The worker thread `run` puts the program on (see run-host.ts): runs the plan and reports the exit status.

import { parentPort, workerData } from 'node:worker_threads';
import { JournalError } from '../journal';
import { RuntimeError } from '../runtime/errors';
import { ClosedPipe, processIo } from './output';
import { executePlan, type RunPlan } from './run-commands';

async function main(): Promise<void> {
  // A trap's message lists the program's wasm frames: this thread is the program's, so it may show more of them.
  Error.stackTraceLimit = 64;
  const { plan, cell } = workerData as { plan: RunPlan; cell: SharedArrayBuffer };
  const io = processIo();
  let exitCode: number;
  try {
    exitCode = await executePlan(plan, io, new Int32Array(cell));
  } catch (e) {
    if (e instanceof ClosedPipe) exitCode = 0;
    else if (e instanceof JournalError || e instanceof RuntimeError) {
      io.err.line(`wasm-journal run: ${e.message}`);
      exitCode = 1;
    } else {
      io.err.line(`wasm-journal: internal error: ${(e as Error).stack ?? String(e)}`);
      io.err.line('This is a bug in wasm-journal; please report it with the command you ran.');
      exitCode = 70;
    }
  }
  try {
    io.out.flush();
  } catch {
    // stdout is gone
  }
  io.err.flush();
  parentPort!.postMessage({ exitCode });
}

void main();
