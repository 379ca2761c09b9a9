// The timeline panel's extension side: a webview view in Run and Debug that follows the active wasm-journal debug
// session. It asks the adapter for the timeline (columns) and the output after each stop, sends what is new to the
// webview, and turns the webview's clicks into `travel` requests. It translates; the session computes.

import * as crypto from 'node:crypto';
import * as vscode from 'vscode';
import type { FromTimeline, ToTimeline } from '../shared/timeline-protocol';
import { timelineHtml } from './timeline-html';
import { decodeOutput, decodeTimeline, type TimelineColumnsBody } from './timeline-data';

export const TIMELINE_VIEW = 'wasmJournal.timeline';
export const DEBUG_TYPE = 'wasm-journal';

/** Where a session is, for the status bar: `last` is its last point (the end, once the program ended). */
export interface SessionState {
  session: vscode.DebugSession;
  current: number;
  last: number;
  branch: number;
  journal?: string;
}

/** What the panel was last sent, to send only what is new. */
interface Sent {
  session: string;
  branch: number;
  points: number;
  output: number;
}

export class TimelineView implements vscode.WebviewViewProvider {
  private view: vscode.WebviewView | undefined;
  private ready = false;
  private sent: Sent | undefined;
  private refreshing: Promise<void> | undefined;
  private again = false;
  /** Told after each refresh (the status bar). */
  readonly onState = new vscode.EventEmitter<SessionState | undefined>();

  constructor(private readonly extensionUri: vscode.Uri) {}

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    this.ready = false;
    this.sent = undefined;
    const w = view.webview;
    w.options = { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(this.extensionUri, 'media')] };
    w.html = timelineHtml({
      script: w.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview', 'timeline.js')).toString(),
      style: w.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'media', 'timeline.css')).toString(),
      cspSource: w.cspSource,
      nonce: crypto.randomBytes(16).toString('base64'),
    });
    w.onDidReceiveMessage((m: FromTimeline) => void this.received(m));
    view.onDidDispose(() => {
      this.view = undefined;
      this.ready = false;
    });
    view.onDidChangeVisibility(() => {
      if (view.visible) void this.refresh();
    });
  }

  private post(m: ToTimeline): void {
    if (this.view && this.ready) void this.view.webview.postMessage(m);
  }

  private session(): vscode.DebugSession | undefined {
    const s = vscode.debug.activeDebugSession;
    return s?.type === DEBUG_TYPE ? s : undefined;
  }

  private async received(m: FromTimeline): Promise<void> {
    switch (m.type) {
      case 'ready':
        this.ready = true;
        this.sent = undefined;
        await this.refresh();
        return;
      case 'travel': {
        const s = this.session();
        if (!s) return;
        try {
          await s.customRequest('travel', m.branch === undefined ? { point: m.point } : { point: m.point, branch: m.branch });
        } catch (e) {
          this.post({ type: 'error', message: `Cannot go to point ${m.point}: ${(e as Error).message}` });
        }
        return;
      }
      case 'diff':
        await vscode.commands.executeCommand('wasmJournal.diffMemory', { from: m.from, to: m.to });
        return;
    }
  }

  /** The session ran (continue): the playhead waits for its stop. */
  running(): void {
    this.post({ type: 'busy', busy: true, message: 'running' });
  }

  /** After a stop, a new session, a session's end: the panel brought up to date (one refresh at a time). */
  async refresh(): Promise<void> {
    if (this.refreshing) {
      this.again = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      do {
        this.again = false;
        await this.update().catch((e: unknown) => this.post({ type: 'error', message: `The timeline could not be read: ${(e as Error).message}` }));
      } while (this.again);
    })();
    try {
      await this.refreshing;
    } finally {
      this.refreshing = undefined;
    }
  }

  private async update(): Promise<void> {
    const s = this.session();
    if (!s) {
      this.sent = undefined;
      this.onState.fire(undefined);
      this.post({ type: 'idle', message: 'No time-travel session. Start one with F5 on a .wasm file, or WASM Journal: Debug WASM with Journal.' });
      return;
    }
    if (!this.view || !this.ready) {
      // The status bar still follows the session.
      const t = (await s.customRequest('timeline', { start: 0, count: 0 })) as TimelineColumnsBody;
      this.onState.fire({ session: s, current: t.current, last: lastPoint(t), branch: t.branch, journal: t.branches.find((b) => b.id === t.branch)?.journal });
      return;
    }
    const same = this.sent && this.sent.session === s.id;
    const head = (await s.customRequest('timeline', { start: 0, count: 0, columns: true })) as TimelineColumnsBody;
    const incremental = same && this.sent!.branch === head.branch && head.total >= this.sent!.points;
    const from = incremental ? this.sent!.points : 0;
    const body = (await s.customRequest('timeline', { start: from, count: Math.max(0, head.total - from), columns: true })) as TimelineColumnsBody;
    const outFrom = incremental ? this.sent!.output : 0;
    const out = (await s.customRequest('output', { start: outFrom })) as { chunks: { point: number; stream: number; text: string }[]; total: number };
    const { state, points } = decodeTimeline(body);
    const output = decodeOutput(out);
    this.post({ type: incremental ? 'append' : 'reset', state, points, output });
    this.sent = { session: s.id, branch: state.branch, points: points.start + points.calls.length, output: outFrom + out.chunks.length };
    this.onState.fire({ session: s, current: state.current, last: lastPoint(state), branch: state.branch, journal: head.branches.find((b) => b.id === state.branch)?.journal });
  }
}

/** The last point of a timeline: the last host call, or the end once the program ended. */
function lastPoint(t: { total: number; ended: boolean }): number {
  return Math.max(0, t.ended ? t.total : t.total - 1);
}
