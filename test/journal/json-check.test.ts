// A journal's JSON form read as an edited document (src/journal/json-check.ts): whatever the edit, it reads on and
// says what is wrong (never throws), and a valid text reads to the same entries import takes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LogFileJournal, readAll, entryToJsonText, parseJsonEntries, readJsonJournal, entryText } from '../../src/journal';

const ROOT = path.join(__dirname, '..', '..', '..');

function exported(): string {
  const j = LogFileJournal.openRead(path.join(ROOT, 'examples', 'hello.journal'));
  try {
    return [...readAll(j)].map((r) => entryToJsonText(r.entry)).join('');
  } finally {
    j.close();
  }
}

test('json-check: a valid export reads to the entries import takes, with no problem', () => {
  const text = exported();
  const doc = readJsonJournal(text);
  assert.deepEqual(doc.problems, []);
  assert.equal(doc.complete, true);
  assert.deepEqual(doc.entries.map((e) => entryText(e.entry!)), [...parseJsonEntries(text)].map(entryText));
  // Each entry's place is where its text is.
  const lines = text.split('\n');
  for (const e of doc.entries) assert.equal(lines[e.start.line - 1][e.start.col - 1], '{');
});

test('json-check: random edits (deleted, inserted, replaced characters, a cut) never throw, and say where', () => {
  const text = exported();
  let seed = 12345;
  const rand = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  const alphabet = '{}[]":,0123456789-eE.abcxyz_ \n\\u';
  let problems = 0;
  for (let i = 0; i < 400; i++) {
    let t = text;
    for (let k = 0; k <= rand(3); k++) {
      const at = rand(t.length);
      const op = rand(4);
      if (op === 0) t = t.slice(0, at) + t.slice(at + 1 + rand(20));
      else if (op === 1) t = t.slice(0, at) + alphabet[rand(alphabet.length)] + t.slice(at);
      else if (op === 2) t = t.slice(0, at) + alphabet[rand(alphabet.length)] + t.slice(at + 1);
      else t = t.slice(0, at);
    }
    const doc = readJsonJournal(t);
    problems += doc.problems.length;
    const lines = t.split('\n').length;
    for (const p of doc.problems) {
      assert.ok(p.start.line >= 1 && p.start.line <= lines + 1, `line ${p.start.line} of ${lines}`);
      assert.ok(p.end.line > p.start.line || (p.end.line === p.start.line && p.end.col >= p.start.col), JSON.stringify(p));
    }
  }
  assert.ok(problems > 300, `the edits were noticed (${problems} problems)`);
});

test('json-check: nesting too deep, a huge number, a stray value: problems, not a crash', () => {
  const deep = readJsonJournal('['.repeat(10_000));
  assert.equal(deep.complete, false);
  assert.match(deep.problems[0].message, /nested too deeply/);
  const huge = readJsonJournal('{"close_file_descriptor_v1": {"fd": 99999999999999999999999}}\n');
  assert.ok(huge.problems.some((p) => p.severity === 'error' && /fd/.test(p.message)), JSON.stringify(huge.problems));
  const stray = readJsonJournal('42\n"x"\n');
  assert.equal(stray.entries.length, 2);
  assert.ok(stray.problems.every((p) => p.severity === 'error'));
  assert.ok(fs.existsSync(path.join(ROOT, 'examples', 'hello.journal')));
});
