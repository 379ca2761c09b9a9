// Every message between a ProgramHost (program-host.ts, on the caller's thread) and the worker thread that runs
// the program (run-worker.ts). One file declares them all, so both sides change together.

import type { RunPlan } from './plan';

/** Cells of the shared `control` buffer (Int32Array indices). */
export const enum HostCell {
  /** Bumped by the host when the program may go on after a suspension. */
  Resume = 0,
}
export const HOST_CELLS = 1;

export interface RunWorkerData {
  plan: RunPlan;
  /** Signals for the program (signals.ts's cell). */
  signals: SharedArrayBuffer;
  control: SharedArrayBuffer;
}

/** Host to worker: the plan, for a worker started before it was known (runtime/prestart.ts; its workerData is `{ early: true }`). */
export type RunWorkerCommand = { type: 'start'; data: RunWorkerData };

export type RunWorkerEvent =
  /** A stop snapshot was taken (Ctrl+Z, `signal PID stop`): the host suspends as it sees fit, then bumps Resume. */
  | { type: 'suspend' }
  /** The program ended: the process's exit status. */
  | { type: 'exit'; exitCode: number };
