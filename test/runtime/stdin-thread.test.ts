// stdin as a socket (and a pipe, where there is no /proc) is read by a thread of its own (src/runtime/stdin-thread.ts):
// chunks in order, the end, and a failure of that thread reported to the program's thread, which never waits forever.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { StdinThread } from '../../src/runtime/stdin-thread';
import { FsError } from '../../src/runtime/vfs/types';
import { tempDir } from '../helpers/tmp';
import { GUESTS } from '../helpers/guest';

/** Everything the thread reads is `expected`, then the end (no failure). */
function allOf(t: StdinThread, expected: string): void {
  const { text, error } = drain(t);
  assert.equal(error, undefined);
  assert.equal(text, expected);
}

/** A named pipe `name` in `dir`. */
function makeFifo(dir: string, name: string): string {
  const fifo = path.join(dir, name);
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  return fifo;
}

/** Closes `fd` unless the thread's stream closed it at the end of input already. */
function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    // closed by the stream
  }
}

/** Takes until the end (or a failure), waiting as World.readStdin does; gives up after 20 s. */
function drain(t: StdinThread): { text: string; error?: FsError } {
  let text = '';
  const t0 = Date.now();
  for (;;) {
    let got: Buffer | 'end' | undefined;
    try {
      got = t.take();
    } catch (e) {
      if (e instanceof FsError) return { text, error: e };
      throw e;
    }
    if (got === 'end') return { text };
    if (got) text += got.toString('utf8');
    else t.wait(50);
    assert.ok(Date.now() - t0 < 20_000, 'no end within 20 s');
  }
}

test('a socket read by the thread: every chunk in order, then the end', async () => {
  // A connected pair on loopback: the server side's descriptor is what the thread reads.
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  const accepted = new Promise<net.Socket>((r) => server.once('connection', r));
  const client = net.connect(port, '127.0.0.1');
  const side = await accepted;
  const fd = (side as unknown as { _handle: { fd: number } })._handle.fd;
  side.pause();
  const big = 'x'.repeat(200_000);
  // Written and closed before the thread starts (this thread then waits synchronously, as the program's does).
  await new Promise<void>((r) => client.end(`first\n${big}\nlast\n`, () => r()));
  const t = new StdinThread(fd);
  try {
    allOf(t, `first\n${big}\nlast\n`);
  } finally {
    // Both this side's socket and the thread's stream hold the descriptor; this side closes it first, and the
    // thread's close then finds it closed (awaiting the thread first would have this side's libuv close a closed
    // descriptor, which aborts).
    void t.stop();
    side.destroy();
    server.close();
  }
});

test('a descriptor the thread cannot read is an error for the program, not a wait forever', async () => {
  const file = path.join(tempDir('wj-stdin-'), 'plain.txt');
  fs.writeFileSync(file, 'not a socket\n');
  const fd = fs.openSync(file, 'r');
  const t = new StdinThread(fd);
  try {
    const { error } = drain(t);
    assert.ok(error, 'reported as an error');
    assert.match(error.message, /^stdin: /);
  } finally {
    await t.stop();
    closeQuietly(fd);
  }
});

test('a pipe read by the thread (where there is no /proc to look at it): every chunk in order, then the end', async () => {
  const fifo = makeFifo(tempDir('wj-stdin-'), 'in.fifo');
  const big = 'y'.repeat(300_000);
  // The writer: another process, which opens the pipe once the reader has (opening a FIFO waits for both ends).
  const writer = spawn('sh', ['-c', `printf 'first\\n' > "$0.tmp" && head -c 300000 /dev/zero | tr '\\0' y >> "$0.tmp" && printf '\\nlast\\n' >> "$0.tmp" && cat "$0.tmp" > "$0"`, fifo]);
  const fd = fs.openSync(fifo, 'r');
  const t = new StdinThread(fd);
  try {
    allOf(t, `first\n${big}\nlast\n`);
  } finally {
    await t.stop();
    closeQuietly(fd);
    await new Promise((r) => (writer.exitCode === null ? writer.once('exit', r) : r(undefined)));
  }
});

test('a program reading a pipe with the portable ways forced (WASM_JOURNAL_PORTABLE=1) sees all its input', async () => {
  const dir = tempDir('wj-stdin-');
  fs.mkdirSync(path.join(dir, 'sandbox'));
  const fifo = makeFifo(dir, 'in.fifo');
  const bin = path.join(__dirname, '..', '..', 'src', 'cli', 'bin.js');
  const guest = path.join(GUESTS, 'stdin.wasm');
  const writer = spawn('sh', ['-c', 'printf "hello, pipe\\n" > "$0"', fifo]);
  const fd = fs.openSync(fifo, 'r');
  try {
    const r = spawnSync(process.execPath, [bin, 'run', guest, '--dir', `${dir}/sandbox::/sandbox`], { stdio: [fd, 'pipe', 'pipe'], env: { ...process.env, WASM_JOURNAL_PORTABLE: '1' } });
    assert.equal(r.status, 0, r.stderr.toString());
    assert.match(r.stdout.toString(), /HELLO, PIPE\n/);
    assert.equal(fs.readFileSync(path.join(dir, 'sandbox', 'upper.txt'), 'utf8'), 'HELLO, PIPE\n');
  } finally {
    fs.closeSync(fd);
    await new Promise((r) => (writer.exitCode === null ? writer.once('exit', r) : r(undefined)));
  }
});

test('a pipe left non-blocking by whoever opened it: nothing yet is a wait, not an error', async () => {
  const fifo = makeFifo(tempDir('wj-stdin-'), 'nb.fifo');
  // O_RDWR on a FIFO never waits for the other side; the reader is non-blocking, as a shell or a parent may leave it.
  const writer = fs.openSync(fifo, fs.constants.O_RDWR);
  const fd = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  const t = new StdinThread(fd);
  try {
    const t0 = Date.now();
    while (Date.now() - t0 < 300) {
      assert.equal(t.take(), undefined, 'nothing has come yet');
      t.wait(20);
    }
    fs.writeSync(writer, 'later\n');
    fs.closeSync(writer);
    allOf(t, 'later\n');
  } finally {
    await t.stop();
    closeQuietly(fd);
  }
});
