// Sockets handed to the program (`run --tcp-listen`): a C echo server in the runtime, real TCP clients on
// loopback, then a replay of the recorded run without any network.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';
import { GUESTS } from '../helpers/guest';
import { tempDir } from '../helpers/tmp';

const ROOT = path.join(__dirname, '..', '..', '..');
const BIN = path.join(ROOT, 'out', 'src', 'cli', 'bin.js');
const ECHO = path.join(GUESTS, 'echo.wasm');

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Servers started by the tests: stopped at the end even when a test fails midway. */
const servers: ChildProcessWithoutNullStreams[] = [];
after(() => {
  for (const c of servers) if (c.exitCode === null) c.kill('SIGKILL');
});
function server(args: string[]): ChildProcessWithoutNullStreams {
  const c = spawn(process.execPath, [BIN, ...args]);
  servers.push(c);
  return c;
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
