// Snapshots with thread stacks (asyncify): a run stopped at a snapshot and restored from the journal goes on
// exactly where it was, and its output and files are those of an uninterrupted run.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GUESTS, treeOf } from '../helpers/guest';
import { tempDir } from '../helpers/tmp';

const ROOT = path.join(__dirname, '..', '..', '..');
const BIN = path.join(ROOT, 'out', 'src', 'cli', 'bin.js');
const INPUT = fs.readFileSync(path.join(GUESTS, 'expected', 'stdin.input'));

function cli(args: string[], input: Buffer | string = ''): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { input, maxBuffer: 1 << 26 });
  return { code: r.status ?? -1, out: r.stdout.toString(), err: r.stderr.toString() };
}

test('first-stdin: stop at the first read from stdin, restore, feed the same input: the same output and files', () => {
  const stdin = path.join(GUESTS, 'stdin.wasm');
  const whole = tempDir('wj-snap-');
  const full = cli(['run', stdin, '--dir', `${whole}::/sandbox`], INPUT);
  assert.equal(full.code, 0, full.err);

  const dir = tempDir('wj-snap-');
  const j = path.join(tempDir('wj-snapj-'), 'stdin.journal');
  const first = cli(['run', stdin, '--dir', `${dir}::/sandbox`, '--snapshot-on', 'first-stdin', '--stop-after-snapshot', '--journal-writable', j]);
  assert.equal(first.code, 0, first.err);
  assert.match(first.err, /stopped after a snapshot \(first-stdin\); resume with: wasm-journal run .* --journal /);
  assert.match(cli(['snapshots', j]).out, /first-stdin/);
  // The stopped run replays up to where it stopped.
  assert.match(cli(['replay', j, stdin, '-q']).err, /reproduced exactly: \d+ entries checked, up to where the recorded run stopped/);
  const resumed = cli(['run', stdin, '--dir', `${dir}::/sandbox`, '--journal', j], INPUT);
  assert.equal(resumed.code, 0, resumed.err);
  assert.equal(resumed.out, full.out);
  assert.deepEqual(treeOf(dir), treeOf(whole));
});

test('non-deterministic-call: restoring from every snapshot of a run gives the output of the whole run', () => {
  const misc = path.join(GUESTS, 'misc.wasm');
  const full = cli(['run', misc]);
  assert.equal(full.code, 0, full.err);
  const j = path.join(tempDir('wj-snapj-'), 'misc.journal');
  const recorded = cli(['run', misc, '--snapshot-on', 'non-deterministic-call', '--journal-writable', j]);
  assert.equal(recorded.out, full.out, 'taking snapshots does not change what the program does');
  const count = cli(['snapshots', j]).out.trimEnd().split('\n').length - 1;
  assert.ok(count >= 4, `snapshots at the clock and random calls (${count})`);
  // The run ended, so a plain restore starts again; --at N resumes at each snapshot. Each prints the terminal text
  // journaled up to its snapshot, then goes on: together, the whole run's output.
  for (let k = 0; k < count; k++) {
    const r = cli(['run', misc, '--journal', j, '--at', String(k)]);
    assert.equal(r.code, 0, `snapshot ${k}: ${r.err}`);
    assert.equal(r.out, full.out, `resumed at snapshot ${k}`);
  }
  // A run's first snapshot holds all of memory: the journal alone gives the image, data segments included.
  const image = path.join(tempDir('wj-img-'), 'mem.bin');
  assert.equal(cli(['extract', j, 'memory', '--at', '0', image]).code, 0);
  assert.ok(fs.readFileSync(image).includes('sock_recv on the preopen directory'), 'the module\'s strings are in the image');
  // A replay of the recorded run passes over the snapshots.
  assert.match(cli(['replay', j, misc, '-q']).err, /reproduced exactly/);
  // A run that went on from snapshot 1 (appended to the journal) replays from the same snapshot.
  const resumed = cli(['run', misc, '--journal-writable', j, '--at', '1', '--skip-journal-stdio']);
  assert.equal(resumed.code, 0, resumed.err);
  assert.match(cli(['inspect', j]).out, /resumed-from \(snapshot=1\)/);
  const again = cli(['replay', j, misc]);
  assert.match(again.err, /run 2 of 2 reproduced exactly/, again.err);
  assert.equal(again.out, resumed.out);
});

test('deep recursion, a 64 MiB heap, a snapshot inside nested calls, memory grown after it: resumed runs match', () => {
  const deep = path.join(GUESTS, 'deep.wasm');
  const input = 'one\ntwo\nthree\n';
  const full = cli(['run', deep, '--', '2000', '64'], input);
  assert.equal(full.code, 0, full.err);
  assert.match(full.out, /^depth 2000, heap 64 MiB, 3 line\(s\) read\n/);
  // Stopped at the first read from stdin, 2000 frames deep: resumed with the same input.
  // Stopped at the explicit snapshot (after reading): resumed with no input at all.
  for (const [trigger, inputFirst, inputThen] of [['first-stdin', '', input], ['explicit', input, '']]) {
    const j = path.join(tempDir('wj-snapj-'), 'deep.journal');
    const stopped = cli(['run', deep, '--snapshot-on', trigger, '--stop-after-snapshot', '--journal-writable', j, '--', '2000', '64'], inputFirst);
    assert.equal(stopped.code, 0, stopped.err);
    assert.match(stopped.err, new RegExp(`stopped after a snapshot \\(${trigger}\\)`));
    const resumed = cli(['run', deep, '--journal', j, '--', '2000', '64'], inputThen);
    assert.equal(resumed.code, 0, resumed.err);
    assert.equal(resumed.out, full.out, trigger);
  }
});

test('snapshot options: a period turns on periodic-interval; signals and bad names are refused', () => {
  const misc = path.join(GUESTS, 'misc.wasm');
  const j = path.join(tempDir('wj-snapj-'), 'p.journal');
  // deep.wasm spends a while filling its heap between two calls, so a 1 ms period has passed by the second.
  const r = cli(['run', path.join(GUESTS, 'deep.wasm'), '--snapshot-period', '1', '--journal-writable', j, '--', '10', '16']);
  assert.equal(r.code, 0, r.err);
  assert.match(cli(['snapshots', j]).out, /periodic-interval/);
  assert.match(cli(['run', misc, '--snapshot-on', 'sometimes']).err, /--snapshot-on sometimes: not a trigger/);
  assert.match(cli(['run', misc, '--stop-after-snapshot']).err, /--stop-after-snapshot needs --snapshot-on/);
  assert.match(cli(['run', misc, '--snapshot-on', 'idle']).err, /snapshots need a journal to go to: add --journal-writable J/);
  assert.match(cli(['run', path.join(GUESTS, 'deep.wasm'), '--journal', j, '--at', '999']).err, /there is no snapshot 999/);
});

test('a written journal takes Wasmer\'s default snapshots unless told not to; a run stopped at one resumes', () => {
  const stdin = path.join(GUESTS, 'stdin.wasm');
  const whole = tempDir('wj-snap-');
  const full = cli(['run', stdin, '--dir', `${whole}::/sandbox`], INPUT);
  const dir = tempDir('wj-snap-');
  const j = path.join(tempDir('wj-snapj-'), 'default.journal');
  // No trigger named: first-stdin is among the defaults; stopping there and resuming gives the whole run.
  const first = cli(['run', stdin, '--dir', `${dir}::/sandbox`, '--journal-writable', j, '--stop-after-snapshot']);
  assert.equal(first.code, 0, first.err);
  assert.match(cli(['snapshots', j]).out, /first-stdin/);
  const resumed = cli(['run', stdin, '--dir', `${dir}::/sandbox`, '--journal', j], INPUT);
  assert.equal(resumed.out, full.out);
  assert.deepEqual(treeOf(dir), treeOf(whole));
  // --no-snapshots: the same run journals no snapshot (and needs no instrumentation).
  const plain = path.join(tempDir('wj-snapj-'), 'plain.journal');
  const r = cli(['run', stdin, '--dir', `${tempDir('wj-snap-')}::/sandbox`, '--journal-writable', plain, '--no-snapshots'], INPUT);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, full.out);
  assert.match(cli(['snapshots', plain]).err, /no snapshots in this journal/);
  const bad = cli(['run', stdin, '--journal-writable', plain, '--no-snapshots', '--snapshot-on', 'idle']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--no-snapshots and --snapshot-on \(or --snapshot-period\) contradict each other/);
});

/**
 * Starts `run` on the waiter with stdin a FIFO left open (as a shell pipe is), or the socket a Node parent gives for
 * a pipe; resolves once it says it is waiting. `feed` writes stdin and closes it.
 */
async function startWaiter(extra: string[], stdin: 'fifo' | 'socket' = 'fifo'): Promise<{
  child: import('node:child_process').ChildProcess; out: () => string; err: () => string; exit: Promise<number>; feed: (s: string) => void;
}> {
  const { spawn } = await import('node:child_process');
  let writer = -1;
  let reader: number | 'pipe' = 'pipe';
  if (stdin === 'fifo') {
    const fifo = path.join(tempDir('wj-fifo-'), 'in');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0, 'mkfifo');
    // Open both ends without blocking: O_RDWR on a FIFO never waits for the other side.
    writer = fs.openSync(fifo, fs.constants.O_RDWR);
    reader = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  }
  const child = spawn(process.execPath, [BIN, 'run', path.join(GUESTS, 'waiter.wasm'), ...extra], { stdio: [reader, 'pipe', 'pipe'] });
  if (typeof reader === 'number') fs.closeSync(reader);
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const exit = new Promise<number>((r) => child.on('exit', (code, sig) => r(code ?? (sig ? 128 : -1))));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('waiting\n')) resolve();
    });
    void exit.then((code) => reject(new Error(`the run ended (${code}) before waiting: ${err}`)));
  });
  let open = true;
  void exit.then(() => open && writer >= 0 && fs.closeSync(writer));
  const feed = (s: string): void => {
    if (writer >= 0) {
      fs.writeSync(writer, s);
      fs.closeSync(writer);
    } else child.stdin!.end(s);
    open = false;
  };
  return { child, out: () => out, err: () => err, exit, feed };
}

for (const stdin of ['fifo', 'socket'] as const) {
  test(`sigint: Ctrl+C while the program waits for input (stdin a ${stdin === 'fifo' ? 'shell pipe' : 'socket, as a Node parent gives'}) takes a snapshot and ends the run; resuming goes on from there`, async () => {
    const full = cli(['run', path.join(GUESTS, 'waiter.wasm')], 'a\nb\n');
    assert.equal(full.out, 'waiting\nA\nB\n2 line(s)\n');
    const j = path.join(tempDir('wj-snapj-'), 'w.journal');
    const w = await startWaiter(['--snapshot-on', 'sigint', '--journal-writable', j], stdin);
    w.child.kill('SIGINT');
    assert.equal(await w.exit, 130, w.err());
    assert.match(w.err(), /stopped after a snapshot \(sigint\)/);
    const resumed = cli(['run', path.join(GUESTS, 'waiter.wasm'), '--journal', j], 'a\nb\n');
    assert.equal(resumed.code, 0, resumed.err);
    assert.equal(resumed.out, full.out, 'the journaled "waiting", then the rest of the run');
  });
}

test('sigstop through the control channel: a snapshot, then the process stops; it goes on after SIGCONT', async () => {
  const j = path.join(tempDir('wj-snapj-'), 's.journal');
  const w = await startWaiter(['--snapshot-on', 'sigstop', '--journal-writable', j]);
  const sent = cli(['signal', String(w.child.pid), 'stop']);
  assert.equal(sent.code, 0, sent.err);
  // Wait until the kernel says the process is stopped (state T in /proc).
  for (;;) {
    const stat = fs.readFileSync(`/proc/${w.child.pid}/stat`, 'utf8');
    if (stat.split(') ')[1]?.startsWith('T')) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.match(cli(['snapshots', j]).out, /sigstop/);
  w.child.kill('SIGCONT');
  w.feed('x\n');
  assert.equal(await w.exit, 0, w.err());
  assert.equal(w.out(), 'waiting\nX\n1 line(s)\n');
  assert.match(cli(['signal', '999999', 'stop']).err, /no wasm-journal run with process id 999999/);
});

type Binaryen = typeof import('binaryen', { with: { 'resolution-mode': 'import' } }).default;

/**
 * A program that recurses `depth` calls deep with 100 i64 locals live across each call (about 800 bytes per frame
 * for an unwind to save), asks for an explicit snapshot at the bottom, and prints the sum in hex.
 */
async function deepFrames(depth: number, pages: number): Promise<string> {
  const binaryen: Binaryen = (await import('binaryen')).default;
  const L = 100;
  const locals = Array.from({ length: L }, (_, i) => `(local $l${i} i64)`).join(' ');
  const sets = Array.from({ length: L }, (_, i) => `(local.set $l${i} (i64.mul (i64.extend_i32_u (local.get $n)) (i64.const ${2 * i + 3})))`).join('\n');
  let sum = '(local.get $below)';
  for (let i = 0; i < L; i++) sum = `(i64.add ${sum} (local.get $l${i}))`;
  const text = `(module
    (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
    (import "wasix_32v1" "proc_snapshot" (func $snapshot (result i32)))
    (memory (export "memory") ${pages})
    (func $deep (param $n i32) (result i64) (local $below i64) ${locals}
      ${sets}
      (if (i32.eqz (local.get $n))
        (then (drop (call $snapshot)))
        (else (local.set $below (call $deep (i32.sub (local.get $n) (i32.const 1))))))
      ${sum})
    (func (export "_start") (local $v i64) (local $i i32) (local $d i32)
      (local.set $v (call $deep (i32.const ${depth})))
      ;; 16 hex digits and a newline at 16..32
      (loop $digits
        (local.set $d (i32.wrap_i64 (i64.and (i64.shr_u (local.get $v) (i64.extend_i32_u (i32.sub (i32.const 60) (i32.mul (local.get $i) (i32.const 4))))) (i64.const 15))))
        (i32.store8 (i32.add (i32.const 16) (local.get $i)) (i32.add (local.get $d) (select (i32.const 48) (i32.const 87) (i32.lt_u (local.get $d) (i32.const 10)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $digits (i32.lt_u (local.get $i) (i32.const 16))))
      (i32.store8 (i32.const 32) (i32.const 10))
      (i32.store (i32.const 0) (i32.const 16))
      (i32.store (i32.const 4) (i32.const 17))
      (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))`;
  const m = binaryen.parseText(text);
  m.setFeatures(binaryen.Features.MVP | binaryen.Features.MutableGlobals);
  const file = path.join(tempDir('wj-deepframes-'), `deep-${depth}-${pages}.wasm`);
  fs.writeFileSync(file, m.emitBinary());
  m.dispose();
  return file;
}

test('a call stack larger than 1 MiB is saved and resumed; one that cannot fit in memory is not snapshotted, and the program goes on', async () => {
  // 2,000 frames of about 800 bytes: some 1.6 MB to unwind, in 4 MiB of memory.
  const big = await deepFrames(2000, 64);
  const full = cli(['run', big]);
  assert.equal(full.code, 0, full.err);
  assert.match(full.out, /^[0-9a-f]{16}\n$/);
  const j = path.join(tempDir('wj-snapj-'), 'deep.journal');
  const first = cli(['run', big, '--snapshot-on', 'explicit', '--stop-after-snapshot', '--journal-writable', j]);
  assert.equal(first.code, 0, first.err);
  assert.match(first.err, /stopped after a snapshot \(explicit\)/);
  const thread = cli(['inspect', j]).out.split('\n').find((l) => l.includes('thread-update'));
  const saved = Number(/call-stack\.len=(\d+)/.exec(thread ?? '')?.[1]);
  assert.ok(saved > 1 << 20, `the saved call stack (${saved} bytes) is over 1 MiB`);
  const resumed = cli(['run', big, '--journal', j]);
  assert.equal(resumed.code, 0, resumed.err);
  assert.equal(resumed.out, full.out);
  // In 2 MiB of memory the frames may not fit in the half that can be borrowed: no snapshot, and the run goes on.
  const small = await deepFrames(2000, 32);
  const j2 = path.join(tempDir('wj-snapj-'), 'small.journal');
  const r = cli(['run', small, '--snapshot-on', 'explicit', '--stop-after-snapshot', '--journal-writable', j2]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /no explicit snapshot at proc_snapshot: its call stack \(2002 frames, up to \d+ bytes saved\) does not fit in half of the program's memory \(1048576 bytes\); the program goes on/);
  assert.equal(r.out, full.out);
  assert.doesNotMatch(cli(['snapshots', j2]).out + cli(['snapshots', j2]).err, /explicit/);
});
