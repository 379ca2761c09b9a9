// A point's memory as a read-only file (wasm-journal-memory:/SESSION/point-N.bin), so that any editor for binary
// files (the hex editor, a diff) opens the guest's memory as it was at that point. Served by the adapter's
// `readMemory` on `mem@N`, which reads a kept copy of that point's memory after the first time.

import * as vscode from 'vscode';
import { DEBUG_TYPE } from './timeline-view';

export const MEMORY_SCHEME = 'wasm-journal-memory';

/** The file of point `point`'s memory in session `session`. */
export function memoryUri(session: vscode.DebugSession, point: number): vscode.Uri {
  return vscode.Uri.from({ scheme: MEMORY_SCHEME, path: `/${session.id}/point-${point}.bin` });
}

const CHUNK = 16 * 1024 * 1024;

export class MemoryFileSystem implements vscode.FileSystemProvider {
  private readonly changed = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.changed.event;
  /** Sizes already asked for (a point's memory never changes once it is past). */
  private readonly sizes = new Map<string, number>();

  private target(uri: vscode.Uri): { session: vscode.DebugSession; point: number } {
    const m = /^\/([^/]+)\/point-(\d+)\.bin$/.exec(uri.path);
    const session = m ? this.sessions().find((s) => s.id === m[1]) : undefined;
    if (!m || !session) throw vscode.FileSystemError.FileNotFound(uri);
    return { session, point: Number(m[2]) };
  }

  private sessions(): vscode.DebugSession[] {
    const s = vscode.debug.activeDebugSession;
    return s && s.type === DEBUG_TYPE ? [s] : [];
  }

  async stat(uri: vscode.Uri): Promise<vscode.FileStat> {
    const { session, point } = this.target(uri);
    let size = this.sizes.get(uri.toString());
    if (size === undefined) {
      const r = (await session.customRequest('readMemory', { memoryReference: `mem@${point}`, offset: 0, count: 0 })) as { size?: number };
      size = r.size ?? 0;
      this.sizes.set(uri.toString(), size);
    }
    return { type: vscode.FileType.File, ctime: 0, mtime: 0, size, permissions: vscode.FilePermission.Readonly };
  }

  async readFile(uri: vscode.Uri): Promise<Uint8Array> {
    const { session, point } = this.target(uri);
    const { size } = await this.stat(uri);
    const out = new Uint8Array(size);
    for (let at = 0; at < size; at += CHUNK) {
      const r = (await session.customRequest('readMemory', { memoryReference: `mem@${point}`, offset: at, count: Math.min(CHUNK, size - at) })) as { data?: string };
      out.set(Buffer.from(r.data ?? '', 'base64'), at);
    }
    return out;
  }

  watch(): vscode.Disposable {
    return new vscode.Disposable(() => undefined);
  }

  readDirectory(): [string, vscode.FileType][] {
    return [];
  }

  createDirectory(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  writeFile(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  delete(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  rename(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }
}
