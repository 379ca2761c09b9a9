// Instrumentation: the binary tools it stands on (exporting globals, renaming functions, the call graph and which
// functions can reach a snapshot import), both binaryens (npm and a native wasm-opt), instrumenting only for the
// imports the triggers use, and a snapshot's frames resumed only with the instrumented module they were saved from.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { callGraph, exportMutableGlobals, functionCount, functionNames, reachingFunctions, renameFunctions, WasmShapeError } from '../../src/runtime/snapshot/wasm-binary';
import { onlyList } from '../../src/runtime/snapshot/recipe';
import { cacheDir, nativeWasmOpt } from '../../src/runtime/snapshot/instrument';
import { snapshotImports } from '../../src/runtime/snapshot/triggers';
import { LogFileJournal, readEntries } from '../../src/journal';
import { GUESTS, treeOf } from '../helpers/guest';
import { tempDir } from '../helpers/tmp';

const ROOT = path.join(__dirname, '..', '..', '..');
const BIN = path.join(ROOT, 'out', 'src', 'cli', 'bin.js');
const INPUT = fs.readFileSync(path.join(GUESTS, 'expected', 'stdin.input'));
// A native wasm-opt (Debian's binaryen), not the npm package's script that `npm test` puts on PATH.
const NATIVE = nativeWasmOpt() !== undefined;

type Binaryen = typeof import('binaryen', { with: { 'resolution-mode': 'import' } }).default;
async function wat(text: string, features = 0): Promise<Uint8Array> {
  const binaryen: Binaryen = (await import('binaryen')).default;
  const m = binaryen.parseText(text);
  m.setFeatures(binaryen.Features.MVP | binaryen.Features.MutableGlobals | binaryen.Features.ReferenceTypes | binaryen.Features.BulkMemory | features);
  binaryen.setDebugInfo(true);
  const b = m.emitBinary();
  m.dispose();
  return b;
}

function cli(args: string[], input: Buffer | string = '', env: Record<string, string> = {}): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { input, maxBuffer: 1 << 26, env: { ...process.env, ...env } });
  return { code: r.status ?? -1, out: r.stdout.toString(), err: r.stderr.toString() };
}

const GRAPH = `(module
  (type $t1 (func (param i32) (result i32)))
  (type $t2 (func (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (memory 1)
  (global $sp (mut i32) (i32.const 1024))
  (global $k i32 (i32.const 7))
  (table 3 funcref)
  (elem (i32.const 0) $reader $pure1 $pure2)
  (func $reader (type $t1) (call $read (local.get 0) (i32.const 0) (i32.const 0) (i32.const 0)))
  (func $pure1 (type $t1) (local.get 0))
  (func $pure2 (type $t2) (i32.add (local.get 0) (local.get 1)))
  (func $calls_t1 (param i32) (result i32) (call_indirect (type $t1) (local.get 0) (local.get 0)))
  (func $calls_t2 (param i32) (result i32) (call_indirect (type $t2) (local.get 0) (local.get 0) (local.get 0)))
  (func $direct (export "direct") (param i32) (result i32) (call $calls_t1 (local.get 0)))
  (func $writer (type $t2) (call $write (local.get 0) (local.get 1) (i32.const 0) (i32.const 0)))
  (func $uses_writer (param i32) (result i32) (call $writer (local.get 0) (local.get 0)))
)`;

function reachNames(bytes: Uint8Array, imports: string[]): string[] {
  const names = functionNames(bytes);
  return [...reachingFunctions(callGraph(bytes), imports)].map((i) => names.get(i)!).sort();
}

test('which functions can reach a snapshot import: direct calls, and indirect calls of a matching type to table functions', async () => {
  const b = await wat(GRAPH);
  assert.deepEqual(reachNames(b, ['wasi_snapshot_preview1.fd_read']), ['calls_t1', 'direct', 'read', 'reader']);
  // fd_write is reached by $writer directly; $calls_t2 calls type t2 indirectly, but $writer is in no table.
  assert.deepEqual(reachNames(b, ['wasi_snapshot_preview1.*']), ['calls_t1', 'direct', 'read', 'reader', 'uses_writer', 'write', 'writer']);
  // Code that can put any function in a table (ref.func): every function of type t2 is a possible target.
  const dynamic = await wat(GRAPH.replace('(func $pure1 (type $t1) (local.get 0))', '(func $pure1 (type $t1) (drop (ref.func $writer)) (local.get 0))').replace('(elem (i32.const 0)', '(elem declare func $writer) (elem (i32.const 0)'));
  assert.ok(reachNames(dynamic, ['wasi_snapshot_preview1.fd_write']).includes('calls_t2'));
  const list = onlyList(b, ['wasi_snapshot_preview1.fd_read'])!;
  assert.deepEqual(list.names, ['calls_t1', 'direct', 'reader']);
});

test('code the reader does not decode means no analysis, never a wrong one', async () => {
  const binaryen: Binaryen = (await import('binaryen')).default;
  const b = await wat('(module (tag $e) (func $f (try (do (throw $e)) (catch_all))))', binaryen.Features.ExceptionHandling);
  assert.throws(() => callGraph(b), WasmShapeError);
  assert.equal(onlyList(b, ['wasi_snapshot_preview1.*']), undefined);
});

test('mutable globals are exported (an export section is made when there is none); renaming functions and back keeps every name', async () => {
  const b = await wat(GRAPH);
  const e = exportMutableGlobals(b, '__wj_global_');
  const exports = WebAssembly.Module.exports(new WebAssembly.Module(e));
  assert.deepEqual(exports.map((x) => x.name), ['direct', '__wj_global_0']);
  const none = await wat('(module (global $g (mut i64) (i64.const 1)) (global $h (mut i32) (i32.const 2)) (func $f))');
  assert.deepEqual(WebAssembly.Module.exports(new WebAssembly.Module(exportMutableGlobals(none, 'g'))).map((x) => `${x.name}:${x.kind}`), ['g0:global', 'g1:global']);
  const n = functionCount(e);
  const renamed = renameFunctions(e, n, (i) => `wj$${i}`);
  assert.equal(functionNames(renamed).get(3), 'wj$3');
  const back = renameFunctions(renamed, n, (i) => functionNames(e).get(i));
  assert.deepEqual([...functionNames(back)], [...functionNames(e)]);
  assert.ok(WebAssembly.validate(back));
  // Local names (another part of the name section) are kept.
  const withLocals = await wat('(module (func $f (param $count i32) (local $tmp i32)))');
  const r = renameFunctions(withLocals, 1, () => 'other');
  assert.ok(Buffer.from(r).includes('count') && Buffer.from(r).includes('tmp'));
});

test('the triggers decide which imports must unwind', () => {
  // A call may be imported from either module (WASIX provides preview1's calls too).
  assert.deepEqual(snapshotImports(['first-stdin']), ['wasi_snapshot_preview1.fd_read', 'wasix_32v1.fd_read', 'wasix_32v1.proc_snapshot']);
  const both = (calls: string[]): string[] => calls.flatMap((c) => [`wasi_snapshot_preview1.${c}`, `wasix_32v1.${c}`]);
  assert.deepEqual(snapshotImports(['idle', 'first-environ', 'first-listen', 'first-stdin', 'explicit']), [
    ...both(['environ_get', 'environ_sizes_get', 'fd_read', 'poll_oneoff', 'sock_accept', 'sock_accept_v2', 'sock_listen']),
    'wasix_32v1.proc_snapshot',
  ]);
  assert.deepEqual(snapshotImports(['first-stdin', 'sigint']), ['wasi_snapshot_preview1.*', 'wasix_32v1.*']);
  assert.deepEqual(snapshotImports(['periodic-interval']), ['wasi_snapshot_preview1.*', 'wasix_32v1.*']);
});

function storeOf(journal: string): { instrumented?: { hash: string; tool?: string; imports?: string[]; functions?: number[] } } {
  const j = LogFileJournal.openRead(journal);
  const t = [...readEntries(j)].find((e) => e.kind === 'SetThreadV1');
  j.close();
  assert.ok(t && t.kind === 'SetThreadV1');
  return JSON.parse(Buffer.from(t.store_data).toString('utf8'));
}

for (const tool of NATIVE ? ['npm', 'native'] : ['npm']) {
  test(`instrumented by ${tool === 'npm' ? 'npm binaryen' : 'a native wasm-opt'}: stopped at first-stdin, resumed, the same output and files`, () => {
    const stdin = path.join(GUESTS, 'stdin.wasm');
    const env = { WASM_JOURNAL_CACHE: tempDir('wj-cache-'), WASM_JOURNAL_WASM_OPT: tool === 'npm' ? 'npm' : '' };
    const whole = tempDir('wj-inst-');
    const full = cli(['run', stdin, '--dir', `${whole}::/sandbox`], INPUT, env);
    const dir = tempDir('wj-inst-');
    const j = path.join(tempDir('wj-instj-'), 'stdin.journal');
    const first = cli(['run', stdin, '--dir', `${dir}::/sandbox`, '--snapshot-on', 'first-stdin', '--stop-after-snapshot', '--journal-writable', j], '', env);
    assert.equal(first.code, 0, first.err);
    assert.match(first.err, tool === 'npm' ? /with binaryen [\d.]+ \(npm\)/ : /with wasm-opt \d+ \(native\)/);
    const store = storeOf(j);
    // Adaptively: the functions on the stack at the first read, able to unwind at any call (a snapshot that waited
    // for its module is taken at a later one).
    assert.deepEqual(store.instrumented?.imports, ['wasi_snapshot_preview1.*', 'wasix_32v1.*']);
    assert.ok(Array.isArray(store.instrumented?.functions) && store.instrumented.functions.length > 0);
    // The static recipe: only what first-stdin needs.
    const js = path.join(tempDir('wj-instj-'), 'static.journal');
    const st = cli(['run', stdin, '--dir', `${tempDir('wj-inst-')}::/sandbox`, '--snapshot-on', 'first-stdin', '--stop-after-snapshot', '--journal-writable', js], '', { ...env, WASM_JOURNAL_INSTRUMENT: 'static' });
    assert.equal(st.code, 0, st.err);
    assert.deepEqual(storeOf(js).instrumented?.imports, ['wasi_snapshot_preview1.fd_read', 'wasix_32v1.fd_read', 'wasix_32v1.proc_snapshot'], 'only what first-stdin needs');
    // Resumed: the snapshot's own instrumentation (from the cache) rewinds its frames.
    const resumed = cli(['run', stdin, '--dir', `${dir}::/sandbox`, '--journal', j], INPUT, env);
    assert.equal(resumed.code, 0, resumed.err);
    assert.equal(resumed.out, full.out);
    assert.deepEqual(treeOf(dir), treeOf(whole));
    const out = path.join(tempDir('wj-inst-'), 'out.wasm');
    const r = cli(['instrument', stdin, '-o', out, '--snapshot-on', 'first-stdin', '--no-cache'], '', env);
    assert.match(r.out, /instrumented in [\d.]+ s by .*, \d+ of \d+ functions\)/);
  });
}

for (const tool of NATIVE ? ['npm', 'native'] : ['npm']) {
  test(`a module built with bulk memory, SIMD, sign-ext, non-trapping float-to-int (features.c), instrumented by ${tool === 'npm' ? 'npm binaryen' : 'a native wasm-opt'}: snapshot at first-stdin and resumed with its stack`, () => {
    const features = path.join(GUESTS, 'features.wasm');
    // What the module holds (its instructions beyond the MVP), so the test keeps testing what it says.
    const text = spawnSync('wasm-dis', [features], { encoding: 'utf8' });
    if (text.status === 0) for (const op of ['memory.copy', 'memory.fill', 'v128.load', 'i32.trunc_sat_f64_s', 'i32.extend8_s']) assert.ok(text.stdout.includes(op), op);
    const env = { WASM_JOURNAL_CACHE: tempDir('wj-cache-'), WASM_JOURNAL_WASM_OPT: tool === 'npm' ? 'npm' : '' };
    const full = cli(['run', features], 'ada\n', env);
    assert.equal(full.code, 0, full.err);
    assert.match(full.out, /^round 1: .*\nround 2: .*\nread "ada"; acc=\d+\n$/);
    const j = path.join(tempDir('wj-instj-'), 'features.journal');
    const first = cli(['run', features, '--snapshot-on', 'first-stdin', '--stop-after-snapshot', '--journal-writable', j], '', env);
    assert.equal(first.code, 0, first.err);
    assert.doesNotMatch(first.err, /cannot instrument|Aborted|Assertion/);
    assert.ok(storeOf(j).instrumented, 'the snapshot holds the call stack');
    const resumed = cli(['run', features, '--journal', j], 'ada\n', env);
    assert.equal(resumed.code, 0, resumed.err);
    assert.equal(resumed.out, full.out);
    assert.doesNotMatch(resumed.err, /restarts main|Aborted/);
    // The instrument command too.
    const out = path.join(tempDir('wj-inst-'), 'out.wasm');
    const r = cli(['instrument', features, '-o', out, '--snapshot-on', 'first-stdin', '--no-cache'], '', env);
    assert.equal(r.code, 0, r.err);
    assert.ok(WebAssembly.validate(fs.readFileSync(out)));
  });
}

test('a snapshot is resumed only with the instrumented module it was saved from; another one is a clear error', { skip: !NATIVE && 'needs a native wasm-opt (Debian package binaryen; .ci/run installs it)' }, () => {
  const stdin = path.join(GUESTS, 'stdin.wasm');
  const cacheA = tempDir('wj-cache-');
  const j = path.join(tempDir('wj-instj-'), 'stdin.journal');
  const dir = tempDir('wj-inst-');
  const first = cli(['run', stdin, '--dir', `${dir}::/sandbox`, '--snapshot-on', 'first-stdin', '--stop-after-snapshot', '--journal-writable', j], '', { WASM_JOURNAL_CACHE: cacheA, WASM_JOURNAL_WASM_OPT: 'npm' });
  assert.equal(first.code, 0, first.err);
  const copy = `${j}.copy`;
  fs.copyFileSync(j, copy);
  // Where the npm instrumentation is cached, a machine that would use its native wasm-opt finds it by its hash.
  const again = cli(['run', stdin, '--dir', `${dir}::/sandbox`, '--journal', j], INPUT, { WASM_JOURNAL_CACHE: cacheA, WASM_JOURNAL_WASM_OPT: '' });
  assert.equal(again.code, 0, again.err);
  // Without it, instrumenting natively gives another module: refused, saying why and what to do.
  const other = cli(['run', stdin, '--dir', `${tempDir('wj-inst-')}::/sandbox`, '--journal', copy], INPUT, { WASM_JOURNAL_CACHE: tempDir('wj-cache-'), WASM_JOURNAL_WASM_OPT: '' });
  assert.equal(other.code, 1);
  assert.match(other.err, /the snapshot was taken with .*stdin\.wasm instrumented by binaryen [\d.]+ \(npm\).*WASM_JOURNAL_WASM_OPT=npm/);
});

/**
 * stdin.wasm with npm binaryen and a cache of its own: the output of a whole run, and a run in a fresh folder stopped
 * at its first-stdin snapshot (journal `j`).
 */
function stoppedAtFirstStdin(): { stdin: string; cache: string; env: Record<string, string>; j: string; dir: string; full: ReturnType<typeof cli>; first: ReturnType<typeof cli> } {
  const stdin = path.join(GUESTS, 'stdin.wasm');
  const cache = tempDir('wj-cache-');
  const env = { WASM_JOURNAL_CACHE: cache, WASM_JOURNAL_WASM_OPT: 'npm' };
  const j = path.join(tempDir('wj-instj-'), 'stdin.journal');
  const dir = tempDir('wj-inst-');
  const full = cli(['run', stdin, '--dir', `${tempDir('wj-inst-')}::/sandbox`], INPUT, env);
  const first = cli(['run', stdin, '--dir', `${dir}::/sandbox`, '--snapshot-on', 'first-stdin', '--stop-after-snapshot', '--journal-writable', j], '', env);
  return { stdin, cache, env, j, dir, full, first };
}

test('a snapshot taken with an earlier recipe\'s instrumentation finds it in that recipe\'s cache folder', () => {
  const { stdin, cache, env, j, dir, full, first } = stoppedAtFirstStdin();
  assert.equal(first.code, 0, first.err);
  assert.match(first.err, /instrumenting the module/);
  // The cache as the previous recipe left it: its folder holds the module, the current one is empty.
  fs.renameSync(path.join(cache, path.basename(cacheDir())), path.join(cache, 'asyncify-v4'));
  const resumed = cli(['run', stdin, '--dir', `${dir}::/sandbox`, '--journal', j], INPUT, env);
  assert.equal(resumed.code, 0, resumed.err);
  assert.doesNotMatch(resumed.err, /instrumenting the module/, 'found in the earlier folder, not instrumented again');
  assert.equal(resumed.out, full.out);
});

test('a snapshot from before snapshots named their instrumented module resumes only with that cached instrumentation', () => {
  const { stdin, cache, env, j, dir, full, first } = stoppedAtFirstStdin();
  assert.equal(first.code, 0, first.err);
  // The journal as an earlier version wrote it: the thread state without `instrumented`.
  const old = path.join(path.dirname(j), 'old.journal');
  const src = LogFileJournal.openRead(j);
  const dst = LogFileJournal.create(old);
  let moduleFile = '';
  for (const e of readEntries(src)) {
    if (e.kind === 'SetThreadV1') {
      const store = JSON.parse(Buffer.from(e.store_data).toString('utf8'));
      const hash = store.instrumented.hash as string;
      const recipeDir = path.join(cache, path.basename(cacheDir()));
      moduleFile = fs.readdirSync(recipeDir).map((n) => path.join(recipeDir, n)).find((f) => createHash('sha256').update(fs.readFileSync(f)).digest('hex') === hash)!;
      delete store.instrumented;
      dst.write({ ...e, store_data: Buffer.from(JSON.stringify(store)) });
    } else dst.write(e);
  }
  src.close();
  dst.close();
  const refused = cli(['run', stdin, '--dir', `${dir}::/sandbox`, '--journal', old], INPUT, env);
  assert.equal(refused.code, 1);
  assert.match(refused.err, /taken by an earlier wasm-journal, which did not record how it instrumented the module.*cannot be resumed safely/);
  // That version's cache entry (asyncify-v2/<module hash>.wasm) is what its snapshots were taken with.
  const moduleHash = path.basename(moduleFile).split('.')[0];
  fs.mkdirSync(path.join(cache, 'asyncify-v2'), { recursive: true });
  fs.copyFileSync(moduleFile, path.join(cache, 'asyncify-v2', `${moduleHash}.wasm`));
  const resumed = cli(['run', stdin, '--dir', `${dir}::/sandbox`, '--journal', old], INPUT, env);
  assert.equal(resumed.code, 0, resumed.err);
  assert.equal(resumed.out, full.out);
});

test('a module binaryen cannot instrument as a whole: adaptively its snapshot still holds the call stack; statically it journals snapshots without call stacks, and says why', async () => {
  // Tail calls: V8 runs them, our binaryen recipe does not take them.
  const binaryen: Binaryen = (await import('binaryen')).default;
  const m = binaryen.parseText(`(module
    (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "environ_sizes_get" (func $e (param i32 i32) (result i32)))
    (memory (export "memory") 1)
    (data (i32.const 16) "hi\\n")
    (func $countdown (param $n i32) (result i32)
      (if (result i32) (i32.eqz (local.get $n)) (then (i32.const 0)) (else (return_call $countdown (i32.sub (local.get $n) (i32.const 1))))))
    (func (export "_start")
      (drop (call $e (i32.const 100) (i32.const 104)))
      (drop (call $countdown (i32.const 1000)))
      (i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 3))
      (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))`);
  m.setFeatures(binaryen.Features.MVP | binaryen.Features.TailCall);
  binaryen.setDebugInfo(true);
  const file = path.join(tempDir('wj-tail-'), 'tail.wasm');
  fs.writeFileSync(file, m.emitBinary());
  m.dispose();
  for (const tool of NATIVE ? ['npm', 'native'] : ['npm']) {
    // Adaptively, only _start is on the stack at the first-environ snapshot, and the tail calls stay out of the pass.
    const adaptiveEnv = { WASM_JOURNAL_CACHE: tempDir('wj-cache-'), WASM_JOURNAL_WASM_OPT: tool === 'npm' ? 'npm' : '', WASM_JOURNAL_ADAPTIVE: 'wait' };
    const ja = path.join(tempDir('wj-instj-'), 'tail.journal');
    const a = cli(['run', file, '--journal-writable', ja], '', adaptiveEnv);
    assert.equal(a.code, 0, a.err);
    assert.equal(a.out, 'hi\n');
    assert.doesNotMatch(a.err, /cannot instrument/);
    assert.deepEqual(storeOf(ja).instrumented?.functions, [3], 'the snapshot holds its call stack: _start instrumented alone');
    // The static analysis instruments countdown too, which binaryen cannot.
    const env = { WASM_JOURNAL_CACHE: tempDir('wj-cache-'), WASM_JOURNAL_WASM_OPT: tool === 'npm' ? 'npm' : '', WASM_JOURNAL_INSTRUMENT: 'static' };
    const j = path.join(tempDir('wj-instj-'), 'tail.journal');
    const r = cli(['run', file, '--journal-writable', j], '', env);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'hi\n');
    assert.match(r.err, /cannot instrument .*tail\.wasm for snapshots with call stacks \(.+\); snapshots hold memory and files but no call stack, and a restore from them restarts main/);
    if (tool === 'native') assert.match(r.err, /return_call\* requires tail calls to be enabled/, 'wasm-opt says why');
    assert.doesNotMatch(r.err, /wj\$\d/, 'functions named as the module names them');
    assert.match(cli(['snapshots', j], '', env).out, /first-environ/);
    // Asked for directly, it is an error.
    const inst = cli(['instrument', file, '-o', path.join(tempDir('wj-inst-'), 'out.wasm')], '', env);
    assert.equal(inst.code, 1);
    assert.match(inst.err, /wasm-journal instrument: /);
  }
});

test('a native wasm-opt is asked its version once: the answer is kept in the cache and asked again when the program changes', () => {
  const dir = tempDir('wj-fakeopt-');
  const tool = path.join(dir, 'wasm-opt');
  const asked = path.join(dir, 'asked.txt');
  const script = (version: number): string => `#!/bin/sh\necho "$1" >> '${asked}'\necho "wasm-opt version ${version} (fake)"\n`;
  fs.writeFileSync(tool, script(108), { mode: 0o755 });
  const env = { ...process.env, WASM_JOURNAL_WASM_OPT: tool, WASM_JOURNAL_CACHE: tempDir('wj-cache-') };
  const label = (): string => {
    const r = spawnSync(process.execPath, ['-e', `console.log(require(${JSON.stringify(path.join(ROOT, 'out', 'src', 'runtime', 'snapshot', 'instrument.js'))}).toolLabel())`], { env, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim();
  };
  const times = (): number => (fs.existsSync(asked) ? fs.readFileSync(asked, 'utf8').trim().split('\n').length : 0);
  assert.equal(label(), 'wasm-opt 108 (native)');
  assert.equal(times(), 2, '--version and --help');
  assert.equal(label(), 'wasm-opt 108 (native)');
  assert.equal(times(), 2, 'the second process asks nothing');
  // Another wasm-opt at the same path (an upgrade): asked again.
  fs.writeFileSync(tool, script(117) + '# upgraded\n', { mode: 0o755 });
  assert.equal(label(), 'wasm-opt 117 (native)');
  assert.equal(times(), 4);
});
