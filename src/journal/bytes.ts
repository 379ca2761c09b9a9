// Little-endian byte writer and bounds-checked reader used by the record codec.
// The reader never reads past its end and never allocates more than the bytes it holds: a length field that points
// past the end is a JournalError('truncated'), not a huge allocation.

import { JournalError } from './errors';

const textDecoder = new TextDecoder('utf-8', { fatal: true });

/** A ByteWriter over a fixed buffer (ByteWriter.over) ran out of room. */
export class WriterFull extends Error {}

export class ByteWriter {
  private buf: Buffer;
  private dv: DataView;
  private pos = 0;
  private fixed = false;

  constructor(initialCapacity = 256) {
    this.buf = Buffer.allocUnsafe(initialCapacity);
    this.dv = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  /** A writer into `target` itself, which never grows: writing past its end throws WriterFull. */
  static over(target: Uint8Array): ByteWriter {
    const w = new ByteWriter(0);
    w.buf = Buffer.from(target.buffer, target.byteOffset, target.byteLength);
    w.dv = new DataView(target.buffer, target.byteOffset, target.byteLength);
    w.fixed = true;
    return w;
  }

  get length(): number {
    return this.pos;
  }

  /** Forget what was written, keeping the allocation for reuse. */
  reset(): void {
    this.pos = 0;
  }

  private ensure(extra: number): void {
    const need = this.pos + extra;
    if (need <= this.buf.length) return;
    if (this.fixed) throw new WriterFull();
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = Buffer.allocUnsafe(cap);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
    this.dv = new DataView(next.buffer, next.byteOffset, next.byteLength);
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  // Values are range-checked by the schema encoders; these store them without Buffer's per-call checks.
  u16(v: number): void {
    this.ensure(2);
    this.dv.setUint16(this.pos, v, true);
    this.pos += 2;
  }

  u32(v: number): void {
    this.ensure(4);
    this.dv.setUint32(this.pos, v, true);
    this.pos += 4;
  }

  i32(v: number): void {
    this.ensure(4);
    this.dv.setInt32(this.pos, v, true);
    this.pos += 4;
  }

  u64(v: bigint): void {
    this.ensure(8);
    this.dv.setBigUint64(this.pos, v, true);
    this.pos += 8;
  }

  i64(v: bigint): void {
    this.ensure(8);
    this.dv.setBigInt64(this.pos, v, true);
    this.pos += 8;
  }

  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** Length-prefixed (u32) bytes. */
  bytes(bytes: Uint8Array): void {
    this.u32(bytes.length);
    this.raw(bytes);
  }

  /** Length-prefixed (u32) UTF-8 string. */
  string(s: string): void {
    const n = Buffer.byteLength(s, 'utf8');
    this.u32(n);
    this.ensure(n);
    this.buf.write(s, this.pos, 'utf8');
    this.pos += n;
  }

  /** Zero bytes up to the next multiple of `alignment`. */
  pad(alignment: number): void {
    const rem = this.pos % alignment;
    if (rem === 0) return;
    const n = alignment - rem;
    this.ensure(n);
    for (let i = 0; i < n; i++) this.buf[this.pos + i] = 0;
    this.pos += n;
  }

  /** Forgets everything written after the first `length` bytes. */
  truncate(length: number): void {
    this.pos = Math.min(this.pos, length);
  }

  setU8At(at: number, v: number): void {
    this.buf[at] = v;
  }

  setU16At(at: number, v: number): void {
    this.dv.setUint16(at, v, true);
  }

  setU32At(at: number, v: number): void {
    this.dv.setUint32(at, v, true);
  }

  /** The buffer written into (bytes [0, length) are the written ones; valid until the next write). */
  bytesSoFar(): Buffer {
    return this.buf;
  }

  /** A view of bytes [start, end) written so far (valid until the next write). */
  range(start: number, end: number): Buffer {
    return this.buf.subarray(start, end);
  }

  /** A view of the bytes written so far (valid until the next write). */
  view(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  /** A copy of the bytes written so far. */
  toBuffer(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }
}

export class ByteReader {
  private pos: number;
  private readonly buf: Buffer;

  constructor(
    bytes: Uint8Array,
    start = 0,
    private readonly end = bytes.length,
    /** Added to positions in error messages, so they name file offsets. */
    private readonly baseOffset = 0,
  ) {
    this.pos = start;
    this.buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number, what: string): void {
    if (n > this.end - this.pos) {
      throw new JournalError(
        'truncated',
        `${what} needs ${n} bytes at byte ${this.baseOffset + this.pos} but only ${this.end - this.pos} remain`,
        this.baseOffset + this.pos,
      );
    }
  }

  u8(what = 'u8'): number {
    this.need(1, what);
    return this.buf[this.pos++];
  }

  u16(what = 'u16'): number {
    this.need(2, what);
    const v = this.buf.readUInt16LE(this.pos);
    this.pos += 2;
    return v;
  }

  u32(what = 'u32'): number {
    this.need(4, what);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  i32(what = 'i32'): number {
    this.need(4, what);
    const v = this.buf.readInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  u64(what = 'u64'): bigint {
    this.need(8, what);
    const v = this.buf.readBigUInt64LE(this.pos);
    this.pos += 8;
    return v;
  }

  i64(what = 'i64'): bigint {
    this.need(8, what);
    const v = this.buf.readBigInt64LE(this.pos);
    this.pos += 8;
    return v;
  }

  /** `n` raw bytes, copied into a plain Uint8Array (so the result does not pin the whole input). */
  raw(n: number, what = 'bytes'): Uint8Array {
    this.need(n, what);
    const out = new Uint8Array(n);
    out.set(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return out;
  }

  bytes(what = 'bytes'): Uint8Array {
    const n = this.u32(`${what} length`);
    return this.raw(n, what);
  }

  string(what = 'string'): string {
    const n = this.u32(`${what} length`);
    this.need(n, what);
    const at = this.pos;
    try {
      // Short ASCII strings (most paths) decode faster by hand than through TextDecoder.
      let ascii = n <= 64;
      for (let i = this.pos; ascii && i < this.pos + n; i++) if (this.buf[i] >= 0x80) ascii = false;
      const s = ascii ? this.buf.toString('latin1', this.pos, this.pos + n) : textDecoder.decode(this.buf.subarray(this.pos, this.pos + n));
      this.pos += n;
      return s;
    } catch {
      throw new JournalError('bad-field', `${what} at byte ${this.baseOffset + at} is not valid UTF-8`, this.baseOffset + at);
    }
  }

  expectEnd(what: string): void {
    if (this.pos !== this.end) {
      throw new JournalError(
        'bad-field',
        `${what} has ${this.end - this.pos} unexpected trailing bytes at byte ${this.baseOffset + this.pos}`,
        this.baseOffset + this.pos,
      );
    }
  }
}
