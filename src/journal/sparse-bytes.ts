// A sparse byte space: which addresses have been written, and their newest bytes. Used for guest memory (restored
// from memory-region updates) and file contents (restored from writes) by the state model, and by compaction to merge
// overlapping and adjacent memory updates so only the newest byte of each address survives.
//
// Storage is paged (4 KiB) so that writes cost in proportion to their size, whatever the size of what is already
// there; each page keeps the sorted ranges of its bytes that are known.

const PAGE_BITS = 12;
const PAGE = 1 << PAGE_BITS;

interface Page {
  data: Uint8Array;
  /** Sorted, disjoint, non-adjacent [start, end) pairs, flattened, of known bytes within the page. */
  ranges: number[];
}

export interface Run {
  start: number;
  data: Uint8Array;
}

function addRange(ranges: number[], s: number, e: number): number[] {
  if (ranges.length === 2 && ranges[0] === 0 && ranges[1] === PAGE) return ranges;
  const out: number[] = [];
  let i = 0;
  while (i < ranges.length && ranges[i + 1] < s) {
    out.push(ranges[i], ranges[i + 1]);
    i += 2;
  }
  let ns = s;
  let ne = e;
  while (i < ranges.length && ranges[i] <= ne) {
    ns = Math.min(ns, ranges[i]);
    ne = Math.max(ne, ranges[i + 1]);
    i += 2;
  }
  out.push(ns, ne);
  while (i < ranges.length) {
    out.push(ranges[i], ranges[i + 1]);
    i += 2;
  }
  return out;
}

export class SparseBytes {
  private pages = new Map<number, Page>();
  private sortedKeys: number[] | undefined = [];

  /** Number of known bytes. */
  get size(): number {
    let n = 0;
    for (const p of this.pages.values()) for (let i = 0; i < p.ranges.length; i += 2) n += p.ranges[i + 1] - p.ranges[i];
    return n;
  }

  /** One past the highest known address (0 when empty). */
  get end(): number {
    const keys = this.keys();
    if (keys.length === 0) return 0;
    const k = keys[keys.length - 1];
    const r = this.pages.get(k)!.ranges;
    return k * PAGE + r[r.length - 1];
  }

  get isEmpty(): boolean {
    return this.pages.size === 0;
  }

  private keys(): number[] {
    if (!this.sortedKeys) this.sortedKeys = [...this.pages.keys()].sort((a, b) => a - b);
    return this.sortedKeys;
  }

  write(offset: number, data: Uint8Array): void {
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(offset + data.length)) {
      throw new RangeError(`address ${offset} (+${data.length}) is outside the supported range`);
    }
    let pos = 0;
    while (pos < data.length) {
      const addr = offset + pos;
      const key = Math.floor(addr / PAGE);
      const inPage = addr - key * PAGE;
      const n = Math.min(PAGE - inPage, data.length - pos);
      let page = this.pages.get(key);
      if (!page) {
        page = { data: new Uint8Array(PAGE), ranges: [] };
        this.pages.set(key, page);
        this.sortedKeys = undefined;
      }
      page.data.set(data.subarray(pos, pos + n), inPage);
      page.ranges = addRange(page.ranges, inPage, inPage + n);
      pos += n;
    }
  }

  /** Forgets every byte at or above `size`. */
  truncate(size: number): void {
    for (const [key, page] of this.pages) {
      const base = key * PAGE;
      if (base >= size) {
        this.pages.delete(key);
        this.sortedKeys = undefined;
        continue;
      }
      if (base + PAGE <= size) continue;
      const limit = size - base;
      const kept: number[] = [];
      for (let i = 0; i < page.ranges.length; i += 2) {
        const s = page.ranges[i];
        const e = Math.min(page.ranges[i + 1], limit);
        if (s < e) kept.push(s, e);
      }
      page.data.fill(0, limit);
      if (kept.length === 0) {
        this.pages.delete(key);
        this.sortedKeys = undefined;
      } else page.ranges = kept;
    }
  }

  clear(): void {
    this.pages.clear();
    this.sortedKeys = [];
  }

  /** Known bytes in [offset, offset+length), as runs. */
  *runsIn(offset: number, length: number): Generator<Run> {
    for (const r of this.runs()) {
      const s = Math.max(r.start, offset);
      const e = Math.min(r.start + r.data.length, offset + length);
      if (s < e) yield { start: s, data: r.data.subarray(s - r.start, e - r.start) };
    }
  }

  /**
   * Maximal runs of contiguous known bytes, in address order, each split into pieces of at most `maxRun` bytes.
   * The data of a run is a fresh copy.
   */
  *runs(maxRun = Number.MAX_SAFE_INTEGER): Generator<Run> {
    let curStart = -1;
    let parts: Uint8Array[] = [];
    let curLen = 0;
    const flush = function* (): Generator<Run> {
      if (curStart < 0) return;
      const all = parts.length === 1 ? parts[0] : Buffer.concat(parts, curLen);
      for (let o = 0; o < all.length; o += maxRun) {
        yield { start: curStart + o, data: all.slice(o, Math.min(all.length, o + maxRun)) };
      }
      curStart = -1;
      parts = [];
      curLen = 0;
    };
    for (const key of this.keys()) {
      const page = this.pages.get(key)!;
      for (let i = 0; i < page.ranges.length; i += 2) {
        const s = key * PAGE + page.ranges[i];
        const piece = page.data.subarray(page.ranges[i], page.ranges[i + 1]);
        if (curStart >= 0 && curStart + curLen === s) {
          parts.push(piece);
          curLen += piece.length;
        } else {
          yield* flush();
          curStart = s;
          parts = [piece];
          curLen = piece.length;
        }
      }
    }
    yield* flush();
  }

  /** Copies the known bytes into `target` (unknown bytes are left as they are); bytes beyond target are ignored. */
  copyInto(target: Uint8Array): void {
    for (const key of this.keys()) {
      const page = this.pages.get(key)!;
      const base = key * PAGE;
      if (base >= target.length) break;
      for (let i = 0; i < page.ranges.length; i += 2) {
        const s = page.ranges[i];
        const e = Math.min(page.ranges[i + 1], target.length - base);
        if (s < e) target.set(page.data.subarray(s, e), base + s);
      }
    }
  }

  clone(): SparseBytes {
    const c = new SparseBytes();
    for (const [k, p] of this.pages) c.pages.set(k, { data: p.data.slice(), ranges: p.ranges.slice() });
    c.sortedKeys = undefined;
    return c;
  }

  /** Same known addresses with the same bytes. */
  equals(other: SparseBytes): boolean {
    if (this.pages.size !== other.pages.size) return false;
    for (const [k, p] of this.pages) {
      const q = other.pages.get(k);
      if (!q || q.ranges.length !== p.ranges.length) return false;
      for (let i = 0; i < p.ranges.length; i++) if (p.ranges[i] !== q.ranges[i]) return false;
      for (let i = 0; i < p.ranges.length; i += 2) {
        if (!Buffer.from(p.data.buffer, p.data.byteOffset + p.ranges[i], p.ranges[i + 1] - p.ranges[i]).equals(
          Buffer.from(q.data.buffer, q.data.byteOffset + p.ranges[i], p.ranges[i + 1] - p.ranges[i]),
        )) return false;
      }
    }
    return true;
  }
}
