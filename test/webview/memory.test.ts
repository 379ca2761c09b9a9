// The memory diff view in a real browser (headless Chromium) on the built page, with a stand-in for VS Code's
// webview API that answers page requests from two generated 256 MiB memories (the second differs in known ranges)
// and counts them. Screenshots go to test-output/webview/.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromiumPath, launch, outputDir, ROOT, serve } from '../helpers/browser';
import { memoryHtml } from '../../src/extension/memory-html';

// The functions given to page.evaluate run in the page, where these are the browser's.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
declare const window: any, document: any;

const BUNDLE = path.join(ROOT, 'dist', 'webview', 'memory.js');
const SIZE = 256 * 1024 * 1024;
/** 300 changed ranges of 48 bytes, spread over the memory. */
const RANGES = Array.from({ length: 300 }, (_, i) => ({ offset: Math.floor((i + 0.5) * (SIZE / 300)) & ~15, length: 48 }));

const browser = chromiumPath();

test('memory diff view: 256 MiB opens at once, pages fetched on demand, changes marked, next change, go to address, minimap', { skip: browser.missing }, async () => {
  assert.ok(fs.existsSync(BUNDLE), `${BUNDLE} is missing: npm test builds it`);
  const pages: Record<string, string> = {};
  const site = await serve(pages);
  pages['/memory.html'] = memoryHtml({ script: `${site.origin}/repo/dist/webview/memory.js`, style: `${site.origin}/repo/media/memory.css`, cspSource: site.origin, nonce: `n${Date.now()}` });
  const b = await launch(browser.path!);
  const errors: string[] = [];
  try {
    const page = await b.newPage({ viewport: { width: 1300, height: 700 } });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.addInitScript(
      ({ ranges, size }) => {
        const w = window;
        w.__pages = [];
        const inRange = (o: number): boolean => ranges.some((r: { offset: number; length: number }) => o >= r.offset && o < r.offset + r.length);
        w.acquireVsCodeApi = () => ({
          postMessage: (m: { type: string; id: number; offset: number; count: number }) => {
            if (m.type !== 'page') return;
            w.__pages.push(m.offset);
            const n = Math.max(0, Math.min(m.count, size - m.offset));
            const from = new Uint8Array(n);
            const to = new Uint8Array(n);
            for (let i = 0; i < n; i++) {
              const o = m.offset + i;
              from[i] = (o * 7 + (o >>> 12)) & 0xff;
              to[i] = inRange(o) ? from[i] ^ 0xff : from[i];
            }
            setTimeout(() => window.postMessage({ type: 'page', id: m.id, offset: m.offset, from, to }, '*'), 5);
          },
        });
      },
      { ranges: RANGES, size: SIZE },
    );
    await page.goto(`${site.origin}/memory.html`);
    await page.evaluate(
      ({ ranges, size }) => {
        document.body.className = 'vscode-dark';
        const vars: Record<string, string> = { '--vscode-foreground': '#cccccc', '--vscode-editor-background': '#1f1f1f', '--vscode-descriptionForeground': '#9d9d9d', '--vscode-editorLineNumber-foreground': '#6e7681', '--vscode-charts-orange': '#d18616', '--vscode-list-activeSelectionBackground': '#04395e', '--vscode-editor-font-family': 'monospace', '--vscode-font-family': 'sans-serif' };
        for (const [k, v] of Object.entries(vars)) document.body.style.setProperty(k, v);
        const diff = {
          from: 10, to: 20, fromBytes: size, toBytes: size, changedBytes: ranges.length * 48, rangeCount: ranges.length, truncated: false,
          offsets: Float64Array.from(ranges, (r: { offset: number }) => r.offset),
          lengths: Uint32Array.from(ranges, (r: { length: number }) => r.length),
        };
        window.postMessage({ type: 'init', diff }, '*');
      },
      { ranges: RANGES, size: SIZE },
    );
    // It opens at the first change, with that page only.
    await page.waitForFunction((a) => document.querySelector(`.row[data-offset="${a}"] .chg`) !== null, RANGES[0].offset);
    assert.match(await page.locator('#summary').innerText(), /Memory from point 10 to point 20: 14400 bytes changed in 300 ranges; 268435456 bytes/);
    let asked = (await page.evaluate(() => window.__pages.slice())) as number[];
    assert.ok(asked.length <= 2, `pages asked for at the start: ${asked.length}`);
    // The changed row shows both sides: old and new bytes, marked.
    const row = page.locator(`.row[data-offset="${RANGES[0].offset}"]`);
    assert.equal(await row.locator('.chg').count(), 4 * 16, 'each changed byte marked in hex and ASCII on both sides');
    assert.equal(await page.locator('#ranges li').count(), 300);
    await page.screenshot({ path: path.join(outputDir('webview'), 'memory-diff.png') });

    // Next change, three times: the third range's row is at the top.
    for (let i = 0; i < 3; i++) await page.locator('#next').click();
    await page.waitForFunction((a) => document.querySelector(`.row.selected[data-offset="${a}"] .chg`) !== null, RANGES[3].offset);
    assert.equal(await page.locator('#ranges li.current').innerText(), `0x${RANGES[3].offset.toString(16).padStart(8, '0')}  48 B`);
    // Previous change goes back one.
    await page.locator('#prev').click();
    await page.waitForFunction((a) => document.querySelector(`.row.selected[data-offset="${a}"]`) !== null, RANGES[2].offset);
    // Go to an address near the end (hex): its row, unchanged, with its bytes.
    await page.locator('#address').fill('0xffffff0');
    await page.locator('#address').press('Enter');
    await page.waitForFunction(() => {
      const r = document.querySelector('.row.selected[data-offset="268435440"]');
      return r !== null && !r.textContent.includes('··');
    });
    const endRow = await page.locator('.row.selected').innerText();
    const expectByte = (0xffffff0 * 7 + (0xffffff0 >>> 12)) & 0xff;
    assert.match(endRow.replace(/\u00a0/g, ' '), new RegExp(`^0ffffff0\\s*${expectByte.toString(16).padStart(2, '0')} `));
    // A bad address is refused without moving.
    await page.locator('#address').fill('0x20000000');
    await page.locator('#address').press('Enter');
    assert.equal(await page.locator('#address').evaluate((e: { validity: { valid: boolean } }) => e.validity.valid), false);
    // Scrolling through the middle fetches only the pages shown.
    const before = ((await page.evaluate(() => window.__pages.length)) as number);
    await page.locator('#rows').evaluate((e: { scrollTop: number; scrollHeight: number }) => (e.scrollTop = e.scrollHeight / 2));
    await page.waitForTimeout(200);
    asked = (await page.evaluate(() => window.__pages.slice())) as number[];
    assert.ok(asked.length - before <= 2, `pages for one screen: ${asked.length - before}`);
    const mid = Number(await page.locator('.row').first().getAttribute('data-offset'));
    assert.ok(Math.abs(mid - SIZE / 2) < SIZE / 100, `the middle row is at ${mid}`);
    // The minimap: a click at its top goes to the start.
    const mm = (await page.locator('#minimap').boundingBox())!;
    await page.mouse.click(mm.x + mm.width / 2, mm.y + 1);
    await page.waitForFunction(() => document.querySelector('.row.selected') !== null && Number(document.querySelector('.row.selected').dataset.offset) < 2 * 1024 * 1024);
    assert.deepEqual(errors, []);
  } catch (e) {
    const p = b.contexts()[0]?.pages()[0];
    if (p) await p.screenshot({ path: path.join(outputDir('webview'), 'memory-diff-failure.png') }).catch(() => undefined);
    throw new Error(`${(e as Error).message}\npage errors: ${errors.join('; ')}`);
  } finally {
    await b.close();
    await site.close();
  }
});
