// Runs every compiled test (out/test/**/*.test.js) with Node's built-in runner and prints "N passed, N failed".
// Arguments filter test files by substring: `npm test -- codec log-file`. With --e2e, the slow end-to-end suites
// (out/test/**/*.e2e.js: a real VS Code) instead.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const testDir = join(root, 'out', 'test');

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (name.endsWith(suffix)) out.push(p);
  }
  return out;
}

const e2e = process.argv.includes('--e2e');
const suffix = e2e ? '.e2e.js' : '.test.js';
const filters = process.argv.slice(2).filter((a) => a !== '--e2e');
const files = walk(testDir)
  .filter((f) => filters.length === 0 || filters.some((x) => relative(testDir, f).includes(x)))
  .sort();
if (files.length === 0) {
  console.error(`no test files matched under ${testDir}`);
  process.exit(2);
}
// The instrumented modules and learned call stacks a run caches (WASM_JOURNAL_CACHE): a fresh folder for each test
// run, so what a test sees does not hang on what earlier runs left in ~/.cache (a clean machine, as in CI). Given
// WASM_JOURNAL_CACHE, that folder is used.
const ownCache = process.env.WASM_JOURNAL_CACHE ? undefined : mkdtempSync(join(tmpdir(), 'wj-test-cache-'));
const r = spawnSync(
  process.execPath,
  [
    '--test',
    // A test that hangs (a child process that never ends) fails after five minutes instead of stalling the run.
    '--test-timeout=300000',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    `--test-reporter=${join(root, 'scripts', 'summary-reporter.mjs')}`,
    '--test-reporter-destination=stdout',
    ...files,
  ],
  { stdio: 'inherit', cwd: root, env: ownCache ? { ...process.env, WASM_JOURNAL_CACHE: ownCache } : process.env },
);
if (ownCache) rmSync(ownCache, { recursive: true, force: true });
process.exit(r.status ?? 1);
