// End to end in a real VS Code: code-server (installed by scripts/code-server.mjs) with this extension, driven by
// Chromium through playwright-core, on a copy of the example workspace. F5 on the example's launch configuration,
// the stop at entry, Continue to the end, the Journal Timeline, a click on its snapshot (the Call Stack and Variables
// follow), Step Back from the toolbar, a memory diff between two points marked on the timeline, an export of a
// filtered journal (then verified by the CLI), a journal opened as text, its JSON form with the language server, and
// Instrument Module for Snapshots on the example's module. A screenshot of each step goes to
// test-output/e2e/ (kept when a step fails, with the page's state at that moment).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Frame, FrameLocator, Page } from 'playwright-core';
import { chromiumPath, launch, outputDir, ROOT } from '../helpers/browser';
import { tempDir } from '../helpers/tmp';
import type * as CodeServerScript from '../../scripts/code-server.mjs' with { 'resolution-mode': 'import' };

const BIN = path.join(ROOT, 'dist', 'cli.js');

async function codeServer(): Promise<typeof CodeServerScript> {
  // An ES module: imported at run time (this file is compiled to CommonJS).
  const load = new Function('p', 'return import(p)') as (p: string) => Promise<typeof CodeServerScript>;
  return load(path.join(ROOT, 'scripts', 'code-server.mjs'));
}

const browser = chromiumPath();

test('VS Code (code-server): F5, stop, timeline, travel to a snapshot, Step Back, memory diff, export, a journal as text, its JSON form, instrument', { skip: browser.missing, timeout: 600_000 }, async () => {
  assert.ok(fs.existsSync(path.join(ROOT, 'dist', 'extension.js')), 'the extension is not built: npm run build');
  const { startCodeServer } = await codeServer();
  const work = tempDir('wj-e2e-');
  const workspace = path.join(work, 'examples');
  fs.cpSync(path.join(ROOT, 'examples'), workspace, { recursive: true, filter: (src) => !src.includes('.wasm-journal') });
  const shots = outputDir('e2e');
  for (const f of fs.readdirSync(shots)) fs.rmSync(path.join(shots, f));
  // WJ_VSIX: the packaged extension, installed (CI); otherwise the repository's build.
  const vsix = process.env.WJ_VSIX ? path.resolve(process.env.WJ_VSIX) : undefined;
  const server = await startCodeServer({ port: 0, fresh: true, profile: path.join(work, 'profile'), workspace, vsix, settings: { 'git.openRepositoryInParentFolders': 'never', 'files.simpleDialog.enable': true } });
  const b = await launch(browser.path!);
  const page = await b.newPage({ viewport: { width: 1400, height: 900 } });
  let step = 0;
  const shot = async (name: string): Promise<void> => {
    await page.screenshot({ path: path.join(shots, `${String(++step).padStart(2, '0')}-${name}.png`) });
  };
  try {
    await page.goto(server.url);
    await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
    // The extension host and the workspace settle.
    await page.locator('.statusbar').waitFor();
    await page.waitForTimeout(2000);
    await shot('workspace');

    // F5 in Run and Debug: the example's launch configuration; it stops at its first host call.
    await page.keyboard.press('Control+Shift+D');
    await page.locator('.pane-header:has-text("Run and Debug"), .debug-viewlet').first().waitFor();
    // F5 (again, when the workbench had not taken the key yet: the first press can come before it is ready).
    for (let i = 0; i < 3; i++) {
      await page.waitForTimeout(1000);
      await page.keyboard.press('F5');
      // A session started (its toolbar is there): it goes on to its stop; no second F5, which would continue it.
      if (await page.locator('.debug-toolbar').first().waitFor({ timeout: 10_000 }).then(() => true, () => false)) break;
    }
    // The example's configuration stops at each snapshot of its trigger (non-deterministic calls): the first one.
    await callStack(page, /Point \d+: Snapshot 0 \(non-deterministic-call\)/);
    await shot('stopped-at-snapshot');

    // Continue (past the other snapshots) to the end: the session stays, at the end of the program.
    let end = -1;
    let at = 0;
    for (let i = 0; i < 6 && end < 0; i++) {
      await page.keyboard.press('F5');
      // The next stop: another snapshot than the one it was at, or the end.
      const m = await callStack(page, new RegExp(`Point (\\d+): (Exited with code 0|Snapshot (?!${at}\\b)(\\d+))`));
      if (m[2].startsWith('Exited')) end = Number(m[1]);
      else at = Number(m[3]);
    }
    assert.ok(end >= 0, 'the program did not reach its end');
    assert.ok(end > 10, `the program ended at point ${end}`);
    await page.locator('.debug-console .repl, .repl').first().waitFor();
    assert.match(await page.locator('.repl').first().innerText(), /hello, vscode: 2 note\(s\) in \/notes\/notes\.txt/);
    await shot('ended');

    // The timeline: room for it, then its canvas.
    await runCommand(page, 'Focus on Journal Timeline View');
    for (const name of ['Watch', 'Breakpoints']) await page.locator(`.pane-header:has-text("${name}")`).first().click();
    const web = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
    const axis = web.locator('#axis');
    await axis.waitFor({ timeout: 30_000 });
    await waitText(web.locator('#status'), new RegExp(`point ${end} / ${end} · \\d+ snapshots? · ended \\(exit 0\\)`));
    assert.match(await page.locator('.statusbar').innerText(), new RegExp(`${end} / ${end} · branch 0`));
    await shot('timeline');

    // A click on the first snapshot's mark travels there: Call Stack and Variables show that point.
    const snapPoint = await snapshotPoint(page);
    await axis.click({ position: { x: await xOf(axis, snapPoint), y: 10 } });
    await callStack(page, new RegExp(`Point ${snapPoint}: `));
    await waitText(page.locator('.debug-variables'), new RegExp(`point =\\s*${snapPoint}\\b`));
    await waitText(web.locator('#status'), new RegExp(`point ${snapPoint} / ${end}`));
    await shot('travelled-to-snapshot');

    // Step Back from the toolbar: the point before.
    await page.locator('.debug-toolbar .action-item a[aria-label^="Step Back"]').click();
    await callStack(page, new RegExp(`Point ${snapPoint - 1}: Stepped back`));
    await waitText(page.locator('.debug-variables'), new RegExp(`point =\\s*${snapPoint - 1}\\b`));
    await shot('stepped-back');

    // A memory diff: Ctrl+click marks A (the start) and B (the end), then the diff opens as a document.
    await page.keyboard.down('Control');
    await axis.click({ position: { x: await xOf(axis, 0), y: 40 } });
    await axis.click({ position: { x: await xOf(axis, end), y: 40 } });
    await page.keyboard.up('Control');
    await web.locator('#diff').click();
    await page.locator(`.tab:has-text("Memory 0 → ${end}")`).waitFor({ timeout: 30_000 });
    const view = await frameWith(page, '#summary');
    await waitText(view.locator('#summary'), new RegExp(`Memory from point 0 to point ${end}: \\d+ bytes changed in \\d+ ranges?`));
    // It opened at the first change, its bytes read (both points) and marked.
    await view.locator('.row.selected .chg').first().waitFor({ timeout: 30_000 });
    assert.ok((await view.locator('#ranges li').count()) > 0);
    await shot('memory-diff');

    // The memory of the current point as a file (what the hex editor opens).
    await runCommand(page, 'WASM Journal: Open Memory at a Point');
    const pointInput = page.locator('.quick-input-widget input').first();
    await pointInput.waitFor();
    await page.waitForTimeout(300);
    await page.keyboard.press('Enter');
    await page.locator(`.tab:has-text("point-${snapPoint - 1}.bin")`).waitFor({ timeout: 30_000 });
    // Read whole (VS Code looks at its bytes and finds them binary: the hex editor's case).
    await waitText(page.locator('.editor-container').first(), /binary|unsupported text encoding/i);
    await shot('memory-as-file');

    // Export a filtered journal (leaving out memory), through the quick picks and the save dialog; then the CLI
    // verifies the file.
    const exported = path.join(work, 'exported.journal');
    await runCommand(page, 'WASM Journal: Export Filtered Journal');
    const row = page.locator('.quick-input-list .monaco-list-row:has-text("memory")').first();
    await row.waitFor();
    await row.click();
    await waitText(page.locator('.quick-input-widget'), /1 Selected/);
    await page.locator('.quick-input-widget .monaco-button:has-text("OK")').first().click();
    await page.locator('.quick-input-list .monaco-list-row:has-text("Compact")').first().waitFor();
    await page.locator('.quick-input-widget .monaco-button:has-text("OK")').first().click();
    await typePath(page, exported);
    await waitText(page.locator('.notifications-toasts'), /Exported \d+ entries \(\d+ bytes\) to .*exported\.journal; verified: \d+ records/, 60_000);
    await shot('exported');
    const v = spawnSync(process.execPath, [BIN, 'verify', exported]);
    assert.equal(v.status, 0, v.stdout.toString() + v.stderr.toString());
    assert.doesNotMatch(v.stdout.toString(), /memory-update/);

    // Compact Journal on the exported file: into a new one, checked; the CLI verifies it too.
    const compacted = path.join(work, 'compacted.journal');
    await runCommand(page, 'WASM Journal: Compact Journal');
    await typePath(page, exported);
    await typePath(page, compacted);
    await waitText(page.locator('.notifications-toasts'), /Compacted exported\.journal \(\d+ bytes\) into \d+ entries \(\d+ bytes\) in .*compacted\.journal; verified/, 60_000);
    const vc = spawnSync(process.execPath, [BIN, 'verify', compacted]);
    assert.equal(vc.status, 0, vc.stdout.toString() + vc.stderr.toString());

    // The exported journal opened as text.
    await runCommand(page, 'WASM Journal: Inspect Journal');
    await typePath(page, exported);
    await page.locator('.tab:has-text("exported.journal")').waitFor({ timeout: 30_000 });
    await waitText(page.locator('.monaco-editor .view-lines').first(), /init-module \(hash=/);
    await shot('journal-as-text');

    // The session's own recording in the journal editor: its summary, runs and snapshots ("Debug from here").
    const recording = path.join(workspace, 'guests', '.wasm-journal', 'notes.journal');
    assert.ok(fs.existsSync(recording), `${recording} is missing`);
    // Quick Open (Ctrl+P) on its name.
    await page.keyboard.press('Control+P');
    const quick = page.locator('.quick-input-widget input').first();
    await quick.waitFor();
    await quick.fill('notes.journal');
    await page.locator('.quick-input-list .monaco-list-row:has-text("notes.journal")').first().waitFor({ timeout: 30_000 });
    await page.keyboard.press('Enter');
    const editor = await frameWith(page, '#outline');
    await waitText(editor.locator('#summary'), /notes\.journal: \d+ entries, \d+ bytes, 1 run, \d+ snapshots?/);
    await waitText(editor.locator('#outline'), /Run 1[^]*Snapshot 0/);
    assert.equal(await editor.locator('#outline .debug').first().isEnabled(), true);
    await waitText(editor.locator('#body'), /init-module \(hash=/);
    await shot('journal-editor');
    // "Debug from here": a second session on that recording, at its snapshot.
    await editor.locator('#outline .debug').first().click();
    // (two sessions now: the Call Stack lists both, the new one stopped where its snapshot is)
    await waitText(page.locator('.debug-call-stack'), new RegExp(`notes\\.journal from snapshot 0[^]*Travelled to point ${snapPoint}\\b`, 'i'), 60_000);
    await shot('debug-from-snapshot');

    // The recording's JSON form, with a mistake in it, in its language: the server's diagnostic in the Problems
    // view, the outline's runs and snapshots, the lenses on the snapshots.
    const exportedJson = spawnSync(process.execPath, [BIN, 'export', recording]);
    assert.equal(exportedJson.status, 0, exportedJson.stderr.toString());
    const jsonFile = path.join(workspace, 'guests', 'notes.journal.json');
    fs.writeFileSync(jsonFile, exportedJson.stdout.toString().replace('"tty_set_v1"', '"tty_sett_v1"'));
    // Quick Open (again while it has not seen a file this new yet).
    for (let attempt = 0; ; attempt++) {
      await page.keyboard.press('Control+P');
      await quick.waitFor();
      await quick.fill('notes.journal.json');
      const found = await page.locator('.quick-input-list .monaco-list-row:has-text("notes.journal.json")').first().waitFor({ timeout: 5000 }).then(() => true, () => false);
      if (found) break;
      assert.ok(attempt < 12, 'Quick Open never found notes.journal.json');
      await page.keyboard.press('Escape');
      await page.waitForTimeout(1000);
    }
    await page.keyboard.press('Enter');
    await page.locator('.tab:has-text("notes.journal.json")').waitFor({ timeout: 30_000 });
    await waitText(page.locator('.statusbar'), /WASM Journal \(JSON\)/);
    await page.keyboard.press('Control+Shift+M');
    await waitText(page.locator('.markers-panel, .panel').first(), /unknown entry kind "tty_sett_v1"/, 60_000);
    // Go to Symbol (the server's outline): the first snapshot, where its lenses are.
    await page.locator('.tab:has-text("notes.journal.json")').click();
    await page.keyboard.press('Control+Shift+O');
    await quick.waitFor();
    await quick.fill('@Snapshot 0');
    await page.locator('.quick-input-list .monaco-list-row:has-text("Snapshot 0")').first().waitFor({ timeout: 30_000 });
    await page.keyboard.press('Enter');
    await waitText(page.locator('.monaco-editor .codelens-decoration').first(), /Restore here/, 60_000);
    await shot('journal-json');
    // The next snapshot's lens: the memory the two hold, as a report.
    await page.keyboard.press('Control+Shift+O');
    await quick.waitFor();
    await quick.fill('@Snapshot 1');
    await page.locator('.quick-input-list .monaco-list-row:has-text("Snapshot 1")').first().waitFor({ timeout: 30_000 });
    await page.keyboard.press('Enter');
    await page.locator('.monaco-editor .codelens-decoration a:has-text("Diff with previous snapshot")').first().click({ timeout: 60_000 });
    await waitText(page.locator('.monaco-editor .view-lines').first(), /Memory from snapshot 0 to snapshot 1: \d+ bytes changed in \d+ ranges?/, 60_000);
    await shot('journal-json-diff');
    // The mistake mended (on disk: the open document follows), Restore here: a session on the document as imported
    // into a journal of its own, in a temporary folder that goes when the session ends.
    const imported = (): string[] => fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith('wasm-journal-json-'));
    const importedBefore = new Set(imported());
    fs.writeFileSync(jsonFile, fs.readFileSync(jsonFile, 'utf8').replace('"tty_sett_v1"', '"tty_set_v1"'));
    await page.locator('.tab:has-text("notes.journal.json")').first().click();
    await page.keyboard.press('Control+Shift+O');
    await quick.waitFor();
    await quick.fill('@Snapshot 0');
    await page.locator('.quick-input-list .monaco-list-row:has-text("Snapshot 0")').first().waitFor({ timeout: 30_000 });
    await page.keyboard.press('Enter');
    await page.locator('.monaco-editor .codelens-decoration a:has-text("Restore here")').first().click({ timeout: 60_000 });
    let folder: string | undefined;
    for (let i = 0; i < 120 && !folder; i++) {
      folder = imported().find((f) => !importedBefore.has(f));
      if (!folder) await page.waitForTimeout(500);
    }
    assert.ok(folder, 'Restore here imported the document into a temporary journal');
    // A third session (the program's folders from its launch configuration, not asked for), at the snapshot.
    await waitText(page.locator('.debug-call-stack'), /notes\.journal from snapshot 0[^]*notes\.journal from snapshot 0/i, 60_000);
    await shot('restore-here');
    // That session (the last in the Call Stack) focused, then stopped from the toolbar.
    await page.locator('.debug-call-stack .monaco-list-row:has-text("notes.journal from snapshot 0")').last().click();
    await page.locator('.debug-toolbar .action-item a[aria-label^="Stop"]').first().click();
    for (let i = 0; i < 60 && fs.existsSync(path.join(os.tmpdir(), folder)); i++) await page.waitForTimeout(500);
    assert.ok(!fs.existsSync(path.join(os.tmpdir(), folder)), 'the imported journal went with its session');

    // Instrument Module for Snapshots: the example's module (chosen in the open dialog), every WASI call, beside it.
    const module = path.join(workspace, 'guests', 'notes.wasm');
    const instrumented = path.join(workspace, 'guests', 'notes.instrumented.wasm');
    await runCommand(page, 'WASM Journal: Instrument Module for Snapshots');
    await typePath(page, module);
    await page.locator('.quick-input-list .monaco-list-row:has-text("Every WASI call")').first().waitFor({ timeout: 30_000 });
    await page.keyboard.press('Enter');
    await typePath(page, instrumented);
    await waitText(page.locator('.notifications-toasts'), /notes\.instrumented\.wasm: [\d.]+ MB -> [\d.]+ MB/, 120_000);
    await shot('instrumented');
    const check = spawnSync(process.execPath, [BIN, 'instrument', instrumented, '-o', path.join(work, 'again.wasm')], { encoding: 'utf8' });
    assert.match(check.stdout, /already instrumented/, `${check.stdout}${check.stderr}`);
  } catch (e) {
    await shot('failure').catch(() => undefined);
    fs.writeFileSync(path.join(shots, 'code-server.log'), server.log());
    throw e;
  } finally {
    await b.close();
    server.stop();
  }
});

/** The webview frame whose page has `selector` (webviews are iframes inside iframes). */
async function frameWith(page: Page, selector: string): Promise<Frame> {
  for (let i = 0; i < 150; i++) {
    for (const f of page.frames()) if ((await f.locator(selector).count().catch(() => 0)) > 0) return f;
    await page.waitForTimeout(200);
  }
  assert.fail(`no webview with ${selector}`);
}

/** Waits until the Call Stack's header (the stop's description) matches. */
async function callStack(page: Page, re: RegExp, ms = 60_000): Promise<RegExpMatchArray> {
  const header = page.locator('.pane-header:has-text("Call Stack")').first();
  return waitText(header, re, ms);
}

async function waitText(loc: { innerText(): Promise<string> }, re: RegExp, ms = 30_000): Promise<RegExpMatchArray> {
  let text = '';
  for (const t0 = Date.now(); Date.now() - t0 < ms; ) {
    text = (await loc.innerText().catch(() => '')).replace(/\u00a0/g, ' ');
    const m = re.exec(text);
    if (m) return m;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`waited ${ms} ms for ${re}; the text is:\n${text.slice(0, 2000)}`);
}

async function runCommand(page: Page, name: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input').first();
  await input.waitFor();
  await input.fill(`>${name}`);
  await page.locator(`.quick-input-list .monaco-list-row:has-text("${name.replace(/^.*: /, '')}")`).first().waitFor();
  await page.keyboard.press('Enter');
}

/** The simple file dialog (a path in a quick input): the whole path typed, then accepted. */
async function typePath(page: Page, file: string): Promise<void> {
  const widget = page.locator('.quick-input-widget').first();
  const input = widget.locator('input').first();
  await input.waitFor();
  // The dialog fills in a folder of its own, and lists it, a while after it opens (and again after it listed it):
  // the path goes in until it stays, then Enter, until the dialog has taken it.
  for (let attempt = 0; attempt < 20; attempt++) {
    for (let i = 0; i < 50 && !(await input.inputValue()).startsWith('/'); i++) await page.waitForTimeout(100);
    await input.fill(file);
    await page.waitForTimeout(700);
    if ((await input.inputValue()) !== file) continue;
    const dialog = await input.getAttribute('aria-label');
    await page.keyboard.press('Enter');
    // Taken: the dialog closed, or the next one (a save dialog after an open one) took its place.
    const taken = async (): Promise<boolean> => !(await widget.isVisible()) || (await input.getAttribute('aria-label')) !== dialog;
    for (let i = 0; i < 20 && !(await taken()); i++) await page.waitForTimeout(100);
    if (await taken()) return;
  }
  assert.fail(`the file dialog did not take ${file}`);
}

/** The x (in the canvas) of a point, from the slider's range (the axis fits the whole recording). */
async function xOf(axis: ReturnType<FrameLocator['locator']>, point: number): Promise<number> {
  const max = Number(await axis.getAttribute('aria-valuemax'));
  const box = (await axis.boundingBox())!;
  const width = box.width - 2;
  return Math.max(1, Math.min(width, ((point + 0.5) / (max + 1)) * width));
}

/** The first snapshot's point, as the Call Stack lists the snapshots (`Snapshot 0 · trigger · point N · ...`). */
async function snapshotPoint(page: Page): Promise<number> {
  const frames = await page.locator('.debug-call-stack .monaco-list-row').allInnerTexts();
  const points = frames.map((f) => /Snapshot \d+ · [^·]+ · point (\d+)/.exec(f)).filter(Boolean).map((m) => Number(m![1]));
  assert.ok(points.length > 0, `no snapshot frame in the Call Stack: ${frames.join(' | ')}`);
  const p = Math.min(...points);
  assert.ok(p > 0, `the first snapshot is at point ${p}`);
  return p;
}
