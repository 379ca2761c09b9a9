// The memory diff view's logic without the DOM: which rows a scroll position shows (a 256 MiB memory is 16 million
// rows, more than a browser scrolls, so the scroll bar is scaled), the pages to fetch and keep, and the changed
// range to go to next. The view (main.ts) draws what this computes; the tests run it in Node.

export const ROW_BYTES = 16;
export const PAGE_BYTES = 64 * 1024;
/** The tallest scroll area used (browsers cap element heights around 33 million pixels). */
export const MAX_SCROLL_PX = 8_000_000;

/** Maps a scroll position to a first row and back, scaled when the rows are taller than MAX_SCROLL_PX. */
export class RowScroller {
  constructor(
    readonly rows: number,
    readonly rowPx: number,
    public viewportPx: number,
  ) {}

  get visibleRows(): number {
    return Math.max(1, Math.ceil(this.viewportPx / this.rowPx));
  }

  /** The height of the scroll area. */
  get scrollPx(): number {
    return Math.min(MAX_SCROLL_PX, this.rows * this.rowPx);
  }

  private get maxFirst(): number {
    return Math.max(0, this.rows - this.visibleRows + 1);
  }

  private get maxScroll(): number {
    return Math.max(0, this.scrollPx - this.viewportPx);
  }

  firstRow(scrollTop: number): number {
    if (this.maxScroll === 0) return 0;
    if (this.rows * this.rowPx <= MAX_SCROLL_PX) return Math.min(this.maxFirst, Math.floor(scrollTop / this.rowPx));
    return Math.min(this.maxFirst, Math.round((scrollTop / this.maxScroll) * this.maxFirst));
  }

  scrollTopFor(row: number): number {
    const r = Math.max(0, Math.min(this.maxFirst, row));
    if (this.rows * this.rowPx <= MAX_SCROLL_PX) return r * this.rowPx;
    return this.maxFirst === 0 ? 0 : (r / this.maxFirst) * this.maxScroll;
  }
}

/** Pages of both points, fetched once and kept (the least recently used dropped past `limit`). */
export class PageCache {
  private readonly pages = new Map<number, { from: Uint8Array; to: Uint8Array }>();
  private readonly asked = new Set<number>();

  constructor(private readonly limit = 64) {}

  /** The page holding `offset`, if it is here. */
  get(offset: number): { base: number; from: Uint8Array; to: Uint8Array } | undefined {
    const base = Math.floor(offset / PAGE_BYTES) * PAGE_BYTES;
    const p = this.pages.get(base);
    if (!p) return undefined;
    this.pages.delete(base);
    this.pages.set(base, p);
    return { base, ...p };
  }

  /** The pages [offset, offset + count) needs that are neither here nor asked for (then marked as asked). */
  missing(offset: number, count: number, size: number): number[] {
    const out: number[] = [];
    const end = Math.min(size, offset + count);
    for (let base = Math.floor(Math.max(0, offset) / PAGE_BYTES) * PAGE_BYTES; base < end; base += PAGE_BYTES) {
      if (this.pages.has(base) || this.asked.has(base)) continue;
      this.asked.add(base);
      out.push(base);
    }
    return out;
  }

  put(base: number, from: Uint8Array, to: Uint8Array): void {
    this.asked.delete(base);
    this.pages.set(base, { from, to });
    while (this.pages.size > this.limit) this.pages.delete(this.pages.keys().next().value!);
  }

  /** A page that could not be read: asked for again next time. */
  failed(base: number): void {
    this.asked.delete(base);
  }
}

/** The index of the first changed range starting after `offset` (wrapping around), or -1 when there is none. */
export function nextRange(offsets: Float64Array, offset: number, backwards = false): number {
  if (offsets.length === 0) return -1;
  // Binary search: the first range starting after offset.
  let lo = 0;
  let hi = offsets.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (offsets[mid] <= offset) lo = mid + 1;
    else hi = mid;
  }
  if (!backwards) return lo < offsets.length ? lo : 0;
  // The last range starting before offset.
  let i = lo - 1;
  while (i >= 0 && offsets[i] >= offset) i--;
  return i >= 0 ? i : offsets.length - 1;
}

/** An address typed by the user: decimal, or hex with 0x. */
export function parseAddress(text: string): number | undefined {
  const t = text.trim().toLowerCase();
  const n = /^0x[0-9a-f]+$/.test(t) ? parseInt(t.slice(2), 16) : /^\d+$/.test(t) ? Number(t) : NaN;
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

export function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

/** A byte as the ASCII column shows it. */
export function ascii(b: number): string {
  return b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
}
