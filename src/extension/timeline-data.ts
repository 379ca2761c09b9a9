// The adapter's `timeline {columns: true}` and `output` responses (JSON with base64 columns) made into the typed
// arrays the timeline webview draws from. No vscode import: the tests decode real adapter responses with it.

import type { OutputLine, TimelinePoints, TimelineState } from '../shared/timeline-protocol';

/** The body of a `timeline {columns: true}` response (docs/debugging.md). */
export interface TimelineColumnsBody {
  current: number;
  total: number;
  ended: boolean;
  exitCode?: number;
  branch: number;
  branches: { id: number; parent?: number; from: number; ended: boolean; end: number; journal?: string }[];
  snapshots: { index: number; point: number; trigger: string; timeMs: number; bytes: number }[];
  columns: {
    start: number;
    count: number;
    names: string[];
    categoryNames: string[];
    calls: string;
    categories: string;
    fds: string;
    lens: string;
    times: string;
    paths: [number, string][];
  };
}

function typed<T>(b64: string, make: (buf: ArrayBuffer, n: number) => T, bytesPer: number, count: number, what: string): T {
  const raw = Buffer.from(b64, 'base64');
  if (raw.length !== count * bytesPer) throw new Error(`timeline: column ${what} holds ${raw.length} bytes, expected ${count * bytesPer}`);
  // A copy, aligned, that owns its memory (it is transferred to the webview).
  const buf = new ArrayBuffer(raw.length);
  new Uint8Array(buf).set(raw);
  return make(buf, count);
}

export function decodeTimeline(body: TimelineColumnsBody): { state: TimelineState; points: TimelinePoints } {
  const c = body.columns;
  const n = c.count;
  const points: TimelinePoints = {
    start: c.start,
    names: c.names,
    categoryNames: c.categoryNames,
    calls: typed(c.calls, (b, k) => new Uint16Array(b, 0, k), 2, n, 'calls'),
    categories: typed(c.categories, (b, k) => new Uint8Array(b, 0, k), 1, n, 'categories'),
    fds: typed(c.fds, (b, k) => new Int32Array(b, 0, k), 4, n, 'fds'),
    lens: typed(c.lens, (b, k) => new Int32Array(b, 0, k), 4, n, 'lens'),
    times: typed(c.times, (b, k) => new Float32Array(b, 0, k), 4, n, 'times'),
    paths: c.paths,
  };
  const state: TimelineState = {
    current: body.current,
    total: body.total,
    ended: body.ended,
    exitCode: body.exitCode,
    branch: body.branch,
    branches: body.branches.map((b) => ({ id: b.id, parent: b.parent, from: b.from, ended: b.ended, end: b.end })),
    snapshots: body.snapshots.map((s) => ({ index: s.index, point: s.point, trigger: s.trigger, timeMs: s.timeMs, bytes: s.bytes })),
  };
  return { state, points };
}

export function decodeOutput(body: { chunks: { point: number; stream: number; text: string }[] }): OutputLine[] {
  return body.chunks.map((c) => ({ point: c.point, stream: c.stream === 2 ? 2 : 1, text: c.text }));
}
