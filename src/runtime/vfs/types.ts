// The virtual file system's node interfaces. WASI path resolution (resolve.ts) walks these nodes, so the sandbox is
// structural: a guest can only reach nodes below the directory it starts from. Three implementations:
//  - memory nodes (mem-fs.ts), optionally backed by a lazily read host folder (the overlay: copy-on-write);
//  - host nodes (host-nodes.ts), which act on a host folder through the HostFs boundary (host-fs.ts).

import type { Errno, Filetype } from '../wasi-defs';

/** A guest-visible failure: an errno returned to the guest (never a trap). */
export class FsError extends Error {
  constructor(
    readonly errno: Errno,
    message?: string,
  ) {
    super(message ?? `errno ${errno}`);
  }
}

export interface Stat {
  dev: bigint;
  ino: bigint;
  filetype: Filetype;
  nlink: bigint;
  size: bigint;
  atim: bigint;
  mtim: bigint;
  ctim: bigint;
}

export interface DirEntry {
  name: string;
  filetype: Filetype;
  ino: bigint;
}

/** A time to set: a value in ns, 'now', or undefined to leave it. */
export type TimeSpec = bigint | 'now' | undefined;

export interface OpenMode {
  read: boolean;
  write: boolean;
  /** Empty the file as it is opened (O_TRUNC). */
  trunc?: boolean;
}

/** An open file: what descriptors read and write through. */
export interface FileHandle {
  read(pos: number, dst: Uint8Array): number;
  write(pos: number, src: Uint8Array): number;
  size(): number;
  truncate(size: number): void;
  stat(): Stat;
  setTimes(atim: TimeSpec, mtim: TimeSpec): void;
  sync(): void;
  close(): void;
}

interface NodeBase {
  stat(): Stat;
  setTimes(atim: TimeSpec, mtim: TimeSpec): void;
}

export interface VFile extends NodeBase {
  readonly kind: 'file';
  open(mode: OpenMode): FileHandle;
}

export interface VSymlink extends NodeBase {
  readonly kind: 'symlink';
  target(): string;
}

export interface VDir extends NodeBase {
  readonly kind: 'dir';
  lookup(name: string): VNode | undefined;
  /** Entries other than `.` and `..`, in a stable order. */
  list(): DirEntry[];
  /** Creates an empty file (EEXIST when the name is taken). */
  createFile(name: string): VFile;
  mkdir(name: string): void;
  symlink(name: string, target: string): void;
  /** A new name for an existing file (hard link); `from` was looked up in `fromDir`. */
  link(name: string, fromDir: VDir, fromName: string): void;
  unlink(name: string): void;
  rmdir(name: string): void;
  /** Moves `name` to `toDir`/`toName`, replacing what is there as rename(2) does. */
  rename(name: string, toDir: VDir, toName: string): void;
  /** True when both are the same directory (for rename checks). */
  same(other: VDir): boolean;
}

export type VNode = VFile | VDir | VSymlink;

export function filetypeOf(n: VNode): Filetype {
  return n.kind === 'file' ? 4 : n.kind === 'dir' ? 3 : 7;
}
