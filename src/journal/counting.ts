// The counting journal: counts entries and their encoded bytes (per kind too), then forwards them to an inner journal
// (by default one that keeps nothing). Used to size journals without writing them.

import { encodeEntryRecord } from './codec';
import type { JournalEntry } from './entries';
import type { Journal, LogRecord, WriteResult } from './journal';
import { NullJournal } from './simple-journals';

export class CountingJournal implements Journal {
  entries = 0;
  bytes = 0;
  readonly byKind = new Map<string, { entries: number; bytes: number }>();

  constructor(private readonly inner: Journal = new NullJournal()) {}

  write(entry: JournalEntry): WriteResult {
    const size = encodeEntryRecord(entry).length;
    this.entries++;
    this.bytes += size;
    const k = this.byKind.get(entry.kind) ?? { entries: 0, bytes: 0 };
    k.entries++;
    k.bytes += size;
    this.byKind.set(entry.kind, k);
    return this.inner.write(entry);
  }
  flush(): void {
    this.inner.flush();
  }
  commit(): number {
    return this.inner.commit();
  }
  rollback(): number {
    return this.inner.rollback();
  }
  close(): void {
    this.inner.close();
  }
  read(): LogRecord | undefined {
    return this.inner.read();
  }
  restart(): void {
    this.inner.restart();
  }
}
