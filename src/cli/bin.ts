// Entry point of the `wasm-journal` executable (bundled to dist/cli.js). For `run`, the worker thread the program
// runs on is started before the rest is loaded: it loads the engine while this thread loads the command line.
import { prestartRunWorker } from '../runtime/host/prestart';

const [command, ...rest] = process.argv.slice(2);
if (command === 'run' && !rest.includes('--help') && !rest.includes('-h')) prestartRunWorker();
// Loaded after the worker started (a require, not an import, which would be loaded first).
// eslint-disable-next-line @typescript-eslint/no-require-imports
void (require('./main') as typeof import('./main')).main();
