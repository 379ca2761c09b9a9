// LZ4 block compression (the lz4_flex block format, the one Wasmer uses), with the uncompressed size kept by the
// caller. Chosen by measurement over zlib/deflate (bench/journal.ts, docs/benchmarks.md): 2-4x faster to compress and
// decompress on memory images, at a somewhat lower ratio.
//
// `decompress` refuses a declared size that the compressed bytes could not possibly produce, so a corrupt or hostile
// size field never makes us allocate it.

import { JournalError } from './errors';
import { lz4CompressJs } from './lz4-js';
import { forcedPortable } from './platform';

type Lz4Native = { compressSync: (b: Buffer) => Buffer; uncompressSync: (b: Buffer) => Buffer };

/** lz4-napi when it loads (a native binary for this platform); otherwise the JavaScript codec (lz4-js.ts, below). */
function loadNative(): Lz4Native | undefined {
  if (forcedPortable()) return undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('lz4-napi') as Lz4Native;
  } catch {
    return undefined;
  }
}

const native = loadNative();
/** Which implementation compresses and decompresses: shown by `wasm-journal --version` and the benchmarks. */
export const lz4Backend: 'native' | 'javascript' = native ? 'native' : 'javascript';

/** LZ4 cannot expand more than 255x (one literal/match byte per 255 output bytes), plus a small constant. */
export const LZ4_MAX_RATIO = 255;

function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** Compresses into an LZ4 block prefixed by the uncompressed size as u32 little-endian (lz4_flex `compress_prepend_size`). */
export function lz4CompressPrependSize(data: Uint8Array): Buffer {
  return native ? native.compressSync(asBuffer(data)) : lz4CompressJs(data);
}

/** Inverse of lz4CompressPrependSize; `what` names the data in errors. */
export function lz4DecompressPrependSize(data: Uint8Array, what: string, maxSize = 0xffffffff): Uint8Array {
  if (data.length < 4) throw new JournalError('compression', `${what}: compressed data is shorter than its size prefix`);
  const size = asBuffer(data).readUInt32LE(0);
  checkPlausible(size, data.length - 4, what, maxSize);
  let out: Buffer;
  try {
    if (native) out = native.uncompressSync(asBuffer(data));
    else {
      out = Buffer.allocUnsafe(size);
      lz4DecompressPlaced(data, 0, () => ({ target: out, at: 0, length: size }), what);
    }
  } catch (e) {
    if (e instanceof JournalError) throw e;
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

/**
 * The first `n` bytes that an LZ4 block (with its size prefix) decompresses to, without decompressing the rest: what
 * indexing needs to learn a record's leading fields (a memory region's addresses) cheaply. Throws a JournalError
 * when the block ends or breaks before `n` bytes.
 */
export function lz4DecompressPrefix(data: Uint8Array, n: number, what: string): Uint8Array {
  const out = new Uint8Array(n);
  let o = 0;
  let i = 4;
  const fail = (): never => {
    throw new JournalError('compression', `${what}: corrupt LZ4 data near byte ${i}`);
  };
  const length = (base: number): number => {
    let len = base;
    if (base === 15) {
      for (;;) {
        if (i >= data.length) fail();
        const b = data[i++];
        len += b;
        if (b !== 255) break;
      }
    }
    return len;
  };
  while (o < n) {
    if (i >= data.length) fail();
    const token = data[i++];
    const lit = length(token >>> 4);
    if (i + lit > data.length) fail();
    for (let k = 0; k < lit && o < n; k++) out[o++] = data[i + k];
    i += lit;
    if (o >= n) break;
    if (i + 2 > data.length) fail();
    const offset = data[i] | (data[i + 1] << 8);
    i += 2;
    const match = length(token & 15) + 4;
    if (offset === 0 || offset > o) fail();
    // Byte by byte: a match may overlap what it copies.
    for (let k = 0; k < match && o < n; k++, o++) out[o] = out[o - offset];
  }
  return out;
}

/** Where the bytes after an LZ4 block's first bytes go: `target[at, at + length)`. */
export interface Placement {
  target: Uint8Array;
  at: number;
  length: number;
}

/**
 * Decompresses an LZ4 block (with its size prefix) whose first `headLength` bytes are a header: those go to a small
 * buffer handed to `place`, which says where the rest goes, and the rest is decompressed straight there (no buffer
 * of the whole size is allocated, and nothing is copied twice). Writes stay inside the placement: a block that
 * would write past it, or decompresses to another size than its prefix says, is a JournalError.
 */
export function lz4DecompressPlaced(data: Uint8Array, headLength: number, place: (head: Uint8Array) => Placement, what: string): void {
  if (data.length < 4) throw new JournalError('compression', `${what}: compressed data is shorter than its size prefix`);
  const size = (data[0] | (data[1] << 8) | (data[2] << 16) | (data[3] << 24)) >>> 0;
  checkPlausible(size, data.length - 4, what, 0xffffffff);
  const head = new Uint8Array(headLength);
  let target: Uint8Array = head;
  let base = 0; // target index of output position headLength
  let limit = headLength; // output positions below this are writable so far
  let placed = false;
  let i = 4;
  let p = 0;
  const fail = (why: string): never => {
    throw new JournalError('compression', `${what}: corrupt LZ4 data at byte ${i} (${why})`);
  };
  const doPlace = (): void => {
    const pl = place(head);
    if (headLength + pl.length !== size) fail(`it holds ${size} bytes, the header says ${headLength + pl.length}`);
    if (pl.at < 0 || pl.at + pl.length > pl.target.length) fail('its place is outside the target');
    target = pl.target;
    base = pl.at - headLength;
    limit = size;
    placed = true;
  };
  // One byte at a time, for the few bytes around the header.
  const get = (q: number): number => (q < headLength ? head[q] : target[base + q]);
  const put = (v: number): void => {
    if (p >= limit) fail('it runs past its size');
    if (p < headLength) head[p] = v;
    else target[base + p] = v;
    p++;
  };
  const length = (nibble: number): number => {
    let len = nibble;
    if (nibble === 15) {
      for (;;) {
        if (i >= data.length) fail('a length runs past the end');
        const b = data[i++];
        len += b;
        if (b !== 255) break;
      }
    }
    return len;
  };
  if (headLength === 0) doPlace();
  while (i < data.length) {
    const token = data[i++];
    const lit = length(token >>> 4);
    if (i + lit > data.length) fail('literals run past the end');
    // Byte by byte while the header is being filled; straight into the target after that.
    let k = 0;
    for (; k < lit && !placed; k++) {
      put(data[i + k]);
      if (p === headLength) doPlace();
    }
    const rest = lit - k;
    if (rest > 0) {
      if (p + rest > limit) fail('it runs past its size');
      if (rest > 16) target.set(data.subarray(i + k, i + lit), base + p);
      else for (let q = 0; q < rest; q++) target[base + p + q] = data[i + k + q];
      p += rest;
    }
    i += lit;
    if (i === data.length) break; // the last sequence has literals only
    if (i + 2 > data.length) fail('a match offset runs past the end');
    const offset = data[i] | (data[i + 1] << 8);
    i += 2;
    const full = length(token & 15) + 4;
    if (offset === 0 || offset > p) fail('a match reaches before the start');
    let len = full;
    for (; len > 0 && !(placed && p - offset >= headLength); len--) {
      put(get(p - offset));
      if (!placed && p === headLength) doPlace();
    }
    if (len > 0) {
      if (p + len > limit) fail('it runs past its size');
      const dst = base + p;
      const src = dst - offset;
      if (len <= 32) for (let q = 0; q < len; q++) target[dst + q] = target[src + q];
      else if (offset >= len) target.copyWithin(dst, src, src + len);
      else if (offset === 1) target.fill(target[src], dst, dst + len);
      else {
        // A repeating pattern of `offset` bytes: copy it once, then double what is done.
        let done = offset;
        target.copyWithin(dst, src, src + offset);
        while (done < len) {
          const n = Math.min(done, len - done);
          target.copyWithin(dst + done, dst, dst + n);
          done += n;
        }
      }
      p += len;
    }
  }
  if (!placed && p === headLength) doPlace();
  if (!placed) fail(`it holds ${p} bytes, fewer than its ${headLength}-byte header`);
  if (p !== size) fail(`it decompressed to ${p} bytes, expected ${size}`);
}
