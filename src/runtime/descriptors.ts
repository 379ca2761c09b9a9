// Descriptors and the descriptor table. Like browser_wasi_shim: one class per kind of descriptor; the table hands
// out the lowest free number (as POSIX does), so numbers are deterministic and a restore can put each descriptor
// back under the number the guest saw.

import { E, FILETYPE, R, type Filetype } from './wasi-defs';
import { FsError, type FileHandle, type VDir, type VFile } from './vfs/types';

// Rights as wasmtime reports them (fd_fdstat_get). wasmtime no longer enforces rights: what a descriptor may do
// follows from how it was opened (read, write), and these sets are what it says.
const ALL = (1n << 30n) - 1n;
const PREOPEN_BASE = 0x7b7fe00n;
const PREOPEN_INHERITING = 0xff7ffffn;
const DIR_RIGHTS = ALL & ~(R.FD_SEEK | R.FD_WRITE | R.PATH_FILESTAT_SET_SIZE | R.FD_FILESTAT_SET_SIZE);

export abstract class Descriptor {
  constructor(public fdflags: number) {}
  abstract filetype(): Filetype;
  /** [base, inheriting] rights, as fd_fdstat_get reports them. */
  abstract rights(): [bigint, bigint];
  /** Releases what the descriptor holds (the table calls it once, when the last number for it goes away). */
  release(): void {}
}

export class FileDesc extends Descriptor {
  pos = 0;
  constructor(
    readonly node: VFile,
    readonly handle: FileHandle,
    readonly readable: boolean,
    readonly writable: boolean,
    fdflags: number,
  ) {
    super(fdflags);
  }
  filetype(): Filetype {
    return FILETYPE.REGULAR_FILE;
  }
  rights(): [bigint, bigint] {
    let r = ALL;
    if (!this.readable) r &= ~(R.FD_READ | R.FD_READDIR);
    if (!this.writable) r &= ~R.FD_WRITE;
    return [r, r];
  }
  override release(): void {
    this.handle.close();
  }
}

export class DirDesc extends Descriptor {
  constructor(
    readonly dir: VDir,
    /** The guest path of a preopened folder (fd_prestat_dir_name); undefined for directories the guest opened. */
    readonly preopen: string | undefined,
  ) {
    super(0);
  }
  filetype(): Filetype {
    return FILETYPE.DIRECTORY;
  }
  rights(): [bigint, bigint] {
    return this.preopen !== undefined ? [PREOPEN_BASE, PREOPEN_INHERITING] : [DIR_RIGHTS, DIR_RIGHTS];
  }
}

/** stdin, stdout, stderr: the terminal or whatever the runtime's own streams are. */
export class StdioDesc extends Descriptor {
  /** Bytes written so far (the offset journaled with each write). */
  written = 0n;
  constructor(
    readonly stream: 0 | 1 | 2,
    readonly tty: boolean,
  ) {
    super(0);
  }
  /** What wasmtime reports: stdin can be read, stdout and stderr written. */
  rights(): [bigint, bigint] {
    const r = this.stream === 0 ? R.FD_READ : R.FD_WRITE;
    return [r, r];
  }
  filetype(): Filetype {
    return this.tty ? FILETYPE.CHARACTER_DEVICE : FILETYPE.UNKNOWN;
  }
}

/** A TCP socket given to the program (listening) or accepted by it (a connection); `id` is the world's. */
/**
 * Where a socket is: opened (nothing bound yet), bound (a TCP socket's port is taken: the host listens already; a UDP
 * socket receives), listening, connected, or reset (a connection a restore could not bring back: its next use is
 * ECONNRESET).
 */
export type SocketState = 'opened' | 'bound' | 'listening' | 'connected' | 'reset';

export class SocketDesc extends Descriptor {
  /** Options the program set, by WASIX option number: flags, sizes, and times (ns; null: none). */
  readonly flags = new Map<number, boolean>();
  readonly sizes = new Map<number, bigint>();
  readonly times = new Map<number, bigint | null>();
  constructor(
    /** The world's id for it (undefined until it is bound or connected). */
    public id: number | undefined,
    public state: SocketState,
    public local: string | undefined,
    public peer: string | undefined,
    private readonly closeSocket: (id: number) => void,
    fdflags = 0,
    readonly type: 'stream' | 'dgram' = 'stream',
    readonly family: 4 | 6 = 4,
  ) {
    super(fdflags);
  }
  get listening(): boolean {
    return this.state === 'listening';
  }
  filetype(): Filetype {
    return this.type === 'dgram' ? FILETYPE.SOCKET_DGRAM : FILETYPE.SOCKET_STREAM;
  }
  /** The world's socket goes (a connect from a bound TCP socket gives up its listener first). */
  drop(): void {
    if (this.id !== undefined) this.closeSocket(this.id);
    this.id = undefined;
  }
  rights(): [bigint, bigint] {
    const r = R.FD_READ | R.FD_WRITE | R.FD_FDSTAT_SET_FLAGS | R.FD_FILESTAT_GET | R.POLL_FD_READWRITE | R.SOCK_SHUTDOWN | R.SOCK_ACCEPT;
    return [r, r];
  }
  override release(): void {
    this.drop();
  }
}

export class FdTable {
  private readonly fds = new Map<number, Descriptor>();

  get(fd: number): Descriptor {
    const d = this.fds.get(fd);
    if (!d) throw new FsError(E.BADF);
    return d;
  }

  has(fd: number): boolean {
    return this.fds.has(fd);
  }

  /** Puts `d` under the lowest free number, or under `at` (closing what was there). */
  add(d: Descriptor, at?: number): number {
    if (at !== undefined) {
      this.close(at, true);
      this.fds.set(at, d);
      return at;
    }
    let fd = 0;
    while (this.fds.has(fd)) fd++;
    this.fds.set(fd, d);
    return fd;
  }

  close(fd: number, quiet = false): void {
    const d = this.fds.get(fd);
    if (!d) {
      if (quiet) return;
      throw new FsError(E.BADF);
    }
    this.fds.delete(fd);
    for (const other of this.fds.values()) if (other === d) return;
    d.release();
  }

  renumber(from: number, to: number): void {
    const d = this.get(from);
    this.get(to);
    if (from === to) return;
    this.fds.delete(from);
    this.close(to);
    this.fds.set(to, d);
  }

  entries(): IterableIterator<[number, Descriptor]> {
    return this.fds.entries();
  }

  /** Closes every descriptor (at the end of a run); those in `keep` leave the table without being released. */
  closeAll(keep?: ReadonlySet<Descriptor>): void {
    for (const fd of [...this.fds.keys()]) {
      if (keep?.has(this.fds.get(fd)!)) {
        this.fds.delete(fd);
        continue;
      }
      try {
        this.close(fd);
      } catch {
        // a host handle that is already gone
      }
    }
  }
}
