// The timeline panel in a real browser (headless Chromium), on the built page (dist/webview/timeline.js and
// media/timeline.css, under the page's Content Security Policy), with a stand-in for VS Code's webview API that
// records what the panel posts. Its data is a real recording: 100,000 host calls through the real adapter, read with
// `timeline {columns: true}` and decoded by the extension's own code. Screenshots go to test-output/webview/.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { chromiumPath, launch, outputDir, ROOT, serve } from '../helpers/browser';
import { record, sendReset, theme } from '../helpers/timeline-page';
import { timelineHtml } from '../../src/extension/timeline-html';
import type { FromTimeline } from '../../src/shared/timeline-protocol';

// The functions given to page.evaluate run in the page, where these are the browser's.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
declare const window: any, document: any;

const BUNDLE = path.join(ROOT, 'dist', 'webview', 'timeline.js');

async function sent(page: Page): Promise<FromTimeline[]> {
  return page.evaluate(() => (window as unknown as { __sent: FromTimeline[] }).__sent.slice());
}

async function clearSent(page: Page): Promise<void> {
  await page.evaluate(() => ((window as unknown as { __sent: unknown[] }).__sent.length = 0));
}

async function waitSent(page: Page, pred: (m: FromTimeline[]) => boolean, what: string): Promise<FromTimeline[]> {
  for (let i = 0; i < 200; i++) {
    const m = await sent(page);
    if (pred(m)) return m;
    await page.waitForTimeout(25);
  }
  assert.fail(`the panel did not post ${what}; it posted ${JSON.stringify(await sent(page))}`);
}

/** The session stopped at `point`: the panel is told, and its playhead is there. */
async function arrive(page: Page, point: number): Promise<void> {
  await page.evaluate((p) => window.postMessage({ type: 'current', point: p, branch: 0 }, '*'), point);
  await page.waitForFunction((p) => document.getElementById('axis').getAttribute('aria-valuenow') === String(p), point);
}

const browser = chromiumPath();

test('timeline panel: 100,000 real points drawn; click, drag, keys, output lines, filters and marks post the right messages; three themes', { skip: browser.missing }, async () => {
  assert.ok(fs.existsSync(BUNDLE), `${BUNDLE} is missing: npm test builds it (webpack --config-name web)`);
  const rec = await record(100000);
  assert.ok(rec.state.total >= 100000, `the recording has ${rec.state.total} points`);
  assert.equal(rec.points.calls.length, rec.state.total);
  assert.ok(rec.state.snapshots.length >= 1);
  // (the guest's stdout is buffered: a chunk per flush, many lines each, each line tagged with the point of its write)
  assert.ok(rec.output.map((o) => o.text).join('').split('\n').length >= 100);

  const pages: Record<string, string> = {};
  const site = await serve(pages);
  pages['/timeline.html'] = timelineHtml({
    script: `${site.origin}/repo/dist/webview/timeline.js`,
    style: `${site.origin}/repo/media/timeline.css`,
    cspSource: site.origin,
    nonce: `n${Date.now()}`,
  });
  const shots = outputDir('webview');
  const b = await launch(browser.path!);
  const errors: string[] = [];
  try {
    const page = await b.newPage({ viewport: { width: 900, height: 520 } });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.addInitScript(() => {
      const w = window as unknown as { __sent: unknown[]; acquireVsCodeApi: () => unknown };
      w.__sent = [];
      w.acquireVsCodeApi = () => ({ postMessage: (m: unknown) => w.__sent.push(m), setState: () => undefined, getState: () => undefined });
    });
    await page.goto(`${site.origin}/timeline.html`);
    await theme(page, 'dark');
    await waitSent(page, (m) => m.some((x) => x.type === 'ready'), 'ready');

    // Nothing yet: the panel says there is no session.
    await page.evaluate(() => window.postMessage({ type: 'idle', message: 'No time-travel session.' }, '*'));
    assert.match(await page.locator('#message').innerText(), /No time-travel session/);
    assert.equal(await page.locator('#timeline').isHidden(), true);

    await sendReset(page, rec);
    await page.waitForFunction(() => Number(document.body.dataset.frames ?? 0) >= 1);
    assert.equal(await page.locator('#timeline').isHidden(), false);
    // The axis: every host call, then the end of the program.
    assert.equal(rec.state.ended, true);
    const axis = rec.state.total + 1;
    const last = axis - 1;
    assert.match(await page.locator('#status').innerText(), new RegExp(`point ${rec.state.current} / ${last}`));
    const canvas = page.locator('#axis');
    assert.equal(await canvas.getAttribute('aria-valuemax'), String(last));
    assert.match((await canvas.getAttribute('aria-valuetext')) ?? '', /^#\d+ /);
    // The legend: the categories of the recording, all shown.
    const legend = page.locator('#legend .category');
    assert.equal(await legend.count(), rec.points.categoryNames.length);
    await page.screenshot({ path: path.join(shots, 'timeline-dark.png') });

    // A click travels to the point under it.
    const box = (await canvas.boundingBox())!;
    await clearSent(page);
    await page.mouse.click(box.x + box.width / 4, box.y + 40);
    const clicked = (await waitSent(page, (m) => m.some((x) => x.type === 'travel'), 'a travel'))[0] as Extract<FromTimeline, { type: 'travel' }>;
    const expected = Math.floor(((box.width / 4 - 1) / (box.width - 2)) * axis);
    assert.ok(Math.abs(clicked.point - expected) <= axis / 200, `clicked point ${clicked.point}, expected about ${expected}`);
    // The session arrives; the keys move from there.
    await arrive(page, clicked.point);
    await clearSent(page);
    await canvas.focus();
    await page.keyboard.press('ArrowLeft');
    let m = await waitSent(page, (x) => x.length > 0, 'a travel for ArrowLeft');
    assert.deepEqual(m[0], { type: 'travel', point: clicked.point - 1 });
    await arrive(page, clicked.point - 1);
    // Shift+Left: the snapshot before (or the start).
    await clearSent(page);
    await page.keyboard.press('Shift+ArrowLeft');
    m = await waitSent(page, (x) => x.length > 0, 'a travel for Shift+ArrowLeft');
    const before = [...rec.state.snapshots].reverse().find((s) => s.point < clicked.point - 1)?.point ?? 0;
    assert.deepEqual(m[0], { type: 'travel', point: before });
    await arrive(page, before);
    await clearSent(page);
    await page.keyboard.press('End');
    m = await waitSent(page, (x) => x.length > 0, 'a travel for End');
    assert.deepEqual(m[0], { type: 'travel', point: last });
    await arrive(page, last);
    await clearSent(page);
    await page.keyboard.press('Home');
    m = await waitSent(page, (x) => x.length > 0, 'a travel for Home');
    assert.deepEqual(m[0], { type: 'travel', point: 0 });
    await arrive(page, 0);

    // A drag: one travel at a time (the next waits for the session), and the last goes where the mouse was let go.
    await clearSent(page);
    await page.mouse.move(box.x + 100, box.y + 40);
    await page.mouse.down();
    for (let x = 100; x <= 500; x += 20) await page.mouse.move(box.x + x, box.y + 40);
    await page.mouse.up();
    await page.waitForTimeout(300);
    m = await sent(page);
    assert.equal(m.length, 1, `one travel while none arrived: ${JSON.stringify(m)}`);
    // The session arrives where the first went: the panel sends where the drag ended.
    await arrive(page, (m[0] as { point: number }).point);
    m = await waitSent(page, (x) => x.length >= 2, 'the travel to where the drag ended');
    const dragEnd = Math.floor(((500 - 1) / (box.width - 2)) * axis);
    assert.ok(Math.abs((m[1] as { point: number }).point - dragEnd) <= axis / 200, `the drag ended at ${(m[1] as { point: number }).point}, expected about ${dragEnd}`);
    await arrive(page, (m[1] as { point: number }).point);

    // A line of output travels to the point that wrote it.
    await clearSent(page);
    const line = page.locator('#output li').nth(3);
    const linePoint = Number(await line.getAttribute('data-point'));
    assert.match(await line.innerText(), /iteration 4000/);
    await line.click();
    m = await waitSent(page, (x) => x.length > 0, 'a travel for an output line');
    assert.deepEqual(m[0], { type: 'travel', point: linePoint });
    assert.equal(rec.output.find((o) => o.text.includes('iteration 4000\n'))?.point, linePoint);
    assert.ok((await page.locator('#output li').count()) >= 100);
    await arrive(page, linePoint);

    // A category hidden by its legend button.
    await legend.first().click();
    assert.equal(await legend.first().getAttribute('aria-pressed'), 'false');
    await legend.first().click();
    assert.equal(await legend.first().getAttribute('aria-pressed'), 'true');

    // Ctrl+click marks A and B; the diff button posts them.
    await clearSent(page);
    await page.keyboard.down('Control');
    await page.mouse.click(box.x + 200, box.y + 40);
    await page.mouse.click(box.x + 600, box.y + 40);
    await page.keyboard.up('Control');
    const diff = page.locator('#diff');
    await diff.waitFor({ state: 'visible' });
    await diff.click();
    m = await waitSent(page, (x) => x.some((y) => y.type === 'diff'), 'a diff');
    const d = m.find((y) => y.type === 'diff') as Extract<FromTimeline, { type: 'diff' }>;
    assert.ok(d.from < d.to, JSON.stringify(d));
    assert.ok(!m.some((y) => y.type === 'travel'), 'marking points does not travel');

    // Zoom with the wheel around a point, then frame times over a few redraws (reported, not asserted).
    await page.mouse.move(box.x + 450, box.y + 40);
    for (let i = 0; i < 10; i++) await page.mouse.wheel(0, -300);
    await page.waitForTimeout(100);
    await page.screenshot({ path: path.join(shots, 'timeline-zoomed.png') });
    await page.locator('#fit').click();
    for (const name of ['light', 'high-contrast']) {
      await theme(page, name);
      await page.waitForTimeout(100);
      await page.screenshot({ path: path.join(shots, `timeline-${name}.png`) });
    }
    const frames = await page.evaluate(() => ({ n: document.body.dataset.frames, median: document.body.dataset.frameMsMedian, max: document.body.dataset.frameMsMax }));
    console.log(`timeline: ${axis} points, ${frames.n} frames drawn, median ${frames.median} ms, max ${frames.max} ms`);
    // A failed travel: the message is shown and nothing is retried.
    await clearSent(page);
    await page.evaluate(() => window.postMessage({ type: 'error', message: 'Cannot go to point 5: the re-execution diverged' }, '*'));
    assert.match(await page.locator('#message').innerText(), /diverged/);
    await page.waitForTimeout(300);
    assert.deepEqual(await sent(page), []);
    assert.deepEqual(errors, []);
  } finally {
    await b.close();
    await site.close();
  }
});
