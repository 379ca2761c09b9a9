// The background writer's thread (background-writer.ts): takes the jobs in order, frames and compresses records,
// appends to the file (through the journal's own descriptor), fdatasyncs on request, and tells the writing thread
// how far it got through shared cells.

import * as fs from 'node:fs';
import { workerData } from 'node:worker_threads';
import { ByteWriter } from './bytes';
import { beginRecord, finishRecord } from './format';
import { Cell, SIZE_SYNCED, SIZE_WRITTEN, type JobMessage, type WriterData, type WriterMessage } from './background-writer';

const { file, fd, position, ints: intsBuffer, sizes: sizesBuffer, port } = workerData as WriterData;
const ints = new Int32Array(intsBuffer);
const sizes = new BigInt64Array(sizesBuffer);
let size = position;
let failed = false;
const framing = new ByteWriter(1 << 20);

/** Stops for good, saying why: the writing thread sees Failed at its next call or wait, and throws the message. */
function fail(e: unknown): void {
  if (failed) return;
  failed = true;
  const err = e as NodeJS.ErrnoException;
  const why = err.code === 'ENOSPC' ? 'no space left on the device' : (err.message ?? String(e));
  port.postMessage({ type: 'error', error: `${file}: cannot write the journal: ${why}` } satisfies WriterMessage);
  Atomics.store(ints, Cell.Failed, 1);
  Atomics.notify(ints, Cell.Done);
}
// Anything this thread did not expect ends it as a failure the writing thread is told of (never a silent hang).
process.on('uncaughtException', fail);
Atomics.store(ints, Cell.Started, 1);

/** Appends whole: a failed write cuts the file back to where it began (never half a record). */
function append(b: Uint8Array): void {
  let done = 0;
  try {
    while (done < b.length) done += fs.writeSync(fd, b, done, b.length - done, size + done);
  } catch (e) {
    try {
      fs.ftruncateSync(fd, size);
    } catch {
      // the reader will see a torn tail and ignore it
    }
    throw e;
  }
  size += b.length;
}

port.on('message', (job: JobMessage) => {
  if (failed) return;
  try {
    switch (job.type) {
      case 'bytes':
        append(job.data);
        break;
      case 'record': {
        framing.reset();
        const start = beginRecord(framing);
        framing.raw(job.payload);
        // Copied out: its buffer goes back to be filled again.
        port.postMessage({ type: 'recycle', buffer: job.payload.buffer as ArrayBuffer } satisfies WriterMessage, [job.payload.buffer as ArrayBuffer]);
        finishRecord(framing, start, job.tag, job.compressible, job.what);
        append(framing.view());
        break;
      }
      case 'sync':
        fs.fdatasyncSync(fd);
        Atomics.store(sizes, SIZE_SYNCED, BigInt(size));
        break;
    }
    Atomics.store(sizes, SIZE_WRITTEN, BigInt(size));
  } catch (e) {
    fail(e);
  }
  Atomics.add(ints, Cell.Done, 1);
  Atomics.notify(ints, Cell.Done);
});
