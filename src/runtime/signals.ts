// Signals for a running program. The program runs on a worker thread; the main thread receives the process's
// signals (and requests on the control channel) and leaves them in a shared cell, which the program's next WASI
// call looks at: a snapshot trigger for the signal fires there. A blocking read from stdin wakes up for it.

export const SIGNAL_CODES = { sigint: 1, sigalrm: 2, sigtstp: 3, sigstop: 4 } as const;
export type SignalName = keyof typeof SIGNAL_CODES;
const NAMES: Record<number, SignalName> = { 1: 'sigint', 2: 'sigalrm', 3: 'sigtstp', 4: 'sigstop' };

/** A cell shared between the threads: [pending signal code, 0]. */
export function signalCell(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(8));
}

export function raiseSignal(cell: Int32Array, name: SignalName): void {
  Atomics.store(cell, 0, SIGNAL_CODES[name]);
  Atomics.notify(cell, 0);
}

/** The pending signal, taken (cleared). */
export function takeSignal(cell: Int32Array): SignalName | undefined {
  const code = Atomics.exchange(cell, 0, 0);
  return NAMES[code];
}

export function signalPending(cell: Int32Array): boolean {
  return Atomics.load(cell, 0) !== 0;
}

/** Thrown out of a WASI call that was waiting when a signal came: the call has done nothing yet. */
export class CallInterrupted extends Error {
  constructor() {
    super('interrupted by a signal');
  }
}
