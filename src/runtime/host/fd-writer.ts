// Synchronous stdout/stderr writing that survives pipes: retries when a non-blocking pipe is full, and ends quietly
// when the reader has gone (`wasm-journal inspect J | head`). The CLI writes through these, and so does a program run
// on a worker thread (its stdout and stderr are the process's).

import * as fs from 'node:fs';

export class ClosedPipe extends Error {}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

function writeFully(fd: number, data: Buffer): void {
  let off = 0;
  while (off < data.length) {
    try {
      off += fs.writeSync(fd, data, off, data.length - off);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        Atomics.wait(sleepCell, 0, 0, 2);
        continue;
      }
      if (code === 'EPIPE') throw new ClosedPipe();
      throw e;
    }
  }
}

/** Buffered writer for one file descriptor. */
export class FdWriter {
  private chunks: string[] = [];
  private size = 0;

  constructor(private readonly fd: number) {}

  write(s: string): void {
    this.chunks.push(s);
    this.size += s.length;
    if (this.size >= 1 << 16) this.flush();
  }

  line(s = ''): void {
    this.write(s + '\n');
  }

  writeBytes(b: Uint8Array): void {
    this.flush();
    writeFully(this.fd, Buffer.from(b.buffer, b.byteOffset, b.byteLength));
  }

  flush(): void {
    if (this.size === 0) return;
    const data = Buffer.from(this.chunks.join(''), 'utf8');
    this.chunks = [];
    this.size = 0;
    writeFully(this.fd, data);
  }
}

export interface Io {
  out: FdWriter;
  err: FdWriter;
  /** Reads all of standard input. */
  readStdin: () => Buffer;
}

export function processIo(): Io {
  return {
    out: new FdWriter(1),
    err: new FdWriter(2),
    readStdin: () => fs.readFileSync(0),
  };
}
