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

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { HostFsOpName } from '../../journal/wasi-types';
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
export class RealHostFs implements HostFs {
  readonly root: string;
  private readonly handles = new Set<number>();

  constructor(root: string) {
    try {
      this.root = fs.realpathSync(root);
    } catch (e) {
      throw new Error(`${root}: cannot use as a guest folder: ${(e as Error).message}`);
    }
    if (!fs.statSync(this.root).isDirectory()) throw new Error(`${root}: not a directory`);
  }

  private inside(real: string): boolean {
    return real === this.root || real.startsWith(this.root === '/' ? '/' : this.root + '/');
  }

  /** Opens a directory of the sandbox and checks where it really is; the caller closes the fd. */
  private openDir(rel: string): number {
    const abs = rel === '' ? this.root : path.join(this.root, rel);
    let fd: number;
    try {
      fd = fs.openSync(abs, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    } catch (e) {
      fail(e);
    }
    let real: string;
    try {
      real = fs.readlinkSync(`/proc/self/fd/${fd}`);
    } catch (e) {
      fs.closeSync(fd);
      fail(e);
    }
    if (!this.inside(real)) {
      fs.closeSync(fd);
      throw new FsError(E.PERM, `${abs} moved outside the guest folder`);
    }
    return fd;
  }

  /** Runs `f` with a kernel-resolved path for `rel` (its parent opened and checked). */
  private at<T>(rel: string, f: (p: string) => T): T {
    if (rel === '') return this.atDir('', (d) => f(d));
    const slash = rel.lastIndexOf('/');
    const parent = slash < 0 ? '' : rel.slice(0, slash);
    const name = rel.slice(slash + 1);
    return this.atDir(parent, (d) => f(`${d}/${name}`));
  }

  private atDir<T>(rel: string, f: (p: string) => T): T {
    const fd = this.openDir(rel);
    try {
      return f(`/proc/self/fd/${fd}`);
    } catch (e) {
      fail(e);
    } finally {
      fs.closeSync(fd);
    }
  }

  lstat(rel: string): Stat {
    // The root itself: stat the checked descriptor (its /proc entry is a symlink).
    if (rel === '') return this.atDir('', (d) => toStat(fs.statSync(d, { bigint: true })));
    return this.at(rel, (p) => toStat(fs.lstatSync(p, { bigint: true })));
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
    const fd = this.at(rel, (p) => fs.openSync(p, f | O_NOFOLLOW, 0o644));
    let real: string;
    try {
      real = fs.readlinkSync(`/proc/self/fd/${fd}`);
    } catch (e) {
      fs.closeSync(fd);
      fail(e);
    }
    if (!this.inside(real)) {
      fs.closeSync(fd);
      throw new FsError(E.PERM, `${rel} is outside the guest folder`);
    }
    this.handles.add(fd);
    return fd;
  }

  private handle(h: number): number {
    if (!this.handles.has(h)) throw new FsError(E.BADF);
    return h;
  }

  read(h: number, pos: number, dst: Uint8Array): number {
    try {
      return fs.readSync(this.handle(h), dst, 0, dst.length, pos);
    } catch (e) {
      fail(e);
    }
  }

  write(h: number, pos: number, src: Uint8Array): number {
    try {
      return fs.writeSync(this.handle(h), src, 0, src.length, pos);
    } catch (e) {
      fail(e);
    }
  }

  fstat(h: number): Stat {
    try {
      return toStat(fs.fstatSync(this.handle(h), { bigint: true }));
    } catch (e) {
      fail(e);
    }
  }

  ftruncate(h: number, size: number): void {
    try {
      fs.ftruncateSync(this.handle(h), size);
    } catch (e) {
      fail(e);
    }
  }

  fsync(h: number): void {
    try {
      fs.fsyncSync(this.handle(h));
    } catch (e) {
      fail(e);
    }
  }

  futimes(h: number, atim: TimeSpec, mtim: TimeSpec): void {
    try {
      const s = fs.fstatSync(this.handle(h), { bigint: true });
      fs.futimesSync(h, seconds(atim, s.atimeNs), seconds(mtim, s.mtimeNs));
    } catch (e) {
      fail(e);
    }
  }

  close(h: number): void {
    if (!this.handles.delete(h)) throw new FsError(E.BADF);
    fs.closeSync(h);
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
    });
  }

  /** Closes every handle still open (at the end of a run). */
  closeAll(): void {
    for (const h of this.handles) fs.closeSync(h);
    this.handles.clear();
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
const u32 = (n: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
};
const readU32 = (b: Uint8Array): number => new DataView(b.buffer, b.byteOffset, b.length).getUint32(0, true);

/** Passes every call to the real host and reports each answer to `record`. */
export class RecordingHostFs implements HostFs {
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
    return this.call('read', () => this.inner.read(h, pos, dst), (n) => new Uint8Array(dst.subarray(0, n)));
  }
  write(h: number, pos: number, src: Uint8Array): number {
    return this.call('write', () => this.inner.write(h, pos, src), u32);
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
  constructor(
    readonly root: string,
    /** The next recorded answer; throws a divergence error when the recording holds something else. */
    private readonly next: (op: HostFsOpName) => HostAnswer,
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
  write(): number {
    return readU32(this.take('write'));
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
