// The timeline panel's page driven as the extension drives it: a real recording read through the adapter and
// decoded by the extension's code, posted to the page as typed arrays; VS Code's theme variables. Used by the
// webview tests and bench/timeline.ts.

import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { AdapterClient } from './dap';
import { ROOT } from './browser';
import { tempDir } from './tmp';
import { decodeOutput, decodeTimeline, type TimelineColumnsBody } from '../../src/extension/timeline-data';
import type { OutputLine, TimelinePoints, TimelineState } from '../../src/shared/timeline-protocol';

// The functions given to page.evaluate run in the page, where these are the browser's.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
declare const window: any, document: any;

export const CALLS = path.join(ROOT, 'bench', 'guests', 'calls.wasm');

/** VS Code's theme variables (a subset), as the editor sets them on the webview's body. */
export const THEMES: Record<string, { cls: string; vars: Record<string, string> }> = {
  dark: {
    cls: 'vscode-dark',
    vars: {
      '--vscode-foreground': '#cccccc', '--vscode-descriptionForeground': '#9d9d9d', '--vscode-sideBar-background': '#181818',
      '--vscode-editorWidget-background': '#202020', '--vscode-charts-blue': '#3794ff', '--vscode-charts-purple': '#b180d7',
      '--vscode-charts-green': '#89d185', '--vscode-charts-orange': '#d18616', '--vscode-charts-red': '#f14c4c',
      '--vscode-charts-yellow': '#cca700', '--vscode-charts-foreground': '#cccccc', '--vscode-charts-lines': 'rgba(204,204,204,0.5)',
      '--vscode-editorCursor-foreground': '#aeafad', '--vscode-button-secondaryBackground': '#313131', '--vscode-button-secondaryForeground': '#cccccc',
      '--vscode-button-background': '#0078d4', '--vscode-button-foreground': '#ffffff', '--vscode-focusBorder': '#0078d4',
      '--vscode-list-inactiveSelectionBackground': '#37373d', '--vscode-list-hoverBackground': '#2a2d2e', '--vscode-errorForeground': '#f85149',
      '--vscode-editorHoverWidget-background': '#202020', '--vscode-editorHoverWidget-foreground': '#cccccc', '--vscode-editorHoverWidget-border': '#454545',
      '--vscode-font-family': 'sans-serif', '--vscode-font-size': '13px', '--vscode-editor-font-family': 'monospace',
    },
  },
  light: {
    cls: 'vscode-light',
    vars: {
      '--vscode-foreground': '#3b3b3b', '--vscode-descriptionForeground': '#717171', '--vscode-sideBar-background': '#f8f8f8',
      '--vscode-editorWidget-background': '#eeeeee', '--vscode-charts-blue': '#1a85ff', '--vscode-charts-purple': '#652d90',
      '--vscode-charts-green': '#388a34', '--vscode-charts-orange': '#d18616', '--vscode-charts-red': '#e51400',
      '--vscode-charts-yellow': '#bf8803', '--vscode-charts-foreground': '#616161', '--vscode-charts-lines': 'rgba(97,97,97,0.5)',
      '--vscode-editorCursor-foreground': '#000000', '--vscode-button-secondaryBackground': '#e5e5e5', '--vscode-button-secondaryForeground': '#3b3b3b',
      '--vscode-button-background': '#005fb8', '--vscode-button-foreground': '#ffffff', '--vscode-focusBorder': '#005fb8',
      '--vscode-list-inactiveSelectionBackground': '#e4e6f1', '--vscode-list-hoverBackground': '#f2f2f2', '--vscode-errorForeground': '#a1260d',
      '--vscode-editorHoverWidget-background': '#f8f8f8', '--vscode-editorHoverWidget-foreground': '#3b3b3b', '--vscode-editorHoverWidget-border': '#c8c8c8',
      '--vscode-font-family': 'sans-serif', '--vscode-font-size': '13px', '--vscode-editor-font-family': 'monospace',
    },
  },
  'high-contrast': {
    cls: 'vscode-high-contrast',
    vars: {
      '--vscode-foreground': '#ffffff', '--vscode-descriptionForeground': '#ffffff', '--vscode-sideBar-background': '#000000',
      '--vscode-editorWidget-background': '#0c141f', '--vscode-charts-blue': '#3794ff', '--vscode-charts-purple': '#b180d7',
      '--vscode-charts-green': '#89d185', '--vscode-charts-orange': '#d18616', '--vscode-charts-red': '#f14c4c',
      '--vscode-charts-yellow': '#ffd700', '--vscode-charts-foreground': '#ffffff', '--vscode-charts-lines': '#ffffff',
      '--vscode-editorCursor-foreground': '#ffffff', '--vscode-button-secondaryBackground': '#000000', '--vscode-button-secondaryForeground': '#ffffff',
      '--vscode-button-background': '#000000', '--vscode-button-foreground': '#ffffff', '--vscode-button-border': '#6fc3df', '--vscode-focusBorder': '#f38518',
      '--vscode-contrastBorder': '#6fc3df', '--vscode-contrastActiveBorder': '#f38518', '--vscode-list-inactiveSelectionBackground': '#000000',
      '--vscode-errorForeground': '#f48771', '--vscode-editorHoverWidget-background': '#0c141f', '--vscode-editorHoverWidget-foreground': '#ffffff',
      '--vscode-editorHoverWidget-border': '#6fc3df', '--vscode-font-family': 'sans-serif', '--vscode-font-size': '13px', '--vscode-editor-font-family': 'monospace',
    },
  },
};

export interface Recorded {
  state: TimelineState;
  points: TimelinePoints;
  output: OutputLine[];
}

/** A real recording of `n` host calls, read as the extension reads it. */
export async function record(n: number): Promise<Recorded> {
  const c = new AdapterClient();
  c.startStdio();
  try {
    const stopped = c.waitForEvent('stopped', 60000);
    await c.launchProgram({ program: CALLS, args: [String(n)], journal: path.join(tempDir('wj-webview-'), 'calls.journal') });
    await stopped;
    const t = (await c.customRequest('timeline', { columns: true })).body as TimelineColumnsBody;
    const o = (await c.customRequest('output', {})).body as { chunks: { point: number; stream: number; text: string }[] };
    return { ...decodeTimeline(t), output: decodeOutput(o) };
  } finally {
    await c.close();
  }
}

function b64(a: ArrayBufferView): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}

/** Posts a reset to the page as the extension does (the columns rebuilt as typed arrays in the page). */
export async function sendReset(page: Page, r: Recorded): Promise<void> {
  const p = r.points;
  await page.evaluate(
    ({ state, output, cols }) => {
      const bytes = (s: string): ArrayBuffer => {
        const bin = atob(s);
        const u = new Uint8Array(bin.length);
        for (let i = 0; i < bin.length; i++) u[i] = bin.charCodeAt(i);
        return u.buffer;
      };
      const points = {
        start: cols.start,
        names: cols.names,
        categoryNames: cols.categoryNames,
        paths: cols.paths,
        calls: new Uint16Array(bytes(cols.calls)),
        categories: new Uint8Array(bytes(cols.categories)),
        fds: new Int32Array(bytes(cols.fds)),
        lens: new Int32Array(bytes(cols.lens)),
        times: new Float32Array(bytes(cols.times)),
      };
      window.postMessage({ type: 'reset', state, points, output }, '*');
    },
    {
      state: r.state,
      output: r.output,
      cols: { start: p.start, names: p.names, categoryNames: p.categoryNames, paths: p.paths, calls: b64(p.calls), categories: b64(p.categories), fds: b64(p.fds), lens: b64(p.lens), times: b64(p.times) },
    },
  );
}

export async function theme(page: Page, name: string): Promise<void> {
  const t = THEMES[name];
  await page.evaluate(({ cls, vars }) => {
    document.body.className = cls;
    for (const [k, v] of Object.entries(vars)) document.body.style.setProperty(k, v);
  }, t);
}

