// npm binaryen shares a large module among threads, each instrumenting part of the functions, and the parts are
// joined (src/runtime/snapshot/wasm-join.ts): the result must be the module one thread makes, byte for byte.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { instrument } from '../../src/runtime/snapshot/instrument';
import { ALL_SNAPSHOT_IMPORTS } from '../../src/runtime/snapshot/triggers';
import { functionNames, WasmShapeError } from '../../src/runtime/snapshot/wasm-binary';
import { joinInstrumented } from '../../src/runtime/snapshot/wasm-join';
import { GUESTS } from '../helpers/guest';

type Binaryen = typeof import('binaryen', { with: { 'resolution-mode': 'import' } }).default;
async function wat(text: string): Promise<Uint8Array> {
  const binaryen: Binaryen = (await import('binaryen')).default;
  const m = binaryen.parseText(text);
  m.setFeatures(binaryen.Features.MVP | binaryen.Features.MutableGlobals | binaryen.Features.Multivalue | binaryen.Features.BulkMemory);
  binaryen.setDebugInfo(true);
  const b = m.emitBinary();
  m.dispose();
  return b;
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

async function instrumented(bytes: Uint8Array, threads: number): Promise<Uint8Array> {
  const r = await instrument(bytes, sha(bytes), { noCache: true, tool: 'npm', imports: [...ALL_SNAPSHOT_IMPORTS], threads });
  assert.equal(r.source, 'instrumented');
  return r.bytes;
}

// Listed functions with multi-value blocks (types only the code names) and indirect calls; one that is not listed,
// with local names.
const SHARED = `(module
  (type $t1 (func (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $sp (mut i32) (i32.const 1024))
  (table 2 funcref)
  (elem (i32.const 0) $a $b)
  (func $a (type $t1) (param $count i32) (result i32) (local $pair_first i32)
    (block $out (result i32 i32)
      (call $read (local.get $count) (i32.const 0) (i32.const 0) (i32.const 0))
      (i32.const 5))
    (i32.add))
  (func $b (type $t1) (param $other i32) (result i32)
    (call_indirect (type $t1) (local.get $other) (i32.and (local.get $other) (i32.const 1))))
  (func $c (param $x i32) (param $y i32) (result i32)
    (block (result i32 i32) (call $a (local.get $x)) (call $b (local.get $y))) (i32.mul))
  (func $pure (param $seed i32) (result i32) (local $square i32) (local.set $square (i32.mul (local.get $seed) (local.get $seed))) (local.get $square))
  (func (export "_start") (drop (call $c (i32.const 1) (i32.const 2))) (drop (call $pure (i32.const 3))))
)`;

test('instrumented on several threads and joined: the same module as one thread makes, names and all', async () => {
  const bytes = await wat(SHARED);
  const one = await instrumented(bytes, 1);
  for (const threads of [2, 3]) assert.equal(sha(await instrumented(bytes, threads)), sha(one), `${threads} threads`);
  assert.ok(WebAssembly.validate(one));
  const names = [...functionNames(one).values()];
  for (const n of ['a', 'b', 'c', 'pure']) assert.ok(names.includes(n), `function name ${n} kept`);
  // Local names of the functions not instrumented are kept (binaryen renames the locals of those it rewrites).
  for (const local of ['seed', 'square']) assert.ok(Buffer.from(one).includes(Buffer.from(local)), `local name ${local} kept`);
});

test('C programs instrumented on three threads are the modules one thread makes', async () => {
  for (const name of ['deep.wasm', 'files.wasm']) {
    const bytes = fs.readFileSync(path.join(GUESTS, name));
    assert.equal(sha(await instrumented(bytes, 3)), sha(await instrumented(bytes, 1)), name);
  }
});

test('the join puts types in one canonical order, and changes nothing else', async () => {
  const bytes = await wat(SHARED);
  const joined = joinInstrumented([bytes], () => 0);
  assert.ok(WebAssembly.validate(joined));
  assert.deepEqual(joinInstrumented([joined], () => 0), joined, 'joining again changes nothing');
  assert.deepEqual([...functionNames(joined)], [...functionNames(bytes)]);
  // The same behaviour: _start runs (its fd_read gets a stub that reports 0 bytes).
  for (const b of [bytes, joined]) {
    const inst = new WebAssembly.Instance(new WebAssembly.Module(b), { wasi_snapshot_preview1: { fd_read: () => 0 } });
    (inst.exports._start as () => void)();
  }
});

test('parts of different modules are not joined', async () => {
  const a = await wat(SHARED);
  const b = await wat(SHARED.replace('(i32.const 5)', '(i32.const 6)').replace('(memory (export "memory") 1)', '(memory (export "memory") 2)'));
  assert.throws(() => joinInstrumented([a, b], () => 1), WasmShapeError);
  assert.throws(() => joinInstrumented([a], () => 4), /part 4, which does not exist/);
});
