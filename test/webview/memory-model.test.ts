// The memory diff view's logic without a browser: scaled scrolling over 16 million rows, the page cache, the next and
// previous change, addresses as typed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_SCROLL_PX, nextRange, PAGE_BYTES, PageCache, parseAddress, RowScroller } from '../../src/webview/memory/model';

test('rows of a 256 MiB memory: the scroll bar is scaled, both ends reachable, and a row maps back to where it is', () => {
  const rows = (256 * 1024 * 1024) / 16;
  const s = new RowScroller(rows, 18, 900);
  assert.equal(s.scrollPx, MAX_SCROLL_PX);
  assert.equal(s.firstRow(0), 0);
  const last = s.firstRow(s.scrollPx - 900);
  assert.equal(last, rows - s.visibleRows + 1);
  for (const row of [1, 12345, 8_000_000, rows - 100]) {
    const top = s.scrollTopFor(row);
    assert.ok(Math.abs(s.firstRow(top) - row) <= 1, `row ${row}: ${s.firstRow(top)}`);
  }
  // A small memory scrolls row by row, unscaled.
  const small = new RowScroller(100, 18, 180);
  assert.equal(small.scrollPx, 1800);
  assert.equal(small.firstRow(18 * 7), 7);
  assert.equal(small.scrollTopFor(7), 126);
  assert.equal(new RowScroller(5, 18, 900).firstRow(500), 0);
});

test('page cache: each page asked for once, kept up to its limit, asked again after a failure', () => {
  const c = new PageCache(3);
  const size = 10 * PAGE_BYTES;
  assert.deepEqual(c.missing(PAGE_BYTES - 10, 20, size), [0, PAGE_BYTES]);
  assert.deepEqual(c.missing(0, 10, size), [], 'asked already');
  c.put(0, new Uint8Array(PAGE_BYTES), new Uint8Array(PAGE_BYTES).fill(1));
  assert.equal(c.get(5)!.to[5], 1);
  assert.equal(c.get(PAGE_BYTES), undefined);
  c.failed(PAGE_BYTES);
  assert.deepEqual(c.missing(PAGE_BYTES, 1, size), [PAGE_BYTES]);
  for (const p of [1, 2, 3]) c.put(p * PAGE_BYTES, new Uint8Array(1), new Uint8Array(1));
  assert.equal(c.get(0), undefined, 'the least recently used page went');
  // Past the end of memory: nothing to ask.
  assert.deepEqual(c.missing(size + 5, 100, size), []);
});

test('next and previous change wrap around; addresses in decimal or hex', () => {
  const offsets = Float64Array.from([0x100, 0x2000, 0x30000]);
  assert.equal(nextRange(offsets, 0), 0);
  assert.equal(nextRange(offsets, 0x100), 1);
  assert.equal(nextRange(offsets, 0x30000), 0);
  assert.equal(nextRange(offsets, 0x2000, true), 0);
  assert.equal(nextRange(offsets, 0x100, true), 2);
  assert.equal(nextRange(new Float64Array(0), 5), -1);
  assert.equal(parseAddress('0x1F40'), 0x1f40);
  assert.equal(parseAddress(' 8000 '), 8000);
  assert.equal(parseAddress('0x'), undefined);
  assert.equal(parseAddress('-5'), undefined);
  assert.equal(parseAddress('12ab'), undefined);
});
