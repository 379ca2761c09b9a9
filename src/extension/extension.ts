// VS Code glue: the `wasm-journal` debug type (the adapter runs as its own process: `wasm-journal dap`, from the
// bundle), and "WASM Journal: Inspect Journal", which shows a journal file as text (one line per entry, the same form
// as `wasm-journal inspect`) in a read-only document that follows the file as it changes.

import * as path from 'node:path';
import * as vscode from 'vscode';
import { JournalError, LogFileJournal, entryText, readAll } from '../journal';

const SCHEME = 'wasm-journal-text';

class JournalTextProvider implements vscode.TextDocumentContentProvider {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  refresh(uri: vscode.Uri): void {
    this.changed.fire(uri);
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    const file = uri.with({ scheme: 'file' }).fsPath.replace(/\.txt$/, '');
    let j: LogFileJournal;
    try {
      j = LogFileJournal.openRead(file);
    } catch (e) {
      return `Cannot read ${file}:\n${e instanceof JournalError ? e.message : String(e)}\n`;
    }
    const lines: string[] = [];
    try {
      for (const r of readAll(j)) lines.push(`${String(r.index).padStart(6)}  @${String(r.offset).padEnd(10)} ${entryText(r.entry)}`);
      for (const w of j.warnings) lines.push(`# warning: ${w}`);
      if (j.lastScan?.tornBytes) lines.push(`# the last ${j.lastScan.tornBytes} bytes are a torn record (an interrupted write)`);
    } catch (e) {
      lines.push(`# ${e instanceof JournalError ? e.message : String(e)}`);
    } finally {
      j.close();
    }
    return lines.join('\n') + '\n';
  }
}

/** Runs the bundled adapter with the editor's own Node.js (Electron as Node in VS Code, node in code-server). */
class AdapterFactory implements vscode.DebugAdapterDescriptorFactory {
  constructor(private readonly extensionPath: string) {}
  createDebugAdapterDescriptor(): vscode.DebugAdapterDescriptor {
    return new vscode.DebugAdapterExecutable(process.execPath, [path.join(this.extensionPath, 'dist', 'cli.js'), 'dap'], {
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } as Record<string, string>,
    });
  }
}

export function activate(context: vscode.ExtensionContext): void {
  context.subscriptions.push(vscode.debug.registerDebugAdapterDescriptorFactory('wasm-journal', new AdapterFactory(context.extensionPath)));
  const provider = new JournalTextProvider();
  context.subscriptions.push(vscode.workspace.registerTextDocumentContentProvider(SCHEME, provider));
  context.subscriptions.push(
    vscode.commands.registerCommand('wasmJournal.inspect', async (target?: vscode.Uri) => {
      let uri = target;
      if (!uri) {
        const picked = await vscode.window.showOpenDialog({
          canSelectMany: false,
          filters: { Journals: ['journal', 'bin'], 'All files': ['*'] },
          title: 'Inspect a WASM journal',
        });
        uri = picked?.[0];
      }
      if (!uri) return;
      const textUri = uri.with({ scheme: SCHEME, path: `${uri.path}.txt` });
      const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(uri.fsPath.replace(/[^/]+$/, '')), uri.path.replace(/^.*\//, '')));
      watcher.onDidChange(() => provider.refresh(textUri));
      context.subscriptions.push(watcher);
      const doc = await vscode.workspace.openTextDocument(textUri);
      await vscode.window.showTextDocument(doc, { preview: false });
    }),
  );
}

export function deactivate(): void {}
