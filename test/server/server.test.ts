// The journal language server driven by a real LSP client (vscode-languageserver-protocol's connection) over stdio,
// on the JSON export of a journal the CLI recorded from a real guest: diagnostics as the document is edited, the
// outline, hovers, code lenses, the memory difference between two snapshots (checked against `extract`), the import
// back to a binary journal (and its refusal while the document is invalid), and malformed requests it survives.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  createProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type ProtocolConnection,
  type Diagnostic,
  type DocumentSymbol,
  type CodeLens,
  type Hover,
  type PublishDiagnosticsParams,
} from 'vscode-languageserver-protocol/node';
import { GUESTS } from '../helpers/guest';
import { tempDir } from '../helpers/tmp';
import { diffMemory } from '../../src/journal/memory-diff';

const ROOT = path.join(__dirname, '..', '..', '..');
const BIN = path.join(ROOT, 'out', 'src', 'cli', 'bin.js');
const SERVER = path.join(ROOT, 'out', 'src', 'server', 'main.js');

class LspClient {
  readonly child: ChildProcess;
  readonly conn: ProtocolConnection;
  private readonly diagnostics = new Map<string, PublishDiagnosticsParams[]>();
  private readonly waiters: (() => void)[] = [];
  stderr = '';

  constructor() {
    this.child = spawn(process.execPath, [SERVER, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.conn = createProtocolConnection(new StreamMessageReader(this.child.stdout!), new StreamMessageWriter(this.child.stdin!));
    this.conn.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
      const list = this.diagnostics.get(p.uri) ?? [];
      list.push(p);
      this.diagnostics.set(p.uri, list);
      for (const w of this.waiters.splice(0)) w();
    });
    this.conn.listen();
  }

  async initialize(): Promise<{ capabilities: Record<string, unknown> }> {
    const r = (await this.conn.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {} })) as { capabilities: Record<string, unknown> };
    await this.conn.sendNotification('initialized', {});
    return r;
  }

  /** The diagnostics of `uri` for document version `version` (waits for them). */
  async diagnosticsOf(uri: string, version: number): Promise<Diagnostic[]> {
    const deadline = Date.now() + 20000;
    for (;;) {
      const hit = this.diagnostics.get(uri)?.find((p) => p.version === version);
      if (hit) return hit.diagnostics;
      if (Date.now() > deadline) throw new Error(`no diagnostics for ${uri} version ${version}; stderr: ${this.stderr}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  }

  open(uri: string, text: string): Promise<void> {
    return this.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'wasm-journal-json', version: 1, text } });
  }

  /** Replaces the whole text (a full-document change). */
  change(uri: string, version: number, text: string): Promise<void> {
    return this.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ text }] });
  }

  async close(): Promise<void> {
    try {
      await this.conn.sendRequest('shutdown');
      await this.conn.sendNotification('exit');
    } catch {
      // already gone
    }
    this.conn.dispose();
    if (this.child.exitCode === null) await new Promise((r) => this.child.once('exit', r));
  }
}

/** A journal of nondet.wasm (a snapshot at each call whose answer differs from run to run), and its JSON form. */
function recorded(dir: string): { journal: string; json: string; text: string } {
  const journal = path.join(dir, 'nondet.journal');
  const r = spawnSync(process.execPath, [BIN, 'run', path.join(GUESTS, 'nondet.wasm'), '--journal-writable', journal, '--snapshot-on', 'non-deterministic-call'], { input: '' });
  assert.equal(r.status, 0, r.stderr.toString());
  const e = spawnSync(process.execPath, [BIN, 'export', journal]);
  assert.equal(e.status, 0, e.stderr.toString());
  const json = path.join(dir, 'nondet.journal.json');
  fs.writeFileSync(json, e.stdout);
  return { journal, json, text: e.stdout.toString() };
}

/** The line (from 0) of the `n`th occurrence (from 0) of `needle` in `text`. */
function lineOf(text: string, needle: string, n = 0): number {
  let at = -1;
  for (let i = 0; i <= n; i++) {
    at = text.indexOf(needle, at + 1);
    assert.ok(at >= 0, `${needle} #${n} is not in the text`);
  }
  return text.slice(0, at).split('\n').length - 1;
}

test('language server: diagnostics, outline, hover and lenses of a real export, as it is edited', async () => {
  const dir = tempDir('wj-lsp-');
  const { json, text } = recorded(dir);
  const uri = pathToFileURL(json).href;
  const c = new LspClient();
  try {
    const init = await c.initialize();
    assert.equal(init.capabilities.hoverProvider, true);
    assert.equal(init.capabilities.documentSymbolProvider, true);
    await c.open(uri, text);
    assert.deepEqual(await c.diagnosticsOf(uri, 1), [], 'a real export has no problems');

    // The outline: one run, its snapshots, the entries before each.
    const symbols = (await c.conn.sendRequest('textDocument/documentSymbol', { textDocument: { uri } })) as DocumentSymbol[];
    const snapshots = text.split('"snapshot_v1"').length - 1;
    assert.ok(snapshots >= 2, `the recording holds ${snapshots} snapshots`);
    assert.equal(symbols.length, 1);
    assert.equal(symbols[0].name, 'Run 1');
    const snaps = symbols[0].children!.filter((s) => s.name.startsWith('Snapshot '));
    assert.equal(snaps.length, snapshots);
    assert.match(snaps[0].name, /^Snapshot 0 · /);
    assert.ok(snaps[0].children!.some((s) => /^memory-update/.test(s.name)), 'the memory a snapshot commits is inside it');
    assert.equal(snaps[0].selectionRange.start.line, lineOf(text, '"snapshot_v1"') - 1);

    // Hover on a memory update: its fields and its bytes at their addresses.
    const mem = lineOf(text, '"update_memory_region_v1"');
    const hover = (await c.conn.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: mem + 1, character: 4 } })) as Hover;
    const value = (hover.contents as { value: string }).value;
    assert.match(value, /\*\*update_memory_region_v1\*\*/);
    assert.match(value, /memory-update \(start=\d+, end=\d+, data\.len=\d+\)/);
    const start = Number(/start=(\d+)/.exec(value)![1]);
    assert.match(value, new RegExp(`\\n${start.toString(16).padStart(8, '0')}  [0-9a-f]{2} `), 'the hex preview starts at the region');
    // Between entries: nothing.
    assert.equal(await c.conn.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: 100000, character: 0 } }), null);

    // Lenses: Restore here on each snapshot, a diff with the previous one after the first.
    const lenses = (await c.conn.sendRequest('textDocument/codeLens', { textDocument: { uri } })) as CodeLens[];
    assert.equal(lenses.filter((l) => l.command?.title === 'Restore here').length, snapshots);
    assert.equal(lenses.filter((l) => l.command?.title === 'Diff with previous snapshot').length, snapshots - 1);
    assert.deepEqual(lenses[0].command!.arguments, [uri, 1, 0]);

    // Edits: an unknown kind, bad base64, a write to a descriptor after it was closed, snapshots out of order.
    let edited = text.replace('"tty_set_v1"', '"tty_sett_v1"');
    const blob = /"data": "([^"]+)"/.exec(edited)!;
    edited = edited.replace(blob[0], '"data": "@@not base64@@"');
    edited +=
      '{\n  "close_file_descriptor_v1": {\n    "fd": 1\n  }\n}\n' +
      `{\n  "file_descriptor_write_v1": {\n    "fd": 1,\n    "offset": 0,\n    "data": "${blob[1]}",\n    "is_64bit": false\n  }\n}\n` +
      '{\n  "snapshot_v1": {\n    "when": {\n      "secs_since_epoch": 1,\n      "nanos_since_epoch": 0\n    },\n    "trigger": "Explicit"\n  }\n}\n';
    await c.change(uri, 2, edited);
    const d = await c.diagnosticsOf(uri, 2);
    const at = (re: RegExp): Diagnostic => {
      const hit = d.find((x) => re.test(x.message));
      assert.ok(hit, `no diagnostic matches ${re}: ${JSON.stringify(d.map((x) => x.message))}`);
      return hit;
    };
    const unknown = at(/unknown entry kind "tty_sett_v1"/);
    assert.equal(unknown.severity, 1);
    assert.equal(unknown.range.start.line, lineOf(edited, '"tty_sett_v1"'));
    const b64 = at(/base64/);
    assert.equal(b64.severity, 1);
    assert.equal(b64.range.start.line, lineOf(edited, '@@not base64@@'));
    const closed = at(/descriptor 1 is used after it was closed/);
    assert.equal(closed.severity, 2);
    assert.equal(closed.range.start.line, lineOf(edited, '"fd": 1,', text.split('"fd": 1,').length - 1));
    const order = at(/snapshot taken before the snapshot at line \d+/);
    assert.equal(order.range.start.line, lineOf(edited, '"when"', snapshots));
    assert.equal(d.length, 4, JSON.stringify(d.map((x) => x.message)));

    // A syntax error: said where, and the entries before it are still read.
    const cut = text.slice(0, Math.floor(text.length / 2));
    await c.change(uri, 3, cut);
    const s = await c.diagnosticsOf(uri, 3);
    assert.equal(s.length, 1);
    assert.match(s[0].message, /the entries after it are not read/);
    const partial = (await c.conn.sendRequest('textDocument/documentSymbol', { textDocument: { uri } })) as DocumentSymbol[];
    assert.equal(partial[0].name, 'Run 1');
  } finally {
    await c.close();
  }
});

test('language server: the memory difference between two snapshots is what extract gives; import writes the journal, refusing an invalid one', async () => {
  const dir = tempDir('wj-lsp-');
  const { journal, json, text } = recorded(dir);
  const uri = pathToFileURL(json).href;
  const c = new LspClient();
  try {
    await c.initialize();
    await c.open(uri, text);
    await c.diagnosticsOf(uri, 1);

    // Snapshot 0 against snapshot 1, as the lens asks, checked against the memory images `extract` writes.
    const diff = (await c.conn.sendRequest('wasmJournal/diffSnapshots', { uri, from: 0, to: 1 })) as { changedBytes: number; ranges: { offset: number; new: string }[] };
    const image = (n: number): Uint8Array => {
      const f = path.join(dir, `mem${n}.bin`);
      const r = spawnSync(process.execPath, [BIN, 'extract', journal, 'memory', f, '--at', String(n)]);
      assert.equal(r.status, 0, r.stderr.toString());
      return fs.readFileSync(f);
    };
    const want = diffMemory(image(0), image(1));
    assert.ok(want.changedBytes > 0);
    assert.equal(diff.changedBytes, want.changedBytes);
    assert.deepEqual(diff.ranges.map((r) => r.offset), want.ranges.map((r) => r.offset));
    assert.equal(diff.ranges[0].new, Buffer.from(want.ranges[0].new).toString('base64'));
    await assert.rejects(c.conn.sendRequest('wasmJournal/diffSnapshots', { uri, from: 0, to: 999 }), /there is no snapshot 999/);

    // Import: the binary journal it writes exports back to the same text, and verifies.
    const target = path.join(dir, 'back.journal');
    const ok = (await c.conn.sendRequest('workspace/executeCommand', { command: 'wasm-journal.lsp.import', arguments: [{ uri, target }] })) as { ok: boolean; entries: number };
    assert.equal(ok.ok, true, JSON.stringify(ok));
    assert.equal(spawnSync(process.execPath, [BIN, 'verify', target]).status, 0);
    assert.equal(spawnSync(process.execPath, [BIN, 'export', target]).stdout.toString(), text);

    // An invalid document is refused, with its first problem, and the journal is left as it was.
    const before = fs.readFileSync(target);
    await c.change(uri, 2, text.replace('"tty_set_v1"', '"tty_sett_v1"'));
    await c.diagnosticsOf(uri, 2);
    const refused = (await c.conn.sendRequest('workspace/executeCommand', { command: 'wasm-journal.lsp.import', arguments: [{ uri, target }] })) as { ok: boolean; message: string };
    assert.equal(refused.ok, false);
    assert.match(refused.message, /1 error\(s\), the first at line \d+, column \d+: unknown entry kind "tty_sett_v1"/);
    assert.equal(Buffer.compare(fs.readFileSync(target), before), 0);
    // Nor does it overwrite the document it reads.
    await c.change(uri, 3, text);
    await assert.rejects(c.conn.sendRequest('workspace/executeCommand', { command: 'wasm-journal.lsp.import', arguments: [{ uri, target: json }] }), /is the JSON document itself/);

    // Malformed requests get errors; the server goes on answering.
    await assert.rejects(c.conn.sendRequest('textDocument/hover', { textDocument: { uri } }), /position: expected/);
    await assert.rejects(c.conn.sendRequest('textDocument/documentSymbol', { textDocument: { uri: 'file:///not/open.json' } }), /is not open/);
    await assert.rejects(c.conn.sendRequest('textDocument/documentSymbol', { textDocument: {} }), /textDocument\.uri: expected a string/);
    await assert.rejects(c.conn.sendRequest('workspace/executeCommand', { command: 'wasm-journal.lsp.import', arguments: [] }), /expected \[\{ uri, target \}\]/);
    await assert.rejects(c.conn.sendRequest('wasmJournal/diffSnapshots', { uri, from: 'a' }), /expected \{ uri, from, to \}/);
    const symbols = (await c.conn.sendRequest('textDocument/documentSymbol', { textDocument: { uri } })) as DocumentSymbol[];
    assert.equal(symbols[0].name, 'Run 1');
  } finally {
    await c.close();
  }
  assert.equal(c.child.exitCode, 0, c.stderr);
});
