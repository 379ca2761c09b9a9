// Instrument Module for Snapshots: a .wasm made able to save and restore its call stack (asyncify), written beside
// it. The bundled CLI's `instrument` does the work in a process of its own (a large module keeps binaryen busy for
// a while, and the extension host stays responsive), with its progress lines shown and Cancel ending it.

import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { SNAPSHOT_TRIGGERS } from '../journal';

/** `app.wasm` → `app.instrumented.wasm`. */
export function instrumentedName(file: string): string {
  return file.replace(/(\.wasm)?$/i, '.instrumented.wasm');
}

/** Instruments `target` (or a module asked for). */
export async function instrumentModule(extensionPath: string, target?: vscode.Uri): Promise<void> {
  const uri = target ?? (await vscode.window.showOpenDialog({ canSelectMany: false, filters: { WebAssembly: ['wasm'] }, title: 'Instrument a module for snapshots' }))?.[0];
  if (!uri) return;
  const file = uri.fsPath;
  if (!fs.existsSync(file)) {
    void vscode.window.showErrorMessage(`WASM Journal: ${file}: no such file`);
    return;
  }
  const every = { label: 'Every WASI call', description: 'a snapshot can be taken at any host call (the default)', picked: true, trigger: undefined as string | undefined };
  const picks = await vscode.window.showQuickPick([every, ...SNAPSHOT_TRIGGERS.map((t) => ({ label: t, description: 'only the calls this trigger takes snapshots at', picked: false, trigger: t as string | undefined }))], {
    canPickMany: true,
    title: `Instrument ${path.basename(file)}: where snapshots can unwind the stack`,
    placeHolder: 'Fewer calls: a smaller, faster module; snapshots only at those calls',
  });
  if (!picks || picks.length === 0) return;
  const triggers = picks.some((p) => p.trigger === undefined) ? [] : picks.map((p) => p.trigger!);
  const out = await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.file(instrumentedName(file)), filters: { WebAssembly: ['wasm'] }, title: 'Write the instrumented module to' });
  if (!out) return;
  if (path.resolve(out.fsPath) === path.resolve(file)) {
    void vscode.window.showErrorMessage('WASM Journal: the instrumented module must go to another file than the module');
    return;
  }
  const args = [path.join(extensionPath, 'dist', 'cli.js'), 'instrument', file, '-o', out.fsPath, ...triggers.flatMap((t) => ['--snapshot-on', t])];
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Instrumenting ${path.basename(file)}`, cancellable: true },
    (progress, token) =>
      new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        const child = spawn(process.execPath, args, { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => {
          stderr += d.toString();
          const line = stderr.trimEnd().split('\n').pop();
          if (line) progress.report({ message: line.replace(/^wasm-journal: /, '') });
        });
        token.onCancellationRequested(() => child.kill());
        child.on('error', (e) => resolve({ code: -1, out: stdout, err: e.message }));
        child.on('close', (code) => resolve({ code: token.isCancellationRequested ? null : code, out: stdout, err: stderr }));
      }),
  );
  if (result.code === null) return;
  if (result.code !== 0) {
    void vscode.window.showErrorMessage(`WASM Journal: instrumenting ${path.basename(file)} failed: ${result.err.trim().split('\n').pop() ?? `exit ${result.code}`}`);
    return;
  }
  void vscode.window.showInformationMessage(`WASM Journal: ${result.out.trim()}`);
}
