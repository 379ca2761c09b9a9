// The reader on random and mutated bytes: it returns entries or throws a JournalError, nothing else, and finishes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import fc from 'fast-check';
import { LogFileJournal } from '../../src/journal/log-file';
import { readAll } from '../../src/journal/journal';
import { JournalError } from '../../src/journal/errors';
import { encodeFileHeader } from '../../src/journal/format';
import { RecordScanner } from '../../src/journal/scanner';
import { ENTRY_FIXTURES } from '../helpers/entry-fixtures';
import { tempJournal, writeJournal } from '../helpers/journals';
import { parseJsonEntries } from '../../src/journal/json';
import { entryToJsonText } from '../../src/journal/json';
import type { JournalEntry } from '../../src/journal/entries';

const RUNS = Number(process.env.FC_RUNS ?? 300);
const file = tempJournal('fuzz.journal');
writeJournal(file, Object.values(ENTRY_FIXTURES) as JournalEntry[]);
const valid = fs.readFileSync(file);

function readBytes(bytes: Uint8Array, lenient: boolean): void {
  fs.writeFileSync(file, bytes);
  try {
    if (lenient) {
      const fd = fs.openSync(file, 'r');
      try {
        const s = new RecordScanner(fd, bytes.length, { lenient: true });
        for (const _ of s.records()) void _;
      } finally {
        fs.closeSync(fd);
      }
    } else {
      const j = LogFileJournal.openRead(file);
      try {
        for (const _ of readAll(j)) void _;
      } finally {
        j.close();
      }
    }
  } catch (e) {
    if (!(e instanceof JournalError)) throw e;
  }
}

const mutation = fc.oneof(
  fc.record({ t: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat({ max: 7 }) }),
  fc.record({ t: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({ t: fc.constant('splice' as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 40 }) }),
  fc.record({ t: fc.constant('dup' as const), at: fc.nat(), len: fc.nat({ max: 300 }) }),
  fc.record({ t: fc.constant('u32' as const), at: fc.nat(), value: fc.constantFrom(0, 1, 0x7fffffff, 0xffffffff, 0x10000000) }),
);

interface Mutation {
  t: string;
  at: number;
  bit?: number;
  bytes?: Uint8Array;
  len?: number;
  value?: number;
}

function mutate(base: Buffer, ms: Mutation[]): Buffer {
  let b = Buffer.from(base);
  for (const m of ms) {
    const at = b.length ? m.at % b.length : 0;
    if (m.t === 'flip' && b.length) b[at] ^= 1 << m.bit!;
    else if (m.t === 'cut') b = b.subarray(0, at);
    else if (m.t === 'splice') b = Buffer.concat([b.subarray(0, at), Buffer.from(m.bytes!), b.subarray(at)]);
    else if (m.t === 'dup') b = Buffer.concat([b.subarray(0, at), b.subarray(at, at + m.len!), b.subarray(at)]);
    else if (m.t === 'u32' && at + 4 <= b.length) b.writeUInt32LE(m.value!, at & ~3);
  }
  return b;
}

test('random bytes after a valid header: entries or a typed error', { timeout: 120_000 }, () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2000 }), fc.boolean(), (tail, lenient) => {
      readBytes(Buffer.concat([encodeFileHeader(), tail]), lenient);
    }),
    { numRuns: RUNS },
  );
});

test('mutated valid journals: entries or a typed error', { timeout: 120_000 }, () => {
  fc.assert(
    fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.boolean(), (ms, lenient) => {
      readBytes(mutate(valid, ms), lenient);
    }),
    { numRuns: RUNS * 2 },
  );
});

test('completely random files: a typed error', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 500 }), (bytes) => {
      readBytes(bytes, false);
    }),
    { numRuns: RUNS },
  );
});

test('mutated JSON exports: entries or a typed error', () => {
  const text = (Object.values(ENTRY_FIXTURES) as JournalEntry[]).slice(0, 12).map(entryToJsonText).join('');
  fc.assert(
    fc.property(fc.nat(), fc.string({ maxLength: 6 }), fc.nat({ max: 10 }), (at, insert, del) => {
      const k = at % (text.length + 1);
      const mutated = text.slice(0, k) + insert + text.slice(k + del);
      try {
        for (const _ of parseJsonEntries(mutated)) void _;
      } catch (e) {
        assert.ok(e instanceof JournalError, `unexpected ${String(e)}`);
        assert.match((e as Error).message, /line \d+, column \d+/);
      }
    }),
    { numRuns: RUNS * 2 },
  );
});
