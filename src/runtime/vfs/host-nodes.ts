// Host mode: nodes that act on a host folder directly (through HostFs, so sandboxed and recorded). The host is the
// truth: nothing is cached, every lookup asks it.

import { E, FILETYPE } from '../wasi-defs';
import { joinRel, type HostFs } from './host-fs';
import { FsError, type DirEntry, type FileHandle, type OpenMode, type Stat, type TimeSpec, type VDir, type VFile, type VNode, type VSymlink } from './types';

function node(host: HostFs, rel: string, s: Stat): VNode | undefined {
  switch (s.filetype) {
    case FILETYPE.DIRECTORY: return new HostDir(host, rel);
    case FILETYPE.REGULAR_FILE: return new HostFile(host, rel);
    case FILETYPE.SYMBOLIC_LINK: return new HostSymlink(host, rel);
    default: return undefined; // devices, sockets and fifos are not shown to the guest
  }
}

abstract class HostNode {
  constructor(
    readonly host: HostFs,
    readonly rel: string,
  ) {}
  stat(): Stat {
    return this.host.lstat(this.rel);
  }
  setTimes(atim: TimeSpec, mtim: TimeSpec): void {
    this.host.utimes(this.rel, atim, mtim);
  }
}

export class HostFile extends HostNode implements VFile {
  readonly kind = 'file';
  /** The read-write handle the file was created with, handed to the first open (saves opening it twice). */
  created: number | undefined;

  open(mode: OpenMode): FileHandle {
    const created = this.created;
    this.created = undefined;
    if (created !== undefined) return new HostHandle(this.host, created);
    return new HostHandle(this.host, this.host.open(this.rel, { read: mode.read, write: mode.write, create: 'no', trunc: mode.trunc ?? false }));
  }
}

class HostHandle implements FileHandle {
  constructor(
    private readonly host: HostFs,
    private readonly h: number,
  ) {}
  read(pos: number, dst: Uint8Array): number {
    return this.host.read(this.h, pos, dst);
  }
  write(pos: number, src: Uint8Array): number {
    return this.host.write(this.h, pos, src);
  }
  size(): number {
    return Number(this.host.fstat(this.h).size);
  }
  truncate(size: number): void {
    this.host.ftruncate(this.h, size);
  }
  stat(): Stat {
    return this.host.fstat(this.h);
  }
  setTimes(a: TimeSpec, m: TimeSpec): void {
    this.host.futimes(this.h, a, m);
  }
  sync(): void {
    this.host.fsync(this.h);
  }
  close(): void {
    this.host.close(this.h);
  }
}

export class HostSymlink extends HostNode implements VSymlink {
  readonly kind = 'symlink';
  target(): string {
    return this.host.readlink(this.rel);
  }
}

export class HostDir extends HostNode implements VDir {
  readonly kind = 'dir';

  private child(name: string): string {
    return joinRel(this.rel, name);
  }

  lookup(name: string): VNode | undefined {
    let s: Stat;
    try {
      s = this.host.lstat(this.child(name));
    } catch (e) {
      if (e instanceof FsError && e.errno === E.NOENT) return undefined;
      throw e;
    }
    return node(this.host, this.child(name), s);
  }

  list(): DirEntry[] {
    return this.host.readdir(this.rel).filter((e) => e.filetype === FILETYPE.DIRECTORY || e.filetype === FILETYPE.REGULAR_FILE || e.filetype === FILETYPE.SYMBOLIC_LINK);
  }

  /** Creates the file; the caller opens it next (Process.pathOpen), which takes over the handle made here. */
  createFile(name: string): VFile {
    const f = new HostFile(this.host, this.child(name));
    f.created = this.host.open(this.child(name), { read: true, write: true, create: 'excl', trunc: false });
    return f;
  }

  mkdir(name: string): void {
    this.host.mkdir(this.child(name));
  }

  symlink(name: string, target: string): void {
    this.host.symlink(target, this.child(name));
  }

  private sameHost(other: VDir): HostDir {
    if (!(other instanceof HostDir) || other.host !== this.host) throw new FsError(E.XDEV);
    return other;
  }

  link(name: string, fromDir: VDir, fromName: string): void {
    const from = this.sameHost(fromDir);
    this.host.link(from.child(fromName), this.child(name));
  }

  unlink(name: string): void {
    this.host.unlink(this.child(name));
  }

  rmdir(name: string): void {
    this.host.rmdir(this.child(name));
  }

  rename(name: string, toDir: VDir, toName: string): void {
    const to = this.sameHost(toDir);
    this.host.rename(this.child(name), to.child(toName));
  }

  same(other: VDir): boolean {
    return other instanceof HostDir && other.host === this.host && other.rel === this.rel;
  }
}

/** The root of a host folder in host mode. */
export function hostRoot(host: HostFs): HostDir {
  return new HostDir(host, '');
}
