// The timeline panel (a webview in the Run and Debug view): the session's points on a canvas, snapshots as marks,
// the memory each snapshot wrote as a small graph, the playhead where the session is; zoom, pan, scrub, keyboard;
// the terminal output beside it. It talks to the extension only by the messages of src/shared/timeline-protocol.

import type { FromTimeline, OutputLine, TimelinePoints, TimelineState, ToTimeline } from '../../shared/timeline-protocol';
import { columnsOf, keyTarget, pointLabel, Scrubber, Viewport, appendPoints } from './model';
import { $, poster } from '../host';

const post = poster<FromTimeline>();

const canvas = $<HTMLCanvasElement>('axis');
const ctx = canvas.getContext('2d')!;
const statusEl = $('status');
const legendEl = $('legend');
const outputEl = $('output');
const tooltip = $('tooltip');
const messageEl = $('message');
const diffButton = $<HTMLButtonElement>('diff');

const view = new Viewport();
let state: TimelineState | undefined;
let points: TimelinePoints | undefined;
let output: OutputLine[] = [];
/** A bit per category shown. */
let shown = 0xffffffff;
let busy = false;
let hover: number | undefined;
/** The two points chosen for a memory diff (Ctrl/Cmd+click). */
let marks: number[] = [];
const frameTimes: number[] = [];

const scrubber = new Scrubber((point) => {
  busy = true;
  post({ type: 'travel', point });
  draw();
});

// ---- geometry ----------------------------------------------------------------------------------------------------

const ROW = { snaps: 4, snapsH: 12, lane: 20, laneH: 36, branchH: 14, memH: 22, axisH: 14 };

function layout(): { lanes: number; mem: number; axis: number; height: number } {
  const others = (state?.branches.length ?? 1) - 1;
  const lanesEnd = ROW.lane + ROW.laneH + others * (ROW.branchH + 2);
  const mem = lanesEnd + 6;
  const axis = mem + ROW.memH + 4;
  return { lanes: lanesEnd, mem, axis, height: axis + ROW.axisH };
}

// ---- colours (the theme's, through VS Code's CSS variables) ------------------------------------------------------

const CATEGORY_VARS: Record<string, [string, string]> = {
  fs: ['--vscode-charts-blue', '#3794ff'],
  fd: ['--vscode-charts-purple', '#b180d7'],
  terminal: ['--vscode-charts-green', '#89d185'],
  net: ['--vscode-charts-orange', '#d18616'],
  threads: ['--vscode-charts-red', '#f14c4c'],
  outside: ['--vscode-charts-yellow', '#cca700'],
  process: ['--vscode-charts-foreground', '#cccccc'],
};
const CATEGORY_LABELS: Record<string, string> = {
  fs: 'file system',
  fd: 'descriptors',
  terminal: 'terminal',
  net: 'sockets',
  threads: 'threads',
  outside: 'clock, random, poll',
  process: 'process',
};
const TRIGGER_COLOURS = ['--vscode-charts-yellow', '--vscode-charts-green', '--vscode-charts-blue', '--vscode-charts-orange', '--vscode-charts-purple', '--vscode-charts-red'];

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}

function categoryColour(name: string): string {
  const [v, f] = CATEGORY_VARS[name] ?? ['--vscode-foreground', '#cccccc'];
  return cssVar(v, f);
}

const triggerIds = new Map<string, number>();
function triggerColour(trigger: string): string {
  if (!triggerIds.has(trigger)) triggerIds.set(trigger, triggerIds.size);
  return cssVar(TRIGGER_COLOURS[triggerIds.get(trigger)! % TRIGGER_COLOURS.length], '#cca700');
}

// ---- drawing -----------------------------------------------------------------------------------------------------

function resize(): void {
  const l = layout();
  const w = Math.max(50, canvas.parentElement!.clientWidth);
  const dpr = window.devicePixelRatio || 1;
  canvas.style.width = `${w}px`;
  canvas.style.height = `${l.height}px`;
  canvas.width = Math.round(w * dpr);
  canvas.height = Math.round(l.height * dpr);
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  view.width = w;
}

function draw(): void {
  const t0 = performance.now();
  const l = layout();
  const w = view.width;
  ctx.clearRect(0, 0, w, l.height);
  const fg = cssVar('--vscode-foreground', '#cccccc');
  const subtle = cssVar('--vscode-descriptionForeground', '#999999');
  const laneBg = cssVar('--vscode-editorWidget-background', 'rgba(128,128,128,0.08)');
  ctx.fillStyle = laneBg;
  ctx.fillRect(0, ROW.lane, w, ROW.laneH);
  if (points && state) {
    // Host calls: a row per category the recording has (so that a rare call stays visible among frequent ones),
    // a tick per pixel column holding calls of it, darker where more fall in one pixel.
    const cols = columnsOf(points, view, shown);
    const colours = points.categoryNames.map(categoryColour);
    const rows = presentCategories();
    const rowH = Math.max(3, Math.floor((ROW.laneH - 2) / Math.max(1, rows.length)));
    const perPixel = view.span / w;
    const pw = perPixel < 0.25 ? Math.min(6, Math.max(2, Math.floor(1 / perPixel) - 1)) : 2;
    rows.forEach((c, r) => {
      const y0 = ROW.lane + 1 + r * rowH;
      ctx.fillStyle = colours[c];
      for (let x = 0; x < cols.width; x++) {
        const n = cols.per[x * cols.categories + c];
        if (n === 0) continue;
        ctx.globalAlpha = perPixel <= 1 ? 1 : Math.min(1, 0.45 + Math.log2(n + 1) / 8);
        ctx.fillRect(x, y0, pw, rowH - 1);
      }
    });
    ctx.globalAlpha = 1;
    // Other branches: a lane each, over the points they cover.
    let y = ROW.lane + ROW.laneH + 2;
    for (const b of state.branches) {
      if (b.id === state.branch) continue;
      const x0 = Math.max(0, view.xOf(b.from));
      const x1 = Math.min(w, view.xOf(b.end));
      ctx.fillStyle = laneBg;
      ctx.fillRect(0, y, w, ROW.branchH);
      ctx.fillStyle = subtle;
      if (x1 > x0) ctx.fillRect(x0, y + 4, Math.max(2, x1 - x0), ROW.branchH - 8);
      ctx.font = '10px var(--vscode-font-family, sans-serif)';
      ctx.fillText(`branch ${b.id}`, 2, y + ROW.branchH - 3);
      y += ROW.branchH + 2;
    }
    // Snapshots: a diamond each, coloured by trigger; the memory they wrote as bars below.
    const maxBytes = Math.max(1, ...state.snapshots.map((s) => s.bytes));
    let prevX = 0;
    for (const s of state.snapshots) {
      const x = view.xOf(s.point);
      if (x >= -6 && x <= w + 6) {
        ctx.fillStyle = triggerColour(s.trigger);
        ctx.beginPath();
        const cy = ROW.snaps + ROW.snapsH / 2;
        ctx.moveTo(x, cy - 5);
        ctx.lineTo(x + 5, cy);
        ctx.lineTo(x, cy + 5);
        ctx.lineTo(x - 5, cy);
        ctx.closePath();
        ctx.fill();
      }
      const h = s.bytes > 0 ? Math.max(2, (Math.log2(s.bytes + 1) / Math.log2(maxBytes + 1)) * ROW.memH) : 0;
      const x0 = Math.max(0, prevX);
      if (h > 0 && x > 0 && x0 < w) {
        ctx.fillStyle = cssVar('--vscode-charts-lines', 'rgba(128,128,128,0.5)');
        ctx.globalAlpha = 0.6;
        ctx.fillRect(x0, l.mem + ROW.memH - h, Math.max(1, Math.min(w, x) - x0), h);
        ctx.globalAlpha = 1;
      }
      prevX = x;
    }
    // The axis: point numbers.
    ctx.fillStyle = subtle;
    ctx.font = '10px var(--vscode-font-family, sans-serif)';
    const step = niceStep(view.span / Math.max(1, w / 70));
    for (let p = Math.ceil(view.first / step) * step; p < view.first + view.span; p += step) {
      const x = view.xOf(p);
      ctx.fillRect(x, l.axis, 1, 3);
      ctx.fillText(String(p), x + 2, l.axis + 11);
    }
    // Marks for a memory diff.
    for (const [i, m] of marks.entries()) {
      const x = view.xOf(m);
      ctx.fillStyle = cssVar('--vscode-charts-purple', '#b180d7');
      ctx.fillRect(x - 0.5, ROW.lane - 2, 1, l.lanes - ROW.lane + 4);
      ctx.fillText(i === 0 ? 'A' : 'B', x + 2, ROW.lane + 9);
    }
    // Where the playhead is being taken (dashed), and where the session is (solid, with a handle).
    if (scrubber.target !== undefined && scrubber.target !== state.current) {
      const x = view.xOf(scrubber.target);
      ctx.strokeStyle = fg;
      ctx.setLineDash([3, 3]);
      ctx.beginPath();
      ctx.moveTo(x, 0);
      ctx.lineTo(x, l.axis);
      ctx.stroke();
      ctx.setLineDash([]);
    }
    if (state.current >= 0) {
      const x = view.xOf(Math.min(state.current, axisLength() - 1));
      ctx.fillStyle = cssVar('--vscode-editorCursor-foreground', fg);
      ctx.fillRect(x - 1, 0, 2, l.axis);
      ctx.beginPath();
      ctx.moveTo(x - 6, 0);
      ctx.lineTo(x + 6, 0);
      ctx.lineTo(x, 7);
      ctx.closePath();
      ctx.fill();
    }
    if (hover !== undefined) {
      const x = view.xOf(hover);
      ctx.fillStyle = fg;
      ctx.globalAlpha = 0.35;
      ctx.fillRect(x - 0.5, ROW.lane, 1, ROW.laneH);
      ctx.globalAlpha = 1;
    }
  }
  const ms = performance.now() - t0;
  frameTimes.push(ms);
  document.body.dataset.frameMsLast = ms.toFixed(3);
  if (frameTimes.length > 240) frameTimes.shift();
  document.body.dataset.frames = String(frameTimes.length);
  document.body.dataset.frameMsMax = Math.max(...frameTimes).toFixed(2);
  document.body.dataset.frameMsMedian = median(frameTimes).toFixed(2);
  updateStatus();
}

function niceStep(raw: number): number {
  const p = Math.pow(10, Math.floor(Math.log10(Math.max(1, raw))));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : 0;
}

let frame = 0;
function redraw(): void {
  if (frame) return;
  frame = requestAnimationFrame(() => {
    frame = 0;
    draw();
  });
}

/** The categories that occur in the recording (a row each), in the legend's order. */
let present: number[] | undefined;
function presentCategories(): number[] {
  if (present) return present;
  if (!points) return [];
  const seen = new Uint8Array(points.categoryNames.length);
  for (let i = 0; i < points.categories.length; i++) seen[points.categories[i]] = 1;
  present = [...seen.keys()].filter((c) => seen[c]);
  return present;
}

/** Points on the axis: every host call, and the end (after the last call) once the program ended. */
function axisLength(): number {
  return state ? state.total + (state.ended ? 1 : 0) : 1;
}

function label(point: number): string {
  if (state?.ended && point >= state.total) return `#${point} the end of the program${state.exitCode !== undefined ? ` (exit code ${state.exitCode})` : ''}`;
  return points && state ? pointLabel(points, point, state.snapshots) : `point ${point}`;
}

// ---- status, legend, output ----------------------------------------------------------------------------------------

function updateStatus(): void {
  if (!state) return;
  const cur = state.current;
  const last = Math.max(0, axisLength() - 1);
  const b = state.branches.length > 1 ? ` · branch ${state.branch}` : '';
  const end = state.ended ? ` · ended${state.exitCode !== undefined ? ` (exit ${state.exitCode})` : ''}` : '';
  statusEl.textContent = `point ${cur} / ${last}${b} · ${state.snapshots.length} snapshot${state.snapshots.length === 1 ? '' : 's'}${end}${busy ? ' · moving…' : ''}`;
  canvas.setAttribute('aria-valuemin', '0');
  canvas.setAttribute('aria-valuemax', String(last));
  canvas.setAttribute('aria-valuenow', String(cur));
  canvas.setAttribute('aria-valuetext', label(cur));
  diffButton.hidden = marks.length !== 2;
  if (marks.length === 2) diffButton.textContent = `Diff memory ${marks[0]} → ${marks[1]}`;
}

function buildLegend(): void {
  if (!points) return;
  legendEl.replaceChildren();
  points.categoryNames.forEach((name, i) => {
    const b = document.createElement('button');
    b.className = 'category';
    b.setAttribute('aria-pressed', String(((shown >>> i) & 1) === 1));
    b.title = `Show or hide ${CATEGORY_LABELS[name] ?? name} calls`;
    const sw = document.createElement('span');
    sw.className = 'swatch';
    sw.style.background = categoryColour(name);
    const text = document.createElement('span');
    text.className = 'label';
    text.textContent = CATEGORY_LABELS[name] ?? name;
    b.setAttribute('aria-label', `${CATEGORY_LABELS[name] ?? name} calls`);
    b.append(sw, text);
    b.addEventListener('click', () => {
      shown ^= 1 << i;
      b.setAttribute('aria-pressed', String(((shown >>> i) & 1) === 1));
      redraw();
    });
    legendEl.append(b);
  });
  const snap = document.createElement('span');
  snap.className = 'legend-note';
  snap.textContent = '◆ snapshot   ▮ memory written';
  legendEl.append(snap);
}

/** The terminal output, a line per row, each travelling to the point that wrote it. */
function renderOutput(): void {
  const rows: { point: number; text: string; stream: number }[] = [];
  let open: { point: number; text: string; stream: number } | undefined;
  for (const c of output) {
    const parts = c.text.split('\n');
    parts.forEach((part, i) => {
      const more = i < parts.length - 1;
      // A line belongs to the point that wrote its first byte.
      if (!open && (part !== '' || more)) open = { point: c.point, text: '', stream: c.stream };
      if (!open) return;
      open.text += part;
      if (more) {
        rows.push(open);
        open = undefined;
      }
    });
  }
  if (open && open.text) rows.push(open);
  // The last 2,000 lines (the rest is in the Debug Console and the Terminal scope).
  const shownRows = rows.slice(-2000);
  outputEl.replaceChildren(
    ...shownRows.map((r) => {
      const li = document.createElement('li');
      li.className = r.stream === 2 ? 'stderr' : 'stdout';
      li.tabIndex = -1;
      li.dataset.point = String(r.point);
      const at = document.createElement('span');
      at.className = 'at';
      at.textContent = `#${r.point}`;
      li.append(at, document.createTextNode(r.text || ' '));
      li.title = `Written at point ${r.point}: click to go there`;
      li.setAttribute('role', 'listitem');
      li.addEventListener('click', () => travelTo(r.point));
      li.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === ' ') travelTo(r.point);
      });
      return li;
    }),
  );
  const first = outputEl.querySelector('li');
  if (first) (first as HTMLElement).tabIndex = 0;
  highlightOutput();
}

function highlightOutput(): void {
  if (!state) return;
  let best: HTMLElement | undefined;
  for (const li of Array.from(outputEl.children) as HTMLElement[]) {
    const p = Number(li.dataset.point);
    li.classList.toggle('future', p > state.current);
    if (p <= state.current) best = li;
  }
  for (const li of Array.from(outputEl.querySelectorAll('.current'))) li.classList.remove('current');
  best?.classList.add('current');
}

// ---- interaction ---------------------------------------------------------------------------------------------------

function travelTo(point: number): void {
  if (!state) return;
  const p = Math.max(0, Math.min(axisLength() - 1, point));
  view.reveal(p);
  scrubber.moveTo(p);
  redraw();
}

let drag: { kind: 'scrub' | 'pan'; x: number } | undefined;

/** Which lane is at y (the branch shown, another branch, or none). */
function branchAt(y: number): number | undefined {
  if (!state) return undefined;
  if (y < ROW.lane + ROW.laneH) return state.branch;
  let top = ROW.lane + ROW.laneH + 2;
  for (const b of state.branches) {
    if (b.id === state.branch) continue;
    if (y >= top && y < top + ROW.branchH) return b.id;
    top += ROW.branchH + 2;
  }
  return state.branch;
}

canvas.addEventListener('pointerdown', (e) => {
  if (!state || !points) return;
  canvas.focus();
  const p = view.pointAt(e.offsetX);
  if (e.ctrlKey || e.metaKey) {
    // Choose the points of a memory diff: A, then B.
    marks = marks.length >= 2 ? [p] : [...marks, p];
    redraw();
    return;
  }
  const lane = branchAt(e.offsetY);
  if (lane !== undefined && lane !== state.branch) {
    busy = true;
    post({ type: 'travel', point: p, branch: lane });
    redraw();
    return;
  }
  canvas.setPointerCapture(e.pointerId);
  if (e.button === 1 || e.altKey) {
    drag = { kind: 'pan', x: e.offsetX };
    return;
  }
  drag = { kind: 'scrub', x: e.offsetX };
  scrubber.moveTo(p);
  redraw();
});

canvas.addEventListener('pointermove', (e) => {
  if (!state || !points) return;
  hover = view.pointAt(e.offsetX);
  if (drag?.kind === 'scrub') scrubber.moveTo(hover);
  else if (drag?.kind === 'pan') {
    view.pan(drag.x - e.offsetX);
    drag.x = e.offsetX;
  }
  tooltip.hidden = false;
  tooltip.textContent = label(hover);
  const left = Math.min(e.offsetX + 12, Math.max(0, view.width - tooltip.offsetWidth - 4));
  tooltip.style.left = `${left}px`;
  tooltip.style.top = `${e.offsetY + 16}px`;
  redraw();
});

canvas.addEventListener('pointerup', () => {
  drag = undefined;
});
canvas.addEventListener('pointerleave', () => {
  hover = undefined;
  tooltip.hidden = true;
  redraw();
});

canvas.addEventListener(
  'wheel',
  (e) => {
    e.preventDefault();
    if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) view.pan(e.deltaX || e.deltaY);
    else view.zoom(Math.pow(1.0015, -e.deltaY), e.offsetX);
    redraw();
  },
  { passive: false },
);

canvas.addEventListener('keydown', (e) => {
  if (!state) return;
  if (e.key === '+' || e.key === '=') view.zoom(1.5, view.xOf(state.current));
  else if (e.key === '-') view.zoom(1 / 1.5, view.xOf(state.current));
  else {
    const to = keyTarget(e.key, e.shiftKey, scrubber.target ?? state.current, axisLength(), state.snapshots);
    if (to === undefined) return;
    travelTo(to);
  }
  e.preventDefault();
  redraw();
});

$('zoomIn').addEventListener('click', () => {
  view.zoom(2, state ? view.xOf(state.current) : undefined);
  redraw();
});
$('zoomOut').addEventListener('click', () => {
  view.zoom(0.5, state ? view.xOf(state.current) : undefined);
  redraw();
});
$('fit').addEventListener('click', () => {
  view.fit();
  redraw();
});
diffButton.addEventListener('click', () => {
  if (marks.length === 2) post({ type: 'diff', from: marks[0], to: marks[1] });
});

new ResizeObserver(() => {
  resize();
  draw();
}).observe(canvas.parentElement!);
// A theme change (VS Code sets the body's classes and variables).
new MutationObserver(() => {
  buildLegend();
  redraw();
}).observe(document.body, { attributes: true, attributeFilter: ['class', 'style'] });

// ---- messages from the extension -----------------------------------------------------------------------------------

function showMessage(text: string | undefined): void {
  messageEl.hidden = text === undefined;
  messageEl.textContent = text ?? '';
  document.getElementById('timeline')!.hidden = text !== undefined && !state;
}

window.addEventListener('message', (ev: MessageEvent<ToTimeline>) => {
  const m = ev.data;
  switch (m.type) {
    case 'idle':
      state = undefined;
      points = undefined;
      present = undefined;
      output = [];
      marks = [];
      showMessage(m.message);
      renderOutput();
      return;
    case 'reset':
    case 'append': {
      const firstData = !points;
      state = m.state;
      points = m.type === 'reset' ? m.points : appendPoints(points, m.points);
      present = undefined;
      output = m.type === 'reset' ? m.output : output.concat(m.output);
      if (m.type === 'reset') marks = [];
      showMessage(undefined);
      view.setTotal(axisLength());
      resize();
      if (firstData || m.type === 'reset') {
        buildLegend();
        view.fit();
      }
      busy = false;
      scrubber.arrived(state.current);
      renderOutput();
      draw();
      return;
    }
    case 'current':
      if (!state) return;
      state.current = m.point;
      busy = false;
      scrubber.arrived(m.point);
      if (scrubber.target === undefined) view.reveal(m.point);
      highlightOutput();
      redraw();
      return;
    case 'busy':
      busy = m.busy;
      statusEl.dataset.message = m.message ?? '';
      redraw();
      return;
    case 'error':
      busy = false;
      scrubber.cancel();
      messageEl.hidden = false;
      messageEl.textContent = m.message;
      redraw();
      return;
  }
});

resize();
post({ type: 'ready' });
