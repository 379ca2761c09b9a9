// Extension-host tests for @vscode/test-electron (`npm run test:vscode`, on a machine that can download VS Code;
// these machines cannot, so CI runs the same journeys in code-server instead: test/e2e/vscode.e2e.ts). VS Code loads
// this module in its extension host, with the example workspace open, and calls run(): each check drives the real
// extension through the VS Code API, and the result is printed as "N passed, N failed".

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';

const EXTENSION_ID = 'wasm-journal.wasm-journal';

function workspace(): string {
  const f = vscode.workspace.workspaceFolders?.[0];
  assert.ok(f, 'the example workspace is open');
  return f.uri.fsPath;
}

async function until<T>(what: string, f: () => T | undefined | Promise<T | undefined>, ms = 30_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() - t0 > ms) assert.fail(`waited ${ms} ms for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The adapter's next `stopped` event of a session (seen by a tracker, as the timeline sees them). */
function stops(): { next(): Promise<{ reason: string; description?: string }>; dispose(): void } {
  const seen: { reason: string; description?: string }[] = [];
  const waiting: ((s: { reason: string; description?: string }) => void)[] = [];
  const reg = vscode.debug.registerDebugAdapterTrackerFactory('wasm-journal', {
    createDebugAdapterTracker: () => ({
      onDidSendMessage: (m: { type?: string; event?: string; body?: { reason: string; description?: string } }) => {
        if (m.type !== 'event' || m.event !== 'stopped' || !m.body) return;
        const w = waiting.shift();
        if (w) w(m.body);
        else seen.push(m.body);
      },
    }),
  });
  return {
    next: () => {
      const s = seen.shift();
      return s ? Promise.resolve(s) : new Promise((r) => waiting.push(r));
    },
    dispose: () => reg.dispose(),
  };
}

const checks: [string, () => Promise<void>][] = [
  [
    'the extension activates and contributes its commands',
    async () => {
      const ext = vscode.extensions.getExtension(EXTENSION_ID);
      assert.ok(ext, `${EXTENSION_ID} is installed`);
      await ext.activate();
      const commands = await vscode.commands.getCommands(true);
      const contributed = (ext.packageJSON as { contributes: { commands: { command: string }[] } }).contributes.commands.map((c) => c.command);
      for (const c of contributed) assert.ok(commands.includes(c), `${c} is registered`);
    },
  ],
  [
    'the example launch configuration: stop at entry, travel, step back, memory diff, export, then the end',
    async () => {
      const s = stops();
      try {
        const started = new Promise<vscode.DebugSession>((r) => {
          const d = vscode.debug.onDidStartDebugSession((x) => {
            d.dispose();
            r(x);
          });
        });
        assert.ok(await vscode.debug.startDebugging(vscode.workspace.workspaceFolders![0], 'Time-travel notes.wasm'));
        const session = await started;
        assert.equal(session.type, 'wasm-journal');
        assert.equal((await s.next()).reason, 'entry');
        const st = (await session.customRequest('stackTrace', { threadId: 1 })) as { stackFrames: { name: string }[] };
        assert.ok(st.stackFrames.length > 0);
        await session.customRequest('continue', { threadId: 1 });
        assert.equal((await s.next()).reason, 'exit');
        const tl = (await session.customRequest('timeline', {})) as { total?: number; current?: number };
        assert.ok((tl.total ?? 0) > 2, JSON.stringify(tl));
        await session.customRequest('travel', { point: 1 });
        assert.match((await s.next()).description ?? '', /point 1\b/i);
        await session.customRequest('stepBack', { threadId: 1 });
        await s.next();
        const diff = (await session.customRequest('diffMemory', { from: 0, to: 1 })) as { comparedBytes: number };
        assert.ok(diff.comparedBytes > 0);
        const out = path.join(os.tmpdir(), `wj-vscode-${process.pid}.journal`);
        const exported = (await session.customRequest('exportJournal', { path: out })) as { entries: number };
        assert.ok(exported.entries > 0 && fs.statSync(out).size > 0);
        await vscode.debug.stopDebugging(session);
      } finally {
        s.dispose();
      }
    },
  ],
  [
    'a journal\'s JSON form: the language server\'s diagnostics and outline',
    async () => {
      const recording = path.join(workspace(), 'hello.journal');
      const cli = path.join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'dist', 'cli.js');
      const r = spawnSync(process.execPath, [cli, 'export', recording], { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } });
      assert.equal(r.status, 0, r.stderr.toString());
      const file = path.join(os.tmpdir(), `wj-vscode-${process.pid}.journal.json`);
      fs.writeFileSync(file, r.stdout.toString().replace('"tty_set_v1"', '"tty_sett_v1"'));
      const doc = await vscode.workspace.openTextDocument(file);
      await vscode.window.showTextDocument(doc);
      assert.equal(doc.languageId, 'wasm-journal-json');
      const problems = await until('the diagnostics', () => {
        const d = vscode.languages.getDiagnostics(doc.uri);
        return d.length > 0 ? d : undefined;
      });
      assert.match(problems[0].message, /unknown entry kind "tty_sett_v1"/);
      const symbols = await until('the outline', async () => {
        const s = await vscode.commands.executeCommand<vscode.DocumentSymbol[]>('vscode.executeDocumentSymbolProvider', doc.uri);
        return s && s.length > 0 ? s : undefined;
      });
      assert.equal(symbols[0].name, 'Run 1');
      const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri);
      assert.ok(lenses.some((l) => l.command?.title === 'Restore here'));
    },
  ],
  [
    'a journal file opens in the journal editor',
    async () => {
      const uri = vscode.Uri.file(path.join(workspace(), 'hello.journal'));
      await vscode.commands.executeCommand('vscode.openWith', uri, 'wasmJournal.journalEditor');
      await until('the editor tab', () => (vscode.window.tabGroups.activeTabGroup.activeTab?.label === 'hello.journal' ? true : undefined));
    },
  ],
];

export async function run(): Promise<void> {
  let passed = 0;
  let failed = 0;
  for (const [name, check] of checks) {
    try {
      await check();
      passed++;
      console.log(`✔ ${name}`);
    } catch (e) {
      failed++;
      console.log(`✖ ${name}\n  ${(e as Error).stack ?? String(e)}`);
    }
  }
  console.log(`\n${passed} passed, ${failed} failed`);
  if (failed > 0) throw new Error(`${failed} extension-host test(s) failed`);
}
