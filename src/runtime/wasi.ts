// wasi_snapshot_preview1: decodes the guest's arguments from its memory, calls the process (process.ts), and
// encodes the results. A guest error is an errno returned to the guest; a pointer the call must dereference that is
// out of bounds or misaligned is a trap (witx-docs: "the function shall trap"), in wasmtime's order: results are
// written only on success, after the call's effects; iovec arrays (fd_read, fd_write, fd_pread, fd_pwrite) and
// path_open's path are read before the descriptor is looked up, every other path after; nothing of zero length is
// written. Anything else (a runtime bug, a replay divergence, proc_exit) is thrown and ends the run, as wasmtime does.

import { DirDesc, FileDesc, SocketDesc, StdioDesc } from './descriptors';
import { ipv6Bytes, ipv6Text, splitAddress, type Readiness } from './world';
import { isIP } from 'node:net';
import type { Process } from './process';
import { FsError, type Stat } from './vfs/types';
import {
  CLOCK, E, EVENTTYPE, EVENTRWFLAGS_HANGUP, PREOPENTYPE_DIR, SIZE, SUBCLOCK_ABSTIME,
} from './wasi-defs';
import { ProcExit, RuntimeError } from './errors';
import { CallInterrupted } from './signals';

type Fn = (...args: never[]) => number | void;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A pointer a call had to dereference was out of bounds or misaligned: the call traps (named by the wrapper). */
class PointerFault extends Error {}

/** Views of the guest's memory, renewed when it grows. */
class GuestMemory {
  private buffer: ArrayBuffer | undefined;
  private view!: DataView;
  private bytes!: Uint8Array;
  constructor(private readonly memory: () => WebAssembly.Memory) {}

  private refresh(): void {
    const b = this.memory().buffer as ArrayBuffer;
    if (b !== this.buffer) {
      this.buffer = b;
      this.view = new DataView(b);
      this.bytes = new Uint8Array(b);
    }
  }

  /** Traps unless [ptr, ptr + len) is inside memory and ptr is a multiple of `align`. */
  check(ptr: number, len: number, align = 1): void {
    this.refresh();
    if (ptr < 0 || len < 0 || ptr + len > this.bytes.length) {
      throw new PointerFault(`pointer 0x${(ptr >>> 0).toString(16)} (${len} byte${len === 1 ? '' : 's'}) is out of bounds of the memory (${this.bytes.length} bytes)`);
    }
    if (ptr % align !== 0) throw new PointerFault(`pointer 0x${(ptr >>> 0).toString(16)} is not aligned to ${align} bytes`);
  }
  /** Writes `data` at `p` (nothing of zero length is written, so an empty write never traps). */
  write(p: number, data: Uint8Array): void {
    if (data.length === 0) return;
    this.check(p, data.length);
    this.bytes.set(data, p);
  }

  u8(): Uint8Array {
    this.refresh();
    return this.bytes;
  }
  dv(): DataView {
    this.refresh();
    return this.view;
  }

  setU32(p: number, v: number): void {
    this.check(p, 4, 4);
    this.view.setUint32(p, v, true);
  }
  setU64(p: number, v: bigint): void {
    this.check(p, 8, 8);
    this.view.setBigUint64(p, BigInt.asUintN(64, v), true);
  }
  /** A view of [p, p + len): a buffer to read, or one to fill (an empty one is never dereferenced). */
  slice(p: number, len: number): Uint8Array {
    if (len === 0) return new Uint8Array(0);
    this.check(p, len);
    return this.bytes.subarray(p, p + len);
  }
  /** A string the call reads (even an empty one must be inside memory, as wasmtime checks it). */
  string(p: number, len: number): string {
    this.check(p, len);
    try {
      return utf8.decode(this.bytes.subarray(p, p + len));
    } catch {
      throw new FsError(E.ILSEQ);
    }
  }
  /** An iovec array: where its buffers are (read now; the buffers are checked when `buffers` makes views of them). */
  iovecArray(p: number, n: number): number[] {
    this.check(p, n * SIZE.IOVEC, 4);
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push(this.view.getUint32(p + i * 8, true), this.view.getUint32(p + i * 8 + 4, true));
    return out;
  }
  /** Views of the buffers of an iovec array read by `iovecArray`. */
  buffers(specs: number[]): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (let i = 0; i < specs.length; i += 2) out.push(this.slice(specs[i], specs[i + 1]));
    return out;
  }
  /**
   * The bytes of an iovec array read by `iovecArray`: a view of guest memory for one buffer, else gathered into a
   * scratch buffer reused by the next call. Valid until the next call; whoever keeps the bytes copies them.
   */
  gather(specs: number[]): Uint8Array {
    if (specs.length === 2) return this.slice(specs[0], specs[1]);
    const parts = this.buffers(specs);
    let total = 0;
    for (const b of parts) total += b.length;
    if (this.scratch.length < total) this.scratch = new Uint8Array(Math.max(total, this.scratch.length * 2));
    let o = 0;
    for (const b of parts) {
      this.scratch.set(b, o);
      o += b.length;
    }
    return this.scratch.subarray(0, total);
  }
  private scratch = new Uint8Array(4096);
  writeStat(p: number, s: Stat): void {
    this.check(p, SIZE.FILESTAT, 8);
    const v = this.view;
    v.setBigUint64(p, s.dev, true);
    v.setBigUint64(p + 8, s.ino, true);
    v.setUint8(p + 16, s.filetype);
    for (let i = 17; i < 24; i++) v.setUint8(p + i, 0);
    v.setBigUint64(p + 24, s.nlink, true);
    v.setBigUint64(p + 32, s.size, true);
    v.setBigUint64(p + 40, s.atim, true);
    v.setBigUint64(p + 48, s.mtim, true);
    v.setBigUint64(p + 56, s.ctim, true);
  }
}

/** Clock resolution: 1 ns, as wasmtime reports (a constant, so it needs no recording). */
const CLOCK_RES = 1n;

export interface WasiHooks {
  /**
   * Called before each call does anything, with its name and first arguments (as the guest passed them); true means
   * the call must return at once (a snapshot is unwinding the stack; the call runs when the program resumes).
   */
  beforeCall?: (name: string, first: unknown, a1?: unknown, a2?: unknown, a3?: unknown, a4?: unknown) => boolean;
  /** A call that was waiting was interrupted by a signal before doing anything; true: a snapshot is unwinding. */
  interrupted?: (name: string) => boolean;
}

/** Builds the wasi_snapshot_preview1 import object for a process. */
export function wasiImports(proc: Process, memory: () => WebAssembly.Memory, args: string[], env: string[], hooks: WasiHooks = {}): Record<string, Fn> {
  const m = new GuestMemory(memory);
  const argBytes = args.map((a) => Buffer.from(a + '\0', 'utf8'));
  const envBytes = env.map((a) => Buffer.from(a + '\0', 'utf8'));

  const listSizes = (list: Buffer[], countPtr: number, sizePtr: number): void => {
    m.setU32(countPtr, list.length);
    m.setU32(sizePtr, list.reduce((n, b) => n + b.length, 0));
  };
  const listGet = (list: Buffer[], ptrs: number, buf: number): void => {
    const total = list.reduce((n, b) => n + b.length, 0);
    if (list.length === 0) return;
    m.check(ptrs, list.length * 4, 4);
    m.check(buf, total);
    let o = buf;
    list.forEach((b, i) => {
      m.setU32(ptrs + i * 4, o);
      m.u8().set(b, o);
      o += b.length;
    });
  };

  const fns: Record<string, (...a: unknown[]) => number | void> = {};
  const u = (x: unknown): unknown => (typeof x === 'number' ? x >>> 0 : typeof x === 'bigint' ? BigInt.asUintN(64, x) : x);
  // Runs of reads and writes on host files are coalesced (vfs/host-fs.ts); every other call ends the run first.
  const DATA_CALLS = new Set(['fd_read', 'fd_write', 'fd_pread', 'fd_pwrite']);
  const world = proc.world;
  const before = hooks.beforeCall;
  /**
   * Defines call `name` (under `key` in the import object: WASIX calls go under `wasix_32v1.NAME`, see splitImports).
   * WASIX calls answer a bad pointer with MEMVIOLATION, as Wasmer does; preview1 calls trap.
   */
  const def = (name: string, f: (...a: never[]) => void | number, key = name): void => {
    const g = f as (...a: unknown[]) => number | void;
    const settles = !DATA_CALLS.has(name);
    const memviolation = key.startsWith(WASIX_PREFIX);
    // Fixed arity (no rest parameters): the hot calls stay cheap.
    fns[key] = (a?: unknown, b?: unknown, c?: unknown, d?: unknown, e?: unknown, f2?: unknown, g2?: unknown, h?: unknown, i?: unknown) => {
      if (before && before(name, a, b, c, d, e)) return 0;
      // WebAssembly hands i32 and i64 arguments to JS as signed values; WASI's are unsigned (fd_seek's offset is the
      // one signed argument, and takes it back there).
      const ua = u(a), ub = u(b), uc = u(c), ud = u(d), ue = u(e), uf = u(f2), ug = u(g2), uh = u(h), ui = u(i);
      for (;;) {
        try {
          if (settles) world.settle();
          const r = g(ua, ub, uc, ud, ue, uf, ug, uh, ui);
          return r === undefined ? E.SUCCESS : r;
        } catch (err) {
          if (err instanceof FsError) return err.errno;
          if (err instanceof PointerFault) {
            if (memviolation) return MEMVIOLATION;
            throw new RuntimeError('trap', `${name}: ${err.message}`);
          }
          if (err instanceof CallInterrupted) {
            if (hooks.interrupted?.(name)) return 0;
            continue; // no snapshot for it: wait again
          }
          throw err;
        }
      }
    };
  };

  def('args_sizes_get', (c: number, s: number) => listSizes(argBytes, c, s));
  def('args_get', (p: number, b: number) => listGet(argBytes, p, b));
  def('environ_sizes_get', (c: number, s: number) => listSizes(envBytes, c, s));
  def('environ_get', (p: number, b: number) => listGet(envBytes, p, b));

  def('clock_res_get', (id: number, out: number) => {
    proc.checkClock(id);
    m.setU64(out, CLOCK_RES);
  });
  def('clock_time_get', (id: number, _precision: bigint, out: number) => m.setU64(out, proc.clockTime(id)));
  def('random_get', (buf: number, len: number) => {
    const dst = m.slice(buf, len);
    const tmp = new Uint8Array(len);
    proc.world.random(tmp);
    dst.set(tmp);
  });
  def('sched_yield', () => {});
  // WASIX's explicit snapshot request (imported from wasix_32v1): the snapshot layer acts before the call runs.
  def('proc_snapshot', () => {});
  def('proc_exit', (code: number) => {
    throw new ProcExit(code >>> 0);
  });
  def('proc_raise', () => E.NOTSUP);

  // ---- descriptors ----
  def('fd_close', (fd: number) => proc.close(fd));
  def('fd_renumber', (from: number, to: number) => proc.renumber(from, to));
  def('fd_advise', (fd: number, off: bigint, len: bigint, advice: number) => proc.advise(fd, off, len, advice));
  def('fd_allocate', (fd: number) => proc.allocate(fd));
  def('fd_datasync', (fd: number) => proc.sync(fd));
  def('fd_sync', (fd: number) => proc.sync(fd));
  def('fd_fdstat_get', (fd: number, out: number) => {
    const d = proc.fds.get(fd);
    m.check(out, SIZE.FDSTAT, 8);
    const v = m.dv();
    v.setUint8(out, d.filetype());
    v.setUint8(out + 1, 0);
    v.setUint16(out + 2, d.fdflags, true);
    v.setUint32(out + 4, 0, true);
    const [base, inheriting] = d.rights();
    v.setBigUint64(out + 8, base, true);
    v.setBigUint64(out + 16, inheriting, true);
  });
  def('fd_fdstat_set_flags', (fd: number, flags: number) => proc.setFdFlags(fd, flags));
  def('fd_fdstat_set_rights', (fd: number) => proc.setRights(fd));
  def('fd_filestat_get', (fd: number, out: number) => m.writeStat(out, proc.fdStat(fd)));
  def('fd_filestat_set_size', (fd: number, size: bigint) => proc.setSize(fd, size));
  def('fd_filestat_set_times', (fd: number, a: bigint, mt: bigint, flags: number) => proc.fdSetTimes(fd, a, mt, flags));
  def('fd_prestat_get', (fd: number, out: number) => {
    const d = proc.fds.get(fd);
    if (!(d instanceof DirDesc) || d.preopen === undefined) throw new FsError(E.BADF);
    m.check(out, SIZE.PRESTAT, 4);
    m.dv().setUint32(out, PREOPENTYPE_DIR, true);
    m.setU32(out + 4, Buffer.byteLength(d.preopen));
  });
  def('fd_prestat_dir_name', (fd: number, buf: number, len: number) => {
    const d = proc.fds.get(fd);
    if (!(d instanceof DirDesc) || d.preopen === undefined) throw new FsError(E.NOTDIR);
    const name = Buffer.from(d.preopen, 'utf8');
    if (len < name.length) throw new FsError(E.NAMETOOLONG);
    m.write(buf, name);
  });
  // The iovec array is read first, then the descriptor looked up, then the buffers checked (wasmtime's order).
  const opened = (fd: number): void => void proc.fds.get(fd);
  def('fd_read', (fd: number, iovs: number, n: number, out: number) => {
    const specs = m.iovecArray(iovs, n);
    opened(fd);
    m.setU32(out, proc.read(fd, m.buffers(specs)));
  });
  def('fd_pread', (fd: number, iovs: number, n: number, offset: bigint, out: number) => {
    const specs = m.iovecArray(iovs, n);
    opened(fd);
    const bufs = m.buffers(specs);
    if (offset > BigInt(Number.MAX_SAFE_INTEGER)) throw new FsError(E.INVAL);
    m.setU32(out, proc.read(fd, bufs, Number(offset)));
  });
  def('fd_write', (fd: number, iovs: number, n: number, out: number) => {
    const specs = m.iovecArray(iovs, n);
    opened(fd);
    m.setU32(out, proc.write(fd, m.gather(specs)));
  });
  def('fd_pwrite', (fd: number, iovs: number, n: number, offset: bigint, out: number) => {
    const specs = m.iovecArray(iovs, n);
    opened(fd);
    if (offset > BigInt(Number.MAX_SAFE_INTEGER)) throw new FsError(E.INVAL);
    m.setU32(out, proc.write(fd, m.gather(specs), Number(offset)));
  });
  def('fd_seek', (fd: number, offset: bigint, whence: number, out: number) => m.setU64(out, proc.seek(fd, BigInt.asIntN(64, offset), whence)));
  def('fd_tell', (fd: number, out: number) => m.setU64(out, proc.seek(fd, 0n, 1)));
  def('fd_readdir', (fd: number, buf: number, len: number, cookie: bigint, out: number) => {
    const d = proc.fds.get(fd);
    if (!(d instanceof DirDesc)) throw new FsError(E.BADF);
    const self = d.dir.stat();
    if (cookie > BigInt(Number.MAX_SAFE_INTEGER)) cookie = BigInt(Number.MAX_SAFE_INTEGER);
    const entries = [
      { name: '.', filetype: 3, ino: self.ino },
      { name: '..', filetype: 3, ino: self.ino },
      ...d.dir.list(),
    ];
    // The listing is made first, then written (only what there is to write: an empty buffer is never touched).
    const listing = new Uint8Array(Math.min(len, 1 << 20));
    let o = 0;
    for (let i = Number(cookie); i < entries.length && o < listing.length; i++) {
      const e = entries[i];
      const name = Buffer.from(e.name, 'utf8');
      const head = new Uint8Array(SIZE.DIRENT);
      const hv = new DataView(head.buffer);
      hv.setBigUint64(0, BigInt(i + 1), true);
      hv.setBigUint64(8, e.ino, true);
      hv.setUint32(16, name.length, true);
      hv.setUint8(20, e.filetype);
      const whole = new Uint8Array(SIZE.DIRENT + name.length);
      whole.set(head);
      whole.set(name, SIZE.DIRENT);
      const n = Math.min(whole.length, listing.length - o);
      listing.set(whole.subarray(0, n), o);
      o += n;
    }
    m.write(buf, listing.subarray(0, o));
    m.setU32(out, o);
  });

  // ---- paths ----
  // The directory is checked before its path is read (wasmtime: get_dir_fd, then read_string), except by path_open.
  const dirPath = (fd: number, p: number, l: number): string => {
    proc.dir(fd);
    return m.string(p, l);
  };
  def('path_create_directory', (fd: number, p: number, l: number) => proc.mkdir(fd, dirPath(fd, p, l)));
  def('path_remove_directory', (fd: number, p: number, l: number) => proc.rmdir(fd, dirPath(fd, p, l)));
  def('path_unlink_file', (fd: number, p: number, l: number) => proc.unlink(fd, dirPath(fd, p, l)));
  def('path_filestat_get', (fd: number, flags: number, p: number, l: number, out: number) => m.writeStat(out, proc.pathStat(fd, flags, dirPath(fd, p, l))));
  def('path_filestat_set_times', (fd: number, flags: number, p: number, l: number, a: bigint, mt: bigint, fl: number) =>
    proc.pathSetTimes(fd, flags, dirPath(fd, p, l), a, mt, fl),
  );
  def('path_link', (ofd: number, oflags: number, op: number, ol: number, nfd: number, np: number, nl: number) => {
    proc.dir(ofd);
    proc.dir(nfd);
    proc.link(ofd, oflags, m.string(op, ol), nfd, m.string(np, nl));
  });
  def('path_open', (dirfd: number, dirflags: number, p: number, l: number, oflags: number, base: bigint, inh: bigint, fdflags: number, out: number) => {
    const fd = proc.pathOpen(dirfd, dirflags, m.string(p, l), oflags, BigInt.asUintN(64, base), BigInt.asUintN(64, inh), fdflags);
    m.setU32(out, fd);
  });
  def('path_readlink', (fd: number, p: number, l: number, buf: number, len: number, out: number) => {
    const target = Buffer.from(proc.readlink(fd, dirPath(fd, p, l)), 'utf8');
    const n = Math.min(len, target.length);
    m.write(buf, target.subarray(0, n));
    m.setU32(out, n);
  });
  def('path_rename', (ofd: number, op: number, ol: number, nfd: number, np: number, nl: number) => {
    proc.dir(ofd);
    proc.dir(nfd);
    proc.rename(ofd, m.string(op, ol), nfd, m.string(np, nl));
  });
  def('path_symlink', (op: number, ol: number, fd: number, np: number, nl: number) => {
    proc.dir(fd);
    proc.symlink(m.string(op, ol), fd, m.string(np, nl));
  });

  // ---- poll ----
  def('poll_oneoff', (inPtr: number, outPtr: number, n: number, neventsPtr: number) => {
    if (n === 0) throw new FsError(E.INVAL);
    m.check(inPtr, n * SIZE.SUBSCRIPTION, 8);
    const v = m.dv();
    interface Sub { userdata: bigint; type: number; clockId: number; timeout: bigint; flags: number; fd: number; deadline?: bigint }
    const subs: Sub[] = [];
    for (let i = 0; i < n; i++) {
      const p = inPtr + i * SIZE.SUBSCRIPTION;
      const type = v.getUint8(p + 8);
      const clock = type === EVENTTYPE.CLOCK;
      subs.push({
        userdata: v.getBigUint64(p, true),
        type,
        clockId: clock ? v.getUint32(p + 16, true) : 0,
        timeout: clock ? v.getBigUint64(p + 24, true) : 0n,
        flags: clock ? v.getUint16(p + 40, true) : 0,
        fd: clock ? 0 : v.getUint32(p + 16, true),
      });
    }
    // wasmtime fails the whole call for a clock it does not have, and for a descriptor that is not open or is a
    // directory.
    for (const s of subs) {
      if (s.type === EVENTTYPE.CLOCK) {
        if (s.clockId !== CLOCK.REALTIME && s.clockId !== CLOCK.MONOTONIC) throw new FsError(E.INVAL);
      } else if (s.type === EVENTTYPE.FD_READ || s.type === EVENTTYPE.FD_WRITE) {
        if (!proc.fds.has(s.fd) || proc.fds.get(s.fd) instanceof DirDesc) throw new FsError(E.BADF);
      } else throw new FsError(E.INVAL);
    }
    // Clock deadlines, on the monotonic clock (readings come from the world, so they are recorded).
    let monoNow: bigint | undefined;
    let realNow: bigint | undefined;
    let wakeAt: bigint | undefined;
    for (const s of subs) {
      if (s.type !== EVENTTYPE.CLOCK) continue;
      monoNow ??= proc.clockTime(CLOCK.MONOTONIC);
      if (!(s.flags & SUBCLOCK_ABSTIME)) s.deadline = monoNow + s.timeout;
      else if (s.clockId === CLOCK.REALTIME) {
        realNow ??= proc.clockTime(CLOCK.REALTIME);
        s.deadline = monoNow + (s.timeout > realNow ? s.timeout - realNow : 0n);
      } else s.deadline = s.timeout;
      if (wakeAt === undefined || s.deadline < wakeAt) wakeAt = s.deadline;
    }
    // Files are always ready (their events depend only on the file system, which a replay rebuilds); stdin
    // readiness and the passing of time come from the world (recorded). Clock events count only when no
    // descriptor is ready.
    const event = (s: Sub, errno: number, nbytes = 0n, hangup = false): Uint8Array => {
      const ev = new Uint8Array(SIZE.EVENT);
      const ed = new DataView(ev.buffer);
      ed.setBigUint64(0, s.userdata, true);
      ed.setUint16(8, errno, true);
      ed.setUint8(10, s.type);
      ed.setBigUint64(16, nbytes, true);
      if (hangup) ed.setUint16(24, EVENTRWFLAGS_HANGUP, true);
      return ev;
    };
    const fileEvents: Uint8Array[] = [];
    for (const s of subs) {
      const d = s.type === EVENTTYPE.CLOCK ? undefined : proc.fds.get(s.fd);
      if (!(d instanceof FileDesc)) continue;
      // Reading at or past the end says so with HANGUP (wasmtime).
      const avail = s.type === EVENTTYPE.FD_READ ? Math.max(0, d.handle.size() - d.pos) : 0;
      fileEvents.push(event(s, E.SUCCESS, BigInt(avail), s.type === EVENTTYPE.FD_READ && avail === 0));
    }
    const compute = (nowMono: bigint, readiness: Readiness): Uint8Array => {
      const ready: Uint8Array[] = [];
      const clocks: Uint8Array[] = [];
      for (const s of subs) {
        if (s.type === EVENTTYPE.CLOCK) {
          if (s.deadline! <= nowMono) clocks.push(event(s, E.SUCCESS));
          continue;
        }
        const d = proc.fds.get(s.fd);
        const reading = s.type === EVENTTYPE.FD_READ;
        if (d instanceof SocketDesc) {
          // A socket not bound yet has nothing to read; one a restore could not bring back is ready (to fail).
          if (!reading || d.state === 'reset' || (d.id !== undefined && readiness.socket(d.id))) ready.push(event(s, E.SUCCESS));
          continue;
        }
        if (!(d instanceof StdioDesc)) continue;
        if (reading !== (d.stream === 0)) ready.push(event(s, E.BADF));
        else if (!reading || readiness.stdin()) ready.push(event(s, E.SUCCESS));
      }
      const chosen = ready.length > 0 || fileEvents.length > 0 ? ready : clocks;
      const out = new Uint8Array(chosen.length * SIZE.EVENT);
      chosen.forEach((e, i) => out.set(e, i * SIZE.EVENT));
      return out;
    };
    // With a file ready there is nothing to wait for: ask the world only what is ready now.
    const fromWorld = proc.world.poll(compute, fileEvents.length > 0 ? 0n : wakeAt);
    const events = new Uint8Array(fileEvents.length * SIZE.EVENT + fromWorld.length);
    fileEvents.forEach((e, i) => events.set(e, i * SIZE.EVENT));
    events.set(fromWorld, fileEvents.length * SIZE.EVENT);
    // Written after the wait (wasmtime's order): a bad pointer for them traps then.
    if (events.length > 0) m.check(outPtr, events.length, 8);
    m.write(outPtr, events);
    m.setU32(neventsPtr, events.length / SIZE.EVENT);
  });

  // ---- sockets: those given to the program (run --tcp-listen) and the connections it accepts ----
  // The descriptor first (a socket), then its buffers.
  const socketFd = (fd: number): void => {
    if (!(proc.fds.get(fd) instanceof SocketDesc)) throw new FsError(E.NOTSOCK);
  };
  def('sock_accept', (fd: number, flags: number, out: number) => m.setU32(out, proc.sockAccept(fd, flags)));
  def('sock_recv', (fd: number, iovs: number, n: number, flags: number, outLen: number, outFlags: number) => {
    socketFd(fd);
    if (flags !== 0) throw new FsError(E.NOTSUP); // RECV_PEEK and RECV_WAITALL are not supported
    const { n: got } = proc.sockRecv(fd, m.buffers(m.iovecArray(iovs, n)));
    m.setU32(outLen, got);
    m.check(outFlags, 2, 2);
    m.dv().setUint16(outFlags, 0, true);
  });
  def('sock_send', (fd: number, iovs: number, n: number, flags: number, out: number) => {
    socketFd(fd);
    m.setU32(out, proc.sockSend(fd, m.gather(m.iovecArray(iovs, n)), flags));
  });
  def('sock_shutdown', (fd: number, how: number) => proc.sockShutdown(fd, how));

  // ---- WASIX sockets (wasix_32v1, as Wasmer provides them; docs/sockets.md) ----
  const wx = (name: string, f: (...a: never[]) => void | number): void => def(name, f, `${WASIX_PREFIX}${name}`);
  const readAddr = (p: number): string => readAddrPort(m, p);
  const writeAddr = (p: number, address: string): void => writeAddrPort(m, p, address);
  wx('sock_open', (af: number, ty: number, pt: number, out: number) => {
    m.check(out, 4, 4);
    m.setU32(out, proc.sockOpen(af, ty, pt));
  });
  wx('sock_bind', (fd: number, addr: number) => {
    const { host, port } = splitAddress(readAddr(addr));
    proc.sockBind(fd, host, port);
  });
  wx('sock_listen', (fd: number, backlog: number) => proc.sockListen(fd, backlog));
  // The four-argument accept of WASIX (also named sock_accept_v2 there): the new descriptor and its peer.
  const acceptV2 = (fd: number, flags: number, outFd: number, outAddr: number): void => {
    m.check(outFd, 4, 4);
    m.check(outAddr, ADDR_PORT_SIZE);
    const r = proc.sockAcceptPeer(fd, flags);
    m.setU32(outFd, r.fd);
    writeAddr(outAddr, r.peer);
  };
  def('sock_accept_v2', acceptV2, `${WASIX_PREFIX}sock_accept`);
  wx('sock_accept_v2', acceptV2);
  wx('sock_connect', (fd: number, addr: number) => {
    const { host, port } = splitAddress(readAddr(addr));
    proc.sockConnect(fd, host, port);
  });
  wx('sock_send_to', (fd: number, iovs: number, n: number, flags: number, addr: number, out: number) => {
    socketFd(fd);
    const data = m.gather(m.iovecArray(iovs, n));
    const to = readAddr(addr);
    m.check(out, 4, 4);
    m.setU32(out, proc.sockSendTo(fd, data, flags, to));
  });
  wx('sock_recv_from', (fd: number, iovs: number, n: number, flags: number, outLen: number, outFlags: number, outAddr: number) => {
    socketFd(fd);
    if (flags !== 0) throw new FsError(E.NOTSUP); // RECV_PEEK and RECV_WAITALL are not supported
    const bufs = m.buffers(m.iovecArray(iovs, n));
    m.check(outLen, 4, 4);
    m.check(outFlags, 2, 2);
    m.check(outAddr, ADDR_PORT_SIZE);
    const r = proc.sockRecvFrom(fd, bufs);
    m.setU32(outLen, r.n);
    m.dv().setUint16(outFlags, 0, true);
    writeAddr(outAddr, r.peer);
  });
  wx('sock_status', (fd: number, out: number) => {
    m.check(out, 1);
    const s = proc.sockStatus(fd);
    m.dv().setUint8(out, s);
  });
  wx('sock_addr_local', (fd: number, out: number) => {
    m.check(out, ADDR_PORT_SIZE);
    writeAddr(out, proc.sockAddrLocal(fd));
  });
  wx('sock_addr_peer', (fd: number, out: number) => {
    m.check(out, ADDR_PORT_SIZE);
    writeAddr(out, proc.sockAddrPeer(fd));
  });
  wx('sock_set_opt_flag', (fd: number, opt: number, flag: number) => {
    if (flag > 1) throw new FsError(E.INVAL);
    proc.sockSetFlag(fd, opt, flag === 1);
  });
  wx('sock_get_opt_flag', (fd: number, opt: number, out: number) => {
    m.check(out, 1);
    const f = proc.sockGetFlag(fd, opt);
    m.dv().setUint8(out, f ? 1 : 0);
  });
  wx('sock_set_opt_size', (fd: number, opt: number, size: bigint) => proc.sockSetSize(fd, opt, size));
  wx('sock_get_opt_size', (fd: number, opt: number, out: number) => {
    m.check(out, 8, 8);
    m.setU64(out, proc.sockGetSize(fd, opt));
  });
  // An optional timestamp: a tag byte (0 none, 1 some), then the nanoseconds at byte 8.
  wx('sock_set_opt_time', (fd: number, opt: number, p: number) => {
    m.check(p, 16, 8);
    const tag = m.dv().getUint8(p);
    if (tag > 1) throw new FsError(E.INVAL);
    proc.sockSetTime(fd, opt, tag === 1 ? m.dv().getBigUint64(p + 8, true) : null);
  });
  wx('sock_get_opt_time', (fd: number, opt: number, out: number) => {
    m.check(out, 16, 8);
    const t = proc.sockGetTime(fd, opt);
    const v = m.dv();
    for (let i = 0; i < 16; i++) v.setUint8(out + i, 0);
    if (t !== null) {
      v.setUint8(out, 1);
      v.setBigUint64(out + 8, t, true);
    }
  });

  return fns as unknown as Record<string, Fn>;
}

/** WASIX calls are defined under this prefix in wasiImports' object (splitImports makes the two modules of it). */
const WASIX_PREFIX = 'wasix_32v1.';
export const WASIX_MODULE = 'wasix_32v1';
/** WASIX's errno for a bad pointer. */
const MEMVIOLATION = 78;
/** The part of __wasi_addr_port_t a call reads or writes: tag, padding, port, 16 address bytes (Wasmer's 20). */
const ADDR_PORT_SIZE = 20;

/**
 * The import object's two modules: wasi_snapshot_preview1, and wasix_32v1 (every preview1 call too, as Wasmer
 * provides them, with WASIX's own sock_accept, which takes four arguments, and proc_snapshot).
 */
export function splitImports(fns: Record<string, Fn>): Record<string, Record<string, Fn>> {
  const preview1: Record<string, Fn> = {};
  const wasix: Record<string, Fn> = {};
  for (const [k, f] of Object.entries(fns)) {
    if (k.startsWith(WASIX_PREFIX)) wasix[k.slice(WASIX_PREFIX.length)] = f;
    else if (k === 'proc_snapshot') wasix[k] = f;
    else preview1[k] = f;
  }
  for (const [k, f] of Object.entries(preview1)) wasix[k] ??= f;
  return { [WASI_MODULE]: preview1, [WASIX_MODULE]: wasix };
}

/**
 * A socket address from the guest (`__wasi_addr_port_t`): the family (1 inet4, 2 inet6) at byte 0, the port at 2 in
 * the guest's byte order (little-endian: what Wasmer reads), the address in network order from byte 4.
 */
function readAddrPort(m: GuestMemory, p: number): string {
  m.check(p, ADDR_PORT_SIZE);
  const b = m.u8();
  const port = b[p + 2] | (b[p + 3] << 8);
  if (b[p] === 1) return `${b[p + 4]}.${b[p + 5]}.${b[p + 6]}.${b[p + 7]}:${port}`;
  if (b[p] === 2) return `[${ipv6Text(b.subarray(p + 4, p + 20))}]:${port}`;
  throw new FsError(E.INVAL);
}

/** A socket address for the guest: the family, the port in network order (as Wasmer writes it), the address. */
function writeAddrPort(m: GuestMemory, p: number, address: string): void {
  m.check(p, ADDR_PORT_SIZE);
  const { host, port } = splitAddress(address);
  const out = new Uint8Array(ADDR_PORT_SIZE);
  const v4 = isIP(host) === 4 ? host : /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(host)?.[1];
  out[2] = port >> 8;
  out[3] = port & 0xff;
  if (v4 !== undefined) {
    out[0] = 1;
    v4.split('.').forEach((x, i) => (out[4 + i] = Number(x)));
  } else {
    out[0] = 2;
    out.set(ipv6Bytes(host), 4);
  }
  m.u8().set(out, p);
}


export const WASI_MODULE = 'wasi_snapshot_preview1';
