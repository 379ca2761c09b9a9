// The timeline panel's page: a strict Content Security Policy (nothing remote; the script only with its nonce; the
// styles and script from the extension's own files). Used by the webview view and by the panel's browser tests.

export interface PageResources {
  /** The script (dist/webview/timeline.js) and the style sheet (media/timeline.css), as the webview may load them. */
  script: string;
  style: string;
  /** The webview's source for the CSP (webview.cspSource). */
  cspSource: string;
  nonce: string;
}

export function timelineHtml(r: PageResources): string {
  const csp = [
    "default-src 'none'",
    `img-src ${r.cspSource} data:`,
    `style-src ${r.cspSource} 'unsafe-inline'`,
    `font-src ${r.cspSource}`,
    `script-src 'nonce-${r.nonce}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${r.style}">
<title>Journal Timeline</title>
</head>
<body>
<div id="message" role="status">No time-travel session. Start one with F5 on a .wasm file (WASM Journal: Debug WASM with Journal).</div>
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
</div>
<script nonce="${r.nonce}" src="${r.script}"></script>
</body>
</html>`;
}
