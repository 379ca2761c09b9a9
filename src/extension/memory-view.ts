// The memory diff view's extension side: a webview panel per diff. It asks the adapter for the changed ranges
// (`diffMemory`) and, as the view scrolls, for pages of both points (`readMemory` on `mem@POINT`, which the session
// serves from a copy of each point's memory, so scrolling never travels). It translates; the session computes.

import * as crypto from 'node:crypto';
import * as vscode from 'vscode';
import type { FromMemory, MemoryDiffInfo, ToMemory } from '../shared/memory-protocol';
import { memoryHtml } from './memory-html';
import type { MemoryDiffBody } from '../journal/memory-diff';

/** Reads [offset, offset + count) of a point's memory through the adapter (empty past its end). */
async function readAt(session: vscode.DebugSession, point: number, offset: number, count: number): Promise<Uint8Array> {
  const r = (await session.customRequest('readMemory', { memoryReference: `mem@${point}`, offset, count })) as { data?: string };
  const raw = Buffer.from(r.data ?? '', 'base64');
  const out = new Uint8Array(raw.length);
  out.set(raw);
  return out;
}

export async function openMemoryDiff(extensionUri: vscode.Uri, session: vscode.DebugSession, from: number, to: number): Promise<void> {
  const d = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Comparing memory at points ${from} and ${to}` }, async () =>
    (await session.customRequest('diffMemory', { from, to, maxRanges: 100_000, bytes: false })) as MemoryDiffBody,
  );
  const info: MemoryDiffInfo = {
    from,
    to,
    fromBytes: d.fromBytes,
    toBytes: d.toBytes,
    changedBytes: d.changedBytes,
    rangeCount: d.rangeCount,
    truncated: d.truncated,
    offsets: Float64Array.from(d.ranges, (r) => r.offset),
    lengths: Uint32Array.from(d.ranges, (r) => r.length),
  };
  const panel = vscode.window.createWebviewPanel('wasmJournal.memoryDiff', `Memory ${from} → ${to}`, vscode.ViewColumn.Active, {
    enableScripts: true,
    retainContextWhenHidden: true,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(extensionUri, 'media')],
  });
  const w = panel.webview;
  const send = (m: ToMemory): void => void w.postMessage(m);
  w.html = memoryHtml({
    script: w.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', 'memory.js')).toString(),
    style: w.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', 'memory.css')).toString(),
    cspSource: w.cspSource,
    nonce: crypto.randomBytes(16).toString('base64'),
  });
  const ended = vscode.debug.onDidTerminateDebugSession((s) => {
    if (s.id === session.id) send({ type: 'error', message: 'The debug session ended: pages not read yet cannot be shown.' });
  });
  panel.onDidDispose(() => ended.dispose());
  w.onDidReceiveMessage(async (m: FromMemory) => {
    if (m.type === 'ready') {
      send({ type: 'init', diff: info });
      return;
    }
    try {
      // One after the other: a point's memory is copied once, by a travel there and back, which the session does
      // one at a time.
      const a = await readAt(session, from, m.offset, m.count);
      const b = await readAt(session, to, m.offset, m.count);
      send({ type: 'page', id: m.id, offset: m.offset, from: a, to: b });
    } catch (e) {
      send({ type: 'error', message: `Cannot read memory at 0x${m.offset.toString(16)}: ${(e as Error).message}` });
    }
  });
}
