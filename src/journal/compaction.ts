// Compaction: which entries of a journal can go without changing what a restore brings back (state.ts), and the
// merged memory that replaces the memory updates. Like Wasmer, compaction never edits a log: it replays the old
// journal through the plan into a new one. Beyond Wasmer:
//  - memory: every update committed by the last snapshot is replaced by the newest bytes of each address, with
//    overlapping and adjacent regions merged (Wasmer only drops identical ranges);
//  - files: a write whose bytes are all overwritten later, or cut by a later truncation, or that went to a file that
//    is gone, is dropped; descriptors opened and closed without lasting effect vanish;
//  - threads as of the last snapshot; snapshot markers but the last; last-wins for clocks, tty and chdir.
// Everything after the last snapshot is kept as it is, so compacting a prefix of a journal that is still being
// written and appending the rest restores the same state as the uncompacted journal (tested).
//
// The planner reasons about the nodes the state model builds, so both agree on which entries touch the same file.

import type { EntryByKind, JournalEntry } from './entries';
import type { FsNode } from './state';
import { StateModel } from './state';
import { IntervalSet } from './intervals';
import { SparseBytes } from './sparse-bytes';
import { FDFLAG_APPEND, OFLAG_CREATE, OFLAG_TRUNC } from './wasi-types';

/** Memory regions emitted by compaction are at most this long. */
export const MAX_MERGED_REGION = 4 * 1024 * 1024;

type ContentEvent =
  | { index: number; t: 'write'; start: number; end: number }
  | { index: number; t: 'size'; size: number } // set_size, or a truncating open (size 0)
  | { index: number; t: 'allocate' }
  | { index: number; t: 'observe' } // reads the size: seek from the end, append-mode write
  | { index: number; t: 'times' };

interface NodeInfo {
  events: ContentEvent[];
  /** Opens and path operations that reached this node, in order (sessions' own reads and writes excluded). */
  touches: { index: number; truncCreate: boolean }[];
}

interface Session {
  fd: number;
  node: FsNode | undefined;
  openIndex: number;
  /** The open made the file (CREATE on a missing path). */
  created: boolean;
  /** The open truncated the file. */
  truncated: boolean;
  /** The open was the model's first sight of the file. */
  discovered: boolean;
  /** seek-abs/seek-rel/write move the cursor; content: set-size, allocate, set-times; local: flags and rights. */
  events: { index: number; t: 'seek-abs' | 'seek-rel' | 'write' | 'content' | 'local' | 'close' }[];
  closed: boolean;
  /** Never drop anything of this session (duplicated, renumbered, used as a directory for paths). */
  pinned: boolean;
}

export interface CompactionPlan {
  /** drop[i] is 1 when entry i is left out. */
  drop: Uint8Array;
  entries: number;
  /** The last snapshot marker (kept), before which the merged memory goes; -1 when there is none. */
  lastSnapshot: number;
  /** The memory committed at the last snapshot, emitted as merged regions. */
  memory: SparseBytes;
}

export class CompactionPlanner {
  private readonly model = new StateModel();
  private drop = new Uint8Array(1024);
  private count = 0;
  private readonly nodes = new Map<FsNode, NodeInfo>();
  private readonly sessions = new Map<number, Session>();
  private readonly allSessions: Session[] = [];
  // Ethereal state, as indices.
  private pendingMemory: { index: number; start: number; data: Uint8Array }[] = [];
  private threadIndex = new Map<number, number>(); // committed SetThread per thread id
  private pendingThreadOps: { index: number; e: EntryByKind<'SetThreadV1'> | EntryByKind<'CloseThreadV1'> }[] = [];
  private memory = new SparseBytes();
  private lastSnapshot = -1;
  private readonly lastOf = new Map<string, number>(); // last-wins entries (clock per id, tty, chdir)
  /** Entries that made a node (mkdir, symlink) or timed one by path: dropped when the node is gone, or re-timed. */
  private readonly pathEvents: { index: number; node: FsNode; t: 'made' | 'times' }[] = [];

  /** Number of entries fed. */
  get entries(): number {
    return this.count;
  }

  private mark(i: number): void {
    this.drop[i] = 1;
  }

  private info(node: FsNode): NodeInfo {
    let n = this.nodes.get(node);
    if (!n) {
      n = { events: [], touches: [] };
      this.nodes.set(node, n);
    }
    return n;
  }

  private lastWins(key: string, i: number): void {
    const prev = this.lastOf.get(key);
    if (prev !== undefined) this.mark(prev);
    this.lastOf.set(key, i);
  }

  /** Drops the memory and thread entries waiting for a snapshot (a restart or ClearEthereal discards them). */
  private dropPending(): void {
    for (const p of this.pendingMemory) this.mark(p.index);
    for (const t of this.pendingThreadOps) this.mark(t.index);
    this.pendingMemory = [];
    this.pendingThreadOps = [];
  }

  private pin(fd: number): void {
    const s = this.sessions.get(fd);
    if (s) s.pinned = true;
  }

  private endSession(fd: number): void {
    const s = this.sessions.get(fd);
    if (s) {
      s.closed = true;
      this.sessions.delete(fd);
    }
  }

  feed(e: JournalEntry): void {
    const i = this.count++;
    if (i >= this.drop.length) {
      const d = new Uint8Array(this.drop.length * 2);
      d.set(this.drop);
      this.drop = d;
    }
    const before = e.kind === 'FileDescriptorWriteV1' || e.kind === 'FileDescriptorSeekV1' ? this.model.fds.get(e.fd) : undefined;
    const appendMode = before !== undefined && (before.desc.fsFlags & FDFLAG_APPEND) !== 0;
    this.model.apply(e);
    const fx = this.model.effect;
    switch (e.kind) {
      case 'InitModuleV1':
      case 'ProcessExitV1':
        // A restart: committed memory, threads and the last snapshot no longer matter; descriptors are closed.
        this.dropPending();
        for (const t of this.threadIndex.values()) this.mark(t);
        if (this.lastSnapshot >= 0) this.mark(this.lastSnapshot);
        this.threadIndex.clear();
        this.memory = new SparseBytes();
        this.lastSnapshot = -1;
        // The restart resets clocks, tty and the working directory too.
        for (const idx of this.lastOf.values()) this.mark(idx);
        this.lastOf.clear();
        for (const fd of [...this.sessions.keys()]) this.endSession(fd);
        return;
      case 'ClearEtherealV1':
        // What it clears is dropped, so it has nothing left to clear.
        this.dropPending();
        this.mark(i);
        return;
      case 'UpdateMemoryRegionV1':
        this.pendingMemory.push({ index: i, start: Number(e.region.start), data: e.data });
        return;
      case 'SetThreadV1':
      case 'CloseThreadV1':
        this.pendingThreadOps.push({ index: i, e });
        return;
      case 'SnapshotV1':
        for (const p of this.pendingMemory) {
          this.memory.write(p.start, p.data);
          this.mark(p.index);
        }
        for (const { index, e: t } of this.pendingThreadOps) {
          const prev = this.threadIndex.get(t.id);
          if (prev !== undefined) this.mark(prev);
          if (t.kind === 'SetThreadV1') this.threadIndex.set(t.id, index);
          else {
            this.threadIndex.delete(t.id);
            this.mark(index);
          }
        }
        this.pendingMemory = [];
        this.pendingThreadOps = [];
        if (this.lastSnapshot >= 0) this.mark(this.lastSnapshot);
        this.lastSnapshot = i;
        return;
      case 'SetClockTimeV1':
        return this.lastWins(`clock:${e.clock_id}`, i);
      case 'TtySetV1':
        return this.lastWins('tty', i);
      case 'ChangeDirectoryV1':
        return this.lastWins('chdir', i);

      case 'OpenFileDescriptorV1':
      case 'OpenFileDescriptorV2': {
        this.pin(e.dirfd);
        this.endSession(e.fd);
        const s: Session = {
          fd: e.fd,
          node: fx.node,
          openIndex: i,
          created: fx.created,
          truncated: (e.o_flags & OFLAG_TRUNC) !== 0,
          discovered: fx.discovered,
          events: [],
          closed: false,
          pinned: false,
        };
        this.sessions.set(e.fd, s);
        this.allSessions.push(s);
        if (fx.node) {
          const info = this.info(fx.node);
          if (s.truncated) info.events.push({ index: i, t: 'size', size: 0 });
          info.touches.push({ index: i, truncCreate: (e.o_flags & (OFLAG_CREATE | OFLAG_TRUNC)) === (OFLAG_CREATE | OFLAG_TRUNC) });
        }
        return;
      }
      case 'CloseFileDescriptorV1': {
        const s = this.sessions.get(e.fd);
        if (s) {
          s.events.push({ index: i, t: 'close' });
          this.endSession(e.fd);
        }
        return;
      }
      case 'RenumberFileDescriptorV1':
        this.pin(e.old_fd);
        this.pin(e.new_fd);
        this.endSession(e.new_fd);
        if (this.sessions.has(e.old_fd)) {
          const s = this.sessions.get(e.old_fd)!;
          this.sessions.delete(e.old_fd);
          this.sessions.set(e.new_fd, s);
        }
        return;
      case 'DuplicateFileDescriptorV1':
      case 'DuplicateFileDescriptorV2':
        this.pin(e.original_fd);
        this.pin(e.copied_fd);
        this.endSession(e.copied_fd);
        return;
      // Node events are recorded whichever descriptor they come through (a duplicate has no session of its own):
      // what reads or changes a file matters to every other descriptor of it.
      case 'FileDescriptorSeekV1': {
        if (e.whence === 'End' && before?.node) this.info(before.node).events.push({ index: i, t: 'observe' });
        this.sessions.get(e.fd)?.events.push({ index: i, t: e.whence === 'Set' ? 'seek-abs' : 'seek-rel' });
        return;
      }
      case 'FileDescriptorWriteV1': {
        if (!fx.node) return;
        const s = this.sessions.get(e.fd);
        s?.events.push({ index: i, t: 'write' });
        const info = this.info(fx.node);
        if (appendMode) info.events.push({ index: i, t: 'observe' });
        const start = Number(e.offset);
        info.events.push({ index: i, t: 'write', start, end: start + e.data.length });
        return;
      }
      case 'FileDescriptorSetSizeV1':
      case 'FileDescriptorAllocateV1':
      case 'FileDescriptorSetTimesV1': {
        if (!fx.node) return;
        this.sessions.get(e.fd)?.events.push({ index: i, t: 'content' });
        const ev: ContentEvent =
          e.kind === 'FileDescriptorSetSizeV1'
            ? { index: i, t: 'size', size: Number(e.st_size) }
            : { index: i, t: e.kind === 'FileDescriptorAllocateV1' ? 'allocate' : 'times' };
        this.info(fx.node).events.push(ev);
        return;
      }
      case 'FileDescriptorAdviseV1':
        this.mark(i); // a hint without lasting state
        return;
      case 'FileDescriptorSetFlagsV1':
      case 'FileDescriptorSetFdFlagsV1':
      case 'FileDescriptorSetRightsV1': {
        const s = this.sessions.get(e.fd);
        if (s) s.events.push({ index: i, t: 'local' });
        return;
      }
      case 'PathSetTimesV1':
        this.pin(e.fd);
        if (fx.node) this.info(fx.node).touches.push({ index: i, truncCreate: false });
        if (fx.node) {
          this.info(fx.node).events.push({ index: i, t: 'times' });
          this.pathEvents.push({ index: i, node: fx.node, t: 'times' });
        }
        return;
      case 'CreateDirectoryV1':
      case 'CreateSymbolicLinkV1':
        this.pin(e.fd);
        if (fx.node) this.pathEvents.push({ index: i, node: fx.node, t: 'made' });
        return;
      case 'RemoveDirectoryV1':
      case 'UnlinkFileV1':
        this.pin(e.fd);
        if (fx.node) this.info(fx.node).touches.push({ index: i, truncCreate: false });
        return;
      case 'CreateHardLinkV1':
      case 'PathRenameV1':
        this.pin(e.old_fd);
        this.pin(e.new_fd);
        if (fx.node) this.info(fx.node).touches.push({ index: i, truncCreate: false });
        return;
      default:
        // Sockets, pipes, events, epoll, virtual NIC: kept as they are. A descriptor they create ends any session.
        for (const fd of createdFds(e)) this.endSession(fd);
        return;
    }
  }

  /**
   * The next open or path operation to reach the file after `after` creates and truncates it, and nothing read the
   * file's size in between (an append-mode write or a seek from the end through another descriptor puts that
   * size into a cursor, so what happened to the size before still matters).
   */
  private nextTouchIsTruncCreate(node: FsNode, after: number): boolean {
    const info = this.nodes.get(node);
    const next = info?.touches.find((t) => t.index > after);
    if (next === undefined || !next.truncCreate) return false;
    return !info!.events.some((ev) => ev.t === 'observe' && ev.index > after && ev.index < next.index);
  }

  /** Decides what to drop, given everything fed so far. */
  plan(): CompactionPlan {
    const drop = this.drop.slice(0, this.count);
    const refs = this.model.referenceCounts();
    const reachable = (n: FsNode | undefined): boolean => n !== undefined && refs.has(n);
    const deadWrites = new Set<number>();
    const deadContent = new Set<number>(); // size / allocate / times / truncation effects with no lasting result

    for (const [node, info] of this.nodes) {
      const gone = !reachable(node);
      // Walk back from the end, knowing what later events overwrite (covered), cut (sizes at or above `cut` are
      // gone), re-time, and whether something reads the size before the next absolute size (observed).
      const covered = new IntervalSet();
      let cut = Infinity;
      let observed = false;
      let timesLater = false;
      for (let k = info.events.length - 1; k >= 0; k--) {
        const ev = info.events[k];
        switch (ev.t) {
          case 'observe':
            observed = true;
            break;
          case 'times':
            if (gone || timesLater) deadContent.add(ev.index);
            timesLater = true;
            break;
          case 'allocate':
            if (!observed && (gone || cut !== Infinity)) deadContent.add(ev.index);
            break;
          case 'size':
            if (!observed && (gone || cut <= ev.size)) deadContent.add(ev.index);
            cut = Math.min(cut, ev.size);
            observed = false; // an absolute size hides what came before it from observers after it
            break;
          case 'write':
            if (!observed && (gone || ev.start >= cut || covered.covers(ev.start, Math.min(ev.end, cut)))) {
              deadWrites.add(ev.index);
            }
            covered.add(ev.start, ev.end);
            break;
        }
      }
    }

    for (const s of this.allSessions) {
      // Walk the session back: after a close or an absolute cursor move, earlier cursor moves do not matter.
      let cursorFree = false;
      let everyEventDead = true;
      const withSession: number[] = [];
      for (let k = s.events.length - 1; k >= 0; k--) {
        const ev = s.events[k];
        switch (ev.t) {
          case 'close':
            cursorFree = true;
            withSession.push(ev.index);
            break;
          case 'write':
            if (!s.pinned && cursorFree && deadWrites.has(ev.index)) drop[ev.index] = 1;
            else everyEventDead = false;
            cursorFree = true;
            break;
          case 'seek-abs':
          case 'seek-rel':
            if (!s.pinned && cursorFree) drop[ev.index] = 1;
            else everyEventDead = false;
            if (ev.t === 'seek-abs') cursorFree = true;
            break;
          case 'content':
            if (deadContent.has(ev.index)) drop[ev.index] = 1;
            else everyEventDead = false;
            break;
          case 'local':
            withSession.push(ev.index); // flags and rights describe the descriptor only
            break;
        }
      }
      const node = s.node;
      const gone = !reachable(node);
      // Superseded: the next thing to reach the file after this open is an open that creates and truncates it,
      // which makes whatever this open made or learned of the file irrelevant.
      const superseded = node !== undefined && this.nextTouchIsTruncCreate(node, s.openIndex);
      const openDead =
        (!s.created || gone || superseded) &&
        (!s.truncated || gone || superseded || deadContent.has(s.openIndex)) &&
        (!s.discovered || gone || superseded || (node !== undefined && this.model.isUntouchedHostNode(node, refs)));
      if (s.closed && !s.pinned && everyEventDead && openDead) {
        drop[s.openIndex] = 1;
        for (const idx of withSession) drop[idx] = 1;
      }
    }

    for (const p of this.pathEvents) {
      if (p.t === 'made' ? !reachable(p.node) : deadContent.has(p.index)) drop[p.index] = 1;
    }

    return { drop, entries: this.count, lastSnapshot: this.lastSnapshot, memory: this.memory };
  }
}

function createdFds(e: JournalEntry): number[] {
  switch (e.kind) {
    case 'SocketOpenV1':
    case 'SocketAcceptedV1':
    case 'CreateEventV1':
    case 'EpollCreateV1':
      return [e.fd];
    case 'SocketPairV1':
      return [e.fd1, e.fd2];
    case 'CreatePipeV1':
      return [e.read_fd, e.write_fd];
    default:
      return [];
  }
}

/**
 * Writes the compacted journal: the entries the plan keeps, in their order, with the merged memory just before the
 * last snapshot marker. Entries beyond the plan (written after it was made) are kept as they are.
 * Returns the number of entries written.
 */
export function writeCompacted(
  entries: Iterable<JournalEntry>,
  plan: CompactionPlan,
  write: (e: JournalEntry) => void,
): number {
  let i = 0;
  let written = 0;
  for (const e of entries) {
    if (i === plan.lastSnapshot) {
      for (const r of plan.memory.runs(MAX_MERGED_REGION)) {
        write({ kind: 'UpdateMemoryRegionV1', region: { start: BigInt(r.start), end: BigInt(r.start + r.data.length) }, data: r.data });
        written++;
      }
    }
    if (i >= plan.entries || !plan.drop[i]) {
      write(e);
      written++;
    }
    i++;
  }
  return written;
}

/** Compacts a list of entries in memory (for tests and small journals). */
export function compactEntries(entries: readonly JournalEntry[]): JournalEntry[] {
  const planner = new CompactionPlanner();
  for (const e of entries) planner.feed(e);
  const out: JournalEntry[] = [];
  writeCompacted(entries, planner.plan(), (e) => out.push(e));
  return out;
}
