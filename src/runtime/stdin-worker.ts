// Reads the program's stdin when it is a socket (a Node parent gives its children socketpairs for pipes), which
// cannot be looked at without blocking the way a pipe or a terminal can (stdin-thread.ts), or a pipe or terminal
// where that way is missing (no /proc): libuv reads it here, on this thread's event loop, and the chunks go to the
// program's thread through shared memory, one at a time.
// ctrl[0]: 0 nothing, 1 a chunk of ctrl[1] bytes in `data`, 2 the end, 3 an error (its message in `data`);
// ctrl[2]: 1 once this thread runs.

import * as net from 'node:net';
import * as tty from 'node:tty';
import { parentPort, workerData } from 'node:worker_threads';

const ctrl = new Int32Array(workerData.ctrl as SharedArrayBuffer);
const data = new Uint8Array(workerData.data as SharedArrayBuffer);
const HIGH_WATER = 1 << 20;
const queue: Buffer[] = [];
let queued = 0;
let ended = false;
let error: string | undefined;

// The program's thread cannot hear this thread's events (it waits inside a WASI call): failures go through ctrl too.
process.on('uncaughtException', (e: Error) => {
  error = e.message;
  offer();
});
Atomics.store(ctrl, 2, 1);
// A socket or a pipe through libuv's stream (as Node's own process.stdin reads them), a terminal through its tty
// stream: libuv waits for them without blocking a thread, so this thread can always end (a blocking read on the
// thread pool could not be cancelled, and would keep the process from exiting).
const fd = workerData.fd as number;
const sock = tty.isatty(fd) ? new tty.ReadStream(fd) : new net.Socket({ fd, readable: true, writable: false, allowHalfOpen: true });
sock.on('data', (b: Buffer) => {
  queue.push(b);
  queued += b.length;
  if (queued >= HIGH_WATER) sock.pause();
  offer();
});
sock.on('end', () => {
  ended = true;
  offer();
});
sock.on('error', (e: NodeJS.ErrnoException) => {
  error = e.code ?? e.message;
  offer();
});

function post(state: number, bytes: Uint8Array): void {
  data.set(bytes);
  Atomics.store(ctrl, 1, bytes.length);
  Atomics.store(ctrl, 0, state);
  Atomics.notify(ctrl, 0);
}

/** Hands over the next chunk once the program's thread took the last one. */
function offer(): void {
  if (Atomics.load(ctrl, 0) !== 0) return;
  if (queue.length > 0) {
    let b = queue[0];
    if (b.length > data.length) {
      queue[0] = b.subarray(data.length);
      b = b.subarray(0, data.length);
    } else queue.shift();
    queued -= b.length;
    if (queued < HIGH_WATER && sock.isPaused()) sock.resume();
    post(1, b);
  } else if (error !== undefined) post(3, Buffer.from(error));
  else if (ended) post(2, new Uint8Array(0));
}

// The program's thread took a chunk.
parentPort!.on('message', offer);
