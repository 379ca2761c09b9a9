// The records of a journal that another thread is still appending to, read as far as it has been written and read
// on from there when it grows. Records the re-execution only passes over (memory, thread state, snapshot markers)
// are kept as their kind alone: their bytes are read through the snapshot index when a snapshot is restored.

import * as fs from 'node:fs';
import { RecordScanner, type ScanPosition } from '../../journal/scanner';
import { decodeEntry } from '../../journal/codec';
import { kindByTag, type JournalEntry } from '../../journal/entries';
import { openJournalFile } from '../../journal/log-file';
import type { LogRecord } from '../../journal/journal';
import { PASSIVE } from '../runtime';

export class JournalTail {
  readonly records: LogRecord[] = [];
  private position: ScanPosition | undefined;
  private readonly fd: number;

  constructor(readonly file: string) {
    this.fd = openJournalFile(file);
  }

  /** Reads the records written since the last call; returns how many there are now. */
  refresh(): number {
    const size = fs.fstatSync(this.fd).size;
    if (this.position && this.position.offset >= size) return this.records.length;
    const scanner = new RecordScanner(this.fd, size, { name: this.file, from: this.position });
    for (;;) {
      const raw = scanner.next();
      if (!raw) break;
      const kind = kindByTag(raw.kind);
      if (!kind) continue;
      const entry = PASSIVE.has(kind.name) && kind.name !== 'SnapshotV1' ? ({ kind: kind.name } as JournalEntry) : decodeEntry(kind, raw.flags, raw.payload, raw.offset);
      this.records.push({ entry, index: this.records.length, offset: raw.offset, size: raw.size });
    }
    this.position = scanner.position;
    return this.records.length;
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}
