// Asyncify instrumentation: what lets a snapshot capture the call stack (unwind into a buffer) and a restore put it
// back (rewind). Done with the npm `binaryen` package (always there), cached by module hash, so the second run of a
// module pays nothing. The recipe (docs/snapshots.md): optimize, asyncify with only our imports able to unwind,
// optimize again; every mutable global the module defines is exported (the stack pointer among them) so a
// snapshot can save it; the name section is kept (trap messages and the debugger use it).

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RuntimeError } from '../errors';

/** Imports at which a snapshot can be taken: every WASI call, and WASIX's explicit snapshot. */
export const ASYNCIFY_IMPORTS = 'wasi_snapshot_preview1.*,wasix_32v1.proc_snapshot';
/** Names our instrumentation gives the mutable globals it exports. */
export const GLOBAL_EXPORT_PREFIX = '__wj_global_';
/** Bump when the recipe changes, so cached modules are rebuilt. */
const RECIPE = 'asyncify-v2';

const ASYNCIFY_EXPORTS = ['asyncify_start_unwind', 'asyncify_stop_unwind', 'asyncify_start_rewind', 'asyncify_stop_rewind', 'asyncify_get_state'];

/** True when the module was instrumented with asyncify already (by us, or by `wasm-opt --asyncify`). */
export function isInstrumented(module: WebAssembly.Module): boolean {
  const names = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
  return ASYNCIFY_EXPORTS.every((n) => names.has(n));
}

export function cacheDir(): string {
  const base = process.env.WASM_JOURNAL_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'wasm-journal');
  return path.join(base, RECIPE);
}

export interface InstrumentResult {
  bytes: Uint8Array;
  /** Where it came from: the cache, a fresh instrumentation, or the module itself (already instrumented). */
  source: 'cache' | 'instrumented' | 'already';
  ms: number;
}

export interface InstrumentOptions {
  /** Called with a line of progress for long runs. */
  progress?: (message: string) => void;
  /** Skip the cache (read and write). */
  noCache?: boolean;
  /** binaryen optimize level around the asyncify pass (default 2). */
  optimizeLevel?: number;
}

type Binaryen = typeof import('binaryen', { with: { 'resolution-mode': 'import' } }).default;

let binaryenModule: Promise<Binaryen> | undefined;
function loadBinaryen(): Promise<Binaryen> {
  // A real dynamic import: binaryen is an ES module with top-level await.
  binaryenModule ??= import('binaryen').then((m) => m.default);
  return binaryenModule;
}

/** Instruments module bytes (hash: their SHA-256, hex) or takes them from the cache. */
export async function instrument(bytes: Uint8Array, hash: string, module: WebAssembly.Module, opts: InstrumentOptions = {}): Promise<InstrumentResult> {
  const t0 = Date.now();
  // Instrumented already (by us, or by `wasm-opt --asyncify`): ours export every mutable global; others get only
  // that step, since without their globals (the stack pointer) a resumed program would corrupt its memory.
  const already = isInstrumented(module);
  if (already && WebAssembly.Module.exports(module).some((e) => e.name.startsWith(GLOBAL_EXPORT_PREFIX))) {
    return { bytes, source: 'already', ms: 0 };
  }
  const cached = path.join(cacheDir(), `${hash}.wasm`);
  if (!opts.noCache) {
    try {
      return { bytes: fs.readFileSync(cached), source: 'cache', ms: Date.now() - t0 };
    } catch {
      // not cached yet
    }
  }
  if (!already) opts.progress?.(`instrumenting the module for snapshots (${(bytes.length / 1e6).toFixed(1)} MB; cached afterwards)...`);
  const binaryen = await loadBinaryen();
  let out: Uint8Array;
  const mod = binaryen.readBinary(bytes);
  try {
    const F = binaryen.Features;
    mod.setFeatures(F.MVP | F.MutableGlobals | F.SignExt | F.BulkMemory | F.NontrappingFPToInt | F.SIMD128 | F.Multivalue | F.ReferenceTypes);
    // Export every mutable global the module defines under our own names (even one the module exports itself),
    // so a snapshot can save and restore them all.
    for (let i = 0; i < mod.getNumGlobals(); i++) {
      const g = binaryen.getGlobalInfo(mod.getGlobalByIndex(i));
      if (g.mutable && !g.module) mod.addGlobalExport(g.name, `${GLOBAL_EXPORT_PREFIX}${i}`);
    }
    binaryen.setDebugInfo(true);
    if (!already) {
      binaryen.setOptimizeLevel(opts.optimizeLevel ?? 2);
      binaryen.setShrinkLevel(0);
      mod.optimize();
      binaryen.setPassArgument('asyncify-imports', ASYNCIFY_IMPORTS);
      mod.runPasses(['asyncify']);
      binaryen.clearPassArguments();
      mod.optimize();
    }
    if (!mod.validate()) throw new RuntimeError('not-wasm', 'the instrumented module does not validate (a binaryen problem)');
    out = mod.emitBinary();
  } finally {
    binaryen.clearPassArguments();
    mod.dispose();
  }
  if (!opts.noCache) {
    try {
      fs.mkdirSync(path.dirname(cached), { recursive: true });
      const tmp = `${cached}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, out);
      fs.renameSync(tmp, cached);
    } catch {
      // a read-only cache: instrument again next time
    }
  }
  return { bytes: out, source: already ? 'already' : 'instrumented', ms: Date.now() - t0 };
}
