// The log file: framing, concatenation, torn tails, corruption in the middle, unknown kinds, locking, sync.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { LogFileJournal, writeJournalAtomically } from '../../src/journal/log-file';
import { readAll } from '../../src/journal/journal';
import { JournalError } from '../../src/journal/errors';
import { encodeRecord, FILE_HEADER_SIZE, MAGIC, RECORD_HEADER_SIZE, encodeFileHeader } from '../../src/journal/format';
import { RecordScanner } from '../../src/journal/scanner';
import { crc32c } from '../../src/journal/checksum';
import { ENTRY_FIXTURES } from '../helpers/entry-fixtures';
import { readJournal, sequenceEntry, tempJournal, writeJournal } from '../helpers/journals';
import type { JournalEntry } from '../../src/journal/entries';

const ALL = Object.values(ENTRY_FIXTURES) as JournalEntry[];

function scan(file: string, lenient = false): { offsets: number[]; end: RecordScanner['end'] } {
  const fd = fs.openSync(file, 'r');
  try {
    const s = new RecordScanner(fd, fs.fstatSync(fd).size, { lenient, name: file });
    const offsets = [...s.records()].map((r) => r.offset);
    return { offsets, end: s.end };
  } finally {
    fs.closeSync(fd);
  }
}

test('every kind survives a trip through a log file, with offsets that point at each record', () => {
  const file = tempJournal();
  const j = LogFileJournal.create(file);
  const results = ALL.map((e) => j.write(e));
  j.close();
  assert.deepEqual(readJournal(file), ALL);
  const r = LogFileJournal.openRead(file);
  const records = [...readAll(r)];
  r.close();
  assert.deepEqual(records.map((x) => x.offset), results.map((x) => x.recordStart));
  assert.deepEqual(records.map((x) => x.offset + x.size), results.map((x) => x.recordEnd));
  assert.ok(results.every((x) => x.recordStart % 8 === 0), 'records are 8-byte aligned');
  assert.equal(results[0].recordStart, FILE_HEADER_SIZE);
});

test('large memory payloads are compressed; small ones are not', () => {
  const big = encodeRecord(7, new Uint8Array(100_000), true);
  assert.ok(big.length < 2000, `100 KB of zeros took ${big.length} bytes`);
  assert.equal(big[6] & 1, 1);
  const small = encodeRecord(7, new Uint8Array(100), true);
  assert.equal(small[6] & 1, 0);
  const random = encodeRecord(7, randomBytes(5000), true);
  assert.ok(random.length >= 5000, 'incompressible data is stored as it is');
});

test('cat a.journal b.journal > c.journal is a valid journal holding both', () => {
  const a = tempJournal('a.journal');
  const b = tempJournal('b.journal');
  writeJournal(a, ALL.slice(0, 20));
  writeJournal(b, ALL.slice(20));
  const c = tempJournal('c.journal');
  fs.writeFileSync(c, Buffer.concat([fs.readFileSync(a), fs.readFileSync(b)]));
  assert.deepEqual(readJournal(c), ALL);
  assert.equal(scan(c).end.headers, 2);
  // and appending to the concatenation works
  const w = LogFileJournal.openAppend(c);
  w.write(ENTRY_FIXTURES.ClearEtherealV1);
  w.close();
  assert.deepEqual(readJournal(c), [...ALL, ENTRY_FIXTURES.ClearEtherealV1]);
});

test('a torn tail at every byte of the last record is detected, reported, and cut off by the next writer', () => {
  const file = tempJournal();
  const entries = [sequenceEntry(0), sequenceEntry(1), sequenceEntry(2)];
  writeJournal(file, entries);
  const whole = fs.readFileSync(file);
  const lastStart = scan(file).offsets[2];
  for (let cut = lastStart + 1; cut < whole.length; cut++) {
    fs.writeFileSync(file, whole.subarray(0, cut));
    const { offsets, end } = scan(file);
    assert.equal(offsets.length, 2, `cut at ${cut}`);
    assert.equal(end.validEnd, lastStart);
    assert.equal(end.tornBytes, cut - lastStart);
  }
  // the writer truncates the torn tail before appending
  const w = LogFileJournal.openAppend(file);
  assert.equal(w.opened.truncatedBytes, whole.length - 1 - lastStart);
  w.write(entries[2]);
  w.close();
  assert.deepEqual(readJournal(file), entries);
  assert.deepEqual(fs.readFileSync(file).subarray(FILE_HEADER_SIZE), whole.subarray(FILE_HEADER_SIZE));
});

test('a torn header, an empty file, and zero bytes at the end (power loss) are handled', () => {
  const file = tempJournal();
  fs.writeFileSync(file, encodeFileHeader().subarray(0, 13));
  assert.deepEqual(readJournal(file), []);
  const w = LogFileJournal.openAppend(file);
  w.write(ENTRY_FIXTURES.ChangeDirectoryV1);
  w.close();
  assert.deepEqual(readJournal(file), [ENTRY_FIXTURES.ChangeDirectoryV1]);
  fs.writeFileSync(file, '');
  assert.deepEqual(readJournal(file), []);
  writeJournal(file, ALL.slice(0, 3));
  fs.appendFileSync(file, Buffer.alloc(4096));
  assert.deepEqual(readJournal(file), ALL.slice(0, 3));
  assert.equal(scan(file).end.tornBytes, 4096);
});

test('corruption in the middle is an error naming the byte offset; repair mode skips it', () => {
  const file = tempJournal();
  writeJournal(file, ALL.slice(0, 10));
  const { offsets } = scan(file);
  const bytes = fs.readFileSync(file);
  bytes[offsets[4] + RECORD_HEADER_SIZE + 1] ^= 0x40; // flip a payload bit of record 4
  fs.writeFileSync(file, bytes);
  assert.throws(
    () => readJournal(file),
    (e: unknown) =>
      e instanceof JournalError &&
      e.code === 'checksum' &&
      e.offset === offsets[4] &&
      e.message.includes(`record 4 at byte ${offsets[4]}`) &&
      e.message.includes('checksum mismatch'),
  );
  const lenient = scan(file, true);
  assert.equal(lenient.offsets.length, 9);
  assert.deepEqual(lenient.end.skipped, [{ offset: offsets[4], length: offsets[5] - offsets[4] }]);
  // a writer refuses to append after damage it cannot explain
  assert.throws(() => LogFileJournal.openAppend(file), /damaged record 4/);
});

test('a length field larger than the file is damage, never an allocation', () => {
  const file = tempJournal();
  writeJournal(file, ALL.slice(0, 3));
  const bytes = fs.readFileSync(file);
  const { offsets } = scan(file);
  bytes.writeUInt32LE(0x0fffffff, offsets[1] + 8); // 256 MiB payload claimed
  fs.writeFileSync(file, bytes);
  assert.throws(() => readJournal(file), /length 268435455 runs past the end of the file/);
  bytes.writeUInt32LE(0xffffffff, offsets[1] + 8);
  fs.writeFileSync(file, bytes);
  assert.throws(() => readJournal(file), /damaged record 1/);
});

test('records of a kind from a newer version are skipped with a warning', () => {
  const file = tempJournal();
  writeJournal(file, [ENTRY_FIXTURES.ChangeDirectoryV1]);
  fs.appendFileSync(file, encodeRecord(0x7abc, Buffer.from('future'), false));
  const w = LogFileJournal.openAppend(file);
  w.write(ENTRY_FIXTURES.ClearEtherealV1);
  w.close();
  const r = LogFileJournal.openRead(file);
  const got = [...readAll(r)].map((x) => x.entry);
  r.close();
  assert.deepEqual(got, [ENTRY_FIXTURES.ChangeDirectoryV1, ENTRY_FIXTURES.ClearEtherealV1]);
  assert.equal(r.warnings.length, 1);
  assert.match(r.warnings[0], /unknown kind 31420 at byte \d+/);
});

test('files that are not journals get a clear error', () => {
  const dir = path.dirname(tempJournal());
  const wasm = path.join(dir, 'prog.wasm');
  fs.writeFileSync(wasm, Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
  assert.throws(() => LogFileJournal.openRead(wasm), /not a wasm-journal file \(it starts with the WebAssembly magic/);
  const text = path.join(dir, 'notes.txt');
  fs.writeFileSync(text, 'hello there, I am text');
  assert.throws(() => LogFileJournal.openRead(text), /not a wasm-journal file \(it starts with "hello th"\)/);
  assert.throws(() => LogFileJournal.openRead(path.join(dir, 'missing.journal')), /missing.journal: cannot open the journal: no such file/);
  assert.throws(() => LogFileJournal.openRead(dir), /is a directory/);
  const future = path.join(dir, 'future.journal');
  const h = encodeFileHeader();
  h.writeUInt16LE(9, 8);
  h.writeUInt32LE(crc32c(h.subarray(0, 28)), 28);
  fs.writeFileSync(future, h);
  assert.throws(() => LogFileJournal.openRead(future), /format version 9; this wasm-journal reads version 1/);
  assert.equal(MAGIC.length, 8);
});

test('one writer at a time; a lock left by a dead process is taken over', () => {
  const file = tempJournal();
  const w = LogFileJournal.openAppend(file);
  assert.throws(() => LogFileJournal.openAppend(file), /already open for writing in this process/);
  w.close();
  fs.writeFileSync(`${file}.lock`, `${process.ppid}\n`); // a live process holds it
  assert.throws(() => LogFileJournal.openAppend(file), new RegExp(`being written by process ${process.ppid}`));
  fs.writeFileSync(`${file}.lock`, '999999999\n'); // no such process
  const w2 = LogFileJournal.openAppend(file);
  w2.write(ENTRY_FIXTURES.ChangeDirectoryV1);
  w2.close();
  assert.ok(!fs.existsSync(`${file}.lock`));
  assert.deepEqual(readJournal(file), [ENTRY_FIXTURES.ChangeDirectoryV1]);
});

test('commit and rollback; buffered writers flush on close; reads see unflushed writes', () => {
  const file = tempJournal();
  const j = LogFileJournal.create(file, { batchBytes: 1 << 20 });
  j.write(ALL[0]);
  j.commit();
  j.write(ALL[1]);
  j.write(ALL[2]);
  assert.equal(j.read()?.entry.kind, ALL[0].kind, 'reading flushes first');
  assert.ok(j.rollback() > 0);
  j.write(ALL[3]);
  j.close();
  assert.deepEqual(readJournal(file), [ALL[0], ALL[3]]);
  assert.throws(() => j.write(ALL[0]), /closed/);
  const r = LogFileJournal.openRead(file);
  assert.throws(() => r.write(ALL[0]), /reading only/);
  r.close();
});

test('an atomic rewrite that fails leaves the old journal untouched', () => {
  const file = tempJournal();
  writeJournal(file, ALL.slice(0, 5));
  const before = fs.readFileSync(file);
  assert.throws(() =>
    writeJournalAtomically(file, (j) => {
      j.write(ALL[6]);
      throw new Error('boom');
    }),
  /boom/);
  assert.deepEqual(fs.readFileSync(file), before);
  assert.deepEqual(fs.readdirSync(path.dirname(file)).sort(), ['test.journal']);
});
