// Every entry kind round-trips exactly through the binary payload, the JSON form and the log file, and prints one
// text line; values at the edges of their ranges survive; malformed payloads are typed errors.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ALL_KINDS, kindByName, type JournalEntry } from '../../src/journal/entries';
import { decodeEntry, encodePayload } from '../../src/journal/codec';
import { entryToJsonText, parseJsonEntries } from '../../src/journal/json';
import { entryText } from '../../src/journal/text';
import { JournalError } from '../../src/journal/errors';
import { crc32c, crc32cSoftware } from '../../src/journal/checksum';
import { ENTRY_FIXTURES } from '../helpers/entry-fixtures';
import { arbitraryEntryOf } from '../helpers/arbitrary';
import { checkGolden } from '../helpers/golden';

function binaryRoundTrip(e: JournalEntry): JournalEntry {
  const { kind, payload } = encodePayload(e);
  return decodeEntry(kind, 0, Buffer.from(payload), 0);
}

function jsonRoundTrip(e: JournalEntry): JournalEntry {
  const all = [...parseJsonEntries(entryToJsonText(e))];
  assert.equal(all.length, 1);
  return all[0];
}

test('there is a fixture for every kind and every fixture round-trips through binary and JSON', () => {
  assert.equal(Object.keys(ENTRY_FIXTURES).length, ALL_KINDS.length);
  for (const e of Object.values(ENTRY_FIXTURES) as JournalEntry[]) {
    assert.deepEqual(binaryRoundTrip(e), e, `${e.kind} binary`);
    assert.deepEqual(jsonRoundTrip(e), e, `${e.kind} JSON`);
  }
});

test('text and JSON forms of every kind match the golden files', () => {
  const fixtures = Object.values(ENTRY_FIXTURES) as JournalEntry[];
  checkGolden('entries.txt', fixtures.map((e) => entryText(e)).join('\n') + '\n');
  checkGolden('entries.json', fixtures.map((e) => entryToJsonText(e)).join(''));
});

for (const k of ALL_KINDS) {
  test(`${k.name} (tag ${k.tag}): random values round-trip`, () => {
    fc.assert(
      fc.property(arbitraryEntryOf(k), (e) => {
        assert.deepEqual(binaryRoundTrip(e), e);
        assert.deepEqual(jsonRoundTrip(e), e);
        const line = entryText(e);
        assert.ok(!line.includes('\n'), 'text form is one line');
        assert.match(line, /^[a-z0-9-]+( \(.*\))?$/);
      }),
      { numRuns: 40 },
    );
  });
}

test('a payload cut short, with trailing bytes, or with an unknown enum value is a typed error', () => {
  const e = ENTRY_FIXTURES.FileDescriptorSeekV1;
  const { kind, payload } = encodePayload(e);
  const p = Buffer.from(payload);
  for (let cut = 0; cut < p.length; cut++) {
    assert.throws(() => decodeEntry(kind, 0, p.subarray(0, cut), 100), (err: unknown) => err instanceof JournalError && /at byte 100/.test(err.message));
  }
  assert.throws(() => decodeEntry(kind, 0, Buffer.concat([p, Buffer.from([0])]), 0), /trailing/);
  const badWhence = Buffer.from(p);
  badWhence[badWhence.length - 1] = 7; // whence is the last field
  assert.throws(() => decodeEntry(kind, 0, badWhence, 0), /unknown value 7/);
  const write = encodePayload(ENTRY_FIXTURES.FileDescriptorWriteV1);
  const w = Buffer.from(write.payload);
  w.writeUInt32LE(0xfffffff0, 12); // data length field far beyond the payload
  assert.throws(() => decodeEntry(write.kind, 0, w, 0), (err: unknown) => err instanceof JournalError && err.code === 'truncated');
});

test('invalid UTF-8 in a path and a boolean byte other than 0/1 are rejected', () => {
  const { kind, payload } = encodePayload({ kind: 'ChangeDirectoryV1', path: 'ab' });
  const p = Buffer.from(payload);
  p[4] = 0xff;
  assert.throws(() => decodeEntry(kind, 0, p, 0), /not valid UTF-8/);
  const dup = encodePayload({ kind: 'DuplicateFileDescriptorV2', original_fd: 1, copied_fd: 2, cloexec: true });
  const d = Buffer.from(dup.payload);
  d[8] = 2;
  assert.throws(() => decodeEntry(dup.kind, 0, d, 0), /boolean byte 2/);
});

test('values outside a field range are refused when writing', () => {
  assert.throws(() => encodePayload({ kind: 'CloseFileDescriptorV1', fd: -1 }), /not an integer/);
  assert.throws(() => encodePayload({ kind: 'CloseFileDescriptorV1', fd: 2 ** 32 }), /not an integer/);
  assert.throws(() => encodePayload({ kind: 'SetClockTimeV1', clock_id: 'Realtime', time: 1n << 64n }), /not a bigint/);
  assert.throws(() => encodePayload({ kind: 'FileDescriptorSeekV1', fd: 1, offset: 0n, whence: 'Middle' as 'Set' }), /not one of/);
});

test('kinds have unique tags and Wasmer names', () => {
  assert.equal(kindByName('FileDescriptorWriteV1')?.tag, 6);
  assert.equal(kindByName('SnapshotV1')?.tag, 59);
  assert.equal(kindByName('SocketPairV1')?.tag, 64);
  assert.equal(new Set(ALL_KINDS.map((k) => k.tag)).size, ALL_KINDS.length);
});

test('CRC32C: known vector, software and native agree, chaining works', () => {
  assert.equal(crc32cSoftware(Buffer.from('123456789')), 0xe3069283);
  assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 5000 }), fc.nat({ max: 5000 }), (b, k) => {
      const cut = Math.min(k, b.length);
      assert.equal(crc32c(b), crc32cSoftware(b));
      assert.equal(crc32c(b.subarray(cut), crc32c(b.subarray(0, cut))), crc32cSoftware(b));
    }),
    { numRuns: 200 },
  );
});
