// Runs npm binaryen's passes for instrument.ts on a worker thread, so the thread that asked can report progress
// (and take signals) while a large module is instrumented. Input: the prepared module and the recipe; output: the
// instrumented module, or an error message.

import { parentPort, workerData } from 'node:worker_threads';
import { onlyList, POST_OPTIMIZE_LEVEL, type RecipeInput, type RecipeOutput } from './recipe';

type Binaryen = typeof import('binaryen', { with: { 'resolution-mode': 'import' } }).default;

async function run(input: RecipeInput): Promise<RecipeOutput> {
  const binaryen: Binaryen = (await import('binaryen')).default;
  const F = binaryen.Features;
  const features = F.MVP | F.MutableGlobals | F.SignExt | F.BulkMemory | F.NontrappingFPToInt | F.SIMD128 | F.Multivalue | F.ReferenceTypes;
  const t0 = Date.now();
  let mod = binaryen.readBinary(input.bytes);
  try {
    mod.setFeatures(features);
    binaryen.setDebugInfo(true);
    binaryen.setOptimizeLevel(input.optimizeLevel);
    binaryen.setShrinkLevel(0);
    if (input.optimizeLevel > 0) mod.optimize();
    const tOpt = Date.now();
    // Which functions can reach a snapshot import, now that optimization has reshaped the calls.
    let only: string[] | undefined;
    let reaching = 0;
    if (input.selective) {
      const optimized = mod.emitBinary();
      mod.dispose();
      const sel = onlyList(optimized, input.imports);
      only = sel?.names;
      reaching = sel?.reaching ?? 0;
      mod = binaryen.readBinary(optimized);
      mod.setFeatures(features);
    }
    binaryen.setPassArgument('asyncify-imports', input.imports.join(','));
    if (only) binaryen.setPassArgument('asyncify-onlylist', only.join(','));
    // Asyncify on its own (its optimizations inside the pass are what takes minutes on large modules), then one
    // cleanup (recipe.ts, POST_OPTIMIZE_LEVEL).
    binaryen.setOptimizeLevel(0);
    mod.runPasses(['asyncify']);
    binaryen.clearPassArguments();
    const tAsy = Date.now();
    if (input.optimizeLevel > 0) {
      binaryen.setOptimizeLevel(Math.min(input.optimizeLevel, POST_OPTIMIZE_LEVEL));
      mod.optimize();
    }
    const tClean = Date.now();
    // Validated by the caller with the engine's own validator (binaryen's, compiled to WebAssembly, took minutes on
    // large modules).
    const bytes = mod.emitBinary();
    return { bytes, only: only?.length, reaching, phases: { optimize: tOpt - t0, asyncify: tAsy - tOpt, optimizeAgain: tClean - tAsy, emit: Date.now() - tClean } };
  } finally {
    binaryen.clearPassArguments();
    mod.dispose();
  }
}

run(workerData as RecipeInput).then(
  (out) => parentPort!.postMessage(out),
  (e: unknown) => parentPort!.postMessage({ error: e instanceof Error ? e.message : String(e) }),
);
