// The outside world as the program sees it: arguments, environment, clocks, randomness, the terminal, stdin, poll
// readiness and host folders. Three worlds: the live one; a recording one that writes every answer into the journal
// as an entry of our own (docs/journal-format.md, "Inputs"); and a replaying one that answers from a recording and
// never consults the outside world. Everything non-deterministic the runtime uses comes from here.

import * as fs from 'node:fs';
import * as tty from 'node:tty';
import { BlockList, isIP } from 'node:net';
import { randomFillSync } from 'node:crypto';
import { nulList, toNulList, type EntryByKind, type EntryKind, type JournalEntry } from '../journal/entries';
import type { HostFsOpName } from '../journal/wasi-types';
import { CLOCK, E } from './wasi-defs';
import { RuntimeError } from './errors';
import { RealHostFs, RecordingHostFs, ReplayHostFs, type HostAnswer, type HostFs } from './vfs/host-fs';
import { SocketBridge, type Accepted } from './sockets';
import { CallInterrupted, signalPending } from './signals';
import type { SocketOpName } from '../journal/wasi-types';
import { FsError } from './vfs/types';
import { StdinThread } from './stdin-thread';
import { forcedPortable } from '../journal/platform';

/** Whether stdin can be looked at without blocking through a second open of /proc/self/fd/N (Linux). */
const PROC_STDIN = !forcedPortable() && process.platform === 'linux' && fs.existsSync('/proc/self/fd');

export interface TtyInfo {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  cols: number;
  rows: number;
}

export type FsMode = 'host' | 'overlay' | 'memory';
export const FS_MODES: readonly FsMode[] = ['host', 'overlay', 'memory'];

export interface MountSpec {
  /** The host folder (empty when replaying: the host is not consulted). */
  host: string;
  guest: string;
}

export interface StartInfo {
  args: string[];
  env: string[];
  fsMode: FsMode;
  mounts: MountSpec[];
  /** TCP addresses to listen on, handed to the program as sockets after the folders (`--tcp-listen`). */
  listeners: string[];
  /** Wall-clock time at start, ns since the epoch (the in-memory file system's clock starts here). */
  startNs: bigint;
  tty: TtyInfo;
}

/** What a poll can ask the live world about without blocking. */
export interface Readiness {
  /** A read from stdin would not block. */
  stdin(): boolean;
  /** An accept (listener) or a receive (connection) on this socket would not block. */
  socket(id: number): boolean;
}

/** The events ready at monotonic time `now`. */
export type PollCompute = (now: bigint, ready: Readiness) => Uint8Array;

export interface World {
  start(): StartInfo;
  clockTime(id: number): bigint;
  random(dst: Uint8Array): void;
  /** Reads up to `max` bytes of stdin, blocking; an empty result is the end of input. */
  readStdin(max: number): Uint8Array;
  /**
   * poll_oneoff's wait: returns the events `compute` finds ready (32 bytes each), waiting until some are or the
   * monotonic clock reaches `deadlineNs` (then whatever is ready, perhaps nothing; no deadline: until some are).
   */
  poll(compute: PollCompute, deadlineNs: bigint | undefined): Uint8Array;
  hostFs(root: string): HostFs;
  /**
   * Opens a listening TCP socket ("host:port"); returns its id and the address it is bound to. `given`: one the user
   * handed to the program (`--tcp-listen`), not one the program asks for (the network policy does not apply).
   */
  listen(address: string, given?: boolean): { id: number; local: string };
  /** Connects a TCP socket to "host:port": its id and both ends' addresses. */
  connect(address: string): Accepted;
  /** Opens a UDP socket bound to "host:port" (port 0: any): its id and the address it is bound to. */
  udpBind(address: string): { id: number; local: string };
  /** Sends a datagram to "host:port"; the bytes sent. */
  sendTo(id: number, data: Uint8Array, address: string): number;
  /** Receives a datagram (cut to `max` bytes) and its sender; EAGAIN when not blocking and none waits. */
  recvFrom(id: number, max: number, block: boolean): { data: Uint8Array; peer: string };
  /** An option of a connection that changes what the host does (Nagle's algorithm, keep-alive probes). */
  setSocketOption(id: number, opt: 'nodelay' | 'keepalive', value: boolean): void;
  /** Accepts a connection (blocking unless `block` is false: then EAGAIN when none is waiting). */
  accept(id: number, block: boolean): Accepted;
  /** Receives up to `max` bytes (an empty result: the peer closed; EAGAIN when not blocking and none waits). */
  recv(id: number, max: number, block: boolean): Uint8Array;
  send(id: number, data: Uint8Array): number;
  shutdown(id: number, how: number): void;
  closeSocket(id: number): void;
  /** Whether the terminal took a write (`write` does it): an input, since a closed pipe changes what the program does. */
  terminalWrite(fd: number, write: () => boolean): boolean;
  /** Brings the host folders up to date (ends runs of coalesced reads and writes); called between guest calls. */
  settle(): void;
  /** Called when the run ends. */
  close(): void;
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/** Where the program's stdin comes from when it is not a descriptor of this process (a debugger's console). */
export interface StdinSource {
  /** True when a read would not wait (input, or its end, is there). */
  ready(): boolean;
  /** Waits for input: at most `max` bytes, empty at its end; may throw CallInterrupted. */
  read(max: number): Uint8Array;
}

export interface LiveWorldOptions {
  /**
   * The terminal the program sees (its caller knows: the CLI's own descriptors, a debugger's console); default: no
   * terminal, 80 by 24. The runtime never looks at its host process's streams for this.
   */
  tty?: TtyInfo;
  /** stdin from elsewhere than descriptor `stdinFd`. */
  stdin?: StdinSource;
  /** Where the program may bind and connect its own sockets (default: loopback only). */
  net?: NetPolicy;
  /** A line for the user (a socket bound to loopback instead of every interface, say). */
  notice?: (message: string) => void;
}

/**
 * The addresses a program may bind and connect its own sockets to (`run --net`): loopback, and what the user adds
 * (an address, a subnet `10.0.0.0/8`, or `any`). Binding to every interface (0.0.0.0, ::) where not every address is
 * allowed binds to loopback instead, saying so.
 */
export class NetPolicy {
  private readonly allowed = new BlockList();
  readonly any: boolean;
  readonly specs: readonly string[];

  constructor(specs: readonly string[] = []) {
    this.specs = specs;
    this.any = specs.includes('any');
    this.allowed.addSubnet('127.0.0.0', 8, 'ipv4');
    this.allowed.addAddress('::1', 'ipv6');
    this.allowed.addSubnet('::ffff:127.0.0.0', 104, 'ipv6');
    for (const s of specs) {
      if (s === 'any' || s === 'loopback') continue;
      const m = /^([^/]+)(?:\/(\d+))?$/.exec(s);
      const family = m ? isIP(m[1]) : 0;
      if (!m || family === 0) throw new RuntimeError('bad-option', `--net ${s}: expected an IP address, ADDRESS/BITS, loopback or any`);
      const type = family === 6 ? 'ipv6' : 'ipv4';
      if (m[2] === undefined) this.allowed.addAddress(m[1], type);
      else {
        const bits = Number(m[2]);
        if (bits > (family === 6 ? 128 : 32)) throw new RuntimeError('bad-option', `--net ${s}: a prefix of ${bits} bits is too long`);
        this.allowed.addSubnet(m[1], bits, type);
      }
    }
  }

  allows(host: string): boolean {
    if (this.any) return true;
    const family = isIP(host);
    return family !== 0 && this.allowed.check(host, family === 6 ? 'ipv6' : 'ipv4');
  }

  /** Where to bind for `host` (the unspecified address is loopback unless every address is allowed), or EACCES. */
  bindHost(host: string): string {
    if (unspecified(host) && !this.any) return isIP(host) === 6 ? '::1' : '127.0.0.1';
    if (!this.allows(host)) throw new FsError(E.ACCES, `${host} is outside the addresses the program may use (--net)`);
    return host;
  }
}

/** "host:port" ("[v6]:port") split. */
export function splitAddress(address: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(address);
  if (!m) throw new FsError(E.INVAL, `${address}: expected HOST:PORT`);
  return { host: m[1] ?? m[2], port: Number(m[3]) };
}

/** "host:port", with brackets for IPv6. */
export function joinAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The 16 bytes of an IPv6 address in text ("::1", "fe80::1:2", "::ffff:1.2.3.4"). */
export function ipv6Bytes(host: string): Uint8Array {
  const out = new Uint8Array(16);
  let text = host;
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (tail) {
    const [a, b, c, d] = tail[1].split('.').map(Number);
    text = `${text.slice(0, tail.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, rest] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = rest ? rest.split(':') : [];
  const groups = rest === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  groups.forEach((g, i) => {
    const n = parseInt(g, 16) || 0;
    out[i * 2] = n >> 8;
    out[i * 2 + 1] = n & 0xff;
  });
  return out;
}

/**
 * An IPv6 address as text the way the host writes it (RFC 5952: lower case, the longest run of zero groups as "::",
 * an IPv4-mapped address with its dotted tail), so addresses from the program and from the host compare equal.
 */
export function ipv6Text(b: Uint8Array): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((b[i * 2] << 8) | b[i * 2 + 1]);
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return `::ffff:${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** The unspecified address ("every interface"): 0.0.0.0, or :: however it is written. */
function unspecified(host: string): boolean {
  const family = isIP(host);
  return family === 4 ? host === '0.0.0.0' : family === 6 && ipv6Bytes(host).every((x) => x === 0);
}

/** No terminal: pipes or files, 80 by 24. */
export const NO_TTY: TtyInfo = Object.freeze({ stdin: false, stdout: false, stderr: false, cols: 80, rows: 24 });

/** The real world. */
export class LiveWorld implements World {
  private readonly hosts: RealHostFs[] = [];
  constructor(
    private readonly args: string[],
    private readonly env: string[],
    private readonly fsMode: FsMode,
    private readonly mounts: MountSpec[],
    private readonly stdinFd = 0,
    private readonly listeners: string[] = [],
    /** Signals for the program (when it runs on a worker thread): a wait for stdin ends for one. */
    private readonly signals?: Int32Array,
    private readonly options: LiveWorldOptions = {},
  ) {}

  start(): StartInfo {
    return {
      args: this.args,
      env: this.env,
      fsMode: this.fsMode,
      mounts: this.mounts,
      listeners: this.listeners,
      startNs: BigInt(Date.now()) * 1_000_000n,
      tty: this.options.tty ?? NO_TTY,
    };
  }

  clockTime(id: number): bigint {
    switch (id) {
      case CLOCK.REALTIME: {
        // Date has ms resolution; refine with hrtime so successive readings move.
        return realtimeNs();
      }
      case CLOCK.MONOTONIC:
        return process.hrtime.bigint();
      case CLOCK.PROCESS_CPUTIME:
      case CLOCK.THREAD_CPUTIME:
        return BigInt(Math.round(process.cpuUsage().user * 1000));
      default:
        throw new FsError(E.INVAL);
    }
  }

  random(dst: Uint8Array): void {
    randomFillSync(dst);
  }

  // stdin. A pipe or terminal is also opened a second time without blocking (through /proc), so poll_oneoff can
  // tell whether input is waiting; what that reads is kept for the next read. A socket (what a Node parent gives
  // for a pipe) cannot be opened that way: a thread of its own reads it (stdin-thread.ts), as it reads a pipe or a
  // terminal where there is no /proc (macOS, Windows; WASM_JOURNAL_PORTABLE=1). A file is always ready.
  private stdinBuf: Buffer[] = [];
  private stdinEof = false;
  private stdinProbe: number | null | undefined;
  private stdinThread: StdinThread | null | undefined;

  private probeFd(): number | null {
    if (this.stdinProbe !== undefined) return this.stdinProbe;
    this.stdinProbe = null;
    if (!PROC_STDIN) return null;
    try {
      const st = fs.fstatSync(this.stdinFd);
      if (st.isFIFO() || st.isCharacterDevice()) {
        this.stdinProbe = fs.openSync(`/proc/self/fd/${this.stdinFd}`, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
      }
    } catch {
      this.stdinProbe = null;
    }
    return this.stdinProbe;
  }

  private reader(): StdinThread | null {
    if (this.stdinThread !== undefined) return this.stdinThread;
    this.stdinThread = null;
    try {
      const st = fs.fstatSync(this.stdinFd);
      if (st.isSocket()) this.stdinThread = new StdinThread(this.stdinFd);
      // Without /proc, a pipe or terminal is read on the thread too (another device, /dev/null, is always ready).
      else if (!PROC_STDIN && (st.isFIFO() || (st.isCharacterDevice() && tty.isatty(this.stdinFd)))) this.stdinThread = new StdinThread(this.stdinFd);
    } catch {
      this.stdinThread = null;
    }
    return this.stdinThread;
  }

  /** Takes what the stdin thread has read; true when there is input (or its end) to read now. */
  private takeFromThread(t: StdinThread): boolean {
    const got = t.take();
    if (got === undefined) return false;
    if (got === 'end') this.stdinEof = true;
    else this.stdinBuf.push(got);
    return true;
  }

  private stdinReady(): boolean {
    if (this.options.stdin) return this.options.stdin.ready();
    if (this.stdinBuf.length > 0 || this.stdinEof) return true;
    const t = this.reader();
    if (t) {
      try {
        return this.takeFromThread(t);
      } catch {
        return true; // an error: let the read report it
      }
    }
    const fd = this.probeFd();
    if (fd === null) return true;
    const buf = Buffer.allocUnsafe(65536);
    try {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) this.stdinEof = true;
      else this.stdinBuf.push(buf.subarray(0, n));
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN') return false;
      return true; // an error: let the read report it
    }
  }

  readStdin(max: number): Uint8Array {
    if (this.options.stdin) return this.options.stdin.read(max);
    if (this.stdinBuf.length > 0) {
      const first = this.stdinBuf[0];
      if (first.length <= max) {
        this.stdinBuf.shift();
        return first;
      }
      this.stdinBuf[0] = first.subarray(max);
      return first.subarray(0, max);
    }
    if (this.stdinEof) return new Uint8Array(0);
    const t = this.reader();
    if (t) {
      // Wait for the thread's next chunk; a signal ends the wait (the read has not happened yet).
      while (!this.takeFromThread(t)) {
        if (this.signals && signalPending(this.signals)) throw new CallInterrupted();
        t.wait(50);
      }
      return this.readStdin(max);
    }
    if (this.signals && this.probeFd() !== null) {
      // Wait without blocking the thread, so a signal can interrupt the wait (the read has not happened yet).
      while (!this.stdinReady()) {
        if (signalPending(this.signals)) throw new CallInterrupted();
        Atomics.wait(this.signals, 0, 0, 50);
      }
      return this.readStdin(max);
    }
    const buf = Buffer.allocUnsafe(max);
    for (;;) {
      try {
        const n = fs.readSync(this.stdinFd, buf, 0, max, null);
        return buf.subarray(0, n);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') {
          Atomics.wait(sleepCell, 0, 0, 5);
          continue;
        }
        if (code === 'EOF') return new Uint8Array(0);
        throw new FsError(E.IO, `stdin: ${(e as Error).message}`);
      }
    }
  }

  poll(compute: PollCompute, deadlineNs: bigint | undefined): Uint8Array {
    const ready: Readiness = {
      stdin: () => this.stdinReady(),
      socket: (id) => this.sockets().ready([id]).has(id),
    };
    for (;;) {
      const now = process.hrtime.bigint();
      const ev = compute(now, ready);
      if (ev.length > 0) return ev;
      // A signal for the program ends the wait (the poll runs again after the snapshot).
      if (this.signals && signalPending(this.signals)) throw new CallInterrupted();
      // Nothing yet: sleep until the deadline, looking at stdin every few milliseconds.
      const left = deadlineNs === undefined ? 5_000_000n : deadlineNs - now;
      if (left <= 0n) return ev;
      const ms = Number(left / 1_000_000n);
      if (ms >= 1) Atomics.wait(sleepCell, 0, 0, Math.min(ms, 5));
    }
  }

  hostFs(root: string): HostFs {
    const h = new RealHostFs(root);
    this.hosts.push(h);
    return h;
  }

  settle(): void {
    for (const h of this.hosts) h.settle();
  }

  terminalWrite(_fd: number, write: () => boolean): boolean {
    return write();
  }

  private bridge: SocketBridge | undefined;
  private sockets(): SocketBridge {
    this.bridge ??= new SocketBridge(this.signals);
    return this.bridge;
  }
  private net_: NetPolicy | undefined;
  private get net(): NetPolicy {
    return (this.net_ ??= this.options.net ?? new NetPolicy());
  }
  /** Where a socket the program opens binds (the policy's), telling the user when that is not what it asked. */
  private bindHost(host: string, port: number): string {
    const h = this.net.bindHost(host);
    if (h !== host) this.options.notice?.(`the program binds ${joinAddress(host, port)}: bound to ${joinAddress(h, port)} instead (--net any lets it listen on every interface)`);
    return h;
  }
  listen(address: string, given = false): { id: number; local: string } {
    const { host, port } = splitAddress(address);
    return this.sockets().listen(given ? host : this.bindHost(host, port), port);
  }
  connect(address: string): Accepted {
    const { host, port } = splitAddress(address);
    if (!this.net.allows(host)) throw new FsError(E.ACCES, `${host} is outside the addresses the program may use (--net)`);
    return this.sockets().connect(host, port);
  }
  udpBind(address: string): { id: number; local: string } {
    const { host, port } = splitAddress(address);
    return this.sockets().udpBind(this.bindHost(host, port), port, isIP(host) === 6 ? 6 : 4);
  }
  sendTo(id: number, data: Uint8Array, address: string): number {
    const { host, port } = splitAddress(address);
    if (!this.net.allows(host)) throw new FsError(E.ACCES, `${host} is outside the addresses the program may use (--net)`);
    return this.sockets().sendTo(id, data, host, port);
  }
  recvFrom(id: number, max: number, block: boolean): { data: Uint8Array; peer: string } {
    return this.sockets().recvFrom(id, max, block);
  }
  setSocketOption(id: number, opt: 'nodelay' | 'keepalive', value: boolean): void {
    this.sockets().setOption(id, opt, value);
  }
  accept(id: number, block: boolean): Accepted {
    return this.sockets().accept(id, block);
  }
  recv(id: number, max: number, block: boolean): Uint8Array {
    return this.sockets().recv(id, max, block);
  }
  send(id: number, data: Uint8Array): number {
    return this.sockets().send(id, data);
  }
  shutdown(id: number, how: number): void {
    this.sockets().shutdown(id, how);
  }
  closeSocket(id: number): void {
    this.sockets().close(id);
  }

  close(): void {
    this.bridge?.stop();
    this.bridge = undefined;
    for (const h of this.hosts) h.closeAll();
    if (typeof this.stdinProbe === 'number') fs.closeSync(this.stdinProbe);
    this.stdinProbe = undefined;
    void this.stdinThread?.stop();
    this.stdinThread = undefined;
  }
}

let lastRealtime = 0n;
const hrBase = process.hrtime.bigint();
const dateBase = BigInt(Date.now()) * 1_000_000n;
function realtimeNs(): bigint {
  const t = dateBase + (process.hrtime.bigint() - hrBase);
  lastRealtime = t > lastRealtime ? t : lastRealtime + 1n;
  return lastRealtime;
}

const CLOCK_NAMES = ['Realtime', 'Monotonic', 'ProcessCputimeId', 'ThreadCputimeId'] as const;

/** The live world, with every answer written as an entry (to a sink that copies what it keeps: sinkFor). */
export class RecordingWorld implements World {
  /** Also given every entry recorded (an adaptive run keeps them to re-execute: adaptive-run.ts). */
  tap: ((e: JournalEntry) => void) | undefined;

  constructor(
    private readonly live: World,
    private readonly out: (e: JournalEntry) => void,
  ) {}

  private record(e: JournalEntry): void {
    this.out(e);
    this.tap?.(e);
  }

  start(): StartInfo {
    const s = this.live.start();
    const secs = s.startNs / 1_000_000_000n;
    this.record({
      kind: 'ProgramStartV1',
      args: toNulList(s.args),
      env: toNulList(s.env),
      start: { secs_since_epoch: secs, nanos_since_epoch: Number(s.startNs - secs * 1_000_000_000n) },
      fs_mode: s.fsMode,
      mounts: toNulList(s.mounts.map((m) => m.guest)),
      listeners: toNulList(s.listeners),
    });
    this.record(ttyEntry(s.tty));
    return s;
  }

  clockTime(id: number): bigint {
    const t = this.live.clockTime(id);
    this.record({ kind: 'ClockTimeV1', clock_id: CLOCK_NAMES[id], time: t });
    return t;
  }

  random(dst: Uint8Array): void {
    this.live.random(dst);
    this.record({ kind: 'RandomBytesV1', data: dst });
  }

  readStdin(max: number): Uint8Array {
    const d = this.live.readStdin(max);
    this.record({ kind: 'StdinReadV1', fd: 0, data: d });
    return d;
  }

  poll(compute: PollCompute, deadlineNs: bigint | undefined): Uint8Array {
    const ev = this.live.poll(compute, deadlineNs);
    this.record({ kind: 'PollResultV1', events: ev });
    return ev;
  }

  hostFs(root: string): HostFs {
    return new RecordingHostFs(this.live.hostFs(root), (a: HostAnswer) =>
      this.record({ kind: 'HostFsResultV1', op: a.op, errno: a.errno, data: a.data }),
    );
  }

  settle(): void {
    this.live.settle();
  }

  terminalWrite(fd: number, write: () => boolean): boolean {
    const ok = this.live.terminalWrite(fd, write);
    if (!ok) this.record({ kind: 'TerminalWriteFailedV1', fd });
    return ok;
  }

  private socketCall<T>(op: SocketOpName, f: () => T, enc: (r: T) => Uint8Array): T {
    let r: T;
    try {
      r = f();
    } catch (e) {
      if (e instanceof FsError) this.record({ kind: 'SocketResultV1', op, errno: e.errno, data: new Uint8Array(0) });
      throw e;
    }
    this.record({ kind: 'SocketResultV1', op, errno: 0, data: enc(r) });
    return r;
  }
  listen(address: string, given = false): { id: number; local: string } {
    return this.socketCall('listen', () => this.live.listen(address, given), (r) => toNulList([String(r.id), r.local]));
  }
  connect(address: string): Accepted {
    return this.socketCall('connect', () => this.live.connect(address), (r) => toNulList([String(r.id), r.local, r.peer]));
  }
  udpBind(address: string): { id: number; local: string } {
    return this.socketCall('udp_bind', () => this.live.udpBind(address), (r) => toNulList([String(r.id), r.local]));
  }
  sendTo(id: number, data: Uint8Array, address: string): number {
    return this.socketCall('send_to', () => this.live.sendTo(id, data, address), (n) => toNulList([String(n)]));
  }
  recvFrom(id: number, max: number, block: boolean): { data: Uint8Array; peer: string } {
    // The sender, then the datagram (which may hold any byte).
    return this.socketCall('recv_from', () => this.live.recvFrom(id, max, block), (r) => {
      const peer = Buffer.from(r.peer + '\0', 'utf8');
      const out = new Uint8Array(peer.length + r.data.length);
      out.set(peer);
      out.set(r.data, peer.length);
      return out;
    });
  }
  setSocketOption(id: number, opt: 'nodelay' | 'keepalive', value: boolean): void {
    this.socketCall('set_opt', () => this.live.setSocketOption(id, opt, value), () => new Uint8Array(0));
  }
  accept(id: number, block: boolean): Accepted {
    return this.socketCall('accept', () => this.live.accept(id, block), (r) => toNulList([String(r.id), r.local, r.peer]));
  }
  recv(id: number, max: number, block: boolean): Uint8Array {
    return this.socketCall('recv', () => this.live.recv(id, max, block), (d) => d);
  }
  send(id: number, data: Uint8Array): number {
    return this.socketCall('send', () => this.live.send(id, data), (n) => toNulList([String(n)]));
  }
  shutdown(id: number, how: number): void {
    this.socketCall('shutdown', () => this.live.shutdown(id, how), () => new Uint8Array(0));
  }
  closeSocket(id: number): void {
    this.socketCall('close', () => this.live.closeSocket(id), () => new Uint8Array(0));
  }

  close(): void {
    this.live.close();
  }
}

function ttyEntry(t: TtyInfo): EntryByKind<'TtySetV1'> {
  return {
    kind: 'TtySetV1',
    tty: {
      cols: t.cols, rows: t.rows, width: 0, height: 0, stdin_tty: t.stdin, stdout_tty: t.stdout, stderr_tty: t.stderr,
      echo: t.stdin, line_buffered: t.stdin,
    },
    line_feeds: true,
  };
}

/** Where a replay takes the recorded inputs from. */
export interface InputSource {
  take<K extends EntryKind>(kind: K, what: string): EntryByKind<K>;
  /** The next entry when it is of `kind`, without taking it. */
  peek<K extends EntryKind>(kind: K): EntryByKind<K> | undefined;
}

/** Answers from a recording. */
export class ReplayWorld implements World {
  constructor(private readonly src: InputSource) {}

  start(): StartInfo {
    const s = this.src.take('ProgramStartV1', 'the program start');
    const t = this.src.take('TtySetV1', 'the terminal settings');
    const fsMode = s.fs_mode as FsMode;
    if (!FS_MODES.includes(fsMode)) throw new RuntimeError('bad-journal', `the recording names an unknown file-system mode "${s.fs_mode}"`);
    return {
      args: nulList(s.args),
      env: nulList(s.env),
      fsMode,
      mounts: nulList(s.mounts).map((guest) => ({ host: '', guest })),
      listeners: nulList(s.listeners),
      startNs: s.start.secs_since_epoch * 1_000_000_000n + BigInt(s.start.nanos_since_epoch),
      tty: { stdin: t.tty.stdin_tty, stdout: t.tty.stdout_tty, stderr: t.tty.stderr_tty, cols: t.tty.cols, rows: t.tty.rows },
    };
  }

  clockTime(id: number): bigint {
    const e = this.src.take('ClockTimeV1', `a clock reading (clock ${id})`);
    if (e.clock_id !== CLOCK_NAMES[id]) throw new RuntimeError('divergence', `the recording read clock ${e.clock_id} here, the replay clock ${CLOCK_NAMES[id] ?? id}`);
    return e.time;
  }

  random(dst: Uint8Array): void {
    const e = this.src.take('RandomBytesV1', 'random bytes');
    if (e.data.length !== dst.length) throw new RuntimeError('divergence', `the recording took ${e.data.length} random bytes here, the replay ${dst.length}`);
    dst.set(e.data);
  }

  readStdin(): Uint8Array {
    return this.src.take('StdinReadV1', 'a read from stdin').data;
  }

  poll(): Uint8Array {
    return this.src.take('PollResultV1', 'a poll result').events;
  }

  hostFs(root: string): HostFs {
    return new ReplayHostFs(
      root,
      (op: HostFsOpName) => {
        const e = this.src.take('HostFsResultV1', `a host file-system answer (${op})`);
        if (e.op !== op) throw new RuntimeError('divergence', `the recording asked the host to ${e.op} here, the replay to ${op}`);
        return { op: e.op, errno: e.errno, data: e.data };
      },
      (op: HostFsOpName) => {
        const e = this.src.peek('HostFsResultV1');
        return e && e.op === op ? { op: e.op, errno: e.errno, data: e.data } : undefined;
      },
    );
  }

  settle(): void {}

  terminalWrite(fd: number, write: () => boolean): boolean {
    // Failed in the recording: fail again (and print nothing); otherwise print the replayed output.
    const failed = this.src.peek('TerminalWriteFailedV1');
    if (failed && failed.fd === fd) {
      this.src.take('TerminalWriteFailedV1', 'a failed terminal write');
      return false;
    }
    // Printed only when the recording holds this write next: where it ends (a journal cut inside the write by a
    // crash) or holds something else, the check of the write's own entry says so, and nothing is printed that the
    // recording does not hold.
    const next = this.src.peek('FileDescriptorWriteV1');
    if (!next || next.fd !== fd) return true;
    return write();
  }

  private socketAnswer(op: SocketOpName): Uint8Array {
    const e = this.src.take('SocketResultV1', `a socket answer (${op})`);
    if (e.op !== op) throw new RuntimeError('divergence', `the recording had a socket ${e.op} here, the replay a ${op}`);
    if (e.errno !== 0) throw new FsError(e.errno);
    return e.data;
  }
  listen(): { id: number; local: string } {
    const [id, local] = nulList(this.socketAnswer('listen'));
    return { id: Number(id), local };
  }
  accept(): Accepted {
    const [id, local, peer] = nulList(this.socketAnswer('accept'));
    return { id: Number(id), local, peer };
  }
  connect(): Accepted {
    const [id, local, peer] = nulList(this.socketAnswer('connect'));
    return { id: Number(id), local, peer };
  }
  udpBind(): { id: number; local: string } {
    const [id, local] = nulList(this.socketAnswer('udp_bind'));
    return { id: Number(id), local };
  }
  sendTo(): number {
    return Number(nulList(this.socketAnswer('send_to'))[0]);
  }
  recvFrom(): { data: Uint8Array; peer: string } {
    const d = this.socketAnswer('recv_from');
    const nul = d.indexOf(0);
    return { peer: Buffer.from(d.subarray(0, nul)).toString('utf8'), data: d.subarray(nul + 1) };
  }
  setSocketOption(): void {
    this.socketAnswer('set_opt');
  }
  recv(): Uint8Array {
    return this.socketAnswer('recv');
  }
  send(): number {
    return Number(nulList(this.socketAnswer('send'))[0]);
  }
  shutdown(): void {
    this.socketAnswer('shutdown');
  }
  closeSocket(): void {
    this.socketAnswer('close');
  }

  close(): void {}
}
