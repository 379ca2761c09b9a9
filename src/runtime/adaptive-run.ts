// A run whose module is instrumented adaptively (snapshot/adaptive.ts explains the scheme): what it keeps to
// re-execute (the run's inputs so far), how it counts host calls, and the switch into a newly instrumented module
// at a snapshot point whose call stack the running one cannot unwind.

import type { JournalEntry } from '../journal/entries';
import { PackedEntries } from '../journal/simple-journals';
import type { LogRecord } from '../journal/journal';
import type { SnapshotTriggerName } from '../journal/wasi-types';
import { ProcExit, RuntimeError } from './errors';
import type { LoadedModule } from './module';
import type { EntrySink, Process, Terminal } from './process';
import { InstanceSlot, forwarders, ReplayCursor, startProcess } from './runtime';
import { growStackSet, Instrumenting, instrumentNow, wasmFrames } from './snapshot/adaptive';
import { toolLabel } from './snapshot/instrument';
import { AsyncifyState, readFrameBounds, Snapshotter, stackWontFit, type InstrumentedModule } from './snapshot/snapshotter';
import { splitImports, wasiImports, type WasiHooks } from './wasi';
import { ReplayWorld, type RecordingWorld } from './world';

/** What a run keeps to re-execute at most (the data of its entries): past it, it stops keeping, and cannot switch. */
const KEEP_BYTES = 512 * 1024 * 1024;
/**
 * Re-executions a run makes with chosen functions at most (each re-runs everything so far: a run whose snapshots
 * keep meeting new stacks, periodic ones say, would pay again and again); the next one instruments with the static
 * recipe, which covers every stack, so it is the last. WASM_JOURNAL_ADAPTIVE_SWITCHES changes it.
 */
const MAX_SWITCHES = Math.max(0, Number(process.env.WASM_JOURNAL_ADAPTIVE_SWITCHES ?? 3) || 0);

/** Modules from this size on defer the snapshot rather than wait for their instrumentation (defers). */
const DEFER_FROM_BYTES = 2 * 1024 * 1024;

type Imports = Record<string, Record<string, WebAssembly.ImportValue>>;

/** The run a switch goes on in: its process, sink and imports, and where a debugger counts its points. */
interface Live {
  proc: Process;
  sink: EntrySink;
  imports: Imports;
  pointOf?: () => number;
}

/**
 * Thrown through the old instance's frames once the module is instrumented for the stack a snapshot point met: the
 * run re-executes in it (AdaptiveRun.resume) from the top of the thread's stack, where the re-execution has all of
 * it (a deep recursion needs as much again).
 */
export class SwitchPending extends Error {
  constructor(
    readonly compiled: WebAssembly.Module,
    readonly code: Uint8Array,
    readonly info: InstrumentedModule,
    readonly call: string,
    readonly trigger: SnapshotTriggerName,
  ) {
    super('the run goes on in the newly instrumented module');
  }
}

export class AdaptiveRun {
  /** The functions the running module has instrumented (empty: the module as built runs). */
  functions: Set<number>;
  /** Host calls made so far (the re-execution stops at the same count). */
  calls = 0;
  /** Snapshots taken by instances the run left. */
  earlierSnapshots = 0;
  /** The run's inputs so far, encoded (no object per input for the garbage collector: PackedEntries). */
  private readonly kept = new PackedEntries();
  private full = false;

  constructor(
    private readonly module: LoadedModule,
    /** SHA-256 (hex) of the module as built. */
    readonly hash: string,
    functions: readonly number[],
    private readonly imports: string[],
    private readonly progress: ((message: string) => void) | undefined,
    /** The entries the run restored before main (their effects; the re-execution restores them the same way). */
    private readonly restore: JournalEntry[] | undefined,
  ) {
    this.functions = new Set(functions);
  }

  /**
   * Keeps a copy of every input the run's world records (what the re-execution is answered from). The entries the
   * program makes are not kept: they follow from the inputs (the re-execution is deterministic), and copying each
   * one cost a file-heavy run a fifth more time (bench: fileio.c, 642 ms against 524).
   */
  tap(world: RecordingWorld): void {
    world.tap = (e) => this.keep(e);
  }

  private keep(e: JournalEntry): void {
    if (this.full) return;
    this.kept.push(e);
    if (this.kept.byteLength > KEEP_BYTES) {
      this.full = true;
      this.kept.clear();
    }
  }

  /** Memory the caller wrote while the program was in a host call (a debugger): [call, offset, bytes]. */
  private readonly patches: [number, number, Uint8Array][] = [];

  /**
   * The caller wrote `data` at `offset` while the program is in a host call: the re-execution writes it at the start
   * of the same call. The call in progress is counted once its hooks ran, so a stop at its start sees it as call
   * `calls + 1`; a stop where a snapshot was taken (`rewound`: the call was counted before the unwind) as `calls`.
   */
  wroteMemory(offset: number, data: Uint8Array, atCallStart: boolean, rewound: boolean): void {
    if (!atCallStart) this.off ??= 'the debugger wrote memory inside a host call, where a re-execution cannot write it again';
    else this.patches.push([rewound ? this.calls : this.calls + 1, offset, data.slice()]);
  }

  /** Switches made so far in this run. */
  private switches = 0;
  /** The running module was instrumented by the static recipe (after MAX_SWITCHES): every stack is covered. */
  private whole = false;

  /** True when every frame on the stack (wasmFrames) is instrumented in the running module. */
  covers(frames: readonly number[]): boolean {
    if (this.whole) return true;
    if (this.functions.size === 0) return false;
    for (const f of frames) if (!this.functions.has(f)) return false;
    return true;
  }

  /** Set (to why) once the run cannot switch modules any more: uncovered snapshot points are then skipped. */
  off: string | undefined;

  /**
   * At a snapshot point (host call number `this.calls`, `call`) whose stack `frames` the running module cannot
   * unwind: instruments the grown set and throws SwitchPending. Returns why not when it cannot: `off` when the run
   * cannot switch at all (the program goes on where it was, without this snapshot, and the next runs of the module
   * use the static analysis), `skip` when only this snapshot cannot be taken (its call stack would not fit in the
   * memory of `memoryBytes`: the re-execution would find that out at the call, too late to go on).
   */
  switchAt(call: string, trigger: SnapshotTriggerName, frames: readonly number[], memoryBytes: number): { off: string } | { skip: string } {
    if (this.full) return { off: `the run's inputs passed the ${KEEP_BYTES >> 20} MiB kept to re-execute it in a newly instrumented module` };
    this.close();
    this.deferred = undefined;
    const grown = growStackSet(this.hash, [...this.functions, ...frames]);
    const t0 = Date.now();
    const whole = this.switches >= MAX_SWITCHES;
    const size = `${(this.module.bytes.length / 1e6).toFixed(1)} MB, with ${toolLabel()}; cached afterwards`;
    this.progress?.(
      whole
        ? `instrumenting the module for snapshots (${size}): as a whole, after ${this.switches} re-executions for new call stacks in this run...`
        : `instrumenting the module for snapshots: the ${grown.length} functions seen on its call stacks (${size})...`,
    );
    let pending: SwitchPending;
    try {
      const functions = whole ? undefined : grown;
      const r = instrumentNow({ bytes: this.module.bytes, hash: this.hash, functions, imports: this.imports }, this.progress);
      const cannot = stackWontFit(readFrameBounds(r.bytes), frames, memoryBytes);
      if (cannot !== undefined) return { skip: cannot };
      const info: InstrumentedModule = { hash: r.hash, tool: r.tool, imports: [...this.imports], ...(functions ? { functions } : {}) };
      pending = new SwitchPending(new WebAssembly.Module(r.bytes), r.bytes, info, call, trigger);
    } catch (e) {
      if (!(e instanceof RuntimeError) && !(e instanceof WebAssembly.CompileError)) throw e;
      growStackSet(this.hash, [], e.message);
      return { off: `${e.message} (after ${Date.now() - t0} ms; the next runs instrument the module as a whole)` };
    }
    this.functions = new Set(grown);
    this.whole = whole;
    this.switches++;
    throw pending;
  }

  /**
   * Whether a snapshot whose stack the running module cannot unwind waits for its module (inside the call: the
   * snapshot is where its trigger fired) or is deferred (the program goes on; the snapshot comes later, or in the
   * next runs if the program ends first). Measured (docs/benchmarks.md): below 2 MB of module, instrumenting takes
   * well under a second and waiting costs the first output nothing measurable (1 MB: 0.24 s either way), while it
   * held the 5 and 20 MB programs' first output back by 1.0 and 3.4 s. An explicit request always waits (the
   * program asked for that place). `preference` is the caller's (SnapshotOptions.deferrable).
   * WASM_JOURNAL_ADAPTIVE=wait or defer decides for every module and caller.
   */
  defers(trigger: SnapshotTriggerName, preference?: boolean): boolean {
    const how = process.env.WASM_JOURNAL_ADAPTIVE;
    if (how === 'wait' || how === 'defer') return how === 'defer';
    // The caller's say (a debug session: its periodic snapshots may come later, a pause's not: SnapshotOptions).
    if (preference !== undefined) return preference;
    return trigger !== 'explicit' && this.module.bytes.length >= DEFER_FROM_BYTES;
  }

  /** True while a snapshot waits for its module (defer). */
  get deferring(): boolean {
    return this.deferred !== undefined;
  }

  /** A snapshot waiting for its module (defer): instrumenting on a worker while the program goes on. */
  private deferred: { job: Instrumenting; set: Set<number>; trigger: SnapshotTriggerName; whole: boolean; rounds: number } | undefined;

  /**
   * At a snapshot point whose stack the running module cannot unwind, when the run need not stop there: starts
   * instrumenting for the grown set on a worker and lets the program go on; the snapshot is taken at the first
   * later host call whose stack the new module covers (poll). One snapshot waits at a time: a trigger that fires
   * meanwhile is taken with it.
   */
  defer(trigger: SnapshotTriggerName, frames: readonly number[], rounds = 0): void {
    if (this.deferred || this.full) return;
    const grown = growStackSet(this.hash, [...this.functions, ...frames]);
    // A chase that does not end (every later call meets yet another stack) ends with the static recipe.
    const whole = this.switches >= MAX_SWITCHES || rounds >= MAX_SWITCHES;
    if (rounds === 0) {
      this.progress?.(
        `instrumenting the module for snapshots in the background: ${whole ? 'as a whole' : `the ${grown.length} functions seen on its call stacks`} ` +
          `(${(this.module.bytes.length / 1e6).toFixed(1)} MB, with ${toolLabel()}; cached afterwards); the ${trigger} snapshot is taken at the first call after it is done`,
      );
    }
    const job = new Instrumenting({ bytes: this.module.bytes, hash: this.hash, functions: whole ? undefined : grown, imports: this.imports });
    this.deferred = { job, set: new Set(grown), trigger, whole, rounds };
  }

  /**
   * At every host call while a snapshot waits (cheap until its module is there): once it is, and it covers this
   * call's stack, throws SwitchPending (the snapshot is taken here); a stack it does not cover grows the set again.
   */
  poll(call: string, memoryBytes: number): void {
    const d = this.deferred;
    if (!d || !d.job.ready) return;
    this.deferred = undefined;
    let r: ReturnType<Instrumenting['wait']>;
    try {
      r = d.job.wait();
    } catch (e) {
      if (!(e instanceof RuntimeError)) throw e;
      growStackSet(this.hash, [], e.message);
      this.off = e.message;
      this.progress?.(`no ${d.trigger} snapshot: ${e.message} (the next runs instrument the module as a whole); the program goes on`);
      return;
    }
    const frames = wasmFrames();
    if (!d.whole && frames.some((f) => !d.set.has(f))) {
      this.defer(d.trigger, [...d.set, ...frames], d.rounds + 1);
      return;
    }
    const cannot = stackWontFit(readFrameBounds(r.bytes), frames, memoryBytes);
    if (cannot !== undefined) {
      // The re-execution would find it at this call, too late to go on: no snapshot (the module stays cached).
      this.progress?.(`no ${d.trigger} snapshot at ${call}: ${cannot}; the program goes on`);
      return;
    }
    const functions = d.whole ? undefined : [...d.set].sort((a, b) => a - b);
    const info: InstrumentedModule = { hash: r.hash, tool: r.tool, imports: [...this.imports], ...(functions ? { functions } : {}) };
    let compiled: WebAssembly.Module;
    try {
      compiled = new WebAssembly.Module(r.bytes);
    } catch (e) {
      this.off = (e as Error).message;
      return;
    }
    this.functions = d.set;
    this.whole = d.whole;
    this.switches++;
    throw new SwitchPending(compiled, r.bytes, info, call, d.trigger);
  }

  /** Drops a module still being made (the run ended). */
  close(): void {
    this.deferred?.job.close();
  }

  /**
   * The run ended while a snapshot waited for its module: lets the instrumentation finish, so that it is cached
   * and the next runs start with it (they take that snapshot), rather than making them instrument before they start.
   */
  finishWaiting(): void {
    const d = this.deferred;
    if (!d) return;
    this.deferred = undefined;
    this.progress?.(`the ${d.trigger} snapshot waited for the module to be instrumented for its call stack, and the program ended first; finishing the instrumentation for the next runs, which take it...`);
    try {
      d.job.wait(this.progress);
    } catch (e) {
      if (!(e instanceof RuntimeError)) throw e;
      growStackSet(this.hash, [], e.message);
    }
  }

  /**
   * Re-executes the run in the module `p` names, up to the call it was thrown at, and takes the snapshot there: the
   * run goes on in the instance returned. A re-execution that does not reach that call the same way is an error
   * (the journal holds the run up to that call; the next runs use the static analysis).
   */
  resume(p: SwitchPending, live: Live): { instance: WebAssembly.Instance; memory: WebAssembly.Memory; snapshotter: Snapshotter } {
    try {
      return this.reexecute(p.compiled, p.code, p.info, p.call, p.trigger, live);
    } catch (e) {
      if (!(e instanceof RuntimeError)) throw e;
      growStackSet(this.hash, [], e.message);
      throw new RuntimeError(
        'divergence',
        `re-executing the run in the module instrumented for its snapshot at call ${this.calls} (${p.call}) failed: ${e.message}. ` +
          'The journal holds the run up to that call; the next runs of this module instrument it as a whole (WASM_JOURNAL_INSTRUMENT=static does it now)',
      );
    }
  }

  /** Runs the module from its start, answered from the run's inputs, up to this call; unwinds there. */
  private reexecute(
    compiled: WebAssembly.Module,
    code: Uint8Array,
    info: InstrumentedModule,
    name: string,
    trigger: SnapshotTriggerName,
    live: Live,
  ): { instance: WebAssembly.Instance; memory: WebAssembly.Memory; snapshotter: Snapshotter } {
    const records: LogRecord[] = this.kept.entries().map((entry, index) => ({ entry, index, offset: 0, size: 0 }));
    const cursor = new ReplayCursor(records, false, [], false);
    const silent: Terminal = { write: () => true };
    const { proc, start } = startProcess({ module: this.module, world: new ReplayWorld(cursor), terminal: silent, restore: this.restore }, cursor);
    const target = this.calls;
    const held: { memory?: WebAssembly.Memory; snapshotter?: Snapshotter; reached: boolean } = { reached: false };
    let count = 0;
    let patch = 0;
    const hooks: WasiHooks = {
      beforeCall: (call) => {
        ++count;
        // Memory the caller wrote during this call, in the run: written again, before the call goes on.
        while (patch < this.patches.length && this.patches[patch][0] === count) {
          const [, offset, data] = this.patches[patch++];
          new Uint8Array(held.memory!.buffer).set(data, offset);
        }
        if (count < target) return false;
        if (count > target || call !== name) throw new RuntimeError('divergence', `the re-execution's call ${count} is ${call}, the run's was ${name}`);
        cursor.finish();
        held.reached = true;
        const cannot = held.snapshotter!.beginSnapshot(trigger);
        if (cannot !== undefined) throw new RuntimeError('cannot-instrument', cannot);
        return true;
      },
      interrupted: () => false,
    };
    const imports: Imports = splitImports(wasiImports(proc, () => held.memory!, start.args, start.env, hooks));
    const slot = new InstanceSlot();
    slot.targets = imports;
    const instance = new WebAssembly.Instance(compiled, forwarders(slot, live.imports) as WebAssembly.Imports);
    const memory = instance.exports.memory as WebAssembly.Memory;
    held.memory = memory;
    held.snapshotter = new Snapshotter(instance.exports, memory, live.proc, live.sink, true, info, code);
    if (live.pointOf) held.snapshotter.pointOf = live.pointOf;
    try {
      (instance.exports._start as () => void)();
    } catch (e) {
      if (e instanceof ProcExit) throw new RuntimeError('divergence', `the re-execution exited (${e.exitCode}) before call ${target}`);
      if (e instanceof RuntimeError && e.code !== 'trap') throw e;
      throw new RuntimeError('divergence', `the re-execution stopped before call ${target}: ${(e as Error).message}`);
    }
    if (!held.reached || held.snapshotter.state !== AsyncifyState.Unwinding) throw new RuntimeError('divergence', `the re-execution returned before call ${target}`);
    held.snapshotter.completeSnapshot();
    // From here on the instance's calls are the run's.
    slot.targets = live.imports;
    return { instance, memory, snapshotter: held.snapshotter };
  }
}
