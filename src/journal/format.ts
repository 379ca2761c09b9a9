// The byte layout of a journal file (docs/journal-format.md): file header, record framing, checksums, alignment.
// This file knows nothing about what the records mean; codec.ts turns payloads into entries.

import { crc32c, crc32cRange } from './checksum';
import { JournalError } from './errors';
import { lz4CompressPrependSize } from './compression';
import { ByteWriter } from './bytes';

/** "\x89WJNL\r\n\x1a": a non-ASCII first byte, then CR LF and Ctrl-Z, to detect text-mode mangling (like PNG). */
export const MAGIC = Buffer.from([0x89, 0x57, 0x4a, 0x4e, 0x4c, 0x0d, 0x0a, 0x1a]);
export const FORMAT_VERSION = 1;
export const FILE_HEADER_SIZE = 32;
export const RECORD_HEADER_SIZE = 16;
export const ALIGNMENT = 8;
/** No record payload is larger than this; writers split larger memory regions. A bigger length field is corruption. */
export const MAX_PAYLOAD = 256 * 1024 * 1024;

/** Record flag: the payload is LZ4-compressed, prefixed with its uncompressed size (u32 LE). */
export const FLAG_LZ4 = 0x01;
const KNOWN_FLAGS = FLAG_LZ4;

/** Payloads of compressible kinds at least this long are compressed when that makes them smaller. */
export const COMPRESS_THRESHOLD = 256;

export interface FileHeader {
  version: number;
  flags: number;
  /** Milliseconds since the Unix epoch when the file (or this concatenated part) was started. */
  createdMs: bigint;
}

export function encodeFileHeader(createdMs: bigint = BigInt(Date.now())): Buffer {
  const b = Buffer.alloc(FILE_HEADER_SIZE);
  MAGIC.copy(b, 0);
  b.writeUInt16LE(FORMAT_VERSION, 8);
  b.writeUInt16LE(FILE_HEADER_SIZE, 10);
  b.writeUInt32LE(0, 12);
  b.writeBigUInt64LE(createdMs, 16);
  b.writeUInt32LE(0, 24);
  b.writeUInt32LE(crc32c(b.subarray(0, 28)), 28);
  return b;
}

export function hasMagicAt(buf: Uint8Array, at: number): boolean {
  if (at + MAGIC.length > buf.length) return false;
  for (let i = 0; i < MAGIC.length; i++) if (buf[at + i] !== MAGIC[i]) return false;
  return true;
}

/**
 * Parses a header whose magic is already known to be at `at`. Returns undefined when its checksum fails (a damaged
 * header is treated like a damaged record); throws for a valid header of a version we cannot read.
 */
export function decodeFileHeader(buf: Uint8Array, at: number, fileOffset: number, file: string): FileHeader | undefined {
  const b = Buffer.from(buf.buffer, buf.byteOffset + at, FILE_HEADER_SIZE);
  if (b.readUInt32LE(28) !== crc32c(b.subarray(0, 28))) return undefined;
  const version = b.readUInt16LE(8);
  const size = b.readUInt16LE(10);
  if (version > FORMAT_VERSION || version === 0 || size !== FILE_HEADER_SIZE) {
    throw new JournalError(
      'bad-header',
      `${file}: journal header at byte ${fileOffset} has format version ${version}; this wasm-journal reads version ${FORMAT_VERSION}`,
      fileOffset,
    );
  }
  return { version, flags: b.readUInt32LE(12), createdMs: b.readBigUInt64LE(16) };
}

export function paddedLength(n: number): number {
  return (n + ALIGNMENT - 1) & ~(ALIGNMENT - 1);
}

/** Total bytes a record with this stored payload length occupies in the file. */
export function recordSize(storedLength: number): number {
  return RECORD_HEADER_SIZE + paddedLength(storedLength);
}

/** Appends a zeroed record header to `w` (8-byte aligned); the payload follows, then `finishRecord`. */
export function beginRecord(w: ByteWriter): number {
  const start = w.length;
  w.u32(0);
  w.u32(0);
  w.u32(0);
  w.u32(0);
  return start;
}

/**
 * Completes the record begun at `start` whose payload is everything after its header in `w`: compresses the payload
 * with LZ4 when `compressible` and worthwhile (it saves at least 1/16), pads to 8 bytes, fills in the header, and
 * writes the CRC32C over everything after the checksum field. Returns the record's end.
 */
export function finishRecord(w: ByteWriter, start: number, tag: number, compressible: boolean, what: string): number {
  let stored = w.length - start - RECORD_HEADER_SIZE;
  let flags = 0;
  if (compressible && stored >= COMPRESS_THRESHOLD) {
    const c = lz4CompressPrependSize(w.range(start + RECORD_HEADER_SIZE, w.length));
    if (c.length < stored - (stored >>> 4)) {
      w.truncate(start + RECORD_HEADER_SIZE);
      w.raw(c);
      stored = c.length;
      flags = FLAG_LZ4;
    }
  }
  if (stored > MAX_PAYLOAD) {
    w.truncate(start);
    throw new JournalError('too-large', `${what} has a ${stored}-byte payload; the limit is ${MAX_PAYLOAD} (split it)`);
  }
  w.pad(ALIGNMENT);
  w.setU16At(start + 4, tag);
  w.setU8At(start + 6, flags);
  w.setU32At(start + 8, stored);
  w.setU32At(start, crc32cRange(w.bytesSoFar(), start + 4, w.length));
  return w.length;
}

/** One framed record holding `payload` as it is (for tools and tests that craft records by hand). */
export function encodeRecord(tag: number, payload: Uint8Array, compressible: boolean): Buffer {
  const w = new ByteWriter(RECORD_HEADER_SIZE + payload.length + ALIGNMENT);
  const start = beginRecord(w);
  w.raw(payload);
  finishRecord(w, start, tag, compressible, `record of kind ${tag}`);
  return w.toBuffer();
}

export interface RecordHeader {
  crc: number;
  kind: number;
  flags: number;
  storedLength: number;
}

/** Reads the 16-byte header at `at`, or undefined when its fixed fields are impossible (reserved bits, zero kind). */
export function decodeRecordHeader(b: Uint8Array, at: number): RecordHeader | undefined {
  const u32 = (i: number): number => (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0;
  const kind = b[at + 4] | (b[at + 5] << 8);
  const flags = b[at + 6];
  if (kind === 0 || (flags & ~KNOWN_FLAGS) !== 0 || b[at + 7] !== 0 || u32(at + 12) !== 0) return undefined;
  const storedLength = u32(at + 8);
  if (storedLength > MAX_PAYLOAD) return undefined;
  return { crc: u32(at), kind, flags, storedLength };
}

/** True when the record whose header is at `at` (with all its bytes present in `buf`) has a matching checksum. */
export function recordChecksumOk(buf: Uint8Array, at: number, h: RecordHeader): boolean {
  const end = at + recordSize(h.storedLength);
  return crc32c(buf.subarray(at + 4, end)) === h.crc;
}
