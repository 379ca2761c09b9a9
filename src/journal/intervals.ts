// A set of disjoint half-open integer intervals, merged on insert, with binary-search lookups.

export class IntervalSet {
  private starts: number[] = [];
  private ends: number[] = [];

  get count(): number {
    return this.starts.length;
  }

  /** Index of the first interval whose end is >= x. */
  private firstEndingAtOrAfter(x: number): number {
    let lo = 0;
    let hi = this.ends.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ends[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  add(start: number, end: number): void {
    if (end <= start) return;
    const i = this.firstEndingAtOrAfter(start);
    let j = i;
    let s = start;
    let e = end;
    while (j < this.starts.length && this.starts[j] <= end) {
      s = Math.min(s, this.starts[j]);
      e = Math.max(e, this.ends[j]);
      j++;
    }
    this.starts.splice(i, j - i, s);
    this.ends.splice(i, j - i, e);
  }

  /** True when every point of [start, end) is in the set. */
  covers(start: number, end: number): boolean {
    if (end <= start) return true;
    const i = this.firstEndingAtOrAfter(start + 1);
    return i < this.starts.length && this.starts[i] <= start && this.ends[i] >= end;
  }

  *[Symbol.iterator](): Generator<[number, number]> {
    for (let i = 0; i < this.starts.length; i++) yield [this.starts[i], this.ends[i]];
  }
}
