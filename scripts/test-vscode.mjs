// `npm run test:vscode`: the extension-host tests (test/vscode/suite.ts) in a real VS Code downloaded by
// @vscode/test-electron, on a copy of the example workspace, with the built extension (npm run build first).
// These machines cannot download VS Code (the end-to-end tests use code-server instead); where the download fails,
// this says so and exits 1. VSCODE_VERSION picks the version (default: the oldest the extension supports).
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';

const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const version = process.env.VSCODE_VERSION ?? pkg.engines.vscode.replace(/^[^\d]*/, '');
const { runTests } = await import('@vscode/test-electron');
const work = mkdtempSync(join(tmpdir(), 'wj-vscode-'));
const workspace = join(work, 'examples');
cpSync(join(root, 'examples'), workspace, { recursive: true, filter: (src) => !src.includes('.wasm-journal') });
try {
  await runTests({
    version,
    extensionDevelopmentPath: root,
    extensionTestsPath: join(root, 'out', 'test', 'vscode', 'suite.js'),
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', `--user-data-dir=${join(work, 'user')}`],
  });
} catch (e) {
  console.error(`test:vscode: ${e instanceof Error ? e.message : String(e)}`);
  console.error('(VS Code is downloaded from update.code.visualstudio.com; where that is unreachable, the same journeys run in code-server: npm run test:e2e)');
  process.exitCode = 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
