// Golden files: compared in tests, rewritten on purpose with UPDATE_GOLDEN=1.

import * as fs from 'node:fs';
import * as path from 'node:path';
import assert from 'node:assert/strict';

const GOLDEN_DIR = path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'golden');

export function checkGolden(name: string, actual: string): void {
  const file = path.join(GOLDEN_DIR, name);
  if (process.env.UPDATE_GOLDEN) {
    fs.mkdirSync(GOLDEN_DIR, { recursive: true });
    fs.writeFileSync(file, actual);
    return;
  }
  assert.ok(fs.existsSync(file), `golden file ${file} is missing; create it with UPDATE_GOLDEN=1`);
  assert.equal(actual, fs.readFileSync(file, 'utf8'), `${name} differs from the golden file (UPDATE_GOLDEN=1 rewrites it on purpose)`);
}
