// stdin as a socket, or a pipe or terminal where there is no /proc (stdin-worker.ts reads it): what the program's thread sees of it. take() never blocks, so a
// wait for input can look for signals (World.readStdin) and poll_oneoff can tell whether input is waiting.

import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { FsError } from './vfs/types';
import { E } from './wasi-defs';

const CHUNK = 64 * 1024;

export class StdinThread {
  private readonly ctrl = new Int32Array(new SharedArrayBuffer(12));
  private readonly since = Date.now();
  private readonly data = new Uint8Array(new SharedArrayBuffer(CHUNK));
  private readonly worker: Worker;

  /** `fd`: a socket, a pipe or a terminal. */
  constructor(fd: number) {
    // stdin-worker.js sits next to this file (out/src/runtime) or next to the bundle (dist/).
    this.worker = new Worker(path.join(__dirname, 'stdin-worker.js'), { workerData: { fd, ctrl: this.ctrl.buffer, data: this.data.buffer } });
    this.worker.unref();
  }

  /** The next chunk, 'end' at the end of input, or undefined when nothing has come yet. A read error throws. */
  take(): Buffer | 'end' | undefined {
    const state = Atomics.load(this.ctrl, 0);
    if (state === 0) {
      // A thread that never starts (ctrl[2]) must not leave the program waiting forever.
      if (Atomics.load(this.ctrl, 2) === 0 && Date.now() - this.since > 10_000) throw new FsError(E.IO, 'stdin: the thread that reads it did not start');
      return undefined;
    }
    if (state === 2) return 'end';
    const bytes = Buffer.from(this.data.subarray(0, Atomics.load(this.ctrl, 1)));
    if (state === 3) throw new FsError(E.IO, `stdin: ${bytes.toString('utf8')}`);
    Atomics.store(this.ctrl, 0, 0);
    this.worker.postMessage(0);
    return bytes;
  }

  /** Waits up to `ms` for something to take. */
  wait(ms: number): void {
    Atomics.wait(this.ctrl, 0, 0, ms);
  }

  /**
   * Ends the thread. Its stream owns the descriptor and closes it as the thread ends: whoever also holds that number
   * must not close it before the promise settles (the number could by then be another descriptor's).
   */
  stop(): Promise<void> {
    return this.worker.terminate().then(() => undefined);
  }
}
