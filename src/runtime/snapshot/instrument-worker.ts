// Runs npm binaryen's asyncify pass for instrument.ts on a worker thread, so the thread that asked can report
// progress (and take signals) while a large module is instrumented, and several threads can share a large module
// (each instruments part of the functions; wasm-join.ts joins them). Input: the prepared module and the recipe
// (recipe.ts); output: the instrumented module, or an error message.

import { parentPort, workerData } from 'node:worker_threads';
import type { RecipeInput, RecipeOutput } from './recipe';

type Binaryen = typeof import('binaryen', { with: { 'resolution-mode': 'import' } }).default;

async function run(input: RecipeInput): Promise<RecipeOutput> {
  const binaryen: Binaryen = (await import('binaryen')).default;
  const F = binaryen.Features;
  const mod = binaryen.readBinary(input.bytes);
  try {
    // The module's own features (its target_features section, which the reader applies), with those our engine runs
    // that a module without the section may use; bulk memory's memory.copy and memory.fill are a feature of their
    // own in newer binaryen (BulkMemoryOpt), which bulk memory implies: without it binaryen aborts on them.
    let features = mod.getFeatures() | F.MutableGlobals | F.SignExt | F.BulkMemory | F.NontrappingFPToInt | F.SIMD128 | F.Multivalue | F.ReferenceTypes;
    if (features & F.BulkMemory && F.BulkMemoryOpt !== undefined) features |= F.BulkMemoryOpt;
    mod.setFeatures(features);
    // binaryen.Function (the typings place it on Module, where it is not at run time).
    const fn = (binaryen as unknown as { Function: { setBody(func: number, body: number): void } }).Function;
    for (const name of input.stubs ?? []) fn.setBody(mod.getFunction(name), mod.unreachable());
    binaryen.setDebugInfo(true);
    binaryen.setOptimizeLevel(input.optimizeLevel);
    binaryen.setShrinkLevel(0);
    binaryen.setPassArgument('asyncify-imports', input.imports.join(','));
    if (input.only) binaryen.setPassArgument('asyncify-onlylist', input.only.join(','));
    const t0 = Date.now();
    mod.runPasses(['asyncify']);
    const tAsy = Date.now();
    // Validated by the caller with the engine's own validator (binaryen's, compiled to WebAssembly, took minutes on
    // large modules).
    const bytes = mod.emitBinary();
    return { bytes, phases: { asyncify: tAsy - t0, emit: Date.now() - tAsy } };
  } finally {
    binaryen.clearPassArguments();
    mod.dispose();
  }
}

run(workerData as RecipeInput).then(
  (out) => parentPort!.postMessage(out),
  // binaryen.js reports its fatal errors as opaque C++ exceptions, without their text.
  (e: unknown) => parentPort!.postMessage({ error: e instanceof Error ? `failed: ${e.message}` : 'stopped on the module without saying why (a native wasm-opt says more)' }),
);
