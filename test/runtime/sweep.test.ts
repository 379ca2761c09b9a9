// Out-of-bounds pointers (sweep.c, `sweep oob N`): a pointer a WASI call must dereference traps, naming the call and
// the pointer, in wasmtime's order: a failing check that comes first (the descriptor, for most calls) answers with its
// errno instead, results are written only on success, and nothing of zero length is written. The descriptor sweep
// itself (`sweep`) is in the manifest of guest runs (record-restore.test.ts).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runGuest } from '../helpers/guest';
import { tempDir } from '../helpers/tmp';

const SOURCE = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'guests', 'src', 'sweep.c'), 'utf8');
/** The cases and what each must do, from the comments of sweep.c's oob_names (the source says it once). */
const CASES = [...SOURCE.matchAll(/^ {2}"([^"]+)", +\/\* (trap|[A-Z]+|0)\b/gm)].map((m) => ({ name: m[1], want: m[2] }));

test('the out-of-bounds cases are read from sweep.c', () => {
  assert.equal(CASES.length, 22);
  assert.deepEqual(new Set(CASES.map((c) => c.want)), new Set(['trap', 'EBADF', '0']));
});

CASES.forEach((c, k) => {
  test(`sweep oob ${k}: ${c.name}: ${c.want === 'trap' ? 'a trap' : c.want}`, async () => {
    const r = await runGuest('sweep', { args: ['oob', String(k)], dirs: [{ host: tempDir('wj-sweep-'), guest: '/sandbox' }], fs: 'memory' });
    if (c.want === 'trap') {
      assert.equal(r.exitCode, 134, r.stdout);
      const call = c.name.split(/[ ,]/)[0];
      const why = c.name.includes('misaligned') ? 'is not aligned to 8 bytes' : '\\(\\d+ bytes?\\) is out of bounds of the memory \\(\\d+ bytes\\)';
      assert.match(r.result.trap ?? '', new RegExp(`^${call}: pointer 0x[0-9a-f]+ ${why}`));
      assert.equal(r.stdout, `${c.name}: `);
    } else {
      assert.equal(r.exitCode, 0, r.result.trap);
      assert.equal(r.stdout, `${c.name}: ${c.want === '0' ? 'OK' : c.want}\n`);
    }
  });
});
