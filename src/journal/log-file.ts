// The log-file journal: entries appended to a file as checksummed records (format.ts), read back with torn-tail
// detection (scanner.ts). Crash safety:
//  - records are batched (64 KiB by default) and handed to the operating system when the batch fills, at every
//    snapshot marker, on flush/commit/close and before reading; killing the process loses at most the last batch,
//    and what is in the file is always a valid prefix. `batchBytes: 0` writes every record at once;
//  - data is fdatasync'ed at every snapshot marker and on close (`sync: 'snapshot'`, the default), at every record
//    (`'always'`), or never;
//  - a writer that opens an existing journal first cuts off a torn tail (a crash mid-record), so it never appends
//    after garbage; a journal damaged in the middle is refused for writing ("repair" it first);
//  - one writer at a time: a `<journal>.lock` file holds the writer's process id; a lock left by a dead process is
//    taken over;
//  - with `background: true` (what `run` and the debugger use), large records are framed, compressed and written by
//    a thread of their own (background-writer.ts), after everything handed over before them; the same promises hold,
//    a snapshot's fdatasync being done there once what precedes it is written.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { ByteWriter } from './bytes';
import { appendEntryRecord, appendPayload, decodeEntry } from './codec';
import { BackgroundWriter } from './background-writer';
import { kindByTag, kindOf, type JournalEntry } from './entries';
import { JournalError } from './errors';
import { encodeFileHeader, FILE_HEADER_SIZE } from './format';
import type { Journal, LogRecord, WriteResult } from './journal';
import { RecordScanner, type ScanEnd } from './scanner';

export type SyncPolicy = 'never' | 'snapshot' | 'always';

export interface LogFileOptions {
  /** When data is fdatasync'ed (default 'snapshot': at snapshot markers, commits and close). */
  sync?: SyncPolicy;
  /**
   * Bytes of records collected before they are written to the file (default 64 KiB; 0 writes every record at once;
   * tools writing whole journals that are renamed into place use more).
   */
  batchBytes?: number;
  /** Called for each warning (unknown record kinds from a newer version). Default: collected in `warnings`. */
  onWarning?: (message: string) => void;
  /** Creation time written in a new file's header (default: now); for reproducible files. */
  createdMs?: bigint;
  /**
   * A worker thread compresses large records and writes to the file (background-writer.ts): the thread that writes
   * entries waits for neither. Order and crash safety are the same; a snapshot's sync happens on the writer, after
   * what came before it, so write() of a marker returns before it is durable (commit(), syncNow(), flush() and
   * close() wait; the runtime commits before a process stops after a snapshot). A record too large for the format
   * is then the writer's error, thrown at the next call. Not with `sync: 'always'`.
   */
  background?: boolean;
  /** Bytes large records carry before the background writer starts (default 8 MiB; 0: at the first). */
  backgroundAfter?: number;
}

/** Records with this many bytes of data (their `data`) go to the background writer to be framed and compressed there. */
const BACKGROUND_RECORD = 64 * 1024;
/** ...once such records have carried this much (before, they are written on the caller's thread). */
const BACKGROUND_START = 8 * 1024 * 1024;

/** The bytes an entry carries (its byte arrays: memory, file or socket data). */
function bytesIn(entry: JournalEntry): number {
  const data = (entry as { data?: unknown }).data;
  return data instanceof Uint8Array ? data.length : 0;
}

export const DEFAULT_BATCH_BYTES = 64 * 1024;

function ioError(what: string, file: string, e: unknown): JournalError {
  const err = e as NodeJS.ErrnoException;
  const reason =
    err.code === 'ENOENT'
      ? 'no such file'
      : err.code === 'EACCES' || err.code === 'EPERM'
        ? 'permission denied'
        : err.code === 'EISDIR'
          ? 'is a directory'
          : err.code === 'ENOSPC'
            ? 'no space left on the device'
            : (err.message ?? String(e));
  return new JournalError('io', `${file}: cannot ${what}: ${reason}`);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Lock files this process holds; removed if the process exits without closing its journals. */
const heldLocks = new Set<string>();
let exitHookInstalled = false;

function removeHeldLocks(): void {
  for (const lock of heldLocks) {
    try {
      fs.unlinkSync(lock);
    } catch {
      // already gone
    }
  }
  heldLocks.clear();
}

/** Takes the writer lock of a journal; returns a function that releases it. */
function lockJournal(file: string): () => void {
  const lock = `${path.resolve(file)}.lock`;
  if (heldLocks.has(lock)) throw new JournalError('io', `${file}: the journal is already open for writing in this process`);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = fs.openSync(lock, 'wx');
      fs.writeSync(fd, `${process.pid}\n`);
      fs.closeSync(fd);
      heldLocks.add(lock);
      if (!exitHookInstalled) {
        process.on('exit', removeHeldLocks);
        exitHookInstalled = true;
      }
      return () => {
        if (!heldLocks.delete(lock)) return;
        try {
          fs.unlinkSync(lock);
        } catch {
          // already gone
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw ioError('create the lock file', lock, e);
      let pid = NaN;
      try {
        pid = Number.parseInt(fs.readFileSync(lock, 'utf8'), 10);
      } catch {
        continue; // removed meanwhile
      }
      if (Number.isInteger(pid) && pidAlive(pid)) {
        throw new JournalError('io', `${file}: the journal is being written by process ${pid} (${lock})`);
      }
      try {
        fs.unlinkSync(lock); // a stale lock from a process that died
      } catch {
        // someone else took it over
      }
    }
  }
  throw new JournalError('io', `${file}: cannot take the writer lock ${lock}`);
}

/** Opens a journal file for reading (a descriptor), refusing a folder; errors say what is wrong in one line. */
export function openJournalFile(file: string): number {
  try {
    const fd = fs.openSync(file, 'r');
    if (fs.fstatSync(fd).isDirectory()) {
      fs.closeSync(fd);
      throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    }
    return fd;
  } catch (e) {
    throw ioError('open the journal', file, e);
  }
}

export interface OpenInfo {
  /** Bytes of a torn tail cut off when the journal was opened for writing. */
  truncatedBytes: number;
  /** Records in the journal when it was opened. */
  records: number;
}

export class LogFileJournal implements Journal {
  /** Records are framed into the batch buffer as they are written. */
  readonly encodesOnWrite = true;
  private fd: number;
  private readonly writable: boolean;
  private size: number;
  private committed: number;
  private readonly sync: SyncPolicy;
  private readonly batchBytes: number;
  /** Records framed but not yet written; pending[0] is at file offset size - pending.length. */
  private readonly pending = new ByteWriter(1 << 16);
  private scanner: RecordScanner | undefined;
  private readIndex = 0;
  private closed = false;
  private releaseLock: (() => void) | undefined;
  readonly warnings: string[] = [];
  private readonly onWarning: (m: string) => void;
  private readonly createdMs: bigint | undefined;
  /** What opening found. */
  readonly opened: OpenInfo = { truncatedBytes: 0, records: 0 };
  /** How the last full read ended (torn bytes, headers seen); set when read() reaches the end. */
  lastScan: ScanEnd | undefined;
  /** The background writer (options.background), once the file is ready to append to. */
  private bg: BackgroundWriter | undefined;
  private readonly background: boolean;
  /** Bytes large records carried so far (the writer starts at backgroundAfter). */
  private largeBytes = 0;
  private readonly backgroundAfter: number;

  private constructor(
    readonly file: string,
    fd: number,
    writable: boolean,
    size: number,
    options: LogFileOptions,
  ) {
    this.fd = fd;
    this.writable = writable;
    this.size = size;
    this.committed = size;
    this.sync = options.sync ?? 'snapshot';
    this.batchBytes = options.batchBytes ?? DEFAULT_BATCH_BYTES;
    this.onWarning = options.onWarning ?? ((m) => this.warnings.push(m));
    this.createdMs = options.createdMs;
    this.background = options.background === true && this.sync !== 'always';
    this.backgroundAfter = options.backgroundAfter ?? BACKGROUND_START;
  }

  /** In background mode: the writer, started at the file's end at the first large record (a thread costs a start). */
  private startWriter(): BackgroundWriter {
    if (!this.bg) {
      this.flushHere();
      this.bg = new BackgroundWriter(this.file, this.fd, this.size);
    }
    return this.bg;
  }

  /** Opens a journal for reading only. */
  static openRead(file: string, options: LogFileOptions = {}): LogFileJournal {
    const fd = openJournalFile(file);
    const j = new LogFileJournal(file, fd, false, fs.fstatSync(fd).size, options);
    // Check the header now, so a file that is not a journal is refused at once.
    j.restart();
    return j;
  }

  /**
   * Opens a journal for appending (creating it when missing). A torn tail is cut off first; a journal damaged in the
   * middle is refused.
   */
  static openAppend(file: string, options: LogFileOptions = {}): LogFileJournal {
    const release = lockJournal(file);
    try {
      let fd: number;
      try {
        fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644);
      } catch (e) {
        throw ioError('open the journal for writing', file, e);
      }
      const j = new LogFileJournal(file, fd, true, fs.fstatSync(fd).size, options);
      j.releaseLock = release;
      try {
        j.prepareForAppend();
      } catch (e) {
        fs.closeSync(fd);
        throw e;
      }
      return j;
    } catch (e) {
      release();
      throw e;
    }
  }

  /** Creates an empty journal, replacing any file at `file`. */
  static create(file: string, options: LogFileOptions = {}): LogFileJournal {
    const release = lockJournal(file);
    try {
      let fd: number;
      try {
        fd = fs.openSync(file, 'w+', 0o644);
      } catch (e) {
        throw ioError('create the journal', file, e);
      }
      const j = new LogFileJournal(file, fd, true, 0, options);
      j.releaseLock = release;
      j.appendRaw(encodeFileHeader(options.createdMs));
      return j;
    } catch (e) {
      release();
      throw e;
    }
  }

  private prepareForAppend(): void {
    const scanner = new RecordScanner(this.fd, this.size, { name: this.file });
    let records = 0;
    while (scanner.next()) records++;
    const end = scanner.end;
    this.opened.records = records;
    if (end.tornBytes > 0) {
      fs.ftruncateSync(this.fd, end.validEnd);
      fs.fdatasyncSync(this.fd);
      this.opened.truncatedBytes = end.tornBytes;
      this.size = end.validEnd;
    }
    this.committed = this.size;
    if (this.size < FILE_HEADER_SIZE) {
      // Empty, or a header torn while being written.
      fs.ftruncateSync(this.fd, 0);
      this.size = 0;
      this.appendRaw(encodeFileHeader(this.createdMs));
      this.flush();
      fs.fdatasyncSync(this.fd);
      this.committed = this.size;
    }
  }

  private checkOpen(): void {
    if (this.closed) throw new JournalError('usage', `${this.file}: the journal is closed`);
  }

  private appendRaw(b: Buffer): void {
    this.pending.raw(b);
    this.size += b.length;
    if (this.pending.length > this.batchBytes) this.flush();
  }

  private writeAll(b: Buffer, position: number): void {
    let done = 0;
    try {
      while (done < b.length) done += fs.writeSync(this.fd, b, done, b.length - done, position + done);
    } catch (e) {
      // Never leave half a record: cut the file back to where this write began.
      try {
        fs.ftruncateSync(this.fd, position);
      } catch {
        // the reader will see a torn tail and ignore it
      }
      throw ioError('write the journal', this.file, e);
    }
  }

  write(entry: JournalEntry): WriteResult {
    this.checkOpen();
    if (!this.writable) throw new JournalError('usage', `${this.file}: the journal is open for reading only`);
    if (this.background) {
      // The writer starts once large records have carried BACKGROUND_START bytes (a thread costs a start: a run that
      // snapshots little memory never pays it); until then records are written here, as without it.
      const kind = kindOf(entry);
      const n = kind.compress ? bytesIn(entry) : 0;
      const large = n >= BACKGROUND_RECORD;
      if (large) this.largeBytes += n;
      if (this.bg || (large && this.largeBytes >= this.backgroundAfter)) return this.writeBackground(this.startWriter(), entry, large);
    }
    const recordStart = this.size;
    const { start, end } = appendEntryRecord(this.pending, entry);
    this.size += end - start;
    const snapshot = entry.kind === 'SnapshotV1';
    if (this.sync === 'always' || (this.sync === 'snapshot' && snapshot)) this.commit();
    else if (snapshot || this.pending.length > this.batchBytes) this.flush();
    return { recordStart, recordEnd: this.size };
  }

  /**
   * Background mode: small records are framed here and handed over in batches; a large one is handed over as its
   * payload (copied now: it may be a view of guest memory) to be framed and compressed by the writer. Where records
   * end in the file is known only once they are written: the offsets returned are estimates (records the writer has
   * not compressed yet count as their size before compression), exact again after flush().
   */
  private writeBackground(bg: BackgroundWriter, entry: JournalEntry, large: boolean): WriteResult {
    const recordStart = this.size;
    if (large) {
      this.handOver(bg);
      // Encoded once, into the writer's ring (the one copy of the bytes this thread makes).
      const kind = kindOf(entry);
      this.size += bg.recordEncoded(kind.tag, bytesIn(entry) + 256, (w) => appendPayload(w, entry), kind.name) + 64;
    } else {
      const { start, end } = appendEntryRecord(this.pending, entry);
      this.size += end - start;
    }
    if (entry.kind === 'SnapshotV1') {
      this.handOver(bg);
      // The marker is synced after everything before it, on the writer: the snapshot counts from then.
      if (this.sync === 'snapshot') bg.sync();
    } else if (this.pending.length > this.batchBytes) this.handOver(bg);
    return { recordStart, recordEnd: this.size };
  }

  /** Background mode: the records framed here go to the writer, after what it has already. */
  private handOver(bg: BackgroundWriter): void {
    bg.bytes(this.pending.view());
    this.pending.reset();
  }

  /**
   * Everything written so far is in the file (handed to the operating system). In background mode, waits for the
   * writer; the journal's size is then exact again.
   */
  flush(): void {
    if (this.bg) {
      this.handOver(this.bg);
      this.bg.drain();
      this.size = this.bg.written;
      return;
    }
    this.flushHere();
  }

  private flushHere(): void {
    const n = this.pending.length;
    if (n === 0) return;
    const position = this.size - n;
    try {
      this.writeAll(this.pending.view(), position);
    } catch (e) {
      this.size = position; // the batch is lost; the file ends where it did
      throw e;
    } finally {
      this.pending.reset();
    }
  }

  commit(): number {
    this.checkOpen();
    if (!this.writable) return this.size;
    this.flush();
    if (this.bg && this.sync !== 'never') {
      this.bg.sync();
      this.bg.drain();
    } else if (this.sync !== 'never') {
      try {
        fs.fdatasyncSync(this.fd);
      } catch (e) {
        throw ioError('sync the journal', this.file, e);
      }
    }
    this.committed = this.size;
    return this.size;
  }

  /** Flushes and makes everything durable now, whatever the sync policy (a debugger, at a stop). */
  syncNow(): void {
    this.checkOpen();
    if (!this.writable) return;
    this.flush();
    if (this.bg) {
      this.bg.sync();
      this.bg.drain();
      this.committed = this.size;
      return;
    }
    try {
      fs.fdatasyncSync(this.fd);
    } catch (e) {
      throw ioError('sync the journal', this.file, e);
    }
    this.committed = this.size;
  }

  rollback(): number {
    this.checkOpen();
    if (!this.writable) return 0;
    if (this.bg) {
      // What was handed over is written first (the writer appends in order); the writer goes (it appends after what
      // it wrote), and the next large record starts one at the cut.
      this.bg.close();
      this.size = this.bg.written + this.pending.length;
      // The snapshots it synced are committed, as the caller's thread commits them without it.
      this.committed = Math.max(this.committed, this.bg.synced);
      this.bg = undefined;
    }
    this.pending.reset();
    const removed = this.size - this.committed;
    if (removed > 0) fs.ftruncateSync(this.fd, this.committed);
    this.size = this.committed;
    return removed;
  }

  /**
   * Bytes in the journal (including records not yet handed to the OS). In background mode, records the writer has not
   * written yet count as their size before compression: an upper bound until flush().
   */
  get byteLength(): number {
    return this.size;
  }

  restart(): void {
    this.checkOpen();
    if (this.writable) this.flush();
    this.scanner = new RecordScanner(this.fd, this.size, { name: this.file });
    this.readIndex = 0;
    this.lastScan = undefined;
  }

  read(): LogRecord | undefined {
    this.checkOpen();
    if (!this.scanner) this.restart();
    const scanner = this.scanner!;
    for (;;) {
      const raw = scanner.next();
      if (!raw) {
        this.lastScan = scanner.end;
        return undefined;
      }
      const kind = kindByTag(raw.kind);
      if (!kind) {
        this.onWarning(
          `${this.file}: skipped a record of unknown kind ${raw.kind} at byte ${raw.offset} (written by a newer wasm-journal?)`,
        );
        continue;
      }
      const entry = decodeEntry(kind, raw.flags, raw.payload, raw.offset);
      return { entry, index: this.readIndex++, offset: raw.offset, size: raw.size };
    }
  }

  close(): void {
    if (this.closed) return;
    try {
      if (this.writable) {
        this.flush();
        if (this.sync !== 'never') fs.fdatasyncSync(this.fd);
      }
    } finally {
      this.bg?.close();
      this.closed = true;
      fs.closeSync(this.fd);
      this.releaseLock?.();
    }
  }
}


/**
 * Writes a journal to `target` atomically: `build` fills a temporary file next to it, which is synced and renamed
 * over `target` only when `build` succeeds, so a failure never destroys an existing journal.
 */
export function writeJournalAtomically<T>(
  target: string,
  build: (j: LogFileJournal) => T,
  options: LogFileOptions & { targetLocked?: boolean } = {},
): T {
  const dir = path.dirname(path.resolve(target));
  const tmp = path.join(dir, `.${path.basename(target)}.${process.pid}.tmp`);
  // Hold the target's writer lock, so a journal being written by a running program is never replaced under it.
  const release = options.targetLocked ? undefined : lockJournal(target);
  let j: LogFileJournal | undefined;
  try {
    j = LogFileJournal.create(tmp, { batchBytes: 1 << 20, ...options });
    const result = build(j);
    j.commit();
    j.close();
    j = undefined;
    fs.renameSync(tmp, target);
    try {
      const dfd = fs.openSync(dir, 'r');
      fs.fsyncSync(dfd);
      fs.closeSync(dfd);
    } catch {
      // syncing a folder is not supported everywhere
    }
    return result;
  } catch (e) {
    try {
      j?.close();
    } catch {
      // already failing
    }
    try {
      fs.unlinkSync(tmp);
    } catch {
      // never created
    }
    throw e;
  } finally {
    release?.();
  }
}
