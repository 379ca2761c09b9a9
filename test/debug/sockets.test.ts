// A debug session on a server that opens its own socket (WASIX): stopped at its first-listen snapshot, serving real
// requests live, then travelled back through the requests it answered (re-executed from the recording, without the
// network); a `net` that is not an address is refused at launch. And a travel that cannot reproduce the recording.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { AdapterClient } from '../helpers/dap';
import { GUESTS } from '../helpers/guest';
import { tempDir } from '../helpers/tmp';

const HTTPD = path.join(GUESTS, 'httpd.wasm');
const NOTES = path.join(__dirname, '..', '..', '..', 'examples', 'guests', 'notes.wasm');

function get(port: number, p: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: p, agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

test('dap: a server stopped at its first-listen snapshot, serving live, then travelled back through its requests; a bad net is refused', async () => {
  const dir = tempDir('wj-dap-net-');
  const c = new AdapterClient();
  c.startStdio();
  try {
    await c.initializeRequest({ adapterID: 'wasm-journal', pathFormat: 'path' });
    const refused = await c.launchRequest({ program: HTTPD, net: ['nowhere'] } as never).then(
      () => undefined,
      (e: Error) => e.message,
    );
    assert.match(refused ?? '', /net: nowhere: expected an IP address/);

    const first = c.waitForEvent('stopped', 30000);
    await c.launchProgram({ program: HTTPD, args: ['0', '1'], journal: path.join(dir, 'httpd.journal'), snapshotOn: ['first-listen'], stopOnSnapshot: true }, { initialize: false });
    const stop = (await first) as { body: { reason: string; description?: string } };
    assert.equal(stop.body.reason, 'snapshot');
    assert.match(stop.body.description ?? '', /first-listen/);
    assert.match((await c.pointVariables()).call, /^sock_listen/);
    const listenPoint = Number((await c.pointVariables()).point);

    await c.continueRequest({ threadId: 1 });
    await c.waitForOutput(/listening on \d+/);
    const port = Number(/listening on (\d+)/.exec(c.programOutput())![1]);
    assert.equal(await get(port, '/prime/3'), '5\n');
    assert.match(await get(port, '/stats'), /^served 2, primes \d+, checksum [0-9a-f]{16}\n$/);
    const ended = c.waitForEvent('stopped', 30000);
    assert.equal(await get(port, '/quit'), 'bye\n');
    assert.equal(((await ended) as { body: { reason: string } }).body.reason, 'exit');

    // Back through the requests: each accept is re-executed from the recording (the server is gone, and so is
    // its socket), and lands where it was.
    const tl = (await c.customRequest('timeline', { start: 0, count: 100000 })).body as { points: { point: number; call: string }[] };
    const accepts = tl.points.filter((p) => p.call === 'sock_accept_v2').map((p) => p.point);
    assert.equal(accepts.length, 3, JSON.stringify(accepts));
    assert.ok(accepts[0] > listenPoint);
    for (const p of [accepts[2], accepts[1], listenPoint]) {
      await c.moved(() => c.customRequest('travel', { point: p }));
      const v = await c.pointVariables();
      assert.equal(v.point, String(p));
      assert.match(v.call, p === listenPoint ? /^sock_listen/ : /^sock_accept_v2/);
    }
    await c.moved(() => c.stepBackRequest({ threadId: 1 }));
    assert.match((await c.pointVariables()).call, /^sock_bind|^sock_set_opt_flag|^socket|^sock_/);
  } finally {
    await c.close();
  }
});

test('dap: a travel that cannot reproduce the recording (a host file changed under overlay) says why, and the session stays where it was', async () => {
  const dir = tempDir('wj-dap-fail-');
  const notes = path.join(dir, 'notes');
  fs.mkdirSync(notes);
  fs.writeFileSync(path.join(notes, 'notes.txt'), 'one\ntwo\n');
  const c = new AdapterClient();
  c.startStdio();
  try {
    const end = c.waitForEvent('stopped', 30000);
    await c.launchProgram({ program: NOTES, args: ['t'], dirs: [`${notes}::/notes`], journal: path.join(dir, 'n.journal'), autoSnapshots: false, snapshotOn: [] });
    assert.equal(((await end) as { body: { reason: string } }).body.reason, 'exit');
    const at = (await c.pointVariables()).point;
    // The file the program read has other lines now: a re-execution from the start reads them.
    fs.writeFileSync(path.join(notes, 'notes.txt'), 'a different file\n');
    const refused = await c.customRequest('travel', { point: Number(at) - 1 }).then(
      () => undefined,
      (e: Error) => e.message,
    );
    assert.match(refused ?? 'it travelled', /^cannot travel there: replay diverged at entry \d+/);
    assert.equal((await c.pointVariables()).point, at, 'the session stays where it was');
  } finally {
    await c.close();
  }
});

test('dap: travels from snapshots taken after connections were closed (every accept snapshotted) restore the sockets from the recording alone', async () => {
  const dir = tempDir('wj-dap-net-');
  const c = new AdapterClient();
  c.startStdio();
  try {
    await c.launchProgram({ program: HTTPD, args: ['0', '1'], journal: path.join(dir, 'httpd.journal'), snapshotOn: ['non-deterministic-call'], autoSnapshots: false });
    await c.waitForOutput(/listening on \d+/);
    const port = Number(/listening on (\d+)/.exec(c.programOutput())![1]);
    for (const k of [1, 2, 3, 4]) assert.equal(await get(port, `/prime/${k}`), `${[2, 3, 5, 7][k - 1]}\n`);
    const ended = c.waitForEvent('stopped', 30000);
    await get(port, '/quit');
    await ended;
    const tl = (await c.customRequest('timeline', { start: 0, count: 100000 })).body as { points: { point: number; call: string }[]; snapshots: { point: number }[] };
    const accepts = tl.points.filter((p) => p.call === 'sock_accept_v2').map((p) => p.point);
    assert.equal(accepts.length, 5);
    const snapped = new Set(tl.snapshots.map((s) => s.point));
    assert.ok(accepts.every((p) => snapped.has(p)), 'a snapshot at every accept');
    // From the snapshot at the last accepts (two and three connections closed before it) and just after them.
    for (const p of [accepts[4], accepts[3] + 2, accepts[2], accepts[4] + 1]) {
      await c.moved(() => c.customRequest('travel', { point: p }));
      assert.equal((await c.pointVariables()).point, String(p));
    }
  } finally {
    await c.close();
  }
});
