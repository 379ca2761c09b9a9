// The in-memory file system, and the overlay: a memory directory may be backed by a host folder (through HostFs),
// whose listing, symlinks and file contents are read lazily on first use and copied up on first change. The host
// folder is never changed. Everything read from the host goes through HostFs, so it is recorded for replay.

import { E, FILETYPE } from '../wasi-defs';
import { joinRel, type HostFs } from './host-fs';
import { FsError, filetypeOf, type DirEntry, type FileHandle, type OpenMode, type Stat, type TimeSpec, type VDir, type VFile, type VNode, type VSymlink } from './types';

/** What memory nodes share: the clock for their times and the inode counter. */
export class MemFsContext {
  private ino = 1n << 40n;
  constructor(
    /** The current time in ns (the runtime's deterministic file-system clock). */
    readonly now: () => bigint,
    readonly dev = 0x6d656dn,
  ) {}
  nextIno(): bigint {
    return this.ino++;
  }
}

interface Lower {
  host: HostFs;
  rel: string;
}

abstract class MemNode {
  ino: bigint;
  atim: bigint;
  mtim: bigint;
  ctim: bigint;
  nlink = 1n;
  constructor(
    protected readonly ctx: MemFsContext,
    ino?: bigint,
  ) {
    this.ino = ino ?? ctx.nextIno();
    this.atim = this.mtim = this.ctim = ctx.now();
  }

  protected touch(): void {
    this.mtim = this.ctim = this.ctx.now();
  }

  setTimes(atim: TimeSpec, mtim: TimeSpec): void {
    this.prepareChange();
    const now = this.ctx.now();
    if (atim !== undefined) this.atim = atim === 'now' ? now : atim;
    if (mtim !== undefined) this.mtim = mtim === 'now' ? now : mtim;
    this.ctim = now;
  }

  /** Overlay nodes copy the host's data up before their first change. */
  protected prepareChange(): void {}
}

export class MemFile extends MemNode implements VFile {
  readonly kind = 'file';
  private data = new Uint8Array(0);
  private length = 0;
  private lower: Lower | undefined;
  private lowerStat: Stat | undefined;

  constructor(ctx: MemFsContext, lower?: Lower, lowerStat?: Stat) {
    super(ctx, lowerStat?.ino);
    this.lower = lower;
    if (lowerStat) this.adoptTimes(lowerStat);
    this.lowerStat = lowerStat;
  }

  private adoptTimes(s: Stat): void {
    this.atim = s.atim;
    this.mtim = s.mtim;
    this.ctim = s.ctim;
  }

  private hostStat(): Stat {
    if (!this.lowerStat) {
      this.lowerStat = this.lower!.host.lstat(this.lower!.rel);
      this.ino = this.lowerStat.ino;
      this.adoptTimes(this.lowerStat);
    }
    return this.lowerStat;
  }

  protected override prepareChange(): void {
    if (!this.lower) return;
    const { host, rel } = this.lower;
    const size = Number(this.hostStat().size);
    const h = host.open(rel, { read: true, write: false, create: 'no', trunc: false });
    try {
      let data = new Uint8Array(Math.max(size, 64));
      let n = 0;
      for (;;) {
        if (n === data.length) {
          const bigger = new Uint8Array(data.length * 2);
          bigger.set(data);
          data = bigger;
        }
        const got = host.read(h, n, data.subarray(n));
        if (got === 0) break;
        n += got;
      }
      this.data = data;
      this.length = n;
    } finally {
      host.close(h);
    }
    this.lower = undefined;
  }

  private grow(min: number): void {
    if (min <= this.data.length) return;
    const next = new Uint8Array(Math.max(min, this.data.length * 2, 64));
    next.set(this.data.subarray(0, this.length));
    this.data = next;
  }

  stat(): Stat {
    if (this.lower) {
      const s = this.hostStat();
      return { ...s, dev: this.ctx.dev, ino: this.ino, nlink: this.nlink, atim: this.atim, mtim: this.mtim, ctim: this.ctim };
    }
    return {
      dev: this.ctx.dev, ino: this.ino, filetype: FILETYPE.REGULAR_FILE, nlink: this.nlink, size: BigInt(this.length),
      atim: this.atim, mtim: this.mtim, ctim: this.ctim,
    };
  }

  size(): number {
    return this.lower ? Number(this.hostStat().size) : this.length;
  }

  readAt(pos: number, dst: Uint8Array): number {
    if (pos >= this.length) return 0;
    const n = Math.min(dst.length, this.length - pos);
    dst.set(this.data.subarray(pos, pos + n));
    return n;
  }

  writeAt(pos: number, src: Uint8Array): number {
    this.prepareChange();
    const end = pos + src.length;
    if (end > this.data.length) this.grow(end);
    if (pos > this.length) this.data.fill(0, this.length, pos);
    this.data.set(src, pos);
    if (end > this.length) this.length = end;
    this.touch();
    return src.length;
  }

  truncate(size: number): void {
    this.prepareChange();
    if (size > this.data.length) this.grow(size);
    if (size > this.length) this.data.fill(0, this.length, size);
    this.length = size;
    this.touch();
  }

  open(mode: OpenMode): FileHandle {
    if (mode.trunc) {
      // Nothing of the host's bytes is needed: drop them instead of copying them up.
      this.lower = undefined;
      this.truncate(0);
    }
    if (mode.write) this.prepareChange();
    if (this.lower) return new LowerHandle(this, this.lower);
    return new MemHandle(this);
  }

  /** Memory nodes read host bytes through a handle while they are not copied up. */
  isLower(): boolean {
    return this.lower !== undefined;
  }
}

class MemHandle implements FileHandle {
  constructor(private readonly f: MemFile) {}
  read(pos: number, dst: Uint8Array): number {
    return this.f.readAt(pos, dst);
  }
  write(pos: number, src: Uint8Array): number {
    return this.f.writeAt(pos, src);
  }
  size(): number {
    return this.f.size();
  }
  truncate(size: number): void {
    this.f.truncate(size);
  }
  stat(): Stat {
    return this.f.stat();
  }
  setTimes(a: TimeSpec, m: TimeSpec): void {
    this.f.setTimes(a, m);
  }
  sync(): void {}
  close(): void {}
}

/** A read handle on an overlay file not yet copied up: reads come from the host until the file changes. */
class LowerHandle extends MemHandle {
  private h: number | undefined;
  constructor(
    private readonly file: MemFile,
    private readonly lower: Lower,
  ) {
    super(file);
  }
  override read(pos: number, dst: Uint8Array): number {
    if (!this.file.isLower()) {
      this.release();
      return super.read(pos, dst);
    }
    if (this.h === undefined) this.h = this.lower.host.open(this.lower.rel, { read: true, write: false, create: 'no', trunc: false });
    return this.lower.host.read(this.h, pos, dst);
  }
  override write(pos: number, src: Uint8Array): number {
    this.release();
    return super.write(pos, src);
  }
  override truncate(size: number): void {
    this.release();
    super.truncate(size);
  }
  private release(): void {
    if (this.h !== undefined) {
      const h = this.h;
      this.h = undefined;
      this.lower.host.close(h);
    }
  }
  override close(): void {
    this.release();
  }
}

export class MemSymlink extends MemNode implements VSymlink {
  readonly kind = 'symlink';
  constructor(
    ctx: MemFsContext,
    private readonly linkTarget: string,
    ino?: bigint,
  ) {
    super(ctx, ino);
  }
  target(): string {
    return this.linkTarget;
  }
  stat(): Stat {
    return {
      dev: this.ctx.dev, ino: this.ino, filetype: FILETYPE.SYMBOLIC_LINK, nlink: this.nlink,
      size: BigInt(Buffer.byteLength(this.linkTarget)), atim: this.atim, mtim: this.mtim, ctim: this.ctim,
    };
  }
}

type MemChild = MemFile | MemDir | MemSymlink;

export class MemDir extends MemNode implements VDir {
  readonly kind = 'dir';
  private entries: Map<string, MemChild> | undefined;
  parent: MemDir | undefined;

  constructor(
    ctx: MemFsContext,
    parent?: MemDir,
    private lower?: Lower,
    ino?: bigint,
  ) {
    super(ctx, ino);
    this.parent = parent;
    if (!lower) this.entries = new Map();
  }

  /** The children, reading the host listing on first use (overlay). */
  private children(): Map<string, MemChild> {
    if (this.entries) return this.entries;
    const { host, rel } = this.lower!;
    const m = new Map<string, MemChild>();
    for (const e of host.readdir(rel)) {
      const childRel = joinRel(rel, e.name);
      if (e.filetype === FILETYPE.DIRECTORY) m.set(e.name, new MemDir(this.ctx, this, { host, rel: childRel }, e.ino));
      else if (e.filetype === FILETYPE.REGULAR_FILE) m.set(e.name, new MemFile(this.ctx, { host, rel: childRel }));
      else if (e.filetype === FILETYPE.SYMBOLIC_LINK) m.set(e.name, new MemSymlink(this.ctx, host.readlink(childRel), e.ino));
      // devices, sockets and fifos of the host folder are not shown to the guest
    }
    this.entries = m;
    return m;
  }

  stat(): Stat {
    return {
      dev: this.ctx.dev, ino: this.ino, filetype: FILETYPE.DIRECTORY, nlink: this.nlink, size: 4096n,
      atim: this.atim, mtim: this.mtim, ctim: this.ctim,
    };
  }

  lookup(name: string): VNode | undefined {
    return this.children().get(name);
  }

  list(): DirEntry[] {
    const out: DirEntry[] = [];
    for (const [name, n] of this.children()) out.push({ name, filetype: filetypeOf(n), ino: n.ino });
    return out;
  }

  private free(name: string): Map<string, MemChild> {
    const c = this.children();
    if (c.has(name)) throw new FsError(E.EXIST);
    return c;
  }

  createFile(name: string): VFile {
    const f = new MemFile(this.ctx);
    this.free(name).set(name, f);
    this.touch();
    return f;
  }

  mkdir(name: string): void {
    this.free(name).set(name, new MemDir(this.ctx, this));
    this.touch();
  }

  symlink(name: string, target: string): void {
    this.free(name).set(name, new MemSymlink(this.ctx, target));
    this.touch();
  }

  link(name: string, fromDir: VDir, fromName: string): void {
    if (!(fromDir instanceof MemDir)) throw new FsError(E.XDEV);
    const n = fromDir.children().get(fromName);
    if (!n) throw new FsError(E.NOENT);
    if (n instanceof MemDir) throw new FsError(E.PERM);
    this.free(name).set(name, n);
    n.nlink++;
    this.touch();
  }

  unlink(name: string): void {
    const c = this.children();
    const n = c.get(name);
    if (!n) throw new FsError(E.NOENT);
    if (n instanceof MemDir) throw new FsError(E.ISDIR);
    c.delete(name);
    n.nlink--;
    this.touch();
  }

  rmdir(name: string): void {
    const c = this.children();
    const n = c.get(name);
    if (!n) throw new FsError(E.NOENT);
    if (!(n instanceof MemDir)) throw new FsError(E.NOTDIR);
    if (n.children().size > 0) throw new FsError(E.NOTEMPTY);
    c.delete(name);
    this.touch();
  }

  rename(name: string, toDir: VDir, toName: string): void {
    if (!(toDir instanceof MemDir)) throw new FsError(E.XDEV);
    const src = this.children();
    const n = src.get(name);
    if (!n) throw new FsError(E.NOENT);
    const dst = toDir.children();
    const existing = dst.get(toName);
    if (existing === n) return;
    if (n instanceof MemDir) {
      for (let d: MemDir | undefined = toDir; d; d = d.parent) if (d === n) throw new FsError(E.INVAL);
      if (existing) {
        if (!(existing instanceof MemDir)) throw new FsError(E.NOTDIR);
        if (existing.children().size > 0) throw new FsError(E.NOTEMPTY);
      }
      n.parent = toDir;
    } else if (existing instanceof MemDir) {
      throw new FsError(E.ISDIR);
    }
    if (existing && !(existing instanceof MemDir)) existing.nlink--;
    src.delete(name);
    dst.set(toName, n);
    this.touch();
    toDir.touch();
  }

  same(other: VDir): boolean {
    return other === this;
  }
}

/** An empty in-memory folder. */
export function memoryRoot(ctx: MemFsContext): MemDir {
  return new MemDir(ctx);
}

/** A copy-on-write view of a host folder. */
export function overlayRoot(ctx: MemFsContext, host: HostFs): MemDir {
  return new MemDir(ctx, undefined, { host, rel: '' });
}
