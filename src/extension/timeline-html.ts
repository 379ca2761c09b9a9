// The timeline panel's page (see webview-page.ts for its Content Security Policy). Used by the webview view and by
// the panel's browser tests.

import { webviewPage, type PageResources } from './webview-page';

export type { PageResources } from './webview-page';

export function timelineHtml(r: PageResources): string {
  return webviewPage(
    r,
    'Journal Timeline',
    `<div id="message" role="status">No time-travel session. Start one with F5 on a .wasm file (WASM Journal: Debug WASM with Journal).</div>
<div id="timeline" hidden>
  <div id="toolbar" role="toolbar" aria-label="Timeline">
    <button id="zoomIn" title="Zoom in (+)" aria-label="Zoom in">+</button>
    <button id="zoomOut" title="Zoom out (-)" aria-label="Zoom out">&minus;</button>
    <button id="fit" title="Show the whole recording" aria-label="Show the whole recording">Fit</button>
    <button id="diff" hidden title="Open the memory diff between the two points marked with Ctrl+click"></button>
    <span id="status" aria-live="polite"></span>
  </div>
  <div id="legend" role="group" aria-label="Host call categories shown"></div>
  <div id="lanes">
    <canvas id="axis" tabindex="0" role="slider" aria-label="Timeline of the recording: Left and Right go to the previous and next point, Shift with them to snapshots, Home and End to the ends; click or drag to travel, Ctrl+click marks points to diff"></canvas>
    <div id="tooltip" role="tooltip" hidden></div>
  </div>
  <div id="output-title">Terminal output</div>
  <ul id="output" aria-label="Terminal output: each line goes to the point that wrote it"></ul>
</div>`,
  );
}
