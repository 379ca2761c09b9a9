// The journal language server: a journal's JSON form (what `wasm-journal export` writes, `*.journal.json`) as a
// document with diagnostics, an outline (runs, snapshots, the entries before each), hovers that decode entries,
// code lenses on snapshots and an import back into a binary journal. It reads journals with src/journal alone; what a
// lens does in the editor (a debug session, a memory report) is the extension's.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CodeLens,
  DiagnosticSeverity,
  DocumentSymbol,
  ErrorCodes,
  Hover,
  MarkupKind,
  ResponseError,
  SymbolKind,
  TextDocumentSyncKind,
  TextDocuments,
  type Connection,
  type Diagnostic,
  type InitializeResult,
  type Position,
  type Range,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { diffSnapshots, entryText, importJson, kindOf, readJsonJournal, type JsonEntryInfo, type JsonJournal, type TextPos } from '../journal';
import { printJsonCompact } from '../journal/json-text';
import { diffBody, type MemoryDiffBody } from '../journal/memory-diff';
import { DIFF_LENS, DIFF_REQUEST, IMPORT_COMMAND, RESTORE_LENS, type DiffParams, type ImportParams, type ImportResult } from '../shared/journal-lsp';
import { toJson } from '../journal/schema';

const toPos = (p: TextPos): Position => ({ line: p.line - 1, character: p.col - 1 });
const rangeOf = (a: TextPos, b: TextPos): Range => ({ start: toPos(a), end: toPos(b) });
const before = (a: Position, b: Position): boolean => a.line < b.line || (a.line === b.line && a.character < b.character);

const HOVER_BYTES = 256;
const DIAGNOSTICS_DELAY_MS = 150;

/** Up to `max` bytes as hex and ASCII lines, 16 a line, addressed from `base`. */
function hexLines(data: Uint8Array, base: number, max = HOVER_BYTES): string {
  const lines: string[] = [];
  const n = Math.min(data.length, max);
  for (let i = 0; i < n; i += 16) {
    const row = data.subarray(i, Math.min(n, i + 16));
    const hex = [...row].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    const ascii = [...row].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${(base + i).toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  ${ascii}`);
  }
  if (data.length > n) lines.push(`... ${data.length - n} more bytes`);
  return lines.join('\n');
}

/** An entry's hover: its text form, its fields decoded, a hex preview of its bytes (memory at its addresses). */
export function hoverText(info: JsonEntryInfo): string {
  const e = info.entry;
  const where = `entry ${info.index}${info.run > 0 ? `, run ${info.run}` : ''}${info.snapshot ? `, snapshot ${info.snapshot.index} (${info.snapshot.inRun} of its run)` : ''}`;
  if (!e) return `**${info.tag}** (${where}): not a valid entry; see its problem.`;
  const k = kindOf(e);
  const out = [`**${info.tag}** · ${where}`, '', '```text', entryText(e), '```'];
  const o = e as unknown as Record<string, unknown>;
  const previews: string[] = [];
  const rows: string[] = [];
  for (const [name, ft] of Object.entries(k.fields)) {
    const v = o[name];
    const key = k.jsonNames[name] ?? name;
    if (v instanceof Uint8Array) {
      rows.push(`| ${key} | ${v.length} bytes |`);
      if (v.length > 0) {
        const base = e.kind === 'UpdateMemoryRegionV1' ? Number(e.region.start) : 0;
        previews.push(`${key}${e.kind === 'UpdateMemoryRegionV1' ? ' (memory at its addresses)' : ''}:`, '```text', hexLines(v, base), '```');
      }
    } else {
      const text = typeof v === 'string' ? v : printJsonCompact(toJson(ft, v));
      rows.push(`| ${key} | \`${text.replace(/[|`]/g, (c) => `\\${c}`).slice(0, 200)}\` |`);
    }
  }
  if (rows.length > 0) out.push('', '| field | value |', '| --- | --- |', ...rows);
  if (previews.length > 0) out.push('', ...previews);
  return out.join('\n');
}

/** Runs, each with its snapshots (the entries since the one before inside each), and the entries after the last. */
export function documentSymbols(doc: JsonJournal): DocumentSymbol[] {
  const entrySymbol = (i: JsonEntryInfo): DocumentSymbol => ({
    name: i.entry ? entryText(i.entry) : `${i.tag} (not valid)`,
    detail: `entry ${i.index}`,
    kind: i.entry ? SymbolKind.Event : SymbolKind.Null,
    range: rangeOf(i.start, i.end),
    selectionRange: rangeOf(i.start, i.end),
  });
  const group = (name: string, detail: string, kind: SymbolKind, items: JsonEntryInfo[], head: JsonEntryInfo, children: DocumentSymbol[]): DocumentSymbol => ({
    name,
    detail,
    kind,
    range: rangeOf(items[0].start, items[items.length - 1].end),
    selectionRange: rangeOf(head.start, head.end),
    children,
  });
  const out: DocumentSymbol[] = [];
  let run: { head: JsonEntryInfo; items: JsonEntryInfo[]; children: DocumentSymbol[] } | undefined;
  let pending: JsonEntryInfo[] = [];
  const closeRun = (): void => {
    const top = run?.children ?? out;
    if (pending.length > 0) {
      const last = run?.children.filter((c) => c.kind === SymbolKind.Key).length ?? 0;
      top.push(group(last > 0 ? `After snapshot ${last - 1}` : 'Before any snapshot', `${pending.length} entries`, SymbolKind.Namespace, pending, pending[0], pending.map(entrySymbol)));
    }
    pending = [];
    if (run) out.push(group(`Run ${run.head.run}`, `${run.items.length} entries`, SymbolKind.Module, run.items, run.head, run.children));
    run = undefined;
  };
  for (const i of doc.entries) {
    if (i.entry?.kind === 'InitModuleV1' || (i.tag === 'init_module_v1' && i.run > 0)) {
      closeRun();
      run = { head: i, items: [i], children: [] };
      continue;
    }
    run?.items.push(i);
    pending.push(i);
    if (i.snapshot) {
      const trigger = i.entry?.kind === 'SnapshotV1' ? i.entry.trigger : '?';
      const s = group(`Snapshot ${i.snapshot.inRun} · ${trigger}`, `snapshot ${i.snapshot.index} of the journal, ${pending.length} entries`, SymbolKind.Key, pending, i, pending.map(entrySymbol));
      (run?.children ?? out).push(s);
      pending = [];
    }
  }
  closeRun();
  return out;
}

/** "Restore here" on every snapshot; "Diff with previous snapshot" on those after another of their run. */
export function codeLenses(uri: string, doc: JsonJournal): CodeLens[] {
  const out: CodeLens[] = [];
  let previous: JsonEntryInfo | undefined;
  for (const i of doc.entries) {
    if (!i.snapshot) continue;
    const range = rangeOf(i.start, i.start);
    out.push({ range, command: { title: 'Restore here', command: RESTORE_LENS, arguments: [uri, i.run, i.snapshot.inRun] } });
    if (previous && previous.run === i.run) {
      out.push({ range, command: { title: 'Diff with previous snapshot', command: DIFF_LENS, arguments: [uri, previous.snapshot!.index, i.snapshot.index] } });
    }
    previous = i;
  }
  return out;
}

export function diagnostics(doc: JsonJournal): Diagnostic[] {
  return doc.problems.map((p) => ({
    range: rangeOf(p.start, p.end),
    severity: p.severity === 'error' ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
    source: 'wasm-journal',
    message: p.message,
  }));
}

/** The entry whose text holds `pos`. */
function entryAt(doc: JsonJournal, pos: Position): JsonEntryInfo | undefined {
  let lo = 0;
  let hi = doc.entries.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const e = doc.entries[mid];
    if (before(pos, toPos(e.start))) hi = mid - 1;
    else if (!before(pos, toPos(e.end))) lo = mid + 1;
    else return e;
  }
  return undefined;
}

/** Serves the language over `connection` until it closes. */
export function serve(connection: Connection): void {
  const documents = new TextDocuments(TextDocument);
  const cache = new Map<string, { version: number; doc: JsonJournal }>();
  const read = (uri: string): { text: string; doc: JsonJournal } => {
    const d = documents.get(uri);
    if (!d) throw new ResponseError(ErrorCodes.InvalidParams, `${uri} is not open`);
    const hit = cache.get(uri);
    if (hit && hit.version === d.version) return { text: d.getText(), doc: hit.doc };
    const doc = readJsonJournal(d.getText());
    cache.set(uri, { version: d.version, doc });
    return { text: d.getText(), doc };
  };
  const guard = <P, R>(fn: (p: P) => R): ((p: P) => R) => (p: P) => {
    if (typeof p !== 'object' || p === null) throw new ResponseError(ErrorCodes.InvalidParams, 'expected an object of parameters');
    return fn(p);
  };
  const uriOf = (p: { textDocument?: { uri?: unknown } }): string => {
    const uri = p.textDocument?.uri;
    if (typeof uri !== 'string') throw new ResponseError(ErrorCodes.InvalidParams, 'textDocument.uri: expected a string');
    return uri;
  };

  connection.onInitialize(
    (): InitializeResult => ({
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        documentSymbolProvider: true,
        hoverProvider: true,
        codeLensProvider: { resolveProvider: false },
        executeCommandProvider: { commands: [IMPORT_COMMAND] },
      },
      serverInfo: { name: 'wasm-journal' },
    }),
  );
  // Diagnostics once typing pauses (a large export takes a while to read), for the version then current.
  const pendingDiagnostics = new Map<string, NodeJS.Timeout>();
  documents.onDidChangeContent((c) => {
    const uri = c.document.uri;
    clearTimeout(pendingDiagnostics.get(uri));
    pendingDiagnostics.set(
      uri,
      setTimeout(() => {
        pendingDiagnostics.delete(uri);
        const d = documents.get(uri);
        if (!d) return;
        try {
          void connection.sendDiagnostics({ uri, version: d.version, diagnostics: diagnostics(read(uri).doc) });
        } catch (e) {
          // A bug, not the document's fault: said in the server's log; the server goes on.
          connection.console.error(`wasm-journal: reading ${uri} failed: ${(e as Error).stack ?? String(e)}`);
        }
      }, DIAGNOSTICS_DELAY_MS),
    );
  });
  documents.onDidClose((c) => {
    clearTimeout(pendingDiagnostics.get(c.document.uri));
    pendingDiagnostics.delete(c.document.uri);
    cache.delete(c.document.uri);
    void connection.sendDiagnostics({ uri: c.document.uri, diagnostics: [] });
  });
  connection.onDocumentSymbol(guard((p) => documentSymbols(read(uriOf(p)).doc)));
  connection.onHover(
    guard((p): Hover | null => {
      const pos = p.position as Position | undefined;
      if (!pos || typeof pos.line !== 'number' || typeof pos.character !== 'number') throw new ResponseError(ErrorCodes.InvalidParams, 'position: expected {line, character}');
      const info = entryAt(read(uriOf(p)).doc, pos);
      return info ? { contents: { kind: MarkupKind.Markdown, value: hoverText(info) }, range: rangeOf(info.start, info.end) } : null;
    }),
  );
  connection.onCodeLens(guard((p) => codeLenses(uriOf(p), read(uriOf(p)).doc)));
  connection.onExecuteCommand(
    guard((p): ImportResult => {
      if (p.command !== IMPORT_COMMAND) throw new ResponseError(ErrorCodes.InvalidParams, `unknown command ${String(p.command)}`);
      const a = p.arguments?.[0] as ImportParams | undefined;
      if (!a || typeof a.uri !== 'string' || typeof a.target !== 'string' || a.target === '') {
        throw new ResponseError(ErrorCodes.InvalidParams, `${IMPORT_COMMAND}: expected [{ uri, target }]`);
      }
      const { text, doc } = read(a.uri);
      const errors = doc.problems.filter((x) => x.severity === 'error');
      if (errors.length > 0) {
        const first = errors[0];
        return { ok: false, errors: errors.length, message: `${errors.length} error(s), the first at line ${first.start.line}, column ${first.start.col}: ${first.message}` };
      }
      const target = path.resolve(a.target);
      if (sameFile(a.uri, target)) throw new ResponseError(ErrorCodes.InvalidParams, `${target} is the JSON document itself`);
      try {
        const entries = importJson(text, target, path.basename(a.uri));
        return { ok: true, entries, target, warnings: doc.problems.length };
      } catch (e) {
        return { ok: false, errors: 1, message: (e as Error).message };
      }
    }),
  );
  connection.onRequest(
    DIFF_REQUEST,
    guard((p: DiffParams): MemoryDiffBody => {
      if (typeof p.uri !== 'string' || !Number.isInteger(p.from) || !Number.isInteger(p.to)) {
        throw new ResponseError(ErrorCodes.InvalidParams, `${DIFF_REQUEST}: expected { uri, from, to } with snapshot numbers`);
      }
      const { doc } = read(p.uri);
      let d;
      try {
        d = diffSnapshots(doc.entries, p.from, p.to, p.maxRanges ?? 1000);
      } catch (e) {
        throw new ResponseError(ErrorCodes.InvalidParams, (e as Error).message);
      }
      return diffBody(d);
    }),
  );
  documents.listen(connection);
  connection.listen();
}

function sameFile(uri: string, file: string): boolean {
  if (!uri.startsWith('file:')) return false;
  try {
    const a = fileURLToPath(uri);
    return path.resolve(a) === file || (fs.existsSync(file) && fs.realpathSync(a) === fs.realpathSync(file));
  } catch {
    return false;
  }
}
