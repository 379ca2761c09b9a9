// Entry point of the `wasm-journal` executable (bundled to dist/cli.js). The worker threads a command will run the
// program on are started before the rest is loaded (runtime/prestart.ts): they load the engine while this thread
// loads the command line. `run`: its run worker; `dap`: the live and replay workers of the first debug session.
import { prestartWorker, workerFile } from '../runtime/prestart';

const [command, ...rest] = process.argv.slice(2);
if (!rest.includes('--help') && !rest.includes('-h')) {
  if (command === 'run') prestartWorker(workerFile('run-worker.js', 'host'));
  if (command === 'dap') prestartWorker(workerFile('guest-worker.js', 'session'), 2);
}
// Loaded after the workers started (a require, not an import, which would be loaded first).
// eslint-disable-next-line @typescript-eslint/no-require-imports
void (require('./main') as typeof import('./main')).main();
