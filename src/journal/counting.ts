// The counting journal: counts entries and their encoded bytes (per kind too), then forwards them to an inner journal
// (by default one that keeps nothing). Used to size journals without writing them.

import { encodeEntryRecord } from './codec';
import type { JournalEntry } from './entries';
import { WrappingJournal, type Journal, type WriteResult } from './journal';
import { NullJournal } from './simple-journals';

export class CountingJournal extends WrappingJournal {
  entries = 0;
  bytes = 0;
  readonly byKind = new Map<string, { entries: number; bytes: number }>();

  constructor(inner: Journal = new NullJournal()) {
    super(inner);
  }

  override write(entry: JournalEntry): WriteResult {
    const size = encodeEntryRecord(entry).length;
    this.entries++;
    this.bytes += size;
    const k = this.byKind.get(entry.kind) ?? { entries: 0, bytes: 0 };
    k.entries++;
    k.bytes += size;
    this.byKind.set(entry.kind, k);
    return this.inner.write(entry);
  }
}
