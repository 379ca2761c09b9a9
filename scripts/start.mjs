// `npm start`: builds the extension and starts a real VS Code (code-server, installed on first use) with it, on the
// example workspace (examples/: a C program, notes.c, with a launch configuration ready for F5), then prints the
// URL to open. The command-line demo is `npm run demo`. Options go to scripts/code-server.mjs start (--port N).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const build = spawnSync('npx', ['webpack', '--mode', 'production'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
const r = spawnSync(process.execPath, [fileURLToPath(new URL('code-server.mjs', import.meta.url)), 'start', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
