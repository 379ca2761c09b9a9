// Writing and reading journal files in tests.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { LogFileJournal } from '../../src/journal/log-file';
import { readAll } from '../../src/journal/journal';
import type { JournalEntry } from '../../src/journal/entries';
import { tempDir } from './tmp';

export function writeJournal(file: string, entries: Iterable<JournalEntry>): void {
  const j = LogFileJournal.create(file);
  for (const e of entries) j.write(e);
  j.close();
}

export function readJournal(file: string): JournalEntry[] {
  const j = LogFileJournal.openRead(file);
  try {
    return [...readAll(j)].map((r) => r.entry);
  } finally {
    j.close();
  }
}

export function tempJournal(name = 'test.journal'): string {
  return path.join(tempDir(), name);
}

/** A deterministic entry for position i: small writes, with a large memory update now and then. */
export function sequenceEntry(i: number): JournalEntry {
  if (i % 50 === 49) {
    const data = new Uint8Array(200_000 + (i % 7) * 1000);
    for (let k = 0; k < data.length; k += 97) data[k] = (i + k) & 0xff;
    return { kind: 'UpdateMemoryRegionV1', region: { start: BigInt(i * 16), end: BigInt(i * 16 + data.length) }, data };
  }
  if (i % 10 === 9) return { kind: 'SnapshotV1', when: { secs_since_epoch: BigInt(1_700_000_000 + i), nanos_since_epoch: i }, trigger: 'idle' };
  return { kind: 'FileDescriptorWriteV1', fd: 1 + (i % 3), offset: BigInt(i * 10), data: new Uint8Array(Buffer.from(`record ${i} `.repeat(1 + (i % 5)))), is_64bit: false };
}

export function fileSize(file: string): number {
  return fs.statSync(file).size;
}
