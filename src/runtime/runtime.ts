// Running a program: build the sandbox (folders, descriptors, terminal), restore from journals, instantiate the
// module with our wasi_snapshot_preview1, run _start, and journal everything. Replaying: the same, with the
// outside world answered from the recording and every entry the program makes checked against it.
// The CLI and the debug adapter are thin clients of these functions.

import { createHash } from 'node:crypto';
import type { EntryByKind, JournalEntry } from '../journal/entries';
import { kindOf } from '../journal/entries';
import { encodePayload } from '../journal/codec';
import { entryText } from '../journal/text';
import type { LogRecord } from '../journal/journal';
import { exitCodeFromNumber } from '../journal/schema';
import { RuntimeError, ProcExit } from './errors';
import { checkImports, describeTrap, type LoadedModule } from './module';
import { Process, type EntrySink, type Mount, type Terminal } from './process';
import { restoreEntries, type RestoreReport } from './restore';
import { MemFsContext, memoryRoot, overlayRoot } from './vfs/mem-fs';
import { hostRoot } from './vfs/host-nodes';
import { splitImports, wasiImports, type WasiHooks } from './wasi';
import { StdioDesc } from './descriptors';
import { cacheDir, instrument, isInstrumented, legacyInstrumented } from './snapshot/instrument';
import { growStackSet, loadStackSet, wasmFrames } from './snapshot/adaptive';
import { AdaptiveRun, SwitchPending } from './adaptive-run';
import { AsyncifyState, findResumePoint, Snapshotter, StopAfterSnapshot, type InstrumentedModule } from './snapshot/snapshotter';
import type { IndexedResume } from './snapshot/indexed-resume';
import { ALL_SNAPSHOT_IMPORTS, snapshotImports, TriggerState, type SnapshotOptions } from './snapshot/triggers';
import type { SnapshotTriggerName } from '../journal/wasi-types';
import { FsError } from './vfs/types';
import { errnoName } from './wasi-defs';
import { RecordingWorld, ReplayWorld, type InputSource, type StartInfo, type World } from './world';
import type { EntryKind } from '../journal/entries';

/** Collects the guest's output (tests, the debugger). */
export class CapturedTerminal implements Terminal {
  readonly chunks: { stream: 1 | 2; data: Uint8Array }[] = [];
  write(stream: 1 | 2, data: Uint8Array): boolean {
    this.chunks.push({ stream, data: new Uint8Array(data) });
    return true;
  }
  text(stream: 1 | 2): string {
    return Buffer.concat(this.chunks.filter((c) => c.stream === stream).map((c) => c.data)).toString('utf8');
  }
}

const NOWHERE: EntrySink = { write: () => undefined };

/**
 * Watches the program's host calls (a debugger): each call is a point, numbered from 0 across the run (a run resumed
 * from a snapshot goes on from the snapshot's number).
 */
export interface PointObserver {
  /**
   * Before a call does anything: `resumed` is true for the call a snapshot resumed into (the point the snapshot was
   * taken at, not a new one). `args` (its first five arguments, as the guest passed them) is valid during the call
   * only. May block (a debugger paused there) or throw to end the run.
   */
  point(name: string, args: readonly unknown[], resumed: boolean): void;
  /** The number of the current point (saved with each snapshot). */
  current(): number;
}

/**
 * One instance kept across runs of a module (a debugger restoring snapshot after snapshot): its imports forward to
 * the current run's, so a run that resumes a snapshot reuses its compiled code and mapped memory.
 */
export class InstanceSlot {
  /** Instrumented modules compiled, by hash. */
  readonly compiled = new Map<string, WebAssembly.Module>();
  instance: WebAssembly.Instance | undefined;
  module: WebAssembly.Module | undefined;
  targets: Record<string, Record<string, WebAssembly.ImportValue>> = {};
  /** Runs that reused the instance. */
  reused = 0;
}

type Forwarded = (a?: unknown, b?: unknown, c?: unknown, d?: unknown, e?: unknown, f?: unknown, g?: unknown, h?: unknown, i?: unknown) => unknown;

/** Imports that call the slot's current ones (fixed arity: the hot calls stay cheap). */
export function forwarders(slot: InstanceSlot, imports: Record<string, Record<string, WebAssembly.ImportValue>>): Record<string, Record<string, Forwarded>> {
  const out: Record<string, Record<string, Forwarded>> = {};
  for (const [mod, fns] of Object.entries(imports)) {
    out[mod] = {};
    for (const name of Object.keys(fns)) {
      out[mod][name] = (a, b, c, d, e, f, g, h, i) => (slot.targets[mod][name] as Forwarded)(a, b, c, d, e, f, g, h, i);
    }
  }
  return out;
}

export interface RunOptions {
  module: LoadedModule;
  world: World;
  /** Where the run's entries go (a journal), or undefined for none. */
  sink?: EntrySink;
  terminal: Terminal;
  /** Entries to restore before main starts (from the journals given to `run`). */
  restore?: JournalEntry[];
  /** Do not print the terminal text the restored entries hold. */
  skipJournalStdio?: boolean;
  /** Restore even from journals recorded from another module. */
  force?: boolean;
  allowUnknownImports?: boolean;
  /** Take snapshots (and resume from the journal's last one, or snapshot `resumeAt`). */
  snapshots?: SnapshotOptions;
  /** Resume from this snapshot of the restore entries (from 0) instead of the last. */
  resumeAt?: number;
  /**
   * A snapshot gathered through a journal's index (indexedResume): `restore` then holds its effects only, and the
   * run resumes from it.
   */
  resumeFrom?: IndexedResume;
  /** Called with a line for the user: progress (instrumentation), a snapshot that could not be taken. */
  progress?: (message: string) => void;
  /**
   * What suspending the program after a stop snapshot (Ctrl+Z, `signal PID stop`) does: the CLI stops its process
   * (SIGSTOP); without it the program goes on.
   */
  onSuspend?: () => void;
  /** A debugger's view of every host call. */
  points?: PointObserver;
  /** Keep the instance for the next run that resumes a snapshot of the same module (a debugger's travels). */
  slot?: InstanceSlot;
  /**
   * The sink's journal holds the snapshot this run resumes from (a debugger's branch): later snapshots are taken
   * against its memory instead of being complete on their own.
   */
  snapshotsAddToResumed?: boolean;
  /**
   * How snapshots get their call stacks: `adaptive` (the default; WASM_JOURNAL_INSTRUMENT=static changes it)
   * instruments only the functions seen on call stacks at snapshot points (snapshot/adaptive.ts); `static`
   * instruments every function that can reach a snapshot import, before the program starts.
   */
  instrumentation?: 'adaptive' | 'static';
  /** Called once the instance exists, with its memory, exports and code (a debugger reads them while paused). */
  onInstance?: (memory: WebAssembly.Memory, exports: WebAssembly.Exports, proc: Process, code: Uint8Array) => void;
  /**
   * The world answers from a recording that does not hold the restored entries' own answers (a re-execution from a
   * snapshot inside the recorded run): restoreEntries' `offline`.
   */
  restoreOffline?: boolean;
  /** Called once the run starts, with what its caller may tell it while it runs (RunControl). */
  onRun?: (run: RunControl) => void;
}

/** What the caller of a run may tell it while the program is stopped in a host call. */
export interface RunControl {
  /**
   * The caller wrote the guest's memory (a debugger, at the live end): bytes `data` at `offset`, at the start of the
   * host call the program is in (`atCallStart`), or inside it. A re-execution of the run (adaptive
   * instrumentation) writes them again at the start of the same call; a write inside a call cannot be placed so, and
   * the run re-executes no more (snapshots at stacks the running module cannot unwind are not taken).
   */
  wroteMemory(offset: number, data: Uint8Array, atCallStart: boolean): void;
}

export interface RunResult {
  exitCode: number;
  /** Set when the program trapped (the message and its wasm frames). */
  trap?: string;
  restore?: RestoreReport;
  memoryHash: Uint8Array;
  start: StartInfo;
  /** Snapshots taken in this run. */
  snapshots: number;
  /** The run stopped after a snapshot (--stop-after-snapshot); it can be resumed from the journal. */
  stoppedAfter?: SnapshotTriggerName;
  /** The snapshot (index among the journal's snapshots) this run resumed from. */
  resumedFrom?: number;
  /** A replay reached the end of a recorded run that had not ended (stopped after a snapshot, or killed). */
  replayEnded?: boolean;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Refuses entries recorded from another module (InitModuleV1 hashes), unless forced. */
export function checkModuleHash(entries: Iterable<JournalEntry>, module: LoadedModule, source: string): void {
  for (const e of entries) {
    if (e.kind !== 'InitModuleV1') continue;
    if (hex(e.wasm_hash) !== hex(module.hash)) {
      throw new RuntimeError(
        'module-mismatch',
        `${source} was recorded from another module (hash ${hex(e.wasm_hash).slice(0, 16)}..., ${module.path} is ${hex(module.hash).slice(0, 16)}...); use --force to restore it anyway`,
      );
    }
  }
}

function buildMounts(world: World, start: StartInfo, ctx: MemFsContext): Mount[] {
  if (start.mounts.length === 0) return [{ guestPath: '/', root: memoryRoot(ctx) }];
  return start.mounts.map((m) => ({
    guestPath: m.guest,
    root:
      start.fsMode === 'memory'
        ? memoryRoot(ctx)
        : start.fsMode === 'host'
          ? hostRoot(world.hostFs(m.host))
          : overlayRoot(ctx, world.hostFs(m.host)),
  }));
}

function memoryHash(mem: WebAssembly.Memory | undefined): Uint8Array {
  const h = createHash('sha256');
  if (mem) h.update(new Uint8Array(mem.buffer));
  return new Uint8Array(h.digest());
}

export interface StartedProcess {
  proc: Process;
  start: StartInfo;
  restore?: RestoreReport;
}

/**
 * Starts a process: journals the module and the start inputs, builds the sandbox, and restores the given entries
 * (with `restoreSink` taking the entries the restore makes). The debugger uses this alone to show a restored state.
 */
export function startProcess(
  opts: Pick<RunOptions, 'module' | 'world' | 'terminal' | 'restore' | 'restoreOffline'>,
  sink: EntrySink,
  restoreSink: EntrySink = NOWHERE,
  printRestoredStdio = false,
  /** Restore only the entries before this index (a snapshot to resume from). */
  restoreUntil?: number,
): StartedProcess {
  const { module, world } = opts;
  sink.write({ kind: 'InitModuleV1', wasm_hash: module.hash });
  const start = world.start();
  // The in-memory file system's clock is the process's (set once the process exists).
  const clock = { now: (): bigint => start.startNs };
  const ctx = new MemFsContext(() => clock.now());
  const mounts = buildMounts(world, start, ctx);
  const listeners = start.listeners.map((address) => {
    try {
      return world.listen(address, true);
    } catch (e) {
      if (!(e instanceof FsError)) throw e;
      throw new RuntimeError('bad-option', `cannot listen on ${address}: ${e.message} (${errnoName(e.errno)})`);
    }
  });
  const proc = new Process(world, sink, opts.terminal, mounts, start.tty, start.startNs, listeners);
  clock.now = () => proc.fsTimeNs;
  let restore: RestoreReport | undefined;
  if (opts.restore && opts.restore.length > 0) {
    proc.sink = restoreSink;
    restore = restoreEntries(proc, restoreUntil === undefined ? opts.restore : opts.restore.slice(0, restoreUntil), printRestoredStdio, opts.restoreOffline);
    proc.sink = sink;
  }
  return { proc, start, restore };
}

/** Starts a process (world, sandbox, restore) and runs the module's _start, taking and resuming snapshots. */
async function execute(opts: RunOptions, sink: EntrySink, restoreSink: EntrySink, printRestoredStdio: boolean): Promise<RunResult> {
  const { module, world } = opts;
  const snapOpts = opts.snapshots;
  // A snapshot to resume from (with its thread stack) needs the instrumented module, as taking snapshots does.
  const resume = opts.resumeFrom
    ? { index: (opts.restore?.length ?? 0) - 1, point: opts.resumeFrom.point }
    : opts.restore && opts.restore.length > 0
      ? findResumePoint(opts.restore, opts.resumeAt)
      : undefined;
  let wantAsyncify = (snapOpts !== undefined && !snapOpts.noAsyncify) || resume !== undefined;
  // What runs: the module as built, or an instrumented one (then the module as built is never compiled: a loaded
  // module compiles when first asked for, loadModule's `lazy`).
  let runnable: WebAssembly.Module | undefined;
  let instrumented: InstrumentedModule | undefined;
  let instrumentedBytes: Uint8Array | undefined;
  // The imports snapshots can be taken at, which instrumentation makes able to unwind: those of the triggers asked
  // for, or, when resuming, those of the module the snapshot was saved from (its frames fit only that one).
  const want = resume?.point.store.instrumented;
  const unwindImports = want
    ? (want.imports ?? ALL_SNAPSHOT_IMPORTS)
    : snapOpts && !snapOpts.noAsyncify && !snapOpts.policy
      ? snapshotImports(snapOpts.triggers)
      : ALL_SNAPSHOT_IMPORTS;
  // Adaptive instrumentation (snapshot/adaptive.ts) for a run that takes snapshots from its start (after restoring a
  // journal's effects, perhaps). A debugger's live recording (a policy that can snapshot at any call, points) is
  // adaptive when it asks for it (instrumentation 'adaptive'); resumed runs, a debugger's replays and branches
  // instrument as their snapshots say.
  const moduleHex = Buffer.from(module.hash).toString('hex');
  const how = opts.instrumentation ?? (process.env.WASM_JOURNAL_INSTRUMENT === 'static' ? 'static' : 'adaptive');
  const debugging = snapOpts?.policy !== undefined || opts.points !== undefined;
  const stackSet =
    wantAsyncify && snapOpts && world instanceof RecordingWorld && !resume && !opts.slot &&
    how === 'adaptive' && (!debugging || opts.instrumentation === 'adaptive') && !isInstrumented(module.bytes)
      ? (loadStackSet(moduleHex) ?? { functions: [] })
      : undefined;
  let adaptive: AdaptiveRun | undefined;
  if (stackSet && stackSet.static === undefined) {
    // Its modules can unwind at every call: a snapshot that waited for its module is taken at the next call covered.
    adaptive = new AdaptiveRun(module, moduleHex, stackSet.functions, [...ALL_SNAPSHOT_IMPORTS], opts.progress, opts.restore);
    if (stackSet.functions.length > 0) {
      const r = await instrument(module.bytes, moduleHex, { progress: opts.progress, functions: stackSet.functions, imports: [...ALL_SNAPSHOT_IMPORTS] }).catch((e: unknown) => {
        if (!(e instanceof RuntimeError) || e.code !== 'cannot-instrument') throw e;
        return undefined;
      });
      if (r) {
        instrumented = { hash: r.hash, tool: r.tool, imports: [...ALL_SNAPSHOT_IMPORTS], functions: stackSet.functions };
        runnable = r.bytes === module.bytes ? module.module : await WebAssembly.compile(r.bytes);
        instrumentedBytes = r.bytes;
      } else adaptive.functions.clear();
    }
  }
  if (adaptive) {
    // instrumented as chosen above, or not yet (the module as built runs until its first snapshot point)
  } else if (wantAsyncify && resume && !want) {
    // A snapshot from before snapshots named their instrumented module: only that recipe's cached module fits it.
    const legacy = legacyInstrumented(Buffer.from(module.hash).toString('hex'));
    if (!legacy) {
      throw new RuntimeError(
        'module-mismatch',
        'the snapshot was taken by an earlier wasm-journal, which did not record how it instrumented the module, and that instrumentation is no longer cached; ' +
          'its saved call stack cannot be resumed safely (run the program again without the journal, or --at a snapshot taken by this version)',
      );
    }
    instrumented = { hash: createHash('sha256').update(legacy).digest('hex'), tool: 'binaryen (asyncify-v2)', imports: [...ALL_SNAPSHOT_IMPORTS] };
    runnable = await WebAssembly.compile(legacy);
    instrumentedBytes = legacy;
  } else if (wantAsyncify) {
    const r = await instrument(module.bytes, Buffer.from(module.hash).toString('hex'), {
      progress: opts.progress,
      want: want?.hash,
      imports: unwindImports,
      // A snapshot taken with an adaptively instrumented module: the same functions again.
      functions: want?.functions,
    }).catch((e: unknown) => {
      // Snapshots to take (nothing to resume): without instrumentation they hold memory and files, not the stack.
      if (!(e instanceof RuntimeError) || e.code !== 'cannot-instrument' || resume) throw e;
      opts.progress?.(`cannot instrument ${module.path} for snapshots with call stacks (${e.message}); snapshots hold memory and files but no call stack, and a restore from them restarts main`);
      return undefined;
    });
    if (!r) wantAsyncify = false;
    else {
      if (want && want.hash !== r.hash) {
        throw new RuntimeError(
          'module-mismatch',
          `the snapshot was taken with ${module.path} instrumented by ${want.tool ?? 'another binaryen'} (instrumented module ${want.hash.slice(0, 16)}...), ` +
            `which is not in the cache (${cacheDir()}); instrumenting it here with ${r.tool ?? 'binaryen'} gives another module (${r.hash.slice(0, 16)}...), ` +
            'in which the saved call stack means nothing. Resume where that instrumentation is (or copy it into the cache), or with the same tool (WASM_JOURNAL_WASM_OPT=npm or the path of that wasm-opt).',
        );
      }
      instrumented = { hash: r.hash, tool: r.tool, imports: [...unwindImports], ...(want?.functions ? { functions: want.functions } : {}) };
      const compiled = opts.slot?.compiled.get(r.hash);
      runnable = compiled ?? (r.bytes === module.bytes ? module.module : await WebAssembly.compile(r.bytes));
      opts.slot?.compiled.set(r.hash, runnable);
      instrumentedBytes = r.bytes;
    }
  }
  // Compiled here at the latest, before the run writes anything: a module that does not compile is refused first.
  const running = runnable ?? module.module;
  // An adaptive run keeps a copy of its inputs, to re-execute it in a newly instrumented module.
  adaptive?.tap(world as RecordingWorld);
  // Whether the call in progress is one a snapshot was taken at, rewound into (it was counted before the unwind).
  let rewound = false;
  opts.onRun?.({ wroteMemory: (offset, data, atCallStart) => adaptive?.wroteMemory(offset, data, atCallStart, rewound) });
  // Whatever happens (a trap, a divergence, a failing journal), host handles, the stdin probe and the socket worker
  // are released at the end.
  const started: { proc?: Process } = {};
  try {
  const { proc, start, restore } = startProcess(opts, sink, restoreSink, printRestoredStdio, resume ? resume.index + 1 : undefined);
  started.proc = proc;
  const resumedFrom = opts.resumeFrom
    ? opts.resumeFrom.snapshot
    : resume
      ? opts.restore!.slice(0, resume.index + 1).filter((e) => e.kind === 'SnapshotV1').length - 1
      : undefined;
  // Which snapshot this run went on from (a replay resumes from the same one).
  if (resumedFrom !== undefined) sink.write({ kind: 'ResumedFromV1', snapshot: resumedFrom });

  const guestMemory: { memory?: WebAssembly.Memory } = {};
  const snap: { s?: Snapshotter } = {};
  // The functions the running module can unwind, when not all (a run resumed from an adaptively taken snapshot).
  const partial = !adaptive && instrumented?.functions ? new Set(instrumented.functions) : undefined;
  const triggers = snapOpts ? new TriggerState(snapOpts, wantAsyncify && !adaptive ? unwindImports : ALL_SNAPSHOT_IMPORTS) : undefined;
  const isStdin = (fd: number): boolean => proc.fds.has(fd) && proc.fds.get(fd) instanceof StdioDesc && fd === 0;
  const trySnapshot = (name: string, first: unknown): boolean => {
    const t = triggers?.check(name, first, isStdin);
    if (!t) return false;
    if (adaptive) {
      const deferrable = adaptive.defers(t, snapOpts?.deferrable?.(t));
      // One snapshot waits for its module already: this one comes with it (without reading the stack again).
      if (deferrable && adaptive.deferring) return false;
      const frames = wasmFrames();
      if (!adaptive.covers(frames)) {
        const had = adaptive.off;
        if (had === undefined && !snapOpts?.stopAfterSnapshot && triggers!.after === 'continue' && deferrable) {
          // The program goes on while the module is instrumented for these frames; the snapshot is taken later.
          adaptive.defer(t, frames);
          return false;
        }
        // Throws SwitchPending when the module is instrumented for these frames: the run re-executes in it.
        if (adaptive.off === undefined) {
          const no = adaptive.switchAt(name, t, frames, guestMemory.memory!.buffer.byteLength);
          if ('skip' in no) {
            opts.progress?.(`no ${t} snapshot at ${name}: ${no.skip}; the program goes on`);
            return false;
          }
          adaptive.off = no.off;
        }
        if (snap.s?.withStacks) {
          opts.progress?.(`no ${t} snapshot at ${name}: its call stack holds functions the module was not instrumented for (${adaptive.off}); the program goes on`);
          return false;
        }
        // The module as built runs, and cannot be instrumented: snapshots without the call stack, as the static way.
        if (had === undefined) opts.progress?.(`cannot instrument ${module.path} for snapshots with call stacks (${adaptive.off}); snapshots hold memory and files but no call stack, and a restore from them restarts main`);
      }
    }
    const s = snap.s;
    if (!s) return false;
    if (s.withStacks && partial) {
      // A run resumed in a module instrumented for chosen functions (those of its snapshot's stacks) can unwind
      // only those: a stack with another function is not saved (the next runs of the module instrument it too).
      const frames = wasmFrames();
      const missing = frames.filter((f) => !partial.has(f));
      if (missing.length > 0) {
        growStackSet(moduleHex, [...partial, ...frames]);
        opts.progress?.(
          `no ${t} snapshot at ${name}: its call stack holds ${missing.length} function(s) the module this run resumed in was not instrumented for ` +
            `(the snapshot it resumed from was taken with the ${partial.size} functions seen on call stacks then; the next runs instrument these too); the program goes on`,
        );
        return false;
      }
    }
    if (s.withStacks) {
      const cannot = s.beginSnapshot(t);
      if (cannot === undefined) return true;
      opts.progress?.(`no ${t} snapshot at ${name}: ${cannot}; the program goes on`);
      return false;
    }
    s.snapshotWithoutStack(t);
    snapOpts?.taken?.(t, s.lastCostMs);
    if (snapOpts?.stopAfterSnapshot || triggers!.after === 'exit') throw new StopAfterSnapshot(t, triggers!.after === 'exit' ? 130 : 0);
    if (triggers!.after === 'stop') opts.onSuspend?.();
    return false;
  };
  const points = opts.points;
  // One array for the arguments a point sees (valid during the call only): no allocation per call.
  const argv: unknown[] = [undefined, undefined, undefined, undefined, undefined];
  const pointArgs = (first: unknown, a1: unknown, a2: unknown, a3: unknown, a4: unknown): unknown[] => {
    argv[0] = first;
    argv[1] = a1;
    argv[2] = a2;
    argv[3] = a3;
    argv[4] = a4;
    return argv;
  };
  const hooks: WasiHooks = {
    beforeCall: (name, first, a1, a2, a3, a4) => {
      const s = snap.s;
      if (s && s.state === AsyncifyState.Rewinding) {
        s.finishRewind();
        // The point the snapshot was taken at (again): a debugger may stop there (after a travel, or a pause).
        rewound = true;
        if (points) points.point(name, pointArgs(first, a1, a2, a3, a4), true);
        return false;
      }
      rewound = false;
      if (points) points.point(name, pointArgs(first, a1, a2, a3, a4), false);
      if (adaptive) {
        adaptive.calls++;
        // Throws SwitchPending when a snapshot that waited for its module can be taken here.
        adaptive.poll(name, guestMemory.memory!.buffer.byteLength);
      }
      return trySnapshot(name, first);
    },
    interrupted: (name) => trySnapshot(name, undefined),
  };
  // wasi_snapshot_preview1, and WASIX (its sockets, and proc_snapshot: the program asks for a snapshot).
  const imports: Record<string, Record<string, WebAssembly.ImportValue>> = splitImports(wasiImports(proc, () => guestMemory.memory!, start.args, start.env, hooks));
  checkImports(module, imports, opts.allowUnknownImports ?? false, running);
  const exports = WebAssembly.Module.exports(running);
  if (!exports.some((e) => e.name === '_start' && e.kind === 'function')) {
    const reactor = exports.some((e) => e.name === '_initialize');
    throw new RuntimeError('no-entry', `${module.path}: has no _start function${reactor ? ' (it is a library, a "reactor" module, not a program)' : ''}`);
  }
  let instance: WebAssembly.Instance;
  const slot = opts.slot;
  const kept = slot?.instance;
  const keptMemory = kept?.exports.memory;
  try {
    if (
      slot && kept && slot.module === running && resume && keptMemory instanceof WebAssembly.Memory &&
      keptMemory.buffer.byteLength <= resume.point.store.memoryBytes
    ) {
      // Resuming a snapshot into the instance already there: its code compiled, its memory mapped (the snapshot
      // rewrites all of memory and every mutable global). Memory cannot shrink: a smaller snapshot needs a new one.
      slot.targets = imports;
      slot.reused++;
      instance = kept;
    } else if (slot) {
      slot.targets = imports;
      instance = new WebAssembly.Instance(running, forwarders(slot, imports) as WebAssembly.Imports);
      slot.instance = instance;
      slot.module = running;
    } else instance = new WebAssembly.Instance(running, imports as WebAssembly.Imports);
  } catch (e) {
    if (e instanceof RangeError) throw new RuntimeError('out-of-memory', `${module.path}: out of memory while instantiating: ${e.message}`);
    throw new RuntimeError('not-wasm', `${module.path}: cannot instantiate: ${(e as Error).message}`);
  }
  const mem = instance.exports.memory;
  if (!(mem instanceof WebAssembly.Memory)) throw new RuntimeError('no-entry', `${module.path}: exports no memory named "memory"`);
  guestMemory.memory = mem;
  let memory = mem;
  if (wantAsyncify && (!adaptive || instrumented)) snap.s = new Snapshotter(instance.exports, memory, proc, sink, true, instrumented, instrumentedBytes);
  // (an adaptive run of the module as built: snapshots without stacks only if it cannot be instrumented)
  else if (snapOpts) snap.s = new Snapshotter(instance.exports, memory, proc, sink, false);
  if (points && snap.s) snap.s.pointOf = () => points.current();
  opts.onInstance?.(memory, instance.exports, proc, instrumentedBytes ?? module.bytes);
  if (resume) snap.s!.resume(resume.point, opts.snapshotsAddToResumed === true);

  let exitCode = 0;
  let trap: string | undefined;
  let stoppedAfter: SnapshotTriggerName | undefined;
  let replayEnded = false;
  // A trap's message lists its wasm frames: as many as the host's Error.stackTraceLimit allows (the CLI and the
  // workers raise it for themselves; a library never changes it for its host).
  try {
    for (;;) {
      let t: SnapshotTriggerName;
      try {
        (instance.exports._start as () => void)();
        const s = snap.s;
        if (!s || s.state !== AsyncifyState.Unwinding) break;
        t = s.completeSnapshot();
        snapOpts?.taken?.(t, s.lastCostMs);
      } catch (e) {
        if (!(e instanceof SwitchPending)) throw e;
        // Adaptive instrumentation: the run re-executes in the newly instrumented module and takes the snapshot there.
        const pointOf = points ? (): number => points.current() : undefined;
        const next = adaptive!.resume(e, { proc, sink, imports, pointOf });
        adaptive!.earlierSnapshots += snap.s?.count ?? 0;
        instance = next.instance;
        memory = next.memory;
        guestMemory.memory = memory;
        snap.s = next.snapshotter;
        opts.onInstance?.(memory, instance.exports, proc, e.code);
        t = e.trigger;
        snapOpts?.taken?.(t, next.snapshotter.lastCostMs);
      }
      const s = snap.s!;
      if (snapOpts?.stopAfterSnapshot || triggers?.after === 'exit') {
        // Ctrl+C with a snapshot trigger: the run ends as Ctrl+C ends it, resumable from the journal.
        if (triggers?.after === 'exit') exitCode = 130;
        stoppedAfter = t;
        break;
      }
      if (triggers?.after === 'stop') opts.onSuspend?.();
      s.rewind();
    }
  } catch (e) {
    if (e instanceof ProcExit) exitCode = e.exitCode;
    else if (e instanceof ReplayEnd) replayEnded = true;
    else if (e instanceof StopAfterSnapshot) {
      stoppedAfter = e.trigger;
      exitCode = e.exitCode;
    }
    else if (e instanceof RuntimeError && e.code !== 'trap') throw e;
    else if (e instanceof RuntimeError) {
      trap = e.message;
    } else if (e instanceof WebAssembly.RuntimeError) {
      trap = describeTrap(e);
    } else if (e instanceof RangeError && /call stack/i.test(e.message)) {
      trap = describeTrap(Object.assign(e, { message: 'call stack exhausted (infinite or too deep recursion)' }));
    } else if (e instanceof RangeError) {
      throw new RuntimeError('out-of-memory', `${module.path}: out of memory: ${e.message}`);
    } else throw e;
  }
  if (trap !== undefined) exitCode = 134;
  const hash = memoryHash(memory);
  // A run stopped after a snapshot has not ended: it goes on when the journal is restored.
  if (stoppedAfter === undefined && !replayEnded) {
    sink.write({ kind: 'MemoryHashV1', size: BigInt(memory.buffer.byteLength), sha256: hash });
    sink.write({ kind: 'ProcessExitV1', exit_code: trap !== undefined ? null : exitCodeFromNumber(exitCode) });
  }
  return {
    exitCode, trap, restore, memoryHash: hash, start, snapshots: (snap.s?.count ?? 0) + (adaptive?.earlierSnapshots ?? 0), stoppedAfter, replayEnded,
    resumedFrom,
  };
  } finally {
    adaptive?.finishWaiting();
    adaptive?.close();
    started.proc?.fds.closeAll();
    world.close();
  }
}

/** Runs a program, journaling into `opts.sink`. */
export async function runProgram(opts: RunOptions): Promise<RunResult> {
  if (opts.restore && !opts.force) checkModuleHash(opts.restore, opts.module, 'the journal');
  return execute(opts, opts.sink ?? NOWHERE, NOWHERE, !opts.skipJournalStdio);
}

// ---- replay ------------------------------------------------------------------------------------------------------

/** Kinds a replay passes over: they are taken by the snapshot machinery, not by the program's calls. */
export const PASSIVE: ReadonlySet<EntryKind> = new Set<EntryKind>([
  'SnapshotV1', 'UpdateMemoryRegionV1', 'SetThreadV1', 'CloseThreadV1', 'ClearEtherealV1', 'FdCursorsV1',
]);

/** The replay reached the end of a recorded run that did not end: everything recorded was reproduced. */
export class ReplayEnd extends Error {
  constructor() {
    super('the end of a recording that stopped');
  }
}

/** Walks a recorded run: hands out its inputs and checks every entry the program makes against it. */
export class ReplayCursor implements InputSource, EntrySink {
  private pos = 0;
  /** Entries checked or taken so far. */
  matched = 0;
  /**
   * `open`: the recorded run did not end (stopped after a snapshot, or killed): reaching the end of the recording is
   * where the replay stops too (ReplayEnd), not a divergence.
   */
  private readonly passive: ReadonlySet<EntryKind>;
  constructor(
    private readonly records: LogRecord[],
    private readonly open = false,
    /** More kinds to pass over (a debugger's re-execution asks the host's files again instead of the recording). */
    skip: readonly EntryKind[] = [],
    /**
     * False: the records are the run's inputs alone (what its world recorded), and the entries the program makes
     * are not checked (an adaptive run's re-execution: adaptive-run.ts).
     */
    private readonly checkWrites = true,
  ) {
    this.passive = skip.length === 0 ? PASSIVE : new Set([...PASSIVE, ...skip]);
  }

  /** Where the cursor stands in its records (the next one to take). */
  get position(): number {
    return this.pos;
  }

  private atEnd(): void {
    if (this.open) throw new ReplayEnd();
  }

  private next(): LogRecord | undefined {
    while (this.pos < this.records.length) {
      const r = this.records[this.pos];
      if (!this.passive.has(r.kind ?? r.entry.kind)) break;
      this.pos++;
    }
    return this.records[this.pos];
  }

  private where(r: LogRecord | undefined): string {
    return r ? `entry ${r.index}${r.size > 0 ? ` (byte ${r.offset})` : ''}` : 'the end of the recording';
  }

  take<K extends EntryKind>(kind: K, what: string): EntryByKind<K> {
    const r = this.next();
    if (!r) this.atEnd();
    if (!r || r.entry.kind !== kind) {
      throw new RuntimeError(
        'divergence',
        `replay diverged at ${this.where(r)}: the program asked for ${what}, the recording holds ${r ? entryText(r.entry) : 'nothing more'}`,
      );
    }
    this.pos++;
    this.matched++;
    return r.entry as EntryByKind<K>;
  }

  peek<K extends EntryKind>(kind: K): EntryByKind<K> | undefined {
    const r = this.next();
    return r && r.entry.kind === kind ? (r.entry as EntryByKind<K>) : undefined;
  }

  write(e: JournalEntry): void {
    if (!this.checkWrites) return;
    const r = this.next();
    if (!r) this.atEnd();
    // A lazily read record is compared by its stored bytes, without decoding it (unless it differs).
    if (r && r.rawPayload && r.kind === e.kind && Buffer.compare(r.rawPayload, encodePayload(e).payload) === 0) {
      this.pos++;
      this.matched++;
      return;
    }
    if (!r || !sameEntry(r.entry, e)) {
      const detail = r && r.entry.kind === e.kind && entryText(r.entry) === entryText(e) ? ' (same call, different data)' : '';
      throw new RuntimeError(
        'divergence',
        `replay diverged at ${this.where(r)}: the recording holds ${r ? entryText(r.entry) : 'nothing more'}, the program did ${entryText(e)}${detail}`,
      );
    }
    this.pos++;
    this.matched++;
  }

  /** Throws when the recording holds more than the replay did. */
  finish(): void {
    const r = this.next();
    if (r) throw new RuntimeError('divergence', `replay ended early: the recording continues at ${this.where(r)} with ${entryText(r.entry)}`);
  }
}

function sameEntry(a: JournalEntry, b: JournalEntry): boolean {
  if (a.kind !== b.kind) return false;
  // A copy: the payload is a view of a shared buffer the next encoding overwrites.
  const pa = Buffer.from(encodePayload(a).payload);
  const pb = encodePayload(b).payload;
  return Buffer.compare(pa, pb) === 0 && kindOf(a) === kindOf(b);
}

/**
 * Run `run` (from 1; default the last) of a journal's records: where it starts (its init-module entry) and the record
 * after its last (the next run's start, or the end), and how many runs there are. `what` names the journal in errors.
 * Lazily read records are told apart by their kind alone (not decoded).
 */
export function runBounds(records: LogRecord[], run: number | undefined, what: string): { run: number; runs: number; start: number; end: number } {
  const starts: number[] = [];
  for (let i = 0; i < records.length; i++) if ((records[i].kind ?? records[i].entry.kind) === 'InitModuleV1') starts.push(i);
  if (starts.length === 0) throw new RuntimeError('bad-journal', `${what} holds no run (no init-module entry)`);
  const k = run ?? starts.length;
  if (!Number.isInteger(k) || k < 1 || k > starts.length) throw new RuntimeError('bad-option', `${what} holds ${starts.length} run(s); there is no run ${run}`);
  return { run: k, runs: starts.length, start: starts[k - 1], end: k < starts.length ? starts[k] : records.length };
}

export interface ReplayOptions {
  module: LoadedModule;
  records: LogRecord[];
  /** Which run to replay, from 1 (default: the last). */
  run?: number;
  terminal: Terminal;
  allowUnknownImports?: boolean;
}

export interface ReplayResult extends RunResult {
  run: number;
  runs: number;
  entriesChecked: number;
}

/** Re-executes a recorded run without consulting the outside world; throws at the first divergence. */
export async function replayProgram(opts: ReplayOptions): Promise<ReplayResult> {
  const { run, runs, start: at, end } = runBounds(opts.records, opts.run, 'the journal');
  const init = opts.records[at].entry as EntryByKind<'InitModuleV1'>;
  if (hex(init.wasm_hash) !== hex(opts.module.hash)) {
    throw new RuntimeError('module-mismatch', `run ${run} was recorded from another module (hash ${hex(init.wasm_hash).slice(0, 16)}..., ${opts.module.path} is ${hex(opts.module.hash).slice(0, 16)}...)`);
  }
  const recorded = opts.records.slice(at, end);
  // A run stopped after a snapshot ends with the snapshot's marker: the replay ends there too. A recording cut
  // anywhere else (a crash) ends in a divergence that says so.
  const stopped = recorded.length > 0 && recorded[recorded.length - 1].entry.kind === 'SnapshotV1';
  const cursor = new ReplayCursor(recorded, stopped);
  // A run that went on from a snapshot is replayed from the same snapshot.
  const resumed = recorded.find((r) => r.entry.kind === 'ResumedFromV1')?.entry as EntryByKind<'ResumedFromV1'> | undefined;
  const world = new ReplayWorld(cursor);
  const result = await execute(
    {
      module: opts.module,
      world,
      terminal: opts.terminal,
      restore: opts.records.slice(0, at).map((r) => r.entry),
      allowUnknownImports: opts.allowUnknownImports,
      resumeAt: resumed?.snapshot,
    },
    cursor,
    NOWHERE,
    false,
  );
  cursor.finish();
  return { ...result, run, runs, entriesChecked: cursor.matched };
}
