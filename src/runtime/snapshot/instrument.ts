// Asyncify instrumentation: what lets a snapshot capture the call stack (unwind into a buffer) and a restore put it
// back (rewind). The recipe (recipe.ts, docs/snapshots.md): asyncify only the functions that can reach a snapshot
// import (our own call-graph analysis, sharper than asyncify's about indirect calls), cleaned up by the pass itself.
// Before that, every mutable global the module defines is exported (the stack pointer among them) so a snapshot can
// save it, and the functions are given plain names for the passes (their real names are put back after), so names
// of any shape can be listed; the name section is kept (trap messages and the debugger use it).
//
// The passes run in a native `wasm-opt` when one is installed (much faster on large modules), else in npm binaryen
// on a worker thread; either way the caller's thread stays free to report progress. Results are cached by module
// hash and recipe, so the second run of a module pays nothing; a snapshot names the instrumented module it was taken
// with, and a restore finds that one again (instrumentedFor).

import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { threadId, Worker } from 'node:worker_threads';
import { RuntimeError } from '../errors';
import { ASYNCIFY_OPTIMIZE_LEVEL, onlyList, type RecipeInput, type RecipeOutput } from './recipe';
import { ALL_SNAPSHOT_IMPORTS } from './triggers';
import { exportMutableGlobals, exportNames, functionCount, functionNames, readShape, renameFunctions, WasmShapeError } from './wasm-binary';
import { bodySizes, joinInstrumented, joinOriginal, stubBodies } from './wasm-join';

/** Names our instrumentation gives the mutable globals it exports. */
export const GLOBAL_EXPORT_PREFIX = '__wj_global_';
/** Bump when the recipe changes, so cached modules are rebuilt. */
const RECIPE = 'asyncify-v5';
/** Earlier recipes' cache folders, where snapshots taken with their instrumented modules find them (findCached). */
const EARLIER_RECIPES = ['asyncify-v4'];

const ASYNCIFY_EXPORTS = ['asyncify_start_unwind', 'asyncify_stop_unwind', 'asyncify_start_rewind', 'asyncify_stop_rewind', 'asyncify_get_state'];

/** True when the module was instrumented with asyncify already (by us, or by `wasm-opt --asyncify`). */
/** Whether the module (its bytes, read without compiling it) exports asyncify's functions. */
export function isInstrumented(bytes: Uint8Array): boolean {
  let names: Set<string>;
  try {
    names = new Set(exportNames(bytes));
  } catch (e) {
    // Not a module these readers can read: not one of ours (compiling it says what is wrong).
    if (e instanceof WasmShapeError) return false;
    throw e;
  }
  return ASYNCIFY_EXPORTS.every((n) => names.has(n));
}

export function cacheDir(recipe = RECIPE): string {
  const base = process.env.WASM_JOURNAL_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'wasm-journal');
  return path.join(base, recipe);
}

/**
 * The module as wasm-journal 0.1's first recipe instrumented it (`asyncify-v2`, cached by module hash), for
 * snapshots taken before they named their instrumented module; undefined when that cache entry is gone.
 */
export function legacyInstrumented(hash: string): Uint8Array | undefined {
  try {
    return fs.readFileSync(path.join(cacheDir('asyncify-v2'), `${hash}.wasm`));
  } catch {
    return undefined;
  }
}

export interface InstrumentResult {
  bytes: Uint8Array;
  /** Where it came from: the cache, a fresh instrumentation, or the module itself (already instrumented). */
  source: 'cache' | 'instrumented' | 'already';
  ms: number;
  /** SHA-256 (hex) of the instrumented module: snapshots record it, restores look for it. */
  hash: string;
  /** What instrumented it: "wasm-opt 108 (native)" or "binaryen 132 (npm)". */
  tool?: string;
  /** Functions instrumented (only those that can reach a snapshot import), when the analysis was made. */
  instrumented?: { only: number; functions: number };
  /** Milliseconds of each phase: the call-graph analysis, the asyncify pass (with its clean-up), its output. */
  phases?: RecipeOutput['phases'] & { analyse: number };
  /** Threads npm binaryen shared the module among (more than one). */
  threads?: number;
}

export interface InstrumentOptions {
  /** Called with a line of progress for long runs. */
  progress?: (message: string) => void;
  /** Skip the cache (read and write). */
  noCache?: boolean;
  /** binaryen optimize level of asyncify's own clean-up of the functions it instruments (default 1; 0: none). */
  optimizeLevel?: number;
  /** Which binaryen: a native wasm-opt when installed (`auto`, the default), or always the npm package. */
  tool?: 'auto' | 'npm' | 'native';
  /** Instrument only the functions that can reach a snapshot import (default true). */
  selective?: boolean;
  /** The instrumented module a snapshot was taken with (its hash): found in the cache when it is there. */
  want?: string;
  /** The imports snapshots are taken at, which must be able to unwind (default: all of them; snapshotImports). */
  imports?: readonly string[];
  /**
   * Instrument exactly these functions (indices among all the module's functions, imports first): those seen on
   * call stacks at snapshot points (adaptive.ts), instead of all that can reach a snapshot import.
   */
  functions?: readonly number[];
  /**
   * Threads npm binaryen may share a large module among (default: the machine's cores, up to 8, as memory allows;
   * modules under 256 KiB use one). The result is the same for any number.
   */
  threads?: number;
}

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

interface Tool {
  native?: string;
  id: string;
  label: string;
}

let nativeFound: { path: string; version: string; features: string[] } | null | undefined;
/** A native wasm-opt: WASM_JOURNAL_WASM_OPT names one, or the first on PATH. */
function findNative(): { path: string; version: string; features: string[] } | undefined {
  if (nativeFound !== undefined) return nativeFound ?? undefined;
  const named = process.env.WASM_JOURNAL_WASM_OPT;
  const candidates = named && named !== 'npm' ? [named] : (process.env.PATH ?? '').split(':').filter(Boolean).map((d) => path.join(d, 'wasm-opt'));
  nativeFound = null;
  for (const c of candidates) {
    if (!fs.existsSync(c)) continue;
    // On PATH, a script is the npm package's wasm-opt (node_modules/.bin, which `npm run` and `npx` put first):
    // binaryen compiled to WebAssembly, on one thread, so the npm path (on every core) is the faster of the two.
    if (c !== named && isScript(c)) continue;
    const probed = probeNative(c);
    if (probed) {
      nativeFound = { path: c, ...probed };
      break;
    }
  }
  return nativeFound ?? undefined;
}

/** What probing a wasm-opt found, by its path; `stamp` says which file it was (size, mtime, inode). */
type Probes = Record<string, { stamp: string; version: string; features: string[] } | undefined>;

/**
 * The version and features of the native wasm-opt `c`, or undefined when it is not one. Asking it takes two
 * processes (about 15 ms), which a run whose instrumented module is cached would pay for nothing but the cache's
 * key: the answer is kept in the cache folder, by the program's path, and asked again when the file changes.
 */
function probeNative(c: string): { version: string; features: string[] } | undefined {
  let stamp: string;
  try {
    const st = fs.statSync(c);
    stamp = `${st.size}:${st.mtimeMs}:${st.ino}`;
  } catch {
    return undefined;
  }
  const file = path.join(cacheDir(), 'wasm-opt-probes.json');
  let probes: Probes = {};
  try {
    probes = JSON.parse(fs.readFileSync(file, 'utf8')) as Probes;
  } catch {
    // none kept yet, or unreadable: probe
  }
  const kept = probes[c];
  if (kept && kept.stamp === stamp && typeof kept.version === 'string' && Array.isArray(kept.features)) return { version: kept.version, features: kept.features };
  const r = spawnSync(c, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  const m = /version\s+(\d+)/.exec(r.stdout ?? '');
  if (r.status !== 0 || !m) return undefined;
  // Newer wasm-opts split memory.copy and memory.fill off bulk memory (bulk-memory-opt): enabled where known.
  const help = spawnSync(c, ['--help'], { encoding: 'utf8', timeout: 10_000 }).stdout ?? '';
  const found = { version: m[1], features: [...FEATURES, ...(help.includes('--enable-bulk-memory-opt') ? ['--enable-bulk-memory-opt'] : [])] };
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.${threadId}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify({ ...probes, [c]: { stamp, ...found } }));
    fs.renameSync(tmp, file);
  } catch {
    // a cache that cannot be written: probed again next time
  }
  return found;
}

/** The native wasm-opt `auto` would use (its path), if any. */
export function nativeWasmOpt(): string | undefined {
  return findNative()?.path;
}

/** True when the file is a script (`#!`), not a program. */
function isScript(file: string): boolean {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const head = Buffer.alloc(2);
    return fs.readSync(fd, head, 0, 2, 0) === 2 && head.toString('latin1') === '#!';
  } catch {
    return false;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

function chooseTool(want: InstrumentOptions['tool']): Tool {
  const choice = want ?? (process.env.WASM_JOURNAL_WASM_OPT === 'npm' ? 'npm' : 'auto');
  if (choice !== 'npm') {
    const n = findNative();
    if (n) return { native: n.path, id: `native${n.version}`, label: `wasm-opt ${n.version} (native)` };
    if (choice === 'native') throw new RuntimeError('bad-option', 'no native wasm-opt found (install Debian\'s binaryen package, or set WASM_JOURNAL_WASM_OPT to its path)');
  }
  // The version keys the cache (webpack inlines the JSON; binaryen itself is loaded only by the worker).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const version = (require('binaryen/package.json') as { version: string }).version;
  return { id: `npm${version}`, label: `binaryen ${version} (npm)` };
}

/** What instrument() would instrument with (InstrumentOptions.tool `auto`): "wasm-opt 108 (native)", say. */
export function toolLabel(): string {
  return chooseTool(undefined).label;
}

/** Plain names for the passes: `wj$<index>`, mapped back to the real ones afterwards. */
const PASS_NAME = /^wj\$(\d+)$/;

/** Instruments module bytes (hash: their SHA-256, hex) or takes them from the cache. */
export async function instrument(bytes: Uint8Array, hash: string, opts: InstrumentOptions = {}): Promise<InstrumentResult> {
  const t0 = Date.now();
  // Instrumented already (by us, or by `wasm-opt --asyncify`): ours export every mutable global; others get only
  // that step, since without their globals (the stack pointer) a resumed program would corrupt its memory.
  const already = isInstrumented(bytes);
  if (already && exportNames(bytes).some((n) => n.startsWith(GLOBAL_EXPORT_PREFIX))) {
    return { bytes, source: 'already', ms: 0, hash: sha256(bytes) };
  }
  if (opts.want && !opts.noCache) {
    const found = findCached(hash, opts.want);
    if (found) return { bytes: found, source: 'cache', ms: Date.now() - t0, hash: opts.want };
  }
  const tool = chooseTool(opts.tool);
  const level = opts.optimizeLevel ?? ASYNCIFY_OPTIMIZE_LEVEL;
  const selective = opts.selective ?? true;
  const imports = [...(opts.imports ?? ALL_SNAPSHOT_IMPORTS)];
  const chosen = opts.functions ? [...new Set(opts.functions)].sort((a, b) => a - b) : undefined;
  const which = chosen ? `functions ${chosen.join(',')}` : selective ? 'selective' : 'all';
  const variant = sha256(Buffer.from(`${tool.id} O${level} ${which} ${imports.join(',')}`)).slice(0, 12);
  const cached = path.join(cacheDir(), `${hash}.${variant}.wasm`);
  if (!opts.noCache) {
    try {
      const b = fs.readFileSync(cached);
      return { bytes: b, source: 'cache', ms: Date.now() - t0, hash: cachedHash(cached, b), tool: tool.label };
    } catch {
      // not cached yet
    }
  }
  let prepared = exportMutableGlobals(bytes, GLOBAL_EXPORT_PREFIX);
  if (already) {
    return finish(prepared, { source: 'already', t0, cached, opts, tool });
  }
  const count = functionCount(prepared);
  const realNames = functionNames(prepared);
  prepared = renameFunctions(prepared, count, (i) => `wj$${i}`);
  // Which functions can reach a snapshot import; undefined: the module cannot be analysed, asyncify chooses.
  const tAnalyse = Date.now();
  const sel = chosen ? chosenList(chosen, count, readShape(prepared).importedFuncs.length) : selective ? onlyList(prepared, imports) : undefined;
  const analyse = Date.now() - tAnalyse;
  // Chosen functions: the others' bodies are left out of the pass (stubBodies) and put back after it (joinOriginal),
  // so a few functions of a large module cost seconds, not minutes, and every other function stays as built.
  const keep = chosen ? new Set(chosen) : undefined;
  const passInput = keep ? stubBodies(prepared, (f) => keep.has(f)) : prepared;
  const threads = tool.native ? 1 : npmThreads(passInput, sel?.names, opts.threads);
  const on = threads > 1 ? ` on ${threads} threads` : '';
  opts.progress?.(`instrumenting the module for snapshots (${(bytes.length / 1e6).toFixed(1)} MB, with ${tool.label}${on}; cached afterwards)...`);
  const ticker = setInterval(() => opts.progress?.(`still instrumenting (${Math.round((Date.now() - t0) / 1000)} s)...`), 15_000);
  let out: RecipeOutput;
  try {
    const input: RecipeInput = { bytes: passInput, optimizeLevel: level, imports, only: sel?.names };
    out = tool.native ? await runNative(tool.native, input) : await runNpm(input, threads);
    if (keep) {
      const t = Date.now();
      try {
        out = { ...out, bytes: joinOriginal(out.bytes, prepared, (f) => keep.has(f)) };
      } catch (e) {
        if (e instanceof WasmShapeError) throw new RuntimeError('cannot-instrument', `the instrumented functions cannot be joined with the module: ${e.message}`);
        throw e;
      }
      out.phases.emit += Date.now() - t;
    }
  } catch (e) {
    // binaryen's messages name the functions as the passes saw them (wj$N): the real names back.
    if (e instanceof RuntimeError) throw new RuntimeError(e.code, e.message.replace(/wj\$(\d+)/g, (m, i: string) => realNames.get(Number(i)) ?? m));
    throw e;
  } finally {
    clearInterval(ticker);
  }
  // The real names back (functions the passes made keep theirs).
  const outCount = functionCount(out.bytes);
  const named = renameFunctions(out.bytes, outCount, (_i, name) => {
    const m = name === undefined ? null : PASS_NAME.exec(name);
    return m ? realNames.get(Number(m[1])) : name;
  });
  const r = finish(named, { source: 'instrumented', t0, cached, opts, tool });
  r.phases = { analyse, ...out.phases };
  if ((out.threads ?? 1) > 1) r.threads = out.threads;
  if (sel) r.instrumented = { only: sel.names.length, functions: count };
  return r;
}

function finish(
  bytes: Uint8Array,
  ctx: { source: InstrumentResult['source']; t0: number; cached: string; opts: InstrumentOptions; tool: Tool },
): InstrumentResult {
  if (!WebAssembly.validate(bytes)) throw new RuntimeError('cannot-instrument', `the module instrumented by ${ctx.tool.label} does not validate`);
  if (!ctx.opts.noCache) {
    try {
      fs.mkdirSync(path.dirname(ctx.cached), { recursive: true });
      const tmp = `${ctx.cached}.${process.pid}.${threadId}.tmp`;
      fs.writeFileSync(tmp, bytes);
      fs.renameSync(tmp, ctx.cached);
    } catch {
      // a read-only cache: instrument again next time
    }
  }
  const hash = sha256(bytes);
  if (!ctx.opts.noCache) keepHash(ctx.cached, bytes.length, hash);
  return { bytes, source: ctx.source, ms: Date.now() - ctx.t0, hash, tool: ctx.tool.label };
}

/**
 * The SHA-256 (hex) of the cached module `file` whose bytes are `b`: kept beside it (FILE.sha256: its size and
 * hash) when it was written, so a run that finds its module cached does not hash 30 MB again (about 30 ms); made
 * and kept when missing, or when it does not describe these bytes.
 */
function cachedHash(file: string, b: Uint8Array): string {
  try {
    const [size, hex] = fs.readFileSync(`${file}.sha256`, 'utf8').trim().split(' ');
    if (Number(size) === b.length && /^[0-9a-f]{64}$/.test(hex ?? '')) return hex;
  } catch {
    // not kept (an older cache): hashed below
  }
  const hash = sha256(b);
  keepHash(file, b.length, hash);
  return hash;
}

function keepHash(file: string, size: number, hash: string): void {
  try {
    const tmp = `${file}.sha256.${process.pid}.${threadId}.tmp`;
    fs.writeFileSync(tmp, `${size} ${hash}\n`);
    fs.renameSync(tmp, `${file}.sha256`);
  } catch {
    // a read-only cache: hashed again next time
  }
}

/** A cached instrumentation of the module `hash` whose own hash is `want` (from any tool or recipe variant). */
function findCached(hash: string, want: string): Uint8Array | undefined {
  const legacy = legacyInstrumented(hash);
  if (legacy && sha256(legacy) === want) return legacy;
  for (const dir of [RECIPE, ...EARLIER_RECIPES].map((r) => cacheDir(r))) {
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch {
      continue;
    }
    for (const n of names) {
      if (!n.startsWith(`${hash}.`) || !n.endsWith('.wasm')) continue;
      try {
        const file = path.join(dir, n);
        const b = fs.readFileSync(file);
        if (cachedHash(file, b) === want) return b;
      } catch {
        // removed meanwhile
      }
    }
  }
  return undefined;
}

/** The only-list of the chosen functions (their pass names), leaving out imports and indices the module lacks. */
function chosenList(chosen: readonly number[], count: number, imported: number): { names: string[] } {
  const names = chosen.filter((f) => Number.isInteger(f) && f >= imported && f < count).map((f) => `wj$${f}`);
  // An empty list would mean "no list" to asyncify (every function instrumented).
  if (names.length === 0) throw new RuntimeError('cannot-instrument', 'none of the functions chosen for instrumentation is defined in the module');
  return { names };
}

/** Modules smaller than this are instrumented on one thread (starting more costs more than it saves). */
const SHARE_FROM_BYTES = 256 * 1024;
/** Memory a thread of npm binaryen takes, per byte of module (about 50 measured on the 20 MB C++ module). */
const MEMORY_PER_BYTE = 64;

/** How many threads npm binaryen shares a module among (InstrumentOptions.threads). */
function npmThreads(bytes: Uint8Array, only: string[] | undefined, threads?: number): number {
  if (!only || only.length < 2) return 1;
  if (threads !== undefined) return Math.max(1, Math.min(threads, only.length));
  if (bytes.length < SHARE_FROM_BYTES) return 1;
  return Math.max(1, Math.min(8, os.availableParallelism(), Math.floor(os.freemem() / (bytes.length * MEMORY_PER_BYTE))));
}

/**
 * npm binaryen runs on one thread; a large module is shared among several (worker threads), each instrumenting its
 * share of the listed functions, and joined (wasm-join.ts). The join also puts the types in a canonical order, so
 * the result does not depend on the number of threads. Parts that cannot be joined: one thread does it all.
 */
async function runNpm(input: RecipeInput, n: number): Promise<RecipeOutput> {
  const only = input.only;
  const canonical = (out: RecipeOutput): RecipeOutput => {
    try {
      return { ...out, bytes: joinInstrumented([out.bytes], () => 0) };
    } catch (e) {
      if (e instanceof WasmShapeError) return out; // code the join does not decode: as binaryen wrote it
      throw e;
    }
  };
  if (!only || n <= 1) return canonical(await runWorker(input));
  // Shares of about equal code size: the largest functions first, each to the least loaded thread.
  const sizes = bodySizes(input.bytes);
  const imported = functionCount(input.bytes) - sizes.length;
  const indexOf = (name: string): number => Number(PASS_NAME.exec(name)![1]);
  const shares = Array.from({ length: n }, () => ({ load: 0, names: [] as string[] }));
  const owner = new Map<number, number>();
  for (const name of [...only].sort((a, b) => sizes[indexOf(b) - imported] - sizes[indexOf(a) - imported] || indexOf(a) - indexOf(b))) {
    let k = 0;
    for (let i = 1; i < shares.length; i++) if (shares[i].load < shares[k].load) k = i;
    shares[k].load += sizes[indexOf(name) - imported] + 16;
    shares[k].names.push(name);
    owner.set(indexOf(name), k);
  }
  const t0 = Date.now();
  const outs = await Promise.all(shares.map((_, k) => runWorker({ ...input, stubs: only.filter((name) => owner.get(indexOf(name)) !== k) })));
  const tAsy = Date.now();
  try {
    const bytes = joinInstrumented(outs.map((o) => o.bytes), (f) => owner.get(f) ?? 0);
    return { bytes, phases: { asyncify: tAsy - t0, emit: Date.now() - tAsy }, threads: shares.length };
  } catch (e) {
    if (!(e instanceof WasmShapeError)) throw e;
    return canonical(await runWorker(input));
  }
}

function runWorker(input: RecipeInput): Promise<RecipeOutput> {
  return new Promise((resolve, reject) => {
    // instrument-worker.js sits next to this file (out/src/runtime/snapshot) or next to the bundle (dist/).
    // binaryen (compiled by emscripten) prints what made it abort on the thread's stderr: kept for the error
    // message, not shown to the user a second time.
    const w = new Worker(path.join(__dirname, 'instrument-worker.js'), { workerData: input, stdout: true, stderr: true });
    let said = '';
    const keep = (d: Buffer): void => {
      if (said.length < 4000) said += d.toString();
    };
    w.stdout.on('data', keep);
    w.stderr.on('data', keep);
    w.once('message', (m: RecipeOutput | { error: string }) => {
      void w.terminate();
      if (!('error' in m)) return resolve(m);
      const abort = /Aborted\((.*?)\)(?:\. Build with|$)/m.exec(said)?.[1];
      reject(new RuntimeError('cannot-instrument', `binaryen ${m.error}${abort && !m.error.includes(abort) ? ` (${abort})` : ''}`));
    });
    w.once('error', (e) => reject(new RuntimeError('cannot-instrument', `the instrumentation worker failed: ${e.message}`)));
    w.once('exit', (code) => {
      if (code !== 0) reject(new RuntimeError('cannot-instrument', `the instrumentation worker stopped (exit ${code})`));
    });
  });
}

const FEATURES = ['--enable-mutable-globals', '--enable-sign-ext', '--enable-bulk-memory', '--enable-nontrapping-float-to-int', '--enable-simd', '--enable-multivalue', '--enable-reference-types'];

/** What wasm-opt said went wrong: its error lines (a validator's first complaint, the fatal line), else its last lines. */
function wasmOptReason(stderr: string): string {
  const lines = stderr.trim().split('\n');
  const errors = lines.filter((l) => /^\[wasm-validator error|^Fatal:|error/i.test(l)).slice(0, 2);
  return (errors.length > 0 ? errors : lines.slice(-3)).map((l) => l.trim()).join(' / ');
}

function wasmOpt(bin: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => {
      if (err.length < 4000) err += d.toString();
    });
    p.once('error', (e) => reject(new RuntimeError('cannot-instrument', `cannot run ${bin}: ${e.message}`)));
    p.once('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new RuntimeError('cannot-instrument', `${bin} failed (${signal ?? `exit ${code}`}): ${wasmOptReason(err)}`));
    });
  });
}

async function runNative(bin: string, input: RecipeInput): Promise<RecipeOutput> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wj-instrument-'));
  try {
    const src = path.join(dir, 'in.wasm');
    const out = path.join(dir, 'out.wasm');
    fs.writeFileSync(src, input.bytes);
    const args = [src, '-g', ...(findNative()?.features ?? FEATURES), '-ol', String(input.optimizeLevel), '--asyncify', `--pass-arg=asyncify-imports@${input.imports.join(',')}`];
    if (input.only) {
      const list = path.join(dir, 'only.txt');
      fs.writeFileSync(list, input.only.join(','));
      args.push(`--pass-arg=asyncify-onlylist@@${list}`);
    }
    const t0 = Date.now();
    await wasmOpt(bin, [...args, '-o', out]);
    const tAsy = Date.now();
    const bytes = fs.readFileSync(out);
    return { bytes, phases: { asyncify: tAsy - t0, emit: Date.now() - tAsy } };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
