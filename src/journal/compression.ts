// LZ4 block compression (the lz4_flex block format, the one Wasmer uses), with the uncompressed size kept by the
// caller. Chosen by measurement over zlib/deflate (bench/journal.ts, docs/benchmarks.md): 2-4x faster to compress and
// decompress on memory images, at a somewhat lower ratio.
//
// `decompress` refuses a declared size that the compressed bytes could not possibly produce, so a corrupt or hostile
// size field never makes us allocate it.

import { compressSync, uncompressSync } from 'lz4-napi';
import { JournalError } from './errors';

/** LZ4 cannot expand more than 255x (one literal/match byte per 255 output bytes), plus a small constant. */
export const LZ4_MAX_RATIO = 255;

function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** Compresses into an LZ4 block prefixed by the uncompressed size as u32 little-endian (lz4_flex `compress_prepend_size`). */
export function lz4CompressPrependSize(data: Uint8Array): Buffer {
  return compressSync(asBuffer(data));
}

/** Inverse of lz4CompressPrependSize; `what` names the data in errors. */
export function lz4DecompressPrependSize(data: Uint8Array, what: string, maxSize = 0xffffffff): Uint8Array {
  if (data.length < 4) throw new JournalError('compression', `${what}: compressed data is shorter than its size prefix`);
  const size = asBuffer(data).readUInt32LE(0);
  checkPlausible(size, data.length - 4, what, maxSize);
  let out: Buffer;
  try {
    out = uncompressSync(asBuffer(data));
  } catch (e) {
    throw new JournalError('compression', `${what}: corrupt LZ4 data (${(e as Error).message})`);
  }
  if (out.length !== size) {
    throw new JournalError('compression', `${what}: LZ4 data decompressed to ${out.length} bytes, expected ${size}`);
  }
  return out;
}

function checkPlausible(size: number, compressedLength: number, what: string, maxSize: number): void {
  if (size > maxSize || size > compressedLength * LZ4_MAX_RATIO + 64) {
    throw new JournalError(
      'too-large',
      `${what}: declared uncompressed size ${size} is impossible for ${compressedLength} compressed bytes`,
    );
  }
}
