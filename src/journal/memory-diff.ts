// The difference between a guest's memory at two points (of a session, or two snapshots of a journal): the changed ranges with their old and new bytes.
// Equal stretches are skipped a chunk at a time by memcmp (Buffer.compare); a chunk that differs is halved, and its
// halves that differ halved again, down to pieces looked at byte by byte. Memory that grew between the two points
// counts as zeros before (memory.grow gives zeros).

export interface MemoryRange {
  offset: number;
  old: Uint8Array;
  new: Uint8Array;
}

export interface MemoryDiff {
  ranges: MemoryRange[];
  changedBytes: number;
  /** More ranges changed than `maxRanges`: the rest are counted, not listed. */
  truncated: boolean;
  comparedBytes: number;
  /** The sizes of memory at the two points (memory only grows). */
  fromBytes: number;
  toBytes: number;
}

const CHUNK = 64 * 1024;
/** Pieces this small are looked at byte by byte. */
const LEAF = 256;
/** Changed bytes this close together are one range (the unchanged ones between are listed too). */
const JOIN = 16;

const view = (m: Uint8Array): Buffer => Buffer.from(m.buffer, m.byteOffset, m.byteLength);

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
  /** Bytes [i, j) differ. */
  const mark = (i: number, j: number): void => {
    changed += j - i;
    if (open && i - open.end <= JOIN) open.end = j;
    else {
      close();
      open = { start: i, end: j };
    }
  };
  const A = view(a);
  const B = view(b);
  // A piece that differs is halved until the halves are small, skipping the halves that are equal.
  const refine = (from: number, to: number): void => {
    if (to - from <= LEAF) {
      let i = from;
      while (i < to) {
        if (a[i] === b[i]) {
          i++;
          continue;
        }
        let j = i + 1;
        while (j < to && a[j] !== b[j]) j++;
        mark(i, j);
        i = j;
      }
      return;
    }
    const mid = from + (((to - from) >>> 1) & ~7);
    if (A.compare(B, from, mid, from, mid) !== 0) refine(from, mid);
    if (A.compare(B, mid, to, mid, to) !== 0) refine(mid, to);
  };
  for (let c = start; c < end; c += CHUNK) {
    const ce = Math.min(end, c + CHUNK);
    if (A.compare(B, c, ce, c, ce) !== 0) refine(c, ce);
  }
  close();
  return { ranges, changedBytes: changed, truncated, comparedBytes: end - start, fromBytes: from.length, toBytes: to.length };
}

function grow(m: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array(n);
  out.set(m.subarray(0, Math.min(m.length, n)));
  return out;
}

/** A diff as the debug adapter's `diffMemory` and the language server's snapshot diff answer it (bytes as base64). */
export interface MemoryDiffBody {
  /** With `old` and `new` unless asked for where and how long only. */
  ranges: { offset: number; length: number; old?: string; new?: string }[];
  rangeCount: number;
  changedBytes: number;
  truncated: boolean;
  comparedBytes: number;
  fromBytes: number;
  toBytes: number;
}

export function diffBody(d: MemoryDiff, bytes = true): MemoryDiffBody {
  const b64 = (x: Uint8Array): string => Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString('base64');
  return {
    ranges: d.ranges.map((r) => {
      const length = Math.max(r.old.length, r.new.length);
      return bytes ? { offset: r.offset, length, old: b64(r.old), new: b64(r.new) } : { offset: r.offset, length };
    }),
    rangeCount: d.ranges.length,
    changedBytes: d.changedBytes,
    truncated: d.truncated,
    comparedBytes: d.comparedBytes,
    fromBytes: d.fromBytes,
    toBytes: d.toBytes,
  };
}
