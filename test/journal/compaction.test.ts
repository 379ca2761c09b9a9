// Compaction never changes what a restore brings back (the state model at the last snapshot), for random journals,
// and compacting a prefix then appending the rest is the same as not compacting.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compactEntries } from '../../src/journal/compaction';
import { StateModel } from '../../src/journal/state';
import { journalArb } from '../helpers/simulation';
import type { JournalEntry } from '../../src/journal/entries';

const RUNS = Number(process.env.FC_RUNS ?? 300);

function restored(entries: JournalEntry[]): string {
  return StateModel.replay(entries).canonical();
}

test('restoring a compacted journal equals restoring the original', () => {
  fc.assert(
    fc.property(journalArb, (entries) => {
      assert.equal(restored(compactEntries(entries)), restored(entries));
    }),
    { numRuns: RUNS },
  );
});

test('compacting a prefix and appending the rest restores the same state', () => {
  fc.assert(
    fc.property(journalArb, fc.nat(), (entries, k) => {
      const cut = entries.length ? k % (entries.length + 1) : 0;
      const mixed = [...compactEntries(entries.slice(0, cut)), ...entries.slice(cut)];
      assert.equal(restored(mixed), restored(entries));
    }),
    { numRuns: RUNS },
  );
});
