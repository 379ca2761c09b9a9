// The state model: replays a journal into the state a restore brings back, following Wasmer's replay rules.
//
//  - File-system, descriptor and terminal effects apply at once, in order (files reopen with the same numbers).
//  - Memory updates and thread states are "ethereal": they wait for the next snapshot marker and are committed
//    there; whatever follows the last marker is pending and a restore drops it. ClearEthereal drops pending ones.
//  - InitModule and ProcessExit restart the process: memory, threads, snapshot, descriptors, working directory,
//    clocks and tty are reset; the file system and the terminal text stay.
//
// Files are keyed by resolved path (paths.ts). A path the journal never touched is "unknown" (whatever the host
// folder holds); the model never reads the host, so a file first seen without being created is based on the host's
// bytes ("host"), one created without EXCL or TRUNC on "host or empty". Compaction is checked against this model:
// restoring from a compacted journal must give the same canonical state as restoring from the original.

import { createHash } from 'node:crypto';
import { encodePayload } from './codec';
import type { EntryByKind, JournalEntry } from './entries';
import { isUnder, rebase, resolveKey, rootKey } from './paths';
import { SparseBytes } from './sparse-bytes';
import { FDFLAG_APPEND, OFLAG_CREATE, OFLAG_DIRECTORY, OFLAG_EXCL, OFLAG_TRUNC } from './wasi-types';
import type { ExitCode } from './schema';

export type FileBase = 'host' | 'host-or-empty' | 'empty';

export interface FileNode {
  type: 'file';
  base: FileBase;
  /** Where the host bytes of a host-based file came from (its key when first seen). */
  origin: string | undefined;
  content: SparseBytes;
  /** Size when known; undefined while it depends on the host. */
  size: number | undefined;
  /** At least this long (writes past the host's unknown end). */
  minSize: number;
  times: string | undefined;
}

export interface DirNode {
  type: 'dir';
  base: 'host' | 'empty';
  origin: string | undefined;
  times: string | undefined;
}

export interface SymlinkNode {
  type: 'symlink';
  target: string;
  times: string | undefined;
}

/** Something the host had at a path, of a type the journal never revealed (renamed, linked or touched). */
export interface HostEntryNode {
  type: 'host-entry';
  origin: string;
  times: string | undefined;
}

export type FsNode = FileNode | DirNode | SymlinkNode | HostEntryNode;

/** What the last applied entry touched, for compaction (which reasons about the same nodes the model builds). */
export interface Effect {
  /** The node the entry acted on (opened, written, linked, renamed, timed...). */
  node: FsNode | undefined;
  /** The entry made this node (an open that created the file, mkdir, symlink), or made sure it exists. */
  created: boolean;
  /** The entry met this node for the first time, so the model learned the host had it. */
  discovered: boolean;
}

/** An open file description: shared by descriptors duplicated from one another. */
export interface Description {
  cursor: number | undefined;
  fsFlags: number;
  rightsBase: bigint;
  rightsInheriting: bigint;
}

export type FdKind = 'stdin' | 'stdout' | 'stderr' | 'file' | 'dir' | 'root' | 'other';

export interface FdState {
  kind: FdKind;
  /** Resolved key of what was opened (root key for preopens). */
  key: string;
  node: FsNode | undefined;
  desc: Description;
  fdFlags: number;
}

export interface SnapshotMark {
  index: number;
  when: { secs_since_epoch: bigint; nanos_since_epoch: number };
  trigger: string;
  /** Bytes of memory committed by this snapshot. */
  memoryBytes: number;
}

function hostFile(origin: string): FileNode {
  return { type: 'file', base: 'host', origin, content: new SparseBytes(), size: undefined, minSize: 0, times: undefined };
}

function hostDir(origin: string): DirNode {
  return { type: 'dir', base: 'host', origin, times: undefined };
}

/** A host node whose contents the journal did not change (its times may have). */
function isUnchangedHost(n: FsNode): boolean {
  if (n.type === 'file') return n.base === 'host' && n.content.isEmpty && n.size === undefined && n.minSize === 0;
  return n.type === 'host-entry' || (n.type === 'dir' && n.base === 'host');
}

/** A host node the journal only looked at: it prints like a path the journal never touched. */
function isPristine(n: FsNode, key: string): boolean {
  if (n.times !== undefined) return false;
  if (n.type === 'file') return n.base === 'host' && n.origin === key && n.content.isEmpty && n.size === undefined && n.minSize === 0;
  if (n.type === 'dir') return n.base === 'host' && n.origin === key;
  if (n.type === 'host-entry') return n.origin === key;
  return false;
}

function newDesc(): Description {
  return { cursor: 0, fsFlags: 0, rightsBase: 0n, rightsInheriting: 0n };
}

function initialFds(): Map<number, FdState> {
  const m = new Map<number, FdState>();
  (['stdin', 'stdout', 'stderr'] as const).forEach((kind, fd) =>
    m.set(fd, { kind, key: kind, node: undefined, desc: newDesc(), fdFlags: 0 }),
  );
  return m;
}

export class StateModel {
  // Immediate state.
  readonly paths = new Map<string, FsNode | 'absent'>();
  fds = initialFds();
  /** Terminal text, as written: a run of consecutive writes to the same stream is one element. */
  readonly terminal: { fd: 1 | 2; chunks: Uint8Array[] }[] = [];
  cwd: string | undefined;
  clocks = new Map<string, bigint>();
  tty: EntryByKind<'TtySetV1'> | undefined;
  moduleHash: Uint8Array | undefined;
  exitCode: ExitCode | null | undefined;
  /** Entries the model keeps verbatim (sockets, pipes, events, epoll, virtual NIC, writes to foreign descriptors). */
  readonly other: JournalEntry[] = [];

  // Committed ethereal state.
  memory = new SparseBytes();
  threads = new Map<number, EntryByKind<'SetThreadV1'>>();
  lastSnapshot: SnapshotMark | undefined;
  /** Every snapshot marker seen, with the memory it committed (the history, not reset by restarts). */
  readonly snapshots: SnapshotMark[] = [];

  // Pending ethereal state.
  private pending: JournalEntry[] = [];
  private index = 0;
  /** What the last applied entry touched. */
  effect: Effect = { node: undefined, created: false, discovered: false };

  /** Applies every entry. */
  static replay(entries: Iterable<JournalEntry>): StateModel {
    const s = new StateModel();
    for (const e of entries) s.apply(e);
    return s;
  }

  /** The number of entries applied so far. */
  get applied(): number {
    return this.index;
  }

  private dirKey(fd: number): string {
    const f = this.fds.get(fd);
    if (f && (f.kind === 'dir' || f.kind === 'root')) return f.key;
    return rootKey(fd);
  }

  private resolve(fd: number, path: string): string {
    return resolveKey(this.dirKey(fd), path);
  }

  /**
   * The node at `key`; a path the journal has not seen yet is something the host had (the journaled call
   * succeeded), which is `discovered`. A host entry of unknown type opened as a file or folder learns its type.
   */
  private nodeAt(key: string, as: 'file' | 'dir' | 'entry'): FsNode {
    const n = this.paths.get(key);
    if (n && n !== 'absent') {
      if (n.type === 'host-entry' && as !== 'entry') {
        const learned = as === 'file' ? hostFile(n.origin) : hostDir(n.origin);
        learned.times = n.times;
        this.effect.discovered = true;
        return Object.assign(n as FsNode, learned);
      }
      return n;
    }
    const node: FsNode = as === 'file' ? hostFile(key) : as === 'dir' ? hostDir(key) : { type: 'host-entry', origin: key, times: undefined };
    this.paths.set(key, node);
    this.effect.discovered = true;
    return node;
  }

  /** Marks `key` and everything under it absent (unlink, rmdir, or replaced by a rename). */
  private remove(key: string): void {
    for (const k of [...this.paths.keys()]) if (isUnder(k, key) && k !== key) this.paths.delete(k);
    this.paths.set(key, 'absent');
  }

  private resetProcess(): void {
    this.memory = new SparseBytes();
    this.threads = new Map();
    this.lastSnapshot = undefined;
    this.pending = [];
    this.fds = initialFds();
    this.cwd = undefined;
    this.clocks = new Map();
    this.tty = undefined;
  }

  private fileWrite(node: FileNode, offset: number, data: Uint8Array): void {
    node.content.write(offset, data);
    const end = offset + data.length;
    if (node.size !== undefined) node.size = Math.max(node.size, end);
    else node.minSize = Math.max(node.minSize, end);
  }

  private setSize(node: FileNode, size: number): void {
    node.content.truncate(size);
    node.size = size;
    node.minSize = 0;
    if (size === 0) {
      node.base = 'empty';
      node.origin = undefined;
    }
  }

  private commitPending(): number {
    let bytes = 0;
    for (const e of this.pending) {
      if (e.kind === 'UpdateMemoryRegionV1') {
        this.memory.write(Number(e.region.start), e.data);
        bytes += e.data.length;
      } else if (e.kind === 'SetThreadV1') this.threads.set(e.id, e);
      else if (e.kind === 'CloseThreadV1') this.threads.delete(e.id);
    }
    this.pending = [];
    return bytes;
  }

  apply(e: JournalEntry): void {
    this.effect = { node: undefined, created: false, discovered: false };
    this.applyEntry(e, this.index++);
  }

  private applyEntry(e: JournalEntry, index: number): void {
    switch (e.kind) {
      case 'InitModuleV1':
        this.resetProcess();
        this.moduleHash = e.wasm_hash;
        this.exitCode = undefined;
        return;
      case 'ProcessExitV1':
        this.resetProcess();
        this.exitCode = e.exit_code;
        return;
      case 'ClearEtherealV1':
        this.pending = [];
        return;
      case 'UpdateMemoryRegionV1':
      case 'SetThreadV1':
      case 'CloseThreadV1':
        this.pending.push(e);
        return;
      case 'SnapshotV1': {
        const memoryBytes = this.commitPending();
        const mark = { index, when: e.when, trigger: e.trigger, memoryBytes };
        this.lastSnapshot = mark;
        this.snapshots.push(mark);
        return;
      }
      case 'SetClockTimeV1':
        this.clocks.set(e.clock_id, e.time);
        return;
      case 'TtySetV1':
        this.tty = e;
        return;
      case 'ChangeDirectoryV1':
        this.cwd = e.path;
        return;

      case 'OpenFileDescriptorV1':
      case 'OpenFileDescriptorV2': {
        const key = this.resolve(e.dirfd, e.path);
        const existing = this.paths.get(key);
        let node: FsNode;
        if (e.o_flags & OFLAG_DIRECTORY) node = this.nodeAt(key, 'dir');
        else if (e.o_flags & OFLAG_CREATE && (existing === undefined || existing === 'absent')) {
          const base: FileBase = existing === 'absent' || e.o_flags & (OFLAG_EXCL | OFLAG_TRUNC) ? 'empty' : 'host-or-empty';
          node = { type: 'file', base, origin: base === 'empty' ? undefined : key, content: new SparseBytes(), size: base === 'empty' ? 0 : undefined, minSize: 0, times: undefined };
          this.paths.set(key, node);
          this.effect.created = true;
        } else {
          node = this.nodeAt(key, 'file');
          // "Host bytes, or empty if the host had none" is what CREATE makes of any host file: once CREATE has run,
          // whether the model had seen the file before no longer matters.
          if (e.o_flags & OFLAG_CREATE && node.type === 'file' && node.base === 'host') {
            node.base = 'host-or-empty';
            this.effect.created = true;
          }
        }
        this.effect.node = node;
        if (node.type === 'file' && e.o_flags & OFLAG_TRUNC) {
          node.base = 'empty';
          node.origin = undefined;
          this.setSize(node, 0);
        }
        const desc = { ...newDesc(), fsFlags: e.fs_flags, rightsBase: e.fs_rights_base, rightsInheriting: e.fs_rights_inheriting };
        this.fds.set(e.fd, {
          kind: node.type === 'dir' ? 'dir' : 'file',
          key,
          node,
          desc,
          fdFlags: e.kind === 'OpenFileDescriptorV2' ? e.fd_flags : 0,
        });
        return;
      }
      case 'CloseFileDescriptorV1':
        this.fds.delete(e.fd);
        return;
      case 'RenumberFileDescriptorV1': {
        if (e.old_fd === e.new_fd) return;
        const f = this.fds.get(e.old_fd) ?? this.rootFd(e.old_fd);
        this.fds.delete(e.old_fd);
        this.fds.set(e.new_fd, f);
        return;
      }
      case 'DuplicateFileDescriptorV1':
      case 'DuplicateFileDescriptorV2': {
        const f = this.fds.get(e.original_fd) ?? this.rootFd(e.original_fd);
        const fdFlags = e.kind === 'DuplicateFileDescriptorV2' && e.cloexec ? 1 : 0;
        this.fds.set(e.copied_fd, { ...f, fdFlags });
        return;
      }
      case 'FileDescriptorSeekV1': {
        const f = this.fds.get(e.fd);
        if (!f) return this.keepOther(e);
        const d = f.desc;
        const off = Number(e.offset);
        if (e.whence === 'Set') d.cursor = off;
        else if (e.whence === 'Cur') d.cursor = d.cursor === undefined ? undefined : d.cursor + off;
        else if (e.whence === 'End') {
          const size = f.node?.type === 'file' ? f.node.size : undefined;
          d.cursor = size === undefined ? undefined : size + off;
        }
        return;
      }
      case 'FileDescriptorWriteV1': {
        const f = this.fds.get(e.fd);
        if (!f || f.kind === 'stdin' || f.kind === 'other' || f.kind === 'root' || f.kind === 'dir') return this.keepOther(e);
        if (f.kind === 'stdout' || f.kind === 'stderr') {
          const stream = f.kind === 'stdout' ? 1 : 2;
          const last = this.terminal[this.terminal.length - 1];
          if (last && last.fd === stream) last.chunks.push(e.data);
          else this.terminal.push({ fd: stream, chunks: [e.data] });
          return;
        }
        const node = f.node as FileNode;
        this.effect.node = node;
        this.fileWrite(node, Number(e.offset), e.data);
        f.desc.cursor = f.desc.fsFlags & FDFLAG_APPEND ? node.size : Number(e.offset) + e.data.length;
        return;
      }
      case 'FileDescriptorSetFlagsV1': {
        const f = this.fds.get(e.fd);
        if (!f) return this.keepOther(e);
        f.desc.fsFlags = e.flags;
        return;
      }
      case 'FileDescriptorSetFdFlagsV1': {
        const f = this.fds.get(e.fd);
        if (!f) return this.keepOther(e);
        f.fdFlags = e.flags;
        return;
      }
      case 'FileDescriptorSetRightsV1': {
        const f = this.fds.get(e.fd);
        if (!f) return this.keepOther(e);
        f.desc.rightsBase = e.fs_rights_base;
        f.desc.rightsInheriting = e.fs_rights_inheriting;
        return;
      }
      case 'FileDescriptorSetSizeV1': {
        const f = this.fds.get(e.fd);
        if (f?.node?.type !== 'file') return this.keepOther(e);
        this.effect.node = f.node;
        this.setSize(f.node, Number(e.st_size));
        return;
      }
      case 'FileDescriptorAllocateV1': {
        const f = this.fds.get(e.fd);
        if (f?.node?.type !== 'file') return this.keepOther(e);
        this.effect.node = f.node;
        const end = Number(e.offset + e.len);
        if (f.node.size !== undefined) f.node.size = Math.max(f.node.size, end);
        else f.node.minSize = Math.max(f.node.minSize, end);
        return;
      }
      case 'FileDescriptorSetTimesV1': {
        const f = this.fds.get(e.fd);
        if (!f?.node) return this.keepOther(e);
        this.effect.node = f.node;
        f.node.times = `${e.st_atim}/${e.st_mtim}/${e.fst_flags}`;
        return;
      }
      case 'FileDescriptorAdviseV1':
        return; // a hint: no lasting state

      case 'CreateDirectoryV1': {
        const key = this.resolve(e.fd, e.path);
        this.remove(key);
        const node: DirNode = { type: 'dir', base: 'empty', origin: undefined, times: undefined };
        this.paths.set(key, node);
        this.effect = { node, created: true, discovered: false };
        return;
      }
      case 'RemoveDirectoryV1':
      case 'UnlinkFileV1': {
        const key = this.resolve(e.fd, e.path);
        const n = this.paths.get(key);
        if (n !== 'absent') this.effect.node = n;
        this.remove(key);
        return;
      }
      case 'PathSetTimesV1': {
        const node = this.nodeAt(this.resolve(e.fd, e.path), 'entry');
        this.effect.node = node;
        node.times = `${e.st_atim}/${e.st_mtim}/${e.fst_flags}`;
        return;
      }
      case 'CreateHardLinkV1': {
        const from = this.resolve(e.old_fd, e.old_path);
        const node = this.nodeAt(from, 'file');
        this.effect.node = node;
        this.paths.set(this.resolve(e.new_fd, e.new_path), node);
        return;
      }
      case 'CreateSymbolicLinkV1': {
        const key = this.resolve(e.fd, e.new_path);
        this.remove(key);
        const node: SymlinkNode = { type: 'symlink', target: e.old_path, times: undefined };
        this.paths.set(key, node);
        this.effect = { node, created: true, discovered: false };
        return;
      }
      case 'PathRenameV1': {
        const from = this.resolve(e.old_fd, e.old_path);
        const to = this.resolve(e.new_fd, e.new_path);
        if (from === to) return;
        const node = this.nodeAt(from, 'entry');
        this.effect.node = node;
        const moved: [string, FsNode | 'absent'][] = [];
        for (const [k, v] of this.paths) if (isUnder(k, from) && k !== from) moved.push([rebase(k, from, to), v]);
        this.remove(from);
        this.remove(to);
        this.paths.set(to, node);
        for (const [k, v] of moved) this.paths.set(k, v);
        for (const f of this.fds.values()) {
          if ((f.kind === 'dir' || f.kind === 'root') && isUnder(f.key, from)) f.key = rebase(f.key, from, to);
        }
        return;
      }

      case 'SocketOpenV1':
      case 'SocketAcceptedV1':
      case 'CreateEventV1':
      case 'EpollCreateV1':
        this.fds.set(e.fd, this.otherFd());
        return this.keepOther(e);
      case 'SocketPairV1':
        this.fds.set(e.fd1, this.otherFd());
        this.fds.set(e.fd2, this.otherFd());
        return this.keepOther(e);
      case 'CreatePipeV1':
        this.fds.set(e.read_fd, this.otherFd());
        this.fds.set(e.write_fd, this.otherFd());
        return this.keepOther(e);
      default:
        return this.keepOther(e);
    }
  }

  private rootFd(fd: number): FdState {
    return { kind: 'root', key: rootKey(fd), node: undefined, desc: newDesc(), fdFlags: 0 };
  }

  private otherFd(): FdState {
    return { kind: 'other', key: 'other', node: undefined, desc: newDesc(), fdFlags: 0 };
  }

  private keepOther(e: JournalEntry): void {
    this.other.push(e);
  }

  /** How many paths and descriptors refer to each node. */
  referenceCounts(): Map<FsNode, number> {
    const refs = new Map<FsNode, number>();
    for (const v of this.paths.values()) if (v !== 'absent') refs.set(v, (refs.get(v) ?? 0) + 1);
    for (const f of this.fds.values()) if (f.node) refs.set(f.node, (refs.get(f.node) ?? 0) + 1);
    return refs;
  }

  /** True when `node` is a host node the journal only looked at, still at its own path and referred to only there. */
  isUntouchedHostNode(node: FsNode, refs: Map<FsNode, number>): boolean {
    if (refs.get(node) !== 1 || node.type === 'symlink') return false;
    const key = node.origin;
    return key !== undefined && this.paths.get(key) === node && isPristine(node, key);
  }

  /** The memory image committed at the last snapshot. */
  get committedMemory(): SparseBytes {
    return this.memory;
  }

  /** stdout and stderr text as one stream, in the order it was written. */
  terminalText(): Buffer {
    return Buffer.concat(this.terminal.flatMap((t) => t.chunks));
  }

  /**
   * A canonical text of the restorable state: equal texts mean equal restores. Readable in test failures; binary
   * data is summarised by length and hash.
   */
  canonical(): string {
    const out: string[] = [];
    const h = (b: Uint8Array): string => createHash('sha1').update(b).digest('hex').slice(0, 16);
    const nodeIds = new Map<FsNode, number>();
    const descIds = new Map<Description, number>();
    const nodeText = (n: FsNode | undefined): string => {
      if (!n) return '-';
      let id = nodeIds.get(n);
      const first = id === undefined;
      if (id === undefined) {
        id = nodeIds.size;
        nodeIds.set(n, id);
      }
      if (!first) return `#${id}`;
      const t = n.times ? ` times=${n.times}` : '';
      // Something of the host's that the journal did not change prints the same whatever the journal learned of
      // its type (a file opened, or only renamed or timed).
      const origin = n.type === 'symlink' ? undefined : n.origin;
      if (origin !== undefined && isUnchangedHost(n)) return `#${id} host(${origin})${t}`;
      switch (n.type) {
        case 'file': {
          const runs = [...n.content.runs()].map((r) => `${r.start}+${r.data.length}:${h(r.data)}`).join(',');
          return `#${id} file base=${n.base}${n.origin ? `(${n.origin})` : ''} size=${n.size ?? `>=${n.minSize}`} data=[${runs}]${t}`;
        }
        case 'dir':
          return `#${id} dir base=${n.base}${t}`;
        case 'symlink':
          return `#${id} symlink -> ${n.target}${t}`;
        case 'host-entry':
          return `#${id} host-entry(${n.origin})${t}`;
      }
    };
    out.push(`module: ${this.moduleHash ? Buffer.from(this.moduleHash).toString('hex') : 'none'}`);
    out.push(`exit: ${this.exitCode === undefined ? 'running' : JSON.stringify(this.exitCode)}`);
    out.push(`cwd: ${this.cwd ?? '-'}`);
    out.push(`clocks: ${[...this.clocks].sort().map(([k, v]) => `${k}=${v}`).join(',')}`);
    out.push(`tty: ${this.tty ? h(encodePayload(this.tty).payload) : '-'}`);
    // Keys under an absent directory are implied absent: leave them out so equal states print equally.
    const keys = [...this.paths.keys()].sort();
    const absentDirs = keys.filter((k) => this.paths.get(k) === 'absent');
    out.push('fs:');
    const refs = this.referenceCounts();
    for (const k of keys) {
      const v = this.paths.get(k)!;
      if (v === 'absent' && absentDirs.some((d) => d !== k && isUnder(k, d))) continue;
      if (v !== 'absent' && refs.get(v) === 1 && isPristine(v, k)) continue;
      out.push(`  ${k}: ${v === 'absent' ? 'absent' : nodeText(v)}`);
    }
    out.push('fds:');
    for (const fd of [...this.fds.keys()].sort((a, b) => a - b)) {
      const f = this.fds.get(fd)!;
      let d = descIds.get(f.desc);
      if (d === undefined) {
        d = descIds.size;
        descIds.set(f.desc, d);
      }
      const desc = f.desc;
      out.push(
        `  ${fd}: ${f.kind} ${f.key} node=${nodeText(f.node)} desc=${d}(cursor=${desc.cursor ?? '?'} flags=${desc.fsFlags} ` +
          `rights=${desc.rightsBase}/${desc.rightsInheriting}) fdflags=${f.fdFlags}`,
      );
    }
    out.push(`terminal: ${this.terminal.map((t) => Buffer.concat(t.chunks)).map((d, i) => `${this.terminal[i].fd}:${d.length}:${h(d)}`).join(' ')}`);
    out.push(`memory: ${[...this.memory.runs()].map((r) => `${r.start}+${r.data.length}:${h(r.data)}`).join(',')}`);
    out.push(`threads: ${[...this.threads.keys()].sort((a, b) => a - b).map((id) => `${id}:${h(encodePayload(this.threads.get(id)!).payload)}`).join(',')}`);
    out.push(`snapshot: ${this.lastSnapshot ? `${this.lastSnapshot.when.secs_since_epoch}.${this.lastSnapshot.when.nanos_since_epoch}/${this.lastSnapshot.trigger}` : 'none'}`);
    out.push(`other: ${this.other.map((e) => `${e.kind}:${h(encodePayload(e).payload)}`).join(' ')}`);
    return out.join('\n');
  }
}
