// The journal's background writer (src/journal/background-writer.ts): large records framed, compressed and written
// by its thread, in order. The file is byte for byte the one a journal writing everything itself makes; reading,
// syncing and closing wait for the writer; a journal without large records never starts it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { LogFileJournal } from '../../src/journal/log-file';
import { readAll } from '../../src/journal/journal';
import type { JournalEntry } from '../../src/journal/entries';
import { sequenceEntry, tempJournal } from '../helpers/journals';
import { surveyJournal } from '../../src/journal/verify';

/** A memory image of `size` bytes that compresses (a C heap's kind: runs, counters, zeros). */
function image(size: number, seed: number): Uint8Array {
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i += 4) b[i] = (i * seed) & 0xff;
  return b;
}

function entries(): JournalEntry[] {
  const out: JournalEntry[] = [];
  for (let i = 0; i < 600; i++) out.push(sequenceEntry(i));
  // Large regions (a snapshot of several MiB), incompressible ones too, around a marker.
  for (let k = 0; k < 6; k++) {
    const data = k === 3 ? new Uint8Array(Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 2654435761) >>> 24))) : image(1_000_000 + k * 77_777, k + 3);
    out.push({ kind: 'UpdateMemoryRegionV1', region: { start: BigInt(k << 22), end: BigInt((k << 22) + data.length) }, data });
  }
  out.push({ kind: 'SnapshotV1', when: { secs_since_epoch: 1_700_000_000n, nanos_since_epoch: 0 }, trigger: 'explicit' });
  for (let i = 600; i < 700; i++) out.push(sequenceEntry(i));
  return out;
}

test('background writer: the file is byte for byte what writing everything on the caller\'s thread makes; reads, syncs and closes wait for it', () => {
  const all = entries();
  const plain = tempJournal('plain.journal');
  const bg = tempJournal('background.journal');
  const options = { createdMs: 1_700_000_000_000n };
  const a = LogFileJournal.create(plain, options);
  const b = LogFileJournal.create(bg, { ...options, background: true, backgroundAfter: 0 });
  for (const e of all.slice(0, 620)) {
    a.write(e);
    b.write(e);
  }
  // Reading in the middle sees everything written so far (restart waits for the writer).
  b.restart();
  const sofar = [...readAll(b)].map((r) => r.entry);
  assert.equal(sofar.length, 620);
  assert.equal(b.byteLength, (a.flush(), a.byteLength), 'after a flush, the size is exact');
  for (const e of all.slice(620)) {
    a.write(e);
    b.write(e);
  }
  b.syncNow();
  a.close();
  b.close();
  assert.ok(fs.readFileSync(plain).equals(fs.readFileSync(bg)), 'the same bytes');
  const survey = surveyJournal(bg);
  assert.deepEqual([survey.badRecords, survey.tornBytes, survey.skipped], [[], 0, []]);
  assert.equal(survey.records, all.length);
});

test('background writer: a journal of small records never starts it (nor one whose large records carry less than 8 MiB), and appending after a reopen goes on where the file ends', () => {
  const file = tempJournal('small.journal');
  const j = LogFileJournal.create(file, { background: true });
  for (let i = 0; i < 100; i++) j.write(sequenceEntry(i));
  assert.equal((j as unknown as { bg?: unknown }).bg, undefined, 'no writer thread for small records and 400 KB of large ones');
  j.close();
  const again = LogFileJournal.openAppend(file, { background: true, backgroundAfter: 0 });
  for (let i = 100; i < 160; i++) again.write(sequenceEntry(i));
  assert.notEqual((again as unknown as { bg?: unknown }).bg, undefined, 'a large record started it');
  again.close();
  const read = LogFileJournal.openRead(file);
  const got = [...readAll(read)].map((r) => r.entry);
  read.close();
  assert.equal(got.length, 160);
  assert.deepEqual(got[149], sequenceEntry(149));
});

test('background writer: a rollback cuts back to what was committed and the journal goes on valid; a writer that fails is an error at the next call, not a hang', () => {
  // The same operations with and without the writer: the same file (a snapshot marker commits, in both).
  const files = [false, true].map((background) => {
    const file = tempJournal(`rollback-${background}.journal`);
    const j = LogFileJournal.create(file, { background, backgroundAfter: 0, createdMs: 1n });
    for (let i = 0; i < 50; i++) j.write(sequenceEntry(i));
    j.commit();
    for (let i = 50; i < 95; i++) j.write(sequenceEntry(i));
    assert.ok(j.rollback() > 0, 'the records after the last commit go');
    for (let i = 100; i < 160; i++) j.write(sequenceEntry(i));
    j.close();
    return file;
  });
  assert.ok(fs.readFileSync(files[0]).equals(fs.readFileSync(files[1])), 'the same bytes');
  const survey = surveyJournal(files[1]);
  assert.deepEqual([survey.badRecords, survey.tornBytes, survey.records], [[], 0, 90 + 60]);

  // The descriptor the writer writes through, closed under it: its next write fails, and the journal says so.
  const broken = tempJournal('broken.journal');
  const b = LogFileJournal.create(broken, { background: true, backgroundAfter: 0 });
  for (let i = 0; i < 50; i++) b.write(sequenceEntry(i));
  b.flush();
  fs.closeSync((b as unknown as { fd: number }).fd);
  // Told at the next write or, at the latest, when the caller waits for the writer.
  assert.throws(() => {
    for (let i = 50; i < 100; i++) b.write(sequenceEntry(i));
    b.flush();
  }, /cannot write the journal: .*(EBADF|bad file descriptor)/i);
});
