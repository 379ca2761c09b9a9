// WASIX sockets (the program opens, binds, listens, accepts, connects, sends datagrams): C guests on real loopback
// sockets; the network policy (--net); a server snapshotted at its first listen and restored (bound again to the
// same port, 1,000 requests answered as a cold-started server answers them); a connection open at a snapshot
// comes back reset; replays need no network.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { GUESTS } from '../helpers/guest';
import { tempDir } from '../helpers/tmp';
import { freePort, startCli } from '../helpers/net';

const ROOT = path.join(__dirname, '..', '..', '..');
const BIN = path.join(ROOT, 'out', 'src', 'cli', 'bin.js');
const NETCHECK = path.join(GUESTS, 'netcheck.wasm');
const HTTPD = path.join(GUESTS, 'httpd.wasm');

function cli(args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

/** The same command, run while this process serves its sockets (spawnSync would block them). */
function cliAsync(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const c = startCli(BIN, args);
  let out = '';
  let err = '';
  c.stdout.on('data', (d) => (out += d));
  c.stderr.on('data', (d) => (err += d));
  return new Promise((resolve) => c.on('exit', (code) => resolve({ code: code ?? -1, out, err })));
}

const ERRORS = `open unix: EAFNOSUPPORT
open raw: ENOTSUP
open udp stream: ENOTSUP
bind fd 99: EBADF
bind stdout: ENOTSOCK
open: OK
bind outside --net: EACCES
bind bad pointer: MEMVIOLATION
bind bad family: EINVAL
recv unconnected: ENOTCONN
addr_peer unconnected: ENOTCONN
accept not listening: EINVAL
bind any: OK
bound to loopback: yes
bind again: EINVAL
listen: OK
listening is 1
bad option: EINVAL
bad flag: EINVAL
set size: OK
get size: OK
size is 65536
open udp: OK
listen udp: ENOTSUP
open client: OK
connect refused: ECONNREFUSED
connect outside --net: EACCES
close: OK
`;

test('WASIX sockets: errors as Wasmer gives them; loopback only unless --net says more; the run replays without the network', async () => {
  const closed = await freePort();
  const j = path.join(tempDir('wj-wasix-'), 'errors.journal');
  const r = cli(['run', NETCHECK, '--journal-writable', j, '--', 'errors', String(closed)]);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, ERRORS);
  assert.match(r.err, /the program binds 0\.0\.0\.0:0: bound to 127\.0\.0\.1:0 instead \(--net any lets it listen on every interface\)/);
  const replay = cli(['replay', j, NETCHECK]);
  assert.equal(replay.code, 0, replay.err);
  assert.equal(replay.out, ERRORS);
  assert.match(replay.err, /reproduced exactly/);
  // --net any: every interface, and any address passes the policy (the host refuses an address it does not have).
  const any = cli(['run', NETCHECK, '--net', 'any', '--', 'errors', String(closed)]);
  assert.equal(any.code, 0, any.err);
  assert.match(any.out, /^bound to loopback: no$/m);
  assert.match(any.out, /^bind outside --net: EADDRNOTAVAIL$/m);
  assert.doesNotMatch(any.err, /instead/);
  // A subnet: what it holds passes the policy, the rest does not.
  const subnet = cli(['run', NETCHECK, '--net', '10.0.0.0/8', '--', 'errors', String(closed)]);
  assert.match(subnet.out, /^bind outside --net: EADDRNOTAVAIL$/m);
  assert.match(subnet.out, /^connect outside --net: EACCES$/m);
  for (const bad of ['nowhere', '10.0.0.0/40', '1.2.3']) {
    const u = cli(['run', NETCHECK, '--net', bad]);
    assert.equal(u.code, 2, `--net ${bad}`);
    assert.match(u.err, new RegExp(`--net ${bad.replace(/\./g, '\\.')}: `));
  }
});

test('WASIX sockets: a TCP client and a UDP exchange with real peers; a connection open at a snapshot is reset in the restored run', async () => {
  // A line server: each line back uppercased.
  const lines = net.createServer((s) => {
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString();
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        s.write(buf.slice(0, i).toUpperCase() + '\n');
        buf = buf.slice(i + 1);
      }
    });
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => lines.listen(0, '127.0.0.1', () => r()));
  const echo = dgram.createSocket('udp4');
  echo.on('message', (m, from) => echo.send(m.toString().toUpperCase(), from.port, from.address));
  await new Promise<void>((r) => echo.bind(0, '127.0.0.1', () => r()));
  try {
    const tcpPort = (lines.address() as net.AddressInfo).port;
    const j = path.join(tempDir('wj-wasix-'), 'client.journal');
    const live = await cliAsync(['run', NETCHECK, '--journal-writable', j, '--', 'client', String(tcpPort)]);
    const before = 'open: OK\nconnect: OK\naddr_peer: OK\npeer port is the server\'s: yes\naddr_local: OK\nlocal address is loopback: yes\n' +
      'no_delay: OK\nget no_delay: OK\nno_delay is 1\nstatus: OK\nstatus is 1\nsend: OK\nanswer: PING\n';
    assert.equal(live.code, 0, live.err);
    assert.equal(live.out, before + 'send after: OK\nanswer after: AGAIN\nclose: OK\n');
    // From the explicit snapshot (the connection open), in a new process: the connection is gone.
    const resumed = await cliAsync(['run', NETCHECK, '--journal', j, '--at', '0']);
    assert.equal(resumed.code, 0, resumed.err);
    assert.equal(resumed.out, before + 'send after: ECONNRESET\nanswer after: ECONNRESET\nclose: OK\n');
    // The live run replays without the line server.
    const replay = cli(['replay', j, NETCHECK, '--run', '1', '-q']);
    assert.equal(replay.code, 0, replay.err);

    const udpPort = echo.address().port;
    const u = path.join(tempDir('wj-wasix-'), 'udp.journal');
    const udp = await cliAsync(['run', NETCHECK, '--journal-writable', u, '--', 'udp', String(udpPort)]);
    assert.equal(udp.code, 0, udp.err);
    assert.equal(udp.out, 'open: OK\ntype is 2\nsend_to: OK\nsent 14\nbound by the send: yes\nrecv_from: OK\ngot "HELLO DATAGRAM" from the server: yes\nclose: OK\n');
    const ureplay = cli(['replay', u, NETCHECK]);
    assert.equal(ureplay.code, 0, ureplay.err);
    assert.equal(ureplay.out, udp.out);
  } finally {
    lines.close();
    echo.close();
  }
});

test('WASIX sockets over IPv6: a socket bound to every interface (::) goes to ::1, and connected to a peer it hears it', async (t) => {
  const echo = dgram.createSocket('udp6');
  echo.on('message', (m, from) => echo.send(m.toString().toUpperCase(), from.port, from.address));
  const bound = await new Promise<boolean>((resolve) => {
    echo.once('error', () => resolve(false));
    echo.bind(0, '::1', () => resolve(true));
  });
  if (!bound) {
    t.skip('no IPv6 loopback on this machine');
    return;
  }
  try {
    const r = await cliAsync(['run', NETCHECK, '--', 'udp6', String(echo.address().port)]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'open: OK\nbind ::: OK\nbound to ::1: yes\nconnect: OK\nsend: OK\nanswer: SIX\nclose: OK\n');
    assert.match(r.err, /the program binds \[::\]:0: bound to \[::1\]:0 instead/);
  } finally {
    echo.close();
  }
});

/** GET path from 127.0.0.1:port, one connection per request: status and body. */
function get(port: number, p: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: p, agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(`${res.statusCode} ${body}`));
    });
    req.on('error', reject);
  });
}

/** The port a server prints once it listens. */
function listening(c: ChildProcessWithoutNullStreams): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = '';
    c.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    let err = '';
    c.stderr.on('data', (d) => (err += d));
    c.on('exit', (code) => reject(new Error(`the server ended (${code}) before it listened: ${out}${err}`)));
  });
}

/** 1,000 requests (primes, a miss, the stats), then /quit. */
async function serve(port: number): Promise<string[]> {
  const answers: string[] = [];
  for (let k = 1; k <= 998; k++) answers.push(await get(port, `/prime/${k * 97}`));
  answers.push(await get(port, '/nothing'));
  answers.push(await get(port, '/stats'));
  answers.push(await get(port, '/quit'));
  return answers;
}

test('WASIX sockets: a server snapshotted at its first listen and restored binds the same port again and answers 1,000 requests as a cold-started one does; a taken port is a clear error', async () => {
  const cold = startCli(BIN, ['run', HTTPD, '--', '0', '2']);
  const coldAnswers = await serve(await listening(cold));
  assert.equal(coldAnswers.length, 1001);
  assert.equal(coldAnswers[0], '200 509\n', 'the 97th prime');
  assert.match(coldAnswers[999], /^200 served 1000, primes 148933, checksum [0-9a-f]{16}\n$/);

  const dir = tempDir('wj-wasix-');
  const j = path.join(dir, 'httpd.journal');
  const stopped = cli(['run', HTTPD, '--snapshot-on', 'first-listen', '--stop-after-snapshot', '--journal-writable', j, '--', '0', '2']);
  assert.equal(stopped.code, 0, stopped.err);
  assert.match(stopped.err, /stopped after a snapshot \(first-listen\)/);
  assert.equal(stopped.out, '', 'stopped before it listened');
  const bound = Number(/sock-bind \(fd=\d+, addr=127\.0\.0\.1:(\d+)\)/.exec(cli(['inspect', j]).out)![1]);

  // The port taken meanwhile: the restore says so, and nothing runs.
  const squatter = net.createServer();
  await new Promise<void>((r) => squatter.listen(bound, '127.0.0.1', () => r()));
  const refused = await cliAsync(['run', HTTPD, '--journal', j]);
  await new Promise<void>((r) => squatter.close(() => r()));
  assert.equal(refused.code, 1);
  assert.match(refused.err, new RegExp(`cannot bind the socket of descriptor \\d+ to 127\\.0\\.0\\.1:${bound} again, as the journal holds it: .*address is in use`));

  // Restored (recorded as a second run of the journal): the same port, the same answers.
  const restored = startCli(BIN, ['run', HTTPD, '--journal-writable', j]);
  const port = await listening(restored);
  assert.equal(port, bound);
  const answers = await serve(port);
  assert.deepEqual(answers, coldAnswers);
  await new Promise<void>((r) => (restored.exitCode !== null ? r() : restored.on('exit', () => r())));
  assert.equal(restored.exitCode, 0);
  // Both runs replay without the network (the second restores the first's socket from the recording).
  const replay = cli(['replay', j, HTTPD, '-q']);
  assert.equal(replay.code, 0, replay.err);
  assert.match(replay.err, /run 2 of 2 reproduced exactly/);
});
