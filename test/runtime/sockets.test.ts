// Sockets handed to the program (`run --tcp-listen`): a C echo server in the runtime, real TCP clients on
// loopback, then a replay of the recorded run without any network.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { GUESTS } from '../helpers/guest';
import { tempDir } from '../helpers/tmp';
import { freePort, startCli } from '../helpers/net';

const ROOT = path.join(__dirname, '..', '..', '..');
const BIN = path.join(ROOT, 'out', 'src', 'cli', 'bin.js');
const ECHO = path.join(GUESTS, 'echo.wasm');

/** A server started by the test (stopped at the end even when a test fails midway). */
const server = (args: string[]): ChildProcessWithoutNullStreams => startCli(BIN, args);

/** What a server says on stderr, and its exit status once it ends. */
function watch(c: ChildProcessWithoutNullStreams): { err: () => string; exited: Promise<number> } {
  let err = '';
  c.stderr.on('data', (d) => (err += d));
  return { err: () => err, exited: new Promise<number>((r) => c.on('exit', (code) => r(code ?? -1))) };
}

/**
 * Connects (retrying while the server starts: a first run with a journal instruments the module for snapshots
 * before it listens, which takes a while on a busy machine), sends the text, closes its side, and returns the answer.
 */
async function talk(port: number, text: string): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await new Promise<string>((resolve, reject) => {
        const s = net.connect(port, '127.0.0.1', () => s.end(text));
        let got = '';
        s.on('data', (d) => (got += d.toString()));
        s.on('end', () => resolve(got));
        s.on('error', reject);
      });
    } catch (e) {
      if (attempt > 1200) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

test('a C echo server accepts, receives, sends and shuts down on real loopback sockets; replay needs no network', async () => {
  const port = await freePort();
  const journal = path.join(tempDir('wj-sock-'), 'echo.journal');
  const child = server(['run', ECHO, '--tcp-listen', `127.0.0.1:${port}`, '--journal-writable', journal, '--', '2']);
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise<number>((r) => child.on('exit', (code) => r(code ?? -1)));
  assert.equal(await talk(port, 'hello\nworld\n'), 'HELLO\nWORLD\n');
  // 100 KB in many lines: several receives, and sends while the peer has finished sending.
  const many = Array.from({ length: 2000 }, (_, i) => `line ${i} ${'x'.repeat(40)}\n`).join('');
  const answer = await talk(port, many);
  assert.equal(answer.length, many.length);
  assert.ok(answer === many.toUpperCase(), 'every line comes back uppercased, in order');
  assert.equal(await exited, 0, err);
  assert.equal(
    out,
    'sock_recv on the listener: 53\nsock_shutdown on stdout: 57\n' +
      'poll for a connection: 0, 1 event(s), userdata 7\nconnection 1 accepted\nconnection 1: 2 line(s) echoed, peer closed\n' +
      'poll for a connection: 0, 1 event(s), userdata 7\nconnection 2 accepted\nconnection 2: 2000 line(s) echoed, peer closed\n',
  );
  // The port is closed now; the replay answers every socket call from the journal.
  const r = spawnSync(process.execPath, [BIN, 'replay', journal, ECHO]);
  assert.equal(r.status, 0, r.stderr.toString());
  assert.equal(r.stdout.toString(), out);
  assert.match(r.stderr.toString(), /reproduced exactly/);
  const text = spawnSync(process.execPath, [BIN, 'inspect', journal]).stdout.toString();
  // fd 3 is the in-memory folder `/` (no --dir given), the listener comes after it.
  assert.match(text, /sock-accept \(listen-fd=4, fd=5, addr=127\.0\.0\.1:\d+, peer=127\.0\.0\.1:\d+\)/);
  assert.match(text, /sock-send \(fd=5, data\.len=6\)/);
  assert.match(text, /sock-shutdown \(fd=5, how=write\)/);
});

test('a port that is taken is a clear error', async () => {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  try {
    const r = await new Promise<{ code: number; err: string }>((resolve) => {
      const child = server(['run', ECHO, '--tcp-listen', `127.0.0.1:${port}`]);
      let err = '';
      child.stderr.on('data', (d) => (err += d));
      child.on('exit', (code) => resolve({ code: code ?? -1, err }));
    });
    assert.equal(r.code, 1);
    assert.match(r.err, new RegExp(`^wasm-journal run: cannot listen on 127\\.0\\.0\\.1:${port}: .*\\(ADDRINUSE\\)\\n$`));
  } finally {
    s.close();
  }
  const bad = spawnSync(process.execPath, [BIN, 'run', ECHO, '--tcp-listen', 'nowhere']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr.toString(), /--tcp-listen nowhere: expected HOST:PORT/);
});

test('the given socket survives a restore from the journal (a second run appended to it still serves)', async () => {
  const journal = path.join(tempDir('wj-sock-'), 'again.journal');
  for (const round of [1, 2]) {
    const port = await freePort();
    const child = server(['run', ECHO, '--tcp-listen', `127.0.0.1:${port}`, '--journal-writable', journal, '--skip-journal-stdio', '--', '1']);
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number>((r) => child.on('exit', (code) => r(code ?? -1)));
    assert.equal(await talk(port, `round ${round}\n`), `ROUND ${round}\n`);
    assert.equal(await exited, 0, err);
  }
});

/** True once something listens on the TCP port (the kernel's table: state 0A is LISTEN). */
function listening(port: number): boolean {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  return ['/proc/net/tcp', '/proc/net/tcp6'].some((f) => {
    try {
      return fs.readFileSync(f, 'utf8').split('\n').some((l) => {
        const cols = l.trim().split(/\s+/);
        return cols[1]?.endsWith(`:${hex}`) && cols[3] === '0A';
      });
    } catch {
      return false;
    }
  });
}

/** Waits until the server listens on the port; fails (with what it said) if it ends first or takes over a minute. */
async function untilListening(port: number, child: ChildProcessWithoutNullStreams, err: () => string): Promise<void> {
  const t0 = Date.now();
  while (!listening(port)) {
    if (child.exitCode !== null || child.signalCode !== null) assert.fail(`the server ended (${child.exitCode ?? child.signalCode}) before listening: ${err()}`);
    if (Date.now() - t0 > 60_000) assert.fail(`the server did not listen on ${port} within a minute: ${err()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('Ctrl+C while the server blocks in sock_accept or sock_recv: a snapshot at once, and a resumed server serves the next client', { timeout: 90_000 }, async () => {
  const journal = path.join(tempDir('wj-sock-'), 'sigint.journal');
  const port = await freePort();
  // "block": it waits in a blocking sock_accept (no poll first), which only a signal or a client ends.
  const child = server(['run', ECHO, '--tcp-listen', `127.0.0.1:${port}`, '--snapshot-on', 'sigint', '--journal-writable', journal, '--skip-journal-stdio', '--', '1', 'block']);
  const first = watch(child);
  await untilListening(port, child, first.err);
  await new Promise((r) => setTimeout(r, 1000)); // the program reaches its sock_accept
  child.kill('SIGINT');
  assert.equal(await first.exited, 130, first.err());
  assert.match(first.err(), /stopped after a snapshot \(sigint\)/);
  const listed = spawnSync(process.execPath, [BIN, 'snapshots', journal]).stdout.toString();
  assert.match(listed, /sigint/);
  // Resumed on another port: the accept is made again, and serves.
  const port2 = await freePort();
  const again = server(['run', ECHO, '--tcp-listen', `127.0.0.1:${port2}`, '--journal', journal, '--skip-journal-stdio', '--', '1', 'block']);
  const second = watch(again);
  let out2 = '';
  again.stdout.on('data', (d) => (out2 += d));
  assert.equal(await talk(port2, 'after the restore\n'), 'AFTER THE RESTORE\n');
  assert.equal(await second.exited, 0, second.err());
  assert.match(out2, /connection 1 accepted\nconnection 1: 1 line\(s\) echoed, peer closed\n$/);

  // In sock_recv: a client connected and sends nothing; Ctrl+C snapshots there too.
  const journal3 = path.join(tempDir('wj-sock-'), 'recv.journal');
  const port3 = await freePort();
  const third = server(['run', ECHO, '--tcp-listen', `127.0.0.1:${port3}`, '--snapshot-on', 'sigint', '--journal-writable', journal3, '--', '1', 'block']);
  const inRecv = watch(third);
  await untilListening(port3, third, inRecv.err);
  const quiet = net.connect(port3, '127.0.0.1');
  quiet.on('error', () => undefined);
  await new Promise((r) => setTimeout(r, 1000)); // accepted; the program waits in sock_recv
  third.kill('SIGINT');
  assert.equal(await inRecv.exited, 130, inRecv.err());
  quiet.destroy();
  const entries = spawnSync(process.execPath, [BIN, 'inspect', journal3]).stdout.toString();
  assert.match(entries, /sock-accept[\s\S]*snapshot.*sigint/, 'the connection was accepted before the snapshot');
});
