// The journal language server on a large JSON form: the export of a real recording of 100,000 host calls
// (bench/guests/calls.c, about 8 MB of JSON). Measured in this process: reading it as the server does (every entry,
// its place, its problems: readJsonJournal), its outline; the baseline, measured in the same run on the same text, is
// what `import` itself does with it (parse and decode every entry: parseJsonEntries). Then through the real server
// (dist/server.js or out/, over stdio with a real LSP client): from opening the document to its diagnostics, and
// from an edit to the new ones (both include the server's 150 ms pause for typing).
// Prints a markdown report (for docs/benchmarks.md). Usage: node out/bench/lsp.js

import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createProtocolConnection, StreamMessageReader, StreamMessageWriter, type PublishDiagnosticsParams } from 'vscode-languageserver-protocol/node';
import { parseJsonEntries, readJsonJournal } from '../src/journal';
import { documentSymbols } from '../src/server/server';
import { medianMs, now } from './timing';

const root = path.resolve(__dirname, '..', '..');
const BIN = path.join(root, 'out', 'src', 'cli', 'bin.js');
const SERVER = path.join(root, 'out', 'src', 'server', 'main.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wj-bench-lsp-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

const time = (fn: () => void, n = 5): number => medianMs(fn, n);

async function throughServer(text: string): Promise<{ open: number; edit: number; problems: number }> {
  const child = spawn(process.execPath, [SERVER, '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const conn = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  const waiting = new Map<number, (p: PublishDiagnosticsParams) => void>();
  conn.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => waiting.get(p.version ?? -1)?.(p));
  conn.listen();
  const uri = pathToFileURL(path.join(tmp, 'calls.journal.json')).href;
  const diagnostics = (version: number): Promise<PublishDiagnosticsParams> => new Promise((resolve) => waiting.set(version, resolve));
  try {
    await conn.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {} });
    await conn.sendNotification('initialized', {});
    let t0 = now();
    let d = diagnostics(1);
    await conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'wasm-journal-json', version: 1, text } });
    await d;
    const open = now() - t0;
    // An edit in the middle: a field's value changed (incremental, as editors send it).
    const at = text.indexOf('"time": ', text.length >> 1);
    const line = text.slice(0, at).split('\n').length - 1;
    const col = at - (text.lastIndexOf('\n', at) + 1);
    t0 = now();
    d = diagnostics(2);
    await conn.sendNotification('textDocument/didChange', {
      textDocument: { uri, version: 2 },
      contentChanges: [{ range: { start: { line, character: col }, end: { line, character: col + 6 } }, text: '"tame"' }],
    });
    const after = await d;
    return { open, edit: now() - t0, problems: after.diagnostics.length };
  } finally {
    await conn.sendRequest('shutdown').catch(() => undefined);
    await conn.sendNotification('exit').catch(() => undefined);
    conn.dispose();
  }
}

async function main(): Promise<void> {
  const journal = path.join(tmp, 'calls.journal');
  const rec = spawnSync(process.execPath, [BIN, 'run', path.join(root, 'bench', 'guests', 'calls.wasm'), '--journal-writable', journal, '--no-snapshots'], { stdio: ['ignore', 'ignore', 'pipe'] });
  if (rec.status !== 0) throw new Error(rec.stderr.toString());
  const text = spawnSync(process.execPath, [BIN, 'export', journal], { maxBuffer: 1 << 30 }).stdout.toString();
  const doc = readJsonJournal(text);
  const read = time(() => readJsonJournal(text));
  const base = time(() => {
    let n = 0;
    for (const e of parseJsonEntries(text)) if (e) n++;
    if (n !== doc.entries.length) throw new Error(`${n} entries, ${doc.entries.length} read`);
  });
  const outline = time(() => documentSymbols(doc));
  const server = await throughServer(text);
  const cores = os.cpus();
  console.log('### Journal language server (bench/lsp.ts)\n');
  console.log(`${new Date().toISOString().slice(0, 10)}, node ${process.version}, ${cores.length} cores (${cores[0]?.model.trim() ?? '?'}).\n`);
  console.log(
    `The JSON form of a recording of ${doc.entries.length} entries (${(text.length / 1e6).toFixed(1)} MB): read as the server reads it (entries, places, problems) in **${read.toFixed(0)} ms**, ` +
      `${(read / base).toFixed(2)}x the baseline, import's own parse and decode of the same text (${base.toFixed(0)} ms); its outline in ${outline.toFixed(0)} ms. ` +
      `Through the server over stdio: opened to diagnostics ${server.open.toFixed(0)} ms, an edit to its diagnostics ${server.edit.toFixed(0)} ms (${server.problems} problem, the edit's), both with the 150 ms pause for typing.\n`,
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
