// Random access to a journal file's records by byte offset (an index says where they are). Every record read is
// checked as the scanner checks it (header fields, length, CRC32C), and must be of the kind the caller expects, so a
// stale index or a file changed under it is an error, never wrong data.

import * as fs from 'node:fs';
import { decodeEntry, kindByTag } from './codec';
import type { JournalEntry } from './entries';
import { JournalError } from './errors';
import { decodeRecordHeader, FLAG_LZ4, RECORD_HEADER_SIZE, recordChecksumOk, recordSize } from './format';
import { FileWindow } from './scanner';
import { openJournalFile } from './log-file';
import { lz4DecompressPlaced, type Placement } from './compression';

/** UpdateMemoryRegionV1's payload: start (u64), end (u64), data length (u32), data. */
const MEMORY_HEADER = 20;
const MEMORY_TAG = 7;

export class RecordReader {
  private readonly fd: number;
  private readonly win: FileWindow;

  constructor(readonly file: string) {
    this.fd = openJournalFile(file);
    this.win = new FileWindow(this.fd, fs.fstatSync(this.fd).size);
  }

  close(): void {
    fs.closeSync(this.fd);
  }

  /** The checked record at `offset`: its kind tag, flags and stored payload (a view, valid until the next read). */
  private recordAt(offset: number, what: string): { kind: number; flags: number; stored: Uint8Array } {
    const stale = (why: string): never => {
      throw new JournalError('stale-index', `${this.file}: ${why} at byte ${offset}, where the index expects ${what}; the journal changed since it was indexed`, offset);
    };
    let i = this.win.ensure(offset, RECORD_HEADER_SIZE);
    if (i < 0) stale('the file ends');
    const h = decodeRecordHeader(this.win.buf, i);
    if (!h) return stale('no record header');
    i = this.win.ensure(offset, recordSize(h.storedLength));
    if (i < 0) stale('the file ends');
    if (!recordChecksumOk(this.win.buf, i, h)) {
      throw new JournalError('checksum', `${this.file}: damaged record at byte ${offset} (checksum mismatch)`, offset);
    }
    const start = i + RECORD_HEADER_SIZE;
    return { kind: h.kind, flags: h.flags, stored: this.win.buf.subarray(start, start + h.storedLength) };
  }

  /** The entry at `offset`, which must be of kind `kind`. */
  entryAt<K extends JournalEntry['kind']>(offset: number, kind: K): Extract<JournalEntry, { kind: K }>;
  entryAt(offset: number, kind?: string): JournalEntry;
  entryAt(offset: number, kind?: string): JournalEntry {
    const r = this.recordAt(offset, kind ?? 'a record');
    const info = kindByTag(r.kind);
    if (!info || (kind !== undefined && info.name !== kind)) {
      throw new JournalError('stale-index', `${this.file}: the record at byte ${offset} is of kind ${info?.name ?? r.kind}, where the index expects ${kind}; the journal changed since it was indexed`, offset);
    }
    return decodeEntry(info, r.flags, r.stored, offset);
  }

  /**
   * Writes the memory region of the UpdateMemoryRegionV1 record at `offset` into `memory` (decompressed once, copied
   * once). A region that does not fit `memory` is an error.
   */
  memoryInto(offset: number, memory: Uint8Array): { start: number; end: number } {
    const r = this.recordAt(offset, 'a memory update');
    if (r.kind !== MEMORY_TAG) {
      throw new JournalError('stale-index', `${this.file}: the record at byte ${offset} is of kind ${kindByTag(r.kind)?.name ?? r.kind}, where the index expects a memory update; the journal changed since it was indexed`, offset);
    }
    const what = `memory update at byte ${offset}`;
    let region = { start: 0, end: 0 };
    // The region's addresses and length, checked against the memory before a byte is written.
    const place = (head: Uint8Array, dataLength: number): Placement => {
      const v = new DataView(head.buffer, head.byteOffset, MEMORY_HEADER);
      const start = Number(v.getBigUint64(0, true));
      const end = Number(v.getBigUint64(8, true));
      const len = v.getUint32(16, true);
      if (end < start || len !== end - start || len !== dataLength) {
        throw new JournalError('bad-field', `${this.file}: ${what} holds ${dataLength} bytes for the region ${start}..${end}`, offset);
      }
      if (end > memory.length) {
        throw new JournalError('bad-field', `${this.file}: ${what} writes up to byte ${end} of memory, which has ${memory.length}`, offset);
      }
      region = { start, end };
      return { target: memory, at: start, length: len };
    };
    if (r.flags & FLAG_LZ4) {
      // Decompressed straight into memory.
      const size = r.stored.length >= 4 ? new DataView(r.stored.buffer, r.stored.byteOffset, 4).getUint32(0, true) : 0;
      lz4DecompressPlaced(r.stored, MEMORY_HEADER, (head) => place(head, size - MEMORY_HEADER), what);
    } else {
      if (r.stored.length < MEMORY_HEADER) throw new JournalError('truncated', `${this.file}: ${what} is shorter than its fields`, offset);
      const pl = place(r.stored.subarray(0, MEMORY_HEADER), r.stored.length - MEMORY_HEADER);
      memory.set(r.stored.subarray(MEMORY_HEADER), pl.at);
    }
    return region;
  }
}
