// The snapshot index: for every snapshot of a journal, which records make up the state a restore brings back, so
// jumping to snapshot 1 or 1,000 reads only those records and costs time in proportion to the state, not to the
// length of the history (docs/snapshots.md, "The snapshot index").
//
// What a snapshot restores:
//  - memory: the memory updates committed in its run up to its marker, newest bytes winning. The index keeps, per
//    run, a map of which record holds the newest bytes of each address, and now and then a keyframe: the records
//    that still hold some of those bytes. Snapshot k is then a keyframe's records plus the updates committed after
//    the keyframe, in journal order. A keyframe is taken once the updates since the last one add up to a quarter of
//    what it holds, so a restore reads at most about 1.25 times the state.
//  - the thread state and file cursors: the last ones committed in its run (one record each);
//  - the descriptor and file-system effects before its marker (every run's, as a restore applies them).
// Memory updates and thread states follow the journal's commit rules (state.ts): they count at the next snapshot
// marker, ClearEthereal drops those not yet committed, and InitModule starts a run over empty memory.
//
// The index is kept beside the journal (`<journal>.idx`). It is a cache: missing, damaged or stale, it is rebuilt
// (a journal that only grew is indexed from where the index stopped). The records it points at are read and checked
// like any other (record-reader.ts).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { crc32c } from './checksum';
import { kindByTag } from './codec';
import { lz4DecompressPrefix } from './compression';
import { JournalError } from './errors';
import { FILE_HEADER_SIZE, FLAG_LZ4, RECORD_HEADER_SIZE } from './format';
import { openJournalFile } from './log-file';
import { RecordScanner, type RawRecord, type ScanEnd, type ScanPosition } from './scanner';

const INDEX_MAGIC = Buffer.from('WJIDX\r\n\x1a', 'latin1');
const INDEX_VERSION = 1;
/** Keyframes are not worth taking for less than this many bytes of updates. */
const MIN_KEYFRAME_BYTES = 256 * 1024;
/** A keyframe is taken once the updates since the last one reach 1/KEYFRAME_DIVISOR of what it holds. */
const KEYFRAME_DIVISOR = 4;
const EFFECT_CATEGORIES = new Set(['core', 'fs-fd', 'fs-path', 'networking']);

export interface SnapshotPlan {
  /** The snapshot's number (from 0, over the whole journal) and its marker's entry index and byte offset. */
  snapshot: number;
  entryIndex: number;
  offset: number;
  /** Entry index of the InitModuleV1 that began its run (-1 when the journal has none before it). */
  runStart: number;
  /** Offsets of the memory updates to apply, in order (later ones overwrite earlier ones). */
  memory: number[];
  /** Offset of the committed SetThreadV1 of thread 0, when there is one. */
  thread: number | undefined;
  /** Offset of the committed FdCursorsV1, when there is one. */
  cursors: number | undefined;
  /** Offsets of the descriptor and file-system effects before the marker, in order. */
  effects: number[];
  /** Bytes of memory the plan's updates hold (what the restore decompresses). */
  memoryBytes: number;
}

/** Growable array of doubles (offsets and addresses beyond 2^32 stay exact). */
class Column {
  a: Float64Array;
  n = 0;
  constructor(from?: Float64Array) {
    this.a = from ?? new Float64Array(64);
    this.n = from?.length ?? 0;
  }
  push(v: number): void {
    if (this.n === this.a.length) {
      const b = new Float64Array(Math.max(64, this.a.length * 2));
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = v;
  }
  get(i: number): number {
    return this.a[i];
  }
  get length(): number {
    return this.n;
  }
  view(): Float64Array {
    return this.a.subarray(0, this.n);
  }
}

/** Columns saved in the index file, by name; each is a Float64Array. */
const COLUMNS = [
  // memory updates seen (ordinal = position): record offset, region start, region end
  'memOffset', 'memStart', 'memEnd',
  // snapshots: marker entry index and offset, run start, thread and cursors record offsets (-1: none), keyframe
  // (-1: none), first snapshot whose committed updates apply over the keyframe, committed updates [from, to)
  'snapEntry', 'snapOffset', 'snapRun', 'snapThread', 'snapCursors', 'snapKeyframe', 'snapBase', 'snapDeltaFrom', 'snapDeltaTo',
  // the ordinals of the updates each snapshot committed
  'deltas',
  // keyframes: the snapshot taken at, and the records [from, to) in keyLive
  'keySnapshot', 'keyFrom', 'keyTo', 'keyLive',
  // effects: record offset and entry index
  'effOffset', 'effEntry',
  // the builder's state at the end (to go on when the journal grows): the current run's address map (start, end,
  // ordinal) and the uncommitted updates
  'mapStart', 'mapEnd', 'mapRec', 'pending',
] as const;
type ColumnName = (typeof COLUMNS)[number];

interface Meta {
  /** The journal's file header checksum (bytes 28..32), which changes when the file is rewritten. */
  headerCrc: number;
  /** Where the indexed part ends, and the scan's state there. */
  position: ScanPosition;
  /** The header of the last record indexed (hex), checked before trusting the index. */
  lastRecord: { offset: number; header: string } | undefined;
  entries: number;
  runStart: number;
  pendingThread: number;
  pendingCursors: number;
  thread: number;
  cursors: number;
  keyframe: number;
  bytesSinceKeyframe: number;
  keyframeBytes: number;
  firstSnapshotOfRun: number;
  /** Entry index of the last InitModuleV1 or ProcessExitV1 (-1: none). */
  lastBoundary: number;
}

function freshMeta(headerCrc: number): Meta {
  return {
    headerCrc,
    position: { offset: FILE_HEADER_SIZE, segmentBase: 0, records: 0 },
    lastRecord: undefined,
    entries: 0,
    runStart: -1,
    pendingThread: -1,
    pendingCursors: -1,
    thread: -1,
    cursors: -1,
    keyframe: -1,
    bytesSinceKeyframe: 0,
    keyframeBytes: 0,
    firstSnapshotOfRun: 0,
    lastBoundary: -1,
  };
}

export class SnapshotIndex {
  private readonly c: Record<ColumnName, Column>;
  private meta: Meta;

  private constructor(
    readonly journal: string,
    meta: Meta,
    columns?: Partial<Record<ColumnName, Float64Array>>,
  ) {
    this.meta = meta;
    this.c = Object.fromEntries(COLUMNS.map((n) => [n, new Column(columns?.[n])])) as Record<ColumnName, Column>;
  }

  /** Where the index of `journal` is kept. */
  static pathFor(journal: string): string {
    return `${journal}.idx`;
  }

  /**
   * The index of `journal`: loaded from beside it when it still matches, extended when the journal grew, built
   * otherwise; saved back when it changed (when the folder is writable). `rebuilt` says what happened.
   */
  static open(journal: string, options: { save?: boolean } = {}): SnapshotIndex {
    const fd = openJournalFile(journal);
    try {
      const size = fs.fstatSync(fd).size;
      const headerCrc = readHeaderCrc(fd, size);
      let index = SnapshotIndex.load(journal, fd, size, headerCrc);
      const before = index?.meta.position.offset ?? -1;
      if (!index) index = new SnapshotIndex(journal, freshMeta(headerCrc));
      index.scan(fd, size);
      index.status = before < 0 ? 'built' : before === index.meta.position.offset ? 'loaded' : 'extended';
      if (index.status !== 'loaded' && options.save !== false) index.save();
      return index;
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Builds the index of `journal` from its first record, ignoring (and replacing) any saved index. */
  static rebuild(journal: string, options: { save?: boolean } = {}): SnapshotIndex {
    const fd = openJournalFile(journal);
    try {
      const size = fs.fstatSync(fd).size;
      const index = new SnapshotIndex(journal, freshMeta(readHeaderCrc(fd, size)));
      index.scan(fd, size);
      index.status = 'built';
      if (options.save !== false) index.save();
      return index;
    } finally {
      fs.closeSync(fd);
    }
  }

  /** How this index came to be: read from its file, read and extended over new records, or built. */
  status: 'loaded' | 'extended' | 'built' = 'built';
  /** How the scan of this opening ended (a torn tail is in `tornBytes`), when records were scanned. */
  lastScan: ScanEnd | undefined;

  get snapshots(): number {
    return this.c.snapEntry.length;
  }

  /** Entries indexed (records of known kinds), as readAll numbers them. */
  get entries(): number {
    return this.meta.entries;
  }

  /** True when a run ended or another began after snapshot `k`'s marker (there is nothing to resume there). */
  endedAfter(k: number): boolean {
    return this.meta.lastBoundary > this.c.snapEntry.get(k);
  }

  /** What to read to restore snapshot `k` (from 0). */
  plan(k: number): SnapshotPlan {
    const s = this.c;
    if (!Number.isInteger(k) || k < 0 || k >= this.snapshots) {
      throw new JournalError('usage', `${this.journal} holds ${this.snapshots} snapshot(s); there is no snapshot ${k}`);
    }
    const ordinals: number[] = [];
    const kf = s.snapKeyframe.get(k);
    if (kf >= 0) for (let i = s.keyFrom.get(kf); i < s.keyTo.get(kf); i++) ordinals.push(s.keyLive.get(i));
    for (let j = s.snapBase.get(k); j <= k; j++) {
      for (let i = s.snapDeltaFrom.get(j); i < s.snapDeltaTo.get(j); i++) ordinals.push(s.deltas.get(i));
    }
    let memoryBytes = 0;
    const memory = ordinals.map((o) => {
      memoryBytes += s.memEnd.get(o) - s.memStart.get(o);
      return s.memOffset.get(o);
    });
    const entry = s.snapEntry.get(k);
    // Effects before the marker: a binary search over their entry indices.
    let lo = 0;
    let hi = s.effEntry.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (s.effEntry.get(mid) < entry) lo = mid + 1;
      else hi = mid;
    }
    const thread = s.snapThread.get(k);
    const cursors = s.snapCursors.get(k);
    return {
      snapshot: k,
      entryIndex: entry,
      offset: s.snapOffset.get(k),
      runStart: s.snapRun.get(k),
      memory,
      thread: thread >= 0 ? thread : undefined,
      cursors: cursors >= 0 ? cursors : undefined,
      effects: Array.from(s.effOffset.view().subarray(0, lo)),
      memoryBytes,
    };
  }

  // ---- building ----

  private scan(fd: number, size: number): void {
    const m = this.meta;
    if (m.position.offset === size) return;
    const scanner = new RecordScanner(fd, size, { name: this.journal, from: m.position.offset > FILE_HEADER_SIZE ? m.position : undefined });
    let last = -1;
    for (let r = scanner.next(); r; r = scanner.next()) {
      this.add(r);
      last = r.offset;
    }
    if (last >= 0) m.lastRecord = { offset: last, header: recordHeaderHex(fd, last) };
    // A torn tail is not indexed: a writer cuts it off and appends where the valid records end.
    m.position = { ...scanner.position, offset: scanner.end.validEnd };
    this.lastScan = scanner.end;
  }

  private add(r: RawRecord): void {
    const kind = kindByTag(r.kind);
    if (!kind) return; // unknown kinds are skipped by readers, and not numbered
    const m = this.meta;
    const c = this.c;
    const entry = m.entries++;
    switch (kind.name) {
      case 'UpdateMemoryRegionV1': {
        const head = r.flags & FLAG_LZ4 ? lz4DecompressPrefix(r.payload, 16, `memory update at byte ${r.offset}`) : r.payload;
        if (head.length < 16) throw new JournalError('truncated', `${this.journal}: memory update at byte ${r.offset} is shorter than its fields`, r.offset);
        const v = new DataView(head.buffer, head.byteOffset, 16);
        c.pending.push(c.memOffset.length);
        c.memOffset.push(r.offset);
        c.memStart.push(Number(v.getBigUint64(0, true)));
        c.memEnd.push(Number(v.getBigUint64(8, true)));
        return;
      }
      case 'SetThreadV1': {
        const head = r.flags & FLAG_LZ4 ? lz4DecompressPrefix(r.payload, 4, `thread state at byte ${r.offset}`) : r.payload;
        if (head.length >= 4 && new DataView(head.buffer, head.byteOffset, 4).getUint32(0, true) === 0) m.pendingThread = r.offset;
        return;
      }
      case 'FdCursorsV1':
        m.pendingCursors = r.offset;
        return;
      case 'ClearEtherealV1':
        c.pending.n = 0;
        m.pendingThread = -1;
        return;
      case 'SnapshotV1':
        this.commit(entry, r.offset);
        return;
      case 'InitModuleV1':
        // A new run: memory starts over.
        m.runStart = entry;
        m.lastBoundary = entry;
        c.pending.n = 0;
        c.mapStart.n = c.mapEnd.n = c.mapRec.n = 0;
        m.pendingThread = m.pendingCursors = m.thread = m.cursors = -1;
        m.keyframe = -1;
        m.bytesSinceKeyframe = m.keyframeBytes = 0;
        m.firstSnapshotOfRun = this.snapshots;
        break;
      case 'ProcessExitV1':
        m.lastBoundary = entry;
        break;
      default:
        break;
    }
    if (EFFECT_CATEGORIES.has(kind.category)) {
      c.effOffset.push(r.offset);
      c.effEntry.push(entry);
    }
  }

  private commit(entry: number, offset: number): void {
    const m = this.meta;
    const c = this.c;
    const from = c.deltas.length;
    let bytes = 0;
    for (let i = 0; i < c.pending.length; i++) {
      const o = c.pending.get(i);
      c.deltas.push(o);
      this.mapInsert(c.memStart.get(o), c.memEnd.get(o), o);
      bytes += c.memEnd.get(o) - c.memStart.get(o);
    }
    c.pending.n = 0;
    if (m.pendingThread >= 0) m.thread = m.pendingThread;
    if (m.pendingCursors >= 0) m.cursors = m.pendingCursors;
    m.pendingThread = m.pendingCursors = -1;
    const k = this.snapshots;
    m.bytesSinceKeyframe += bytes;
    if (m.bytesSinceKeyframe * KEYFRAME_DIVISOR > Math.max(m.keyframeBytes, MIN_KEYFRAME_BYTES)) this.keyframe(k);
    c.snapEntry.push(entry);
    c.snapOffset.push(offset);
    c.snapRun.push(m.runStart);
    c.snapThread.push(m.thread);
    c.snapCursors.push(m.cursors);
    c.snapKeyframe.push(m.keyframe);
    c.snapBase.push(m.keyframe >= 0 ? c.keySnapshot.get(m.keyframe) + 1 : m.firstSnapshotOfRun);
    c.snapDeltaFrom.push(from);
    c.snapDeltaTo.push(c.deltas.length);
  }

  /** A keyframe at snapshot `k`: the records that hold the newest bytes of some address. */
  private keyframe(k: number): void {
    const m = this.meta;
    const c = this.c;
    const live = Array.from(c.mapRec.view()).sort((a, b) => a - b);
    const from = c.keyLive.length;
    let bytes = 0;
    for (let i = 0; i < live.length; i++) {
      if (i > 0 && live[i] === live[i - 1]) continue;
      c.keyLive.push(live[i]);
      bytes += c.memEnd.get(live[i]) - c.memStart.get(live[i]);
    }
    c.keySnapshot.push(k);
    c.keyFrom.push(from);
    c.keyTo.push(c.keyLive.length);
    m.keyframe = c.keySnapshot.length - 1;
    m.keyframeBytes = bytes;
    m.bytesSinceKeyframe = 0;
  }

  /** Records that update [s, e) hold its newest bytes: the address map's sorted, disjoint ranges are cut around it. */
  private mapInsert(s: number, e: number, rec: number): void {
    if (e <= s) return;
    const starts = this.c.mapStart;
    const ends = this.c.mapEnd;
    const recs = this.c.mapRec;
    const n = ends.length;
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ends.get(mid) <= s) lo = mid + 1;
      else hi = mid;
    }
    // Ranges [lo, j) overlap [s, e).
    let j = lo;
    while (j < n && starts.get(j) < e) j++;
    const add: [number, number, number][] = [];
    if (lo < j && starts.get(lo) < s) add.push([starts.get(lo), s, recs.get(lo)]);
    add.push([s, e, rec]);
    if (lo < j && ends.get(j - 1) > e) add.push([e, ends.get(j - 1), recs.get(j - 1)]);
    spliceColumns([starts, ends, recs], lo, j - lo, add);
  }

  // ---- the index file ----

  private static load(journal: string, fd: number, size: number, headerCrc: number): SnapshotIndex | undefined {
    let buf: Buffer;
    try {
      buf = fs.readFileSync(SnapshotIndex.pathFor(journal));
    } catch {
      return undefined;
    }
    const parsed = parseIndexFile(buf);
    if (!parsed) return undefined;
    const { meta, columns } = parsed;
    if (meta.headerCrc !== headerCrc || meta.position.offset > size) return undefined;
    if (meta.lastRecord && recordHeaderHex(fd, meta.lastRecord.offset) !== meta.lastRecord.header) return undefined;
    return new SnapshotIndex(journal, meta, columns);
  }

  /** Writes the index beside the journal (atomically); a folder that cannot be written leaves it in memory only. */
  save(): boolean {
    const target = SnapshotIndex.pathFor(this.journal);
    const tmp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.tmp`);
    try {
      fs.writeFileSync(tmp, encodeIndexFile(this.meta, this.c));
      fs.renameSync(tmp, target);
      return true;
    } catch {
      try {
        fs.unlinkSync(tmp);
      } catch {
        // never written
      }
      return false;
    }
  }
}

function spliceColumns(cols: Column[], at: number, remove: number, add: [number, number, number][]): void {
  for (let ci = 0; ci < cols.length; ci++) {
    const col = cols[ci];
    const delta = add.length - remove;
    if (delta > 0) for (let k = 0; k < delta; k++) col.push(0);
    const a = col.a;
    // Move the tail, then write the new values.
    a.copyWithin(at + add.length, at + remove, col.n - (delta > 0 ? delta : 0));
    if (delta < 0) col.n += delta;
    for (let k = 0; k < add.length; k++) a[at + k] = add[k][ci];
  }
}

function readHeaderCrc(fd: number, size: number): number {
  if (size < FILE_HEADER_SIZE) return 0;
  const b = Buffer.alloc(4);
  fs.readSync(fd, b, 0, 4, 28);
  return b.readUInt32LE(0);
}

function recordHeaderHex(fd: number, offset: number): string {
  const b = Buffer.alloc(RECORD_HEADER_SIZE);
  const n = fs.readSync(fd, b, 0, RECORD_HEADER_SIZE, offset);
  return b.subarray(0, n).toString('hex');
}

// Layout: magic (8), version (u32), meta length (u32), meta JSON (padded to 8), then each column as its length
// (f64) and its doubles, in COLUMNS order; a CRC32C of everything before it (u32) ends the file.
function encodeIndexFile(meta: Meta, cols: Record<ColumnName, Column>): Buffer {
  const metaBytes = Buffer.from(JSON.stringify(meta), 'utf8');
  const metaPadded = (metaBytes.length + 7) & ~7;
  let size = 16 + metaPadded;
  for (const n of COLUMNS) size += 8 + cols[n].length * 8;
  const ab = new ArrayBuffer(size + 4);
  const b = Buffer.from(ab);
  INDEX_MAGIC.copy(b, 0);
  b.writeUInt32LE(INDEX_VERSION, 8);
  b.writeUInt32LE(metaBytes.length, 12);
  metaBytes.copy(b, 16);
  let at = 16 + metaPadded;
  const f64 = new Float64Array(ab, 0, size >>> 3);
  for (const n of COLUMNS) {
    const col = cols[n];
    f64[at >>> 3] = col.length;
    f64.set(col.view(), (at >>> 3) + 1);
    at += 8 + col.length * 8;
  }
  b.writeUInt32LE(crc32c(b.subarray(0, size)), size);
  return b;
}

function parseIndexFile(b: Buffer): { meta: Meta; columns: Record<ColumnName, Float64Array> } | undefined {
  if (b.length < 20 || !b.subarray(0, 8).equals(INDEX_MAGIC) || b.readUInt32LE(8) !== INDEX_VERSION) return undefined;
  if (b.readUInt32LE(b.length - 4) !== crc32c(b.subarray(0, b.length - 4))) return undefined;
  const metaLen = b.readUInt32LE(12);
  if (16 + metaLen > b.length - 4) return undefined;
  let meta: Meta;
  try {
    meta = JSON.parse(b.subarray(16, 16 + metaLen).toString('utf8')) as Meta;
  } catch {
    return undefined;
  }
  // Doubles are read from an aligned copy (a Buffer's bytes may start anywhere in its pool).
  const body = new Float64Array((b.length - 4) >>> 3);
  new Uint8Array(body.buffer).set(b.subarray(0, body.length * 8));
  let at = (16 + metaLen + 7) >>> 3;
  const columns = {} as Record<ColumnName, Float64Array>;
  for (const n of COLUMNS) {
    if (at >= body.length) return undefined;
    const len = body[at];
    if (!Number.isInteger(len) || len < 0 || at + 1 + len > body.length) return undefined;
    columns[n] = body.slice(at + 1, at + 1 + len);
    at += 1 + len;
  }
  return { meta, columns };
}
