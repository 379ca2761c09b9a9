// The journal's JSON form in the editor: the language client of the journal language server (dist/server.js, in its
// own process), and the commands its code lenses and menus name: Restore here (a session on the document imported
// into a binary journal, at that snapshot), Diff with previous snapshot (the server's memory diff, as a report),
// Import JSON into a Binary Journal (refused while the document has errors), Export Journal as JSON.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ExecuteCommandRequest, LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { JournalError, exportJsonFile } from '../journal';
import type { MemoryDiffBody } from '../journal/memory-diff';
import { DIFF_LENS, DIFF_REQUEST, IMPORT_COMMAND, RESTORE_LENS, type ImportResult } from '../shared/journal-lsp';
import { diffReport, showDiffReport } from './commands';
import { debugFrom } from './journal-editor';

export const JSON_LANGUAGE = 'wasm-journal-json';

let client: LanguageClient | undefined;
/** Folders of journals imported for "Restore here" sessions still running: removed when the extension stops. */
const temporary = new Set<() => void>();

/** Removes what the language client's commands left (called when the extension stops). */
export function disposeTemporary(): void {
  for (const remove of temporary) remove();
  temporary.clear();
}

/** The binary journal beside a JSON form: `x.journal.json` → `x.journal`, `x.json` → `x.journal`. */
export function binaryNameFor(json: string): string {
  if (/\.journal\.json$/i.test(json)) return json.slice(0, -'.json'.length);
  return json.replace(/\.json$/i, '') + '.journal';
}

/** The document of `uri` open in the editor (so the server reads it, unsaved edits included). */
async function opened(uri: vscode.Uri | undefined): Promise<vscode.TextDocument | undefined> {
  const target = uri ?? vscode.window.activeTextEditor?.document.uri;
  if (!target) {
    void vscode.window.showErrorMessage('WASM Journal: open a journal\'s JSON form (a .journal.json file) first');
    return undefined;
  }
  const doc = await vscode.workspace.openTextDocument(target);
  if (doc.languageId !== JSON_LANGUAGE) await vscode.languages.setTextDocumentLanguage(doc, JSON_LANGUAGE);
  return doc;
}

/** Imports the document into `target` through the server; shows what is wrong when it refuses. */
async function importTo(doc: vscode.TextDocument, target: string): Promise<Extract<ImportResult, { ok: true }> | undefined> {
  if (!client) throw new Error('the journal language server is not running');
  const r = (await client.sendRequest(ExecuteCommandRequest.type, { command: IMPORT_COMMAND, arguments: [{ uri: doc.uri.toString(), target }] })) as ImportResult;
  if (r.ok) return r;
  const pick = await vscode.window.showErrorMessage(`WASM Journal: ${path.basename(doc.uri.fsPath)} is not a valid journal: ${r.message}`, 'Show Problems');
  if (pick) await vscode.commands.executeCommand('workbench.actions.view.problems');
  return undefined;
}

export function startLanguageClient(context: vscode.ExtensionContext): void {
  const module = path.join(context.extensionPath, 'dist', 'server.js');
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ language: JSON_LANGUAGE }],
    diagnosticCollectionName: 'wasm-journal',
  };
  client = new LanguageClient('wasmJournal.languageServer', 'WASM Journal language server', serverOptions, clientOptions);
  void client.start().catch((e: Error) => void vscode.window.showErrorMessage(`WASM Journal: the journal language server did not start: ${e.message}`));
  context.subscriptions.push({ dispose: () => void client?.stop() });

  const reg = (id: string, fn: (...args: never[]) => unknown): void => void context.subscriptions.push(vscode.commands.registerCommand(id, fn));

  reg('wasmJournal.importJson', async (uri?: vscode.Uri) => {
    const doc = await opened(uri);
    if (!doc) return;
    const picked = await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.file(binaryNameFor(doc.uri.fsPath)), filters: { Journals: ['journal'] }, title: 'Import into a binary journal' });
    if (!picked) return;
    const r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Importing ${path.basename(doc.uri.fsPath)}` }, () => importTo(doc, picked.fsPath));
    if (!r) return;
    const open = await vscode.window.showInformationMessage(`WASM Journal: imported ${r.entries} entries into ${r.target}${r.warnings ? ` (${r.warnings} warning(s) in the Problems view)` : ''}`, 'Open');
    if (open) await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(r.target));
  });

  reg('wasmJournal.exportJson', async (uri?: vscode.Uri) => {
    const journal =
      uri?.fsPath ?? (await vscode.window.showOpenDialog({ canSelectMany: false, filters: { Journals: ['journal'], 'All files': ['*'] }, title: 'Export a journal as JSON' }))?.[0]?.fsPath;
    if (!journal) return;
    const picked = await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.file(`${journal}.json`), filters: { 'Journal JSON': ['json'] }, title: 'Export the journal as JSON' });
    if (!picked) return;
    try {
      const { scan } = exportJsonFile(journal, picked.fsPath);
      if (scan && scan.tornBytes > 0) {
        void vscode.window.showWarningMessage(`WASM Journal: ${journal}: the last ${scan.tornBytes} bytes are not a complete record (a write was interrupted); the export ends at byte ${scan.validEnd}`);
      }
    } catch (e) {
      void vscode.window.showErrorMessage(`WASM Journal: ${e instanceof JournalError ? e.message : `cannot export ${journal}: ${(e as Error).message}`}`);
      return;
    }
    const doc = await vscode.workspace.openTextDocument(picked);
    await vscode.languages.setTextDocumentLanguage(doc, JSON_LANGUAGE);
    await vscode.window.showTextDocument(doc, { preview: false });
  });

  reg(RESTORE_LENS, async (uri: string, run: number, inRun: number) => {
    const doc = await opened(vscode.Uri.parse(uri));
    if (!doc) return;
    // The session needs a binary journal: the document as it is now, imported into a file of its own.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasm-journal-json-'));
    const removeDir = (): void => fs.rmSync(dir, { recursive: true, force: true });
    const r = await importTo(doc, path.join(dir, path.basename(binaryNameFor(doc.uri.fsPath))));
    const session = r ? await debugFrom(r.target, inRun, run) : undefined;
    if (!session) return removeDir();
    // The session reads the imported journal while it lasts; it goes with the session (or with the extension).
    temporary.add(removeDir);
    const ended = vscode.debug.onDidTerminateDebugSession((s) => {
      if (s.id !== session.id) return;
      ended.dispose();
      temporary.delete(removeDir);
      removeDir();
    });
  });

  reg(DIFF_LENS, async (uri: string, from: number, to: number) => {
    if (!client) return;
    try {
      const d = (await client.sendRequest(DIFF_REQUEST, { uri, from, to })) as MemoryDiffBody;
      await showDiffReport(`snapshot ${from} to ${to}`, diffReport(`snapshot ${from}`, `snapshot ${to}`, d));
    } catch (e) {
      void vscode.window.showErrorMessage(`WASM Journal: memory diff failed: ${(e as Error).message}`);
    }
  });
}
