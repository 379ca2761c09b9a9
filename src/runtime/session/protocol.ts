// Every message between a debug session (session.ts, on the caller's thread) and the guest workers that run the
// program (guest-worker.ts). One file declares them all, so both sides change together. Requests carry an id and are
// answered by a `response` with the same id; the worker also sends events of its own.

import type { MessagePort } from 'node:worker_threads';
import type { FsMode, MountSpec } from '../world';
import type { SnapshotTriggerName } from '../../journal/wasi-types';
import type { PointBatch } from './points';
import type { SourceLocation } from '../source-lines';

/** The cells of the shared control buffer (Int32Array indices). */
export const enum Cell {
  /** Set to 1 by the session: stop at the next host call (the guest checks it at every call). */
  Pause = 0,
  /** Bumped with every message posted to the worker, so a worker waiting in a stop wakes up for it. */
  Mail = 1,
  /** Bumped by the worker at every host call: the session tells a guest computing from one stuck in a call. */
  Calls = 2,
  /**
   * Set to 1 by the session on a replay worker's cell while the live program runs: it then reads the growing
   * recording seldom (its CPU is the live program's on a small machine), and catches up once the program stops.
   */
  LiveRunning = 3,
}
export const CONTROL_CELLS = 4;

export interface BreakpointSpec {
  id: number;
  /** A WASI call (`fd_write`), a guest function's name (from the name section), or `*` for every host call. */
  name: string;
  condition?: string;
  /** Stop only at this hit (1 = the first) and later ones; DAP's hitCondition as a number. */
  hitCount?: number;
}

export interface DataBreakpointSpec {
  id: number;
  offset: number;
  count: number;
}

export interface LiveConfig {
  args: string[];
  env: string[];
  fsMode: FsMode;
  mounts: MountSpec[];
  /** Where the recording goes (a new file). */
  journal: string;
  triggers: SnapshotTriggerName[];
  periodMs?: number;
  /** Let the session's policy add snapshots, so any point is a short re-execution away. */
  autoSnapshots: boolean;
  /** Text fed to stdin; undefined: the session sends it (the Debug Console). */
  stdin?: string;
  stopOnEntry: boolean;
  stopOnSnapshot: boolean;
  /** Where the program's own sockets may bind and connect besides loopback (`run --net`). */
  net?: string[];
  /**
   * A branch: the journal holds its parent's records before point `at` already; the worker restores `from` (or starts
   * the run), re-executes with those records up to `at`, and from there runs live, appending.
   */
  branch?: { at: number; from?: SnapshotAt; records: number; snapshots: number };
}

export interface WorkerInit {
  role: 'live' | 'replay';
  program: string;
  control: SharedArrayBuffer;
  /** The live run to record. */
  live?: LiveConfig;
  /** The recording a replay worker moves through; host folders by guest path (the recording names guest paths only). */
  replay?: { journal: string; mounts: MountSpec[]; scan?: boolean; /** Which run of the journal, from 1 (default: the last). */ run?: number };
}

/**
 * Session to worker, the first message of a worker started before its session knew what to run (runtime/prestart.ts;
 * its workerData is `{ early: true }`): what workerData holds otherwise. Everything after goes through `port`.
 */
export interface GuestWorkerStart {
  type: 'start';
  init: WorkerInit;
  port: MessagePort;
}

/** How a stopped program goes on. */
export type RunMode =
  /** Until a breakpoint, a pause, or the end. */
  | { kind: 'continue' }
  /** Until point `point` (a step, or a forward travel); breakpoints on the way stop it when `breakpoints`. */
  | { kind: 'to'; point: number; breakpoints: boolean };

export interface SnapshotAt {
  /** Its number among the journal's snapshots, from 0. */
  index: number;
  point: number;
}

export type Request =
  | { type: 'run'; mode: RunMode }
  /** Replay worker: restore `from` (undefined: the run's start) and re-execute up to `point`, then stop there. */
  | { type: 'travel'; point: number; from?: SnapshotAt; reason: StopReason; description?: string; collect?: boolean }
  | { type: 'breakpoints'; breakpoints: BreakpointSpec[]; data: DataBreakpointSpec[] }
  | { type: 'readMemory'; offset: number; count: number }
  | { type: 'writeMemory'; offset: number; data: Uint8Array }
  /** All of memory, copied (transferred to the session). */
  | { type: 'copyMemory' }
  /** The changes from `base` (another point's memory) to this one. */
  | { type: 'diffMemory'; base: Uint8Array; offset: number; count: number; maxRanges: number }
  | { type: 'stack' }
  | { type: 'state' }
  | { type: 'stdin'; data: Uint8Array; end: boolean }
  | { type: 'snapshot' }
  | { type: 'terminate' };

/** A request as posted: with its id. */
export type Envelope = Request & { id: number };

export type StopReason = 'entry' | 'step' | 'breakpoint' | 'function breakpoint' | 'data breakpoint' | 'pause' | 'snapshot' | 'exception' | 'exit' | 'goto';

export interface StackFrameInfo {
  /** The function's name (name section), or `wasm-function[N]`. */
  name: string;
  func: number;
  /** Byte offset of the code in the module. */
  offset: number;
  /** The source line, when the module carries DWARF line tables. */
  source?: SourceLocation;
}

export interface DescriptorInfo {
  fd: number;
  kind: 'stdio' | 'file' | 'directory' | 'socket';
  path?: string;
  position?: number;
  rights: string;
}

export interface ProcessState {
  descriptors: DescriptorInfo[];
  /** Guest paths this run changed so far (written, created, removed, renamed). */
  changed: string[];
  memoryBytes: number;
}

export type { MemoryDiff, MemoryRange } from '../../journal/memory-diff';

export type WorkerEvent =
  | { type: 'ready'; instrumented: boolean }
  | { type: 'response'; id: number; body?: unknown; error?: string }
  | { type: 'stopped'; point: number; reason: StopReason; description: string; hit?: number[]; text?: string }
  | { type: 'points'; batch: PointBatch }
  | { type: 'snapshot'; index: number; point: number; record: number; trigger: SnapshotTriggerName; timeMs: number; bytes: number }
  | { type: 'output'; stream: 1 | 2; data: Uint8Array; point: number }
  | { type: 'exited'; point: number; exitCode: number; trap?: string }
  | { type: 'waitingForInput'; point: number }
  | { type: 'progress'; message: string }
  /** The worker cannot go on (a bad program, a journal it cannot write). */
  | { type: 'failed'; message: string };
