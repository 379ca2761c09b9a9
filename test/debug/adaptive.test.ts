// A debug session that instruments adaptively (what a module of 2 MB or more gets; WASM_JOURNAL_INSTRUMENT=adaptive
// asks for it here on a small one): the program starts at once as built; the session's periodic snapshots wait for
// a call whose stack the module can unwind, once it is instrumented for it in the background (the run re-executes
// in it from its recorded inputs and takes the snapshot there); a pause's snapshot is taken where it paused; memory
// written at the live end is written again by that re-execution. Travels across those snapshots land on the memory
// the recording had.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { AdapterClient, BIN } from '../helpers/dap';
import { GUESTS } from '../helpers/guest';
import { tempDir } from '../helpers/tmp';
import { LogFileJournal, readEntries } from '../../src/journal';

const SPIN = path.join(GUESTS, 'spin.wasm');

/** spin prints the address of its counter first (the same in every run of the module). */
function ticksAddress(): Promise<number> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [BIN, 'run', SPIN, 'compute'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /ticks at (0x[0-9a-f]+)/.exec(out);
      if (m) {
        p.kill('SIGKILL');
        resolve(Number(m[1]));
      }
    });
    p.on('exit', () => reject(new Error(`spin printed no address: ${out}`)));
  });
}

/** The instrumented functions each snapshot's thread state names, in journal order. */
function snapshotFunctions(journal: string): (number[] | undefined)[] {
  const j = LogFileJournal.openRead(journal);
  const out: (number[] | undefined)[] = [];
  for (const e of readEntries(j)) {
    if (e.kind !== 'SetThreadV1') continue;
    out.push((JSON.parse(Buffer.from(e.store_data).toString('utf8')) as { instrumented?: { functions?: number[] } }).instrumented?.functions);
  }
  j.close();
  return out;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('dap, adaptive instrumentation: the policy\'s snapshots come once the module is instrumented for their stacks, a pause\'s where it paused; travel and Step Back across them land on the recorded memory; the next session starts instrumented', async () => {
  const address = await ticksAddress();
  const dir = tempDir('wj-dap-adaptive-');
  const env = { WASM_JOURNAL_INSTRUMENT: 'adaptive', WASM_JOURNAL_CACHE: tempDir('wj-cache-') };
  const journal = path.join(dir, 'spin.journal');
  const c = new AdapterClient();
  c.startStdio(undefined, env);
  try {
    await c.launchProgram({ program: SPIN, args: ['calls'], journal });
    await c.waitForOutput(/ticks at/);
    // The program runs as built while the functions on its stack are instrumented in the background.
    await sleep(1500);
    const stop = await c.moved(() => c.pauseRequest({ threadId: 1 }));
    assert.equal(stop.body.reason, 'pause');
    assert.match(stop.body.description ?? '', /a snapshot was taken here/);
    const console = c.outputs.filter((o) => o.body.category === 'console').map((o) => o.body.output).join('');
    assert.match(console, /instrumenting the module for snapshots in the background: the \d+ functions seen on its call stacks/);
    const end = Number((await c.pointVariables()).point);
    const timeline = (await c.customRequest('timeline', { start: 0, count: 0 })).body as { snapshots: { point: number; trigger: string }[] };
    const periodic = timeline.snapshots.filter((s) => s.trigger === 'periodic-interval');
    assert.ok(periodic.length >= 2, `the policy's snapshots, taken after the module was ready: ${JSON.stringify(timeline.snapshots)}`);
    assert.ok(periodic[0].point > 1000, `not at the start: the first waited for its module (${periodic[0].point})`);
    // Each snapshot names the few functions its module was instrumented for.
    const sets = snapshotFunctions(journal);
    assert.ok(sets.length >= periodic.length && sets.every((s) => Array.isArray(s) && s.length > 0 && s.length < 20), JSON.stringify(sets));

    // In the loop each point is one clock reading, and the counter goes up by one after it: ticks = point - k.
    const k = BigInt(end) - (await c.readU64(await c.memoryRef(), address));
    const at = async (p: number): Promise<bigint> => {
      await c.moved(() => c.customRequest('travel', { point: p }));
      assert.equal((await c.pointVariables()).point, String(p));
      return c.readU64(await c.memoryRef(), address);
    };
    const first = periodic[0].point;
    // Before the first snapshot (a re-execution from the start), at and just after the snapshots (a restore from
    // their frames, then a short re-execution), and between them.
    for (const p of [first - 500, first, first + 1, Math.min(end - 2, periodic[periodic.length - 1].point + 7), Math.floor((first + end) / 2), end - 3]) {
      assert.equal(await at(p), BigInt(p) - k, `ticks at point ${p}`);
    }
    await c.moved(() => c.stepBackRequest({ threadId: 1 }));
    assert.equal((await c.pointVariables()).point, String(end - 4));
    assert.equal(await c.readU64(await c.memoryRef(), address), BigInt(end - 4) - k);
  } finally {
    await c.close();
  }

  // The next session on the module starts with it instrumented for what the first one learned: its first
  // snapshot does not wait.
  const again = new AdapterClient();
  again.startStdio(undefined, env);
  try {
    await again.launchProgram({ program: SPIN, args: ['calls'], journal: path.join(dir, 'again.journal') });
    await again.waitForOutput(/ticks at/);
    await sleep(300);
    await again.moved(() => again.pauseRequest({ threadId: 1 }));
    const tl = (await again.customRequest('timeline', { start: 0, count: 0 })).body as { snapshots: { point: number; trigger: string }[] };
    assert.ok(tl.snapshots.some((s) => s.trigger === 'periodic-interval'), JSON.stringify(tl.snapshots));
    const console = again.outputs.filter((o) => o.body.category === 'console').map((o) => o.body.output).join('');
    assert.doesNotMatch(console, /instrumenting/);
  } finally {
    await again.close();
  }
});

test('dap, adaptive instrumentation: memory written at the live end before any snapshot is in the program that goes on after the re-execution that takes the next one', async () => {
  const address = await ticksAddress();
  const dir = tempDir('wj-dap-adaptive-');
  // The snapshot the write asks for waits inside its call (as a pause's does): it re-executes the run from its start.
  const env = { WASM_JOURNAL_INSTRUMENT: 'adaptive', WASM_JOURNAL_CACHE: tempDir('wj-cache-') };
  const c = new AdapterClient();
  c.startStdio(undefined, env);
  try {
    const entry = c.waitForEvent('stopped', 30000);
    await c.launchProgram({ program: SPIN, args: ['calls'], journal: path.join(dir, 'spin.journal'), stopOnEntry: true });
    assert.equal(((await entry) as { body: { reason: string } }).body.reason, 'entry');
    const ref = await c.memoryRef();
    assert.equal(await c.readU64(ref, address), 0n);
    const million = Buffer.alloc(8);
    million.writeBigUInt64LE(1_000_000n);
    await c.send('writeMemory', { memoryReference: ref, offset: address, data: million.toString('base64') });
    // On: the write asks for a snapshot at the next call, which re-executes the run in the instrumented module.
    await c.continueRequest({ threadId: 1 });
    await sleep(500);
    await c.moved(() => c.pauseRequest({ threadId: 1 }));
    const console = c.outputs.filter((o) => o.body.category === 'console').map((o) => o.body.output).join('');
    assert.match(console, /instrumenting the module for snapshots: the \d+ functions seen on its call stacks/);
    const end = Number((await c.pointVariables()).point);
    const ticks = await c.readU64(await c.memoryRef(), address);
    assert.ok(ticks > 1_000_000n && ticks < 1_000_000n + BigInt(end), `the write went on into the re-executed program: ${ticks}`);
    // The snapshot after the write holds it: a travel to a point after it shows the same counting.
    const k = BigInt(end) - ticks;
    const p = Math.floor(end / 2);
    await c.moved(() => c.customRequest('travel', { point: p }));
    assert.equal(await c.readU64(await c.memoryRef(), address), BigInt(p) - k);
  } finally {
    await c.close();
  }
});
