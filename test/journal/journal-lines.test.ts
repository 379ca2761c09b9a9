// JournalLines: a journal's entries as lines decoded on demand, indexed once and extended as the file grows.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { JournalLines, entryLine } from '../../src/journal/journal-lines';
import { LogFileJournal } from '../../src/journal/log-file';
import { readAll } from '../../src/journal/journal';
import { entryText } from '../../src/journal/text';
import { encodeEntryRecord } from '../../src/journal/codec';
import type { JournalEntry } from '../../src/journal/entries';
import { sequenceEntry, tempJournal, writeJournal } from '../helpers/journals';
import { ENTRY_FIXTURES } from '../helpers/entry-fixtures';

const init = (b: number): JournalEntry => ({ kind: 'InitModuleV1', wasm_hash: new Uint8Array(32).fill(b) });

/** The lines `inspect` prints, read whole. */
function inspectLines(file: string): string[] {
  const j = LogFileJournal.openRead(file);
  try {
    return [...readAll(j)].map((r) => entryLine(r.index, r.offset, entryText(r.entry)));
  } finally {
    j.close();
  }
}

function twoRuns(): JournalEntry[] {
  const out: JournalEntry[] = [init(0xab), ENTRY_FIXTURES.ProgramStartV1];
  for (let i = 0; i < 120; i++) out.push(sequenceEntry(i));
  out.push(init(0xcd));
  for (let i = 0; i < 30; i++) out.push(sequenceEntry(i));
  return out;
}

test('lines are those inspect prints, decoded page by page; runs and snapshots are found', () => {
  const file = tempJournal();
  writeJournal(file, twoRuns());
  const l = new JournalLines(file);
  l.refresh();
  const whole = inspectLines(file);
  assert.equal(l.entries, whole.length);
  assert.deepEqual([...l.lines(0, 40), ...l.lines(40, 500)], whole);
  assert.deepEqual(l.lines(whole.length - 2, 10), whole.slice(-2));
  assert.deepEqual(l.lines(whole.length, 10), []);
  const runs = l.landmarks.filter((x) => x.kind === 'run');
  assert.deepEqual(runs.map((r) => [r.entry, r.module!.slice(0, 4), r.mounts, r.fsMode]), [[0, 'abab', ['/sandbox', '/data'], 'overlay'], [122, 'cdcd', undefined, undefined]]);
  const snaps = l.landmarks.filter((x) => x.kind === 'snapshot');
  // sequenceEntry makes a snapshot at i % 10 == 9 (but a memory update at i % 50 == 49): 10 in run 1, 3 in run 2,
  // numbered in their run.
  assert.deepEqual(snaps.map((s) => `${s.run}:${s.snapshot}`), [...Array.from({ length: 10 }, (_, k) => `1:${k}`), '2:0', '2:1', '2:2']);
  assert.equal(snaps[0].entry, 11);
  assert.equal(snaps[0].trigger, 'idle');
  assert.deepEqual(l.notes, []);
});

test('a journal being written: the index grows over what is appended, a record half written waits', () => {
  const file = tempJournal();
  const j = LogFileJournal.create(file, { sync: 'never' });
  j.write(init(1));
  for (let i = 0; i < 20; i++) j.write(sequenceEntry(i));
  j.flush();
  const l = new JournalLines(file);
  l.refresh();
  assert.equal(l.entries, 21);
  for (let i = 20; i < 60; i++) j.write(sequenceEntry(i));
  j.close();
  // Half of a record more, as a writer caught in the middle leaves it; then the rest of it.
  const record = encodeEntryRecord(sequenceEntry(69));
  fs.appendFileSync(file, record.subarray(0, 20));
  l.refresh();
  assert.equal(l.entries, 61);
  assert.equal(l.tornBytes, 20);
  assert.match(l.notes.join('\n'), /last 20 bytes are a torn record/);
  fs.appendFileSync(file, record.subarray(20));
  l.refresh();
  assert.equal(l.entries, 62);
  assert.equal(l.tornBytes, 0);
  assert.deepEqual(l.lines(0, 100), inspectLines(file));
  assert.equal(l.landmarks.filter((x) => x.kind === 'snapshot').length, 6);
});

test('a journal replaced (compacted, cut) is indexed again; damage in the middle ends the lines with a note; not a journal throws', () => {
  const file = tempJournal();
  writeJournal(file, twoRuns());
  const l = new JournalLines(file);
  l.refresh();
  // Rewritten as another, shorter file (a new inode, as an atomic rewrite makes).
  const other = `${file}.new`;
  writeJournal(other, [init(7), sequenceEntry(0), sequenceEntry(9)]);
  fs.renameSync(other, file);
  l.refresh();
  assert.equal(l.entries, 3);
  assert.deepEqual(l.lines(0, 10), inspectLines(file));
  assert.equal(l.landmarks.length, 2);

  // A byte flipped in the middle record's payload.
  writeJournal(file, twoRuns());
  const offsets = [...(function* () {
    const j = LogFileJournal.openRead(file);
    try {
      for (const r of readAll(j)) yield r.offset;
    } finally {
      j.close();
    }
  })()];
  const bytes = fs.readFileSync(file);
  bytes[offsets[70] + 18] ^= 0xff;
  fs.writeFileSync(`${file}.bad`, bytes);
  fs.renameSync(`${file}.bad`, file);
  l.refresh();
  assert.equal(l.entries, 70);
  assert.match(l.notes[0], new RegExp(`byte ${offsets[70]}.*the entries after it are not shown`));
  assert.equal(l.lines(69, 5).length, 1);

  const notJournal = tempJournal('notes.txt');
  fs.writeFileSync(notJournal, 'just some text, not a journal at all\n');
  assert.throws(() => new JournalLines(notJournal).refresh(), /notes\.txt: not a wasm-journal file/);
});

test('indexing in slices (a time limit) goes on where it stopped and ends with the same index as one pass', () => {
  const file = tempJournal();
  const entries: JournalEntry[] = [init(0xab), ENTRY_FIXTURES.ProgramStartV1];
  for (let i = 0; i < 5000; i++) entries.push(sequenceEntry(i));
  writeJournal(file, entries);
  const whole = new JournalLines(file);
  assert.equal(whole.refresh(), true);
  const sliced = new JournalLines(file);
  let slices = 0;
  // A limit already passed: each call indexes one stretch of 1,024 records, then stops.
  while (!sliced.refresh(0)) {
    slices++;
    assert.equal(sliced.entries % 1024, 0, 'a slice ends after a whole stretch');
    assert.ok(slices < 100);
  }
  assert.equal(slices, Math.floor(whole.entries / 1024));
  assert.equal(sliced.entries, whole.entries);
  assert.deepEqual(sliced.landmarks, whole.landmarks);
  assert.deepEqual(sliced.lines(0, whole.entries), whole.lines(0, whole.entries));
  assert.deepEqual(sliced.notes, whole.notes);
});
