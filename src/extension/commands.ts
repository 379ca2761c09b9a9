// The extension's commands: start a session on a .wasm, open a recording post-mortem, export a filtered journal
// from the session (then check the file), and the memory diff between two points as a report.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { FILTER_NAMES, JournalLines, isWhole, surveyJournal } from '../journal';
import type { MemoryDiffBody } from '../journal/memory-diff';
// (the module itself, not the runtime's index: the extension host loads only what it uses)
import { exportJournal } from '../runtime/session/export';
import { DEBUG_TYPE } from './timeline-view';
import { openMemoryDiff } from './memory-view';
import { instrumentModule } from './instrument-command';

/** The launch configuration F5 fills for a .wasm with no launch.json. */
export function defaultLaunch(program: string, folder?: vscode.WorkspaceFolder): vscode.DebugConfiguration {
  return {
    type: DEBUG_TYPE,
    request: 'launch',
    name: `Debug ${path.basename(program)} with Journal`,
    program,
    cwd: folder?.uri.fsPath ?? path.dirname(program),
    stopOnEntry: false,
  };
}

export class ConfigurationProvider implements vscode.DebugConfigurationProvider {
  provideDebugConfigurations(folder: vscode.WorkspaceFolder | undefined): vscode.DebugConfiguration[] {
    return [
      {
        type: DEBUG_TYPE,
        request: 'launch',
        name: 'Debug WASM with Journal',
        program: '${file}',
        cwd: folder ? '${workspaceFolder}' : undefined,
        stopOnSnapshot: false,
      },
    ];
  }

  resolveDebugConfiguration(folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration): vscode.DebugConfiguration | undefined {
    if (!config.type && !config.request && !config.name) {
      // F5 without a launch.json: the .wasm in the editor (or selected in the Explorer).
      const file = vscode.window.activeTextEditor?.document.uri ?? activeTabUri();
      if (file?.scheme === 'file' && file.fsPath.endsWith('.wasm')) return defaultLaunch(file.fsPath, folder);
      void vscode.window.showErrorMessage('WASM Journal: open a .wasm file (or add a launch configuration with "program") to start a time-travel session.');
      return undefined;
    }
    if (config.request === 'launch' && !config.program && !config.restoreFrom) {
      void vscode.window.showErrorMessage('WASM Journal: the launch configuration needs "program" (the .wasm to run).');
      return undefined;
    }
    return config;
  }
}

function activeTabUri(): vscode.Uri | undefined {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input as { uri?: vscode.Uri } | undefined;
  return input?.uri;
}

function activeSession(): vscode.DebugSession | undefined {
  const s = vscode.debug.activeDebugSession;
  return s?.type === DEBUG_TYPE ? s : undefined;
}

async function pickFile(title: string, filters: Record<string, string[]>): Promise<vscode.Uri | undefined> {
  return (await vscode.window.showOpenDialog({ canSelectMany: false, filters, title }))?.[0];
}

/** The module a journal's run `run` (from 1; default the last) was recorded from: a .wasm of the workspace whose SHA-256 is its module hash. */
async function moduleOf(journal: string, run?: number): Promise<string | undefined> {
  // The journal's records indexed (only its init-module entries decoded), not read whole.
  const lines = new JournalLines(journal);
  lines.refresh();
  const runs = lines.landmarks.filter((l) => l.kind === 'run');
  const hash = run === undefined ? runs.at(-1)?.module : runs[run - 1]?.module;
  if (!hash) throw new Error(`${journal} holds no run (no init-module entry)`);
  const candidates = [
    ...fs.readdirSync(path.dirname(journal)).filter((f) => f.endsWith('.wasm')).map((f) => path.join(path.dirname(journal), f)),
    ...(await vscode.workspace.findFiles('**/*.wasm', '**/node_modules/**', 500)).map((u) => u.fsPath),
  ];
  for (const c of new Set(candidates)) {
    try {
      if (crypto.createHash('sha256').update(fs.readFileSync(c)).digest('hex') === hash) return c;
    } catch {
      // unreadable: not it
    }
  }
  return undefined;
}

/** The module a journal was recorded from: found by its hash in the workspace, or asked for (undefined: none). */
export async function programFor(journal: string, run?: number): Promise<string | undefined> {
  try {
    const found = await moduleOf(journal, run);
    if (found) return found;
  } catch (e) {
    void vscode.window.showErrorMessage(`WASM Journal: ${(e as Error).message}`);
    return undefined;
  }
  const picked = await pickFile(`The module ${path.basename(journal)} was recorded from`, { WebAssembly: ['wasm'] });
  return picked?.fsPath;
}

export function registerCommands(context: vscode.ExtensionContext): void {
  const reg = (id: string, fn: (...args: never[]) => unknown): void => void context.subscriptions.push(vscode.commands.registerCommand(id, fn));

  reg('wasmJournal.debugWasm', async (target?: vscode.Uri) => {
    const uri = target ?? activeTabUri() ?? (await pickFile('Debug a WebAssembly program with a journal', { WebAssembly: ['wasm'] }));
    if (!uri) return;
    await vscode.debug.startDebugging(vscode.workspace.getWorkspaceFolder(uri), defaultLaunch(uri.fsPath, vscode.workspace.getWorkspaceFolder(uri)));
  });

  reg('wasmJournal.instrumentModule', (target?: vscode.Uri) => {
    const active = activeTabUri();
    return instrumentModule(context.extensionPath, target ?? (active && /\.wasm$/i.test(active.fsPath) ? active : undefined));
  });

  reg('wasmJournal.openJournal', async (target?: vscode.Uri) => {
    const uri = target ?? (await pickFile('Open a recording (post-mortem)', { Journals: ['journal'], 'All files': ['*'] }));
    if (!uri) return;
    const program = await programFor(uri.fsPath);
    if (!program) return;
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    await vscode.debug.startDebugging(folder, {
      type: DEBUG_TYPE,
      request: 'attach',
      name: `Open ${path.basename(uri.fsPath)}`,
      journal: uri.fsPath,
      program,
      cwd: folder?.uri.fsPath ?? path.dirname(uri.fsPath),
    });
  });

  reg('wasmJournal.exportJournal', async () => {
    const s = activeSession();
    if (!s) {
      void vscode.window.showErrorMessage('WASM Journal: export needs a time-travel session (start one, or open a recording).');
      return;
    }
    const descriptions: Record<string, string> = {
      memory: 'memory contents',
      threads: 'thread states (call stacks)',
      fs: 'file-system changes',
      stdio: 'terminal output and input',
      core: 'process start and exit',
      snapshots: 'snapshot markers',
      networking: 'sockets',
      inputs: 'recorded inputs (clock, random, reads)',
    };
    const filters = await vscode.window.showQuickPick(
      FILTER_NAMES.map((f) => ({ label: f, description: descriptions[f] ?? '', picked: false })),
      { canPickMany: true, title: 'Leave out of the exported journal (none: keep everything)' },
    );
    if (!filters) return;
    const options = await vscode.window.showQuickPick(
      [
        { label: 'Compact', description: 'keep only what the final state needs', id: 'compact' },
        { label: 'Up to the current point', description: 'leave out what happened after it', id: 'upTo' },
      ],
      { canPickMany: true, title: 'Export options' },
    );
    if (!options) return;
    const dest = await vscode.window.showSaveDialog({ title: 'Export the journal to', filters: { Journals: ['journal'] }, saveLabel: 'Export' });
    if (!dest) return;
    const args: Record<string, unknown> = { path: dest.fsPath };
    if (filters.length > 0) args.filter = filters.map((f) => f.label);
    if (options.some((o) => o.id === 'compact')) args.compact = true;
    if (options.some((o) => o.id === 'upTo')) {
      const t = (await s.customRequest('timeline', { start: 0, count: 0 })) as { current: number };
      args.upTo = t.current;
    }
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Exporting ${path.basename(dest.fsPath)}`, cancellable: false }, async (progress) => {
      try {
        const r = (await s.customRequest('exportJournal', args)) as { entries: number; bytes: number; path: string };
        progress.report({ message: 'checking the file' });
        const v = surveyJournal(r.path);
        if (!isWhole(v)) throw new Error(`the exported file does not verify: ${[...v.badRecords, ...v.skipped.map((k) => `${k.length} bytes at ${k.offset}`)].join('; ')}`);
        void vscode.window.showInformationMessage(`Exported ${r.entries} entries (${r.bytes} bytes) to ${r.path}; verified: ${v.records} records.`);
      } catch (e) {
        void vscode.window.showErrorMessage(`WASM Journal: export failed: ${(e as Error).message}`);
      }
    });
  });

  reg('wasmJournal.compactJournal', async (target?: vscode.Uri) => {
    const uri = target ?? (await pickFile('Compact a journal', { Journals: ['journal'], 'All files': ['*'] }));
    if (!uri) return;
    const src = uri.fsPath;
    const dest = await vscode.window.showSaveDialog({
      title: `Compact ${path.basename(src)} into`,
      defaultUri: vscode.Uri.file(src.replace(/(\.journal)?$/, '.compact.journal')),
      filters: { Journals: ['journal'] },
      saveLabel: 'Compact',
    });
    if (!dest) return;
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Compacting ${path.basename(src)}` }, async (progress) => {
      try {
        // The CLI's compaction (`wasm-journal compact`), written atomically to a new file: the journal is left as it is.
        const r = exportJournal(src, dest.fsPath, { compact: true });
        progress.report({ message: 'checking the file' });
        const v = surveyJournal(r.path);
        if (!isWhole(v)) throw new Error(`the compacted file does not verify: ${v.badRecords.join('; ')}`);
        void vscode.window.showInformationMessage(`Compacted ${path.basename(src)} (${fs.statSync(src).size} bytes) into ${r.entries} entries (${r.bytes} bytes) in ${r.path}; verified.`);
      } catch (e) {
        void vscode.window.showErrorMessage(`WASM Journal: compaction failed: ${(e as Error).message}`);
      }
    });
  });

  context.subscriptions.push(vscode.workspace.registerTextDocumentContentProvider(DiffReports.SCHEME, reports));
  reg('wasmJournal.diffMemory', async (given?: { from?: number; to?: number; asText?: boolean }) => {
    const s = activeSession();
    if (!s) {
      void vscode.window.showErrorMessage('WASM Journal: a memory diff needs a time-travel session.');
      return;
    }
    let from = given?.from;
    let to = given?.to;
    if (from === undefined || to === undefined) {
      const t = (await s.customRequest('timeline', { start: 0, count: 0 })) as { current: number; total: number };
      const ask = async (prompt: string, value: number): Promise<number | undefined> => {
        const v = await vscode.window.showInputBox({
          prompt,
          value: String(value),
          validateInput: (x) => (/^\d+$/.test(x.trim()) && Number(x) < Math.max(1, t.total) ? undefined : `a point from 0 to ${Math.max(0, t.total - 1)}`),
        });
        return v === undefined ? undefined : Number(v);
      };
      from = await ask('Memory diff: from point', Math.max(0, t.current - 1));
      if (from === undefined) return;
      to = await ask('Memory diff: to point', t.current);
      if (to === undefined) return;
    }
    try {
      if (given?.asText) {
        const d = (await s.customRequest('diffMemory', { from, to, maxRanges: 1000 })) as MemoryDiffBody;
        await showDiffReport(`memory ${from} to ${to}`, diffReport(`point ${from}`, `point ${to}`, d));
      } else {
        await openMemoryDiff(context.extensionUri, s, from, to);
      }
    } catch (e) {
      void vscode.window.showErrorMessage(`WASM Journal: memory diff failed: ${(e as Error).message}`);
    }
  });
  reg('wasmJournal.diffMemoryText', (given?: { from: number; to: number }) => vscode.commands.executeCommand('wasmJournal.diffMemory', { ...given, asText: true }));
}

class DiffReports implements vscode.TextDocumentContentProvider {
  static readonly SCHEME = 'wasm-journal-diff';
  private readonly texts = new Map<string, string>();
  set(uri: vscode.Uri, text: string): void {
    this.texts.set(uri.toString(), text);
  }
  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? 'This report is gone (the window was reloaded since it was made).';
  }
}

const reports = new DiffReports();

/** A memory report as a read-only document (`name`.diff), beside the others of the window. */
export async function showDiffReport(name: string, text: string): Promise<void> {
  const uri = vscode.Uri.from({ scheme: DiffReports.SCHEME, path: `/${name}.diff`, query: String(Date.now()) });
  reports.set(uri, text);
  await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri), { preview: false });
}

/** A diff as text: the totals, then each changed range as hex lines of old and new bytes ("point 3", "snapshot 1"). */
export function diffReport(from: string, to: string, d: MemoryDiffBody): string {
  const lines = [
    `Memory from ${from} to ${to}: ${d.changedBytes} bytes changed in ${d.rangeCount} range${d.rangeCount === 1 ? '' : 's'}${d.truncated ? ' (more ranges than listed)' : ''};`,
    `${d.comparedBytes} bytes compared (${d.fromBytes} bytes at ${from}, ${d.toBytes} at ${to}).`,
    '',
  ];
  const hex = (b: Buffer, i: number): string => [...b.subarray(i, i + 16)].map((x) => x.toString(16).padStart(2, '0')).join(' ');
  for (const r of d.ranges) {
    const a = Buffer.from(r.old ?? '', 'base64');
    const b = Buffer.from(r.new ?? '', 'base64');
    lines.push(`@ 0x${r.offset.toString(16).padStart(8, '0')} (${Math.max(a.length, b.length)} bytes)`);
    for (let i = 0; i < Math.max(a.length, b.length); i += 16) {
      const at = `0x${(r.offset + i).toString(16).padStart(8, '0')}`;
      lines.push(`- ${at}  ${hex(a, i)}`);
      lines.push(`+ ${at}  ${hex(b, i)}`);
    }
    lines.push('');
  }
  return lines.join('\n');
}
