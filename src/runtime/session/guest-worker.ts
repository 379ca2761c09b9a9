// A guest worker: the thread a debug session runs the program on. The `live` worker records the program as it runs
// (the frontier of the recording); the `replay` worker moves through what was recorded: it restores a snapshot and
// re-executes with the recorded inputs up to a point. At every host call (a point) the worker checks whether to stop;
// stopped, it waits inside the call and answers the session's requests (memory, the call stack, descriptors) from
// there, read synchronously off its port, until it is told to go on or to travel elsewhere.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { kindOf, type EntryByKind, type EntryKind, type JournalEntry } from '../../journal/entries';
import { LogFileJournal } from '../../journal/log-file';
import { JournalError } from '../../journal/errors';
import type { LogRecord } from '../../journal/journal';
import { RuntimeError } from '../errors';
import { loadModule, type LoadedModule } from '../module';
import { sinkFor, type EntrySink, type Process, type Terminal } from '../process';
import { InstanceSlot, PASSIVE, ReplayCursor, ReplayEnd, runBounds, runProgram, type PointObserver, type RunControl, type RunOptions, type RunResult } from '../runtime';
import { indexedResume, type IndexedResume } from '../snapshot/indexed-resume';
import { decodeStore } from '../snapshot/snapshotter';
import { JournalTail } from './records';
import { SourceLines } from '../source-lines';
import { functionNames } from '../snapshot/wasm-binary';
import { SnapshotIndex } from '../../journal/snapshot-index';
import { DirDesc, FileDesc, SocketDesc, StdioDesc } from '../descriptors';
import { RealHostFs, type HostFs } from '../vfs/host-fs';
import type { Accepted } from '../sockets';
import { LiveWorld, NetPolicy, NO_TTY, RecordingWorld, ReplayWorld, type InputSource, type MountSpec, type PollCompute, type StartInfo, type StdinSource, type World } from '../world';
import { diffMemory } from '../../journal/memory-diff';
import { describePoint, isHostCall, parseCondition, PointBatchWriter, type Condition, type PointInfo } from './points';
import {
  Cell, type BreakpointSpec, type DataBreakpointSpec, type Envelope, type GuestWorkerStart, type LiveConfig, type SnapshotAt,
  type ProcessState, type RunMode, type StackFrameInfo, type StopReason, type WorkerEvent, type WorkerInit,
} from './protocol';

// This thread is the program's: a trap's message and a stop's call stack may list many wasm frames.
Error.stackTraceLimit = 200;

// What this worker runs: from workerData, or, for a worker started before its session knew (runtime/prestart.ts),
// from the session's start message (main() waits for it before anything reads these).
let init: WorkerInit;
let port: MessagePort;
let ctl: Int32Array;

function post(e: WorkerEvent, transfer: ArrayBuffer[] = []): void {
  port.postMessage(e, transfer);
}

/** Thrown out of a stopped host call to restore another point (the replay worker). */
class TravelRequest extends Error {
  constructor(readonly req: Extract<Envelope, { type: 'travel' }>) {
    super('travel');
  }
}

// ---- what the worker knows of the running program ------------------------------------------------------------

let memory: WebAssembly.Memory | undefined;
let proc: Process | undefined;
/** The module as built, and the code that runs (instrumented), for source lines. */
let original: Uint8Array | undefined;
let runningCode: Uint8Array | undefined;
let lines: { code: Uint8Array; map: SourceLines } | undefined;

/** Source lines of frames (innermost first, the innermost in host call `call`), when the module has line tables. */
function withSources(frames: StackFrameInfo[], call: string | undefined): StackFrameInfo[] {
  if (!original || !runningCode || frames.length === 0) return frames;
  if (!lines || lines.code !== runningCode) lines = { code: runningCode, map: new SourceLines(original, functionNames(original), runningCode) };
  if (!lines.map.available) return frames;
  const located = lines.map.locate(frames, call);
  return frames.map((f, i) => (located[i] ? { ...f, source: located[i] } : f));
}
/** Guest paths of open descriptors, and the paths changed so far (from the entries the run makes). */
let fdPaths = new Map<number, string>();
let changed = new Set<string>();

function observeEntry(e: JournalEntry): void {
  switch (e.kind) {
    case 'OpenFileDescriptorV1':
    case 'OpenFileDescriptorV2': {
      const dir = proc?.fds.has(e.dirfd) ? proc.fds.get(e.dirfd) : undefined;
      const base = fdPaths.get(e.dirfd) ?? (dir instanceof DirDesc ? dir.preopen : undefined);
      const p = e.path.startsWith('/') || base === undefined ? e.path : `${base.replace(/\/$/, '')}/${e.path}`;
      fdPaths.set(e.fd, p);
      if (e.o_flags & 1 /* CREAT */ || e.o_flags & 8 /* TRUNC */) changed.add(p);
      return;
    }
    case 'CloseFileDescriptorV1':
      fdPaths.delete(e.fd);
      return;
    case 'RenumberFileDescriptorV1': {
      const p = fdPaths.get(e.old_fd);
      fdPaths.delete(e.old_fd);
      if (p !== undefined) fdPaths.set(e.new_fd, p);
      return;
    }
    case 'FileDescriptorWriteV1':
    case 'FileDescriptorSetSizeV1': {
      const p = e.fd > 2 ? fdPaths.get(e.fd) : undefined;
      if (p !== undefined) changed.add(p);
      return;
    }
    default: {
      if (kindOf(e).category !== 'fs-path') return;
      const o = e as unknown as Record<string, unknown>;
      for (const k of ['path', 'old_path', 'new_path']) if (typeof o[k] === 'string') changed.add(o[k] as string);
    }
  }
}

function processState(): ProcessState {
  const descriptors: ProcessState['descriptors'] = [];
  if (proc) {
    for (const [fd, d] of proc.fds.entries()) {
      const [base] = d.rights();
      const rights = `0x${base.toString(16)}`;
      if (d instanceof StdioDesc) descriptors.push({ fd, kind: 'stdio', path: ['<stdin>', '<stdout>', '<stderr>'][d.stream], rights });
      else if (d instanceof FileDesc) descriptors.push({ fd, kind: 'file', path: fdPaths.get(fd), position: d.pos, rights });
      else if (d instanceof DirDesc) descriptors.push({ fd, kind: 'directory', path: d.preopen ?? fdPaths.get(fd), rights });
      else if (d instanceof SocketDesc) descriptors.push({ fd, kind: 'socket', path: d.peer ?? d.local, rights });
    }
  }
  return { descriptors, changed: [...changed].sort(), memoryBytes: memory?.buffer.byteLength ?? 0 };
}

let view: Uint8Array = new Uint8Array(0);

/** The guest's memory as bytes (the view is renewed when memory grows or changes). */
function memoryBytes(): Uint8Array {
  if (!memory) return new Uint8Array(0);
  if (view.buffer !== memory.buffer) view = new Uint8Array(memory.buffer);
  return view;
}

const FRAME = /at (?:(.+?) \()?wasm:\/\/wasm\/[^:]*:wasm-function\[(\d+)\]:0x([0-9a-f]+)/;

/** The guest's call stack where this host call was made, innermost first. */
function guestStack(): StackFrameInfo[] {
  const stack = new Error().stack ?? '';
  const frames: StackFrameInfo[] = [];
  for (const line of stack.split('\n')) {
    const m = FRAME.exec(line);
    if (!m) continue;
    const func = Number(m[2]);
    const name = m[1] ? m[1].replace(/^\$/, '') : `wasm-function[${func}]`;
    frames.push({ name, func, offset: parseInt(m[3], 16) });
  }
  return frames;
}

// ---- stdin from the session (the Debug Console, or the launch's text) ----------------------------------------

class SessionStdin implements StdinSource {
  private readonly chunks: Uint8Array[] = [];
  private ended = false;
  constructor(text: string | undefined) {
    if (text !== undefined) {
      if (text.length > 0) this.chunks.push(Buffer.from(text, 'utf8'));
      this.ended = true;
    }
  }
  push(data: Uint8Array, end: boolean): void {
    if (data.length > 0) this.chunks.push(data);
    if (end) this.ended = true;
  }
  ready(): boolean {
    return this.chunks.length > 0 || this.ended;
  }
  read(max: number): Uint8Array {
    let told = false;
    while (!this.ready()) {
      if (!told) {
        post({ type: 'waitingForInput', point: control.n });
        told = true;
      }
      // Waiting for input is a place to pause too (the call has not read anything yet).
      if (Atomics.load(ctl, Cell.Pause) === 1) {
        // Inside the call, not at its start (where a re-execution could write memory again at the same moment).
        control.atCallStart = false;
        try {
          control.stopHere('pause', 'Paused while the program waits for input');
        } finally {
          control.atCallStart = true;
        }
      }
      else serveOnce(200);
    }
    const first = this.chunks[0];
    if (!first) return new Uint8Array(0);
    if (first.length <= max) {
      this.chunks.shift();
      return first;
    }
    this.chunks[0] = first.subarray(max);
    return first.subarray(0, max);
  }
}

let stdin: SessionStdin | undefined;

/** What the live run may be told while it is stopped (memory written at the live end). */
let runControl: RunControl | undefined;

// ---- requests ----------------------------------------------------------------------------------------------------

function respond(id: number, body?: unknown, transfer: ArrayBuffer[] = []): void {
  post({ type: 'response', id, body }, transfer);
}

/**
 * Handles one request; returns a mode when the program is to go on. Requests that only read are answered wherever
 * the worker is (stopped in a call, waiting for input, or after the end).
 */
function handle(req: Envelope): RunMode | undefined {
  try {
    switch (req.type) {
      case 'run':
        return req.mode;
      case 'travel':
        throw new TravelRequest(req);
      case 'breakpoints':
        control.setBreakpoints(req.breakpoints, req.data);
        respond(req.id, control.verified);
        return undefined;
      case 'readMemory': {
        const m = memoryBytes();
        const start = Math.min(Math.max(0, req.offset), m.length);
        const end = Math.min(m.length, start + Math.max(0, req.count));
        respond(req.id, { offset: start, data: m.slice(start, end), size: m.length });
        return undefined;
      }
      case 'writeMemory': {
        if (init.role !== 'live') throw new RuntimeError('bad-option', 'memory can be written only at the live end of the recording');
        const m = memoryBytes();
        if (req.offset < 0 || req.offset + req.data.length > m.length) {
          throw new RuntimeError('bad-option', `bytes ${req.offset}-${req.offset + req.data.length} are outside memory (${m.length} bytes)`);
        }
        m.set(req.data, req.offset);
        // The program's state changed outside its calls: the next snapshot holds it (a restore brings it back), and
        // a re-execution of the run (adaptive instrumentation) writes it again where it was written.
        runControl?.wroteMemory(req.offset, req.data, control.atCallStart);
        control.forceSnapshot = true;
        respond(req.id, { written: req.data.length });
        return undefined;
      }
      case 'copyMemory': {
        const copy = memoryBytes().slice();
        respond(req.id, copy, [copy.buffer as ArrayBuffer]);
        return undefined;
      }
      case 'diffMemory':
        respond(req.id, diffMemory(req.base, memoryBytes(), req.offset, req.count, req.maxRanges));
        return undefined;
      case 'stack':
        respond(req.id, control.stack);
        return undefined;
      case 'state':
        respond(req.id, processState());
        return undefined;
      case 'stdin':
        stdin?.push(req.data, req.end);
        respond(req.id, {});
        return undefined;
      case 'snapshot':
        if (init.role !== 'live') throw new RuntimeError('bad-option', 'snapshots are taken at the live end of the recording');
        control.forceSnapshot = true;
        control.pending = { reason: 'snapshot', description: 'Snapshot taken' };
        respond(req.id, {});
        return { kind: 'continue' };
      case 'terminate':
        process.exit(0);
    }
  } catch (e) {
    if (e instanceof TravelRequest) throw e;
    post({ type: 'response', id: req.id, error: (e as Error).message });
  }
  return undefined;
}

/** Answers the requests waiting, or waits up to `ms` for one; returns a mode when one says to go on. */
function serveOnce(ms: number): RunMode | undefined {
  const seen = Atomics.load(ctl, Cell.Mail);
  const m = receiveMessageOnPort(port);
  if (m) return handle(m.message as Envelope);
  // Woken without mail (the live program stopped: the recording is read now) or after `ms` with nothing asked.
  if (Atomics.wait(ctl, Cell.Mail, seen, ms) !== 'not-equal' && Atomics.load(ctl, Cell.Mail) === seen) idle();
  return undefined;
}

/** Work for the time nothing is asked (the replay worker reads what the live one has recorded meanwhile). */
let idle = (): void => undefined;

function serveUntilRun(): RunMode {
  for (;;) {
    const mode = serveOnce(100);
    if (mode) return mode;
  }
}

// ---- the point controller ------------------------------------------------------------------------------------

interface CompiledBreakpoint {
  spec: BreakpointSpec;
  host: boolean;
  cond: Condition;
  hits: number;
}

class Control implements PointObserver {
  /** The current point: the host call the program is in (-1 before its first). */
  n = -1;
  mode: RunMode = { kind: 'continue' };
  /** Stop at the next chance (after a snapshot the stop asked for). */
  pending: { reason: StopReason; description: string } | undefined;
  forceSnapshot = false;
  stack: StackFrameInfo[] = [];
  verified: { id: number; verified: boolean; message?: string }[] = [];
  /** While a replay re-executes for a reverse search: the points where a breakpoint would have stopped. */
  hits: number[] | undefined;
  private bps: CompiledBreakpoint[] = [];
  private guestBps = false;
  private data: { spec: DataBreakpointSpec; last: Uint8Array | undefined }[] = [];
  private prevFunctions = new Set<string>();
  private readonly batch = new PointBatchWriter();
  private lastPost = 0;
  /** The entries the run has made so far (live: the journal's record count). */
  records = () => 0;
  readonly t0 = performance.now();
  /** A replay moving through a foreign recording reports its points and snapshots (attach). */
  timeline = init.role === 'live' || init.replay?.scan === true;
  cursor: { records: LogRecord[]; cursor: ReplayCursor; snapshots: number; lastSnapshot: number } | undefined;

  setBreakpoints(bps: BreakpointSpec[], data: DataBreakpointSpec[]): void {
    this.verified = [];
    this.bps = [];
    for (const spec of bps) {
      try {
        const cond = spec.condition ? parseCondition(spec.condition) : () => true;
        this.bps.push({ spec, host: spec.name === '*' || isHostCall(spec.name), cond, hits: 0 });
        this.verified.push({ id: spec.id, verified: true });
      } catch (e) {
        this.verified.push({ id: spec.id, verified: false, message: `condition: ${(e as Error).message}` });
      }
    }
    this.guestBps = this.bps.some((b) => !b.host);
    const m = memoryBytes();
    this.data = data.map((spec) => ({ spec, last: m.length > 0 ? m.slice(spec.offset, spec.offset + spec.count) : undefined }));
    for (const d of data) this.verified.push({ id: d.id, verified: true });
  }

  current(): number {
    return this.n;
  }

  describe(name: string, args: readonly unknown[]): PointInfo {
    return describePoint(name, args, memoryBytes());
  }

  /** Called at every point before anything else (a branch goes live at its point). */
  beforePoint: ((n: number, name: string, args: readonly unknown[]) => void) | undefined;

  /** Puts point `n` on the timeline. */
  recordPoint(n: number, name: string, args: readonly unknown[]): void {
    const now = performance.now();
    this.now = now;
    this.batch.add(n, name, args, memoryBytes, this.records(), now - this.t0);
    if (this.batch.full || now - this.lastPost > 100) this.flushPoints();
  }

  /** The host call of the current point. */
  call: string | undefined;

  /** The mail count last looked at: requests that came while the program runs are answered at its next call. */
  private seenMail = 0;

  point(name: string, args: readonly unknown[], resumed: boolean): void {
    if (!resumed) this.n++;
    this.call = name;
    const mail = Atomics.load(ctl, Cell.Mail);
    if (mail !== this.seenMail) {
      this.seenMail = mail;
      // Breakpoints changed, input typed, ... while running: taken now, without stopping.
      for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) handle(m.message as Envelope);
    }
    Atomics.add(ctl, Cell.Calls, 1);
    const n = this.n;
    if (this.timeline && !resumed) this.recordPoint(n, name, args);
    this.beforePoint?.(n, name, args);
    if (this.cursor && !resumed) this.snapshotsAhead(n);
    if (this.pending) {
      const p = this.pending;
      this.pending = undefined;
      this.stopHere(p.reason, p.description);
      return;
    }
    if (resumed && !(this.mode.kind === 'to' && this.mode.point === n)) {
      this.resetData();
      this.dataMemory = memory;
      return;
    }
    if (Atomics.load(ctl, Cell.Pause) === 1 && init.role === 'live') {
      // A pause takes a snapshot where the program is, and stops there.
      Atomics.store(ctl, Cell.Pause, 0);
      this.forceSnapshot = true;
      this.pending = { reason: 'pause', description: 'Paused (a snapshot was taken here)' };
      return;
    }
    if (Atomics.load(ctl, Cell.Pause) === 1) {
      Atomics.store(ctl, Cell.Pause, 0);
      this.stopHere('pause', 'Paused');
      return;
    }
    if (this.data.length > 0 && this.dataMemory !== memory) {
      // A new instance (a re-execution from a snapshot or the start): compare from its memory here on.
      this.dataMemory = memory;
      this.resetData();
      if (this.bps.length === 0) return this.atTarget(n);
    }
    const checking = this.mode.kind === 'continue' || this.mode.breakpoints;
    if (checking && (this.bps.length > 0 || this.data.length > 0) && !resumed) {
      const hit = this.checkBreakpoints(n, name, args);
      if (hit) {
        if (this.hits) this.hits.push(n);
        else {
          // A hit at the target too: the stop is the breakpoint's.
          this.stopHere(hit.reason, hit.description, hit.ids);
          return;
        }
      }
    }
    this.atTarget(n);
  }

  private atTarget(n: number): void {
    if (this.mode.kind === 'to' && n >= this.mode.point) this.stopHere(this.stopReason.reason, this.stopReason.description);
  }

  private dataMemory: WebAssembly.Memory | undefined;

  /** Why the next stop at a `to` target happens (a step, a travel). */
  stopReason: { reason: StopReason; description: string } = { reason: 'step', description: 'Step' };

  private resetData(): void {
    const m = memoryBytes();
    for (const d of this.data) d.last = m.slice(d.spec.offset, d.spec.offset + d.spec.count);
    if (this.guestBps) this.prevFunctions = new Set(guestStack().map((f) => f.name));
  }

  private checkBreakpoints(n: number, name: string, args: readonly unknown[]): { reason: StopReason; description: string; ids: number[] } | undefined {
    const ids: number[] = [];
    let reason: StopReason = 'function breakpoint';
    let description = '';
    let info: PointInfo | undefined;
    let functions: Set<string> | undefined;
    if (this.guestBps) {
      functions = new Set(guestStack().map((f) => f.name));
    }
    for (const b of this.bps) {
      if (b.host) {
        if (b.spec.name !== '*' && b.spec.name !== name) continue;
        info ??= this.describe(name, args);
        if (!b.cond(info)) continue;
      } else if (!functions!.has(b.spec.name) || this.prevFunctions.has(b.spec.name)) continue;
      b.hits++;
      if (b.spec.hitCount !== undefined && b.hits < b.spec.hitCount) continue;
      ids.push(b.spec.id);
      description ||= b.host ? `Breakpoint on ${name}${b.spec.condition ? ` (${b.spec.condition})` : ''}` : `Entered ${b.spec.name}`;
    }
    if (functions) this.prevFunctions = functions;
    const m = memoryBytes();
    for (const d of this.data) {
      const now = m.slice(d.spec.offset, d.spec.offset + d.spec.count);
      if (d.last && Buffer.compare(now, d.last) !== 0) {
        ids.push(d.spec.id);
        if (ids.length === 1) reason = 'data breakpoint';
        description ||= `Memory 0x${d.spec.offset.toString(16)} (${d.spec.count} bytes) changed before point ${n}`;
      }
      d.last = now;
    }
    return ids.length > 0 ? { reason, description, ids } : undefined;
  }

  flushPoints(): void {
    this.lastPost = performance.now();
    if (this.batch.count === 0) return;
    const { batch, transfer } = this.batch.take(this.n + 1);
    post({ type: 'points', batch }, transfer);
  }

  /** A replay of a foreign recording: snapshots just ahead of the cursor were taken at this point. */
  private snapshotsAhead(n: number): void {
    const c = this.cursor!;
    let taken: number | undefined;
    for (let i = c.cursor.position; i < c.records.length; i++) {
      const r = c.records[i];
      const kind = kindAt(r);
      // The point the snapshot was taken at, as its thread state says (a host call that journals nothing leaves
      // several points before the same records).
      if (kind === 'SetThreadV1') taken = snapshotPoint(r);
      if (kind === 'SnapshotV1' && r.index > c.lastSnapshot) {
        if (taken !== undefined && taken > n) return;
        c.lastSnapshot = r.index;
        post({ type: 'snapshot', index: c.snapshots++, point: n, record: r.index, trigger: (r.entry as EntryByKind<'SnapshotV1'>).trigger, timeMs: 0, bytes: 0 });
        taken = undefined;
      } else if (!PASSIVE.has(kind) && kind !== 'HostFsResultV1') break;
      // (host answers are passed over too: the session's re-execution asks the host folders again)
    }
  }

  /** False while stopped inside a call (waiting for input) rather than at its start, where the point stops are. */
  atCallStart = true;

  /** Stops here, inside the current call: reports it, then answers requests until told to go on. */
  /** performance.now() at the last point recorded (one clock reading per call serves the policy too). */
  now = 0;

  /** Time spent stopped, which the snapshot policy does not count as running. */
  pausedMs = 0;

  stopHere(reason: StopReason, description: string, hit?: number[]): void {
    const since = performance.now();
    onStop();
    this.flushPoints();
    this.stack = withSources(guestStack(), this.call);
    post({ type: 'stopped', point: this.n, reason, description, hit: this.hits ?? hit });
    this.hits = undefined;
    const mode = serveUntilRun();
    this.pausedMs += performance.now() - since;
    this.go(mode);
  }

  go(mode: RunMode): void {
    this.mode = mode;
    // Data breakpoints compare with the memory of the point the program goes on from.
    if (this.data.length > 0 && memory) this.resetData();
    if (mode.kind === 'to') this.stopReason = { reason: 'step', description: 'Step' };
  }
}

let control: Control;

// What the session reads of a program paused by the inspector in the middle of a computation (it cannot ask through
// the port then): memory as base64, the process's state, the last point.
(globalThis as Record<string, unknown>).__wasmJournal = {
  read: (offset: number, count: number): { offset: number; data: string; size: number } => {
    const m = memoryBytes();
    const start = Math.min(Math.max(0, offset), m.length);
    const end = Math.min(m.length, start + Math.max(0, count));
    return { offset: start, data: Buffer.from(m.buffer, m.byteOffset + start, end - start).toString('base64'), size: m.length };
  },
  state: (): ProcessState => processState(),
  point: (): number => control.n,
  /**
   * Sends the points not sent yet and writes out the recording (the session's timeline and its replay must reach the
   * pause). Only for a pause in the module's code: the runtime's own state is then between two calls.
   */
  flush: (): number => {
    control.flushPoints();
    onStop();
    return control.n;
  },
};
let onStop = (): void => undefined;

/** A record's kind, without decoding a lazily read one. */
function kindAt(r: LogRecord): EntryKind {
  return r.kind ?? r.entry.kind;
}

/**
 * What every run of this worker tells it: the instance (its memory, process and code, read while stopped), with the
 * descriptors the restored `effects` opened (their folders are in the table by then), and progress lines.
 */
function runHooks(effects: readonly JournalEntry[]): Pick<RunOptions, 'onInstance' | 'progress'> {
  return {
    onInstance: (m, _e, p, code) => {
      memory = m;
      proc = p;
      runningCode = code;
      for (const e of effects) observeEntry(e);
    },
    progress: (message) => post({ type: 'progress', message }),
  };
}

// ---- running -------------------------------------------------------------------------------------------------

const discard: Terminal = { write: () => true };

async function load(): Promise<LoadedModule> {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(init.program);
  } catch (e) {
    throw new RuntimeError('bad-option', `${init.program}: cannot read the module: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  original = bytes;
  return loadModule(bytes, init.program);
}

/** The point a snapshot's thread state was saved at (undefined: not said, or not ours). */
function snapshotPoint(r: LogRecord): number | undefined {
  try {
    return decodeStore(r.entry as EntryByKind<'SetThreadV1'>).point;
  } catch {
    return undefined;
  }
}

/** After the program ended (or trapped): stay, answering requests about its final state. */
function ended(result: RunResult | undefined, error?: unknown): never {
  control.flushPoints();
  onStop();
  const end = control.n + 1;
  control.stack = [];
  if (error !== undefined) {
    // Not the program's trap (that comes with a result, and its text): the session tells a failed travel or an
    // unusable recording by the missing text, and says so (the description is the message).
    const msg = error instanceof Error ? error.message : String(error);
    post({ type: 'stopped', point: control.n, reason: 'exception', description: msg });
  } else if (result) {
    if (init.role === 'live') post({ type: 'exited', point: end, exitCode: result.exitCode, trap: result.trap });
    post({
      type: 'stopped',
      point: end,
      reason: result.trap !== undefined ? 'exception' : 'exit',
      description: result.trap !== undefined ? `Trapped: ${result.trap}` : result.replayEnded ? 'The end of the recording' : `Exited with code ${result.exitCode}`,
      text: result.trap,
      hit: control.hits,
    });
    control.hits = undefined;
  }
  for (;;) {
    const mode = serveUntilRun();
    // Nothing runs after the end: report where the program is again.
    post({ type: 'stopped', point: result ? end : control.n, reason: mode.kind === 'continue' ? 'exit' : 'step', description: 'The program has ended' });
  }
}

/**
 * A branch's world: up to its point, the recorded inputs (what its journal already holds is re-executed); from there,
 * the live world, recorded. Host folders are read live throughout (under overlay they are only read).
 */
class BranchWorld implements World {
  live = false;
  constructor(
    private readonly replay: SessionReplayWorld,
    private readonly rec: RecordingWorld,
  ) {}
  private w(): World {
    return this.live ? this.rec : this.replay;
  }
  start(): StartInfo {
    return this.replay.start();
  }
  clockTime(id: number): bigint {
    return this.w().clockTime(id);
  }
  random(dst: Uint8Array): void {
    this.w().random(dst);
  }
  readStdin(max: number): Uint8Array {
    return this.w().readStdin(max);
  }
  poll(compute: PollCompute, deadlineNs: bigint | undefined): Uint8Array {
    return this.w().poll(compute, deadlineNs);
  }
  hostFs(root: string): HostFs {
    return this.rec.hostFs(root);
  }
  listen(address: string, given?: boolean): { id: number; local: string } {
    return this.w().listen(address, given);
  }
  accept(id: number, block: boolean): Accepted {
    return this.w().accept(id, block);
  }
  connect(address: string): Accepted {
    return this.w().connect(address);
  }
  udpBind(address: string): { id: number; local: string } {
    return this.w().udpBind(address);
  }
  sendTo(id: number, data: Uint8Array, address: string): number {
    return this.w().sendTo(id, data, address);
  }
  recvFrom(id: number, max: number, block: boolean): { data: Uint8Array; peer: string } {
    return this.w().recvFrom(id, max, block);
  }
  setSocketOption(id: number, opt: 'nodelay' | 'keepalive', value: boolean): void {
    this.w().setSocketOption(id, opt, value);
  }
  recv(id: number, max: number, block: boolean): Uint8Array {
    return this.w().recv(id, max, block);
  }
  send(id: number, data: Uint8Array): number {
    return this.w().send(id, data);
  }
  shutdown(id: number, how: number): void {
    this.w().shutdown(id, how);
  }
  closeSocket(id: number): void {
    this.w().closeSocket(id);
  }
  terminalWrite(fd: number, write: () => boolean): boolean {
    return this.w().terminalWrite(fd, write);
  }
  settle(): void {
    this.rec.settle();
  }
  close(): void {
    this.rec.close();
    this.replay.close();
  }
}

async function runLive(cfg: LiveConfig, module: LoadedModule): Promise<never> {
  const branch = cfg.branch;
  fs.mkdirSync(path.dirname(cfg.journal), { recursive: true });
  // Made durable at every stop and at the end rather than at every snapshot (the session's own are frequent): a
  // crash loses at most what ran since the last stop, and the journal's torn tail is cut off when it is opened.
  // A branch's journal holds its parent's records before its point already: it goes on after them.
  const journal = branch ? LogFileJournal.openAppend(cfg.journal, { sync: 'never', background: true }) : LogFileJournal.create(cfg.journal, { sync: 'never', background: true });
  const out = sinkFor(journal);
  let count = branch?.records ?? 0;
  let snapshots = branch?.snapshots ?? 0;
  /** A branch is re-executed with what its journal holds until its point, and live from there. */
  let isLive = branch === undefined;
  let check: ReplayCursor | undefined;
  let memoryBytesSince = 0;
  let policyFired = false;
  /** When the policy last asked for a snapshot, and whether that was a pause's (which must be taken where it is). */
  let firedAt = 0;
  let forced = false;
  let snapCost = 0;
  let firstSnapshot = true;
  // The policy measures running time: time stopped at a breakpoint is not time between snapshots.
  const running = (): number => (control.now || performance.now()) - control.pausedMs;
  /** Set at the program's first call (instrumenting and compiling are not running time). */
  let lastSnapEnd: number | undefined;
  const sink: EntrySink = {
    write(e) {
      if (!isLive) {
        // Re-executing the branch's prefix: what the program does is checked against it, not written again.
        if (e.kind !== 'ResumedFromV1' && e.kind !== 'HostFsResultV1') check!.write(e);
        observeEntry(e);
        return;
      }
      out.write(e);
      count++;
      observeEntry(e);
      if (e.kind === 'UpdateMemoryRegionV1') memoryBytesSince += e.data.length;
      if (e.kind === 'SnapshotV1') {
        control.flushPoints();
        post({ type: 'snapshot', index: snapshots++, point: control.n, record: count - 1, trigger: e.trigger, timeMs: performance.now() - control.t0, bytes: memoryBytesSince });
        memoryBytesSince = 0;
        if (cfg.stopOnSnapshot && !policyFired && !control.pending) {
          control.pending = { reason: 'snapshot', description: `Snapshot ${snapshots - 1} (${e.trigger})` };
        }
        policyFired = false;
      }
    },
  };
  control.records = () => count;
  onStop = () => journal.syncNow();
  stdin = new SessionStdin(cfg.stdin);
  const live = new LiveWorld(cfg.args, cfg.env, cfg.fsMode, cfg.mounts, 0, [], undefined, {
    tty: NO_TTY,
    stdin,
    net: new NetPolicy(cfg.net ?? []),
    notice: (message) => post({ type: 'progress', message }),
  });
  const recording = new RecordingWorld(live, (e) => sink.write(e));
  let world: World = recording;
  let restore: JournalEntry[] | undefined;
  let resumeFrom: IndexedResume | undefined;
  if (branch) {
    const tail = new JournalTail(cfg.journal);
    tail.refresh();
    // The branch's journal ends with the run it branches from (an earlier run's prefix ends its journal).
    const start = startingPoint(cfg.journal, tail.records, runOf(cfg.journal, tail.records, undefined).start, branch.from);
    tail.close();
    check = new ReplayCursor(start.cursorRecords, true, ['HostFsResultV1']);
    const bw = new BranchWorld(new SessionReplayWorld(check, cfg.mounts), recording);
    world = bw;
    restore = start.effects;
    resumeFrom = start.resumeFrom;
    control.n = branch.from ? branch.from.point : -1;
    control.timeline = false;
    control.beforePoint = (n, name, args) => {
      if (n !== branch.at || isLive) return;
      // The branch's point: from here the program is live, its entries written, its output shown.
      isLive = true;
      bw.live = true;
      control.timeline = true;
      control.recordPoint(n, name, args);
    };
  }
  const terminal: Terminal = {
    write(stream, data) {
      if (isLive) post({ type: 'output', stream, data: new Uint8Array(data), point: control.n });
      return true;
    },
  };
  // Wait for the session's breakpoints before the program starts (DAP's configurationDone).
  control.go(serveUntilRun());
  if (cfg.stopOnEntry) {
    control.mode = { kind: 'to', point: 0, breakpoints: false };
    control.stopReason = { reason: 'entry', description: 'Stopped at the first host call' };
  }
  if (branch) {
    control.mode = { kind: 'to', point: branch.at, breakpoints: false };
    control.stopReason = { reason: 'goto', description: `A new branch: the program runs live from point ${branch.at}` };
  }
  let result: RunResult;
  try {
    result = await runProgram({
      module,
      world,
      sink,
      terminal,
      restore,
      resumeFrom,
      snapshotsAddToResumed: branch !== undefined,
      // A branch from a snapshot re-executes from there: what the world said before it is behind its cursor.
      restoreOffline: branch?.from !== undefined,
      snapshots: {
        triggers: cfg.triggers,
        periodMs: cfg.periodMs,
        // No snapshot while a branch re-executes what its journal holds (its snapshots are there already).
        suspended: () => !isLive,
        policy: () => {
          if (control.forceSnapshot) {
            control.forceSnapshot = false;
            forced = true;
            policyFired = !cfg.stopOnSnapshot || control.pending !== undefined;
            return true;
          }
          if (!cfg.autoSnapshots) return false;
          const now = running();
          lastSnapEnd ??= now;
          // Often enough that any point is a short re-execution away, rarely enough that taking them costs little:
          // at least AUTO_MIN_MS apart, and AUTO_FACTOR times as long as the last one took.
          if (now - lastSnapEnd < Math.max(AUTO_MIN_MS, AUTO_FACTOR * snapCost)) return false;
          // The last one asked for has not come (it waits for its module to be instrumented for the call stack it
          // met, or that stack could not be saved): not again at every call.
          if (policyFired && now - firedAt < AUTO_MIN_MS) return false;
          firedAt = now;
          forced = false;
          policyFired = true;
          return true;
        },
        // The policy's own snapshots can wait for a call whose stack the module can unwind (adaptive
        // instrumentation); a pause's is taken where the program paused, and one the user asked to stop at, where
        // its trigger fired.
        deferrable: (t) => (t === 'periodic-interval' && !forced ? true : cfg.stopOnSnapshot || forced ? false : undefined),
        taken: (_t, costMs) => {
          // Measured in real time (the running clock stands still within the host call the snapshot is taken at).
          // The first one writes all of memory, the next ones what changed since: its cost says nothing of theirs.
          snapCost = firstSnapshot ? 0 : costMs;
          firstSnapshot = false;
          // Running time from now on: what the snapshot took (and a re-execution of the run in a newly
          // instrumented module before it, adaptive instrumentation) is not time the program ran.
          lastSnapEnd = performance.now() - control.pausedMs;
          forced = false;
        },
      },
      points: control,
      instrumentation: sessionInstrumentation(module),
      onRun: (r) => (runControl = r),
      ...runHooks(restore ?? []),
    });
  } catch (e) {
    finish();
    ended(undefined, e);
  }
  finish();
  ended(result);

  /** The recording is complete: durable, closed (its lock released). */
  function finish(): void {
    try {
      journal.syncNow();
    } finally {
      journal.close();
      onStop = () => undefined;
    }
  }
}

/**
 * How a live recording instruments its module. From ADAPTIVE_FROM_BYTES on, adaptively: the module as built runs at
 * once, and the functions seen on call stacks at snapshot points are instrumented (cached per module, as `run` does:
 * snapshot/adaptive.ts); the policy's snapshots come at a call the module can unwind, once it is instrumented for
 * it. Below, statically (every function that can reach a WASI call): measured, that takes 0.2-0.4 s for the
 * fixtures and about 4 s per MB (8 with npm binaryen) beyond, once per module, and then every policy snapshot is
 * where the policy asks. WASM_JOURNAL_INSTRUMENT=static or adaptive decides for every module. (A branch
 * re-executes its prefix, not a recording: it instruments as its snapshots say.)
 */
function sessionInstrumentation(module: LoadedModule): 'adaptive' | 'static' {
  const how = process.env.WASM_JOURNAL_INSTRUMENT;
  if (how === 'static' || how === 'adaptive') return how;
  return module.bytes.length >= ADAPTIVE_FROM_BYTES ? 'adaptive' : 'static';
}
const ADAPTIVE_FROM_BYTES = 2 * 1024 * 1024;

/** Snapshots of a debug session: at least this far apart (ms of running)... */
const AUTO_MIN_MS = 50;
/** ...and this many times the time the last one took (so taking them costs at most a tenth of the running time). */
const AUTO_FACTOR = 10;

/** A re-execution's world: the recorded inputs, but the host's folders as they are (read-only under overlay). */
class SessionReplayWorld extends ReplayWorld {
  private readonly hosts: RealHostFs[] = [];
  constructor(
    src: InputSource,
    private readonly mounts: MountSpec[],
  ) {
    super(src);
  }
  override start(): StartInfo {
    const s = super.start();
    return {
      ...s,
      mounts: s.mounts.map((m) => {
        const host = this.mounts.find((x) => x.guest === m.guest)?.host;
        if (host === undefined && s.fsMode !== 'memory') throw new RuntimeError('bad-option', `the recording mounts ${m.guest}, which this session has no host folder for`);
        return { ...m, host: host ?? '' };
      }),
    };
  }
  override hostFs(root: string): HostFs {
    const h = new RealHostFs(root);
    this.hosts.push(h);
    return h;
  }
  override close(): void {
    for (const h of this.hosts) h.closeAll();
  }
}

/** Waits (answering requests) for the travel that starts a re-execution. */
function nextTravel(): Extract<Envelope, { type: 'travel' }> {
  for (;;) {
    try {
      serveUntilRun();
      // Nothing to run before a travel: report where the worker is.
      post({ type: 'stopped', point: control.n, reason: 'step', description: 'Nothing to run here' });
    } catch (e) {
      if (e instanceof TravelRequest) return e.req;
      throw e;
    }
  }
}

/** How often a replay worker reads the growing recording while the live program runs. */
const FOLLOW_WHILE_RUNNING_MS = 500;

async function runReplay(module: LoadedModule): Promise<never> {
  const cfg = init.replay!;
  const tail = new JournalTail(cfg.journal);
  let indexedUpTo = 0;
  let followed = 0;
  idle = () => {
    // While the live program runs, the recording is read once in a while (a long run's tail stays short to read);
    // once it stops, at once.
    const t = performance.now();
    if (Atomics.load(ctl, Cell.LiveRunning) === 1 && t - followed < FOLLOW_WHILE_RUNNING_MS) return;
    followed = t;
    try {
      if (!fs.existsSync(cfg.journal)) return;
      const n = tail.refresh();
      // Keep the snapshot index up to date too (it is extended over the new records), so a travel only reads the
      // snapshot it restores.
      if (n > indexedUpTo) SnapshotIndex.open(cfg.journal);
      indexedUpTo = n;
    } catch {
      // read again at the travel, which reports what is wrong
    }
  };
  let req = nextTravel();
  for (;;) {
    try {
      await reexecute(module, cfg, tail, req);
    } catch (e) {
      if (!(e instanceof TravelRequest)) throw e;
      req = e.req;
    }
  }
}

/**
 * Where a re-execution starts: the snapshot `from` restored through the index (its effects and memory), or the run's
 * start; and the records it re-executes with (the run's start, then what was recorded after the snapshot).
 */
function startingPoint(journal: string, records: LogRecord[], runStart: number, from: SnapshotAt | undefined): { cursorRecords: LogRecord[]; resumeFrom?: IndexedResume; effects: JournalEntry[] } {
  if (!from) {
    // A run that began after others starts from their end state, as `run` restored them when it recorded it: from
    // the snapshot it resumed from (through the index), or with their effects on files and descriptors, main anew.
    const run = records.slice(runStart);
    const resumed = run.find((r) => kindAt(r) === 'ResumedFromV1');
    if (resumed) {
      const snapshot = (resumed.entry as EntryByKind<'ResumedFromV1'>).snapshot;
      const resumeFrom = indexedResume(journal, snapshot);
      if (!resumeFrom) ended(undefined, new RuntimeError('bad-journal', `${journal}: the run resumed from snapshot ${snapshot}, which cannot be restored`));
      return { cursorRecords: run.filter((r) => r !== resumed), resumeFrom, effects: resumeFrom.effects };
    }
    // Memory records are kept as their kind alone (JournalTail): the earlier runs' memory is not this run's.
    return { cursorRecords: run, effects: records.slice(0, runStart).filter((r) => !PASSIVE.has(kindAt(r))).map((r) => r.entry) };
  }
  let k = -1;
  let at = -1;
  for (let i = runStart; i < records.length; i++) {
    if (kindAt(records[i]) === 'SnapshotV1' && ++k === from.index) {
      at = i;
      break;
    }
  }
  // Snapshot numbers of the journal count those of earlier runs first.
  const before = records.slice(0, runStart).filter((r) => kindAt(r) === 'SnapshotV1').length;
  const resumeFrom = at < 0 ? undefined : indexedResume(journal, before + from.index);
  if (!resumeFrom) ended(undefined, new RuntimeError('bad-journal', `${journal}: snapshot ${from.index} of the run cannot be restored`));
  return { cursorRecords: records.slice(runStart, runStart + 3).concat(records.slice(at + 1)), resumeFrom, effects: resumeFrom.effects };
}

/** runBounds, its errors ending the travel (the worker stays, to say so to the next). */
function runOf(journal: string, records: LogRecord[], run: number | undefined): { start: number; end: number } {
  try {
    return runBounds(records, run, journal);
  } catch (e) {
    ended(undefined, e);
  }
}

/** The replay's instance, kept from travel to travel. */
const slot = new InstanceSlot();

/** Restores the snapshot the travel names (or the run's start) and re-executes up to its point; never returns. */
async function reexecute(module: LoadedModule, cfg: NonNullable<WorkerInit['replay']>, tail: JournalTail, req: Extract<Envelope, { type: 'travel' }>): Promise<never> {
  try {
    tail.refresh();
  } catch (e) {
    // A damaged record: the worker stays, to say so to each travel (the recording is never changed here).
    ended(undefined, e instanceof JournalError ? new RuntimeError('bad-journal', e.message) : e);
  }
  const { start: runStart, end: runEnd } = runOf(cfg.journal, tail.records, cfg.run);
  // An earlier run ends where the next begins.
  const records = runEnd < tail.records.length ? tail.records.slice(0, runEnd) : tail.records;
  const init = records[runStart].entry as EntryByKind<'InitModuleV1'>;
  if (Buffer.compare(Buffer.from(init.wasm_hash), Buffer.from(module.hash)) !== 0) {
    const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex').slice(0, 16);
    ended(undefined, new RuntimeError('module-mismatch', `${cfg.journal} was recorded from another module (hash ${hex(init.wasm_hash)}..., ${module.path} is ${hex(module.hash)}...)`));
  }
  fdPaths = new Map();
  changed = new Set();
  memory = undefined;
  proc = undefined;
  const { cursorRecords, resumeFrom, effects } = startingPoint(cfg.journal, records, runStart, req.from);
  control.n = req.from ? req.from.point : -1;
  const cursor = new ReplayCursor(cursorRecords, true, ['HostFsResultV1']);
  const world = new SessionReplayWorld(cursor, cfg.mounts);
  const sink: EntrySink = {
    write(e) {
      if (e.kind === 'ResumedFromV1') return;
      cursor.write(e);
      observeEntry(e);
    },
  };
  control.mode = { kind: 'to', point: req.point, breakpoints: req.collect === true };
  control.stopReason = { reason: req.reason, description: req.description ?? `Point ${req.point}` };
  control.hits = req.collect ? [] : undefined;
  control.cursor = control.timeline ? { records: cursorRecords, cursor, snapshots: 0, lastSnapshot: -1 } : undefined;
  if (control.timeline) control.records = () => cursorRecords[cursor.position]?.index ?? records.length;
  const terminal: Terminal = control.timeline
    ? { write: (stream, data) => (post({ type: 'output', stream, data: new Uint8Array(data), point: control.n }), true) }
    : discard;
  let result: RunResult;
  try {
    result = await runProgram({
      module,
      world,
      sink,
      terminal,
      restore: effects,
      resumeFrom,
      // From a snapshot inside the run, what the world said before it is behind the cursor.
      restoreOffline: req.from !== undefined,
      // The earlier runs' terminal text is theirs, and the recording already checked their module.
      skipJournalStdio: true,
      force: true,
      points: control,
      slot,
      ...runHooks(effects),
    });
  } catch (e) {
    if (e instanceof TravelRequest) throw e;
    control.timeline = false;
    if (e instanceof ReplayEnd && req.point === Number.MAX_SAFE_INTEGER) {
      // A recording of a run that did not end (stopped after a snapshot, killed): its end is the last point.
      control.flushPoints();
      post({ type: 'stopped', point: control.n, reason: 'exit', description: 'The end of the recording (the recorded run did not end)' });
      control.cursor = undefined;
      for (;;) serveUntilRun();
    }
    if (e instanceof ReplayEnd) ended(undefined, new RuntimeError('divergence', 'the re-execution reached the end of the recording before the point it was going to'));
    ended(undefined, e);
  }
  control.timeline = false;
  control.cursor = undefined;
  ended(result);
}

async function main(): Promise<void> {
  const data = workerData as { early?: boolean; init: WorkerInit; port: MessagePort };
  const start = data.early ? await new Promise<GuestWorkerStart>((resolve) => parentPort!.once('message', resolve)) : data;
  init = start.init;
  port = start.port;
  ctl = new Int32Array(init.control);
  control = new Control();
  let module: LoadedModule;
  try {
    module = await load();
  } catch (e) {
    post({ type: 'failed', message: (e as Error).message });
    return;
  }
  post({ type: 'ready', instrumented: true });
  try {
    if (init.role === 'live') await runLive(init.live!, module);
    else await runReplay(module);
  } catch (e) {
    if (e instanceof TravelRequest) {
      // ended()'s loop is where travels arrive after the end; a replay worker handles them in runReplay.
      post({ type: 'failed', message: 'a travel reached a worker that cannot travel' });
      return;
    }
    post({ type: 'failed', message: e instanceof RuntimeError || e instanceof JournalError ? e.message : `internal error: ${(e as Error).stack ?? String(e)}` });
  }
}

void main();

