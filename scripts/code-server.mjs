// A real VS Code on machines that cannot download one: code-server (VS Code in the browser, with a real Node
// extension host) from npm, with this extension loaded. Used by `npm start` and by the end-to-end tests.
//
//   node scripts/code-server.mjs install          installs what it needs (Debian packages, code-server) once
//   node scripts/code-server.mjs start [options]  starts it on the example workspace and prints the URL
//        --port N (default 8080; 0 picks a free one), --workspace DIR (default examples/), --fresh (a new profile),
//        --vsix FILE (install that package instead of loading the repository's build)
//
// Recipe and reasons: ../shared/design/real-vscode.md (code-server 4.100.3 is the last line for Node 20; its
// ripgrep postinstall downloads from the internet unless a cached tarball is there; npm 11 runs install scripts only
// when told).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const CODE_SERVER_VERSION = '4.100.3';
const HOME = path.join(ROOT, '.vscode-test');
const INSTALL = path.join(HOME, `code-server-${CODE_SERVER_VERSION}`);
export const CODE_SERVER_BIN = path.join(INSTALL, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const DEBIAN = ['libkrb5-dev', 'ripgrep', 'chromium'];
const RG_VERSION = 'v13.0.0-10';

function log(m) {
  process.stderr.write(`code-server: ${m}\n`);
}

function haveDeb(p) {
  return spawnSync('dpkg', ['-s', p], { stdio: 'ignore' }).status === 0;
}

/** The Debian packages: a kerberos header for a native module, a local rg, a browser. */
function ensureDebian() {
  const missing = DEBIAN.filter((p) => !haveDeb(p));
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) throw new Error(`missing Debian packages ${missing.join(' ')}: sudo apt-get install -y ${missing.join(' ')}`);
  log(`installing ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', ...missing], { stdio: 'inherit', env });
}

/** @vscode/ripgrep's postinstall looks in this cache before downloading: Debian's rg, packed as it expects. */
function ensureRipgrepCache() {
  const tmp = process.env.TMPDIR || os.tmpdir();
  const dir = path.join(tmp, 'vscode-ripgrep-cache-1.15.11');
  const tarball = path.join(dir, `ripgrep-${RG_VERSION}-x86_64-unknown-linux-musl.tar.gz`);
  if (fs.existsSync(tarball)) return;
  fs.mkdirSync(dir, { recursive: true });
  const stage = fs.mkdtempSync(path.join(tmp, 'rg-'));
  fs.copyFileSync('/usr/bin/rg', path.join(stage, 'rg'));
  execFileSync('tar', ['-czf', tarball, '-C', stage, 'rg']);
  fs.rmSync(stage, { recursive: true, force: true });
}

export function ensureCodeServer() {
  ensureDebian();
  // Written once the install (and its postinstall) succeeded: a half-done install is done again.
  const done = path.join(INSTALL, '.installed');
  if (fs.existsSync(done) && fs.existsSync(CODE_SERVER_BIN)) return CODE_SERVER_BIN;
  ensureRipgrepCache();
  fs.rmSync(INSTALL, { recursive: true, force: true });
  fs.mkdirSync(INSTALL, { recursive: true });
  // A folder of its own, so the project's dependencies stay as they are.
  fs.writeFileSync(path.join(INSTALL, 'package.json'), JSON.stringify({ name: 'wasm-journal-code-server', private: true }, null, 2));
  log(`installing code-server ${CODE_SERVER_VERSION} into ${path.relative(ROOT, INSTALL)} (about a minute)`);
  // (code-server's postinstall refuses to run as root unless npm_config_unsafe_perm is set; npm 11 warns about it and passes it on)
  const env = { ...process.env, npm_config_dangerously_allow_all_scripts: 'true', npm_config_unsafe_perm: 'true', npm_config_yes: 'true' };
  const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--no-save', `code-server@${CODE_SERVER_VERSION}`], { cwd: INSTALL, env, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0 || !fs.existsSync(CODE_SERVER_BIN)) throw new Error(`npm install code-server@${CODE_SERVER_VERSION} failed (exit ${r.status})`);
  fs.writeFileSync(done, `${new Date().toISOString()}\n`);
  return CODE_SERVER_BIN;
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * Starts code-server with this extension (the repository itself, built, as the extension's folder) on `workspace`.
 * Its profile (settings, extensions folder, HOME) is under `profile`. Resolves when it answers HTTP.
 */
export async function startCodeServer({ workspace = path.join(ROOT, 'examples'), port = 8080, profile = path.join(HOME, 'profile'), fresh = false, settings = {}, vsix } = {}) {
  const bin = ensureCodeServer();
  if (!vsix && (!fs.existsSync(path.join(ROOT, 'dist', 'extension.js')) || !fs.existsSync(path.join(ROOT, 'dist', 'webview', 'timeline.js')))) {
    throw new Error('the extension is not built: npm run build');
  }
  if (fresh) fs.rmSync(profile, { recursive: true, force: true });
  const userData = path.join(profile, 'user-data');
  const extensions = path.join(profile, 'extensions');
  const home = path.join(profile, 'home');
  for (const d of [path.join(userData, 'User'), extensions, home]) fs.mkdirSync(d, { recursive: true });
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const link = path.join(extensions, `${pkg.publisher}.${pkg.name}-${pkg.version}`);
  fs.rmSync(link, { recursive: true, force: true });
  const env = { ...process.env, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), XDG_DATA_HOME: path.join(home, '.local', 'share') };
  if (vsix) {
    // The packaged extension, installed as a user installs it.
    const r = spawnSync(process.execPath, [bin, '--user-data-dir', userData, '--extensions-dir', extensions, '--install-extension', path.resolve(vsix), '--force'], { env, encoding: 'utf8' });
    if (r.status !== 0 || !/successfully installed/i.test(r.stdout + r.stderr)) throw new Error(`installing ${vsix} failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
  } else {
    // The repository itself, built, as the extension's folder (what F5 in the repository does too).
    fs.symlinkSync(ROOT, link, 'dir');
  }
  const userSettings = {
    'security.workspace.trust.enabled': false,
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'workbench.enableExperiments': false,
    ...settings,
  };
  fs.writeFileSync(path.join(userData, 'User', 'settings.json'), JSON.stringify(userSettings, null, 2));
  const p = port === 0 ? await freePort() : port;
  const args = [bin, '--auth', 'none', '--bind-addr', `127.0.0.1:${p}`, '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--user-data-dir', userData, '--extensions-dir', extensions, workspace];
  // Its own process group, so that stopping it stops the extension host and the adapters too.
  const child = spawn(process.execPath, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let logText = '';
  child.stdout.on('data', (d) => (logText += d));
  child.stderr.on('data', (d) => (logText += d));
  const url = `http://127.0.0.1:${p}/?folder=${encodeURIComponent(workspace)}`;
  const stop = () => {
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  };
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`code-server exited (${child.exitCode}):\n${logText}`);
    try {
      const r = await fetch(`http://127.0.0.1:${p}/healthz`);
      if (r.ok) return { url, port: p, pid: child.pid, child, stop, log: () => logText };
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  stop();
  throw new Error(`code-server did not answer on port ${p} within 60 s:\n${logText}`);
}

async function main() {
  const [cmd, ...rest] = process.argv.slice(2);
  if (cmd === 'install') {
    ensureCodeServer();
    log(`ready: ${path.relative(ROOT, CODE_SERVER_BIN)}`);
    return;
  }
  if (cmd === 'start') {
    const opt = (name) => {
      const i = rest.indexOf(name);
      return i >= 0 ? rest[i + 1] : undefined;
    };
    const s = await startCodeServer({
      port: opt('--port') !== undefined ? Number(opt('--port')) : 8080,
      workspace: opt('--workspace') ? path.resolve(opt('--workspace')) : undefined,
      fresh: rest.includes('--fresh'),
      vsix: opt('--vsix'),
    });
    console.log(`\nVS Code (code-server ${CODE_SERVER_VERSION}) with wasm-journal is running on the example workspace:\n\n  ${s.url}\n\nOpen it in a browser, open guests/notes.c or the Run and Debug view, and press F5. Ctrl+C stops it.`);
    const end = () => {
      s.stop();
      process.exit(0);
    };
    process.on('SIGINT', end);
    process.on('SIGTERM', end);
    s.child.on('exit', (code) => {
      console.error(`code-server exited (${code})\n${s.log().slice(-2000)}`);
      process.exit(code ?? 1);
    });
    return;
  }
  console.error('usage: node scripts/code-server.mjs install | start [--port N] [--workspace DIR] [--fresh]');
  process.exit(2);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  main().catch((e) => {
    console.error(`code-server: ${e.message}`);
    process.exit(1);
  });
}
