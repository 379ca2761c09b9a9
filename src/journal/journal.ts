// The journal interfaces. Like Wasmer's lib/journal: a writable side (write an entry, get its byte offsets; flush;
// commit; rollback), a readable side (next entry; restart from the beginning), and journals that wrap an inner journal
// and forward everything but their own concern. All calls are synchronous: the runtime calls them from WASI host
// functions, which cannot await.

import type { EntryKind, JournalEntry } from './entries';

export interface WriteResult {
  /** Byte offset of the record in the underlying file (0 for journals without a file). */
  recordStart: number;
  /** Byte offset just past the record. */
  recordEnd: number;
}

export const NO_OFFSETS: WriteResult = Object.freeze({ recordStart: 0, recordEnd: 0 });

export interface LogRecord {
  entry: JournalEntry;
  /** Position of the entry in the journal, from 0. */
  index: number;
  /** Byte offset of the record in the file, when there is one. */
  offset: number;
  /** Bytes the record occupies in the file (0 without a file). */
  size: number;
  /**
   * A record read lazily (a debugger's replay of a growing journal): its kind, known without decoding the entry,
   * and its stored payload when not compressed (so an entry can be checked against it without decoding it).
   */
  readonly kind?: EntryKind;
  readonly rawPayload?: Uint8Array;
}

export interface WritableJournal {
  /**
   * True when write() encodes the entry before it returns and keeps no reference to it, so the caller may pass
   * byte arrays it reuses afterwards (the runtime passes views of guest memory).
   */
  readonly encodesOnWrite?: boolean;
  write(entry: JournalEntry): WriteResult;
  /** Hands buffered records to the operating system. */
  flush(): void;
  /** Makes everything written so far durable (fdatasync for files); returns the bytes written so far. */
  commit(): number;
  /** Forgets what was written since the last commit, when the journal can; returns the bytes removed. */
  rollback(): number;
  close(): void;
}

export interface ReadableJournal {
  /** The next entry, or undefined at the end. */
  read(): LogRecord | undefined;
  /** Starts reading again from the first entry. */
  restart(): void;
}

export interface Journal extends WritableJournal, ReadableJournal {}

/** A journal that wraps an inner one and forwards everything to it; subclasses override their own concern. */
export abstract class WrappingJournal implements Journal {
  constructor(protected inner: Journal) {}

  write(entry: JournalEntry): WriteResult {
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

/** Every entry of a readable journal, from the start. */
export function* readAll(j: ReadableJournal): Generator<LogRecord> {
  j.restart();
  for (;;) {
    const r = j.read();
    if (!r) return;
    yield r;
  }
}

/** The entries of a readable journal, from the start (without their positions). */
export function* readEntries(j: ReadableJournal): Generator<JournalEntry> {
  for (const r of readAll(j)) yield r.entry;
}

/** Copies every entry of `from` into `to`; returns the number copied. */
export function copyJournal(from: ReadableJournal, to: WritableJournal): number {
  let n = 0;
  for (const r of readAll(from)) {
    to.write(r.entry);
    n++;
  }
  return n;
}
