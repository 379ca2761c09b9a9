// Bad modules and failing programs: a clear error that says what is wrong, never a crash.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadModule } from '../../src/runtime/module';
import { RuntimeError } from '../../src/runtime/errors';
import { CapturedTerminal, runProgram } from '../../src/runtime/runtime';
import { LiveWorld } from '../../src/runtime/world';
import { GUESTS } from '../helpers/guest';
import { tinyModule } from '../helpers/wasm-bytes';
import { tempDir } from '../helpers/tmp';
import { sections } from '../../src/runtime/snapshot/wasm-binary';

const BIN = path.join(__dirname, '..', '..', '..', 'out', 'src', 'cli', 'bin.js');

async function rejects(p: Promise<unknown>, code: string, re: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof RuntimeError, String(e));
    assert.equal(e.code, code);
    assert.match(e.message, re);
    return true;
  });
}

test('files that are not WebAssembly are named for what they are', async () => {
  await rejects(loadModule(new Uint8Array(0), 'empty.wasm'), 'not-wasm', /^empty\.wasm: not a WebAssembly module: the file is empty/);
  await rejects(loadModule(Buffer.from('\x7fELF\x02\x01\x01\x00rest'), 'a.out'), 'not-wasm', /ELF executable/);
  await rejects(loadModule(Buffer.from('(module (func))'), 'x.wasm'), 'not-wasm', /WebAssembly text/);
  await rejects(loadModule(Buffer.from('\x00asm\x0d\x00\x01\x00'), 'c.wasm'), 'not-wasm', /version 65549 is not supported \(only version 1; components/);
});

test('a truncated module is invalid WebAssembly, with the position V8 found the problem at', async () => {
  const bytes = fs.readFileSync(path.join(GUESTS, 'hello.wasm'));
  await rejects(loadModule(bytes.subarray(0, bytes.length >> 1), 'cut.wasm'), 'not-wasm', /^cut\.wasm: invalid WebAssembly: .*@\+\d+/);
});

test('run --journal-writable on a cut module or one with a broken function: V8\'s words, exit 1, and no journal left behind (the module as built is compiled only when it runs)', () => {
  const bytes = fs.readFileSync(path.join(GUESTS, 'misc.wasm'));
  const dir = tempDir('wj-badmod-');
  const cut = path.join(dir, 'cut.wasm');
  fs.writeFileSync(cut, bytes.subarray(0, 3000));
  // A valid frame of sections around a function body that does not decode.
  const code = sections(bytes).find((s) => s.id === 10)!;
  const broken = Buffer.from(bytes);
  broken.fill(0xff, code.start + ((code.end - code.start) >> 1), code.start + ((code.end - code.start) >> 1) + 4);
  const bad = path.join(dir, 'bad.wasm');
  fs.writeFileSync(bad, broken);
  for (const [file, why] of [[cut, /extends past end of the module/], [bad, /Compiling function #\d+.* failed/]] as const) {
    const j = path.join(dir, `${path.basename(file)}.journal`);
    const r = spawnSync(process.execPath, [BIN, 'run', file, '--journal-writable', j], { encoding: 'utf8', env: { ...process.env, WASM_JOURNAL_CACHE: tempDir('wj-cache-') } });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`^wasm-journal run: ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: invalid WebAssembly: `));
    assert.match(r.stderr, why);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.ok(!fs.existsSync(j), 'no journal is left for a module that never ran');
  }
});

async function runTiny(bytes: Uint8Array, allowUnknownImports = false) {
  const module = await loadModule(bytes, 'tiny.wasm');
  return runProgram({ module, world: new LiveWorld(['tiny.wasm'], [], 'memory', []), terminal: new CapturedTerminal(), allowUnknownImports });
}

test('a module importing functions we do not provide is refused, listing all of them', async () => {
  const bytes = tinyModule({ imports: [{ module: 'env', name: 'not_provided' }, { module: 'wasi_snapshot_preview1', name: 'fd_frobnicate' }], start: 'call-import' });
  await rejects(runTiny(bytes), 'unknown-imports', /tiny\.wasm: imports what wasm-journal does not provide: env\.not_provided \(function\), wasi_snapshot_preview1\.fd_frobnicate \(function\); --allow-unknown-imports/);
});

test('--allow-unknown-imports runs it, and calling one traps with a message naming it', async () => {
  const bytes = tinyModule({ imports: [{ module: 'env', name: 'not_provided' }], start: 'call-import' });
  const r = await runTiny(bytes, true);
  assert.equal(r.exitCode, 134);
  assert.match(r.trap ?? '', /the program called env\.not_provided, an import wasm-journal does not provide/);
  const quiet = await runTiny(tinyModule({ imports: [{ module: 'env', name: 'not_provided' }], start: 'nothing' }), true);
  assert.equal(quiet.exitCode, 0, 'an unknown import that is never called does no harm');
});

test('a module without _start, or without memory, is refused with the reason', async () => {
  await rejects(runTiny(tinyModule({ exportStart: false })), 'no-entry', /has no _start function/);
  await rejects(runTiny(tinyModule({ memory: false })), 'no-entry', /exports no memory/);
});

test('a trap ends the run with exit code 134 and the message', async () => {
  const r = await runTiny(tinyModule({ start: 'unreachable' }));
  assert.equal(r.exitCode, 134);
  assert.match(r.trap ?? '', /^unreachable[\s\S]*at .*wasm function 0, offset 0x/);
});
