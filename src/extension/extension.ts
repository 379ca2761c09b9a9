// VS Code glue: the `wasm-journal` debug type (the adapter runs as its own process: `wasm-journal dap`, from the
// bundle, so a guest can never take the extension host down), F5 on a .wasm, the timeline panel in Run and Debug,
// a status bar item during a session, the commands, and "Inspect Journal" (a journal file as text, one line per
// entry as `wasm-journal inspect` prints, following the file as it changes).

import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { JournalError, LogFileJournal, entryLine, entryText, readAll } from '../journal';
import { ConfigurationProvider, registerCommands } from './commands';
import { JOURNAL_EDITOR, JournalEditorProvider } from './journal-editor';
import { disposeTemporary, startLanguageClient } from './language-client';
import { MEMORY_SCHEME, MemoryFileSystem, memoryUri } from './memory-fs';
import { DEBUG_TYPE, TIMELINE_VIEW, TimelineView } from './timeline-view';

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
      for (const r of readAll(j)) lines.push(entryLine(r.index, r.offset, entryText(r.entry)));
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

function sizeText(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

export function activate(context: vscode.ExtensionContext): void {
  context.subscriptions.push(vscode.debug.registerDebugAdapterDescriptorFactory(DEBUG_TYPE, new AdapterFactory(context.extensionPath)));
  context.subscriptions.push(vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, new ConfigurationProvider()));
  // The journal's JSON form: its language server, in its own process.
  startLanguageClient(context);

  const timeline = new TimelineView(context.extensionUri);
  context.subscriptions.push(vscode.window.registerWebviewViewProvider(TIMELINE_VIEW, timeline, { webviewOptions: { retainContextWhenHidden: true } }));
  // The adapter's events, seen on their way to VS Code: each stop brings the panel up to date.
  context.subscriptions.push(
    vscode.debug.registerDebugAdapterTrackerFactory(DEBUG_TYPE, {
      createDebugAdapterTracker: () => ({
        onDidSendMessage: (m: { type?: string; event?: string }) => {
          if (m.type !== 'event') return;
          if (m.event === 'stopped' || m.event === 'terminated' || m.event === 'exited') void timeline.refresh();
          else if (m.event === 'continued') timeline.running();
        },
      }),
    }),
  );
  context.subscriptions.push(vscode.debug.onDidChangeActiveDebugSession(() => void timeline.refresh()));
  context.subscriptions.push(vscode.debug.onDidTerminateDebugSession(() => void timeline.refresh()));

  // current point / last point, branch, recording size.
  const status = vscode.window.createStatusBarItem('wasmJournal.status', vscode.StatusBarAlignment.Left, 50);
  status.name = 'WASM Journal session';
  status.command = `${TIMELINE_VIEW}.focus`;
  context.subscriptions.push(status);
  timeline.onState.event((s) => {
    if (!s) {
      status.hide();
      return;
    }
    let size = '';
    try {
      if (s.journal) size = ` · ${sizeText(fs.statSync(s.journal).size)}`;
    } catch {
      // not written yet
    }
    status.text = `$(history) ${s.current} / ${s.last} · branch ${s.branch}${size}`;
    status.tooltip = `WASM Journal: point ${s.current} of 0-${s.last}, branch ${s.branch}${s.journal ? `\nRecording: ${s.journal}` : ''}\nClick to show the timeline`;
    status.show();
  });

  registerCommands(context);
  context.subscriptions.push(vscode.workspace.registerFileSystemProvider(MEMORY_SCHEME, new MemoryFileSystem(), { isReadonly: true, isCaseSensitive: true }));
  context.subscriptions.push(
    vscode.commands.registerCommand('wasmJournal.openMemory', async (given?: { point?: number }) => {
      const s = vscode.debug.activeDebugSession;
      if (s?.type !== DEBUG_TYPE) {
        void vscode.window.showErrorMessage('WASM Journal: opening memory needs a time-travel session.');
        return;
      }
      let point = given?.point;
      if (point === undefined) {
        const t = (await s.customRequest('timeline', { start: 0, count: 0 })) as { current: number };
        const v = await vscode.window.showInputBox({ prompt: 'The memory of point', value: String(t.current), validateInput: (x) => (/^\d+$/.test(x.trim()) ? undefined : 'a point number') });
        if (v === undefined) return;
        point = Number(v);
      }
      // As a file: the hex editor (when installed) or any binary viewer opens it.
      await vscode.commands.executeCommand('vscode.open', memoryUri(s, point));
    }),
  );
  context.subscriptions.push(
    vscode.window.registerCustomEditorProvider(JOURNAL_EDITOR, new JournalEditorProvider(context.extensionUri), { supportsMultipleEditorsPerDocument: true }),
  );

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
  void timeline.refresh();
}

export function deactivate(): void {
  disposeTemporary();
}
