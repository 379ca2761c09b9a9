// LZ4 block compression in JavaScript: what the journal uses where the native lz4-napi is missing (a platform it has
// no binary for, a .vsix packed elsewhere) or WASM_JOURNAL_PORTABLE=1. The output is a valid LZ4 block (any LZ4
// decoder reads it), not byte-for-byte lz4_flex's: its matches are found by a hash of 4 bytes with the usual skip
// over incompressible stretches. Decompression in JavaScript is compression.ts's lz4DecompressPlaced.

const MIN_MATCH = 4;
/**
 * No match starts in the last 12 bytes, and the last 5 are literals (the LZ4 block format's end rules); as lz4_flex
 * does, a match ends at least 6 bytes before the end (so short inputs come out as lz4_flex writes them).
 */
const MF_LIMIT = 12;
const END_OFFSET = 6;
const HASH_LOG = 16;
const MAX_OFFSET = 65535;

const read32 = (b: Uint8Array, i: number): number => (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0;

let table: Int32Array | undefined;

/** `src` as an LZ4 block prefixed by its size (u32 little-endian), as lz4_flex's compress_prepend_size writes. */
export function lz4CompressJs(src: Uint8Array): Buffer {
  const n = src.length;
  // The worst case: every byte a literal, one length byte per 255, a token.
  const out = Buffer.allocUnsafe(4 + n + Math.ceil(n / 255) + 16);
  out.writeUInt32LE(n, 0);
  let o = 4;
  let anchor = 0;
  const emit = (literalEnd: number, offset: number, matchLength: number): void => {
    const lit = literalEnd - anchor;
    const ml = matchLength - MIN_MATCH;
    out[o++] = ((lit >= 15 ? 15 : lit) << 4) | (matchLength === 0 ? 0 : ml >= 15 ? 15 : ml);
    if (lit >= 15) {
      let rest = lit - 15;
      for (; rest >= 255; rest -= 255) out[o++] = 255;
      out[o++] = rest;
    }
    if (lit > 32) {
      out.set(src.subarray(anchor, literalEnd), o);
      o += lit;
    } else for (let k = anchor; k < literalEnd; k++) out[o++] = src[k];
    if (matchLength === 0) return;
    out[o++] = offset & 0xff;
    out[o++] = offset >>> 8;
    if (ml >= 15) {
      let rest = ml - 15;
      for (; rest >= 255; rest -= 255) out[o++] = 255;
      out[o++] = rest;
    }
  };
  if (n > MF_LIMIT) {
    // A table about the input's size (a journal compresses many small payloads: clearing 64K slots for each would
    // cost more than compressing it).
    const log = n < 1 << 10 ? 10 : n < 1 << 14 ? 13 : HASH_LOG;
    const shift = 32 - log;
    const t = (table ??= new Int32Array(1 << HASH_LOG));
    t.fill(-1, 0, 1 << log);
    const limit = n - MF_LIMIT;
    const matchEnd = n - END_OFFSET;
    let ip = 0;
    while (ip < limit) {
      const seq = read32(src, ip);
      const h = Math.imul(seq, 2654435761) >>> shift;
      let ref = t[h];
      t[h] = ip;
      if (ref < 0 || ip - ref > MAX_OFFSET || read32(src, ref) !== seq) {
        // Further and further apart over data that does not repeat.
        ip += 1 + ((ip - anchor) >>> 6);
        continue;
      }
      let start = ip;
      while (start > anchor && ref > 0 && src[start - 1] === src[ref - 1]) {
        start--;
        ref--;
      }
      let len = ip - start + MIN_MATCH;
      while (start + len < matchEnd && src[start + len] === src[ref + len]) len++;
      emit(start, start - ref, len);
      ip = start + len;
      anchor = ip;
      if (ip - 2 >= 0 && ip - 2 < limit) t[Math.imul(read32(src, ip - 2), 2654435761) >>> shift] = ip - 2;
    }
  }
  emit(n, 0, 0);
  return out.subarray(0, o);
}
