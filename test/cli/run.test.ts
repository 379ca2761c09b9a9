// `wasm-journal run` and `wasm-journal replay` as a user runs them (a child process): real stdin, stdout, exit codes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from '../helpers/tmp';
import { GUESTS } from '../helpers/guest';
import { tinyModule } from '../helpers/wasm-bytes';

const ROOT = path.join(__dirname, '..', '..', '..');
const BIN = path.join(ROOT, 'out', 'src', 'cli', 'bin.js');
const HELLO = path.join(GUESTS, 'hello.wasm');

function cli(args: string[], input?: string): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { input: input === undefined ? '' : Buffer.from(input), maxBuffer: 1 << 26 });
  return { code: r.status ?? -1, out: r.stdout.toString(), err: r.stderr.toString() };
}

test('run: arguments (also after --), environment, and the exit code of the program', () => {
  const r = cli(['run', HELLO, '--env', 'WJ_A=1', '--env', 'OTHER=x', '--', '3', '-dash']);
  assert.equal(r.code, 3, r.err);
  assert.match(r.out, /^hello from wasm\nargc=3\nargv\[0\] basename=hello\.wasm\nargv\[1\]=3\nargv\[2\]=-dash\nWJ_ variables: 1\nenv WJ_A=1\nexit code 3\n$/);
  assert.equal(r.err, '');
});

test('run records a journal that replay re-executes exactly; restore prints the terminal text once', () => {
  const dir = tempDir('wj-run-');
  const j = path.join(dir, 'hello.journal');
  const first = cli(['run', HELLO, '--journal-writable', j, '--', '0', 'x']);
  assert.equal(first.code, 0, first.err);
  const replay = cli(['replay', j, HELLO]);
  assert.equal(replay.code, 0, replay.err);
  assert.equal(replay.out, first.out);
  assert.match(replay.err, /^replay: run 1 of 1 reproduced exactly: \d+ entries checked, exit code 0, final memory sha256 [0-9a-f]{16}\.\.\.\n$/);
  // Restore (read-only journal): the recorded terminal text, then the new run's own output.
  const restored = cli(['run', HELLO, '--journal', j, '--', '0', 'y']);
  assert.equal(restored.out, first.out + first.out.replace('argv[2]=x', 'argv[2]=y'));
  const skipped = cli(['run', HELLO, '--journal', j, '--skip-journal-stdio', '--', '0', 'y']);
  assert.equal(skipped.out, first.out.replace('argv[2]=x', 'argv[2]=y'));
  // A second run appended to the same journal: replay takes the last run by default, --run 1 the first.
  cli(['run', HELLO, '--journal-writable', j, '--skip-journal-stdio', '--', '0', 'z']);
  const last = cli(['replay', j, HELLO, '-q']);
  assert.match(last.err, /run 2 of 2 reproduced exactly/);
  assert.equal(last.out, '');
  assert.match(cli(['replay', j, HELLO, '--run', '1']).err, /run 1 of 2 reproduced exactly/);
  assert.match(cli(['replay', j, HELLO, '--run', '3']).err, /the journal holds 2 run\(s\); there is no run 3/);
});

test('run: bad input gives one clear line and exit status 1 or 2', () => {
  const dir = tempDir('wj-run-');
  const notWasm = path.join(dir, 'prog.wasm');
  fs.writeFileSync(notWasm, '#!/bin/sh\necho hi\n');
  let r = cli(['run', notWasm]);
  assert.equal(r.code, 1);
  assert.equal(r.err, `wasm-journal run: ${notWasm}: not a WebAssembly module: it is a script\n`);
  r = cli(['run', path.join(dir, 'missing.wasm')]);
  assert.equal(r.code, 1);
  assert.match(r.err, /missing\.wasm: cannot read the module: no such file\n$/);
  r = cli(['run', HELLO, '--dir', path.join(dir, 'nope')]);
  assert.equal(r.code, 2);
  assert.match(r.err, /--dir .*nope: .*nope does not exist/);
  r = cli(['run', HELLO, '--fs', 'tmpfs']);
  assert.equal(r.code, 2);
  assert.match(r.err, /--fs must be one of host, overlay, memory/);
  const unknown = path.join(dir, 'unknown.wasm');
  fs.writeFileSync(unknown, tinyModule({ imports: [{ module: 'env', name: 'frob' }], start: 'call-import' }));
  r = cli(['run', unknown]);
  assert.equal(r.code, 1);
  assert.match(r.err, /imports what wasm-journal does not provide: env\.frob \(function\)/);
  r = cli(['run', unknown, '--allow-unknown-imports']);
  assert.equal(r.code, 134);
  assert.match(r.err, /trapped: the program called env\.frob, an import wasm-journal does not provide/);
  // A journal from another module
  const j = path.join(dir, 'h.journal');
  cli(['run', HELLO, '--journal-writable', j]);
  r = cli(['run', unknown, '--journal', j, '--allow-unknown-imports']);
  assert.equal(r.code, 1);
  assert.match(r.err, /the journal was recorded from another module .*--force/);
  // A damaged journal
  const bad = path.join(dir, 'bad.journal');
  fs.writeFileSync(bad, 'garbage');
  r = cli(['run', HELLO, '--journal', bad]);
  assert.equal(r.code, 1);
  assert.equal(r.err.split('\n').length, 2, r.err);
});

test('run --dir: host mode changes the folder; overlay and memory leave it alone', () => {
  for (const mode of ['host', 'overlay', 'memory']) {
    const dir = tempDir('wj-run-dir-');
    const r = cli(['run', path.join(GUESTS, 'files.wasm'), '--dir', `${dir}::/sandbox`, '--fs', mode]);
    assert.equal(r.code, 0, r.err);
    const left = fs.readdirSync(dir);
    if (mode === 'host') assert.ok(left.length > 0);
    else assert.deepEqual(left, []);
  }
});

test('instrument: asyncify exports and the stack pointer; an instrumented module runs and is recognised', async () => {
  const dir = tempDir('wj-inst-');
  const out = path.join(dir, 'hello.inst.wasm');
  const r = cli(['instrument', HELLO, '-o', out]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /hello\.inst\.wasm: 0\.03 MB -> 0\.0\d MB \((instrumented in [\d.]+ s by .+, \d+ of \d+ functions|from the cache)\)\n$/);
  const mod = await WebAssembly.compile(fs.readFileSync(out));
  const names = WebAssembly.Module.exports(mod).map((e) => e.name);
  for (const n of ['asyncify_start_unwind', 'asyncify_stop_unwind', 'asyncify_start_rewind', 'asyncify_stop_rewind', 'asyncify_get_state', '__stack_pointer']) {
    assert.ok(names.includes(n), n);
  }
  const again = cli(['instrument', out, '-o', path.join(dir, 'again.wasm')]);
  assert.match(again.out, /already instrumented; copied/);
  const run = cli(['run', out, '--', '2']);
  assert.equal(run.code, 2);
  assert.match(run.out, /^hello from wasm\n/);
  assert.match(cli(['instrument', HELLO]).err, /missing --output FILE/);
  assert.match(cli(['instrument', HELLO, '-o', HELLO]).err, /the output is the input/);
});

test('a program whose stdout closes gets EPIPE; the journal records it, so the replay fails the same write', () => {
  const dir = tempDir('wj-pipe-');
  const j = path.join(dir, 'p.journal');
  // The reader (true) is gone before the runtime has even started.
  const r = spawnSync('bash', ['-c', `node "${BIN}" run "${path.join(GUESTS, 'files.wasm')}" --dir "${dir}::/sandbox" --journal-writable "${j}" | true`]);
  assert.equal(r.status, 0, r.stderr.toString());
  assert.match(cli(['inspect', j]).out, /terminal-write-failed \(fd=1\)/);
  const replay = cli(['replay', j, path.join(GUESTS, 'files.wasm'), '-q']);
  assert.equal(replay.code, 0, replay.err);
  assert.match(replay.err, /reproduced exactly/);
});

test('a journal cut short by a crash: restore says so and goes on; replay says where the recording ends', () => {
  const dir = tempDir('wj-torn-');
  const j = path.join(dir, 'h.journal');
  cli(['run', HELLO, '--journal-writable', j]);
  const bytes = fs.readFileSync(j);
  fs.writeFileSync(j, bytes.subarray(0, bytes.length - 7));
  const r = cli(['run', HELLO, '--journal', j, '--skip-journal-stdio']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /note: .*h\.journal: the last \d+ bytes are not a complete record/);
  const replay = cli(['replay', j, HELLO, '-q']);
  // Diverged: its own status (65), not the program's, nor a plain failure's.
  assert.equal(replay.code, 65);
  assert.match(replay.err, /the last \d+ bytes are not a complete record[\s\S]*replay diverged at the end of the recording/);
});

test('replay exits as the program did when it reproduces the run (its exit code, 134 for a trap), 65 when it diverges', () => {
  const dir = tempDir('wj-replay-status-');
  const j = path.join(dir, 'h.journal');
  assert.equal(cli(['run', HELLO, '--journal-writable', j, '--', '33']).code, 33);
  const replay = cli(['replay', j, HELLO, '-q']);
  assert.equal(replay.code, 33, replay.err);
  assert.match(replay.err, /reproduced exactly: \d+ entries checked, exit code 33,/);
  const tj = path.join(dir, 't.journal');
  const trap = path.join(GUESTS, 'trap.wasm');
  assert.equal(cli(['run', trap, '--journal-writable', tj, '--', 'unreachable']).code, 134);
  const t = cli(['replay', tj, trap, '-q']);
  assert.equal(t.code, 134, t.err);
  assert.match(t.err, /trapped as recorded/);
  // A recording edited (through its JSON form) to hold other output than the program writes: it diverges there.
  const json = cli(['export', j]).out;
  const was = Buffer.from('hello from wasm\n').toString('base64');
  assert.ok(json.includes(was));
  const edited = path.join(dir, 'edited.journal');
  assert.equal(cli(['import', edited], json.replace(was, Buffer.from('HELLO from wasm\n').toString('base64'))).code, 0);
  const d = cli(['replay', edited, HELLO, '-q']);
  assert.equal(d.code, 65, d.err);
  assert.match(d.err, /^wasm-journal replay: replay diverged at entry \d+ \(byte \d+\): the recording holds fd-write .*the program did fd-write .*\(same call, different data\)\n$/);
});
