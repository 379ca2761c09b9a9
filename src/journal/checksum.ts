// CRC32C (Castagnoli) over record headers and payloads.
// Small inputs use a table-driven (slicing-by-16) implementation, which beats a native call for short records;
// large inputs use the SIMD/hardware implementation from @node-rs/crc32 when it is installed. Both compute the same
// function and are cross-checked in the tests.

import { forcedPortable } from './platform';

const POLY = 0x82f63b78;
const TABLE = new Int32Array(256 * 16);
for (let i = 0; i < 256; i++) {
  let c = i;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
  TABLE[i] = c;
}
for (let i = 0; i < 256; i++) {
  let c = TABLE[i];
  for (let t = 1; t < 16; t++) {
    c = TABLE[c & 0xff] ^ (c >>> 8);
    TABLE[t * 256 + i] = c;
  }
}

/** Pure TypeScript CRC32C of buf[from, to); `seed` continues a previous checksum. */
export function crc32cSoftware(buf: Uint8Array, seed = 0, from = 0, to = buf.length): number {
  const T = TABLE;
  let crc = ~seed;
  let i = from;
  const n = to;
  const end = n - ((n - from) % 16);
  for (; i < end; i += 16) {
    const a = crc ^ (buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24));
    crc =
      T[3840 + (a & 0xff)] ^ T[3584 + ((a >>> 8) & 0xff)] ^ T[3328 + ((a >>> 16) & 0xff)] ^ T[3072 + (a >>> 24)] ^
      T[2816 + buf[i + 4]] ^ T[2560 + buf[i + 5]] ^ T[2304 + buf[i + 6]] ^ T[2048 + buf[i + 7]] ^
      T[1792 + buf[i + 8]] ^ T[1536 + buf[i + 9]] ^ T[1280 + buf[i + 10]] ^ T[1024 + buf[i + 11]] ^
      T[768 + buf[i + 12]] ^ T[512 + buf[i + 13]] ^ T[256 + buf[i + 14]] ^ T[buf[i + 15]];
  }
  for (; i < n; i++) crc = T[(crc ^ buf[i]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
}

type NativeCrc = (input: Uint8Array, seed?: number) => number;

function loadNative(): NativeCrc | undefined {
  if (process.env.WASM_JOURNAL_NO_NATIVE_CRC || forcedPortable()) return undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require('@node-rs/crc32') as { crc32c: (input: Buffer, seed?: number) => number };
    const probe = Buffer.from('123456789');
    if (mod.crc32c(probe) !== 0xe3069283) return undefined;
    return (input, seed) => mod.crc32c(Buffer.from(input.buffer, input.byteOffset, input.byteLength), seed ?? 0);
  } catch {
    return undefined;
  }
}

const native = loadNative();
/** Inputs at least this long go to the native implementation (measured crossover, see bench/checksum). */
const NATIVE_THRESHOLD = 768;

/** Which implementation serves large inputs: shown by `wasm-journal --version` and the benchmarks. */
export const crc32cBackend: 'native' | 'software' = native ? 'native' : 'software';

/** CRC32C of `buf`, continuing from `seed` (0 for a fresh checksum). */
export function crc32c(buf: Uint8Array, seed = 0): number {
  if (native !== undefined && buf.length >= NATIVE_THRESHOLD) return native(buf, seed);
  return crc32cSoftware(buf, seed);
}

/** CRC32C of buf[from, to), without making a view for short ranges. */
export function crc32cRange(buf: Uint8Array, from: number, to: number): number {
  if (native !== undefined && to - from >= NATIVE_THRESHOLD) return native(buf.subarray(from, to), 0);
  return crc32cSoftware(buf, 0, from, to);
}
