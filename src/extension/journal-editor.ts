// Journal files in a read-only custom editor: the entries as text (one line per entry, as `wasm-journal inspect`
// prints them, decoded as they are shown: a journal of any size opens once its records are indexed), an outline of
// runs and snapshots, "Debug from here" on a snapshot of any run (a session restored at it), and following the file
// as it grows (a journal being written). The journal is only read, never written.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { JournalError, JournalLines } from '../journal';
import type { FromJournal, JournalSummary, OutlineItem, ToJournal } from '../shared/journal-protocol';
import { DEBUG_TYPE } from './timeline-view';
import { webviewPage } from './webview-page';
import { programFor } from './commands';

export const JOURNAL_EDITOR = 'wasmJournal.journalEditor';

/** Time the extension host gives the index at a stretch, between which it answers everything else. */
const SLICE_MS = 20;
/** How often a journal still being indexed shows how far it got. */
const PROGRESS_MS = 250;

/**
 * Indexes the journal (again: only what was appended since) in slices of SLICE_MS, so that a journal of millions of
 * records never holds up the extension host; `show` gets the summary every PROGRESS_MS while it works (`indexing`),
 * and at the end. Returns a function that stops it.
 */
function indexInSlices(lines: JournalLines, show: (s: JournalSummary) => void): () => void {
  let stopped = false;
  let shown = performance.now();
  const slice = (): void => {
    if (stopped) return;
    const notes: string[] = [];
    let done = true;
    try {
      done = lines.refresh(performance.now() + SLICE_MS);
    } catch (e) {
      notes.push(e instanceof JournalError ? e.message : `cannot read it: ${(e as Error).message}`);
    }
    if (done) {
      show(summarize(lines, notes, false));
      return;
    }
    if (performance.now() - shown >= PROGRESS_MS) {
      shown = performance.now();
      show(summarize(lines, notes, true));
    }
    setImmediate(slice);
  };
  slice();
  return () => {
    stopped = true;
  };
}

/** The journal as indexed so far, as the view's summary. */
function summarize(lines: JournalLines, notes: string[], indexing: boolean): JournalSummary {
  const outline: OutlineItem[] = lines.landmarks.map((l) =>
    l.kind === 'run'
      ? { kind: 'run', entry: l.entry, run: l.run, label: `Run ${l.run} (module ${l.module!.slice(0, 12)}...)` }
      : { kind: 'snapshot', entry: l.entry, run: l.run, label: `Snapshot ${l.snapshot} · ${l.trigger}`, restoreAt: l.snapshot },
  );
  return { file: lines.file, bytes: lines.bytes, entries: lines.entries, notes: [...notes, ...lines.notes], outline, ...(indexing ? { indexing } : {}) };
}

class JournalDocument implements vscode.CustomDocument {
  constructor(readonly uri: vscode.Uri) {}
  dispose(): void {}
}

export class JournalEditorProvider implements vscode.CustomReadonlyEditorProvider<JournalDocument> {
  constructor(private readonly extensionUri: vscode.Uri) {}

  openCustomDocument(uri: vscode.Uri): JournalDocument {
    return new JournalDocument(uri);
  }

  resolveCustomEditor(doc: JournalDocument, panel: vscode.WebviewPanel): void {
    const file = doc.uri.fsPath;
    const w = panel.webview;
    w.options = { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(this.extensionUri, 'media')] };
    w.html = webviewPage(
      {
        script: w.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview', 'journal.js')).toString(),
        style: w.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'media', 'journal.css')).toString(),
        cspSource: w.cspSource,
        nonce: crypto.randomBytes(16).toString('base64'),
      },
      'Journal',
      `<header><div id="summary" role="status" aria-live="polite">Reading the journal...</div><ul id="notes" role="alert"></ul>
<button id="text" title="The same lines as a text document (to search, copy, diff)">Open as Text</button></header>
<main><nav aria-label="Runs and snapshots"><div class="title">Runs and snapshots</div><ul id="outline"></ul></nav>
<section id="entries" tabindex="0" aria-label="Entries, one per line"><div id="spacer"></div><div id="body"></div></section></main>`,
    );
    const lines = new JournalLines(file);
    let summary: JournalSummary = { file, bytes: 0, entries: 0, notes: [], outline: [], indexing: true };
    let ready = false;
    const send = (m: ToJournal): void => void w.postMessage(m);
    const show = (s: JournalSummary): void => {
      summary = s;
      if (ready) send({ type: 'summary', summary });
    };
    let stopIndexing = indexInSlices(lines, show);
    // Following the file as it grows (debounced: a journal being written changes often).
    let timer: NodeJS.Timeout | undefined;
    const watcher = fs.watch(path.dirname(file), (_e, name) => {
      if (name !== path.basename(file)) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        stopIndexing();
        stopIndexing = indexInSlices(lines, show);
      }, 300);
    });
    panel.onDidDispose(() => {
      watcher.close();
      stopIndexing();
      if (timer) clearTimeout(timer);
    });
    w.onDidReceiveMessage(async (m: FromJournal) => {
      switch (m.type) {
        case 'ready':
          ready = true;
          send({ type: 'summary', summary });
          return;
        case 'lines':
          send({ type: 'lines', start: m.start, lines: lines.lines(m.start, Math.min(m.count, 5000)) });
          return;
        case 'openAsText':
          await vscode.commands.executeCommand('wasmJournal.inspect', doc.uri);
          return;
        case 'debugFrom':
          await debugFrom(file, m.restoreAt, m.run);
          return;
      }
    });
  }
}

/** The guest folders run `run` (from 1) of the journal had (its program-start entry), in order; how many runs it holds. */
function runMounts(journal: string, run: number): { mounts: string[]; fsMode: string; runs: number } {
  const lines = new JournalLines(journal);
  lines.refresh();
  const runs = lines.landmarks.filter((l) => l.kind === 'run');
  const it = runs[run - 1];
  return { mounts: it?.mounts ?? [], fsMode: it?.fsMode ?? 'overlay', runs: runs.length };
}

/**
 * The host folder for each guest folder the recording used: from a launch configuration of the workspace for the same
 * program (its `dirs`), or asked for. Undefined when the user cancels.
 */
async function hostFolders(program: string, mounts: string[], folder: vscode.WorkspaceFolder | undefined): Promise<string[] | undefined> {
  if (mounts.length === 0) return [];
  const ws = folder?.uri.fsPath ?? '';
  const sub = (v: string): string => v.replace(/\$\{workspaceFolder\}/g, ws);
  const configs = vscode.workspace.getConfiguration('launch', folder).get<{ type?: string; program?: string; dirs?: string[]; cwd?: string }[]>('configurations') ?? [];
  const byGuest = new Map<string, string>();
  for (const c of configs) {
    if (c.type !== DEBUG_TYPE || !c.program || path.resolve(sub(c.cwd ?? ws), sub(c.program)) !== program) continue;
    for (const d of c.dirs ?? []) {
      const [host, guest] = sub(d).split('::');
      byGuest.set(guest ?? host, path.resolve(sub(c.cwd ?? ws), host));
    }
  }
  const dirs: string[] = [];
  for (const guest of mounts) {
    let host = byGuest.get(guest);
    if (!host) {
      const picked = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, title: `The host folder for the recording's ${guest}`, openLabel: `Use as ${guest}` });
      if (!picked?.[0]) return undefined;
      host = picked[0].fsPath;
    }
    dirs.push(`${host}::${guest}`);
  }
  return dirs;
}

/**
 * A session on the journal, restored at a snapshot of one of its runs (the module found by its hash, or asked for);
 * the session started (undefined: none, the user cancelled or it failed to start).
 */
export async function debugFrom(journal: string, restoreAt: number, run: number): Promise<vscode.DebugSession | undefined> {
  const program = await programFor(journal, run);
  if (!program) return undefined;
  // A journal outside the workspace (a JSON form's Restore here imports into a temporary folder): the program's.
  const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(journal)) ?? vscode.workspace.getWorkspaceFolder(vscode.Uri.file(program));
  const { mounts, fsMode, runs } = runMounts(journal, run);
  const dirs = await hostFolders(program, mounts, folder);
  if (!dirs) return undefined;
  let started: vscode.DebugSession | undefined;
  const watch = vscode.debug.onDidStartDebugSession((s) => {
    if (s.type === DEBUG_TYPE && s.configuration.restoreFrom === journal) started ??= s;
  });
  const ok = await vscode.debug.startDebugging(folder, {
    type: DEBUG_TYPE,
    request: 'launch',
    name: `${path.basename(journal)} from ${runs > 1 ? `run ${run}, ` : ''}snapshot ${restoreAt}`,
    program,
    restoreFrom: journal,
    restoreAt,
    restoreRun: run,
    dirs,
    // Time travel never touches the folders: a recording made with host changes is explored over an overlay.
    fsMode: fsMode === 'memory' ? 'memory' : 'overlay',
    cwd: folder?.uri.fsPath ?? path.dirname(journal),
  });
  watch.dispose();
  return ok ? started : undefined;
}
