// What instrumenting a module means, shared by the npm binaryen worker (instrument-worker.ts) and the native
// wasm-opt runner (instrument.ts): find the functions that can reach a snapshot import, and run binaryen's asyncify
// pass on those only, at optimize level 1, so that the pass cleans up the functions it rewrote (flattening, local
// coalescing before the rewrite, binaryen's function passes after it) and nothing else. No whole-module
// optimization runs before or after: the compiler optimized the program already (or the user built it without
// optimization, to debug it), and the functions we do not instrument stay exactly as built.
//
// Measured on the generated C++ modules of bench/guests/large (docs/benchmarks.md): an -O2 before asyncify inlined
// the program's two giant single-call functions (118 KB and 95 KB of code) into an instrumented caller, which made
// both the pass (and the -O1 cleanup it then needed: 20 s per MB) and V8's optimizing compiler take minutes. The
// pass at level 1 on the module as built: 4.4 s for the 1 MB module (was 29 s), and its output is smaller (1.4 MB
// against 1.7 MB) and faster. binaryen 112 and later (npm) optimize only the instrumented functions; older ones
// (Debian's wasm-opt 108) flatten and optimize every function in the pass, and still come out ahead.

/** binaryen optimize level of the asyncify pass's own clean-up of the functions it instruments. */
export const ASYNCIFY_OPTIMIZE_LEVEL = 1;

import { callGraph, exportedFunction, functionNames, reachingFunctions, WasmShapeError } from './wasm-binary';

export interface RecipeInput {
  bytes: Uint8Array;
  /** Optimize level of asyncify's own clean-up of the functions it instruments (0: none). */
  optimizeLevel: number;
  /** Imports at which a snapshot can be taken ("module.name", or "module.*"). */
  imports: string[];
  /** The functions to instrument (asyncify-onlylist; onlyList), or undefined for asyncify's own, broader choice. */
  only?: string[];
  /**
   * Listed functions another thread instruments (wasm-join.ts): their bodies become `unreachable` before the pass,
   * so this one does no work on them.
   */
  stubs?: string[];
}

export interface RecipeOutput {
  bytes: Uint8Array;
  /** Milliseconds of the asyncify pass (with its clean-up) and of writing its output. */
  phases: { asyncify: number; emit: number };
  /** Threads that shared the work (npm binaryen on a large module). */
  threads?: number;
}

/**
 * The names of the functions that can reach one of `imports` (binaryen's asyncify-onlylist), or undefined when the
 * module cannot be analysed (code this reader does not decode) or a function has no usable name: then asyncify's own,
 * broader choice stands.
 */
export function onlyList(bytes: Uint8Array, imports: string[]): { names: string[] } | undefined {
  let reach: Set<number>;
  let imported: number;
  try {
    const g = callGraph(bytes);
    reach = reachingFunctions(g, imports);
    imported = g.imported.length;
  } catch (e) {
    if (e instanceof WasmShapeError) return undefined;
    throw e;
  }
  const names = functionNames(bytes);
  const out: string[] = [];
  for (const f of reach) {
    if (f < imported) continue;
    const n = names.get(f);
    // Lists are comma-separated; a name that could be cut or read as a pattern cannot be listed.
    if (n === undefined || /[,*@\s]/.test(n)) return undefined;
    out.push(n);
  }
  if (out.length === 0) {
    // Nothing can reach them (the module does not import them, say): asyncify still has to run, for its exports, but
    // an empty list would mean "no list" (every function with an indirect call instrumented). _start stands in.
    const start = exportedFunction(bytes, '_start');
    const n = start === undefined ? undefined : names.get(start);
    if (n === undefined || /[,*@\s]/.test(n)) return undefined;
    out.push(n);
  }
  return { names: out.sort() };
}
