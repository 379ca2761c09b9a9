// `npm run demo`: the command line on the bundled example. Runs examples/guests/notes.wasm (a small C program) twice under
// wasm-journal with a journal, shows the journal, replays the last run from it and verifies the file, all through
// the bundled CLI (dist/cli.js). The files go to a temporary folder, removed at the end.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist', 'cli.js');
const module = join(root, 'examples', 'guests', 'notes.wasm');
const dir = mkdtempSync(join(tmpdir(), 'wasm-journal-start-'));
const journal = join(dir, 'notes.journal');

function step(title, args) {
  console.log(`\n$ wasm-journal ${args.map((a) => (a.startsWith(dir) ? a.replace(dir, '$TMP') : a)).join(' ')}    # ${title}`);
  const r = spawnSync(process.execPath, [cli, ...args], { stdio: 'inherit' });
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    process.exit(r.status ?? 1);
  }
}

try {
  step('run the example, journaling it', ['run', module, '--dir', `${dir}::/notes`, '--journal-writable', journal, '--', 'npm']);
  step('run it again: restores from the journal, then appends', ['run', module, '--dir', `${dir}::/notes`, '--journal-writable', journal, '--skip-journal-stdio', '--', 'again']);
  step('what the journal holds', ['inspect', journal]);
  step('re-execute the last run from the journal alone', ['replay', journal, module]);
  step('check every record', ['verify', journal]);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
