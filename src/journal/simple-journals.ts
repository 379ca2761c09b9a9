// The small journals: unsupported (refuses writes, restores nothing), null (accepts and forgets), and in-memory.

import { ByteWriter } from './bytes';
import { decodeEntry, encodePayload } from './codec';
import { kindByTag, type JournalEntry } from './entries';
import { JournalError } from './errors';
import { NO_OFFSETS, type Journal, type LogRecord, type WriteResult } from './journal';

/** Accepts every entry and keeps none. */
export class NullJournal implements Journal {
  readonly encodesOnWrite: boolean = true;
  write(_entry: JournalEntry): WriteResult {
    return NO_OFFSETS;
  }
  flush(): void {}
  commit(): number {
    return 0;
  }
  rollback(): number {
    return 0;
  }
  close(): void {}
  read(): LogRecord | undefined {
    return undefined;
  }
  restart(): void {}
}

/** Writing is an error; reading finds nothing (so restoring from it restores nothing, without error). */
export class UnsupportedJournal extends NullJournal {
  override write(entry: JournalEntry): WriteResult {
    throw new JournalError('usage', `this journal does not support writing (tried to write ${entry.kind})`);
  }
}

/** Keeps entries in memory, in order. Commit marks a point rollback returns to. */
export class MemoryJournal implements Journal {
  private readonly entries: JournalEntry[] = [];
  private cursor = 0;
  private committed = 0;

  constructor(initial: Iterable<JournalEntry> = []) {
    for (const e of initial) this.entries.push(e);
    this.committed = this.entries.length;
  }

  get length(): number {
    return this.entries.length;
  }

  /** The entries, in order (not a copy). */
  all(): readonly JournalEntry[] {
    return this.entries;
  }

  write(entry: JournalEntry): WriteResult {
    this.entries.push(entry);
    return NO_OFFSETS;
  }
  flush(): void {}
  commit(): number {
    this.committed = this.entries.length;
    return this.committed;
  }
  rollback(): number {
    const n = this.entries.length - this.committed;
    this.entries.length = this.committed;
    this.cursor = Math.min(this.cursor, this.committed);
    return n;
  }
  close(): void {}
  read(): LogRecord | undefined {
    if (this.cursor >= this.entries.length) return undefined;
    const index = this.cursor++;
    return { entry: this.entries[index], index, offset: 0, size: 0 };
  }
  restart(): void {
    this.cursor = 0;
  }
}

/**
 * Entries kept in memory encoded (each: its kind's tag, its payload's length, the payload as the journal's codec
 * writes it), for a long list kept only to be read back once: no object per entry for the garbage collector to
 * carry (a million kept clock readings cost a run a fifth of its time as objects), and about a fifth of the memory.
 * Byte arrays are copied in as they are encoded, so the entries may be views of buffers their writer reuses.
 */
export class PackedEntries {
  private readonly w = new ByteWriter(1 << 16);
  private n = 0;

  /** Entries kept. */
  get length(): number {
    return this.n;
  }

  /** Bytes they take. */
  get byteLength(): number {
    return this.w.length;
  }

  push(e: JournalEntry): void {
    const { kind, payload } = encodePayload(e);
    this.w.u16(kind.tag);
    this.w.u32(payload.length);
    this.w.raw(payload);
    this.n++;
  }

  clear(): void {
    this.w.reset();
    this.n = 0;
  }

  /** The entries, decoded (new objects each call). */
  entries(): JournalEntry[] {
    const out: JournalEntry[] = [];
    const b = this.w.view();
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    for (let p = 0; p < b.length; ) {
      const kind = kindByTag(dv.getUint16(p, true))!;
      const len = dv.getUint32(p + 2, true);
      out.push(decodeEntry(kind, 0, b.subarray(p + 6, p + 6 + len), p));
      p += 6 + len;
    }
    return out;
  }
}
