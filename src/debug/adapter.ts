// The Debug Adapter: translates DAP requests into calls on a RecordingSession (src/runtime/session) and the
// session's events into DAP events. It computes nothing itself: points, travels, memory and diffs are the session's.
//
// One thread (the guest's main thread). Stack frames: the guest's call stack at the current point, innermost first,
// then the snapshots taken up to here, newest first (Restart Frame on one restores it). Step granularity is the host
// call: Step Back goes to the previous call, Reverse Continue to the previous breakpoint hit.

import {
  Breakpoint, ContinuedEvent, Handles, InitializedEvent, LoggingDebugSession, OutputEvent, ProgressEndEvent, ProgressStartEvent,
  Scope, Source, StackFrame, StoppedEvent, TerminatedEvent, Thread, ExitedEvent, Variable,
} from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  CATEGORIES, diffBody, pointText, RecordingSession, type AttachOptions, type BreakpointSpec, type DataBreakpointSpec, type LaunchOptions, type StackFrameInfo, type Stop,
} from '../runtime';

const THREAD = 1;
/** A request that takes longer than this shows progress. */
const LONG_WORK_MS = 250;

export interface LaunchArguments extends DebugProtocol.LaunchRequestArguments, LaunchOptions {
  restoreFrom?: string;
  restoreAt?: number;
  /** Which run of restoreFrom, from 1 (default: the last). */
  restoreRun?: number;
  /** Folders where the sources the module's DWARF names are (besides cwd, the program's folder and its src/). */
  sourceDirs?: string[];
}

export interface AttachArguments extends DebugProtocol.AttachRequestArguments, AttachOptions {
  sourceDirs?: string[];
}

type VarNode =
  | { kind: 'point'; point: number }
  | { kind: 'descriptors' }
  | { kind: 'files' }
  | { kind: 'terminal'; point: number }
  | { kind: 'memory'; point: number }
  | { kind: 'snapshot'; index: number };

interface FrameRef {
  kind: 'guest' | 'snapshot';
  point: number;
  frame?: StackFrameInfo;
  snapshot?: number;
}

/** A DAP error with its message for the user. */
class RequestError extends Error {}

/**
 * A frame or variables reference of an earlier stop: a client that asked while the program moved (VS Code refreshing
 * the views as a stop arrives) gets an error response, but nothing to show the user.
 */
class StaleReference extends RequestError {}

function b64(data: ArrayBufferView): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
}

/** `mem@P`: the guest's linear memory at point P. */
function memoryRef(point: number): string {
  return `mem@${point}`;
}

function parseMemoryRef(ref: string): number {
  const m = /^mem@(\d+)$/.exec(ref);
  if (!m) throw new RequestError(`unknown memory reference "${ref}" (expected mem@POINT)`);
  return Number(m[1]);
}

function num(v: unknown, what: string, min = 0): number {
  const n = typeof v === 'string' && /^(0x[0-9a-f]+|\d+)$/i.test(v.trim()) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min) throw new RequestError(`${what}: expected a whole number${min > 0 ? ` from ${min}` : ''}, got ${JSON.stringify(v)}`);
  return n;
}

export class WasmJournalDebugSession extends LoggingDebugSession {
  private session = new RecordingSession();
  private configured!: Promise<void>;
  private markConfigured!: () => void;
  private launchArgs: LaunchArguments | AttachArguments | undefined;
  private attached = false;
  private readonly frames = new Handles<FrameRef>();
  private readonly vars = new Handles<VarNode>();
  private readonly sources = new Handles<string>();
  private progressSupported = false;
  private progressId = 0;
  private readonly functionBps = new Map<string, BreakpointSpec>();
  private nextBpId = 1;
  private dataBps: DataBreakpointSpec[] = [];

  constructor() {
    super();
    this.setDebuggerLinesStartAt1(true);
    this.setDebuggerColumnsStartAt1(true);
    this.resetConfigured();
    // Once per session object (a launch that failed leaves it for the next one).
    this.wire(this.session);
  }

  private resetConfigured(): void {
    this.configured = new Promise((r) => (this.markConfigured = r));
  }

  private wire(s: RecordingSession): void {
    s.on('output', (c) => {
      this.sendEvent(new OutputEvent(c.text, c.stream === 1 ? 'stdout' : 'stderr', { point: c.point }));
    });
    s.on('stopped', (stop) => this.reportStop(stop));
    s.on('exited', (e) => {
      if (e.trap !== undefined) this.sendEvent(new OutputEvent(`The program trapped: ${e.trap}\n`, 'important'));
      this.sendEvent(new OutputEvent(`The program exited with code ${e.exitCode}; the recording can still be explored (Step Back, Reverse Continue, travel).\n`, 'console'));
      this.sendEvent(new ExitedEvent(e.exitCode));
    });
    s.on('progress', (m) => this.progress(m));
    s.on('waitingForInput', (p) => {
      this.sendEvent(new OutputEvent(`The program waits for input at point ${p}: type it in the Debug Console (":eof" ends stdin).\n`, 'console'));
    });
  }

  private progress(message: string): void {
    if (!this.progressSupported) {
      this.sendEvent(new OutputEvent(`${message}\n`, 'console'));
      return;
    }
    const id = `wasm-journal-${++this.progressId}`;
    this.sendEvent(new ProgressStartEvent(id, 'WASM Journal', message));
    this.sendEvent(new ProgressEndEvent(id));
  }

  private reportStop(stop: Stop | undefined): void {
    if (!stop) return;
    this.frames.reset();
    this.vars.reset();
    const e = new StoppedEvent(stop.reason, THREAD, stop.reason === 'exception' ? stop.text ?? stop.description : undefined) as DebugProtocol.StoppedEvent;
    e.body.description = `Point ${stop.point}: ${stop.description}`;
    e.body.allThreadsStopped = true;
    if (stop.hitBreakpointIds && stop.hitBreakpointIds.length > 0) e.body.hitBreakpointIds = stop.hitBreakpointIds;
    this.sendEvent(e);
  }

  /** Runs an async handler, turning any failure into an error response (the adapter never dies on a request). */
  private async handle<R extends DebugProtocol.Response>(response: R, f: () => Promise<unknown> | unknown): Promise<void> {
    try {
      const body = await f();
      if (body !== undefined) response.body = body as R['body'];
      this.sendResponse(response);
    } catch (e) {
      this.sendErrorResponse(response, { id: 1, format: (e as Error).message || String(e), showUser: !(e instanceof StaleReference) });
    }
  }

  protected initializeRequest(response: DebugProtocol.InitializeResponse, args: DebugProtocol.InitializeRequestArguments): void {
    this.progressSupported = args.supportsProgressReporting === true;
    response.body = {
      supportsConfigurationDoneRequest: true,
      supportsStepBack: true,
      supportsRestartFrame: true,
      supportsReadMemoryRequest: true,
      supportsWriteMemoryRequest: true,
      supportsFunctionBreakpoints: true,
      supportsConditionalBreakpoints: true,
      supportsHitConditionalBreakpoints: true,
      supportsDataBreakpoints: true,
      supportsDataBreakpointBytes: true,
      supportsCancelRequest: true,
      supportsTerminateRequest: true,
      supportsRestartRequest: true,
      supportsEvaluateForHovers: false,
      supportsGotoTargetsRequest: false,
      // A client capability in DAP; said here too, for clients that look for it: progress events are sent when the
      // client reports it supports them.
      ...({ supportsProgressReporting: true } as object),
    };
    this.sendResponse(response);
  }

  protected configurationDoneRequest(response: DebugProtocol.ConfigurationDoneResponse): void {
    this.sendResponse(response);
    this.markConfigured();
  }

  protected launchRequest(response: DebugProtocol.LaunchResponse, args: LaunchArguments): void {
    void this.handle(response, async () => {
      this.launchArgs = args;
      if (args.restoreFrom) {
        // An earlier recording: opened as it is (every point can be visited), at snapshot restoreAt when given.
        // Opened as a recording, which the program can go on from, live, at any point (a branch beside it).
        await this.session.attach({ journal: args.restoreFrom, program: args.program, cwd: args.cwd, dirs: args.dirs, run: args.restoreRun }, args);
        this.attached = true;
        this.sendEvent(new InitializedEvent());
        void this.configured.then(async () => {
          let stop: Stop = { point: this.session.current, reason: 'entry', description: `Opened ${args.restoreFrom}${args.restoreRun === undefined ? '' : `, run ${args.restoreRun}`}` };
          if (args.restoreAt !== undefined) {
            const s = this.session.snapshots[num(args.restoreAt, 'restoreAt')];
            if (!s) this.sendEvent(new OutputEvent(`restoreAt: the recording holds ${this.session.snapshots.length} snapshot(s); there is no snapshot ${args.restoreAt}\n`, 'important'));
            else stop = await this.session.travel(s.point);
          }
          this.reportStop(stop);
        }).catch((e: Error) => this.sendEvent(new OutputEvent(`${e.message}\n`, 'important')));
        return undefined;
      }
      await this.session.launch(args);
      this.sendEvent(new OutputEvent(`Recording to ${this.session.journal}\n`, 'console'));
      this.sendEvent(new InitializedEvent());
      void this.configured.then(() => this.session.start());
      return undefined;
    });
  }

  protected attachRequest(response: DebugProtocol.AttachResponse, args: AttachArguments): void {
    void this.handle(response, async () => {
      this.launchArgs = args;
      if (!args.journal) throw new RequestError('attach: "journal" (the recording to open) is required');
      if (!args.program) throw new RequestError('attach: "program" (the module the journal was recorded from) is required');
      await this.session.attach(args);
      this.attached = true;
      this.sendEvent(new InitializedEvent());
      void this.configured.then(() => this.reportStop({ point: this.session.current, reason: 'entry', description: `The end of ${path.basename(args.journal)}${args.run === undefined ? '' : `, run ${args.run}`} (post-mortem)` }));
      return undefined;
    });
  }

  protected setBreakPointsRequest(response: DebugProtocol.SetBreakpointsResponse, args: DebugProtocol.SetBreakpointsArguments): void {
    // Line breakpoints need the module's DWARF line tables; the step granularity here is the host call.
    response.body = {
      breakpoints: (args.breakpoints ?? []).map((b) => {
        const bp = new Breakpoint(false, b.line) as DebugProtocol.Breakpoint;
        bp.message = 'line breakpoints are not supported yet: use function breakpoints on host calls (fd_write) or guest functions';
        return bp;
      }),
    };
    this.sendResponse(response);
  }

  protected setFunctionBreakPointsRequest(response: DebugProtocol.SetFunctionBreakpointsResponse, args: DebugProtocol.SetFunctionBreakpointsArguments): void {
    void this.handle(response, async () => {
      const specs: BreakpointSpec[] = [];
      for (const b of args.breakpoints ?? []) {
        const name = String(b.name ?? '').trim();
        const key = `${name}\u0000${b.condition ?? ''}\u0000${b.hitCondition ?? ''}`;
        const old = this.functionBps.get(key);
        const hit = b.hitCondition ? Number(b.hitCondition.replace(/^\s*>=?\s*/, '')) : undefined;
        specs.push(old ?? { id: this.nextBpId++, name, condition: b.condition, hitCount: hit !== undefined && Number.isInteger(hit) && hit > 0 ? hit : undefined });
      }
      this.functionBps.clear();
      for (const s of specs) this.functionBps.set(`${s.name}\u0000${s.condition ?? ''}\u0000${s.hitCount ?? ''}`, s);
      const verified = await this.session.setBreakpoints(specs.filter((s) => s.name !== ''));
      return {
        breakpoints: specs.map((s) => {
          const v = verified.find((x) => x.id === s.id);
          const bp = new Breakpoint(s.name !== '' && (v?.verified ?? true)) as DebugProtocol.Breakpoint;
          bp.id = s.id;
          if (s.name === '') bp.message = 'a function breakpoint needs a name (a host call such as fd_write, or a guest function)';
          else if (v?.message) bp.message = v.message;
          return bp;
        }),
      };
    });
  }

  protected setExceptionBreakPointsRequest(response: DebugProtocol.SetExceptionBreakpointsResponse): void {
    // Traps always stop the program (reason exception).
    this.sendResponse(response);
  }

  protected dataBreakpointInfoRequest(response: DebugProtocol.DataBreakpointInfoResponse, args: DebugProtocol.DataBreakpointInfoArguments): void {
    void this.handle(response, () => {
      const name = String(args.name ?? '').trim();
      const m = /^(0x[0-9a-f]+|\d+)(?:\s*[:+]\s*(\d+))?$/i.exec(name);
      if (!m) {
        return { dataId: null, description: 'data breakpoints watch guest memory: give an address (0x1f00, or 0x1f00:4 for 4 bytes)' };
      }
      const offset = Number(m[1]);
      const count = args.bytes ?? (m[2] ? Number(m[2]) : 4);
      if (!Number.isInteger(count) || count < 1 || count > 4096) throw new RequestError(`a data breakpoint watches 1 to 4096 bytes, not ${count}`);
      return { dataId: `${offset}:${count}`, description: `memory 0x${offset.toString(16)} (${count} bytes)`, accessTypes: ['write'], canPersist: true };
    });
  }

  protected setDataBreakpointsRequest(response: DebugProtocol.SetDataBreakpointsResponse, args: DebugProtocol.SetDataBreakpointsArguments): void {
    void this.handle(response, async () => {
      const out: DebugProtocol.Breakpoint[] = [];
      const specs: DataBreakpointSpec[] = [];
      for (const b of args.breakpoints ?? []) {
        const m = /^(\d+):(\d+)$/.exec(String(b.dataId));
        if (!m) {
          out.push({ verified: false, message: `unknown data breakpoint "${b.dataId}"` });
          continue;
        }
        const spec = { id: this.nextBpId++, offset: Number(m[1]), count: Number(m[2]) };
        specs.push(spec);
        out.push({ id: spec.id, verified: true, message: `memory 0x${spec.offset.toString(16)} (${spec.count} bytes)` });
      }
      this.dataBps = specs;
      await this.session.setDataBreakpoints(specs);
      return { breakpoints: out };
    });
  }

  protected threadsRequest(response: DebugProtocol.ThreadsResponse): void {
    response.body = { threads: [new Thread(THREAD, 'main')] };
    this.sendResponse(response);
  }

  private source(text: string, name: string): Source {
    const ref = this.sources.create(text);
    return new Source(name, undefined, ref, 'wasm-journal', 'point');
  }

  protected stackTraceRequest(response: DebugProtocol.StackTraceResponse, args: DebugProtocol.StackTraceArguments): void {
    void this.handle(response, async () => {
      const s = this.session;
      const point = s.current;
      const program = path.basename(this.launchArgs?.program ?? 'program.wasm');
      const info = s.info(point);
      const guest = s.running ? [] : await s.stack();
      const frames: DebugProtocol.StackFrame[] = [];
      guest.forEach((g, i) => {
        const file = g.source ? this.sourceFile(g.source.file) : undefined;
        if (g.source && file) {
          const f = new StackFrame(
            this.frames.create({ kind: 'guest', point, frame: g }),
            i === 0 && info ? `${g.name} → ${info.call}` : g.name,
            new Source(path.basename(file), file),
            g.source.line,
            Math.max(1, g.source.column),
          ) as DebugProtocol.StackFrame;
          f.instructionPointerReference = `0x${g.offset.toString(16)}`;
          frames.push(f);
          return;
        }
        const text = [
          `Point ${point}${info ? `: ${pointText(info)}` : ''}`,
          `${g.name}${g.func >= 0 ? ` (wasm-function[${g.func}])` : ''} at code offset 0x${g.offset.toString(16)} of ${program}`,
          '',
          g.source
            ? `Source: ${g.source.file}:${g.source.line}${g.source.approximate ? ' (about)' : ''} (the file is not on this machine: add its folder to "sourceDirs")`
            : 'No DWARF line table covers this function: frames show the function and its code offset.',
        ].join('\n');
        const f = new StackFrame(this.frames.create({ kind: 'guest', point, frame: g }), i === 0 && info ? `${g.name} → ${info.call}` : g.name, this.source(text, `${program}: ${g.name}`), 1, 1) as DebugProtocol.StackFrame;
        f.instructionPointerReference = `0x${g.offset.toString(16)}`;
        frames.push(f);
      });
      if (guest.length === 0) {
        const text = `Point ${point}${info ? `: ${pointText(info)}` : s.ended ? ': the end of the program' : ''}`;
        frames.push(new StackFrame(this.frames.create({ kind: 'guest', point }), s.ended && point >= s.liveEnd ? 'end of program' : `point ${point}`, this.source(text, `${program}: point ${point}`), 1, 1));
      }
      const snaps = s.snapshotsUpTo(point);
      snaps.forEach((snap, i) => {
        const label = `Snapshot ${snap.index} · ${snap.trigger} · point ${snap.point}${snap.timeMs ? ` · ${(snap.timeMs / 1000).toFixed(2)} s` : ''}`;
        const text = `${label}\nRestart Frame restores this snapshot.\nMemory written: ${snap.bytes} bytes.`;
        const f = new StackFrame(this.frames.create({ kind: 'snapshot', point: snap.point, snapshot: snap.index }), label, this.source(text, `snapshot ${snap.index}`), 1, 1) as DebugProtocol.StackFrame;
        f.canRestart = true;
        if (i > 0) f.presentationHint = 'subtle';
        frames.push(f);
      });
      const start = args.startFrame ?? 0;
      const levels = args.levels && args.levels > 0 ? args.levels : frames.length;
      return { stackFrames: frames.slice(start, start + levels), totalFrames: frames.length };
    });
  }

  /** A DWARF file name as a path on this machine: as it is when absolute, else under the folders sources may be in. */
  private sourceFile(name: string): string | undefined {
    const args = this.launchArgs as (LaunchArguments & { sourceDirs?: string[] }) | undefined;
    const cwd = args?.cwd ?? process.cwd();
    const program = args?.program ? path.resolve(cwd, args.program) : undefined;
    const dirs = [...(args?.sourceDirs ?? []).map((d) => path.resolve(cwd, d)), cwd, ...(program ? [path.dirname(program), path.join(path.dirname(program), 'src')] : [])];
    const candidates = path.isAbsolute(name) ? [name] : dirs.map((d) => path.join(d, name));
    return candidates.find((c) => {
      try {
        return fs.statSync(c).isFile();
      } catch {
        return false;
      }
    });
  }

  protected sourceRequest(response: DebugProtocol.SourceResponse, args: DebugProtocol.SourceArguments): void {
    const text = this.sources.get(args.sourceReference ?? args.source?.sourceReference ?? 0);
    if (text === undefined) {
      this.sendErrorResponse(response, { id: 2, format: 'that source is no longer available (it belonged to an earlier stop)', showUser: false });
      return;
    }
    response.body = { content: text, mimeType: 'text/plain' };
    this.sendResponse(response);
  }

  protected scopesRequest(response: DebugProtocol.ScopesResponse, args: DebugProtocol.ScopesArguments): void {
    void this.handle(response, () => {
      const f = this.frames.get(args.frameId);
      if (!f) throw new StaleReference(`no frame ${args.frameId} (frames are valid until the program moves)`);
      const scopes: DebugProtocol.Scope[] = [];
      if (f.kind === 'snapshot') {
        scopes.push(new Scope('Snapshot', this.vars.create({ kind: 'snapshot', index: f.snapshot! }), false));
      } else {
        scopes.push(new Scope('Point', this.vars.create({ kind: 'point', point: f.point }), false));
        scopes.push(new Scope('Descriptors', this.vars.create({ kind: 'descriptors' }), false));
        scopes.push(new Scope('Files changed', this.vars.create({ kind: 'files' }), false));
        scopes.push(new Scope('Terminal', this.vars.create({ kind: 'terminal', point: f.point }), false));
      }
      scopes.push(new Scope('Memory', this.vars.create({ kind: 'memory', point: f.point }), false));
      return { scopes };
    });
  }

  protected variablesRequest(response: DebugProtocol.VariablesResponse, args: DebugProtocol.VariablesArguments): void {
    void this.handle(response, async () => {
      const node = this.vars.get(args.variablesReference);
      if (!node) throw new StaleReference(`no variables ${args.variablesReference} (they are valid until the program moves)`);
      const s = this.session;
      const v = (name: string, value: string, extra: Partial<DebugProtocol.Variable> = {}): DebugProtocol.Variable => ({ ...new Variable(name, value), ...extra });
      switch (node.kind) {
        case 'point': {
          const info = s.info(node.point);
          const snap = s.snapshotsUpTo(node.point)[0];
          const out = [v('point', String(node.point))];
          if (info) {
            out.push(v('call', pointText(info)));
            if (info.fd !== undefined) out.push(v('fd', String(info.fd)));
            if (info.path !== undefined) out.push(v('path', JSON.stringify(info.path)));
            if (info.len !== undefined) out.push(v('len', String(info.len)));
          } else if (s.ended && node.point >= s.liveEnd) out.push(v('call', s.exitCode === undefined ? '(the end of the recording)' : `(exited with code ${s.exitCode})`));
          else if (node.point >= s.liveEnd) out.push(v('call', '(none yet: the program is computing between host calls)'));
          const t = s.timeOf(node.point);
          if (t !== undefined) out.push(v('time', `${t.toFixed(1)} ms`));
          out.push(v('nearest snapshot', snap ? `${snap.index} (${snap.trigger}, point ${snap.point})` : 'none (the start of the run)'));
          out.push(v('branch', 'main'));
          out.push(v('live end', String(s.liveEnd)));
          out.push(v('journal', s.journal));
          return { variables: out };
        }
        case 'descriptors': {
          const st = await s.state();
          return {
            variables: st.descriptors.map((d) =>
              v(String(d.fd), `${d.kind}${d.path ? ` ${d.path}` : ''}${d.position !== undefined ? ` @${d.position}` : ''}`, { type: d.kind, evaluateName: `fd ${d.fd}` }),
            ),
          };
        }
        case 'files': {
          const st = await s.state();
          return { variables: st.changed.length === 0 ? [v('(none)', 'no file changed yet')] : st.changed.map((p, i) => v(String(i), p)) };
        }
        case 'terminal': {
          const text = s.terminalUpTo(node.point);
          const lines = text.split('\n');
          if (lines[lines.length - 1] === '') lines.pop();
          return { variables: [v('text', JSON.stringify(text.length > 4000 ? text.slice(-4000) : text)), ...lines.slice(-200).map((l, i) => v(`${Math.max(0, lines.length - 200) + i + 1}`, l))] };
        }
        case 'memory': {
          const st = node.point === s.current ? await s.state() : undefined;
          const size = st ? `${st.memoryBytes} bytes` : 'linear memory';
          return { variables: [v('memory', `${size} at point ${node.point}`, { memoryReference: memoryRef(node.point), type: 'memory' })] };
        }
        case 'snapshot': {
          const snap = s.snapshots[node.index];
          if (!snap) return { variables: [] };
          return {
            variables: [
              v('snapshot', String(snap.index)),
              v('trigger', snap.trigger),
              v('point', String(snap.point)),
              v('memory written', `${snap.bytes} bytes`),
              v('journal record', String(snap.record)),
            ],
          };
        }
      }
    });
  }

  /** The progress shown for the long operation in flight, if any (its id, for cancel). */
  private longWork: string | undefined;

  /**
   * A request that moves the program: answered once it stopped (through the recording), or at once (running live).
   * One that takes long (a long re-execution) shows progress, which the client can cancel.
   */
  private async move(response: DebugProtocol.Response, f: () => Promise<Stop | undefined>, toldRunning = false): Promise<void> {
    let stop: Stop | undefined;
    let progress: string | undefined;
    const timer = this.progressSupported
      ? setTimeout(() => {
          progress = `wasm-journal-${++this.progressId}`;
          this.longWork = progress;
          const e = new ProgressStartEvent(progress, 'Re-executing the recording', `${response.command}: going to the point`) as DebugProtocol.ProgressStartEvent;
          e.body.cancellable = true;
          e.body.requestId = response.request_seq;
          this.sendEvent(e);
        }, LONG_WORK_MS)
      : undefined;
    try {
      stop = await f();
    } catch (e) {
      this.sendErrorResponse(response, { id: 3, format: (e as Error).message, showUser: true });
      // A client told the program runs is told where it stays.
      if (toldRunning) this.reportStop({ point: this.session.current, reason: 'goto', description: 'Still here (the travel failed)' });
      return;
    } finally {
      if (timer) clearTimeout(timer);
      if (progress) {
        this.sendEvent(new ProgressEndEvent(progress));
        this.longWork = undefined;
      }
    }
    this.sendResponse(response);
    this.reportStop(stop);
  }

  protected continueRequest(response: DebugProtocol.ContinueResponse): void {
    response.body = { allThreadsContinued: true };
    void this.move(response, () => this.session.continue());
  }

  protected nextRequest(response: DebugProtocol.NextResponse): void {
    void this.move(response, () => this.session.stepForward());
  }

  protected stepInRequest(response: DebugProtocol.StepInResponse): void {
    void this.move(response, () => this.session.stepForward());
  }

  protected stepOutRequest(response: DebugProtocol.StepOutResponse): void {
    void this.move(response, () => this.session.stepForward());
  }

  protected stepBackRequest(response: DebugProtocol.StepBackResponse): void {
    void this.move(response, () => this.session.stepBack());
  }

  protected reverseContinueRequest(response: DebugProtocol.ReverseContinueResponse): void {
    void this.move(response, () => this.session.reverseContinue());
  }

  protected restartFrameRequest(response: DebugProtocol.RestartFrameResponse, args: DebugProtocol.RestartFrameArguments): void {
    const f = this.frames.get(args.frameId);
    if (!f) {
      this.sendErrorResponse(response, { id: 4, format: `no frame ${args.frameId} (frames are valid until the program moves)`, showUser: true });
      return;
    }
    void this.move(response, async () => {
      const stop = await this.session.travel(f.point);
      return { ...stop, reason: 'restart', description: f.kind === 'snapshot' ? `Restored snapshot ${f.snapshot}` : `Back at point ${f.point}` } as unknown as Stop;
    });
  }

  protected pauseRequest(response: DebugProtocol.PauseResponse): void {
    if (!this.session.running) {
      this.sendResponse(response);
      this.reportStop({ point: this.session.current, reason: 'pause', description: 'Paused' });
      return;
    }
    this.session.pause();
    this.sendResponse(response);
    setTimeout(() => {
      if (this.session.running) {
        this.sendEvent(new OutputEvent('The program is computing without making host calls; it stops at its next host call.\n', 'console'));
      }
    }, 1000).unref();
  }

  protected readMemoryRequest(response: DebugProtocol.ReadMemoryResponse, args: DebugProtocol.ReadMemoryArguments): void {
    void this.handle(response, async () => {
      const point = parseMemoryRef(String(args.memoryReference));
      const offset = num(args.offset ?? 0, 'offset', Number.MIN_SAFE_INTEGER);
      const count = num(args.count, 'count');
      if (this.session.running) throw new RequestError('the program is running; pause it to read its memory');
      const r = await this.session.readMemoryAt(point, offset, Math.min(count, 64 * 1024 * 1024));
      // (`size`, beyond DAP: the whole memory's size at that point, for clients that page through it)
      return { address: `0x${r.offset.toString(16)}`, data: b64(r.data), unreadableBytes: Math.max(0, count - r.data.length), size: r.size };
    });
  }

  protected writeMemoryRequest(response: DebugProtocol.WriteMemoryResponse, args: DebugProtocol.WriteMemoryArguments): void {
    void this.handle(response, async () => {
      const point = parseMemoryRef(String(args.memoryReference));
      if (point !== this.session.current) throw new RequestError(`memory can be written only at the current point (${this.session.current}), at the live end`);
      const data = Buffer.from(String(args.data ?? ''), 'base64');
      const written = await this.session.writeMemory(num(args.offset ?? 0, 'offset'), data);
      return { bytesWritten: written };
    });
  }

  protected evaluateRequest(response: DebugProtocol.EvaluateResponse, args: DebugProtocol.EvaluateArguments): void {
    void this.handle(response, async () => {
      if (args.context !== 'repl') throw new RequestError('expressions are not evaluated; use the Variables view and the memory view');
      const text = String(args.expression ?? '');
      if (text.trim() === ':eof') {
        await this.session.sendStdin('', true);
        return { result: '(stdin closed)', variablesReference: 0 };
      }
      if (!this.session.atLiveEnd) {
        // Input at a point of the past: the program goes live from here, in a new branch (the old future stays).
        const stop = await this.session.branchHere();
        this.sendEvent(new OutputEvent(`${stop.description}\n`, 'console'));
        this.reportStop(stop);
      }
      await this.session.sendStdin(text + '\n');
      return { result: '', variablesReference: 0 };
    });
  }

  /** Cancels a long re-execution: by its progress id, or by the request that started it. */
  protected cancelRequest(response: DebugProtocol.CancelResponse, args: DebugProtocol.CancelArguments): void {
    if (args.progressId === undefined || args.progressId === this.longWork || args.requestId !== undefined) this.session.cancel();
    this.sendResponse(response);
  }

  protected customRequest(command: string, response: DebugProtocol.Response, args: Record<string, unknown> | undefined): void {
    const a = args ?? {};
    switch (command) {
      case 'timeline':
        void this.handle(response, () => {
          const start = a.start === undefined ? 0 : num(a.start, 'start');
          if (a.columns !== true) return this.session.timeline(start, a.count === undefined ? 1000 : num(a.count, 'count'));
          // Columns in base64 (little-endian typed arrays): every point (or count of them) in one response.
          const t = this.session.timelineColumns(start, a.count === undefined ? Number.MAX_SAFE_INTEGER : num(a.count, 'count'));
          const c = t.columns;
          return {
            ...t,
            columns: {
              start: c.start,
              count: c.calls.length,
              names: c.names,
              categoryNames: CATEGORIES,
              calls: b64(c.calls),
              categories: b64(c.categories),
              fds: b64(c.fds),
              lens: b64(c.lens),
              times: b64(c.times),
              records: b64(c.records),
              paths: c.paths,
            },
          };
        });
        return;
      case 'output': {
        void this.handle(response, () => {
          const all = this.session.output;
          const start = a.start === undefined ? 0 : num(a.start, 'start');
          const count = a.count === undefined ? 10_000 : num(a.count, 'count');
          return { chunks: all.slice(start, start + count), total: all.length, start };
        });
        return;
      }
      case 'travel':
        // The client did not ask to run (as it does for Step Back): told, so that it shows the stop that follows.
        this.sendEvent(new ContinuedEvent(THREAD, true));
        void this.move(response, () => this.session.travel(num(a.point, 'point'), a.branch === undefined ? undefined : num(a.branch, 'branch')), true);
        return;
      case 'branch':
        void this.move(response, () => this.session.branchHere(a.stdin === undefined ? undefined : String(a.stdin)));
        return;
      case 'diffMemory':
        void this.handle(response, async () => {
          const d = await this.session.diffMemory(
            num(a.from, 'from'),
            num(a.to, 'to'),
            a.offset === undefined ? 0 : num(a.offset, 'offset'),
            a.count === undefined ? undefined : num(a.count, 'count'),
            a.maxRanges === undefined ? 1000 : num(a.maxRanges, 'maxRanges', 1),
          );
          // `bytes: false`: where and how long only (a view that reads the pages itself).
          return diffBody(d, a.bytes !== false);
        });
        return;
      case 'exportJournal':
        void this.handle(response, () => {
          if (typeof a.path !== 'string' || a.path === '') throw new RequestError('exportJournal: "path" (the journal to write) is required');
          const filter = a.filter === undefined ? undefined : Array.isArray(a.filter) ? a.filter.map(String) : String(a.filter).split(',');
          if (a.onlyIndices !== undefined && !Array.isArray(a.onlyIndices)) throw new RequestError('exportJournal: "onlyIndices" is a list of entry indices');
          const only = a.onlyIndices === undefined ? undefined : (a.onlyIndices as unknown[]).map((x) => num(x, 'onlyIndices'));
          const cwd = (this.launchArgs as LaunchArguments | undefined)?.cwd ?? process.cwd();
          return this.session.exportJournal(path.resolve(cwd, a.path), {
            filter,
            onlyIndices: only,
            upTo: a.upTo === undefined ? undefined : num(a.upTo, 'upTo'),
            compact: a.compact === true,
          });
        });
        return;
      case 'snapshot':
        void this.move(response, () => this.session.snapshot());
        return;
      default:
        this.sendErrorResponse(response, { id: 5, format: `unknown request "${command}"`, showUser: false });
    }
  }

  protected restartRequest(response: DebugProtocol.RestartResponse): void {
    void this.handle(response, async () => {
      const args = this.launchArgs;
      if (!args) throw new RequestError('nothing to restart: the session was never launched');
      await this.session.terminate();
      this.session = new RecordingSession();
      this.wire(this.session);
      this.frames.reset();
      this.vars.reset();
      if (this.attached) {
        const a = args as AttachArguments & LaunchArguments;
        await this.session.attach({ ...a, journal: a.journal ?? a.restoreFrom, run: a.run ?? a.restoreRun }, a.restoreFrom ? a : undefined);
        this.reportStop({ point: this.session.current, reason: 'entry', description: 'Restarted' });
      } else {
        await this.session.launch(args as LaunchArguments);
        await this.session.setBreakpoints([...this.functionBps.values()].filter((s) => s.name !== ''), this.dataBps);
        this.sendEvent(new OutputEvent(`Recording to ${this.session.journal}\n`, 'console'));
        this.session.start();
      }
      return undefined;
    });
  }

  protected terminateRequest(response: DebugProtocol.TerminateResponse): void {
    void this.handle(response, async () => {
      await this.session.terminate();
      this.sendEvent(new TerminatedEvent());
      return undefined;
    });
  }

  /** Ends the session's workers (the connection is gone). */
  dispose(): Promise<void> {
    return this.session.terminate();
  }

  protected disconnectRequest(response: DebugProtocol.DisconnectResponse): void {
    void this.session.terminate().finally(() => this.sendResponse(response));
  }
}
