// The journal's background writer: a worker thread that compresses large records and appends everything to the
// file, in the order it was handed over, so that the thread that writes entries (a program's, taking a snapshot of
// many MiB of memory) does not wait for LZ4 or for the disk. What it keeps of the log file's promises:
//  - order: one thread appends, job after job, exactly as they were handed over;
//  - crash safety: every job is whole records; the file is a valid prefix at any moment (a torn tail at worst);
//  - durability: a sync job fdatasyncs what was appended before it (a snapshot counts once its marker is synced;
//    a crash before that loses that snapshot, and whatever came after, only);
//  - bounded memory: the writing thread waits when more than MAX_IN_FLIGHT bytes are still to be written.
// The messages (JobMessage) and the shared cells (Cell) are declared here for both sides (journal-writer.ts).

import * as path from 'node:path';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { ByteWriter, WriterFull } from './bytes';
import { JournalError } from './errors';

/** One job, in order: records already framed, a record to frame (and compress), or a sync. */
export type JobMessage =
  | { type: 'bytes'; data: Uint8Array }
  | { type: 'record'; tag: number; payload: Uint8Array; compressible: boolean; what: string }
  | { type: 'sync' };

/**
 * The writer's answers: a payload's buffer, given back once its record is framed (to be filled again: a fresh
 * buffer per record costs its pages' first faults, as much as copying the bytes), or why it stopped.
 */
export type WriterMessage = { type: 'recycle'; buffer: ArrayBuffer } | { type: 'error'; error: string };

/** Cells of the shared Int32Array. */
export const enum Cell {
  /** Jobs finished (bumped after each; the writing thread waits on it). */
  Done = 0,
  /** 1 once a job failed (the worker then posts the message and does nothing more). */
  Failed = 1,
  /** 1 once the worker runs (one that never does, a broken installation, is an error after START_WAIT_MS). */
  Started = 2,
}

/** How long a wait for the writer gives a thread that has not started before it says so. */
const START_WAIT_MS = 10_000;
/** BigInt64 cells: the file's size as written, and as synced. */
export const SIZE_WRITTEN = 0;
export const SIZE_SYNCED = 1;

/** Payload buffers kept for reuse at most (their bytes). */
const POOL_BYTES = 64 * 1024 * 1024;

export interface WriterData {
  /** For messages; the writer writes through `fd`, the journal's own descriptor (never the path again). */
  file: string;
  fd: number;
  /** Where appending starts (the file's size, its torn tail already cut). */
  position: number;
  ints: SharedArrayBuffer;
  sizes: SharedArrayBuffer;
  port: MessagePort;
}

/** Bytes handed over and not yet written, past which the writing thread waits (for half of them to go). */
export const MAX_IN_FLIGHT = 256 * 1024 * 1024;

export class BackgroundWriter {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly ints = new Int32Array(new SharedArrayBuffer(12));
  private readonly startedAt = Date.now();
  private readonly sizes = new BigInt64Array(new SharedArrayBuffer(16));
  /** Payload buffers the writer gave back, by capacity (powers of two). */
  private readonly pool = new Map<number, ArrayBuffer[]>();
  private pooled = 0;
  private sent = 0;
  /** Bytes of each job not yet finished, in order (the head is the oldest). */
  private readonly inFlight: number[] = [];
  private inFlightBytes = 0;
  private closed = false;

  constructor(
    private readonly file: string,
    fd: number,
    position: number,
  ) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.sizes[SIZE_WRITTEN] = BigInt(position);
    this.sizes[SIZE_SYNCED] = BigInt(position);
    const data: WriterData = {
      file, fd, position, ints: this.ints.buffer as SharedArrayBuffer, sizes: this.sizes.buffer as SharedArrayBuffer, port: port2,
    };
    // journal-writer.js sits next to this file (out/src/journal) or next to the bundle (dist/).
    this.worker = new Worker(path.join(__dirname, 'journal-writer.js'), { workerData: data, transferList: [port2] });
    this.worker.unref();
  }

  /** The file's size as written so far, and as made durable. */
  get written(): number {
    return Number(Atomics.load(this.sizes, SIZE_WRITTEN));
  }
  get synced(): number {
    return Number(Atomics.load(this.sizes, SIZE_SYNCED));
  }
  /** Bytes handed over and not written yet (a record's before compression). */
  get pendingBytes(): number {
    this.settle();
    return this.inFlightBytes;
  }

  /** Framed records (copied: the caller reuses its buffer). */
  bytes(data: Uint8Array): void {
    if (data.length === 0) return;
    const copy = new Uint8Array(data);
    this.send({ type: 'bytes', data: copy }, copy.length, [copy.buffer as ArrayBuffer]);
  }

  /**
   * A record to frame, compressing its payload when that pays. `payload` becomes the writer's (its whole buffer is
   * handed over, not copied: it must be a buffer of its own).
   */
  record(tag: number, payload: Uint8Array, compressible: boolean, what: string): void {
    this.send({ type: 'record', tag, payload, compressible, what }, payload.length, [payload.buffer as ArrayBuffer]);
  }

  /**
   * A record whose payload `encode` writes (at most `maxBytes` of it, or it grows) into a buffer the writer takes, one
   * it gave back when there is one. Returns the payload's length.
   */
  recordEncoded(tag: number, maxBytes: number, encode: (w: ByteWriter) => void, what: string): number {
    this.collect();
    let cap = 1 << 16;
    while (cap < maxBytes) cap *= 2;
    const kept = this.pool.get(cap)?.pop();
    if (kept) this.pooled -= cap;
    let w = ByteWriter.over(new Uint8Array(kept ?? new ArrayBuffer(cap)));
    try {
      encode(w);
    } catch (e) {
      if (!(e instanceof WriterFull)) throw e;
      w = new ByteWriter(maxBytes * 2);
      encode(w);
    }
    const payload = w.view();
    this.record(tag, new Uint8Array(payload.buffer, payload.byteOffset, payload.length), true, what);
    return payload.length;
  }

  /** Takes what the writer said: buffers given back (kept up to POOL_BYTES), or its failure. */
  private collect(): void {
    for (let m = receiveMessageOnPort(this.port); m; m = receiveMessageOnPort(this.port)) {
      const msg = m.message as WriterMessage;
      if (msg.type === 'error') {
        this.failure = msg.error;
        continue;
      }
      const cap = msg.buffer.byteLength;
      if (this.pooled + cap > POOL_BYTES) continue;
      const list = this.pool.get(cap) ?? [];
      list.push(msg.buffer);
      this.pool.set(cap, list);
      this.pooled += cap;
    }
  }

  private failure: string | undefined;

  /** Makes what was handed over so far durable (the writer fdatasyncs once it is written). */
  sync(): void {
    this.send({ type: 'sync' }, 0, []);
  }

  /** Waits until every job handed over is done; throws the writer's error. */
  drain(): void {
    this.collect();
    this.settle();
    while (Atomics.load(this.ints, Cell.Done) < this.sent) {
      Atomics.wait(this.ints, Cell.Done, Atomics.load(this.ints, Cell.Done), 1000);
      this.check();
    }
    this.settle();
    this.check();
  }

  /** Drains, then stops the worker. */
  close(): void {
    if (this.closed) return;
    try {
      this.drain();
    } finally {
      this.closed = true;
      this.port.close();
      void this.worker.terminate();
    }
  }

  private send(job: JobMessage, bytes: number, transfer: ArrayBuffer[]): void {
    if (this.closed) throw new JournalError('usage', `${this.file}: the journal is closed`);
    this.check();
    this.port.postMessage(job, transfer);
    this.sent++;
    this.inFlight.push(bytes);
    this.inFlightBytes += bytes;
    if (this.inFlightBytes > MAX_IN_FLIGHT) {
      // Back-pressure: the writer fell behind; wait for it to catch up by half.
      while (this.inFlightBytes > MAX_IN_FLIGHT / 2) {
        Atomics.wait(this.ints, Cell.Done, Atomics.load(this.ints, Cell.Done), 1000);
        this.check();
        this.settle();
      }
    }
  }

  /** Forgets the jobs the writer finished. */
  private settle(): void {
    const done = Atomics.load(this.ints, Cell.Done);
    const finished = this.sent - this.inFlight.length;
    for (let i = finished; i < done; i++) this.inFlightBytes -= this.inFlight.shift() ?? 0;
  }

  private check(): void {
    if (Atomics.load(this.ints, Cell.Started) === 0 && Date.now() - this.startedAt > START_WAIT_MS) {
      this.closed = true;
      void this.worker.terminate();
      throw new JournalError('io', `${this.file}: the journal's writer thread did not start`);
    }
    if (Atomics.load(this.ints, Cell.Failed) === 0) return;
    this.collect();
    this.closed = true;
    void this.worker.terminate();
    throw new JournalError('io', this.failure ?? `${this.file}: the journal's writer failed`);
  }
}
