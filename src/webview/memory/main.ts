// The memory diff view (a webview panel): the guest's memory at two points side by side, hex and ASCII, changed
// bytes highlighted; the list of changed ranges; go to an address, the next or previous change; a minimap of where
// the changes are. Virtualised: only the rows on screen exist, and their pages are fetched when first shown.

import type { FromMemory, MemoryDiffInfo, ToMemory } from '../../shared/memory-protocol';
import { ascii, hex, nextRange, PAGE_BYTES, PageCache, parseAddress, ROW_BYTES, RowScroller } from './model';
import { $, poster } from '../host';

const post = poster<FromMemory>();

const summary = $('summary');
const scroller = $('rows');
const spacer = $('spacer');
const body = $('body');
const rangesEl = $('ranges');
const minimap = $<HTMLCanvasElement>('minimap');
const addressInput = $<HTMLInputElement>('address');
const messageEl = $('message');

const ROW_PX = 18;
let diff: MemoryDiffInfo | undefined;
let size = 0;
let rows: RowScroller | undefined;
const cache = new PageCache();
let nextId = 1;
/** The row to show at the top (set by go-to, kept across re-renders). */
let selected: number | undefined;

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

function side(bytes: (number | undefined)[], other: (number | undefined)[]): string {
  let h = '';
  let a = '';
  for (let i = 0; i < ROW_BYTES; i++) {
    const b = bytes[i];
    const changed = b !== undefined && other[i] !== undefined && b !== other[i];
    const cls = changed ? ' class="chg"' : '';
    h += b === undefined ? '<span class="none">··</span> ' : `<span${cls}>${hex(b, 2)}</span> `;
    if (i === 7) h += ' ';
    a += b === undefined ? ' ' : changed ? `<span class="chg">${escapeHtml(ascii(b))}</span>` : escapeHtml(ascii(b));
  }
  return `<span class="hex">${h}</span><span class="ascii">${a}</span>`;
}

function render(): void {
  if (!diff || !rows) return;
  rows.viewportPx = scroller.clientHeight;
  const first = rows.firstRow(scroller.scrollTop);
  const count = rows.visibleRows + 1;
  const offset = first * ROW_BYTES;
  for (const base of cache.missing(offset, count * ROW_BYTES, size)) {
    post({ type: 'page', id: nextId++, offset: base, count: PAGE_BYTES });
  }
  let html = '';
  for (let r = 0; r < count && (first + r) * ROW_BYTES < size; r++) {
    const at = (first + r) * ROW_BYTES;
    const page = cache.get(at);
    const a: (number | undefined)[] = [];
    const b: (number | undefined)[] = [];
    for (let i = 0; i < ROW_BYTES; i++) {
      const o = at + i - (page?.base ?? 0);
      a.push(page && at + i < diff.fromBytes ? page.from[o] : undefined);
      b.push(page && at + i < diff.toBytes ? page.to[o] : undefined);
    }
    const changed = a.some((x, i) => x !== undefined && b[i] !== undefined && x !== b[i]);
    html += `<div class="row${changed ? ' changed' : ''}${first + r === selected ? ' selected' : ''}" role="row" data-offset="${at}"><span class="addr">${hex(at, 8)}</span>${side(a, b)}<span class="gap"></span>${side(b, a)}</div>`;
  }
  // The rows stay in view: the scroll area scrolls, they are placed where it is.
  body.style.transform = `translateY(${scroller.scrollTop}px)`;
  body.innerHTML = html;
  drawMinimap(first, count);
}

function drawMinimap(first: number, count: number): void {
  if (!diff || !rows) return;
  const h = minimap.clientHeight;
  const dpr = window.devicePixelRatio || 1;
  minimap.width = Math.round(minimap.clientWidth * dpr);
  minimap.height = Math.round(h * dpr);
  const ctx = minimap.getContext('2d')!;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  const w = minimap.clientWidth;
  ctx.clearRect(0, 0, w, h);
  const style = getComputedStyle(document.body);
  ctx.fillStyle = style.getPropertyValue('--vscode-editorOverviewRuler-modifiedForeground').trim() || style.getPropertyValue('--vscode-charts-orange').trim() || '#d18616';
  for (let i = 0; i < diff.offsets.length; i++) {
    const y = (diff.offsets[i] / size) * h;
    ctx.fillRect(0, y, w, Math.max(2, (diff.lengths[i] / size) * h));
  }
  ctx.fillStyle = style.getPropertyValue('--vscode-scrollbarSlider-background').trim() || 'rgba(121,121,121,0.4)';
  const y0 = ((first * ROW_BYTES) / size) * h;
  ctx.fillRect(0, y0, w, Math.max(3, ((count * ROW_BYTES) / size) * h));
}

function goTo(address: number): void {
  if (!rows) return;
  const row = Math.floor(Math.min(address, Math.max(0, size - 1)) / ROW_BYTES);
  selected = row;
  scroller.scrollTop = rows.scrollTopFor(Math.max(0, row - 2));
  placedTop = scroller.scrollTop;
  render();
}

function currentOffset(): number {
  return rows ? rows.firstRow(scroller.scrollTop) * ROW_BYTES + 2 * ROW_BYTES : 0;
}

function goToChange(backwards: boolean): void {
  if (!diff) return;
  const i = nextRange(diff.offsets, selected !== undefined ? selected * ROW_BYTES : currentOffset() - 1, backwards);
  if (i < 0) return;
  goTo(diff.offsets[i]);
  for (const li of Array.from(rangesEl.querySelectorAll('.current'))) li.classList.remove('current');
  rangesEl.children[i]?.classList.add('current');
  (rangesEl.children[i] as HTMLElement | undefined)?.scrollIntoView({ block: 'nearest' });
}

function listRanges(): void {
  if (!diff) return;
  const shown = Math.min(diff.offsets.length, 5000);
  const items: HTMLElement[] = [];
  for (let i = 0; i < shown; i++) {
    const li = document.createElement('li');
    li.tabIndex = i === 0 ? 0 : -1;
    li.setAttribute('role', 'option');
    li.textContent = `0x${hex(diff.offsets[i], 8)}  ${diff.lengths[i]} B`;
    const at = diff.offsets[i];
    li.addEventListener('click', () => {
      for (const c of Array.from(rangesEl.querySelectorAll('.current'))) c.classList.remove('current');
      li.classList.add('current');
      goTo(at);
    });
    li.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') goTo(at);
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        const n = (e.key === 'ArrowDown' ? li.nextElementSibling : li.previousElementSibling) as HTMLElement | null;
        n?.focus();
        e.preventDefault();
      }
    });
    items.push(li);
  }
  if (diff.offsets.length > shown || diff.truncated) {
    const li = document.createElement('li');
    li.className = 'more';
    li.textContent = `… ${diff.rangeCount - shown} more ranges${diff.truncated ? ' (and more than the view lists)' : ''}: use Next change`;
    items.push(li);
  }
  rangesEl.replaceChildren(...items);
}

/** Where goTo put the scroll area: the scroll event that follows is ours, and keeps the row chosen. */
let placedTop: number | undefined;
scroller.addEventListener('scroll', () => {
  if (placedTop === undefined || Math.abs(scroller.scrollTop - placedTop) >= 1) selected = undefined;
  placedTop = undefined;
  render();
});
new ResizeObserver(() => render()).observe(scroller);
$('next').addEventListener('click', () => goToChange(false));
$('prev').addEventListener('click', () => goToChange(true));
$<HTMLFormElement>('goto').addEventListener('submit', (e) => {
  e.preventDefault();
  const a = parseAddress(addressInput.value);
  if (a === undefined || a >= size) {
    addressInput.setCustomValidity(`an address from 0 to 0x${hex(Math.max(0, size - 1), 1)} (decimal, or hex with 0x)`);
    addressInput.reportValidity();
    return;
  }
  addressInput.setCustomValidity('');
  goTo(a);
});
minimap.addEventListener('click', (e) => goTo(Math.floor((e.offsetY / minimap.clientHeight) * size)));
document.addEventListener('keydown', (e) => {
  if (e.target instanceof HTMLInputElement) return;
  if (e.key === 'n' || e.key === 'F8') goToChange(e.shiftKey);
  if (e.key === 'p') goToChange(true);
});

window.addEventListener('message', (ev: MessageEvent<ToMemory>) => {
  const m = ev.data;
  switch (m.type) {
    case 'init': {
      diff = m.diff;
      size = Math.max(diff.fromBytes, diff.toBytes);
      rows = new RowScroller(Math.ceil(size / ROW_BYTES), ROW_PX, scroller.clientHeight);
      spacer.style.height = `${rows.scrollPx}px`;
      summary.textContent =
        `Memory from point ${diff.from} to point ${diff.to}: ${diff.changedBytes} bytes changed in ${diff.rangeCount} range${diff.rangeCount === 1 ? '' : 's'}` +
        `${diff.truncated ? ' (more than listed)' : ''}; ${size} bytes` +
        (diff.fromBytes !== diff.toBytes ? ` (${diff.fromBytes} at ${diff.from}, ${diff.toBytes} at ${diff.to})` : '');
      $('head-a').textContent = `point ${diff.from}`;
      $('head-b').textContent = `point ${diff.to}`;
      listRanges();
      if (diff.offsets.length > 0) goToChange(false);
      else render();
      return;
    }
    case 'page':
      cache.put(m.offset, m.from, m.to);
      render();
      return;
    case 'error':
      messageEl.hidden = false;
      messageEl.textContent = m.message;
      return;
  }
});

post({ type: 'ready' });
