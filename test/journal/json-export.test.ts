// exportJsonFile: a journal's JSON form written to a file whole or not at all, saying where a torn journal ends.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { exportJsonFile } from '../../src/journal/json-export';
import { entryToJsonText } from '../../src/journal/json';
import { importJson } from '../../src/journal/json-check';
import { encodeEntryRecord } from '../../src/journal/codec';
import { readJournal, sequenceEntry, tempJournal, writeJournal } from '../helpers/journals';

test('a journal exported to a file reads back as its entries; a torn tail is reported; a failure leaves the target as it was', () => {
  const file = tempJournal();
  const entries = Array.from({ length: 120 }, (_, i) => sequenceEntry(i));
  writeJournal(file, entries);
  const out = path.join(path.dirname(file), 'out.json');
  const r = exportJsonFile(file, out);
  assert.equal(r.entries, 120);
  assert.equal(r.scan?.tornBytes, 0);
  const text = fs.readFileSync(out, 'utf8');
  assert.equal(text, readJournal(file).map(entryToJsonText).join(''));
  const back = path.join(path.dirname(file), 'back.journal');
  assert.equal(importJson(text, back, out), 120);
  assert.equal(readJournal(back).map(entryToJsonText).join(''), text);

  fs.appendFileSync(file, encodeEntryRecord(sequenceEntry(3)).subarray(0, 24));
  const torn = exportJsonFile(file, out);
  assert.equal(torn.entries, 120);
  assert.equal(torn.scan?.tornBytes, 24);

  // A target in a folder that does not exist: an error, nothing left behind.
  assert.throws(() => exportJsonFile(file, path.join(path.dirname(file), 'nope', 'x.json')), /ENOENT/);
  // Not a journal: an error, and the earlier export untouched.
  const notJournal = path.join(path.dirname(file), 'text.journal');
  fs.writeFileSync(notJournal, 'hello');
  assert.throws(() => exportJsonFile(notJournal, out), /not a wasm-journal file/);
  assert.equal(fs.readFileSync(out, 'utf8'), text);
  assert.deepEqual(fs.readdirSync(path.dirname(file)).filter((f) => f.endsWith('.tmp')), []);
});
