// The generated large C++ programs the benchmarks run (bench/guests/large, built by scripts/build-large-guest.sh
// 1mb|5mb|20mb; gitignored): those built, and the 1 MB one alone for a quick run.

import * as fs from 'node:fs';
import * as path from 'node:path';

export function largeGuests(root: string, quick: boolean): string[] {
  const dir = path.join(root, 'bench', 'guests', 'large');
  return ['1mb', '5mb', '20mb'].map((s) => path.join(dir, `large-${s}.wasm`)).filter((f) => fs.existsSync(f) && (!quick || f.includes('1mb')));
}

/** What a benchmark prints when none is built. */
export const NO_LARGE_GUEST = 'No large module built (scripts/build-large-guest.sh 1mb|5mb|20mb).';
