// The timeline panel's frame times in a real browser (headless Chromium, the built page): a real recording of
// 100,000 host calls, zoomed with the wheel and panned, each frame's drawing timed by the panel itself. The baseline,
// measured in the same run on the same page: a recording of 1,000 calls (the drawing's fixed cost), and the 16.7 ms
// a frame has at 60 Hz. Without Chromium it says so and stops.

import * as os from 'node:os';
import { chromiumPath, launch, serve } from '../test/helpers/browser';
import { record, sendReset, theme, type Recorded } from '../test/helpers/timeline-page';
import { timelineHtml } from '../src/extension/timeline-html';

// The functions given to page.evaluate run in the page, where these are the browser's.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
declare const window: any, document: any;

interface Frames {
  median: number;
  p95: number;
  max: number;
  n: number;
}

async function frames(rec: Recorded, browserPath: string): Promise<Frames> {
  const pages: Record<string, string> = {};
  const site = await serve(pages);
  pages['/t.html'] = timelineHtml({ script: `${site.origin}/repo/dist/webview/timeline.js`, style: `${site.origin}/repo/media/timeline.css`, cspSource: site.origin, nonce: 'bench' });
  const b = await launch(browserPath);
  try {
    const page = await b.newPage({ viewport: { width: 1200, height: 500 } });
    await page.addInitScript(() => {
      window.acquireVsCodeApi = () => ({ postMessage: () => undefined, setState: () => undefined, getState: () => undefined });
    });
    await page.goto(`${site.origin}/t.html`);
    await theme(page, 'dark');
    await sendReset(page, rec);
    await page.waitForFunction(() => Number(document.body.dataset.frames ?? 0) >= 1);
    const box = (await page.locator('#axis').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.6, box.y + 40);
    const times: number[] = [];
    const last = async (): Promise<number> => Number(await page.evaluate(() => document.body.dataset.frames));
    // Zoom in 40 steps, pan 40 steps, zoom out 40 steps: one frame drawn per step.
    const steps: (() => Promise<void>)[] = [];
    for (let i = 0; i < 40; i++) steps.push(() => page.mouse.wheel(0, -120));
    for (let i = 0; i < 40; i++) steps.push(() => page.mouse.wheel(120, 0));
    for (let i = 0; i < 40; i++) steps.push(() => page.mouse.wheel(0, 120));
    for (const step of steps) {
      const before = await last();
      await step();
      await page.waitForFunction((n) => Number(document.body.dataset.frames) > n, before);
      // The panel keeps its last 240 frame times: the newest is the one this step drew.
      times.push(Number(await page.evaluate(() => document.body.dataset.frameMsLast)));
    }
    times.sort((a, c) => a - c);
    return { median: times[Math.floor(times.length / 2)], p95: times[Math.floor(times.length * 0.95)], max: times[times.length - 1], n: times.length };
  } finally {
    await b.close();
    await site.close();
  }
}

async function main(): Promise<void> {
  const c = chromiumPath();
  if (!c.path) {
    console.log(`### Timeline panel (bench/timeline.ts)\n\nnot measured: ${c.missing}\n`);
    return;
  }
  const big = await record(100_000);
  const small = await record(1_000);
  const ours = await frames(big, c.path);
  const base = await frames(small, c.path);
  const cores = os.cpus();
  console.log('### Timeline panel (bench/timeline.ts)\n');
  console.log(`${new Date().toISOString().slice(0, 10)}, node ${process.version}, ${cores.length} cores (${cores[0]?.model.trim() ?? '?'}); headless Chromium, the built page, 1200 px wide.\n`);
  console.log(
    `Drawing a frame of the timeline of ${big.state.total} points while zooming and panning (${ours.n} frames): median **${ours.median.toFixed(2)} ms**, 95th percentile ${ours.p95.toFixed(2)} ms, max ${ours.max.toFixed(2)} ms ` +
      `(goal: within a 60 Hz frame, 16.7 ms: ${ours.p95 <= 16.7 ? 'met' : 'not met'}); baseline, the same with ${small.state.total} points: median ${base.median.toFixed(2)} ms, max ${base.max.toFixed(2)} ms.\n`,
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
