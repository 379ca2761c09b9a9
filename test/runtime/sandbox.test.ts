// The guest never reaches a host path outside its folders: races against a process that swaps directories and
// files for symlinks leading outside, while the guest opens paths through them in a loop.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { tempDir } from '../helpers/tmp';
import { runGuest } from '../helpers/guest';

const SWAPPER = `
const fs = require('fs');
const [root] = process.argv.slice(1);
const s = (p) => root + '/sandbox/' + p;
process.stdout.write('ready\\n');
for (;;) {
  try { fs.renameSync(s('d'), s('d-real')); } catch {}
  try { fs.symlinkSync('../outside', s('d')); } catch {}
  try { fs.renameSync(s('e/link.txt'), s('e/link-real.txt')); } catch {}
  try { fs.symlinkSync('../../outside/target.txt', s('e/link.txt')); } catch {}
  try { fs.unlinkSync(s('d')); } catch {}
  try { fs.renameSync(s('d-real'), s('d')); } catch {}
  try { fs.unlinkSync(s('e/link.txt')); } catch {}
  try { fs.renameSync(s('e/link-real.txt'), s('e/link.txt')); } catch {}
}
`;

for (const mode of ['host', 'overlay'] as const) {
  test(`racing symlink swaps never let the guest read outside its folder (${mode})`, async () => {
    const root = tempDir('wj-race-');
    fs.mkdirSync(path.join(root, 'outside'));
    fs.writeFileSync(path.join(root, 'outside', 'target.txt'), 'SECRET');
    fs.mkdirSync(path.join(root, 'sandbox', 'd'), { recursive: true });
    fs.mkdirSync(path.join(root, 'sandbox', 'e'));
    fs.writeFileSync(path.join(root, 'sandbox', 'd', 'target.txt'), 'inside');
    fs.writeFileSync(path.join(root, 'sandbox', 'e', 'link.txt'), 'inside');
    const swapper = spawn(process.execPath, ['-e', SWAPPER, root], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve) => swapper.stdout.once('data', () => resolve()));
      const iterations = mode === 'host' ? 3000 : 200;
      const r = await runGuest('race', { args: [String(iterations)], dirs: [{ host: path.join(root, 'sandbox'), guest: '/sandbox' }], fs: mode });
      const m = /inside=(\d+) refused=(\d+) leaks=(\d+)/.exec(r.stdout);
      assert.ok(m, r.stdout + r.stderr);
      assert.equal(m[3], '0', `the guest read the outside file: ${r.stdout}`);
      assert.equal(r.exitCode, 0);
      // In host mode every open asks the host, so some must have gone through while the swaps ran. The overlay reads
      // each listing once, so it sees whatever the first look found (a folder or a symlink it then refuses).
      if (mode === 'host') assert.ok(Number(m[1]) > 0 && Number(m[2]) > 0, `the race was real: ${r.stdout}`);
    } finally {
      swapper.kill('SIGKILL');
    }
    // the outside file is untouched
    assert.equal(fs.readFileSync(path.join(root, 'outside', 'target.txt'), 'utf8'), 'SECRET');
  });
}
