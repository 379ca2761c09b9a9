// Taking snapshots and resuming from them, with asyncify (docs/snapshots.md). A snapshot is taken at a WASI call,
// before the call does anything (the call runs when the program resumes):
//  1. the call starts an unwind: asyncify saves every frame of the call stack into a buffer and _start returns;
//  2. we write the memory changed since the last snapshot (512-byte blocks, merged into regions), the thread state
//     (the saved frames, the mutable globals and the memory size), the cursors of open files, and the marker
//     (time, trigger); the journal syncs at the marker;
//  3. we rewind: _start is called again, asyncify rebuilds the frames and calls the same import again, which now
//     runs normally.
// A restore does 3 on a fresh instance whose memory, globals and frames come from the journal.
// The unwind buffer borrows the top of memory; what the program had there is put back before it runs again.

import type { EntryByKind, JournalEntry } from '../../journal/entries';
import type { SnapshotTriggerName } from '../../journal/wasi-types';
import type { EntrySink, Process } from '../process';
import { FileDesc } from '../descriptors';
import { GLOBAL_EXPORT_PREFIX } from './instrument';
import { RuntimeError } from '../errors';
import { wasmFrames } from './adaptive';
import { frameBounds, WasmShapeError } from './wasm-binary';

export const BLOCK = 512;
const CHUNK = 64 * 1024;
const MAX_REGION = 4 << 20;
const MAX_BUFFER = 1 << 20;

/**
 * The unwind buffer for a memory of `memoryBytes` and a call stack that saves up to `need` bytes: 1 MiB (or what
 * the stack needs, when more), borrowed from the top of memory, at most half of it; 0 when that is not enough.
 */
function unwindBufferSize(memoryBytes: number, need: number): number {
  const half = (memoryBytes >>> 1) & ~15;
  const size = Math.max(Math.min(MAX_BUFFER, half), (need + 15) & ~15);
  return size > half ? 0 : size;
}

/** What each function's frame can add to an unwind at most (frameBounds); null for code the reader does not decode. */
export function readFrameBounds(moduleBytes: Uint8Array): Uint32Array | null {
  try {
    return frameBounds(moduleBytes);
  } catch (e) {
    if (!(e instanceof WasmShapeError)) throw e;
    return null; // the buffer stays 1 MiB
  }
}

/** The most an unwind of the functions `frames` (V8's stack, innermost first) saves. */
function stackBound(bounds: Uint32Array, frames: readonly number[]): { bytes: number; frames: number } {
  let bytes = 8;
  for (const f of frames) bytes += bounds[f] ?? MAX_BUFFER;
  return { bytes, frames: frames.length };
}

function noRoom(bound: { bytes: number; frames: number } | undefined, memoryBytes: number): string {
  const half = memoryBytes >>> 1;
  return bound
    ? `its call stack (${bound.frames} frames, up to ${bound.bytes} bytes saved) does not fit in half of the program's memory (${half} bytes)`
    : `the program's memory (${half * 2} bytes) has no room to save its call stack in`;
}

/**
 * Why the call stack `frames` could not be saved by a module whose frames are bounded by `bounds` (readFrameBounds)
 * in a memory of `memoryBytes`, as beginSnapshot would say; undefined when it fits. For a run about to switch to a
 * newly instrumented module, which would otherwise find this out only after re-executing to the call.
 */
export function stackWontFit(bounds: Uint32Array | null, frames: readonly number[], memoryBytes: number): string | undefined {
  const bound = bounds ? stackBound(bounds, frames) : undefined;
  return unwindBufferSize(memoryBytes, bound?.bytes ?? 0) === 0 ? noRoom(bound, memoryBytes) : undefined;
}
/** A frame of the program in V8's stack trace: `name (wasm://wasm/<id>:wasm-function[<index>]:<offset>)`. */
/** Changed blocks this close (in blocks of unchanged memory between them) are written as one region. */
const GAP_BLOCKS = 8;

interface AsyncifyExports {
  asyncify_start_unwind(ptr: number): void;
  asyncify_stop_unwind(): void;
  asyncify_start_rewind(ptr: number): void;
  asyncify_stop_rewind(): void;
  asyncify_get_state(): number;
}

export const enum AsyncifyState {
  Normal = 0,
  Unwinding = 1,
  Rewinding = 2,
}

/** What a thread's saved state holds besides its frames (SetThreadV1.store_data, JSON). */
export interface StoreData {
  memoryBytes: number;
  globals: Record<string, { n?: number; b?: string }>;
  /** The instrumented module the frames were saved from. */
  instrumented?: InstrumentedModule;
  /** The point (host call, from 0) the snapshot was taken at, when a debugger counted them. */
  point?: number;
}

/** An instrumented module: its SHA-256, what instrumented it, and the imports it can unwind at. */
export interface InstrumentedModule {
  hash: string;
  tool?: string;
  imports?: string[];
  /** The functions instrumented, when they were chosen from call stacks (adaptive.ts): a restore elsewhere makes it again. */
  functions?: number[];
}

/** A snapshot to resume from: frames, globals, memory. */
export interface ResumePoint {
  callStack: Uint8Array;
  store: StoreData;
  /** Writes the snapshot's memory into `memory` (zeroed first): all of it, as the snapshot's run committed it. */
  applyMemory: (memory: Uint8Array) => void;
  cursors: Map<number, number>;
}

/**
 * Grows `memory` to a snapshot's size and writes the snapshot's memory into it. The snapshot describes all of memory
 * over zeros (not over the module's initial data); memory just grown is zeros already, and leaving it alone spares
 * the system touching every page of it.
 */
export function restoreMemory(memory: WebAssembly.Memory, point: Pick<ResumePoint, 'store' | 'applyMemory'>): void {
  const have = memory.buffer.byteLength;
  if (point.store.memoryBytes > have) memory.grow((point.store.memoryBytes - have) / 65536);
  const mem = new Uint8Array(memory.buffer);
  mem.fill(0, 0, Math.min(have, mem.length));
  point.applyMemory(mem);
}

/** The file cursors an FdCursorsV1 entry holds: (u32 fd, u64 position) each. */
export function decodeCursors(e: EntryByKind<'FdCursorsV1'>): Map<number, number> {
  const out = new Map<number, number>();
  const v = new DataView(e.cursors.buffer, e.cursors.byteOffset, e.cursors.length);
  for (let k = 0; k + 12 <= e.cursors.length; k += 12) out.set(v.getUint32(k, true), Number(v.getBigUint64(k + 4, true)));
  return out;
}

/** What a snapshot's thread state holds besides its frames (written by writeThread). */
export function decodeStore(thread: EntryByKind<'SetThreadV1'>): StoreData {
  try {
    return JSON.parse(Buffer.from(thread.store_data).toString('utf8')) as StoreData;
  } catch {
    throw new RuntimeError('bad-journal', 'the snapshot\'s thread state was not written by wasm-journal (its store data is not ours)');
  }
}

function mutableGlobals(exports: WebAssembly.Exports): Map<string, WebAssembly.Global> {
  const out = new Map<string, WebAssembly.Global>();
  for (const [name, v] of Object.entries(exports)) {
    if (!(v instanceof WebAssembly.Global)) continue;
    if (name !== '__stack_pointer' && !name.startsWith(GLOBAL_EXPORT_PREFIX)) continue;
    out.set(name, v);
  }
  return out;
}

/** Thrown through the program's frames to end a run after a snapshot taken without asyncify. */
export class StopAfterSnapshot extends Error {
  constructor(
    readonly trigger: SnapshotTriggerName,
    readonly exitCode = 0,
  ) {
    super(`stopped after a snapshot (${trigger})`);
  }
}

export class Snapshotter {
  private readonly asy: AsyncifyExports;
  private readonly globals: Map<string, WebAssembly.Global>;
  /**
   * Memory as of the last snapshot. At first all zeros: a run's first snapshot holds all of memory (every block
   * that is not zero), so the journal alone says what memory holds (`extract memory`), and a restore starts from
   * zeroed memory.
   */
  private baseline: Uint8Array;
  private bufPtr = 0;
  /** What each function's frame can add to an unwind at most (frameBounds), once read; null when it cannot be. */
  private frameBounds: Uint32Array | null | undefined;
  private saved: Uint8Array | undefined;
  private trigger: SnapshotTriggerName | undefined;
  /** Snapshots taken in this run. */
  count = 0;
  /** The current point (a debugger's count of host calls), saved with each thread state. */
  pointOf: (() => number) | undefined;

  constructor(
    exports: WebAssembly.Exports,
    private readonly memory: WebAssembly.Memory,
    private readonly proc: Process,
    private readonly sink: EntrySink,
    /** False for a module without asyncify: snapshots hold memory and files, not the call stack. */
    readonly withStacks = true,
    /** The instrumented module running (recorded with each thread state). */
    private readonly instrumented?: InstrumentedModule,
    /** The instrumented module's bytes: what each function's frame can add to an unwind is read from them. */
    private moduleBytes?: Uint8Array,
  ) {
    this.asy = exports as unknown as AsyncifyExports;
    this.globals = mutableGlobals(exports);
    this.baseline = new Uint8Array(memory.buffer.byteLength);
  }

  get state(): AsyncifyState {
    return this.withStacks ? (this.asy.asyncify_get_state() as AsyncifyState) : AsyncifyState.Normal;
  }

  /** A snapshot without the call stack (no asyncify), taken where the program is. */
  snapshotWithoutStack(trigger: SnapshotTriggerName): void {
    this.writeSnapshot(undefined, trigger);
  }

  private bytes(): Uint8Array {
    return new Uint8Array(this.memory.buffer);
  }

  /**
   * Borrows the top of memory for the asyncify buffer, keeping what was there: 1 MiB, or `need` bytes when more,
   * and at most half of memory. Returns its size, or 0 when `need` does not fit.
   */
  private borrowBuffer(need = 0): number {
    const mem = this.bytes();
    const size = unwindBufferSize(mem.length, need);
    if (size === 0) return 0;
    this.bufPtr = mem.length - size;
    this.saved = mem.slice(this.bufPtr);
    return size;
  }

  /**
   * Bytes the unwind of the current call stack can take at most: for each of the program's frames on the stack
   * (V8's stack trace names them), the bound of frameBounds; undefined when the module gave no bounds.
   */
  private unwindBound(): { bytes: number; frames: number } | undefined {
    if (this.frameBounds === undefined && this.moduleBytes) {
      // At the first snapshot, not at start-up (a large module takes tens of milliseconds to read).
      this.frameBounds = readFrameBounds(this.moduleBytes);
      this.moduleBytes = undefined;
    }
    if (!this.frameBounds) return undefined;
    return stackBound(this.frameBounds, wasmFrames());
  }

  private returnBuffer(): void {
    if (this.saved) this.bytes().set(this.saved, this.bufPtr);
    this.saved = undefined;
  }

  /**
   * Called inside a WASI call: begins the unwind, after which the call must return at once (its result is
   * ignored). Returns why it cannot instead, when the call stack may not fit in the buffer (half of memory at most):
   * then nothing has changed and the call goes on.
   */
  beginSnapshot(trigger: SnapshotTriggerName): string | undefined {
    const bound = this.unwindBound();
    const size = this.borrowBuffer(bound?.bytes ?? 0);
    if (size === 0) return noRoom(bound, this.bytes().length);
    const v = new DataView(this.memory.buffer);
    v.setUint32(this.bufPtr, this.bufPtr + 8, true);
    v.setUint32(this.bufPtr + 4, this.bufPtr + size, true);
    this.trigger = trigger;
    this.asy.asyncify_start_unwind(this.bufPtr);
    return undefined;
  }

  /** After _start returned from an unwind: writes the snapshot's entries; returns the trigger. */
  completeSnapshot(): SnapshotTriggerName {
    const { callStack, trigger } = this.stopUnwind();
    this.writeSnapshot(callStack, trigger);
    this.lastStack = callStack;
    return trigger;
  }

  private lastStack: Uint8Array | undefined;

  /** Rewinds into the frames of the snapshot just taken: _start, called again, rebuilds them. */
  rewind(): void {
    const callStack = this.lastStack!;
    this.lastStack = undefined;
    const size = this.borrowBuffer(8 + callStack.length);
    if (size === 0) throw new RuntimeError('trap', 'the call stack just saved does not fit in memory again');
    const w = new DataView(this.memory.buffer);
    // The saved frames are a stack: the rewind pops them from where the unwind stopped.
    this.bytes().set(callStack, this.bufPtr + 8);
    w.setUint32(this.bufPtr, this.bufPtr + 8 + callStack.length, true);
    w.setUint32(this.bufPtr + 4, this.bufPtr + size, true);
    this.asy.asyncify_start_rewind(this.bufPtr);
  }

  private stopUnwind(): { callStack: Uint8Array; trigger: SnapshotTriggerName } {
    if (this.state !== AsyncifyState.Unwinding) {
      throw new RuntimeError('trap', 'the program returned from a snapshot without unwinding (a function on the call stack is not instrumented)');
    }
    this.asy.asyncify_stop_unwind();
    const v = new DataView(this.memory.buffer);
    const end = v.getUint32(this.bufPtr, true);
    const callStack = this.bytes().slice(this.bufPtr + 8, end);
    this.returnBuffer();
    return { callStack, trigger: this.trigger! };
  }

  /** Inside the WASI call the rewind reached again: the frames are back; the call now runs normally. */
  finishRewind(): void {
    this.asy.asyncify_stop_rewind();
    this.returnBuffer();
  }

  /** Real time the last snapshot took to write (finding the memory changed, writing it and the thread), in ms. */
  lastCostMs = 0;

  private writeSnapshot(callStack: Uint8Array | undefined, trigger: SnapshotTriggerName): void {
    const t0 = performance.now();
    for (const e of this.memoryEntries()) this.sink.write(e);
    if (callStack) this.writeThread(callStack);
    const files = [...this.proc.fds.entries()].filter(([, d]) => d instanceof FileDesc) as [number, FileDesc][];
    const cursors = new Uint8Array(files.length * 12);
    const cv = new DataView(cursors.buffer);
    files.forEach(([fd, d], i) => {
      cv.setUint32(i * 12, fd, true);
      cv.setBigUint64(i * 12 + 4, BigInt(d.pos), true);
    });
    this.sink.write({ kind: 'FdCursorsV1', cursors });
    const now = Date.now();
    this.sink.write({
      kind: 'SnapshotV1',
      when: { secs_since_epoch: BigInt(Math.floor(now / 1000)), nanos_since_epoch: (now % 1000) * 1_000_000 },
      trigger,
    });
    this.count++;
    this.lastCostMs = performance.now() - t0;
  }

  private writeThread(callStack: Uint8Array): void {
    const globals: StoreData['globals'] = {};
    for (const [name, g] of this.globals) {
      const value = g.value;
      globals[name] = typeof value === 'bigint' ? { b: value.toString() } : { n: value };
    }
    const store: StoreData = { memoryBytes: this.memory.buffer.byteLength, globals, instrumented: this.instrumented };
    if (this.pointOf) store.point = this.pointOf();
    this.sink.write({
      kind: 'SetThreadV1',
      id: 0,
      call_stack: callStack,
      memory_stack: new Uint8Array(0),
      store_data: Buffer.from(JSON.stringify(store), 'utf8'),
      start: 'main_thread',
      layout: { stack_upper: 0n, stack_lower: 0n, guard_size: 0n, stack_size: 0n },
      is_64bit: false,
    });
  }

  /**
   * The memory changed since the baseline, as regions of whole blocks; the baseline moves on. Changed blocks at most
   * GAP_BLOCKS apart share a region (the unchanged blocks between them are written again): a few hundred bytes more
   * in a record instead of a record more, which keeps sparse memory (a first snapshot, scattered stores) to a few
   * large records that are quick to write, index and restore.
   */
  private memoryEntries(): EntryByKind<'UpdateMemoryRegionV1'>[] {
    const mem = this.bytes();
    const base = this.baseline;
    const out: EntryByKind<'UpdateMemoryRegionV1'>[] = [];
    let runStart = -1;
    let runEnd = -1;
    const flush = (): void => {
      if (runStart < 0) return;
      const start = runStart * BLOCK;
      const end = Math.min(runEnd * BLOCK, mem.length);
      for (let s = start; s < end; s += MAX_REGION) {
        const e = Math.min(end, s + MAX_REGION);
        out.push({ kind: 'UpdateMemoryRegionV1', region: { start: BigInt(s), end: BigInt(e) }, data: mem.slice(s, e) });
      }
      runStart = -1;
    };
    const changed = (b: number): void => {
      if (runStart >= 0 && b - runEnd <= GAP_BLOCKS) {
        runEnd = b + 1;
        return;
      }
      flush();
      runStart = b;
      runEnd = b + 1;
    };
    const blocks = Math.ceil(mem.length / BLOCK);
    const memBuf = Buffer.from(mem.buffer, mem.byteOffset, mem.length);
    const baseBuf = Buffer.from(base.buffer, base.byteOffset, base.length);
    const same = Math.min(mem.length, base.length) - (Math.min(mem.length, base.length) % BLOCK);
    // Mostly nothing changed: compare big chunks (a memcmp each), and look at blocks only inside a chunk that differs.
    for (let c = 0; c < same; c += CHUNK) {
      const ce = Math.min(c + CHUNK, same);
      if (memBuf.compare(baseBuf, c, ce, c, ce) === 0) continue;
      for (let s = c; s < ce; s += BLOCK) {
        if (memBuf.compare(baseBuf, s, s + BLOCK, s, s + BLOCK) !== 0) changed(s / BLOCK);
      }
    }
    // Past the end of the baseline (memory grew): compare with zeros.
    for (let b = same / BLOCK; b < blocks; b++) {
      const s = b * BLOCK;
      const e = Math.min(s + BLOCK, mem.length);
      for (let i = s; i < e; i++) {
        if (mem[i] !== (i < base.length ? base[i] : 0)) {
          changed(b);
          break;
        }
      }
    }
    flush();
    // The baseline moves on: only the changed regions are copied (the rest is equal already).
    if (base.length === mem.length) for (const e of out) base.set(e.data, Number(e.region.start));
    else this.baseline = mem.slice();
    return out;
  }

  /** Puts a snapshot's memory, globals and cursors back, and starts the rewind into its frames. */
  /**
   * Memory as it is now becomes the baseline: the next snapshot holds what changes from here. For a run that goes on
   * in a journal holding the snapshot it resumed (a debugger's branch), whose later snapshots add to that one.
   */
  rebase(): void {
    this.baseline = new Uint8Array(this.memory.buffer).slice();
  }

  /** Resumes a snapshot; `rebase`: later snapshots are taken against its memory (see rebase()). */
  resume(point: ResumePoint, rebase = false): void {
    restoreMemory(this.memory, point);
    // Before the call stack is written into memory for the rewind.
    if (rebase) this.rebase();
    for (const [name, v] of Object.entries(point.store.globals)) {
      const g = this.globals.get(name);
      if (!g) throw new RuntimeError('bad-journal', `the snapshot saved a global ${name} this module does not have`);
      g.value = v.b !== undefined ? BigInt(v.b) : v.n!;
    }
    for (const [fd, pos] of point.cursors) {
      const d = this.proc.fds.has(fd) ? this.proc.fds.get(fd) : undefined;
      if (d instanceof FileDesc) d.pos = pos;
    }
    // Later snapshots of this run start again from zeros (a run's first snapshot is complete on its own), so the
    // baseline stays as it is.
    const size = this.borrowBuffer(8 + point.callStack.length);
    if (size === 0) throw new RuntimeError('bad-journal', `the snapshot's call stack (${point.callStack.length} bytes) does not fit in half of its memory`);
    const v = new DataView(this.memory.buffer);
    this.bytes().set(point.callStack, this.bufPtr + 8);
    v.setUint32(this.bufPtr, this.bufPtr + 8 + point.callStack.length, true);
    v.setUint32(this.bufPtr + 4, this.bufPtr + size, true);
    this.asy.asyncify_start_rewind(this.bufPtr);
  }
}

/**
 * Finds the snapshot to resume from in restore entries: the last one (or number `at`, from 0, counting every
 * snapshot of the entries) whose run did not end after it. Returns its entry index and what to resume with, or
 * undefined when there is none to resume (then main starts from the beginning).
 */
export function findResumePoint(entries: JournalEntry[], at?: number): { index: number; point: ResumePoint } | undefined {
  const markers: number[] = [];
  entries.forEach((e, i) => {
    if (e.kind === 'SnapshotV1') markers.push(i);
  });
  let chosen: number | undefined;
  if (at !== undefined) {
    if (at < 0 || at >= markers.length) throw new RuntimeError('bad-option', `the journal holds ${markers.length} snapshot(s); there is no snapshot ${at}`);
    chosen = markers[at];
  } else {
    const last = markers[markers.length - 1];
    if (last === undefined) return undefined;
    // A run that ended (or another that began) after the last snapshot: nothing to resume.
    if (entries.slice(last + 1).some((e) => e.kind === 'ProcessExitV1' || e.kind === 'InitModuleV1')) return undefined;
    chosen = last;
  }
  // The chosen snapshot's run starts at the InitModuleV1 before it; its memory is the regions committed since.
  let runStart = 0;
  for (let i = chosen; i >= 0; i--) {
    if (entries[i].kind === 'InitModuleV1') {
      runStart = i;
      break;
    }
  }
  const regions: { start: number; data: Uint8Array }[] = [];
  let pending: { start: number; data: Uint8Array }[] = [];
  let thread: EntryByKind<'SetThreadV1'> | undefined;
  let pendingThread: EntryByKind<'SetThreadV1'> | undefined;
  const cursors = new Map<number, number>();
  let pendingCursors: Map<number, number> | undefined;
  for (let i = runStart; i <= chosen; i++) {
    const e = entries[i];
    if (e.kind === 'UpdateMemoryRegionV1') pending.push({ start: Number(e.region.start), data: e.data });
    else if (e.kind === 'SetThreadV1' && e.id === 0) pendingThread = e;
    else if (e.kind === 'FdCursorsV1') pendingCursors = decodeCursors(e);
    else if (e.kind === 'ClearEtherealV1') {
      pending = [];
      pendingThread = undefined;
    } else if (e.kind === 'SnapshotV1') {
      regions.push(...pending);
      pending = [];
      if (pendingThread) thread = pendingThread;
      pendingThread = undefined;
      if (pendingCursors) {
        cursors.clear();
        for (const [k, v] of pendingCursors) cursors.set(k, v);
      }
      pendingCursors = undefined;
    }
  }
  if (!thread) return undefined;
  const applyMemory = (mem: Uint8Array): void => {
    for (const r of regions) {
      if (r.start + r.data.length > mem.length) throw new RuntimeError('bad-journal', `the snapshot writes memory up to byte ${r.start + r.data.length}; its memory has ${mem.length}`);
      mem.set(r.data, r.start);
    }
  };
  return { index: chosen, point: { callStack: thread.call_stack, store: decodeStore(thread), applyMemory, cursors } };
}
