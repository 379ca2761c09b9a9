// What instrumenting a module means, shared by the npm binaryen worker (instrument-worker.ts) and the native
// wasm-opt runner (instrument.ts): optimize, find the functions that can reach a snapshot import, asyncify only
// those (the pass alone, at optimize level 0), optimize again at level 1.
//
// Measured on a generated 1 MB C++ module (bench/guests/large) with a native wasm-opt 108: asyncify with -O2 in the
// same run took 57 s when 1,151 functions are instrumented, and 18 s even when one is; the pass alone takes 0.8-8 s
// and a following -O1 2-23 s (for the same size of output as -O2, which took 577 s on the heavily instrumented
// module). Hence the pass alone, then -O1.

/** Optimize level of the cleanup after asyncify. */
export const POST_OPTIMIZE_LEVEL = 1;

import { callGraph, exportedFunction, functionNames, reachingFunctions, WasmShapeError } from './wasm-binary';

export interface RecipeInput {
  bytes: Uint8Array;
  optimizeLevel: number;
  /** Imports at which a snapshot can be taken ("module.name", or "module.*"). */
  imports: string[];
  /** Instrument only the functions that can reach those imports (when the module can be analysed). */
  selective: boolean;
}

export interface RecipeOutput {
  bytes: Uint8Array;
  /** Functions instrumented when selective (undefined: the analysis could not be made, all that asyncify chose). */
  only?: number;
  /** Functions that can reach a snapshot import (0 when not analysed). */
  reaching: number;
  /** Milliseconds of each phase. */
  phases: { optimize: number; asyncify: number; optimizeAgain: number; emit?: number };
}

/**
 * The names of the functions that can reach one of `imports` (binaryen's asyncify-onlylist), or undefined when the
 * module cannot be analysed (code this reader does not decode) or a function has no usable name: then asyncify's own,
 * broader choice stands.
 */
export function onlyList(bytes: Uint8Array, imports: string[]): { names: string[]; reaching: number } | undefined {
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
  const reaching = out.length;
  if (out.length === 0) {
    // Nothing can reach them (the module does not import them, say): asyncify still has to run, for its exports, but
    // an empty list would mean "no list" (every function with an indirect call instrumented). _start stands in.
    const start = exportedFunction(bytes, '_start');
    const n = start === undefined ? undefined : names.get(start);
    if (n === undefined || /[,*@\s]/.test(n)) return undefined;
    out.push(n);
  }
  return { names: out.sort(), reaching };
}
