// A journal's entries as text lines for a viewer, for journals of any size: the records are indexed once (the offset
// of each, no payload kept or decoded), a line is decoded only when it is asked for, and the index is extended over
// what was appended since (a journal being written). Runs and snapshots are noted as the index passes them.

import * as fs from 'node:fs';
import { decodeEntry, kindByTag } from './codec';
import { nulList } from './entries';
import { JournalError } from './errors';
import { openJournalFile } from './log-file';
import { RecordReader } from './record-reader';
import { RecordScanner, type ScanPosition } from './scanner';
import { entryText } from './text';

/** A run (an init-module entry) or a snapshot: where it is, for an outline. */
export interface JournalLandmark {
  kind: 'run' | 'snapshot';
  /** Its entry's index in the journal. */
  entry: number;
  /** The run (from 1) it is or belongs to. */
  run: number;
  /** A run's module (SHA-256, hex), and the guest folders and file-system mode it started with (its program-start). */
  module?: string;
  mounts?: string[];
  fsMode?: string;
  /** A snapshot's number in its run, and its trigger. */
  snapshot?: number;
  trigger?: string;
}

/** The line of entry `index` at byte `offset`, as `wasm-journal inspect` prints it. */
export function entryLine(index: number, offset: number, text: string): string {
  return `${String(index).padStart(6)}  @${String(offset).padEnd(10)} ${text}`;
}

export class JournalLines {
  private offsets = new Float64Array(1024);
  private count = 0;
  private position: ScanPosition | undefined;
  /** The file the index is of (a journal rewritten in place, by compaction, is another file). */
  private identity: { dev: number; ino: number } | undefined;
  private runs = 0;
  private snapshotsInRun = 0;
  private unknown = 0;
  private damage: string | undefined;
  private lastRun: JournalLandmark | undefined;
  readonly landmarks: JournalLandmark[] = [];
  /** Bytes at the end that are not (yet) a whole record. */
  tornBytes = 0;
  /** The file's size at the last refresh. */
  bytes = 0;

  constructor(readonly file: string) {}

  get entries(): number {
    return this.count;
  }

  /** What a reader should know: damage that ends what can be shown, records of kinds this version does not know. */
  get notes(): string[] {
    const notes: string[] = [];
    if (this.damage) notes.push(this.damage);
    if (this.unknown > 0) notes.push(`${this.unknown} record${this.unknown === 1 ? '' : 's'} of kinds this version does not know (written by a newer one) are not shown`);
    if (this.tornBytes > 0) notes.push(`the last ${this.tornBytes} bytes are a torn record (an interrupted write, or a write still under way)`);
    return notes;
  }

  /**
   * Indexes what was appended since the last call (everything, the first time, or when the file was replaced or cut).
   * Throws a JournalError when the file is not a journal; damage in the middle ends the index there (see `notes`).
   * With `until` (a performance.now() time), it stops once that time has passed and returns false: the next call goes
   * on from there (a viewer indexes a large journal in slices, answering its user between them). True: indexed to
   * the end of the file as it is.
   */
  refresh(until = Infinity): boolean {
    const fd = openJournalFile(this.file);
    try {
      const st = fs.fstatSync(fd);
      const same = this.identity?.dev === st.dev && this.identity.ino === st.ino;
      if (!same || (this.position && st.size < this.position.offset)) this.reset();
      this.identity = { dev: st.dev, ino: st.ino };
      this.bytes = st.size;
      if (this.damage || (this.position && this.position.offset >= st.size)) return true;
      const scanner = new RecordScanner(fd, st.size, { name: this.file, from: this.position });
      let done = true;
      try {
        for (let raw = scanner.next(); raw; raw = scanner.next()) {
          const kind = kindByTag(raw.kind);
          if (!kind) {
            this.unknown++;
            continue;
          }
          const index = this.count;
          this.push(raw.offset);
          if (kind.name === 'InitModuleV1') {
            this.runs++;
            this.snapshotsInRun = 0;
            const e = decodeEntry(kind, raw.flags, raw.payload, raw.offset) as { wasm_hash: Uint8Array };
            this.lastRun = { kind: 'run', entry: index, run: this.runs, module: Buffer.from(e.wasm_hash).toString('hex') };
            this.landmarks.push(this.lastRun);
          } else if (kind.name === 'ProgramStartV1') {
            const run = this.lastRun;
            if (run && run.mounts === undefined) {
              const e = decodeEntry(kind, raw.flags, raw.payload, raw.offset) as { mounts: Uint8Array; fs_mode: string };
              run.mounts = nulList(e.mounts);
              run.fsMode = e.fs_mode;
            }
          } else if (kind.name === 'SnapshotV1') {
            const e = decodeEntry(kind, raw.flags, raw.payload, raw.offset) as { trigger: string };
            this.landmarks.push({ kind: 'snapshot', entry: index, run: this.runs, snapshot: this.snapshotsInRun++, trigger: e.trigger });
          }
          if ((this.count & 1023) === 0 && performance.now() > until) {
            done = false;
            break;
          }
        }
        if (done) this.tornBytes = scanner.end.tornBytes;
      } catch (e) {
        if (!(e instanceof JournalError)) throw e;
        this.damage = `${e.message}: the entries after it are not shown`;
      }
      // Before the file header is complete there is no place to go on from: the next refresh starts over.
      if (scanner.position.offset > 0) this.position = scanner.position;
      return done;
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Lines [start, start + count) (fewer at the end); a record that cannot be read says so in its line. */
  lines(start: number, count: number): string[] {
    const end = Math.min(this.count, start + Math.max(0, count));
    if (start >= end) return [];
    const reader = new RecordReader(this.file);
    try {
      const out: string[] = [];
      for (let i = start; i < end; i++) {
        const offset = this.offsets[i];
        let text: string;
        try {
          text = entryText(reader.entryAt(offset));
        } catch (e) {
          text = `(cannot read this record: ${(e as Error).message})`;
        }
        out.push(entryLine(i, offset, text));
      }
      return out;
    } finally {
      reader.close();
    }
  }

  private push(offset: number): void {
    if (this.count === this.offsets.length) {
      const grown = new Float64Array(this.offsets.length * 2);
      grown.set(this.offsets);
      this.offsets = grown;
    }
    this.offsets[this.count++] = offset;
  }

  private reset(): void {
    this.offsets = new Float64Array(1024);
    this.count = 0;
    this.position = undefined;
    this.runs = 0;
    this.snapshotsInRun = 0;
    this.unknown = 0;
    this.damage = undefined;
    this.tornBytes = 0;
    this.landmarks.length = 0;
    this.lastRun = undefined;
  }
}
