// The program's sockets: TCP sockets handed to it (`run --tcp-listen ADDR`, like wasmtime's --tcplisten) and those
// it opens itself (WASIX: TCP listeners and connections, UDP sockets). WASI calls are
// synchronous, Node's sockets are not: a worker thread owns the sockets and runs their event loop, and the guest's
// thread asks it for each operation and waits on a shared buffer for the answer (Atomics.wait). Accepts and reads
// block like the system calls they stand for, unless the descriptor is non-blocking. A signal for the program ends
// such a wait (CallInterrupted: nothing was accepted or read, the call is made again after the snapshot).

import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { CallInterrupted, signalPending } from './signals';
import { errnoFromNode } from './wasi-defs';
import { FsError } from './vfs/types';

const CAPACITY = 4 << 20;

export interface Accepted {
  id: number;
  local: string;
  peer: string;
}

/** The guest thread's side: each call blocks until the worker answers. */
export class SocketBridge {
  private readonly worker: Worker;
  private readonly ctrl = new Int32Array(new SharedArrayBuffer(12));
  private readonly data = new Uint8Array(new SharedArrayBuffer(CAPACITY));

  /** signals: the program's signal cell (signals.ts), when a signal can interrupt a blocking accept or read. */
  constructor(private readonly signals?: Int32Array) {
    // socket-worker.js sits next to this file (out/src/runtime) or next to the bundle (dist/).
    this.worker = new Worker(path.join(__dirname, 'socket-worker.js'), {
      workerData: { ctrl: this.ctrl.buffer, data: this.data.buffer },
    });
    this.worker.unref();
  }

  private call(req: Record<string, unknown>): { res: Record<string, unknown>; bytes: Uint8Array } {
    Atomics.store(this.ctrl, 0, 0);
    this.worker.postMessage(req);
    // A blocking accept or read waits in short steps, to look for a signal: then the worker is asked to drop the
    // request, and answers either that it did (nothing happened) or, when it had answered already, with the result.
    const interruptible = req.block === true && this.signals !== undefined;
    let cancelled = false;
    // The worker marks itself started (ctrl[2]); one that never starts must not hang the program forever.
    const t0 = Date.now();
    while (Atomics.load(this.ctrl, 0) === 0) {
      Atomics.wait(this.ctrl, 0, 0, interruptible ? 50 : 1000);
      if (Atomics.load(this.ctrl, 2) === 0 && Date.now() - t0 > 10_000) throw new Error('the socket worker did not start');
      if (interruptible && !cancelled && signalPending(this.signals!)) {
        cancelled = true;
        this.worker.postMessage({ op: 'cancel' });
      }
    }
    const n = Atomics.load(this.ctrl, 1);
    const jsonLen = new DataView(this.data.buffer).getUint32(0, true);
    const res = JSON.parse(Buffer.from(this.data.subarray(4, 4 + jsonLen)).toString('utf8')) as Record<string, unknown>;
    if (res.cancelled === true) throw new CallInterrupted();
    if (typeof res.errno === 'string') {
      throw new FsError(errnoFromNode(res.errno), (res.message as string | undefined) ?? res.errno);
    }
    return { res, bytes: new Uint8Array(this.data.subarray(4 + jsonLen, n)) };
  }

  listen(host: string, port: number): { id: number; local: string } {
    const { res } = this.call({ op: 'listen', host, port });
    return { id: res.id as number, local: res.local as string };
  }
  accept(id: number, block: boolean): Accepted {
    const { res } = this.call({ op: 'accept', id, block });
    return { id: res.id as number, local: res.local as string, peer: res.peer as string };
  }
  recv(id: number, max: number, block: boolean): Uint8Array {
    return this.call({ op: 'recv', id, max: Math.min(max, CAPACITY - 4096), block }).bytes;
  }
  send(id: number, bytes: Uint8Array): number {
    // A copy: a view of guest memory would send the whole of memory to the worker.
    return this.call({ op: 'send', id, bytes: bytes.slice() }).res.n as number;
  }
  shutdown(id: number, how: number): void {
    this.call({ op: 'shutdown', id, how });
  }
  connect(host: string, port: number): Accepted {
    const { res } = this.call({ op: 'connect', host, port });
    return { id: res.id as number, local: res.local as string, peer: res.peer as string };
  }
  udpBind(host: string, port: number, family: 4 | 6): { id: number; local: string } {
    const { res } = this.call({ op: 'udpbind', host, port, family });
    return { id: res.id as number, local: res.local as string };
  }
  sendTo(id: number, bytes: Uint8Array, host: string, port: number): number {
    return this.call({ op: 'sendto', id, bytes: bytes.slice(), host, port }).res.n as number;
  }
  /** A datagram (cut to `max` bytes) and who sent it. */
  recvFrom(id: number, max: number, block: boolean): { data: Uint8Array; peer: string } {
    const { res, bytes } = this.call({ op: 'recvfrom', id, max: Math.min(max, CAPACITY - 4096), block });
    return { data: bytes, peer: res.peer as string };
  }
  setOption(id: number, opt: 'nodelay' | 'keepalive', value: boolean): void {
    this.call({ op: 'setopt', id, opt, value });
  }
  close(id: number): void {
    this.call({ op: 'close', id });
  }
  /** Which of these sockets would not block on accept or recv. */
  ready(ids: number[]): Set<number> {
    return new Set(this.call({ op: 'ready', ids }).res.ready as number[]);
  }
  stop(): void {
    try {
      this.call({ op: 'stop' });
    } catch {
      // gone already
    }
  }
}
