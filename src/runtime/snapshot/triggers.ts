// When to take a snapshot: the triggers of `--snapshot-on` (Wasmer's names), checked at every WASI call before the
// call does anything. Triggers that come from outside the program (signals) arrive with the control channel.

import type { SnapshotTriggerName } from '../../journal/wasi-types';
import { takeSignal, type SignalName } from '../signals';

export interface SnapshotOptions {
  triggers: readonly SnapshotTriggerName[];
  /** periodic-interval: at most this long between snapshots (ms; 10 s when the trigger is named without it). */
  periodMs?: number;
  /** Exit after the first snapshot (the process can be resumed from the journal). */
  stopAfterSnapshot?: boolean;
  /** Take snapshots without thread stacks (no asyncify): a restore restarts main. */
  noAsyncify?: boolean;
  /** Where signals for the program arrive (run on a worker thread; see signals.ts). */
  signals?: Int32Array;
  /**
   * The clock the period is measured on, in ms (default: the monotonic clock of this thread, never the wall clock,
   * which the host may move).
   */
  now?: () => number;
  /**
   * A policy of the caller's (a debug session's "often enough to travel anywhere fast"): asked at every call; true
   * takes a periodic-interval snapshot there. With a policy, every WASI call can unwind (the module is instrumented
   * for all of them, or adaptively: RunOptions.instrumentation).
   */
  policy?: (call: string) => boolean;
  /**
   * Adaptive instrumentation, a snapshot of trigger `t` at a call stack the running module cannot unwind yet: true
   * lets it come at a later call, once the module is instrumented for the stack (the program goes on meanwhile);
   * false waits inside the call; undefined (or no function): by the module's size (AdaptiveRun.defers). A debug
   * session's periodic snapshots may come later; a pause's may not.
   */
  deferrable?: (t: SnapshotTriggerName) => boolean | undefined;
  /** Told after each snapshot is written: its trigger and the real time writing it took (ms). */
  taken?: (t: SnapshotTriggerName, costMs: number) => void;
  /** While true, no trigger fires (a debugger's branch re-executing what its journal already holds). */
  suspended?: () => boolean;
}

/** What the run does after a snapshot a signal triggered. */
export type AfterSnapshot = 'continue' | 'exit' | 'stop';

/** The signal triggers, and what each does after its snapshot: Ctrl+C ends the run, Ctrl+Z and stop suspend it. */
const SIGNAL_TRIGGERS: Record<SignalName, { triggers: SnapshotTriggerName[]; after: AfterSnapshot }> = {
  sigint: { triggers: ['first-sigint', 'sigint'], after: 'exit' },
  sigalrm: { triggers: ['sigalrm'], after: 'continue' },
  sigtstp: { triggers: ['sigtstp'], after: 'stop' },
  sigstop: { triggers: ['sigstop'], after: 'stop' },
};

export const DEFAULT_PERIOD_MS = 10_000;

/** Wasmer's default triggers: taken when a journal is written and no trigger is named. */
export const DEFAULT_TRIGGERS: readonly SnapshotTriggerName[] = ['idle', 'first-environ', 'first-listen', 'first-stdin', 'explicit'];

/** Calls that reach outside the sandbox (the non-deterministic-call trigger). */
const OUTSIDE = new Set([
  'clock_time_get', 'random_get', 'poll_oneoff', 'sock_accept', 'sock_accept_v2', 'sock_recv', 'sock_send', 'sock_shutdown',
  // WASIX: where the answers come from the network
  'sock_bind', 'sock_connect', 'sock_recv_from', 'sock_send_to',
]);

const WASI = 'wasi_snapshot_preview1';
const WASIX = 'wasix_32v1';
/** The WASIX calls preview1 does not have (a module instrumented for `${WASI}.*` alone cannot unwind at them). */
const WASIX_ONLY = new Set([
  'proc_snapshot', 'sock_open', 'sock_bind', 'sock_listen', 'sock_accept_v2', 'sock_connect', 'sock_send_to', 'sock_recv_from',
  'sock_status', 'sock_addr_local', 'sock_addr_peer', 'sock_set_opt_flag', 'sock_get_opt_flag', 'sock_set_opt_time',
  'sock_get_opt_time', 'sock_set_opt_size', 'sock_get_opt_size',
]);
/** Every import a snapshot can be taken at. */
export const ALL_SNAPSHOT_IMPORTS: readonly string[] = [`${WASI}.*`, `${WASIX}.*`];

/**
 * The imports at which these triggers can take a snapshot (so the only ones that must be able to unwind: what
 * instrumentation has to make resumable). Signals and the period can come at any call; the others at their calls
 * (check() below fires them there and nowhere else); the explicit snapshot is always possible.
 */
export function snapshotImports(triggers: readonly SnapshotTriggerName[]): string[] {
  const calls = new Set<string>();
  for (const t of triggers) {
    switch (t) {
      case 'first-stdin':
        calls.add('fd_read');
        break;
      case 'idle':
        calls.add('fd_read').add('poll_oneoff');
        break;
      case 'first-environ':
        calls.add('environ_get').add('environ_sizes_get');
        break;
      case 'first-listen':
        // WASIX's listen, or the first accept on a socket handed to the program (preview1 cannot listen).
        calls.add('sock_listen').add('sock_accept').add('sock_accept_v2');
        break;
      case 'non-deterministic-call':
        calls.add('fd_read');
        for (const c of OUTSIDE) calls.add(c);
        break;
      case 'explicit':
        break;
      default:
        return [...ALL_SNAPSHOT_IMPORTS];
    }
  }
  // A call may come from either module (WASIX provides the preview1 calls too); the ones a module lacks are ignored.
  return [...[...calls].sort().flatMap((c) => [`${WASI}.${c}`, `${WASIX}.${c}`]), `${WASIX}.proc_snapshot`];
}

export class TriggerState {
  private readonly on: ReadonlySet<SnapshotTriggerName>;
  /** Whether a snapshot can be taken at a call (by its name), as the running module was instrumented. */
  private readonly unwinds: (call: string) => boolean;
  private readonly fired = new Set<SnapshotTriggerName>();
  private readonly now: () => number;
  private lastSnapshotMs: number;
  private idleSinceSnapshot = false;

  constructor(
    private readonly opts: SnapshotOptions,
    /** The imports the module can unwind at (snapshotImports); a signal waits for one of them. */
    imports: readonly string[] = ALL_SNAPSHOT_IMPORTS,
  ) {
    this.on = new Set(opts.triggers);
    this.now = opts.now ?? (() => performance.now());
    this.lastSnapshotMs = this.now();
    // By call name (hooks name a call the same in either module). A list from before WASIX calls were provided
    // (`${WASI}.*` and the explicit request) can unwind at no WASIX call but that one.
    const names = new Set(imports.map((i) => i.slice(i.indexOf('.') + 1)));
    const preview1 = imports.includes(`${WASI}.*`);
    const wasix = imports.includes(`${WASIX}.*`);
    this.unwinds = preview1 && wasix ? () => true : preview1 ? (n) => !WASIX_ONLY.has(n) || names.has(n) : (n) => names.has(n);
  }

  private once(t: SnapshotTriggerName): SnapshotTriggerName | undefined {
    if (!this.on.has(t) || this.fired.has(t)) return undefined;
    this.fired.add(t);
    return t;
  }

  /** What to do after the snapshot just triggered (signals end or suspend the run). */
  after: AfterSnapshot = 'continue';

  /** Which signals have a trigger (the main thread handles the others as the signal would). */
  static handles(triggers: readonly SnapshotTriggerName[]): SignalName[] {
    return (Object.keys(SIGNAL_TRIGGERS) as SignalName[]).filter((s) => SIGNAL_TRIGGERS[s].triggers.some((t) => triggers.includes(t)));
  }

  /** The trigger for a signal that came, if it has one. */
  private signalTrigger(): SnapshotTriggerName | undefined {
    if (!this.opts.signals) return undefined;
    const sig = takeSignal(this.opts.signals);
    if (!sig) return undefined;
    const { triggers, after } = SIGNAL_TRIGGERS[sig];
    const t = triggers.find((x) => this.on.has(x) && (x !== 'first-sigint' || !this.fired.has(x)));
    if (!t) return undefined;
    this.fired.add(t);
    this.after = after;
    return t;
  }

  /** The trigger that fires at this call, if any. `fd` is the call's first argument (a descriptor for fd_*). */
  check(name: string, fd: unknown, isStdin: (fd: number) => boolean): SnapshotTriggerName | undefined {
    this.after = 'continue';
    if (this.opts.suspended?.()) return undefined;
    if (name === 'proc_snapshot') return 'explicit';
    // Not a call the module can unwind at: nothing fires (a signal waits for the next one that can).
    if (!this.unwinds(name)) return undefined;
    const signalled = this.signalTrigger();
    if (signalled) return signalled;
    const reading = name === 'fd_read' && typeof fd === 'number' && isStdin(fd);
    const waiting = name === 'poll_oneoff' || reading;
    let t: SnapshotTriggerName | undefined;
    if (name === 'environ_get' || name === 'environ_sizes_get') t = this.once('first-environ');
    if (!t && reading) t = this.once('first-stdin');
    if (!t && (name === 'sock_listen' || name === 'sock_accept' || name === 'sock_accept_v2')) t = this.once('first-listen');
    if (!t && this.on.has('idle') && waiting && !this.idleSinceSnapshot) t = 'idle';
    if (!t && this.on.has('non-deterministic-call') && (OUTSIDE.has(name) || reading)) t = 'non-deterministic-call';
    if (!t && this.on.has('periodic-interval') && this.now() - this.lastSnapshotMs >= (this.opts.periodMs ?? DEFAULT_PERIOD_MS)) {
      t = 'periodic-interval';
    }
    if (!t && this.opts.policy?.(name)) t = 'periodic-interval';
    if (!waiting) this.idleSinceSnapshot = false;
    if (t) {
      this.lastSnapshotMs = this.now();
      if (waiting) this.idleSinceSnapshot = true;
    }
    return t;
  }
}
