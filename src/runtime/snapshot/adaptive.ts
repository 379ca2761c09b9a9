// Adaptive instrumentation: a run with snapshots starts the module as built, at once, and instruments only the
// functions it finds on the call stack at its snapshot points (V8's stack trace names them), instead of every
// function that can reach a snapshot import (a third of a large C++ program, minutes to instrument, and slower).
//
//   - The functions seen are kept per module (the stack set, in the cache beside the instrumented modules). A run
//     whose set is known starts with the module instrumented for that set (cached too).
//   - A snapshot point whose stack holds a function outside the set grows the set, instruments the module for it
//     (only those functions go through the pass: stubBodies and joinOriginal, about a second), re-executes the run
//     from its start in the newly instrumented module with the inputs recorded so far (a replay, checked input by
//     input, that touches nothing outside), unwinds there and takes the snapshot, and goes on in that instance.
//     The old instance is dropped. Nothing the program did is done twice: the replay answers from the recording.
//   - Anything that keeps this from working (a module the readers do not decode, a failed pass, a replay that
//     diverges) leaves the program running where it was, and the run falls back to the static analysis
//     (instrument.ts) for the next runs of that module.
//
// Why re-execute rather than wait for the next point whose stack is covered: a snapshot is the state at its place
// in the journal, and the triggers name places (the first read of stdin, the first listen); taking it later would
// put it elsewhere. Re-executing costs the run up to that point once per new stack shape; the set is cached, so
// the next runs pay nothing (docs/snapshots.md, docs/benchmarks.md).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { RuntimeError } from '../errors';
import { cacheDir, type InstrumentResult } from './instrument';

const WASM_FRAME = /wasm-function\[(\d+)\]/;

/** The function index of each wasm frame on the current call stack (V8's stack trace), innermost first. */
export function wasmFrames(): number[] {
  const limit = Error.stackTraceLimit;
  const prepare = Error.prepareStackTrace;
  const out: number[] = [];
  try {
    Error.stackTraceLimit = Infinity;
    Error.prepareStackTrace = (_e, sites) => sites;
    const sites = (new Error().stack as unknown as NodeJS.CallSite[]) ?? [];
    for (const site of sites) {
      const m = WASM_FRAME.exec(String(site));
      if (m) out.push(Number(m[1]));
    }
  } finally {
    Error.stackTraceLimit = limit;
    Error.prepareStackTrace = prepare;
  }
  return out;
}

/** Where the stack set of the module `hash` (hex) is kept. */
function stackSetFile(hash: string): string {
  return path.join(cacheDir(), `${hash}.stacks.json`);
}

interface StackSetFile {
  /** Functions seen on call stacks at snapshot points (indices among all of the module's functions). */
  functions: number[];
  /** Set when adaptive instrumentation failed for this module: later runs use the static analysis. */
  static?: string;
}

/** The module's stack set, or undefined when none was kept (or it cannot be read). */
export function loadStackSet(hash: string): StackSetFile | undefined {
  try {
    const v = JSON.parse(fs.readFileSync(stackSetFile(hash), 'utf8')) as StackSetFile;
    if (!Array.isArray(v.functions) || !v.functions.every((f) => Number.isInteger(f) && f >= 0)) return undefined;
    return v;
  } catch {
    return undefined;
  }
}

/** Adds functions to the module's stack set (merged with what another run kept meanwhile); returns the set. */
export function growStackSet(hash: string, functions: Iterable<number>, staticReason?: string): number[] {
  const had = loadStackSet(hash);
  const all = [...new Set([...(had?.functions ?? []), ...functions])].sort((a, b) => a - b);
  const file = stackSetFile(hash);
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    const v: StackSetFile = { functions: all, ...(staticReason ?? had?.static ? { static: staticReason ?? had?.static } : {}) };
    fs.writeFileSync(tmp, JSON.stringify(v));
    fs.renameSync(tmp, file);
  } catch {
    // a read-only cache: the set is learned again next time
  }
  return all;
}

export interface InstrumentNowRequest {
  bytes: Uint8Array;
  /** SHA-256 (hex) of the module as built. */
  hash: string;
  /** The functions to instrument; undefined: the static recipe's (every function that can reach a snapshot import). */
  functions: number[] | undefined;
  imports: string[];
}

/**
 * Instruments on a worker thread while this one goes on (the program runs; `ready` says when the module is there), or
 * waits for it (`wait`, inside a host call of the program: instrument() is asynchronous and a host call cannot be).
 */
export class Instrumenting {
  private readonly done = new Int32Array(new SharedArrayBuffer(4));
  private readonly port: MessagePort;
  private readonly worker: Worker;
  private readonly t0 = Date.now();

  constructor(req: InstrumentNowRequest) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    // instrument-now-worker.js sits next to this file (out/src/runtime/snapshot) or next to the bundle (dist/).
    this.worker = new Worker(path.join(__dirname, 'instrument-now-worker.js'), {
      workerData: { ...req, done: this.done, port: port2 },
      transferList: [port2],
      stdout: true,
      stderr: true,
    });
    // It never keeps the process alive: a run that ends first drops it.
    this.worker.unref();
  }

  get ready(): boolean {
    return Atomics.load(this.done, 0) === 1;
  }

  /** The instrumented module, once there (progress lines every 15 seconds until then). */
  wait(progress?: (message: string) => void): InstrumentResult {
    try {
      while (Atomics.wait(this.done, 0, 0, 15_000) === 'timed-out') progress?.(`still instrumenting (${Math.round((Date.now() - this.t0) / 1000)} s)...`);
      const m = receiveMessageOnPort(this.port)?.message as { result: InstrumentResult } | { error: string } | undefined;
      if (!m) throw new RuntimeError('cannot-instrument', 'the instrumentation worker ended without an answer');
      if ('error' in m) throw new RuntimeError('cannot-instrument', m.error);
      return m.result;
    } finally {
      this.close();
    }
  }

  close(): void {
    this.port.close();
    void this.worker.terminate();
  }
}

/** Instruments now, waiting for it (Instrumenting.wait). */
export function instrumentNow(req: InstrumentNowRequest, progress?: (message: string) => void): InstrumentResult {
  return new Instrumenting(req).wait(progress);
}
