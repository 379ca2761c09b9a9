// The guest's process state and every operation that changes it: descriptors, the file system, the terminal.
// Each operation checks its arguments, does the work, and then writes its journal entry in one line at the end
// (recording is never spread through the logic). The WASI layer (wasi.ts) decodes guest memory and calls these;
// a restore (restore.ts) calls the same operations with the journal's arguments, so there is one implementation
// of each effect.

import type { EntryByKind, JournalEntry } from '../journal/entries';
import { Descriptor, DirDesc, FdTable, FileDesc, SocketDesc, StdioDesc, type SocketState } from './descriptors';
import { isIP } from 'node:net';
import { SockOption, SOCK_PROTO_NAMES } from '../journal/wasi-types';
import { resolvePath, type Resolved } from './vfs/resolve';
import { FsError, type Stat, type TimeSpec, type VDir, type VNode } from './vfs/types';
import {
  CLOCK, E, FDFLAG, FSTFLAG, LOOKUP_SYMLINK_FOLLOW, OFLAG, R, WHENCE,
} from './wasi-defs';
import { joinAddress, splitAddress, type TtyInfo, type World } from './world';

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
      const d = new SocketDesc(l.id, 'listening', l.local, undefined, (id) => this.world.closeSocket(id));
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

  // ---- sockets: those given to the program (run --tcp-listen), and those it opens (WASIX) ----

  /** A socket descriptor (ENOTSOCK otherwise); one a restore could not bring back is ECONNRESET. */
  private sock(fd: number): SocketDesc {
    const d = this.fds.get(fd);
    if (!(d instanceof SocketDesc)) throw new FsError(E.NOTSOCK);
    if (d.state === 'reset') throw new FsError(E.CONNRESET);
    return d;
  }

  private socket(fd: number, listening: boolean): SocketDesc {
    const d = this.sock(fd);
    if (d.listening !== listening) throw new FsError(listening ? E.INVAL : E.NOTCONN);
    return d;
  }

  private newSocket(id: number | undefined, state: SocketState, local: string | undefined, peer: string | undefined, fdflags: number, type: 'stream' | 'dgram', family: 4 | 6): SocketDesc {
    return new SocketDesc(id, state, local, peer, (i) => this.closeWorldSocket(i), fdflags, type, family);
  }

  /**
   * True while a restore applies its entries: a socket it brought back without the world (restoreBound,
   * restoreConnection offline) is closed again without it too.
   */
  restoring = false;

  private closeWorldSocket(id: number): void {
    if (this.restoring && id === OFFLINE_ID) return;
    this.world.closeSocket(id);
  }

  /** sock_open: an unbound socket of address family `af` (1 inet4, 2 inet6), type (1 stream, 2 dgram), protocol. */
  sockOpen(af: number, type: number, proto: number, at?: number): number {
    if (af !== 1 && af !== 2) throw new FsError(E.AFNOSUPPORT);
    if (type !== 1 && type !== 2) throw new FsError(E.NOTSUP);
    // Protocol 0 is the type's own; TCP only on a stream socket, UDP only on a datagram one.
    if (proto !== 0 && !(proto === 6 && type === 1) && !(proto === 17 && type === 2)) throw new FsError(E.NOTSUP);
    const fd = this.fds.add(this.newSocket(undefined, 'opened', undefined, undefined, 0, type === 1 ? 'stream' : 'dgram', af === 1 ? 4 : 6), at);
    this.sink.write({ kind: 'SocketOpenV1', af: af === 1 ? 'Inet4' : 'Inet6', ty: type === 1 ? 'Stream' : 'Dgram', pt: SOCK_PROTO_NAMES[proto === 0 ? (type === 1 ? 6 : 17) : proto], fd });
    return fd;
  }

  /** The address family of a host (4 or 6) must be the socket's. */
  private sameFamily(d: SocketDesc, host: string): void {
    if (isIP(host) !== d.family) throw new FsError(E.AFNOSUPPORT);
  }

  /**
   * sock_bind. A TCP socket's port is taken at once (the host listens already, so a port in use fails here, as bind
   * does, and port 0 is given its number); a UDP socket starts receiving.
   */
  sockBind(fd: number, host: string, port: number): void {
    const d = this.sock(fd);
    if (d.state !== 'opened') throw new FsError(E.INVAL);
    this.sameFamily(d, host);
    const r = d.type === 'stream' ? this.world.listen(joinAddress(host, port)) : this.world.udpBind(joinAddress(host, port));
    d.id = r.id;
    d.local = r.local;
    d.state = 'bound';
    // Where it is bound (a restore binds there again).
    this.sink.write({ kind: 'SocketBindV1', fd, addr: r.local });
  }

  sockListen(fd: number, backlog: number): void {
    const d = this.sock(fd);
    if (d.type !== 'stream') throw new FsError(E.NOTSUP);
    if (d.state === 'listening') return;
    // Listening without a bind: an address of the host's choosing (loopback, unless --net allows more).
    if (d.state === 'opened') this.sockBind(fd, d.family === 6 ? '::' : '0.0.0.0', 0);
    else if (d.state !== 'bound') throw new FsError(E.INVAL);
    d.state = 'listening';
    this.sink.write({ kind: 'SocketListenV1', fd, backlog });
  }

  /** Accepts a connection on a listening socket: the new descriptor and its peer's address. */
  sockAccept(fd: number, flags: number): number {
    return this.sockAcceptPeer(fd, flags).fd;
  }

  sockAcceptPeer(fd: number, flags: number): { fd: number; peer: string } {
    const l = this.socket(fd, true);
    if (flags & ~FDFLAG.NONBLOCK) throw new FsError(E.INVAL);
    const c = this.world.accept(l.id!, (l.fdflags & FDFLAG.NONBLOCK) === 0);
    const nfd = this.fds.add(this.newSocket(c.id, 'connected', c.local, c.peer, flags & FDFLAG.NONBLOCK, 'stream', l.family));
    this.sink.write({
      kind: 'SocketAcceptedV1', listen_fd: fd, fd: nfd, local_addr: c.local, peer_addr: c.peer, fd_flags: flags,
      non_blocking: (flags & FDFLAG.NONBLOCK) !== 0,
    });
    return { fd: nfd, peer: c.peer };
  }

  /**
   * sock_connect. A TCP socket connects (blocking; a bound one gives up its port first); a UDP socket keeps the peer
   * its sends without an address go to, and its receives come from.
   */
  sockConnect(fd: number, host: string, port: number): void {
    const d = this.sock(fd);
    this.sameFamily(d, host);
    const address = joinAddress(host, port);
    if (d.type === 'stream') {
      if (d.state === 'listening') throw new FsError(E.INVAL);
      if (d.state === 'connected') throw new FsError(E.ISCONN);
      d.drop();
      const c = this.world.connect(address);
      d.id = c.id;
      d.local = c.local;
      d.peer = c.peer;
      d.state = 'connected';
    } else {
      this.udpBound(d, fd);
      d.peer = address;
    }
    this.sink.write({ kind: 'SocketConnectedV1', fd, local_addr: d.local!, peer_addr: d.peer! });
  }

  /** A UDP socket that sends before it is bound is bound to an address of the host's choosing, as on a real one. */
  private udpBound(d: SocketDesc, fd: number): void {
    if (d.state === 'opened') this.sockBind(fd, d.family === 6 ? '::' : '0.0.0.0', 0);
  }

  /** Receives into the buffers in order; `peek` and `waitall` flags are not supported. */
  sockRecv(fd: number, bufs: Uint8Array[]): { n: number } {
    const d = this.sock(fd);
    if (d.type === 'dgram') return { n: this.sockRecvFrom(fd, bufs).n };
    const c = this.socket(fd, false);
    if (c.state !== 'connected') throw new FsError(E.NOTCONN);
    const want = bufs.reduce((n, b) => n + b.length, 0);
    if (want === 0) return { n: 0 };
    return { n: scatter(this.world.recv(c.id!, want, (c.fdflags & FDFLAG.NONBLOCK) === 0), bufs) };
  }

  /** Receives a datagram (a stream socket: what recv gives) and who sent it. */
  sockRecvFrom(fd: number, bufs: Uint8Array[]): { n: number; peer: string } {
    const d = this.sock(fd);
    if (d.type === 'stream') return { n: this.sockRecv(fd, bufs).n, peer: d.peer ?? '' };
    if (d.state === 'opened') throw new FsError(E.NOTCONN);
    const want = bufs.reduce((n, b) => n + b.length, 0);
    for (;;) {
      const r = this.world.recvFrom(d.id!, want, (d.fdflags & FDFLAG.NONBLOCK) === 0);
      // A connected UDP socket takes datagrams from its peer alone (the others are dropped, as the kernel does).
      if (d.peer !== undefined && r.peer !== d.peer) continue;
      return { n: scatter(r.data, bufs), peer: r.peer };
    }
  }

  sockSend(fd: number, data: Uint8Array, flags: number): number {
    const d = this.sock(fd);
    if (d.type === 'dgram') {
      if (d.peer === undefined) throw new FsError(E.DESTADDRREQ);
      return this.sockSendTo(fd, data, flags, d.peer);
    }
    const c = this.socket(fd, false);
    if (c.state !== 'connected') throw new FsError(E.NOTCONN);
    const n = this.world.send(c.id!, data);
    this.sink.write({ kind: 'SocketSendV1', fd, data: n === data.length ? data : data.subarray(0, n), flags, is_64bit: false });
    return n;
  }

  /** Sends a datagram to `address` ("host:port"); on a stream socket, the address is ignored (as send does). */
  sockSendTo(fd: number, data: Uint8Array, flags: number, address: string): number {
    const d = this.sock(fd);
    if (d.type === 'stream') return this.sockSend(fd, data, flags);
    this.sameFamily(d, splitAddress(address).host);
    this.udpBound(d, fd);
    const n = this.world.sendTo(d.id!, data, address);
    this.sink.write({ kind: 'SocketSendToV1', fd, data: n === data.length ? data : data.subarray(0, n), flags, addr: address, is_64bit: false });
    return n;
  }

  sockShutdown(fd: number, how: number): void {
    const c = this.socket(fd, false);
    if (how < 1 || how > 3) throw new FsError(E.INVAL);
    if (c.state !== 'connected') throw new FsError(E.NOTCONN);
    this.world.shutdown(c.id!, how);
    this.sink.write({ kind: 'SocketShutdownV1', fd, how: how === 1 ? 'read' : how === 2 ? 'write' : 'both' });
  }

  /**
   * A restore: the connection at `fd` (accepted at `listenFd`, or connected) cannot come back (its peer is gone, or
   * talks to the process that recorded it): the program finds it reset at its next call. A UDP socket's peer is
   * only an address, and stays.
   */
  restoreConnection(fd: number, local: string, peer: string, listenFd?: number, offline = false): void {
    const d = this.fds.has(fd) ? this.fds.get(fd) : undefined;
    if (d instanceof SocketDesc && d.type === 'dgram') {
      d.peer = peer;
      return;
    }
    const l = listenFd !== undefined && this.fds.has(listenFd) ? this.fds.get(listenFd) : undefined;
    const family = d instanceof SocketDesc ? d.family : l instanceof SocketDesc ? l.family : isIP(splitAddress(local).host) === 6 ? 6 : 4;
    if (d instanceof SocketDesc) d.drop();
    // Offline (a re-execution answered from the recording): connected, as it was; its calls are answered from there.
    this.fds.add(this.newSocket(offline ? OFFLINE_ID : undefined, offline ? 'connected' : 'reset', local, peer, 0, 'stream', family), fd);
  }

  /**
   * A restore answered from a recording (restoreEntries' `offline`): the socket at `fd` is bound to `address` as the
   * recording says, without asking the world (its calls from here on are answered from the recording).
   */
  restoreBound(fd: number, address: string): void {
    const d = this.sock(fd);
    d.id = OFFLINE_ID;
    d.local = address;
    d.state = 'bound';
  }

  /** A restore: an option the program set on the socket at its descriptor, kept again (what it tells back). */
  restoreSocketOption(e: EntryByKind<'SocketSetOptFlagV1'> | EntryByKind<'SocketSetOptSizeV1'> | EntryByKind<'SocketSetOptTimeV1'>): void {
    const d = this.fds.has(e.fd) ? this.fds.get(e.fd) : undefined;
    if (!(d instanceof SocketDesc)) return;
    if (e.kind === 'SocketSetOptFlagV1') d.flags.set(SockOption.names.indexOf(e.opt), e.flag);
    else if (e.kind === 'SocketSetOptSizeV1') d.sizes.set(SockOption.names.indexOf(e.opt), e.size);
    else {
      const opt = [...TIME_OPTIONS].find(([, ty]) => ty === e.ty)?.[0];
      if (opt !== undefined) d.times.set(opt, e.time === null ? null : e.time.secs * 1_000_000_000n + BigInt(e.time.nanos));
    }
  }

  /** sock_status: opened (a socket that works: 1) or failed (one a restore could not bring back: 3). */
  sockStatus(fd: number): number {
    const d = this.fds.get(fd);
    if (!(d instanceof SocketDesc)) throw new FsError(E.NOTSOCK);
    return d.state === 'reset' ? 3 : 1;
  }

  /** The socket's own address ("host:port"; the unspecified address, port 0, before it is bound). */
  sockAddrLocal(fd: number): string {
    const d = this.sock(fd);
    return d.local ?? (d.family === 6 ? '[::]:0' : '0.0.0.0:0');
  }

  sockAddrPeer(fd: number): string {
    const d = this.sock(fd);
    if (d.peer === undefined) throw new FsError(E.NOTCONN);
    return d.peer;
  }

  /** Socket options that are true or false (WASIX option numbers: REUSE_ADDR 2, NO_DELAY 3, KEEP_ALIVE 12, ...). */
  sockSetFlag(fd: number, opt: number, flag: boolean): void {
    const d = this.sock(fd);
    if (!FLAG_OPTIONS.has(opt)) throw new FsError(E.INVAL);
    // Those the host acts on for a connection (others are kept and told back: the host sets SO_REUSEADDR itself).
    if ((opt === SOCKOPT.NO_DELAY || opt === SOCKOPT.KEEP_ALIVE) && d.state === 'connected') {
      this.world.setSocketOption(d.id!, opt === SOCKOPT.NO_DELAY ? 'nodelay' : 'keepalive', flag);
    }
    d.flags.set(opt, flag);
    this.sink.write({ kind: 'SocketSetOptFlagV1', fd, opt: SockOption.names[opt], flag });
  }

  sockGetFlag(fd: number, opt: number): boolean {
    const d = this.sock(fd);
    if (opt === SOCKOPT.LISTENING) return d.listening;
    if (!FLAG_OPTIONS.has(opt)) throw new FsError(E.INVAL);
    return d.flags.get(opt) ?? false;
  }

  /** Sizes (buffer sizes, TTL): kept and told back, not applied (Node sets the host's). */
  sockSetSize(fd: number, opt: number, size: bigint): void {
    const d = this.sock(fd);
    if (!SIZE_OPTIONS.has(opt)) throw new FsError(E.INVAL);
    d.sizes.set(opt, size);
    this.sink.write({ kind: 'SocketSetOptSizeV1', fd, opt: SockOption.names[opt], size });
  }

  sockGetSize(fd: number, opt: number): bigint {
    const d = this.sock(fd);
    if (opt === SOCKOPT.TYPE) return BigInt(d.type === 'stream' ? 1 : 2);
    if (opt === SOCKOPT.PROTO) return BigInt(d.type === 'stream' ? 6 : 17);
    if (!SIZE_OPTIONS.has(opt)) throw new FsError(E.INVAL);
    return d.sizes.get(opt) ?? 0n;
  }

  /** Timeouts (ns, or null for none): kept and told back; calls wait as long as they wait without one. */
  sockSetTime(fd: number, opt: number, ns: bigint | null): void {
    const d = this.sock(fd);
    const ty = TIME_OPTIONS.get(opt);
    if (ty === undefined) throw new FsError(E.INVAL);
    d.times.set(opt, ns);
    this.sink.write({ kind: 'SocketSetOptTimeV1', fd, ty, time: ns === null ? null : { secs: ns / 1_000_000_000n, nanos: Number(ns % 1_000_000_000n) } });
  }

  sockGetTime(fd: number, opt: number): bigint | null {
    const d = this.sock(fd);
    if (!TIME_OPTIONS.has(opt)) throw new FsError(E.INVAL);
    return d.times.get(opt) ?? null;
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

/** Copies `data` into the buffers in order; how many bytes went. */
function scatter(data: Uint8Array, bufs: Uint8Array[]): number {
  let p = 0;
  for (const b of bufs) {
    if (p >= data.length) break;
    const k = Math.min(b.length, data.length - p);
    b.set(data.subarray(p, p + k));
    p += k;
  }
  return p;
}

/** The world id of a socket restored offline: a world that answers from a recording does not look at ids. */
const OFFLINE_ID = -1;

/** WASIX socket options (sock_option) the runtime knows by name. */
const SOCKOPT = { NO_DELAY: 3, LISTENING: 10, KEEP_ALIVE: 12, TYPE: 25, PROTO: 26 } as const;
/** Options that are flags: reuse port/addr, no delay, don't route, only v6, broadcast, multicast loops, keep-alive, OOB inline. */
const FLAG_OPTIONS = new Set([1, 2, 3, 4, 5, 6, 7, 8, 12, 14]);
/** Options that are sizes: receive/send buffer, receive/send low-water marks, TTL, multicast TTL. */
const SIZE_OPTIONS = new Set([15, 16, 17, 18, 23, 24]);
/** Options that are times, and their journal names: linger, receive, send, connect and accept timeouts. */
const TIME_OPTIONS = new Map<number, 'linger' | 'read_timeout' | 'write_timeout' | 'connect_timeout' | 'accept_timeout'>([
  [13, 'linger'], [19, 'read_timeout'], [20, 'write_timeout'], [21, 'connect_timeout'], [22, 'accept_timeout'],
]);
