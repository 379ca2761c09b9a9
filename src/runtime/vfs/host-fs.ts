// The boundary to the host's file system. Everything the runtime learns from a host folder passes through HostFs,
// which makes it the one place to (1) keep the guest inside its folders and (2) record what the outside world
// answered, so `replay` can answer the same without touching the host (RecordingHostFs / ReplayHostFs).
//
// Sandboxing (RealHostFs): paths are relative to the folder's root and contain no `..`, no empty or `.` parts, and
// no symlinks the caller has not resolved itself (resolve.ts follows symlinks on our side). To defeat races (a
// directory swapped for a symlink between our check and the operation), every operation opens the parent directory
// with O_NOFOLLOW, asks the kernel where that descriptor really is (/proc/self/fd), refuses it when it is outside
// the root, and then acts on `/proc/self/fd/N/name`, which the kernel resolves from that descriptor, not by path.
// Files are opened with O_NOFOLLOW and checked the same way.
//
// Where there is no /proc (macOS, Windows; or WASM_JOURNAL_PORTABLE=1), the checks are made on paths: the directory
// must not be a symlink itself, and its real path (realpath(3), every component resolved) must be inside the root;
// a file opened is then compared with what the path names (same device and inode, not a symlink, real path inside).
// The race this leaves: a directory of the guest's folder swapped for a symlink by another host process between the
// check and the operation is followed for that one operation (a file opened that way is still caught by the check
// after the open; a mkdir, unlink or rename is not). Only host processes that write into the guest's folder while
// it runs can do that; the guest itself cannot (it has no symlink the sandbox does not resolve on our side).

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { HostFsOpName } from '../../journal/wasi-types';
import { forcedPortable } from '../../journal/platform';
import { E, errnoFromNode, FILETYPE, type Filetype } from '../wasi-defs';
import { FsError, type DirEntry, type Stat, type TimeSpec } from './types';

export interface HostOpenFlags {
  read: boolean;
  write: boolean;
  create: 'no' | 'yes' | 'excl';
  trunc: boolean;
}

export interface HostFs {
  /** The host folder, for messages. */
  readonly root: string;
  lstat(rel: string): Stat;
  readdir(rel: string): DirEntry[];
  readlink(rel: string): string;
  /** Opens a regular file (never follows a symlink); returns a handle. */
  open(rel: string, flags: HostOpenFlags): number;
  read(h: number, pos: number, dst: Uint8Array): number;
  write(h: number, pos: number, src: Uint8Array): number;
  fstat(h: number): Stat;
  ftruncate(h: number, size: number): void;
  fsync(h: number): void;
  futimes(h: number, atim: TimeSpec, mtim: TimeSpec): void;
  close(h: number): void;
  mkdir(rel: string): void;
  rmdir(rel: string): void;
  unlink(rel: string): void;
  rename(from: string, to: string): void;
  link(from: string, to: string): void;
  symlink(target: string, rel: string): void;
  utimes(rel: string, atim: TimeSpec, mtim: TimeSpec): void;
}

/**
 * Whether `real` (a real path) is `root` or inside it, for the path rules of `platform`: on Windows, drive letters
 * and names compare case-insensitively, either slash separates, and `\\?\` (and `\\?\UNC\`) prefixes are the
 * paths they prefix.
 */
export function isInside(root: string, real: string, platform: 'posix' | 'win32'): boolean {
  if (platform === 'posix') return real === root || real.startsWith(root === '/' ? '/' : root + '/');
  const norm = (p: string): string => {
    let q = p.replace(/\//g, '\\');
    if (/^\\\\\?\\UNC\\/i.test(q)) q = '\\\\' + q.slice(8);
    else if (/^\\\\[?.]\\/.test(q)) q = q.slice(4);
    q = path.win32.normalize(q);
    return (q.length > 3 && q.endsWith('\\') ? q.slice(0, -1) : q).toLowerCase();
  };
  const r = norm(root);
  const x = norm(real);
  return x === r || x.startsWith(r.endsWith('\\') ? r : r + '\\');
}

function isSymlink(p: string): boolean {
  try {
    return fs.lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

export function joinRel(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}

function filetypeFromMode(mode: bigint | number): Filetype {
  const m = Number(mode) & 0o170000;
  switch (m) {
    case 0o100000: return FILETYPE.REGULAR_FILE;
    case 0o040000: return FILETYPE.DIRECTORY;
    case 0o120000: return FILETYPE.SYMBOLIC_LINK;
    case 0o020000: return FILETYPE.CHARACTER_DEVICE;
    case 0o060000: return FILETYPE.BLOCK_DEVICE;
    case 0o140000: return FILETYPE.SOCKET_STREAM;
    default: return FILETYPE.UNKNOWN;
  }
}

function toStat(s: fs.BigIntStats): Stat {
  return {
    dev: s.dev,
    ino: s.ino,
    filetype: filetypeFromMode(s.mode),
    nlink: s.nlink,
    size: s.size,
    atim: s.atimeNs,
    mtim: s.mtimeNs,
    ctim: s.ctimeNs,
  };
}

function fail(e: unknown): never {
  if (e instanceof FsError) throw e;
  const err = e as NodeJS.ErrnoException;
  if (typeof err?.code === 'string') throw new FsError(errnoFromNode(err.code), err.message);
  throw e;
}

const { O_RDONLY, O_RDWR, O_WRONLY, O_CREAT, O_EXCL, O_TRUNC, O_NOFOLLOW, O_DIRECTORY } = fs.constants;

/** Seconds (as Node's utimes wants) for a TimeSpec, given the current value in ns. */
function seconds(t: TimeSpec, current: bigint): number {
  const ns = t === undefined ? current : t === 'now' ? BigInt(Date.now()) * 1_000_000n : t;
  return Number(ns) / 1e9;
}

/** The real host folder, sandboxed. */
const DIR_CACHE = 32;
/** Reads and writes below this size are coalesced into runs of at most RUN_BYTES. */
const SMALL_IO = 16 * 1024;
const RUN_BYTES = 64 * 1024;

export class RealHostFs implements HostFs {
  readonly root: string;
  private readonly handles = new Set<number>();
  /** Handles opened for writing (only their writes are coalesced; others fail at once, as the host says). */
  private readonly writable = new Set<number>();
  /** Checked directory descriptors by relative path, least recently used first. */
  private readonly dirs = new Map<string, number>();

  constructor(root: string) {
    try {
      this.root = fs.realpathSync(root);
    } catch (e) {
      throw new Error(`${root}: cannot use as a guest folder: ${(e as Error).message}`);
    }
    if (!fs.statSync(this.root).isDirectory()) throw new Error(`${root}: not a directory`);
  }

  /** Whether the kernel says where descriptors are (/proc/self/fd); otherwise paths are checked (see above). */
  readonly kernelChecks = !forcedPortable() && process.platform === 'linux' && fs.existsSync('/proc/self/fd');

  private inside(real: string): boolean {
    return isInside(this.root, real, process.platform === 'win32' ? 'win32' : 'posix');
  }

  /** Portable: the path of directory `rel` once checked (not a symlink itself, really inside the root). */
  private checkedDir(rel: string): string {
    const abs = rel === '' ? this.root : path.join(this.root, rel);
    if (rel === '') return abs;
    let real: string;
    try {
      if (fs.lstatSync(abs).isSymbolicLink()) throw new FsError(E.LOOP, `${abs} is a symlink`);
      real = fs.realpathSync.native(abs);
      if (!fs.statSync(real).isDirectory()) throw new FsError(E.NOTDIR, `${abs} is not a directory`);
    } catch (e) {
      fail(e);
    }
    if (!this.inside(real)) throw new FsError(E.PERM, `${abs} moved outside the guest folder`);
    return real;
  }

  /** Portable: refuses the file `fd` was opened as `p` unless `p` still names it, not as a symlink, inside the root. */
  private checkOpened(fd: number, p: string, refusal: string): void {
    try {
      const a = fs.fstatSync(fd, { bigint: true });
      const b = fs.lstatSync(p, { bigint: true });
      if (!b.isSymbolicLink() && a.ino === b.ino && a.dev === b.dev && this.inside(fs.realpathSync.native(p))) return;
    } catch {
      // gone or replaced meanwhile: refused below
    }
    fs.closeSync(fd);
    throw new FsError(E.PERM, refusal);
  }

  /** Opens a directory of the sandbox and checks where it really is; the caller closes the fd. */
  private openDir(rel: string): { fd: number; real: string } {
    const abs = rel === '' ? this.root : path.join(this.root, rel);
    let fd: number;
    try {
      fd = fs.openSync(abs, O_RDONLY | (O_DIRECTORY ?? 0) | (O_NOFOLLOW ?? 0));
    } catch (e) {
      fail(e);
    }
    return { fd, real: this.checkInside(fd, `${abs} moved outside the guest folder`) };
  }

  /** Where descriptor `fd` really is, by the kernel; closes it and refuses when that is outside the root. */
  private checkInside(fd: number, refusal: string): string {
    let real: string;
    try {
      real = fs.readlinkSync(`/proc/self/fd/${fd}`);
    } catch (e) {
      fs.closeSync(fd);
      fail(e);
    }
    if (!this.inside(real)) {
      fs.closeSync(fd);
      throw new FsError(E.PERM, refusal);
    }
    return real;
  }

  /** Runs `f` with a kernel-resolved path for `rel` (its parent opened and checked). */
  private at<T>(rel: string, f: (p: string) => T): T {
    this.settle();
    if (rel === '') return this.atDir('', (d) => f(d));
    const slash = rel.lastIndexOf('/');
    const parent = slash < 0 ? '' : rel.slice(0, slash);
    const name = rel.slice(slash + 1);
    return this.atDir(parent, (d) => f(`${d}/${name}`));
  }

  /**
   * Runs `f` with the /proc path of a checked descriptor for directory `rel`. Descriptors of recently used
   * directories are kept (at most DIR_CACHE); each use asks the kernel again where the directory is, and one that
   * moved, was replaced or was removed since is dropped and opened afresh.
   */
  private atDir<T>(rel: string, f: (p: string) => T): T {
    this.settle();
    if (!this.kernelChecks) {
      const dir = this.checkedDir(rel);
      try {
        return f(dir);
      } catch (e) {
        fail(e);
      }
    }
    const { fd, kept } = this.dirFd(rel);
    let result: T;
    try {
      result = f(`/proc/self/fd/${fd}`);
    } catch (e) {
      fail(e);
    } finally {
      if (!kept) fs.closeSync(fd);
    }
    return result;
  }

  private dirFd(rel: string): { fd: number; kept: boolean } {
    const expected = rel === '' ? this.root : path.join(this.root, rel);
    const cached = this.dirs.get(rel);
    if (cached !== undefined) {
      this.dirs.delete(rel);
      let real: string | undefined;
      try {
        real = fs.readlinkSync(`/proc/self/fd/${cached}`);
      } catch {
        real = undefined;
      }
      if (real === expected) {
        this.dirs.set(rel, cached);
        return { fd: cached, kept: true };
      }
      fs.closeSync(cached);
    }
    const { fd, real } = this.openDir(rel);
    // Keep it only when it is where its path says (not reached through a symlink a host process made).
    if (real === expected) {
      this.dirs.set(rel, fd);
      if (this.dirs.size > DIR_CACHE) {
        const [oldRel, oldFd] = this.dirs.entries().next().value as [string, number];
        this.dirs.delete(oldRel);
        fs.closeSync(oldFd);
      }
      return { fd, kept: true };
    }
    return { fd, kept: false };
  }

  lstat(rel: string): Stat {
    // The root itself: stat the checked descriptor (its /proc entry is a symlink).
    if (rel === '') return this.atDir('', (d) => this.stat(fs.statSync(d, { bigint: true })));
    return this.at(rel, (p) => this.stat(fs.lstatSync(p, { bigint: true })));
  }

  readdir(rel: string): DirEntry[] {
    return this.atDir(rel, (d) => {
      const out: DirEntry[] = [];
      for (const name of fs.readdirSync(d).sort()) {
        try {
          const s = fs.lstatSync(`${d}/${name}`, { bigint: true });
          out.push({ name, filetype: filetypeFromMode(s.mode), ino: s.ino });
        } catch {
          // removed meanwhile
        }
      }
      return out;
    });
  }

  readlink(rel: string): string {
    return this.at(rel, (p) => fs.readlinkSync(p));
  }

  open(rel: string, flags: HostOpenFlags): number {
    let f = flags.read && flags.write ? O_RDWR : flags.write ? O_WRONLY : O_RDONLY;
    if (flags.create !== 'no') f |= O_CREAT;
    if (flags.create === 'excl') f |= O_EXCL;
    if (flags.trunc) f |= O_TRUNC;
    let opened = '';
    const fd = this.at(rel, (p) => {
      // Where O_NOFOLLOW is missing (Windows), a symlink is refused before the open could follow it (and create
      // a file where it points); the check after the open catches one made meanwhile.
      if (!this.kernelChecks && O_NOFOLLOW === undefined && isSymlink(p)) throw new FsError(E.LOOP, `${rel} is a symlink`);
      return fs.openSync((opened = p), f | (O_NOFOLLOW ?? 0), 0o644);
    });
    if (this.kernelChecks) this.checkInside(fd, `${rel} is outside the guest folder`);
    else this.checkOpened(fd, opened, `${rel} is outside the guest folder`);
    this.handles.add(fd);
    if (flags.write) this.writable.add(fd);
    return fd;
  }

  private handle(h: number): number {
    if (!this.handles.has(h)) throw new FsError(E.BADF);
    return h;
  }

  // ---- runs of small reads and writes ----
  // A run of consecutive small writes to one file, each starting where the last ended, becomes one system call;
  // so does a run of small reads (read ahead). Any other operation, and any other WASI call of the guest
  // (settle()), ends the run first, so the host sees every write by the time the guest does anything else.
  // A coalesced write that fails is reported by the next operation on that file.

  private pend: { h: number; pos: number; len: number } | undefined;
  private readonly pendBuf = new Uint8Array(RUN_BYTES);
  private ahead: { h: number; pos: number; len: number } | undefined;
  private readonly aheadBuf = new Uint8Array(RUN_BYTES);
  private readonly deferred = new Map<number, number>();

  /** Ends the current run: writes what is pending, forgets what was read ahead. */
  settle(): void {
    this.flushPending();
    this.ahead = undefined;
  }

  private flushPending(): void {
    const p = this.pend;
    if (!p) return;
    this.pend = undefined;
    try {
      let off = 0;
      while (off < p.len) off += fs.writeSync(p.h, this.pendBuf, off, p.len - off, p.pos + off);
    } catch (e) {
      this.deferred.set(p.h, errnoFromNode((e as NodeJS.ErrnoException).code));
    }
  }

  /** The handle, after reporting a failed coalesced write on it. */
  private live(h: number): number {
    this.handle(h);
    const errno = this.deferred.get(h);
    if (errno !== undefined) {
      this.deferred.delete(h);
      throw new FsError(errno, 'an earlier write to this file failed');
    }
    return h;
  }

  read(h: number, pos: number, dst: Uint8Array): number {
    this.flushPending();
    this.live(h);
    try {
      if (dst.length >= SMALL_IO) {
        this.ahead = undefined;
        return fs.readSync(h, dst, 0, dst.length, pos);
      }
      let a = this.ahead;
      if (!a || a.h !== h || pos < a.pos || pos + dst.length > a.pos + a.len) {
        // Not in what was read ahead; when it was short because the file ended there, read again (it may have grown).
        a = { h, pos, len: fs.readSync(h, this.aheadBuf, 0, RUN_BYTES, pos) };
        this.ahead = a;
      }
      const n = Math.max(0, Math.min(dst.length, a.pos + a.len - pos));
      dst.set(this.aheadBuf.subarray(pos - a.pos, pos - a.pos + n));
      return n;
    } catch (e) {
      fail(e);
    }
  }

  write(h: number, pos: number, src: Uint8Array): number {
    this.ahead = undefined;
    this.live(h);
    const p = this.pend;
    if (p && p.h === h && p.pos + p.len === pos && p.len + src.length <= RUN_BYTES) {
      this.pendBuf.set(src, p.len);
      p.len += src.length;
      return src.length;
    }
    this.flushPending();
    this.live(h);
    if (src.length >= SMALL_IO || !this.writable.has(h)) {
      try {
        return fs.writeSync(h, src, 0, src.length, pos);
      } catch (e) {
        fail(e);
      }
    }
    this.pendBuf.set(src, 0);
    this.pend = { h, pos, len: src.length };
    return src.length;
  }

  fstat(h: number): Stat {
    this.settle();
    try {
      return this.stat(fs.fstatSync(this.live(h), { bigint: true }));
    } catch (e) {
      fail(e);
    }
  }

  ftruncate(h: number, size: number): void {
    this.settle();
    try {
      fs.ftruncateSync(this.live(h), size);
    } catch (e) {
      fail(e);
    }
  }

  fsync(h: number): void {
    this.settle();
    try {
      fs.fsyncSync(this.live(h));
    } catch (e) {
      fail(e);
    }
  }

  futimes(h: number, atim: TimeSpec, mtim: TimeSpec): void {
    this.settle();
    try {
      const s = fs.fstatSync(this.live(h), { bigint: true });
      fs.futimesSync(h, seconds(atim, s.atimeNs), seconds(mtim, s.mtimeNs));
      this.keepExact(s, fs.fstatSync(h, { bigint: true }), atim, mtim);
    } catch (e) {
      fail(e);
    }
  }

  /**
   * Node's utimes takes seconds as a double, which holds a time of today to about a quarter of a microsecond, so the
   * host stores what it was given rounded. The times the guest set are kept, by file, and answered instead of the
   * host's for as long as the host still holds what it stored then (a write, a touch by another program: its own).
   */
  private readonly exactTimes = new Map<string, { atim: bigint; mtim: bigint; hostA: bigint; hostM: bigint }>();

  private keepExact(before: fs.BigIntStats, after: fs.BigIntStats, atim: TimeSpec, mtim: TimeSpec): void {
    const key = `${after.dev}:${after.ino}`;
    const was = this.stat(before);
    const exact = (t: TimeSpec, kept: bigint, host: bigint): bigint => (typeof t === 'bigint' ? t : t === undefined ? kept : host);
    this.exactTimes.set(key, { atim: exact(atim, was.atim, after.atimeNs), mtim: exact(mtim, was.mtim, after.mtimeNs), hostA: after.atimeNs, hostM: after.mtimeNs });
  }

  /** A host stat as the guest sees it: with the exact times it set, while the host holds what it stored for them. */
  private stat(s: fs.BigIntStats): Stat {
    const st = toStat(s);
    const key = `${s.dev}:${s.ino}`;
    const x = this.exactTimes.get(key);
    if (!x) return st;
    const a = s.atimeNs === x.hostA;
    const m = s.mtimeNs === x.hostM;
    if (a) st.atim = x.atim;
    if (m) st.mtim = x.mtim;
    if (!a && !m) this.exactTimes.delete(key);
    return st;
  }

  close(h: number): void {
    this.settle();
    if (!this.handles.delete(h)) throw new FsError(E.BADF);
    this.writable.delete(h);
    fs.closeSync(h);
    const errno = this.deferred.get(h);
    if (errno !== undefined) {
      this.deferred.delete(h);
      throw new FsError(errno, 'an earlier write to this file failed');
    }
  }

  mkdir(rel: string): void {
    this.at(rel, (p) => fs.mkdirSync(p));
  }

  rmdir(rel: string): void {
    this.at(rel, (p) => fs.rmdirSync(p));
  }

  unlink(rel: string): void {
    this.at(rel, (p) => {
      if (fs.lstatSync(p).isDirectory()) throw new FsError(E.ISDIR);
      fs.unlinkSync(p);
    });
  }

  rename(from: string, to: string): void {
    this.at(from, (a) => this.at(to, (b) => fs.renameSync(a, b)));
  }

  link(from: string, to: string): void {
    this.at(from, (a) => this.at(to, (b) => fs.linkSync(a, b)));
  }

  symlink(target: string, rel: string): void {
    this.at(rel, (p) => fs.symlinkSync(target, p));
  }

  utimes(rel: string, atim: TimeSpec, mtim: TimeSpec): void {
    this.at(rel, (p) => {
      const s = fs.lstatSync(p, { bigint: true });
      fs.lutimesSync(p, seconds(atim, s.atimeNs), seconds(mtim, s.mtimeNs));
      this.keepExact(s, fs.lstatSync(p, { bigint: true }), atim, mtim);
    });
  }

  /** Closes every handle still open (at the end of a run). */
  closeAll(): void {
    this.settle();
    for (const h of this.handles) fs.closeSync(h);
    this.handles.clear();
    this.writable.clear();
    for (const fd of this.dirs.values()) fs.closeSync(fd);
    this.dirs.clear();
  }
}

// ---- recording and replaying the host's answers ------------------------------------------------------------------

/** One recorded answer: the operation, its errno (0 for success) and its encoded result. */
export interface HostAnswer {
  op: HostFsOpName;
  errno: number;
  data: Uint8Array;
}

const STAT_BYTES = 64;

function encodeStat(s: Stat): Uint8Array {
  const b = new Uint8Array(STAT_BYTES);
  const v = new DataView(b.buffer);
  v.setBigUint64(0, s.dev, true);
  v.setBigUint64(8, s.ino, true);
  v.setUint8(16, s.filetype);
  v.setBigUint64(24, s.nlink, true);
  v.setBigUint64(32, s.size, true);
  v.setBigUint64(40, s.atim, true);
  v.setBigUint64(48, s.mtim, true);
  v.setBigUint64(56, s.ctim, true);
  return b;
}

function decodeStat(b: Uint8Array): Stat {
  if (b.length !== STAT_BYTES) throw new FsError(E.IO, 'recorded stat has the wrong size');
  const v = new DataView(b.buffer, b.byteOffset, b.length);
  return {
    dev: v.getBigUint64(0, true),
    ino: v.getBigUint64(8, true),
    filetype: v.getUint8(16) as Filetype,
    nlink: v.getBigUint64(24, true),
    size: v.getBigUint64(32, true),
    atim: v.getBigUint64(40, true),
    mtim: v.getBigUint64(48, true),
    ctim: v.getBigUint64(56, true),
  };
}

function encodeEntries(list: DirEntry[]): Uint8Array {
  const parts: Buffer[] = [];
  for (const e of list) {
    const name = Buffer.from(e.name, 'utf8');
    const h = Buffer.alloc(13);
    h.writeBigUInt64LE(e.ino, 0);
    h.writeUInt8(e.filetype, 8);
    h.writeUInt32LE(name.length, 9);
    parts.push(h, name);
  }
  return Buffer.concat(parts);
}

function decodeEntries(b: Uint8Array): DirEntry[] {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.length);
  const out: DirEntry[] = [];
  let p = 0;
  while (p < buf.length) {
    const ino = buf.readBigUInt64LE(p);
    const filetype = buf.readUInt8(p + 8) as Filetype;
    const n = buf.readUInt32LE(p + 9);
    out.push({ ino, filetype, name: buf.toString('utf8', p + 13, p + 13 + n) });
    p += 13 + n;
  }
  return out;
}

const EMPTY = new Uint8Array(0);
export const u32 = (n: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
};
const readU32 = (b: Uint8Array): number => new DataView(b.buffer, b.byteOffset, b.length).getUint32(0, true);

// A write that wrote everything it was given is the expected answer, and the common one: it is not recorded. A
// write answered otherwise (an error, or fewer bytes) is recorded with the write's sequence number, so a replay
// knows which write it belongs to: data = [sequence u32][bytes written u32].
function writeAnswer(seq: number, n: number): Uint8Array {
  const b = new Uint8Array(8);
  const v = new DataView(b.buffer);
  v.setUint32(0, seq, true);
  v.setUint32(4, n, true);
  return b;
}

/** Passes every call to the real host and reports each answer to `record` (data may be views: copy to keep). */
export class RecordingHostFs implements HostFs {
  private writes = 0;
  constructor(
    private readonly inner: HostFs,
    private readonly record: (a: HostAnswer) => void,
  ) {}

  get root(): string {
    return this.inner.root;
  }

  private call<T>(op: HostFsOpName, f: () => T, enc: (r: T) => Uint8Array): T {
    let r: T;
    try {
      r = f();
    } catch (e) {
      if (e instanceof FsError) this.record({ op, errno: e.errno, data: EMPTY });
      throw e;
    }
    this.record({ op, errno: 0, data: enc(r) });
    return r;
  }

  lstat(rel: string): Stat {
    return this.call('lstat', () => this.inner.lstat(rel), encodeStat);
  }
  readdir(rel: string): DirEntry[] {
    return this.call('readdir', () => this.inner.readdir(rel), encodeEntries);
  }
  readlink(rel: string): string {
    return this.call('readlink', () => this.inner.readlink(rel), (s) => Buffer.from(s, 'utf8'));
  }
  open(rel: string, flags: HostOpenFlags): number {
    return this.call('open', () => this.inner.open(rel, flags), u32);
  }
  read(h: number, pos: number, dst: Uint8Array): number {
    return this.call('read', () => this.inner.read(h, pos, dst), (n) => dst.subarray(0, n));
  }
  write(h: number, pos: number, src: Uint8Array): number {
    const seq = this.writes++;
    let n: number;
    try {
      n = this.inner.write(h, pos, src);
    } catch (e) {
      if (e instanceof FsError) this.record({ op: 'write', errno: e.errno, data: writeAnswer(seq, 0) });
      throw e;
    }
    if (n !== src.length) this.record({ op: 'write', errno: 0, data: writeAnswer(seq, n) });
    return n;
  }
  fstat(h: number): Stat {
    return this.call('fstat', () => this.inner.fstat(h), encodeStat);
  }
  ftruncate(h: number, size: number): void {
    this.call('ftruncate', () => this.inner.ftruncate(h, size), () => EMPTY);
  }
  fsync(h: number): void {
    this.call('fsync', () => this.inner.fsync(h), () => EMPTY);
  }
  futimes(h: number, atim: TimeSpec, mtim: TimeSpec): void {
    this.call('futimes', () => this.inner.futimes(h, atim, mtim), () => EMPTY);
  }
  close(h: number): void {
    this.call('close', () => this.inner.close(h), () => EMPTY);
  }
  mkdir(rel: string): void {
    this.call('mkdir', () => this.inner.mkdir(rel), () => EMPTY);
  }
  rmdir(rel: string): void {
    this.call('rmdir', () => this.inner.rmdir(rel), () => EMPTY);
  }
  unlink(rel: string): void {
    this.call('unlink', () => this.inner.unlink(rel), () => EMPTY);
  }
  rename(from: string, to: string): void {
    this.call('rename', () => this.inner.rename(from, to), () => EMPTY);
  }
  link(from: string, to: string): void {
    this.call('link', () => this.inner.link(from, to), () => EMPTY);
  }
  symlink(target: string, rel: string): void {
    this.call('symlink', () => this.inner.symlink(target, rel), () => EMPTY);
  }
  utimes(rel: string, atim: TimeSpec, mtim: TimeSpec): void {
    this.call('utimes', () => this.inner.utimes(rel, atim, mtim), () => EMPTY);
  }
}

/** Answers every call from a recording, in order, without touching the host. */
export class ReplayHostFs implements HostFs {
  private writes = 0;
  constructor(
    readonly root: string,
    /** The next recorded answer; throws a divergence error when the recording holds something else. */
    private readonly next: (op: HostFsOpName) => HostAnswer,
    /** The next recorded answer if it is one for `op`, without taking it. */
    private readonly peek: (op: HostFsOpName) => HostAnswer | undefined,
  ) {}

  private take(op: HostFsOpName): Uint8Array {
    const a = this.next(op);
    if (a.errno !== 0) throw new FsError(a.errno);
    return a.data;
  }

  lstat(): Stat {
    return decodeStat(this.take('lstat'));
  }
  readdir(): DirEntry[] {
    return decodeEntries(this.take('readdir'));
  }
  readlink(): string {
    return Buffer.from(this.take('readlink')).toString('utf8');
  }
  open(): number {
    return readU32(this.take('open'));
  }
  read(_h: number, _pos: number, dst: Uint8Array): number {
    const d = this.take('read');
    if (d.length > dst.length) throw new FsError(E.IO, 'recorded read is longer than the request');
    dst.set(d);
    return d.length;
  }
  write(_h: number, _pos: number, src: Uint8Array): number {
    const seq = this.writes++;
    const a = this.peek('write');
    if (!a || a.data.length !== 8 || readU32(a.data) !== seq) return src.length;
    this.next('write');
    if (a.errno !== 0) throw new FsError(a.errno);
    return readU32(a.data.subarray(4));
  }
  fstat(): Stat {
    return decodeStat(this.take('fstat'));
  }
  ftruncate(): void {
    this.take('ftruncate');
  }
  fsync(): void {
    this.take('fsync');
  }
  futimes(): void {
    this.take('futimes');
  }
  close(): void {
    this.take('close');
  }
  mkdir(): void {
    this.take('mkdir');
  }
  rmdir(): void {
    this.take('rmdir');
  }
  unlink(): void {
    this.take('unlink');
  }
  rename(): void {
    this.take('rename');
  }
  link(): void {
    this.take('link');
  }
  symlink(): void {
    this.take('symlink');
  }
  utimes(): void {
    this.take('utimes');
  }
}
