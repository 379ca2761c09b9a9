// A recording you can move through (knows nothing of DAP). The live guest worker runs the program and records it; it
// stays stopped at the frontier while the replay worker visits the past: a travel restores the nearest snapshot and
// re-executes with the recorded inputs up to the point. Going forward from the past re-executes the recorded future;
// where it reaches the frontier, the live worker takes over and the program runs on for real.

import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { RuntimeError } from '../errors';
import { parseSnapshotTrigger, type SnapshotTriggerName } from '../../journal/wasi-types';
import { DEFAULT_TRIGGERS } from '../snapshot/triggers';
import { FS_MODES, NetPolicy, type FsMode, type MountSpec } from '../world';
import { exportJournal, type ExportOptions, type ExportResult } from './export';
import { parseMount } from '../host/plan';
import { WorkerInspector } from './inspector-pause';
import { takePrestarted, workerFile } from '../prestart';

/** How long a paused program may go without a host call before its engine is paused instead. */
const COMPUTING_GRACE_MS = 300;
import { categoryOf, joinColumns, pointText, PointTable, type PointColumns, type PointInfo } from './points';
import {
  Cell, CONTROL_CELLS, type BreakpointSpec, type LiveConfig, type DataBreakpointSpec, type MemoryDiff, type ProcessState, type Request,
  type RunMode, type SnapshotAt, type StackFrameInfo, type StopReason, type WorkerEvent, type WorkerInit, type GuestWorkerStart,
} from './protocol';

export interface LaunchOptions {
  program: string;
  args?: string[];
  env?: Record<string, string> | string[];
  /** Where relative paths (program, dirs, journal) start. */
  cwd?: string;
  /** Host folders for the guest, `HOST::GUEST` (or HOST alone: the same path in the guest). */
  dirs?: string[];
  fsMode?: FsMode;
  stdin?: string;
  /** Where to record (default: .wasm-journal/ beside the program). */
  journal?: string;
  snapshotOn?: string[];
  /** ms between periodic snapshots (adds the periodic-interval trigger). */
  snapshotPeriod?: number;
  stopOnEntry?: boolean;
  stopOnSnapshot?: boolean;
  /** Snapshots of the session's own policy, so any point is a short re-execution away (default true). */
  autoSnapshots?: boolean;
  /** Where the program's own sockets may bind and connect besides loopback (as `run --net`). */
  net?: string[];
}

export interface AttachOptions {
  /** The recording. */
  journal: string;
  /** The module it was recorded from. */
  program: string;
  cwd?: string;
  dirs?: string[];
  /** Which run of the journal to open, from 1 (default: the last; a journal appended to by several runs holds more). */
  run?: number;
}

export interface Stop {
  point: number;
  reason: StopReason;
  description: string;
  hitBreakpointIds?: number[];
  /** A trap's message (reason `exception`). */
  text?: string;
}

export interface SnapshotRecord extends SnapshotAt {
  trigger: SnapshotTriggerName;
  record: number;
  timeMs: number;
  /** Memory bytes the snapshot wrote (changed since the one before). */
  bytes: number;
}

export interface OutputChunk {
  stream: 1 | 2;
  text: string;
  point: number;
}

/** The memory images of past points kept for reading (least recently used dropped first). */
const MEMORY_IMAGE_BUDGET = 1024 * 1024 * 1024;

export interface TimelinePoint {
  point: number;
  call: string;
  text: string;
  category: string;
  timeMs: number;
  record: number;
  /** The snapshot taken at this point, if any. */
  snapshot?: number;
}

export interface Timeline {
  points: TimelinePoint[];
  snapshots: SnapshotRecord[];
  current: number;
  /** Points recorded so far (the end point, after the last call, when the program ended). */
  total: number;
  start: number;
  ended: boolean;
  exitCode?: number;
  /** The branch shown, and every branch. */
  branch: number;
  branches: BranchInfo[];
}

export interface SessionEvents {
  stopped: [Stop];
  output: [OutputChunk];
  exited: [{ exitCode: number; trap?: string }];
  progress: [string];
  snapshot: [SnapshotRecord];
  waitingForInput: [number];
}

/** The guest worker: next to the bundle (dist/), or in this folder of the compiled sources. */
export function guestWorkerFile(): string {
  return workerFile('guest-worker.js', 'session');
}

/** One guest worker and the requests in flight to it. */
class GuestThread {
  readonly worker: Worker;
  readonly port: MessagePort;
  readonly control: Int32Array;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private stopWaiters: ((s: Extract<WorkerEvent, { type: 'stopped' }>) => void)[] = [];
  /** Stops nobody waited for (the live program stopping by itself while running). */
  onStop: (s: Extract<WorkerEvent, { type: 'stopped' }>) => void = () => undefined;
  onEvent: (e: WorkerEvent) => void = () => undefined;
  dead: string | undefined;
  readonly ready: Promise<void>;
  private rejectReady: (e: Error) => void = () => undefined;

  constructor(init: Omit<WorkerInit, 'control'>) {
    const sab = new SharedArrayBuffer(CONTROL_CELLS * 4);
    this.control = new Int32Array(sab);
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    // A worker started early (runtime/prestart.ts) has loaded meanwhile: it gets its part now.
    const file = guestWorkerFile();
    const early = takePrestarted(file);
    const data = { init: { ...init, control: sab }, port: port2 };
    this.worker = early?.worker ?? new Worker(file, { workerData: data, transferList: [port2] });
    if (early) this.worker.postMessage({ type: 'start', ...data } satisfies GuestWorkerStart, [port2]);
    let readyResolve!: () => void;
    let readyReject!: (e: Error) => void;
    this.ready = new Promise((res, rej) => {
      readyResolve = res;
      readyReject = rej;
      this.rejectReady = rej;
    });
    // Whoever waits for it sees the failure; nobody waiting is no crash.
    this.ready.catch(() => undefined);
    const dispatch = (e: WorkerEvent): void => {
      switch (e.type) {
        case 'ready':
          readyResolve();
          return;
        case 'failed':
          this.fail(e.message);
          readyReject(new RuntimeError('bad-option', e.message));
          return;
        case 'response': {
          const w = this.waiting.get(e.id);
          this.waiting.delete(e.id);
          if (e.error !== undefined) w?.reject(new RuntimeError('bad-option', e.error));
          else w?.resolve(e.body);
          return;
        }
        case 'stopped': {
          const w = this.stopWaiters.shift();
          if (w) w(e);
          else this.onStop(e);
          return;
        }
        default:
          this.onEvent(e);
      }
    };
    this.port.on('message', dispatch);
    this.worker.on('error', (err) => this.fail(`the guest worker failed: ${err.message}`));
    if (early?.failure) this.fail(`the guest worker failed: ${early.failure.message}`);
    this.worker.on('exit', () => {
      // What the worker said last (why it failed) may still wait in the port: the exit can be seen before it.
      for (let m = receiveMessageOnPort(this.port); m; m = receiveMessageOnPort(this.port)) dispatch(m.message as WorkerEvent);
      this.fail('the guest worker ended');
    });
  }

  private fail(message: string): void {
    if (this.dead) return;
    this.dead = message;
    // A worker that failed before it was ready (at its start, or one started early that died meanwhile).
    this.rejectReady(new RuntimeError('bad-option', message));
    for (const w of this.waiting.values()) w.reject(new RuntimeError('bad-option', message));
    this.waiting.clear();
    const waiters = this.stopWaiters;
    this.stopWaiters = [];
    for (const w of waiters) w({ type: 'stopped', point: -1, reason: 'exception', description: message, text: message });
  }

  private post(req: Request & { id: number }, transfer: ArrayBuffer[] = []): void {
    if (this.dead) throw new RuntimeError('bad-option', this.dead);
    this.port.postMessage(req, transfer);
    Atomics.add(this.control, Cell.Mail, 1);
    Atomics.notify(this.control, Cell.Mail);
  }

  request<T>(req: Request, transfer: ArrayBuffer[] = []): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      try {
        this.post({ ...req, id } as Request & { id: number }, transfer);
      } catch (e) {
        this.waiting.delete(id);
        reject(e as Error);
      }
    });
  }

  /** Sends a run or travel and waits for the stop it ends in. */
  go(req: Extract<Request, { type: 'run' | 'travel' }>): Promise<Extract<WorkerEvent, { type: 'stopped' }>> {
    return new Promise((resolve, reject) => {
      this.stopWaiters.push(resolve);
      try {
        this.post({ ...req, id: this.nextId++ });
      } catch (e) {
        this.stopWaiters.pop();
        reject(e as Error);
      }
    });
  }

  pause(): void {
    Atomics.store(this.control, Cell.Pause, 1);
    Atomics.notify(this.control, Cell.Mail);
  }

  async terminate(): Promise<void> {
    this.dead ??= 'the session ended';
    await this.worker.terminate();
  }
}

function resolveMounts(dirs: string[] | undefined, cwd: string): MountSpec[] {
  return (dirs ?? []).map((spec) => {
    try {
      return parseMount(spec, cwd);
    } catch (e) {
      if (e instanceof RuntimeError) throw new RuntimeError('bad-option', `dirs: "${spec}": ${e.message}`);
      throw e;
    }
  });
}

/** The live program's configuration from launch options (checked: folders, triggers, the file-system mode). */
function liveConfigOf(opts: LaunchOptions, program: string, journal: string, cwd: string): LiveConfig {
  const fsMode = opts.fsMode ?? 'overlay';
  if (!FS_MODES.includes(fsMode)) throw new RuntimeError('bad-option', `fsMode "${fsMode}": use overlay, memory or host`);
  const mounts = resolveMounts(opts.dirs, cwd);
  const triggers: SnapshotTriggerName[] = [];
  for (const t of opts.snapshotOn ?? DEFAULT_TRIGGERS) {
    const name = parseSnapshotTrigger(t);
    if (!name) throw new RuntimeError('bad-option', `snapshotOn: unknown trigger "${t}"`);
    triggers.push(name);
  }
  if (opts.snapshotPeriod !== undefined) {
    if (!(opts.snapshotPeriod > 0)) throw new RuntimeError('bad-option', `snapshotPeriod ${opts.snapshotPeriod}: expected a number of ms above 0`);
    if (!triggers.includes('periodic-interval')) triggers.push('periodic-interval');
  }
  const env = Array.isArray(opts.env) ? opts.env : Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`);
  const net = opts.net ?? [];
  try {
    new NetPolicy(net);
  } catch (e) {
    if (e instanceof RuntimeError) throw new RuntimeError('bad-option', e.message.replace(/^--net /, 'net: '));
    throw e;
  }
  return {
    args: [path.basename(program), ...(opts.args ?? [])],
    env,
    fsMode,
    mounts,
    journal,
    triggers,
    periodMs: opts.snapshotPeriod,
    autoSnapshots: opts.autoSnapshots ?? true,
    stdin: opts.stdin,
    stopOnEntry: opts.stopOnEntry ?? false,
    stopOnSnapshot: opts.stopOnSnapshot ?? false,
    net,
  };
}

function checkProgram(file: string): void {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new RuntimeError('bad-option', `program ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder' : (e as Error).message}`);
  }
  try {
    if (fs.fstatSync(fd).isDirectory()) throw new RuntimeError('bad-option', `program ${file}: is a folder`);
    const head = Buffer.alloc(4);
    const n = fs.readSync(fd, head, 0, 4, 0);
    if (n < 4 || head.toString('latin1') !== '\0asm') throw new RuntimeError('not-wasm', `program ${file}: not a WebAssembly module (it does not start with \\0asm)`);
  } finally {
    fs.closeSync(fd);
  }
}

/** A fresh file name for a recording: `journal`, or beside the program, never over an existing file. */
function recordingPath(program: string, wanted: string | undefined, cwd: string): string {
  const base = wanted ? path.resolve(cwd, wanted) : path.join(path.dirname(program), '.wasm-journal', `${path.basename(program, '.wasm')}.journal`);
  if (!fs.existsSync(base)) return base;
  const ext = path.extname(base);
  for (let i = 2; ; i++) {
    const p = `${base.slice(0, base.length - ext.length)}-${i}${ext}`;
    if (!fs.existsSync(p)) return p;
  }
}

/**
 * One line of the recording's history: the main run, or a branch that went live from a point of another. A branch's
 * journal starts with a copy of its parent's records before that point, so it restores and replays on its own; the
 * points before it are its parent's.
 */
class Branch {
  live: GuestThread | undefined;
  replay: GuestThread | undefined;
  replayReady: Promise<GuestThread> | undefined;
  /** Where the live worker is stopped (the frontier), or the end point once the program ended. */
  frontier = -1;
  private running = false;
  ended = false;
  exitCode: number | undefined;
  /** Which run of its journal it is, from 1 (undefined: the last; an attached recording's earlier run). */
  run: number | undefined;
  /** The live program paused by the inspector between two host calls (its frames). */
  computing: { frames: StackFrameInfo[]; inspector: WorkerInspector } | undefined;
  inspector: WorkerInspector | undefined;
  private readonly own = new PointTable();
  readonly snapshots: SnapshotRecord[];
  readonly output: OutputChunk[];

  constructor(
    readonly id: number,
    readonly journal: string,
    readonly parent?: Branch,
    /** The first point of its own (before it, the parent's). */
    readonly from = 0,
  ) {
    this.snapshots = parent ? parent.snapshots.filter((x) => x && x.point <= from && (parent.record(from) ?? Infinity) > x.record) : [];
    this.output = parent ? parent.output.filter((c) => c.point < from) : [];
  }

  /** Whether the live program runs (its replay worker is told, so it reads the recording seldom meanwhile). */
  get liveRunning(): boolean {
    return this.running;
  }
  set liveRunning(v: boolean) {
    this.running = v;
    this.tellReplay();
  }
  tellReplay(): void {
    if (!this.replay) return;
    Atomics.store(this.replay.control, Cell.LiveRunning, this.running ? 1 : 0);
    // Stopped: it reads what it has not read yet at once.
    if (!this.running) Atomics.notify(this.replay.control, Cell.Mail);
  }

  append(b: Parameters<PointTable['append']>[0]): void {
    this.own.append(b);
  }
  info(p: number): PointInfo | undefined {
    return this.parent && p < this.from ? this.parent.info(p) : this.own.info(p);
  }
  record(p: number): number | undefined {
    return this.parent && p < this.from ? this.parent.record(p) : this.own.record(p);
  }
  time(p: number): number | undefined {
    return this.parent && p < this.from ? this.parent.time(p) : this.own.time(p);
  }
  columns(start: number, end: number): PointColumns {
    if (!this.parent) return this.own.columns(start, end);
    // Always the parent's names first, then this branch's: a call's id is the same in every stretch asked for.
    const before = this.parent.columns(Math.min(start, this.from), Math.min(end, this.from));
    return joinColumns(before, this.own.columns(Math.max(start, this.from), Math.max(end, this.from)));
  }
  get length(): number {
    return Math.max(this.own.length, this.parent ? this.from : 0);
  }
}

export interface BranchInfo {
  id: number;
  /** The branch it went live from, and the point. */
  parent?: number;
  from: number;
  journal: string;
  ended: boolean;
  /** Its live end. */
  end: number;
}

export class RecordingSession extends EventEmitter<SessionEvents> {
  private branches: Branch[] = [];
  /** The branch the session is on. */
  private b = new Branch(0, '');
  private active: 'live' | 'replay' = 'live';
  private program = '';
  private mounts: MountSpec[] = [];
  /** The live program's configuration (a branch starts another live program with it). */
  private liveConfig: LiveConfig | undefined;
  fsMode: FsMode = 'overlay';
  /** The point the session is at. */
  current = -1;

  // The current branch's state.
  private get live(): GuestThread | undefined {
    return this.b.live;
  }
  private set live(t: GuestThread | undefined) {
    this.b.live = t;
  }
  private get replay(): GuestThread | undefined {
    return this.b.replay;
  }
  private set replay(t: GuestThread | undefined) {
    this.b.replay = t;
  }
  private get replayReady(): Promise<GuestThread> | undefined {
    return this.b.replayReady;
  }
  private set replayReady(p: Promise<GuestThread> | undefined) {
    this.b.replayReady = p;
  }
  private get frontier(): number {
    return this.b.frontier;
  }
  private set frontier(n: number) {
    this.b.frontier = n;
  }
  private get liveRunning(): boolean {
    return this.b.liveRunning;
  }
  private set liveRunning(v: boolean) {
    this.b.liveRunning = v;
  }
  private get computing(): Branch['computing'] {
    return this.b.computing;
  }
  private set computing(c: Branch['computing']) {
    this.b.computing = c;
  }
  private get inspector(): WorkerInspector | undefined {
    return this.b.inspector;
  }
  private set inspector(i: WorkerInspector | undefined) {
    this.b.inspector = i;
  }
  private get points(): Branch {
    return this.b;
  }
  /** The recording of the current branch. */
  get journal(): string {
    return this.b.journal;
  }
  get ended(): boolean {
    return this.b.ended;
  }
  get exitCode(): number | undefined {
    return this.b.exitCode;
  }
  get snapshots(): SnapshotRecord[] {
    return this.b.snapshots;
  }
  get output(): OutputChunk[] {
    return this.b.output;
  }
  /** The current branch's number (0: the run launched). */
  get branch(): number {
    return this.b.id;
  }
  private breakpoints: BreakpointSpec[] = [];
  private dataBreakpoints: DataBreakpointSpec[] = [];
  private busy = false;
  /** The recording only (attach): no live program. */
  postMortem = false;

  /** Starts the live worker; the program starts with start() (after the client's breakpoints). */
  async launch(opts: LaunchOptions): Promise<void> {
    const cwd = path.resolve(opts.cwd ?? process.cwd());
    if (!opts.program) throw new RuntimeError('bad-option', 'launch: "program" (the .wasm file to run) is required');
    const program = path.resolve(cwd, opts.program);
    checkProgram(program);
    const journal = recordingPath(program, opts.journal, cwd);
    const live = liveConfigOf(opts, program, journal, cwd);
    this.program = program;
    this.mounts = live.mounts;
    this.fsMode = live.fsMode;
    this.b = new Branch(0, journal);
    this.branches = [this.b];
    this.liveConfig = live;
    const b = this.b;
    b.live = this.thread({ role: 'live', program, live }, 'live', b);
    // The replay worker loads beside the live one, before the program runs (so neither its start-up nor its reading
    // takes the CPU the program runs on; it reads the recording seldom while the program runs).
    this.ensureReplay().catch(() => undefined);
    try {
      await b.live.ready;
    } catch (e) {
      await b.replay?.terminate();
      throw e;
    }
    b.live.onStop = (s) => this.liveStopped(s, b);
  }

  /**
   * Opens a recording alone (post-mortem): every recorded point can be visited. With `resume` (launch options), the
   * program can go live from any of its points too (a branch, beside the recording).
   */
  async attach(opts: AttachOptions, resume?: LaunchOptions): Promise<void> {
    const cwd = path.resolve(opts.cwd ?? process.cwd());
    const program = path.resolve(cwd, opts.program);
    checkProgram(program);
    const journal = path.resolve(cwd, opts.journal);
    if (!fs.existsSync(journal)) throw new RuntimeError('bad-option', `journal ${journal}: no such file`);
    this.program = program;
    this.mounts = resolveMounts(opts.dirs, cwd);
    if (resume) {
      this.liveConfig = liveConfigOf({ ...resume, dirs: opts.dirs }, program, journal, cwd);
      this.fsMode = this.liveConfig.fsMode;
    }
    if (opts.run !== undefined && (!Number.isInteger(opts.run) || opts.run < 1)) throw new RuntimeError('bad-option', `run ${opts.run}: expected a run number from 1`);
    this.b = new Branch(0, journal);
    this.b.run = opts.run;
    this.branches = [this.b];
    this.postMortem = true;
    this.active = 'replay';
    const r = await this.ensureReplay(true);
    // One pass through the whole recording: its points, snapshots and output.
    const end = await r.go({ type: 'travel', point: Number.MAX_SAFE_INTEGER, reason: 'exit' });
    if (end.point < 0) throw new RuntimeError('bad-journal', end.description);
    if (end.reason === 'exception' && end.text === undefined) {
      // A recording the module does not reproduce (another module, a damaged journal).
      throw new RuntimeError('bad-journal', `${journal}: ${end.description}`);
    }
    this.frontier = end.point;
    this.current = end.point;
    this.b.ended = true;
  }

  private thread(init: Omit<WorkerInit, 'control'>, role: 'live' | 'replay', branch = this.b): GuestThread {
    const t = new GuestThread(init);
    t.onEvent = (e) => this.workerEvent(e, role, branch);
    return t;
  }

  /** What a worker tells of its branch: the live one its points, snapshots and output (a replay only when attached). */
  private workerEvent(e: WorkerEvent, role: 'live' | 'replay', b: Branch): void {
    const timeline = role === 'live' || this.postMortem;
    switch (e.type) {
      case 'points':
        if (timeline) b.append(e.batch);
        return;
      case 'snapshot': {
        if (!timeline) return;
        const s: SnapshotRecord = { index: e.index, point: e.point, trigger: e.trigger, record: e.record, timeMs: e.timeMs, bytes: e.bytes };
        b.snapshots[e.index] = s;
        this.emit('snapshot', s);
        return;
      }
      case 'output': {
        if (!timeline) return;
        const chunk: OutputChunk = { stream: e.stream, text: Buffer.from(e.data).toString('utf8'), point: e.point };
        b.output.push(chunk);
        this.emit('output', chunk);
        return;
      }
      case 'exited':
        b.ended = true;
        b.exitCode = e.exitCode;
        this.emit('exited', { exitCode: e.exitCode, trap: e.trap });
        return;
      case 'progress':
        this.emit('progress', e.message);
        return;
      case 'waitingForInput':
        this.emit('waitingForInput', e.point);
        return;
      default:
    }
  }

  /** The replay worker, started once (again if it died): loading and compiling the module is its start-up cost. */
  private ensureReplay(scan = false): Promise<GuestThread> {
    if (this.replay && !this.replay.dead && this.replayReady) return this.replayReady;
    const t = this.thread({ role: 'replay', program: this.program, replay: { journal: this.journal, mounts: this.mounts, scan, run: this.b.run } }, 'replay');
    this.replay = t;
    this.b.tellReplay();
    this.replayReady = (async () => {
      await t.ready;
      await t.request({ type: 'breakpoints', breakpoints: this.breakpoints, data: this.dataBreakpoints });
      return t;
    })();
    return this.replayReady;
  }

  private thread_(): GuestThread {
    const t = this.active === 'live' ? this.live : this.replay;
    if (!t) throw new RuntimeError('bad-option', 'the session has no program');
    return t;
  }

  /** A stop of the live program nobody asked for (a breakpoint while running, a pause, the end). */
  private liveStopped(s: Extract<WorkerEvent, { type: 'stopped' }>, b = this.b): void {
    b.liveRunning = false;
    b.frontier = s.point;
    if (b !== this.b) return;
    this.active = 'live';
    this.current = s.point;
    this.emit('stopped', this.stop(s));
    // (Again if it died meanwhile.)
    if (!this.terminated) this.ensureReplay().catch(() => undefined);
  }

  private stop(s: Extract<WorkerEvent, { type: 'stopped' }>): Stop {
    return { point: s.point, reason: s.reason, description: s.description, hitBreakpointIds: s.hit, text: s.text };
  }

  get running(): boolean {
    return this.liveRunning;
  }

  /** The point of the live end (where the live program is stopped, or the end once it ended). */
  get liveEnd(): number {
    return this.frontier;
  }

  private async exclusive<T>(f: () => Promise<T>): Promise<T> {
    if (this.liveRunning) throw new RuntimeError('bad-option', 'the program is running; pause it first');
    if (this.busy) throw new RuntimeError('bad-option', 'the session is busy with another request');
    this.busy = true;
    try {
      return await f();
    } finally {
      this.busy = false;
    }
  }

  /** Starts the program (after the breakpoints are set). */
  start(): void {
    if (!this.live) return;
    this.liveRunning = true;
    const b = this.b;
    this.live.go({ type: 'run', mode: { kind: 'continue' } }).then((s) => this.liveStopped(s, b), () => undefined);
  }

  private runLive(mode: RunMode): Stop | undefined {
    const live = this.live!;
    this.active = 'live';
    if (this.computing) {
      // Paused in the middle of a computation: the run it was in goes on (its stop comes as before).
      void this.resumeComputing(mode);
      return undefined;
    }
    this.liveRunning = true;
    const b = this.b;
    live.go({ type: 'run', mode }).then((s) => this.liveStopped(s, b), () => undefined);
    return undefined;
  }

  async setBreakpoints(bps: BreakpointSpec[], data: DataBreakpointSpec[] = this.dataBreakpoints): Promise<{ id: number; verified: boolean; message?: string }[]> {
    this.breakpoints = bps;
    this.dataBreakpoints = data;
    let verified: { id: number; verified: boolean; message?: string }[] = [];
    // Every branch's workers (a travel to another branch finds them set); a program running takes them at its next
    // host call.
    for (const b of this.branches.length > 0 ? this.branches : [this.b]) {
      for (const t of [b.live, b.replay]) {
        if (t && !t.dead) verified = await t.request({ type: 'breakpoints', breakpoints: bps, data });
      }
    }
    return verified;
  }

  async setDataBreakpoints(data: DataBreakpointSpec[]): Promise<void> {
    await this.setBreakpoints(this.breakpoints, data);
  }

  pause(): void {
    const live = this.live;
    if (!this.liveRunning || !live) return;
    live.pause();
    // A program computing without host calls does not see the request: pause its engine instead.
    const calls = Atomics.load(live.control, Cell.Calls);
    setTimeout(() => {
      if (this.liveRunning && Atomics.load(live.control, Cell.Calls) === calls && !this.computing) {
        this.pauseComputing(live).catch((e: Error) => this.emit('progress', `cannot pause the computing program: ${e.message}`));
      }
    }, COMPUTING_GRACE_MS).unref();
  }


  private async pauseComputing(live: GuestThread): Promise<void> {
    this.inspector ??= new WorkerInspector(live.worker.threadId);
    const frames = await this.inspector.pause();
    if (!this.liveRunning) {
      // It reached a host call meanwhile (and stopped there): let the engine go on into it.
      await this.inspector.resume();
      return;
    }
    this.computing = { frames, inspector: this.inspector };
    this.liveRunning = false;
    // The points the worker had not sent yet (it was computing): sent now, and received before the stop is told.
    const last = (await this.inspector.evaluate(this.inspector.inWasm ? '__wasmJournal.flush()' : '__wasmJournal.point()')) as number;
    for (let i = 0; i < 100 && this.points.length <= last; i++) await new Promise((r) => setTimeout(r, 5));
    this.frontier = last + 1;
    this.active = 'live';
    this.current = this.frontier;
    this.emit('stopped', {
      point: this.frontier,
      reason: 'pause',
      description: `Paused while computing: no host call since point ${last} (the program stops at point ${this.frontier} when it makes its next one)`,
    });
  }

  /** Lets a program paused while computing go on: to its next host call (a step), or on (continue). */
  private async resumeComputing(mode: RunMode): Promise<void> {
    const c = this.computing!;
    const live = this.live!;
    this.computing = undefined;
    // The pause request is still in the cell: a step stops at the next host call; a continue clears it.
    if (mode.kind === 'continue') Atomics.store(live.control, Cell.Pause, 0);
    this.liveRunning = true;
    await c.inspector.resume();
  }

  /** Runs forward: through the recorded future (stopping at breakpoints), then live. */
  continue(): Promise<Stop | undefined> {
    return this.exclusive(async () => {
      if (this.active === 'live') {
        if (this.ended) return this.here('exit', this.exitDescription());
        return this.runLive({ kind: 'continue' });
      }
      // Up to the live end; a live program paused mid-computation is past its last point, which is as far as the
      // recording goes (the re-execution might compute forever after it).
      const target = this.computing ? this.frontier - 1 : this.frontier;
      if (this.current >= target) return this.atFrontier('step');
      const r = await this.moveReplay({ type: 'run', mode: { kind: 'to', point: target, breakpoints: true } });
      if (r.point !== target) return this.stop(r);
      // The frontier: a breakpoint there stops there (the live program takes over, stopped); otherwise it runs on.
      if (r.reason !== 'step') {
        if (!this.computing) this.atFrontier(r.reason, false);
        return this.stop(r);
      }
      return this.atFrontier('step');
    });
  }

  private exitDescription(): string {
    return this.exitCode === undefined ? 'The end of the recording' : `Exited with code ${this.exitCode}`;
  }

  /** Reached the frontier from the past: the live program takes over. */
  private atFrontier(reason: StopReason, andRun = true): Stop | undefined {
    if (this.postMortem) {
      this.current = this.frontier;
      return { point: this.frontier, reason: 'exit', description: 'The end of the recording' };
    }
    this.active = 'live';
    this.current = this.frontier;
    if (this.ended) return { point: this.frontier, reason: 'exit', description: this.exitDescription() };
    if (andRun) return this.runLive({ kind: 'continue' });
    return { point: this.frontier, reason, description: `Point ${this.frontier}: the live end of the recording` };
  }

  private here(reason: StopReason, description: string): Stop {
    return { point: this.current, reason, description };
  }

  /** One host call forward. */
  stepForward(): Promise<Stop | undefined> {
    return this.exclusive(async () => {
      const to = this.current + 1;
      if (this.active === 'live') {
        if (this.ended) return this.here('step', `${this.exitDescription()}: there is nothing after the end`);
        return this.runLive({ kind: 'to', point: to, breakpoints: false });
      }
      if (to >= this.frontier) return this.atFrontier('step', false);
      return this.stop(await this.moveReplay({ type: 'run', mode: { kind: 'to', point: to, breakpoints: false } }));
    });
  }

  /** One host call back. */
  stepBack(): Promise<Stop> {
    return this.exclusive(async () => {
      if (this.current <= 0) return this.here('step', 'At the start of the recording');
      return this.goto(this.current - 1, 'step', `Stepped back to point ${this.current - 1}`);
    });
  }

  /** Back to the previous breakpoint hit, or the start. */
  reverseContinue(): Promise<Stop> {
    return this.exclusive(async () => {
      const before = this.current;
      if (this.breakpoints.length > 0 || this.dataBreakpoints.length > 0) {
        // Search the snapshot segments backwards: re-execute each, collecting the points a breakpoint would stop at.
        let end = before;
        const starts = this.snapshots.filter((s) => s.point < end).map((s) => s.point).reverse();
        starts.push(-1);
        for (const start of starts) {
          const from = this.snapshotAt(start);
          const r = await this.moveReplay({ type: 'travel', point: end, from, reason: 'step', collect: true });
          const hits = (r.hit ?? []).filter((p) => p < before && p > (from?.point ?? -1));
          if (hits.length > 0) {
            const p = Math.max(...hits);
            return this.goto(p, 'breakpoint', `Breakpoint hit at point ${p} (reverse)`);
          }
          end = Math.max(0, start);
          if (start <= 0) break;
        }
      }
      return this.goto(0, 'step', 'Back at the start of the recording (no breakpoint before)');
    });
  }

  /** Goes to a point (the timeline's travel), of another branch when `branch` says; a snapshot's point restores it. */
  travel(point: number, branch?: number): Promise<Stop> {
    return this.exclusive(async () => {
      if (branch !== undefined && branch !== this.b.id) {
        const to = this.branches[branch];
        if (!to) throw new RuntimeError('bad-option', `there is no branch ${branch} (the recording has ${this.branches.length})`);
        if (point > to.frontier) throw new RuntimeError('bad-option', `point ${point} has not happened in branch ${branch} (it ends at point ${to.frontier})`);
        const back = { b: this.b, active: this.active, current: this.current };
        this.b = to;
        // Its live worker is stopped at its live end; anything before is a travel of its own replay.
        this.active = 'live';
        this.current = to.frontier;
        try {
          return await this.goto(point, 'goto', `Travelled to point ${point} of branch ${branch}`);
        } catch (e) {
          this.b = back.b;
          this.active = back.active;
          this.current = back.current;
          throw e;
        }
      }
      return this.goto(point, 'goto', `Travelled to point ${point}`);
    });
  }

  /** The branches of the recording: the run launched (0) and those that went live from a point of another. */
  get branchList(): BranchInfo[] {
    return this.branches.map((b) => ({ id: b.id, parent: b.parent?.id, from: b.from, journal: b.journal, ended: b.ended, end: b.frontier }));
  }

  /**
   * Goes live from the current point, a point of the past: a new branch, whose journal starts with this one's records
   * before the point and goes on with what the program does now (new input: `stdin`, or the Debug Console). The old
   * future stays as it was, a travel away.
   */
  branchHere(stdin?: string): Promise<Stop> {
    return this.exclusive(async () => {
      const parent = this.b;
      const at = this.current;
      if (!this.liveConfig) throw new RuntimeError('bad-option', 'a branch runs the program live: open the recording with launch and restoreFrom (attach only looks at it)');
      if (this.fsMode === 'host') throw new RuntimeError('bad-option', 'a branch needs fsMode overlay or memory (with host the files went on changing after this point)');
      if (at >= parent.frontier) throw new RuntimeError('bad-option', `point ${at} is the live end: the program goes on live from here (Continue)`);
      const prefix = parent.record(at);
      if (prefix === undefined) throw new RuntimeError('bad-option', `point ${at} is not in the recording`);
      const id = this.branches.length;
      const ext = path.extname(parent.journal);
      const journal = recordingPath(this.program, `${this.branches[0].journal.slice(0, this.branches[0].journal.length - ext.length)}-branch-${id}${ext}`, process.cwd());
      exportJournal(parent.journal, journal, { upToRecord: prefix });
      const b = new Branch(id, journal, parent, at);
      const last = b.snapshots[b.snapshots.length - 1];
      const live = this.thread({
        role: 'live',
        program: this.program,
        live: {
          ...this.liveConfig,
          journal,
          stdin,
          stopOnEntry: false,
          branch: { at, from: last ? { index: last.index, point: last.point } : undefined, records: prefix, snapshots: b.snapshots.length },
        },
      }, 'live', b);
      b.live = live;
      try {
        await live.ready;
        await live.request({ type: 'breakpoints', breakpoints: this.breakpoints, data: this.dataBreakpoints });
      } catch (e) {
        await live.terminate();
        throw e;
      }
      live.onStop = (x) => this.liveStopped(x, b);
      const s = await live.go({ type: 'run', mode: { kind: 'to', point: at, breakpoints: false } });
      if (s.point !== at) {
        await live.terminate();
        throw new RuntimeError('divergence', `the branch could not reach point ${at}: ${s.description}`);
      }
      this.branches.push(b);
      this.b = b;
      b.frontier = at;
      this.active = 'live';
      this.current = at;
      this.emit('progress', `branch ${id} from point ${at} of branch ${parent.id}: recording to ${journal}`);
      return { ...this.stop(s), description: `Branch ${id}: live from point ${at} (branch ${parent.id} keeps its future)` };
    });
  }

  private snapshotAt(point: number): SnapshotAt | undefined {
    let best: SnapshotRecord | undefined;
    for (const s of this.snapshots) if (s && s.point <= point && (!best || s.point >= best.point)) best = s;
    return best ? { index: best.index, point: best.point } : undefined;
  }

  private async goto(point: number, reason: StopReason, description: string): Promise<Stop> {
    if (!Number.isInteger(point) || point < 0) throw new RuntimeError('bad-option', `point ${point}: expected a point number from 0`);
    if (point > this.frontier) throw new RuntimeError('bad-option', `point ${point} has not happened yet (the recording ends at point ${this.frontier})`);
    if (point === this.frontier) {
      const s = this.atFrontier(reason, false)!;
      return { ...s, reason, description };
    }
    if (this.fsMode === 'host' && !this.postMortem) {
      throw new RuntimeError('bad-option', 'travelling back needs fsMode overlay or memory: with fsMode host the program changed the host files, which a re-execution cannot undo');
    }
    const from = this.snapshotAt(point);
    const replay = this.replay && !this.replay.dead ? this.replay : undefined;
    let r: Extract<WorkerEvent, { type: 'stopped' }>;
    if (replay && this.active === 'replay' && this.current <= point && (!from || from.point <= this.current)) {
      r = await this.moveReplay({ type: 'run', mode: { kind: 'to', point, breakpoints: false } });
    } else {
      r = await this.moveReplay({ type: 'travel', point, from, reason, description });
    }
    return { ...this.stop(r), reason, description };
  }

  private async moveReplay(req: Extract<Request, { type: 'run' | 'travel' }>): Promise<Extract<WorkerEvent, { type: 'stopped' }>> {
    const before = { active: this.active, current: this.current };
    const r = await this.ensureReplay();
    this.cancelled = false;
    const s = await r.go(req);
    const target = req.type === 'travel' ? req.point : req.mode.kind === 'to' ? req.mode.point : undefined;
    if (this.cancelled && s.reason === 'pause') {
      this.cancelled = false;
      this.active = 'replay';
      this.current = s.point;
      if (before.current !== s.point) await this.goto(before.current, 'goto', '');
      throw new RuntimeError('cancelled', 'cancelled; the session is back where it was');
    }
    if (s.point < 0 || (s.reason === 'exception' && target !== undefined && s.point < target && s.text === undefined && !this.postMortem)) {
      // The travel failed (a divergence, a worker that died): go back to where the session was.
      const why = s.description;
      this.active = before.active;
      this.current = before.current;
      if (before.active === 'replay' && before.current >= 0) {
        const back = this.snapshotAt(before.current);
        await (await this.ensureReplay()).go({ type: 'travel', point: before.current, from: back, reason: 'goto' });
      }
      throw new RuntimeError('divergence', `cannot travel there: ${why}`);
    }
    this.active = 'replay';
    this.current = s.point;
    return s;
  }

  // ---- what the current point shows ---------------------------------------------------------------------------

  async readMemory(offset: number, count: number): Promise<{ offset: number; data: Uint8Array; size: number }> {
    if (this.computing && this.active === 'live') {
      const r = (await this.computing.inspector.evaluate(`__wasmJournal.read(${Number(offset)}, ${Number(count)})`)) as { offset: number; data: string; size: number };
      return { offset: r.offset, data: Buffer.from(r.data, 'base64'), size: r.size };
    }
    return this.thread_().request({ type: 'readMemory', offset, count });
  }

  async writeMemory(offset: number, data: Uint8Array): Promise<number> {
    if (this.computing) throw new RuntimeError('bad-option', 'memory can be written when the program is stopped in a host call; this pause is in the middle of a computation (step to its next host call)');
    if (this.active !== 'live' || this.ended || this.postMortem) {
      throw new RuntimeError('bad-option', `memory can be written only at the live end of the recording (point ${this.frontier}${this.ended ? ', and the program has ended' : ''}); this is point ${this.current}`);
    }
    const r = await this.live!.request<{ written: number }>({ type: 'writeMemory', offset, data });
    return r.written;
  }

  /** Memory at any point: the current one's directly, another's by going there and back. */
  /**
   * Memory of any point. Another point's is copied once (a travel there and back) and kept, so that a view scrolling
   * through it (the memory diff view, View Binary Data) reads pages without travelling again.
   */
  async readMemoryAt(point: number, offset: number, count: number): Promise<{ offset: number; data: Uint8Array; size: number }> {
    if (point === this.current) return this.readMemory(offset, count);
    const image = await this.memoryImage(point);
    const start = Math.max(0, Math.min(offset, image.length));
    return { offset: start, data: image.slice(start, Math.min(image.length, start + Math.max(0, count))), size: image.length };
  }

  /** The whole memory of a point of the branch shown, from the cache or copied there (one copy at a time). */
  memoryImage(point: number): Promise<Uint8Array> {
    const next = this.imageQueue.then(() => this.memoryImageNow(point));
    this.imageQueue = next.catch(() => undefined);
    return next;
  }

  private imageQueue: Promise<unknown> = Promise.resolve();

  private async memoryImageNow(point: number): Promise<Uint8Array> {
    const key = `${this.b.id}@${point}`;
    const have = this.images.get(key);
    if (have) {
      // Most recently used last.
      this.images.delete(key);
      this.images.set(key, have);
      return have;
    }
    const image = await this.exclusive(async () => {
      const back = this.current;
      if (point !== back) await this.goto(point, 'goto', '');
      try {
        return await this.thread_().request<Uint8Array>({ type: 'copyMemory' });
      } finally {
        if (this.current !== back) await this.goto(back, 'goto', '');
      }
    });
    // The live end can still change (writeMemory, the program going on): only the past is kept.
    if (point < this.frontier || this.ended || this.postMortem) {
      this.images.set(key, image);
      let total = 0;
      for (const v of this.images.values()) total += v.length;
      for (const [k, v] of this.images) {
        if (total <= MEMORY_IMAGE_BUDGET || this.images.size <= 1) break;
        this.images.delete(k);
        total -= v.length;
      }
    }
    return image;
  }

  private readonly images = new Map<string, Uint8Array>();

  /** Cancels a long re-execution (a travel, a reverse search): the session goes back to where it was. */
  cancel(): void {
    if (this.busy && this.replay && !this.replay.dead) {
      this.cancelled = true;
      this.replay.pause();
    }
  }

  private cancelled = false;

  async stack(): Promise<StackFrameInfo[]> {
    if (this.computing && this.active === 'live') return this.computing.frames;
    return this.thread_().request({ type: 'stack' });
  }

  async state(): Promise<ProcessState> {
    if (this.computing && this.active === 'live') return (await this.computing.inspector.evaluate('__wasmJournal.state()')) as ProcessState;
    return this.thread_().request({ type: 'state' });
  }

  info(point: number): PointInfo | undefined {
    return this.points.info(point);
  }

  timeOf(point: number): number | undefined {
    return this.points.time(point);
  }

  /** The terminal text written before `point` (by the calls before it). */
  terminalUpTo(point: number): string {
    return this.output.filter((c) => c.point < point).map((c) => c.text).join('');
  }

  /** Snapshots taken at or before `point`, newest first. */
  snapshotsUpTo(point: number): SnapshotRecord[] {
    return this.snapshots.filter((s) => s && s.point <= point).reverse();
  }

  /** True when the session is at the live end (input typed now goes to the running program). */
  get atLiveEnd(): boolean {
    return this.active === 'live' || this.current >= this.frontier;
  }

  async sendStdin(text: string, end = false): Promise<void> {
    if (!this.live || this.ended) throw new RuntimeError('bad-option', 'the program is not running: there is no input to feed');
    await this.live.request({ type: 'stdin', data: Buffer.from(text, 'utf8'), end });
  }

  /** Takes a snapshot at the live end now (the program must be stopped there). */
  async snapshot(): Promise<Stop> {
    if (this.active !== 'live' || this.ended || !this.live || this.liveRunning || this.computing) {
      throw new RuntimeError('bad-option', 'snapshots are taken at the live end, with the program stopped there in a host call');
    }
    const live = this.live;
    return this.exclusive(async () => {
      const wait = new Promise<Extract<WorkerEvent, { type: 'stopped' }>>((resolve) => {
        const b = this.b;
        live.onStop = (s) => {
          live.onStop = (x) => this.liveStopped(x, b);
          resolve(s);
        };
      });
      await live.request({ type: 'snapshot' });
      const s = await wait;
      this.current = s.point;
      this.frontier = s.point;
      return this.stop(s);
    });
  }

  /** The memory changes between two points. */
  diffMemory(from: number, to: number, offset = 0, count?: number, maxRanges = 1000): Promise<MemoryDiff> {
    return this.exclusive(async () => {
      const back = this.current;
      const take = async (p: number): Promise<GuestThread> => {
        if (p !== this.current) await this.goto(p, 'goto', '');
        return this.thread_();
      };
      const base = await (await take(from)).request<Uint8Array>({ type: 'copyMemory' });
      const t = await take(to);
      const diff = await t.request<MemoryDiff>(
        { type: 'diffMemory', base, offset, count: count ?? Number.MAX_SAFE_INTEGER, maxRanges },
        [base.buffer as ArrayBuffer],
      );
      if (this.current !== back) await this.goto(back, 'goto', '');
      return diff;
    });
  }

  /** The same as columns (for drawing many points at once), with the snapshots and where the session is. */
  timelineColumns(start = 0, count = Number.MAX_SAFE_INTEGER): Omit<Timeline, 'points'> & { columns: PointColumns } {
    const { points: _none, ...rest } = this.timeline(0, 0);
    return { ...rest, start, columns: this.points.columns(start, start + Math.max(0, count)) };
  }

  timeline(start = 0, count = 1000): Timeline {
    const total = this.ended || this.postMortem ? this.frontier : this.points.length;
    const snapAt = new Map<number, number>();
    for (const s of this.snapshots) if (s) snapAt.set(s.point, s.index);
    const points: TimelinePoint[] = [];
    const end = Math.min(this.points.length, start + Math.max(0, count));
    for (let p = Math.max(0, start); p < end; p++) {
      const info = this.points.info(p);
      if (!info) continue;
      points.push({ point: p, call: info.call, text: pointText(info), category: categoryOf(info.call, info.fd), timeMs: this.points.time(p) ?? 0, record: this.points.record(p) ?? 0, snapshot: snapAt.get(p) });
    }
    return {
      points, snapshots: this.snapshots.filter(Boolean), current: this.current, total, start, ended: this.ended, exitCode: this.exitCode,
      branch: this.b.id, branches: this.branchList,
    };
  }

  /** Writes (part of) the recording to a new journal. `upTo`: only what happened before that point. */
  exportJournal(dest: string, opts: Omit<ExportOptions, 'upToRecord'> & { upTo?: number }): ExportResult {
    if (this.liveRunning) throw new RuntimeError('bad-option', 'the program is running; pause it before exporting');
    let upToRecord: number | undefined;
    if (opts.upTo !== undefined) {
      if (!Number.isInteger(opts.upTo) || opts.upTo < 0) throw new RuntimeError('bad-option', `upTo ${opts.upTo}: expected a point number`);
      upToRecord = this.points.record(opts.upTo);
    }
    return exportJournal(this.journal, dest, { ...opts, upToRecord });
  }

  private terminated = false;

  async terminate(): Promise<void> {
    this.terminated = true;
    // A worker paused by the inspector cannot be terminated before it runs again (in any branch).
    for (const b of this.branches.length > 0 ? this.branches : [this.b]) {
      if (b.computing) await b.computing.inspector.resume().catch(() => undefined);
      b.computing = undefined;
      b.inspector?.disconnect();
    }
    this.liveRunning = false;
    await Promise.all((this.branches.length > 0 ? this.branches : [this.b]).flatMap((b) => [b.live?.terminate(), b.replay?.terminate()]));
  }
}
