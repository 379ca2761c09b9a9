// The timeline panel's logic without the DOM: the visible window of points (zoom, pan), what each pixel column
// shows, where the keyboard goes, and when a drag of the playhead asks the session to travel. The panel (main.ts)
// draws what this computes; the tests run it in Node.

import type { TimelinePoints, TimelineSnapshot } from '../../shared/timeline-protocol';

/** The points visible: `first` (fractional) at the left edge, `span` points across `width` pixels. */
export class Viewport {
  first = 0;
  span = 1;
  width = 1;
  /** Points in the recording (the axis ends one past the last). */
  total = 1;

  /** The fewest points across the whole width (zoomed all the way in). */
  static readonly MIN_SPAN = 8;

  setTotal(total: number): void {
    const wasFit = this.first <= 0 && this.first + this.span >= this.total;
    this.total = Math.max(1, total);
    if (wasFit) this.fit();
    else this.clamp();
  }

  fit(): void {
    this.first = 0;
    this.span = this.total;
  }

  xOf(point: number): number {
    return ((point + 0.5 - this.first) / this.span) * this.width;
  }

  /** The point under pixel x (clamped to the recording). */
  pointAt(x: number): number {
    const p = Math.floor(this.first + (x / this.width) * this.span);
    return Math.max(0, Math.min(this.total - 1, p));
  }

  /** Zooms by `factor` (>1: in) keeping the point under `anchorX` where it is. */
  zoom(factor: number, anchorX = this.width / 2): void {
    const at = this.first + (anchorX / this.width) * this.span;
    const span = Math.max(Math.min(Viewport.MIN_SPAN, this.total), Math.min(this.total, this.span / factor));
    this.first = at - (anchorX / this.width) * span;
    this.span = span;
    this.clamp();
  }

  /** Moves by `dx` pixels (positive: towards later points). */
  pan(dx: number): void {
    this.first += (dx / this.width) * this.span;
    this.clamp();
  }

  /** Brings `point` into view (scrolling as little as possible). */
  reveal(point: number): void {
    const margin = this.span * 0.05;
    if (point < this.first + margin) this.first = point - margin;
    else if (point + 1 > this.first + this.span - margin) this.first = point + 1 - this.span + margin;
    this.clamp();
  }

  private clamp(): void {
    this.span = Math.max(Math.min(Viewport.MIN_SPAN, this.total), Math.min(this.total, this.span));
    this.first = Math.max(0, Math.min(this.total - this.span, this.first));
  }
}

/** Per pixel column: how many points fall in it, of each category (`per[x * categories + c]`). */
export interface Columns {
  width: number;
  categories: number;
  total: Int32Array;
  per: Int32Array;
}

/** What each of `width` columns holds: the points of the categories `shown` (a bit per category index). */
export function columnsOf(points: TimelinePoints, view: Viewport, shown: number, width = Math.ceil(view.width)): Columns {
  const ncat = Math.max(1, points.categoryNames.length);
  const total = new Int32Array(width);
  const per = new Int32Array(width * ncat);
  const first = Math.max(points.start, Math.floor(view.first));
  const last = Math.min(points.start + points.categories.length, Math.ceil(view.first + view.span));
  let p = first;
  for (let x = 0; x < width; x++) {
    // The points whose centres fall in [x, x+1).
    const end = Math.min(last, Math.floor(view.first + ((x + 1) / view.width) * view.span - 0.5) + 1);
    for (; p < end; p++) {
      const c = points.categories[p - points.start];
      if (!((shown >>> c) & 1)) continue;
      per[x * ncat + c]++;
      total[x]++;
    }
  }
  return { width, categories: ncat, total, per };
}

/** Where Left/Right, Shift+Left/Right, Home and End go from `current`. */
export function keyTarget(key: string, shift: boolean, current: number, total: number, snapshots: TimelineSnapshot[]): number | undefined {
  const last = total - 1;
  if (last < 0) return undefined;
  const at = Math.max(0, Math.min(last, current));
  switch (key) {
    case 'ArrowLeft':
      if (!shift) return Math.max(0, at - 1);
      return [...snapshots].reverse().find((s) => s.point < at)?.point ?? 0;
    case 'ArrowRight':
      if (!shift) return Math.min(last, at + 1);
      return snapshots.find((s) => s.point > at)?.point ?? last;
    case 'Home':
      return 0;
    case 'End':
      return last;
    default:
      return undefined;
  }
}

/**
 * Scrubbing: while the playhead is dragged, travels go out at most every `intervalMs`, and never more than one at a
 * time (the next waits for the session's stop); the last position is always sent, so the session ends where the
 * playhead was let go.
 */
export class Scrubber {
  /** Where the user put the playhead last (not yet where the session is). */
  target: number | undefined;
  private inFlight: number | undefined;
  private lastSent = -Infinity;
  private pending = false;

  constructor(
    private readonly send: (point: number) => void,
    private readonly intervalMs = 120,
    private readonly now: () => number = () => Date.now(),
    private readonly later: (fn: () => void, ms: number) => void = (fn, ms) => void setTimeout(fn, ms),
  ) {}

  /** The playhead moved to `point` (a click, a drag, a key). */
  moveTo(point: number): void {
    this.target = point;
    this.flush();
  }

  /** The session stopped at `point` (the answer to a travel, or a stop of its own). */
  arrived(point: number): void {
    this.inFlight = undefined;
    if (this.target === point) this.target = undefined;
    this.flush();
  }

  /** A travel failed: the playhead goes back to where the session is, and nothing is retried. */
  cancel(): void {
    this.inFlight = undefined;
    this.target = undefined;
  }

  get busy(): boolean {
    return this.inFlight !== undefined;
  }

  private flush(): void {
    if (this.target === undefined || this.inFlight !== undefined) return;
    const wait = this.lastSent + this.intervalMs - this.now();
    if (wait > 0) {
      if (!this.pending) {
        this.pending = true;
        this.later(() => {
          this.pending = false;
          this.flush();
        }, wait);
      }
      return;
    }
    const p = this.target;
    this.inFlight = p;
    this.lastSent = this.now();
    this.send(p);
  }
}

/** Text for a point (the hover and the screen reader): `#12 fd_write(fd 1, 6 bytes) at 3.2 ms`. */
export function pointLabel(points: TimelinePoints, point: number, snapshots: TimelineSnapshot[]): string {
  const i = point - points.start;
  if (i < 0 || i >= points.calls.length) return `point ${point}`;
  const call = points.names[points.calls[i]] ?? '?';
  const parts: string[] = [];
  if (points.fds[i] >= 0) parts.push(`fd ${points.fds[i]}`);
  const path = points.paths.find(([n]) => n === point)?.[1];
  if (path !== undefined) parts.push(JSON.stringify(path));
  if (points.lens[i] >= 0) parts.push(`${points.lens[i]} bytes`);
  const snap = snapshots.find((s) => s.point === point);
  const cat = points.categoryNames[points.categories[i]] ?? '';
  return `#${point} ${call}(${parts.join(', ')}) · ${cat} · ${points.times[i].toFixed(1)} ms${snap ? ` · snapshot ${snap.index} (${snap.trigger})` : ''}`;
}

/** Appends points recorded since (`more` starts where `have` ends) into one set of columns. */
export function appendPoints(have: TimelinePoints | undefined, more: TimelinePoints): TimelinePoints {
  if (!have || more.start !== have.start + have.calls.length) return more;
  const cat = <T extends Uint16Array | Uint8Array | Int32Array | Float32Array>(a: T, b: T, make: (n: number) => T): T => {
    const out = make(a.length + b.length);
    out.set(a);
    out.set(b, a.length);
    return out;
  };
  // The names of `more` are the session's whole list, which extends `have`'s.
  return {
    start: have.start,
    calls: cat(have.calls, more.calls, (n) => new Uint16Array(n)),
    names: more.names,
    categories: cat(have.categories, more.categories, (n) => new Uint8Array(n)),
    categoryNames: more.categoryNames,
    fds: cat(have.fds, more.fds, (n) => new Int32Array(n)),
    lens: cat(have.lens, more.lens, (n) => new Int32Array(n)),
    times: cat(have.times, more.times, (n) => new Float32Array(n)),
    paths: [...have.paths, ...more.paths],
  };
}
