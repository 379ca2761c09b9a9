// The worker thread a ProgramHost runs the program on: executes the plan and reports the exit status. A stop
// snapshot (Ctrl+Z) is reported to the host, and the program waits until the host lets it go on.

import { parentPort, workerData } from 'node:worker_threads';
import { JournalError } from '../../journal';
import { RuntimeError } from '../errors';
import { ClosedPipe, processIo } from './fd-writer';
import { executePlan } from './plan';
import { HostCell, type RunWorkerCommand, type RunWorkerData, type RunWorkerEvent } from './protocol';

function post(e: RunWorkerEvent): void {
  parentPort!.postMessage(e);
}

async function main(): Promise<void> {
  // A trap's message lists the program's wasm frames: this thread is the program's, so it may show more of them.
  Error.stackTraceLimit = 64;
  // Started early (runtime/prestart.ts), the worker loaded while the host read the command line: the plan comes now.
  const { plan, signals, control } = (workerData as { early?: boolean }).early
    ? await new Promise<RunWorkerData>((resolve) => parentPort!.once('message', (m: RunWorkerCommand) => resolve(m.data)))
    : (workerData as RunWorkerData);
  const cell = new Int32Array(control);
  const io = processIo();
  const suspend = (): void => {
    // Everything said so far reaches the terminal before the process stops.
    io.out.flush();
    io.err.flush();
    const seen = Atomics.load(cell, HostCell.Resume);
    post({ type: 'suspend' });
    Atomics.wait(cell, HostCell.Resume, seen);
  };
  let exitCode: number;
  try {
    exitCode = await executePlan(plan, io, new Int32Array(signals), suspend);
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
  post({ type: 'exit', exitCode });
}

void main();
