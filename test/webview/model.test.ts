// The timeline panel's logic without a browser: the viewport's zoom and pan, what each pixel column holds, the
// keyboard's targets, the scrubber's pacing of travels, and points appended as a recording grows.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendPoints, columnsOf, keyTarget, pointLabel, Scrubber, Viewport } from '../../src/webview/timeline/model';
import type { TimelinePoints } from '../../src/shared/timeline-protocol';

function points(n: number, start = 0, cat = (i: number) => i % 3): TimelinePoints {
  return {
    start,
    calls: Uint16Array.from({ length: n }, (_, i) => i % 2),
    names: ['fd_write', 'clock_time_get'],
    categories: Uint8Array.from({ length: n }, (_, i) => cat(start + i)),
    categoryNames: ['fs', 'fd', 'terminal'],
    fds: Int32Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 1 : -1)),
    lens: Int32Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 6 : -1)),
    times: Float32Array.from({ length: n }, (_, i) => i / 10),
    paths: [],
  };
}

test('viewport: x and point are inverse; zoom keeps the point under the anchor; pan and reveal stay in the recording', () => {
  const v = new Viewport();
  v.width = 1000;
  v.setTotal(100_000);
  assert.equal(v.first, 0);
  assert.equal(v.span, 100_000);
  for (const p of [0, 1, 12_345, 99_999]) assert.equal(v.pointAt(v.xOf(p)), p);
  assert.equal(v.pointAt(-50), 0);
  assert.equal(v.pointAt(5000), 99_999);
  const under = v.pointAt(250);
  v.zoom(10, 250);
  assert.equal(v.span, 10_000);
  assert.ok(Math.abs(v.pointAt(250) - under) <= 1, `${v.pointAt(250)} vs ${under}`);
  // All the way in: never fewer than MIN_SPAN points across.
  v.zoom(1e9, 500);
  assert.equal(v.span, Viewport.MIN_SPAN);
  v.fit();
  v.zoom(4, 0);
  v.pan(-1e6);
  assert.equal(v.first, 0);
  v.pan(1e9);
  assert.equal(v.first + v.span, 100_000);
  v.reveal(10);
  assert.ok(v.first <= 10 && v.first + v.span > 10);
  // A recording that grows: a fitted view stays fitted, a zoomed one stays where it is.
  v.fit();
  v.setTotal(200_000);
  assert.equal(v.span, 200_000);
  v.zoom(2, 0);
  const first = v.first;
  v.setTotal(300_000);
  assert.equal(v.first, first);
  assert.equal(v.span, 100_000);
});

test('columns: every visible point of a shown category is counted once, in the column under it', () => {
  const pts = points(10_000);
  const v = new Viewport();
  v.width = 333;
  v.setTotal(10_000);
  const all = columnsOf(pts, v, 0b111);
  assert.equal(all.width, 333);
  assert.equal(all.total.reduce((a, b) => a + b, 0), 10_000);
  // Per category: a third each.
  for (let c = 0; c < 3; c++) {
    let n = 0;
    for (let x = 0; x < all.width; x++) n += all.per[x * all.categories + c];
    assert.ok(Math.abs(n - 10_000 / 3) < 2, `category ${c}: ${n}`);
  }
  // The column a point falls in is the one pointAt gives for it.
  const one = points(10_000, 0, (i) => (i === 4321 ? 1 : 0));
  const cols = columnsOf(one, v, 0b010);
  const xs = [...cols.total.keys()].filter((x) => cols.total[x] > 0);
  assert.deepEqual(xs, [Math.floor(v.xOf(4321))]);
  assert.equal(v.pointAt(xs[0]) <= 4321 && v.pointAt(xs[0] + 1) > 4321, true);
  // A hidden category is not counted; zoomed in, only what is visible.
  assert.equal(columnsOf(pts, v, 0b001).total.reduce((a, b) => a + b, 0), 3334);
  v.zoom(100, 0);
  assert.equal(columnsOf(pts, v, 0b111).total.reduce((a, b) => a + b, 0), 100);
});

test('keys: Left/Right by one point, with Shift to the snapshot before or after, Home and End; clamped', () => {
  const snaps = [5, 40, 90].map((point, index) => ({ index, point, trigger: 'explicit', timeMs: 0, bytes: 0 }));
  assert.equal(keyTarget('ArrowLeft', false, 10, 100, snaps), 9);
  assert.equal(keyTarget('ArrowLeft', false, 0, 100, snaps), 0);
  assert.equal(keyTarget('ArrowRight', false, 99, 100, snaps), 99);
  assert.equal(keyTarget('ArrowLeft', true, 40, 100, snaps), 5);
  assert.equal(keyTarget('ArrowLeft', true, 5, 100, snaps), 0);
  assert.equal(keyTarget('ArrowRight', true, 40, 100, snaps), 90);
  assert.equal(keyTarget('ArrowRight', true, 95, 100, snaps), 99);
  assert.equal(keyTarget('Home', false, 50, 100, snaps), 0);
  assert.equal(keyTarget('End', false, 50, 100, snaps), 99);
  assert.equal(keyTarget('a', false, 50, 100, snaps), undefined);
  assert.equal(keyTarget('End', false, 0, 0, snaps), undefined);
});

test('scrubber: one travel at a time, at most one per interval, and the last position always sent', () => {
  let now = 0;
  const timers: { at: number; fn: () => void }[] = [];
  const sent: number[] = [];
  const s = new Scrubber((p) => sent.push(p), 100, () => now, (fn, ms) => timers.push({ at: now + ms, fn }));
  const tick = (to: number): void => {
    now = to;
    for (const t of timers.splice(0).sort((a, b) => a.at - b.at)) {
      if (t.at <= now) t.fn();
      else timers.push(t);
    }
  };
  s.moveTo(10);
  assert.deepEqual(sent, [10]);
  // A drag while the travel is under way: nothing more goes out.
  for (const p of [11, 12, 13, 14]) s.moveTo(p);
  assert.deepEqual(sent, [10]);
  assert.equal(s.busy, true);
  // The session arrives quickly: the newest position waits for the interval, then goes.
  tick(30);
  s.arrived(10);
  assert.deepEqual(sent, [10]);
  tick(100);
  assert.deepEqual(sent, [10, 14]);
  tick(400);
  s.arrived(14);
  assert.equal(s.target, undefined);
  assert.equal(s.busy, false);
  // A stop somewhere else (a breakpoint) while nothing is asked: nothing is sent.
  s.arrived(77);
  assert.deepEqual(sent, [10, 14]);
  // A failed travel: forgotten, not retried.
  s.moveTo(50);
  assert.deepEqual(sent, [10, 14, 50]);
  s.cancel();
  tick(1000);
  assert.deepEqual(sent, [10, 14, 50]);
  assert.equal(s.busy, false);
});

test('points appended as the recording grows; labels for hover and screen readers', () => {
  const a = points(100);
  const b = points(50, 100);
  const joined = appendPoints(a, b);
  assert.equal(joined.calls.length, 150);
  assert.equal(joined.times[120], b.times[20]);
  assert.equal(joined.categories[149], b.categories[49]);
  // Not contiguous: the new stretch replaces (the extension then sends a reset anyway).
  assert.equal(appendPoints(a, points(10, 500)).start, 500);
  const snaps = [{ index: 0, point: 2, trigger: 'first-stdin', timeMs: 0, bytes: 4096 }];
  assert.equal(pointLabel(joined, 2, snaps), '#2 fd_write(fd 1, 6 bytes) · terminal · 0.2 ms · snapshot 0 (first-stdin)');
  assert.equal(pointLabel(joined, 3, snaps), '#3 clock_time_get() · fs · 0.3 ms');
  assert.equal(pointLabel(joined, 999, snaps), 'point 999');
});
