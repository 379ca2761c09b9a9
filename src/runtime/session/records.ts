// The records of a journal that another thread is still appending to, read as far as it has been written and read
// on from there when it grows. Memory records, which the re-execution only passes over, are kept as their kind
// alone: their bytes are read through the snapshot index when a snapshot is restored.

import * as fs from 'node:fs';
import { RecordScanner, type ScanPosition } from '../../journal/scanner';
import { decodeEntry } from '../../journal/codec';
import { kindByTag, type EntryKind, type JournalEntry, type KindInfo } from '../../journal/entries';
import { FLAG_LZ4 } from '../../journal/format';
import { openJournalFile } from '../../journal/log-file';
import type { LogRecord } from '../../journal/journal';
import { PASSIVE } from '../runtime';

/** A record whose entry is decoded when first asked for: a travel decodes only the records it re-executes. */
class LazyRecord implements LogRecord {
  private decoded: JournalEntry | undefined;
  constructor(
    readonly index: number,
    readonly offset: number,
    readonly size: number,
    private readonly info: KindInfo,
    private readonly flags: number,
    private readonly payload: Uint8Array,
  ) {}
  get kind(): EntryKind {
    return this.info.name;
  }
  get rawPayload(): Uint8Array | undefined {
    return this.flags & FLAG_LZ4 ? undefined : this.payload;
  }
  get entry(): JournalEntry {
    this.decoded ??= decodeEntry(this.info, this.flags, this.payload, this.offset);
    return this.decoded;
  }
}

export class JournalTail {
  readonly records: LogRecord[] = [];
  private position: ScanPosition | undefined;
  private fd: number | undefined;

  /** The file is opened at the first refresh (the recording may not have begun yet). */
  constructor(readonly file: string) {}

  /** Reads the records written since the last call; returns how many there are now. */
  refresh(): number {
    this.fd ??= openJournalFile(this.file);
    const size = fs.fstatSync(this.fd).size;
    if (this.position && this.position.offset >= size) return this.records.length;
    const scanner = new RecordScanner(this.fd, size, { name: this.file, from: this.position });
    for (;;) {
      const raw = scanner.next();
      if (!raw) break;
      const kind = kindByTag(raw.kind);
      if (!kind) continue;
      // Memory is read through the snapshot index when a snapshot is restored: only its kind is kept here. Thread
      // states are small and say at which point their snapshot was taken.
      const payload = PASSIVE.has(kind.name) && kind.name !== 'SnapshotV1' && kind.name !== 'SetThreadV1' ? EMPTY : raw.payload;
      this.records.push(new LazyRecord(this.records.length, raw.offset, raw.size, kind, payload === EMPTY ? 0 : raw.flags, payload));
    }
    // Before the file header is complete there is no place to go on from: the next refresh starts over.
    if (scanner.position.offset > 0) this.position = scanner.position;
    return this.records.length;
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}

const EMPTY = new Uint8Array(0);
