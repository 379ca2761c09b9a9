// The journal editor's view: the summary and what was wrong with the file, the outline of runs and snapshots ("Debug
// from here" on a snapshot of the last run), and the entries one per line, virtualised (lines fetched as they are
// shown), following the file as it grows.

import type { FromJournal, JournalSummary, ToJournal } from '../../shared/journal-protocol';
import { RowScroller } from '../memory/model';
import { $, poster } from '../host';

const post = poster<FromJournal>();

const LINE_PX = 18;
const CHUNK = 500;
const entriesEl = $('entries');
const spacer = $('spacer');
const body = $('body');
let summary: JournalSummary | undefined;
let rows: RowScroller | undefined;
/** Lines by chunk (CHUNK lines each), and the chunks asked for. */
let chunks = new Map<number, string[]>();
let asked = new Set<number>();
let highlight: number | undefined;
let placed: number | undefined;

function render(): void {
  if (!summary || !rows) return;
  rows.viewportPx = entriesEl.clientHeight;
  const first = rows.firstRow(entriesEl.scrollTop);
  const count = rows.visibleRows + 1;
  let html = '';
  for (let i = first; i < Math.min(summary.entries, first + count); i++) {
    const c = Math.floor(i / CHUNK);
    const lines = chunks.get(c);
    if (!lines && !asked.has(c)) {
      asked.add(c);
      post({ type: 'lines', start: c * CHUNK, count: CHUNK });
    }
    const text = lines?.[i - c * CHUNK] ?? '';
    html += `<div class="line${i === highlight ? ' selected' : ''}${/ snapshot \(/.test(text) ? ' snap' : ''}" role="row">${text.replace(/[&<>]/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[ch]!)}</div>`;
  }
  body.style.transform = `translateY(${entriesEl.scrollTop}px)`;
  body.innerHTML = html;
}

function goToEntry(i: number): void {
  if (!rows) return;
  highlight = i;
  entriesEl.scrollTop = rows.scrollTopFor(Math.max(0, i - 3));
  placed = entriesEl.scrollTop;
  render();
}

function show(s: JournalSummary): void {
  const grew = summary !== undefined && s.entries !== summary.entries;
  const atEnd = rows !== undefined && rows.firstRow(entriesEl.scrollTop) + rows.visibleRows >= (summary?.entries ?? 0);
  summary = s;
  rows = new RowScroller(Math.max(1, s.entries), LINE_PX, entriesEl.clientHeight);
  spacer.style.height = `${rows.scrollPx}px`;
  // What was read may have changed (the file grew, or was cut): lines are read again.
  chunks = new Map();
  asked = new Set();
  const runs = s.outline.filter((o) => o.kind === 'run').length;
  const snaps = s.outline.filter((o) => o.kind === 'snapshot').length;
  $('summary').textContent = s.indexing
    ? `${s.file}: reading... ${s.entries} entries so far, ${runs} run${runs === 1 ? '' : 's'}, ${snaps} snapshot${snaps === 1 ? '' : 's'}`
    : `${s.file}: ${s.entries} entries, ${s.bytes} bytes, ${runs} run${runs === 1 ? '' : 's'}, ${snaps} snapshot${snaps === 1 ? '' : 's'}`;
  $('notes').replaceChildren(...s.notes.map((n) => Object.assign(document.createElement('li'), { textContent: n })));
  $('outline').replaceChildren(
    ...s.outline.map((o) => {
      const li = document.createElement('li');
      li.className = o.kind;
      const go = document.createElement('button');
      go.className = 'go';
      go.textContent = `${o.label}`;
      go.title = `Entry ${o.entry}`;
      go.addEventListener('click', () => goToEntry(o.entry));
      li.append(go);
      if (o.kind === 'snapshot') {
        const d = document.createElement('button');
        d.className = 'debug';
        d.textContent = 'Debug from here';
        const at = o.restoreAt ?? 0;
        d.title = `A time-travel session on this journal, at snapshot ${at} of run ${o.run}`;
        d.addEventListener('click', () => post({ type: 'debugFrom', restoreAt: at, run: o.run }));
        li.append(d);
      }
      return li;
    }),
  );
  // Following a journal being written: at the end, stay at the end.
  if (grew && atEnd) entriesEl.scrollTop = rows.scrollTopFor(s.entries);
  render();
}

entriesEl.addEventListener('scroll', () => {
  if (placed === undefined || Math.abs(entriesEl.scrollTop - placed) >= 1) highlight = undefined;
  placed = undefined;
  render();
});
new ResizeObserver(() => render()).observe(entriesEl);
$('text').addEventListener('click', () => post({ type: 'openAsText' }));

window.addEventListener('message', (ev: MessageEvent<ToJournal>) => {
  const m = ev.data;
  if (m.type === 'summary') show(m.summary);
  else {
    chunks.set(Math.floor(m.start / CHUNK), m.lines);
    render();
  }
});
post({ type: 'ready' });
