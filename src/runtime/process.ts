// The guest's process state and every operation that changes it: descriptors, the file system, the terminal.
// Each operation checks its arguments, does the work, and then writes its journal entry in one line at the end
// (recording is never spread through the logic). The WASI layer (wasi.ts) decodes guest memory and calls these;
// a restore (restore.ts) calls the same operations with the journal's arguments, so there is one implementation
// of each effect.

import type { JournalEntry } from '../journal/entries';
import { Descriptor, DirDesc, FdTable, FileDesc, SocketDesc, StdioDesc } from './descriptors';
import { resolvePath, type Resolved } from './vfs/resolve';
import { FsError, type Stat, type TimeSpec, type VDir, type VNode } from './vfs/types';
import {
  CLOCK, E, FDFLAG, FSTFLAG, LOOKUP_SYMLINK_FOLLOW, OFLAG, R, WHENCE,
} from './wasi-defs';
import type { TtyInfo, World } from './world';

export interface Mount {
  /** The guest path the folder appears under (fd_prestat_dir_name). */
  guestPath: string;
  root: VDir;
}

/** Where the guest's terminal output goes. */
export interface Terminal {
  /** Writes all of `data`; false when the stream is closed (the guest gets EPIPE). */
  write(stream: 1 | 2, data: Uint8Array): boolean;
}

/**
 * Where entries go: the journal while recording, a checker while replaying, nowhere while restoring.
 * Byte arrays in an entry may be views of guest memory, valid only during the call: a sink that keeps entries
 * copies them (see sinkFor).
 */
export interface EntrySink {
  write(e: JournalEntry): unknown;
}

export function copyBytes(e: JournalEntry): JournalEntry {
  const o: Record<string, unknown> = { ...e };
  for (const [k, v] of Object.entries(o)) if (v instanceof Uint8Array) o[k] = new Uint8Array(v);
  return o as unknown as JournalEntry;
}

/** The sink for a journal: itself when it encodes as it writes, else one that hands it copies. */
export function sinkFor(j: { write(e: JournalEntry): unknown; readonly encodesOnWrite?: boolean }): EntrySink {
  return j.encodesOnWrite ? j : { write: (e) => j.write(copyBytes(e)) };
}

const WHENCE_NAMES = ['Set', 'Cur', 'End'] as const;
const MAX_FILE_SIZE = Number.MAX_SAFE_INTEGER;

export class Process {
  readonly fds = new FdTable();
  /** The in-memory file system's clock (ns since the epoch): the start time, then the program's clock readings. */
  fsTimeNs: bigint;

  constructor(
    readonly world: World,
    public sink: EntrySink,
    readonly terminal: Terminal,
    readonly mounts: readonly Mount[],
    readonly tty: TtyInfo,
    startNs: bigint,
    /** The TCP sockets given to the program: [world id, bound address]. */
    readonly listeners: readonly { id: number; local: string }[] = [],
  ) {
    this.fsTimeNs = startNs;
    this.fds.add(new StdioDesc(0, tty.stdin));
    this.fds.add(new StdioDesc(1, tty.stdout));
    this.fds.add(new StdioDesc(2, tty.stderr));
    for (const m of mounts) this.fds.add(new DirDesc(m.root, m.guestPath));
    this.addListeners();
  }

  /** The given sockets go after the folders: wasi-libc looks for folders from fd 3 up to the first that is not one. */
  private readonly listenerDescs: SocketDesc[] = [];
  private addListeners(): void {
    for (const l of this.listeners) {
      const d = new SocketDesc(l.id, true, l.local, undefined, (id) => this.world.closeSocket(id));
      this.listenerDescs.push(d);
      this.fds.add(d);
    }
  }

  /** Back to a fresh process's table: stdio and the preopened folders (a journal's restart). */
  resetDescriptors(): void {
    const stdio = [0, 1, 2].map((fd) => (this.fds.has(fd) ? this.fds.get(fd) : undefined));
    // The given sockets live as long as the run: a restart of the journal's process must not close them.
    const given = new Set<Descriptor>(this.listenerDescs);
    this.fds.closeAll(given);
    stdio.forEach((d, fd) => this.fds.add(d instanceof StdioDesc ? d : new StdioDesc(fd as 0 | 1 | 2, false), fd));
    for (const m of this.mounts) this.fds.add(new DirDesc(m.root, m.guestPath));
    for (const d of this.listenerDescs) this.fds.add(d);
  }

  // ---- descriptor lookups ----

  /**
   * A regular file's descriptor for an operation that needs it opened for reading, writing or either. As in
   * wasmtime: anything else is EBADF, and so is a descriptor opened without the access needed (EINVAL for
   * truncating a read-only file, as the host says).
   */
  file(fd: number, need: 'read' | 'write' | 'size' | 'any'): FileDesc {
    const d = this.fds.get(fd);
    if (!(d instanceof FileDesc)) throw new FsError(E.BADF);
    if (need === 'read' && !d.readable) throw new FsError(E.BADF);
    if (need === 'write' && !d.writable) throw new FsError(E.BADF);
    if (need === 'size' && !d.writable) throw new FsError(E.INVAL);
    return d;
  }

  /** A directory descriptor to resolve paths from (wasmtime: EBADF for anything else). */
  dir(fd: number): DirDesc {
    const d = this.fds.get(fd);
    if (!(d instanceof DirDesc)) throw new FsError(E.BADF);
    return d;
  }

  resolve(dirfd: number, path: string, follow: boolean): Resolved {
    return resolvePath(this.dir(dirfd).dir, path, follow);
  }

  // ---- clocks and the file-system time ----

  /** The clocks wasmtime has: realtime and monotonic. The CPU-time clocks are EBADF there; others EINVAL. */
  checkClock(id: number): void {
    if (id === CLOCK.PROCESS_CPUTIME || id === CLOCK.THREAD_CPUTIME) throw new FsError(E.BADF);
    if (id !== CLOCK.REALTIME && id !== CLOCK.MONOTONIC) throw new FsError(E.INVAL);
  }

  clockTime(id: number): bigint {
    this.checkClock(id);
    const t = this.world.clockTime(id);
    if (id === CLOCK.REALTIME && t > this.fsTimeNs) this.fsTimeNs = t;
    return t;
  }

  // ---- opening and closing ----

  pathOpen(
    dirfd: number, dirflags: number, path: string, oflags: number, base: bigint, inheriting: bigint, fdflags: number,
    at?: number,
  ): number {
    const pd = this.fds.get(dirfd);
    // wasmtime answers ENOTDIR for a regular file given as the directory, EBADF for anything else.
    if (pd instanceof FileDesc) throw new FsError(E.NOTDIR);
    const parent = this.dir(dirfd);
    if (oflags & OFLAG.DIRECTORY && oflags & (OFLAG.CREAT | OFLAG.EXCL | OFLAG.TRUNC)) throw new FsError(E.INVAL);
    if (fdflags & (FDFLAG.SYNC | FDFLAG.DSYNC | FDFLAG.RSYNC)) throw new FsError(E.NOTSUP);
    // The access mode follows from the rights asked for, as in wasmtime; checked before anything is created.
    const write = (base & (R.FD_WRITE | R.FD_DATASYNC | R.FD_ALLOCATE | R.FD_FILESTAT_SET_SIZE)) !== 0n;
    const read = (base & (R.FD_READ | R.FD_READDIR)) !== 0n || !write;
    if (oflags & OFLAG.TRUNC && !write && !(oflags & OFLAG.DIRECTORY)) throw new FsError(E.INVAL);
    const r = resolvePath(parent.dir, path, (dirflags & LOOKUP_SYMLINK_FOLLOW) !== 0);
    let node: VNode | undefined = r.node;
    if (oflags & OFLAG.CREAT) {
      if (node && oflags & OFLAG.EXCL) throw new FsError(E.EXIST);
      if (!node) {
        if (r.trailingSlash || oflags & OFLAG.DIRECTORY) throw new FsError(r.trailingSlash ? E.ISDIR : E.NOENT);
        node = r.dir.createFile(r.name);
      }
    }
    if (!node) throw new FsError(E.NOENT);
    if (node.kind === 'symlink') throw new FsError(oflags & OFLAG.DIRECTORY ? E.NOTDIR : E.LOOP);
    if (oflags & OFLAG.DIRECTORY && node.kind !== 'dir') throw new FsError(E.NOTDIR);
    let d: Descriptor;
    if (node.kind === 'dir') {
      // FD_WRITE asks for a write open, which the host's open(2) of a directory refuses, OFLAGS_DIRECTORY or not
      // (wasmtime: DescriptorFlags::WRITE); FD_READ alone, or only rights that imply writing a file's metadata,
      // open it.
      if (oflags & (OFLAG.TRUNC | OFLAG.CREAT) || (base & R.FD_WRITE) !== 0n || (write && !(oflags & OFLAG.DIRECTORY))) throw new FsError(E.ISDIR);
      d = new DirDesc(node, undefined);
    } else {
      const handle = node.open({ read, write, trunc: (oflags & OFLAG.TRUNC) !== 0 });
      d = new FileDesc(node, handle, read, write, fdflags & ~FDFLAG.NONBLOCK);
    }
    const fd = this.fds.add(d, at);
    this.sink.write({
      kind: 'OpenFileDescriptorV2', fd, dirfd, dirflags, path, o_flags: oflags, fs_rights_base: base,
      fs_rights_inheriting: inheriting, fs_flags: fdflags, fd_flags: 0,
    });
    return fd;
  }

  close(fd: number): void {
    try {
      this.fds.close(fd);
    } catch (e) {
      // The number is free even when releasing reported an error (a failed earlier write): journal the close.
      if (e instanceof FsError && e.errno !== E.BADF) this.sink.write({ kind: 'CloseFileDescriptorV1', fd });
      throw e;
    }
    this.sink.write({ kind: 'CloseFileDescriptorV1', fd });
  }

  renumber(from: number, to: number): void {
    this.fds.renumber(from, to);
    this.sink.write({ kind: 'RenumberFileDescriptorV1', old_fd: from, new_fd: to });
  }

  // ---- reading and writing ----

  /** Reads into `bufs` at the cursor (or at `offset` for pread). */
  read(fd: number, bufs: Uint8Array[], offset?: number): number {
    const d = this.fds.get(fd);
    if (d instanceof SocketDesc) {
      if (offset !== undefined) throw new FsError(E.SPIPE);
      return this.sockRecv(fd, bufs).n;
    }
    if (d instanceof StdioDesc) {
      // wasmtime: stdout and stderr cannot be read at all (EBADF), stdin not at an offset (ESPIPE).
      if (d.stream !== 0) throw new FsError(E.BADF);
      if (offset !== undefined) throw new FsError(E.SPIPE);
      const first = bufs.find((x) => x.length > 0);
      if (!first) return 0;
      const data = this.world.readStdin(first.length);
      first.set(data);
      return data.length;
    }
    const f = this.file(fd, 'read');
    // Into the first non-empty buffer only, as wasmtime does (a short read; the caller asks again).
    const b = bufs.find((x) => x.length > 0);
    if (!b) return 0;
    const pos = offset ?? f.pos;
    const n = f.handle.read(pos, b);
    if (offset === undefined) f.pos = pos + n;
    return n;
  }

  /** Writes `data` at the cursor (or at `offset` for pwrite). */
  write(fd: number, data: Uint8Array, offset?: number): number {
    const d = this.fds.get(fd);
    if (d instanceof SocketDesc) {
      if (offset !== undefined) throw new FsError(E.SPIPE);
      return this.sockSend(fd, data, 0);
    }
    if (d instanceof StdioDesc) {
      // wasmtime: stdin cannot be written at all (EBADF), stdout and stderr not at an offset (ESPIPE).
      if (d.stream === 0) throw new FsError(E.BADF);
      if (offset !== undefined) throw new FsError(E.SPIPE);
      const stream = d.stream;
      if (!this.world.terminalWrite(fd, () => this.terminal.write(stream, data))) throw new FsError(E.PIPE);
      const at = d.written;
      d.written += BigInt(data.length);
      this.sink.write({ kind: 'FileDescriptorWriteV1', fd, offset: at, data, is_64bit: false });
      return data.length;
    }
    const f = this.file(fd, 'write');
    // In append mode every write goes to the end, a pwrite too (Linux's pwrite, and wasmtime's).
    const append = (f.fdflags & FDFLAG.APPEND) !== 0;
    const pos = append ? f.handle.size() : (offset ?? f.pos);
    if (pos + data.length > MAX_FILE_SIZE) throw new FsError(E.FBIG);
    const n = f.handle.write(pos, data);
    const cursorBefore = f.pos;
    if (offset === undefined) f.pos = pos + n;
    this.sink.write({ kind: 'FileDescriptorWriteV1', fd, offset: BigInt(pos), data, is_64bit: false });
    // A restore moves the cursor past each write; after a pwrite, put it back where it was.
    if (offset !== undefined) this.sink.write({ kind: 'FileDescriptorSeekV1', fd, offset: BigInt(cursorBefore), whence: 'Set' });
    return n;
  }

  /** A restored write: at the journaled offset, leaving the cursor after it (as the original write did). */
  restoreWrite(fd: number, offset: number, data: Uint8Array): void {
    const f = this.file(fd, 'write');
    f.handle.write(offset, data);
    f.pos = offset + data.length;
    this.sink.write({ kind: 'FileDescriptorWriteV1', fd, offset: BigInt(offset), data, is_64bit: false });
  }

  /** Wasmer's fd_dup: a second number for the same open description. */
  duplicate(fd: number, copy: number): void {
    this.fds.add(this.fds.get(fd), copy);
    this.sink.write({ kind: 'DuplicateFileDescriptorV1', original_fd: fd, copied_fd: copy });
  }

  seek(fd: number, offset: bigint, whence: number): bigint {
    const d = this.fds.get(fd);
    if (d instanceof StdioDesc || d instanceof SocketDesc) throw new FsError(E.SPIPE);
    if (d instanceof DirDesc) throw new FsError(E.BADF);
    const tellOnly = whence === WHENCE.CUR && offset === 0n;
    const f = this.file(fd, 'any');
    let base: bigint;
    switch (whence) {
      case WHENCE.SET: base = 0n; break;
      case WHENCE.CUR: base = BigInt(f.pos); break;
      case WHENCE.END: base = BigInt(f.handle.size()); break;
      default: throw new FsError(E.INVAL);
    }
    const next = base + offset;
    if (next < 0n) throw new FsError(E.INVAL);
    if (next > BigInt(MAX_FILE_SIZE)) throw new FsError(E.OVERFLOW);
    f.pos = Number(next);
    if (!tellOnly) this.sink.write({ kind: 'FileDescriptorSeekV1', fd, offset, whence: WHENCE_NAMES[whence] });
    return next;
  }

  // ---- descriptor settings ----

  setFdFlags(fd: number, flags: number): void {
    const d = this.fds.get(fd);
    // wasmtime: files only (get_file_mut); our sockets (WASIX) too, for NONBLOCK.
    if (!(d instanceof FileDesc || d instanceof SocketDesc)) throw new FsError(E.BADF);
    // Only APPEND and NONBLOCK can change after opening (wasmtime).
    if (flags & ~(FDFLAG.APPEND | FDFLAG.NONBLOCK)) throw new FsError(E.INVAL);
    // NONBLOCK matters for sockets only (files and the terminal never block for long).
    d.fdflags = d instanceof SocketDesc ? flags : flags & ~FDFLAG.NONBLOCK;
    this.sink.write({ kind: 'FileDescriptorSetFlagsV1', fd, flags });
  }

  /** fd_fdstat_set_rights: not supported, as in wasmtime (rights no longer change after opening). */
  setRights(fd: number): void {
    this.fds.get(fd);
    throw new FsError(E.NOTSUP);
  }

  setSize(fd: number, size: bigint): void {
    const f = this.file(fd, 'size');
    if (size > BigInt(MAX_FILE_SIZE)) throw new FsError(E.FBIG);
    f.handle.truncate(Number(size));
    this.sink.write({ kind: 'FileDescriptorSetSizeV1', fd, st_size: size });
  }

  /** fd_allocate: not supported, as in wasmtime (after the descriptor checks). */
  allocate(fd: number): void {
    this.file(fd, 'any');
    throw new FsError(E.NOTSUP);
  }

  advise(fd: number, offset: bigint, len: bigint, advice: number): void {
    this.file(fd, 'any');
    if (advice > 5) throw new FsError(E.INVAL);
    const names = ['Normal', 'Sequential', 'Random', 'Willneed', 'Dontneed', 'Noreuse'] as const;
    this.sink.write({ kind: 'FileDescriptorAdviseV1', fd, offset, len, advice: names[advice] });
  }

  sync(fd: number): void {
    this.file(fd, 'any').handle.sync();
  }

  fdStat(fd: number): Stat {
    const d = this.fds.get(fd);
    if (d instanceof FileDesc) return d.handle.stat();
    if (d instanceof DirDesc) return d.dir.stat();
    return { dev: 0n, ino: 0n, filetype: d.filetype(), nlink: 0n, size: 0n, atim: 0n, mtim: 0n, ctim: 0n };
  }

  fdSetTimes(fd: number, atim: bigint, mtim: bigint, flags: number): void {
    // A time and its _NOW flag together are EINVAL before the descriptor is looked up (wasmtime).
    const [a, m] = timeSpecs(atim, mtim, flags);
    const d = this.fds.get(fd);
    if (d instanceof FileDesc) d.handle.setTimes(a, m);
    else if (d instanceof DirDesc) d.dir.setTimes(a, m);
    else throw new FsError(E.BADF);
    this.sink.write({ kind: 'FileDescriptorSetTimesV1', fd, st_atim: atim, st_mtim: mtim, fst_flags: flags });
  }

  // ---- paths ----

  pathStat(dirfd: number, flags: number, path: string): Stat {
    const r = this.resolve(dirfd, path, (flags & LOOKUP_SYMLINK_FOLLOW) !== 0);
    if (!r.node) throw new FsError(E.NOENT);
    return r.node.stat();
  }

  pathSetTimes(dirfd: number, flags: number, path: string, atim: bigint, mtim: bigint, fstflags: number): void {
    const [a, m] = timeSpecs(atim, mtim, fstflags);
    const r = this.resolve(dirfd, path, (flags & LOOKUP_SYMLINK_FOLLOW) !== 0);
    if (!r.node) throw new FsError(E.NOENT);
    r.node.setTimes(a, m);
    this.sink.write({ kind: 'PathSetTimesV1', fd: dirfd, flags, path, st_atim: atim, st_mtim: mtim, fst_flags: fstflags });
  }

  mkdir(dirfd: number, path: string): void {
    const r = this.resolve(dirfd, path, false);
    if (r.node || r.name === '.') throw new FsError(E.EXIST);
    r.dir.mkdir(r.name);
    this.sink.write({ kind: 'CreateDirectoryV1', fd: dirfd, path });
  }

  rmdir(dirfd: number, path: string): void {
    const r = this.resolve(dirfd, path, false);
    if (r.name === '.') throw new FsError(E.INVAL);
    if (!r.node) throw new FsError(E.NOENT);
    if (r.node.kind !== 'dir') throw new FsError(E.NOTDIR);
    r.dir.rmdir(r.name);
    this.sink.write({ kind: 'RemoveDirectoryV1', fd: dirfd, path });
  }

  unlink(dirfd: number, path: string): void {
    const r = this.resolve(dirfd, path, false);
    if (!r.node) throw new FsError(E.NOENT);
    if (r.node.kind === 'dir' || r.name === '.') throw new FsError(E.ISDIR);
    if (r.trailingSlash) throw new FsError(E.NOTDIR);
    r.dir.unlink(r.name);
    this.sink.write({ kind: 'UnlinkFileV1', fd: dirfd, path });
  }

  rename(oldFd: number, oldPath: string, newFd: number, newPath: string): void {
    const from = this.resolve(oldFd, oldPath, false);
    const to = this.resolve(newFd, newPath, false);
    if (!from.node) throw new FsError(E.NOENT);
    if (from.name === '.' || to.name === '.') throw new FsError(E.BUSY);
    if (from.node.kind !== 'dir' && (from.trailingSlash || to.trailingSlash)) throw new FsError(E.NOTDIR);
    from.dir.rename(from.name, to.dir, to.name);
    this.sink.write({ kind: 'PathRenameV1', old_fd: oldFd, old_path: oldPath, new_fd: newFd, new_path: newPath });
  }

  link(oldFd: number, oldFlags: number, oldPath: string, newFd: number, newPath: string): void {
    // wasmtime refuses to follow a symlink for a hard link.
    if (oldFlags & LOOKUP_SYMLINK_FOLLOW) throw new FsError(E.INVAL);
    const from = this.resolve(oldFd, oldPath, false);
    const to = this.resolve(newFd, newPath, false);
    if (!from.node) throw new FsError(E.NOENT);
    if (from.node.kind === 'dir') throw new FsError(E.PERM);
    if (from.trailingSlash || to.trailingSlash) throw new FsError(to.node ? E.EXIST : E.NOENT);
    if (to.node || to.name === '.') throw new FsError(E.EXIST);
    to.dir.link(to.name, from.dir, from.name);
    this.sink.write({ kind: 'CreateHardLinkV1', old_fd: oldFd, old_path: oldPath, old_flags: oldFlags, new_fd: newFd, new_path: newPath });
  }

  symlink(target: string, dirfd: number, path: string): void {
    const r = this.resolve(dirfd, path, false);
    if (r.node || r.name === '.') throw new FsError(E.EXIST);
    if (r.trailingSlash) throw new FsError(E.NOENT);
    if (target.length === 0) throw new FsError(E.NOENT);
    // An absolute target could never be followed inside the sandbox; wasmtime refuses to create it.
    if (target.startsWith('/')) throw new FsError(E.PERM);
    r.dir.symlink(r.name, target);
    this.sink.write({ kind: 'CreateSymbolicLinkV1', old_path: target, fd: dirfd, new_path: path });
  }

  readlink(dirfd: number, path: string): string {
    const r = this.resolve(dirfd, path, false);
    if (!r.node) throw new FsError(E.NOENT);
    if (r.node.kind !== 'symlink') throw new FsError(E.INVAL);
    return r.node.target();
  }

  // ---- sockets ----

  private socket(fd: number, listening: boolean): SocketDesc {
    const d = this.fds.get(fd);
    if (!(d instanceof SocketDesc)) throw new FsError(E.NOTSOCK);
    if (d.listening !== listening) throw new FsError(listening ? E.INVAL : E.NOTCONN);
    return d;
  }

  sockAccept(fd: number, flags: number): number {
    const l = this.socket(fd, true);
    if (flags & ~FDFLAG.NONBLOCK) throw new FsError(E.INVAL);
    const c = this.world.accept(l.id, (l.fdflags & FDFLAG.NONBLOCK) === 0);
    const nfd = this.fds.add(new SocketDesc(c.id, false, c.local, c.peer, (id) => this.world.closeSocket(id), flags & FDFLAG.NONBLOCK));
    this.sink.write({
      kind: 'SocketAcceptedV1', listen_fd: fd, fd: nfd, local_addr: c.local, peer_addr: c.peer, fd_flags: flags,
      non_blocking: (flags & FDFLAG.NONBLOCK) !== 0,
    });
    return nfd;
  }

  /** Receives into the buffers in order; `peek` and `waitall` flags are not supported. */
  sockRecv(fd: number, bufs: Uint8Array[]): { n: number } {
    const c = this.socket(fd, false);
    const want = bufs.reduce((n, b) => n + b.length, 0);
    if (want === 0) return { n: 0 };
    const data = this.world.recv(c.id, want, (c.fdflags & FDFLAG.NONBLOCK) === 0);
    let p = 0;
    for (const b of bufs) {
      if (p >= data.length) break;
      const k = Math.min(b.length, data.length - p);
      b.set(data.subarray(p, p + k));
      p += k;
    }
    return { n: data.length };
  }

  sockSend(fd: number, data: Uint8Array, flags: number): number {
    const c = this.socket(fd, false);
    const n = this.world.send(c.id, data);
    this.sink.write({ kind: 'SocketSendV1', fd, data: n === data.length ? data : data.subarray(0, n), flags, is_64bit: false });
    return n;
  }

  sockShutdown(fd: number, how: number): void {
    const c = this.socket(fd, false);
    if (how < 1 || how > 3) throw new FsError(E.INVAL);
    this.world.shutdown(c.id, how);
    this.sink.write({ kind: 'SocketShutdownV1', fd, how: how === 1 ? 'read' : how === 2 ? 'write' : 'both' });
  }

  /** The guest-visible state of the run: the files of each folder, for tests and the debugger. */
  mountOf(fd: number): Mount | undefined {
    const d = this.fds.has(fd) ? this.fds.get(fd) : undefined;
    return d instanceof DirDesc ? this.mounts.find((m) => m.root === d.dir) : undefined;
  }
}

function timeSpecs(atim: bigint, mtim: bigint, flags: number): [TimeSpec, TimeSpec] {
  if ((flags & FSTFLAG.ATIM && flags & FSTFLAG.ATIM_NOW) || (flags & FSTFLAG.MTIM && flags & FSTFLAG.MTIM_NOW)) {
    throw new FsError(E.INVAL);
  }
  if (flags & ~0xf) throw new FsError(E.INVAL);
  const a: TimeSpec = flags & FSTFLAG.ATIM ? atim : flags & FSTFLAG.ATIM_NOW ? 'now' : undefined;
  const m: TimeSpec = flags & FSTFLAG.MTIM ? mtim : flags & FSTFLAG.MTIM_NOW ? 'now' : undefined;
  return [a, m];
}
