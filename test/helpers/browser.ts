// A real browser for the webview tests: Debian's Chromium driven by playwright-core, and the built page served over
// loopback HTTP (so the page's Content Security Policy applies as in VS Code). Without Chromium the tests are
// skipped with the command that installs it, unless WJ_REQUIRE_BROWSER is set (CI sets it: there they must run).

import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';

export const ROOT = path.join(__dirname, '..', '..', '..');

const CANDIDATES = [process.env.WJ_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].filter(Boolean) as string[];

/** The browser's path, or why there is none (for a skip message). */
export function chromiumPath(): { path?: string; missing?: string } {
  const found = CANDIDATES.find((c) => fs.existsSync(c));
  if (found) return { path: found };
  const why = `no Chromium (looked at ${CANDIDATES.join(', ')}): apt-get install -y chromium`;
  if (process.env.WJ_REQUIRE_BROWSER) throw new Error(why);
  return { missing: why };
}

export async function launch(executablePath: string): Promise<Browser> {
  return chromium.launch({
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json', '.png': 'image/png' };

/** Serves `pages` (path -> HTML) and the repository's files under /repo/ on 127.0.0.1. */
export async function serve(pages: Record<string, string>): Promise<{ origin: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (pages[url.pathname] !== undefined) {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(pages[url.pathname]);
      return;
    }
    if (url.pathname.startsWith('/repo/')) {
      const file = path.join(ROOT, decodeURIComponent(url.pathname.slice('/repo/'.length)));
      if (file.startsWith(ROOT + path.sep) && fs.existsSync(file) && fs.statSync(file).isFile()) {
        res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
        res.end(fs.readFileSync(file));
        return;
      }
    }
    // (a browser asks for /favicon.ico by itself: none, and no error for it)
    res.writeHead(url.pathname === '/favicon.ico' ? 204 : 404);
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin, close: () => new Promise((r) => server.close(() => r())) };
}

/** Where the tests put screenshots (kept for a person to look at). */
export function outputDir(name: string): string {
  const d = path.join(ROOT, 'test-output', name);
  fs.mkdirSync(d, { recursive: true });
  return d;
}
