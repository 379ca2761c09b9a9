// The memory diff view's page (see webview-page.ts for its Content Security Policy).

import { webviewPage, type PageResources } from './webview-page';

export function memoryHtml(r: PageResources): string {
  return webviewPage(
    r,
    'Memory diff',
    `<header>
  <div id="summary" role="status" aria-live="polite">Comparing the two points...</div>
  <div id="controls" role="toolbar" aria-label="Memory diff">
    <form id="goto"><input id="address" aria-label="Go to address (decimal, or hex with 0x)" placeholder="address, e.g. 0x1f40" spellcheck="false"><button type="submit">Go</button></form>
    <button id="prev" title="The previous change (p, Shift+F8)">&uarr; Previous change</button>
    <button id="next" title="The next change (n, F8)">&darr; Next change</button>
  </div>
  <div id="message" role="alert" hidden></div>
</header>
<main>
  <nav aria-label="Changed ranges"><div class="title">Changed ranges</div><ul id="ranges" role="listbox" aria-label="Changed ranges: Enter goes there"></ul></nav>
  <section id="hexview" aria-label="Memory at both points">
    <div class="columns"><span class="addr">address</span><span id="head-a" class="side-head"></span><span class="gap"></span><span id="head-b" class="side-head"></span></div>
    <div id="rows" tabindex="0"><div id="spacer"></div><div id="body" role="grid" aria-label="Rows of 16 bytes: the first point, then the second; changed bytes are marked"></div></div>
  </section>
  <canvas id="minimap" aria-label="Where the changes are (click to go there)" role="img"></canvas>
</main>`,
  );
}
