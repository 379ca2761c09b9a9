// Entry point of the `wasm-journal` executable (bundled to dist/cli.js).
import { main } from './main';

void main();
