// Walks the records of a journal file, one at a time, without loading the file into memory.
//
// It tells a torn tail (a crash mid-write: no valid record after the damage) from corruption in the middle (valid
// records after the damage). A torn tail ends the journal and is reported in `end.tornBytes`; corruption in the middle
// throws a JournalError naming its byte offset, unless the scanner is lenient (repair), in which case the damaged
// bytes are skipped and listed in `end.skipped`. A header in the middle (`cat a b > c`) starts a new segment.

import * as fs from 'node:fs';
import { JournalError } from './errors';
import {
  ALIGNMENT,
  FILE_HEADER_SIZE,
  MAGIC,
  RECORD_HEADER_SIZE,
  decodeFileHeader,
  decodeRecordHeader,
  hasMagicAt,
  recordChecksumOk,
  recordSize,
  type RecordHeader,
} from './format';

export interface RawRecord {
  /** Byte offset of the record header in the file. */
  offset: number;
  /** Bytes the record occupies, header and padding included. */
  size: number;
  kind: number;
  flags: number;
  /** The stored payload (still compressed when flags say so); a copy the caller may keep. */
  payload: Uint8Array;
}

export interface SkippedRegion {
  offset: number;
  length: number;
}

export interface ScanEnd {
  /** Offset just past the last valid record or header: where a writer appends. */
  validEnd: number;
  /** Bytes after validEnd that are not a record (a torn write). */
  tornBytes: number;
  /** Damaged regions skipped in the middle (lenient mode only). */
  skipped: SkippedRegion[];
  /** Headers seen (1 for a plain file, more for concatenated files). */
  headers: number;
}

const WINDOW = 1 << 20;

/** Reads a file through a sliding window. */
export class FileWindow {
  buf: Buffer = Buffer.alloc(0);
  start = 0; // file offset of buf[0]

  constructor(
    private readonly fd: number,
    readonly size: number,
  ) {}

  /** Makes file bytes [offset, offset+n) available; returns the index of `offset` in `buf`, or -1 past EOF. */
  ensure(offset: number, n: number): number {
    if (offset + n > this.size) return -1;
    if (offset >= this.start && offset + n <= this.start + this.buf.length) return offset - this.start;
    const len = Math.min(Math.max(n, WINDOW), this.size - offset);
    const b = Buffer.allocUnsafe(len);
    let got = 0;
    while (got < len) {
      const r = fs.readSync(this.fd, b, got, len - got, offset + got);
      if (r === 0) break;
      got += r;
    }
    if (got < n) return -1; // the file shrank under us
    this.buf = got === len ? b : b.subarray(0, got);
    this.start = offset;
    return 0;
  }
}

export interface ScannerOptions {
  /** Skip damaged regions in the middle instead of throwing (for repair). */
  lenient?: boolean;
  /** Name of the file in messages. */
  name?: string;
  /**
   * Go on from a record boundary found by an earlier scan (its `position`) instead of from the first record; the file
   * header is still checked.
   */
  from?: ScanPosition;
}

/** Where a scan stands: the next record's offset, and the header of the segment it is in (records align to it). */
export interface ScanPosition {
  offset: number;
  segmentBase: number;
  /** Records before `offset` (for messages). */
  records: number;
}

export class RecordScanner {
  private readonly win: FileWindow;
  private pos = 0;
  /** Records are aligned relative to the header of the segment they belong to. */
  private segmentBase = 0;
  private recordIndex = 0;
  private done = false;
  private readonly name: string;
  private readonly lenient: boolean;
  readonly end: ScanEnd = { validEnd: 0, tornBytes: 0, skipped: [], headers: 0 };

  constructor(fd: number, size: number, options: ScannerOptions = {}) {
    this.win = new FileWindow(fd, size);
    this.name = options.name ?? 'journal';
    this.lenient = options.lenient ?? false;
    this.start();
    const from = options.from;
    if (from && !this.done) {
      if (from.offset < FILE_HEADER_SIZE || from.offset > size || from.segmentBase > from.offset) {
        throw new JournalError('usage', `${this.name}: cannot go on scanning from byte ${from.offset}`);
      }
      this.pos = from.offset;
      this.segmentBase = from.segmentBase;
      this.recordIndex = from.records;
      this.end.validEnd = this.pos;
    }
  }

  /** Where the scan stands now (after the last record returned). */
  get position(): ScanPosition {
    return { offset: this.pos, segmentBase: this.segmentBase, records: this.recordIndex };
  }

  private start(): void {
    const size = this.win.size;
    if (size === 0) {
      this.done = true;
      return;
    }
    const n = Math.min(size, FILE_HEADER_SIZE);
    const i = this.win.ensure(0, n);
    const b = this.win.buf;
    const prefixLen = Math.min(n, MAGIC.length);
    for (let k = 0; k < prefixLen; k++) {
      if (b[i + k] !== MAGIC[k]) {
        throw new JournalError(
          'bad-magic',
          `${this.name}: not a wasm-journal file (it starts with ${describeStart(b.subarray(i, i + n))})`,
          0,
        );
      }
    }
    if (size < FILE_HEADER_SIZE) {
      // A header torn while being written: an empty journal.
      this.end.tornBytes = size;
      this.done = true;
      return;
    }
    const h = decodeFileHeader(b, i, 0, this.name);
    if (!h) {
      if (this.findNextValid(0) === -1) {
        this.end.tornBytes = size;
        this.done = true;
        return;
      }
      throw new JournalError('bad-header', `${this.name}: the journal header at byte 0 is damaged (checksum mismatch)`, 0);
    }
    this.end.headers = 1;
    this.pos = FILE_HEADER_SIZE;
    this.end.validEnd = this.pos;
  }

  /** The next valid record, or undefined at the end of the journal. */
  next(): RawRecord | undefined {
    while (!this.done) {
      const size = this.win.size;
      if (this.pos === size) {
        this.done = true;
        return undefined;
      }
      // A header of a concatenated journal?
      const hi = this.win.ensure(this.pos, FILE_HEADER_SIZE);
      if (hi >= 0 && hasMagicAt(this.win.buf, hi)) {
        const h = decodeFileHeader(this.win.buf, hi, this.pos, this.name);
        if (h) {
          this.end.headers++;
          this.segmentBase = this.pos;
          this.pos += FILE_HEADER_SIZE;
          this.end.validEnd = this.pos;
          continue;
        }
      }
      const rec = this.recordAt(this.pos);
      if (rec) {
        this.pos += rec.size;
        this.end.validEnd = this.pos;
        this.recordIndex++;
        return rec;
      }
      // Damage at this.pos: torn tail or corruption in the middle?
      const next = this.findNextValid(this.pos);
      if (next === -1) {
        this.end.tornBytes = size - this.pos;
        this.done = true;
        return undefined;
      }
      if (!this.lenient) {
        throw new JournalError(
          'checksum',
          `${this.name}: damaged record ${this.recordIndex} at byte ${this.pos} ` +
            `(${describeDamage(this.win, this.pos)}); valid records follow at byte ${next}. ` +
            `Run "wasm-journal repair" to keep every valid record.`,
          this.pos,
        );
      }
      this.end.skipped.push({ offset: this.pos, length: next - this.pos });
      this.pos = next;
      if (hasMagicAt(this.win.buf, this.win.ensure(next, MAGIC.length))) this.segmentBase = next;
    }
    return undefined;
  }

  /** Every remaining record, for callers that want them all. */
  *records(): Generator<RawRecord> {
    for (;;) {
      const r = this.next();
      if (!r) return;
      yield r;
    }
  }

  private headerAt(at: number): RecordHeader | undefined {
    const i = this.win.ensure(at, RECORD_HEADER_SIZE);
    if (i < 0) return undefined;
    return decodeRecordHeader(this.win.buf, i);
  }

  private recordAt(at: number): RawRecord | undefined {
    const h = this.headerAt(at);
    if (!h) return undefined;
    const total = recordSize(h.storedLength);
    // A length running past the end of the file is never read (nor allocated).
    const i = this.win.ensure(at, total);
    if (i < 0) return undefined;
    if (!recordChecksumOk(this.win.buf, i, h)) return undefined;
    return {
      offset: at,
      size: total,
      kind: h.kind,
      flags: h.flags,
      payload: this.win.buf.slice(i + RECORD_HEADER_SIZE, i + RECORD_HEADER_SIZE + h.storedLength),
    };
  }

  /** The offset of the next valid header or record after damage at `from`, or -1 when none follows. */
  private findNextValid(from: number): number {
    const size = this.win.size;
    let alignedStart = from + ALIGNMENT - ((from - this.segmentBase) % ALIGNMENT || ALIGNMENT);
    if (alignedStart <= from) alignedStart += ALIGNMENT;
    const nextMagic = this.findMagic(from + 1);
    for (let at = alignedStart; at + RECORD_HEADER_SIZE <= size; at += ALIGNMENT) {
      if (nextMagic !== -1 && at > nextMagic) break;
      if (this.recordAt(at)) return at;
    }
    // A later header counts only when it is intact (a valid header or a valid record right after it).
    let m = nextMagic;
    while (m !== -1) {
      const i = this.win.ensure(m, FILE_HEADER_SIZE);
      if (i >= 0 && decodeFileHeader(this.win.buf, i, m, this.name)) return m;
      m = this.findMagic(m + 1);
    }
    return -1;
  }

  private findMagic(from: number): number {
    const size = this.win.size;
    const step = WINDOW;
    for (let at = from; at < size; at += step - MAGIC.length) {
      const n = Math.min(step, size - at);
      if (n < MAGIC.length) return -1;
      const i = this.win.ensure(at, n);
      const k = this.win.buf.subarray(i, i + n).indexOf(MAGIC);
      if (k !== -1) return at + k;
    }
    return -1;
  }
}

function describeStart(b: Uint8Array): string {
  const hex = Buffer.from(b.subarray(0, 8)).toString('hex').replace(/(..)/g, '$1 ').trim();
  const text = Buffer.from(b.subarray(0, 8)).toString('latin1');
  if (/^[\x20-\x7e]+$/.test(text)) return `"${text}"`;
  if (b[0] === 0x00 && b[1] === 0x61 && b[2] === 0x73 && b[3] === 0x6d) return 'the WebAssembly magic: it is a .wasm module';
  return `bytes ${hex}`;
}

function describeDamage(win: FileWindow, at: number): string {
  const i = win.ensure(at, RECORD_HEADER_SIZE);
  if (i < 0) return 'header cut short';
  const h = decodeRecordHeader(win.buf, i);
  if (!h) return 'invalid record header';
  if (win.ensure(at, recordSize(h.storedLength)) < 0) return `length ${h.storedLength} runs past the end of the file`;
  return 'checksum mismatch';
}
