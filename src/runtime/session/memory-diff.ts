// The difference between the guest's memory at two points: the changed ranges with their old and new bytes.
// Equal stretches are skipped a chunk at a time by memcmp (Buffer.compare); only chunks that differ are looked into,
// in smaller and smaller pieces, down to words and bytes. Memory that grew between the two points counts as zeros
// before (memory.grow gives zeros).

import type { MemoryDiff, MemoryRange } from './protocol';

const CHUNK = 64 * 1024;
const PIECE = 256;
/** Changed bytes this close together are one range (the unchanged ones between are listed too). */
const JOIN = 16;

function equal(a: Uint8Array, b: Uint8Array, from: number, to: number): boolean {
  return Buffer.compare(a.subarray(from, to), b.subarray(from, to)) === 0;
}

/**
 * Diffs `count` bytes from `offset` of `from` (older) and `to` (newer). At most `maxRanges` ranges are returned
 * with their bytes; `changedBytes` counts every differing byte.
 */
export function diffMemory(from: Uint8Array, to: Uint8Array, offset = 0, count?: number, maxRanges = 1000): MemoryDiff {
  const size = Math.max(from.length, to.length);
  const start = Math.min(Math.max(0, offset), size);
  const end = Math.min(size, count === undefined ? size : start + Math.max(0, count));
  // Both as long as the larger: what one does not have is zeros.
  const a = from.length >= end ? from : grow(from, end);
  const b = to.length >= end ? to : grow(to, end);
  const ranges: MemoryRange[] = [];
  let changed = 0;
  let truncated = false;
  let open: { start: number; end: number } | undefined;
  const close = (): void => {
    if (!open) return;
    if (ranges.length < maxRanges) ranges.push({ offset: open.start, old: a.slice(open.start, open.end), new: b.slice(open.start, open.end) });
    else truncated = true;
    open = undefined;
  };
  const mark = (i: number): void => {
    changed++;
    if (open && i - open.end <= JOIN) open.end = i + 1;
    else {
      close();
      open = { start: i, end: i + 1 };
    }
  };
  for (let c = start; c < end; c += CHUNK) {
    const ce = Math.min(end, c + CHUNK);
    if (equal(a, b, c, ce)) continue;
    for (let p = c; p < ce; p += PIECE) {
      const pe = Math.min(ce, p + PIECE);
      if (equal(a, b, p, pe)) continue;
      for (let i = p; i < pe; i++) if (a[i] !== b[i]) mark(i);
    }
  }
  close();
  return { ranges, changedBytes: changed, truncated, comparedBytes: end - start, fromBytes: from.length, toBytes: to.length };
}

function grow(m: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array(n);
  out.set(m.subarray(0, Math.min(m.length, n)));
  return out;
}
