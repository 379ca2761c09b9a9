// The time-travel Debug Adapter driven by a real DAP client over stdio and TCP, on a guest (steps.c) whose
// memory and output show whether a travel landed right: a counter at a known address takes 11, 22, ... 55, each
// step prints a line and appends a line to /out/steps.txt, then the program reads a name, greets it, sets 99.
// Points of steps.wasm: 4 prints the counter's address, 8/10/12/14/16 print "step i", 9/11/13/15/17 write the
// file, 19 reads stdin (the first-stdin snapshot), 20 prints the greeting, 21 is the end.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AdapterClient, BIN, ROOT } from '../helpers/dap';
import { GUESTS } from '../helpers/guest';
import { tempDir } from '../helpers/tmp';
import { decodeTimeline, type TimelineColumnsBody } from '../../src/extension/timeline-data';

const STEPS = path.join(GUESTS, 'steps.wasm');

async function launched(c: AdapterClient, args: Record<string, unknown>, before?: () => Promise<unknown>): Promise<void> {
  const init = await c.initializeRequest({ adapterID: 'wasm-journal', supportsProgressReporting: false, linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
  assert.equal(init.body?.supportsStepBack, true);
  assert.equal(init.body?.supportsRestartFrame, true);
  assert.equal(init.body?.supportsDataBreakpoints, true);
  await c.launchProgram(args, { initialize: false, before });
}

/** Opens a recording post-mortem; the stop it opens at. */
async function attached(c: AdapterClient, args: Record<string, unknown>): Promise<{ body: { reason: string } }> {
  const entry = c.waitForEvent('stopped', 30000);
  await c.launchProgram(args, { attach: true });
  return (await entry) as { body: { reason: string } };
}

/** Launches on an earlier recording (restoreFrom); the stop it opens at. */
async function restored(c: AdapterClient, args: Record<string, unknown>): Promise<{ body: { reason: string } }> {
  const first = c.waitForEvent('stopped', 30000);
  await c.launchProgram(args);
  return (await first) as { body: { reason: string } };
}

function counterAddress(c: AdapterClient): number {
  const m = /counter at (0x[0-9a-f]+)/.exec(c.programOutput());
  assert.ok(m, `no address in ${c.programOutput()}`);
  return Number(m[1]);
}

test('dap over stdio: breakpoints with conditions, memory at points, step back, reverse continue, snapshots, restart frame, export', async () => {
  const dir = tempDir('wj-dap-');
  fs.mkdirSync(path.join(dir, 'out'));
  const journal = path.join(dir, 'steps.journal');
  const c = new AdapterClient();
  c.startStdio();
  try {
    const firstStop = c.waitForEvent('stopped', 30000);
    await launched(c, { program: STEPS, dirs: [`${dir}/out::/out`], stdin: 'world\n', journal, snapshotOn: ['first-stdin'], stopOnSnapshot: true, autoSnapshots: false }, async () => {
      const bps = await c.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'fd_write', condition: 'fd == 4' }] });
      assert.equal(bps.body.breakpoints[0].verified, true);
    });
    let stop = (await firstStop) as { body: { reason: string; description?: string } };
    assert.equal(stop.body.reason, 'function breakpoint');
    let vars = await c.pointVariables();
    assert.equal(vars.point, '9');
    assert.equal(vars.call, 'fd_write(fd 4, 7 bytes)');
    const counter = counterAddress(c);
    const mem = await c.memoryRef();
    assert.equal(mem, 'mem@9');
    assert.equal(await c.readU32(mem, counter), 11);

    stop = await c.moved(() => c.continueRequest({ threadId: 1 }));
    assert.equal(stop.body.reason, 'function breakpoint');
    assert.equal((await c.pointVariables()).point, '11');
    assert.equal(await c.readU32(await c.memoryRef(), counter), 22);
    // Memory of another point, read from here (the session goes there and back).
    assert.equal(await c.readU32('mem@9', counter), 11);
    assert.equal((await c.pointVariables()).point, '11');

    // Step back twice: the memory and terminal of points 10 and 9 are what they were going forward.
    stop = await c.moved(() => c.stepBackRequest({ threadId: 1 }));
    assert.equal(stop.body.reason, 'step');
    assert.equal((await c.pointVariables()).point, '10');
    assert.equal(await c.readU32(await c.memoryRef(), counter), 22);
    await c.moved(() => c.stepBackRequest({ threadId: 1 }));
    assert.equal((await c.pointVariables()).point, '9');
    assert.equal(await c.readU32(await c.memoryRef(), counter), 11);
    const st = await c.stackTraceRequest({ threadId: 1 });
    const scopes = await c.scopesRequest({ frameId: st.body.stackFrames[0].id });
    const terminal = await c.variablesRequest({ variablesReference: scopes.body.scopes.find((s) => s.name === 'Terminal')!.variablesReference });
    assert.equal(terminal.body.variables[0].value, JSON.stringify(`counter at 0x${counter.toString(16)}\nstep 1: counter=11\n`));
    // The guest's own frames come first, with names from the name section; every frame has a source.
    assert.ok(st.body.stackFrames.some((f) => /main/.test(f.name)), st.body.stackFrames.map((f) => f.name).join(', '));
    for (const f of st.body.stackFrames) assert.ok(f.source?.sourceReference || f.source?.path, `frame ${f.name} has no source`);
    // steps.wasm carries DWARF: main's frame is at the fflush(log) of step (inlined into main), line 19 of steps.c.
    const mainFrame = st.body.stackFrames.find((f) => f.source?.path?.endsWith('steps.c'));
    assert.ok(mainFrame, JSON.stringify(st.body.stackFrames.map((f) => [f.name, f.source, f.line])));
    assert.equal(mainFrame.line, 19);
    const src = await c.sourceRequest({ sourceReference: st.body.stackFrames[0].source!.sourceReference!, source: st.body.stackFrames[0].source });
    assert.match(src.body.content, /Point 9: fd_write\(fd 4, 7 bytes\)/);
    const descriptors = await c.variablesRequest({ variablesReference: scopes.body.scopes.find((s) => s.name === 'Descriptors')!.variablesReference });
    assert.ok(descriptors.body.variables.some((v) => v.name === '4' && /file \/out\/steps\.txt @0/.test(v.value)), JSON.stringify(descriptors.body.variables));

    // Reverse Continue: no earlier hit, so the start.
    stop = await c.moved(() => c.reverseContinueRequest({ threadId: 1 }));
    assert.equal((await c.pointVariables()).point, '0');
    assert.equal(await c.readU32(await c.memoryRef(), counter), 0);
    // Forward through the recording: the same breakpoint hits, and no output is repeated (what the program prints
    // past the live end is new).
    stop = await c.moved(() => c.continueRequest({ threadId: 1 }));
    assert.equal((await c.pointVariables()).point, '9');
    stop = await c.moved(() => c.continueRequest({ threadId: 1 }));
    assert.equal((await c.pointVariables()).point, '11');
    stop = await c.moved(() => c.continueRequest({ threadId: 1 }));
    assert.equal((await c.pointVariables()).point, '13');
    assert.equal(await c.readU32(await c.memoryRef(), counter), 33);
    // Reverse Continue lands on the previous hit.
    stop = await c.moved(() => c.reverseContinueRequest({ threadId: 1 }));
    assert.equal(stop.body.reason, 'breakpoint');
    assert.equal((await c.pointVariables()).point, '11');
    assert.equal(c.programOutput(), 'counter at 0xf10\nstep 1: counter=11\nstep 2: counter=22\nstep 3: counter=33\n'.replace('0xf10', `0x${counter.toString(16)}`));

    // Without breakpoints: on to the first-stdin snapshot, then the end.
    await c.setFunctionBreakpointsRequest({ breakpoints: [] });
    stop = await c.moved(() => c.continueRequest({ threadId: 1 }));
    assert.equal(stop.body.reason, 'snapshot');
    assert.match(stop.body.description ?? '', /first-stdin/);
    vars = await c.pointVariables();
    assert.equal(vars.point, '19');
    stop = await c.moved(() => c.continueRequest({ threadId: 1 }));
    assert.equal(stop.body.reason, 'exit');
    assert.equal(c.programOutput().match(/hello world/g)?.length, 1);
    assert.equal(await c.readU32(await c.memoryRef(), counter), 99);
    // fsMode overlay (the default): the program's files live in the session, the host folder is untouched.
    assert.equal(fs.existsSync(path.join(dir, 'out', 'steps.txt')), false);
    const endScopes = await c.scopesRequest({ frameId: (await c.stackTraceRequest({ threadId: 1 })).body.stackFrames[0].id });
    const files = await c.variablesRequest({ variablesReference: endScopes.body.scopes.find((s) => s.name === 'Files changed')!.variablesReference });
    assert.deepEqual(files.body.variables.map((v) => v.value), ['/out/steps.txt']);

    // The snapshot is a frame; Restart Frame restores it.
    const end = await c.stackTraceRequest({ threadId: 1 });
    const snapFrame = end.body.stackFrames.find((f) => /Snapshot 0 · first-stdin · point 19/.test(f.name));
    assert.ok(snapFrame, end.body.stackFrames.map((f) => f.name).join(', '));
    assert.equal(snapFrame.canRestart, true);
    stop = await c.moved(() => c.restartFrameRequest({ frameId: snapFrame.id }));
    assert.equal(stop.body.reason, 'restart');
    assert.equal((await c.pointVariables()).point, '19');
    assert.equal(await c.readU32(await c.memoryRef(), counter), 55);

    // diffMemory between two points: the counter went from 11 to 44.
    const diff = (await c.customRequest('diffMemory', { from: 9, to: 15 })).body as { ranges: { offset: number; old: string; new: string }[]; changedBytes: number };
    const at = diff.ranges.find((r) => r.offset <= counter && counter < r.offset + Buffer.from(r.old, 'base64').length)!;
    assert.ok(at, JSON.stringify(diff.ranges.map((r) => r.offset)));
    // Only the low byte of the counter changed (0x0b -> 0x2c): the range holds the bytes that differ.
    assert.equal(Buffer.from(at.old, 'base64')[counter - at.offset], 11);
    assert.equal(Buffer.from(at.new, 'base64')[counter - at.offset], 44);
    assert.ok(diff.changedBytes >= 1);
    assert.equal((await c.pointVariables()).point, '19', 'diffMemory leaves the session where it was');

    // The timeline: every point, the snapshot, the current point.
    const tl = (await c.customRequest('timeline', { start: 0, count: 100 })).body as { points: { point: number; call: string }[]; snapshots: { point: number; trigger: string }[]; current: number; total: number };
    assert.equal(tl.total, 21);
    assert.equal(tl.current, 19);
    assert.equal(tl.points[9].call, 'fd_write');
    assert.deepEqual(tl.snapshots.map((s) => [s.point, s.trigger]), [[19, 'first-stdin']]);

    // travel, and a travel that cannot happen (the session stays).
    stop = await c.moved(() => c.customRequest('travel', { point: 12 }));
    assert.equal(stop.body.reason, 'goto');
    assert.equal(await c.readU32(await c.memoryRef(), counter), 33);
    await assert.rejects(c.customRequest('travel', { point: 500 }), /has not happened yet/);
    await assert.rejects(c.customRequest('travel', { point: 'x' }), /point: expected a whole number/);
    await assert.rejects(c.readMemoryRequest('nonsense', 0, 4), /unknown memory reference/);
    assert.equal((await c.pointVariables()).point, '12');

    // writeMemory only at the live end.
    await assert.rejects(c.send('writeMemory', { memoryReference: 'mem@12', offset: counter, data: Buffer.alloc(4).toString('base64') }), /live end/);

    // exportJournal up to point 19 (the snapshot included), verified and restorable by the CLI.
    const exported = path.join(dir, 'part.journal');
    const ex = (await c.customRequest('exportJournal', { path: exported, upTo: 20 })).body as { entries: number; bytes: number };
    assert.ok(ex.entries > 10 && ex.bytes === fs.statSync(exported).size);
    const verify = spawnSync(process.execPath, [BIN, 'verify', exported]);
    assert.equal(verify.status, 0, verify.stderr.toString());
    const resumed = spawnSync(process.execPath, [BIN, 'run', STEPS, '--journal', exported, '--dir', `${dir}/out::/out`, '--skip-journal-stdio'], { input: 'again\n' });
    assert.equal(resumed.status, 0, resumed.stderr.toString());
    assert.equal(resumed.stdout.toString(), 'hello again\n');
    const filtered = (await c.customRequest('exportJournal', { path: path.join(dir, 'nomem.journal'), filter: ['mem'] })).body as { entries: number };
    assert.ok(filtered.entries > 0);
    // The recording itself is never the export's target.
    await assert.rejects(c.customRequest('exportJournal', { path: journal }), /recording itself/);
  } finally {
    await c.close();
  }
});

test('dap: data breakpoints stop where the watched bytes changed, forward and backward', async () => {
  const dir = tempDir('wj-dap-');
  const c = new AdapterClient();
  c.startStdio();
  try {
    fs.mkdirSync(path.join(dir, 'out'));
    const exit = c.waitForEvent('stopped', 30000);
    await launched(c, { program: STEPS, dirs: [`${dir}/out::/out`], stdin: 'x\n', journal: path.join(dir, 'j.journal') });
    assert.equal((await exit).body.reason, 'exit');
    const counter = counterAddress(c);
    const info = await c.dataBreakpointInfoRequest({ name: `0x${counter.toString(16)}`, bytes: 4, asAddress: true } as never);
    assert.ok(info.body.dataId);
    const set = await c.setDataBreakpointsRequest({ breakpoints: [{ dataId: info.body.dataId!, accessType: 'write' }] });
    assert.equal(set.body.breakpoints[0].verified, true);
    // Backward from the end: the last change before it (55 -> 99, seen at point 20: the greeting is flushed at the
    // exit, after the store), then 44 -> 55 at point 16.
    let stop = await c.moved(() => c.reverseContinueRequest({ threadId: 1 }));
    assert.equal(stop.body.reason, 'breakpoint');
    assert.equal((await c.pointVariables()).point, '20');
    assert.equal(await c.readU32(await c.memoryRef(), counter), 99);
    stop = await c.moved(() => c.reverseContinueRequest({ threadId: 1 }));
    assert.equal((await c.pointVariables()).point, '16');
    assert.equal(await c.readU32(await c.memoryRef(), counter), 55);
    // Forward from the start: the first change (0 -> 11, seen at point 8).
    await c.moved(() => c.customRequest('travel', { point: 0 }));
    stop = await c.moved(() => c.continueRequest({ threadId: 1 }));
    assert.equal(stop.body.reason, 'data breakpoint');
    assert.equal((await c.pointVariables()).point, '8');
    assert.equal(await c.readU32(await c.memoryRef(), counter), 11);
  } finally {
    await c.close();
  }
});

test('dap over --port: a launch to the end, input from the Debug Console, then post-mortem attach to its journal', async () => {
  const dir = tempDir('wj-dap-');
  const journal = path.join(dir, 'steps.journal');
  const c = new AdapterClient();
  await c.startPort();
  try {
    const waiting = c.waitForEvent('stopped', 30000);
    fs.mkdirSync(path.join(dir, 'out'));
    await launched(c, { program: STEPS, dirs: [`${dir}/out::/out`], journal, snapshotOn: ['first-stdin'], autoSnapshots: false });
    // The program waits for input: the Debug Console feeds it.
    await new Promise<void>((resolve) => {
      const look = (): void => {
        if (c.outputs.some((o) => /waits for input/.test(o.body.output))) resolve();
        else setTimeout(look, 20);
      };
      look();
    });
    await c.evaluateRequest({ expression: 'console', context: 'repl' });
    const stop = await waiting;
    assert.equal(stop.body.reason, 'exit');
    assert.match(c.programOutput(), /hello console\n$/);
  } finally {
    await c.close();
  }

  const a = new AdapterClient();
  a.startStdio();
  try {
    assert.equal((await attached(a, { journal, program: STEPS, dirs: [`${dir}/out::/out`] })).body.reason, 'entry');
    assert.equal((await a.pointVariables()).point, '21');
    const counter = counterAddress(a);
    await a.moved(() => a.stepBackRequest({ threadId: 1 }));
    assert.equal((await a.pointVariables()).point, '20');
    await a.moved(() => a.customRequest('travel', { point: 10 }));
    assert.equal(await a.readU32(await a.memoryRef(), counter), 22);
    const st = await a.stackTraceRequest({ threadId: 1 });
    assert.ok(!st.body.stackFrames.some((f) => /Snapshot/.test(f.name)), 'no snapshot before point 10');
    await a.moved(() => a.customRequest('travel', { point: 20 }));
    const st2 = await a.stackTraceRequest({ threadId: 1 });
    assert.ok(st2.body.stackFrames.some((f) => /Snapshot 0 · first-stdin · point 19/.test(f.name)), st2.body.stackFrames.map((f) => f.name).join(', '));
  } finally {
    await a.close();
  }
});

test('dap: bad programs, bad journals and traps give clear errors; the adapter goes on', async () => {
  const dir = tempDir('wj-dap-');
  const c = new AdapterClient();
  c.startStdio();
  try {
    await c.initializeRequest({ adapterID: 'wasm-journal', pathFormat: 'path' });
    await assert.rejects(c.launchRequest({ program: path.join(dir, 'missing.wasm') } as never), /missing\.wasm: no such file/);
    const notWasm = path.join(dir, 'notes.txt');
    fs.writeFileSync(notWasm, 'hello');
    await assert.rejects(c.launchRequest({ program: notWasm } as never), /not a WebAssembly module/);
    await assert.rejects(c.launchRequest({ program: STEPS, dirs: [`${dir}/nope::/x`] } as never), /nope does not exist/);
    await assert.rejects(c.launchRequest({ program: STEPS, snapshotOn: ['sometimes'] } as never), /unknown trigger "sometimes"/);
    const badJournal = path.join(dir, 'bad.journal');
    fs.writeFileSync(badJournal, Buffer.from('this is not a journal at all, not even close'));
    await assert.rejects(c.attachRequest({ journal: badJournal, program: STEPS } as never), /bad\.journal/);
    await assert.rejects(c.customRequest('noSuchRequest', {}), /unknown request/);
    // A recording of another module; one damaged in the middle; one cut short (a crash): the last opens.
    const hello = path.join(dir, 'hello.journal');
    const rec = spawnSync(process.execPath, [BIN, 'run', path.join(GUESTS, 'hello.wasm'), '--journal-writable', hello]);
    assert.equal(rec.status, 0, rec.stderr.toString());
    await assert.rejects(c.attachRequest({ journal: hello, program: STEPS } as never), /hello\.journal was recorded from another module/);
    const bytes = fs.readFileSync(hello);
    const damaged = path.join(dir, 'damaged.journal');
    const d = Buffer.from(bytes);
    d[Math.floor(d.length / 2)] ^= 0xff;
    fs.writeFileSync(damaged, d);
    await assert.rejects(c.attachRequest({ journal: damaged, program: path.join(GUESTS, 'hello.wasm') } as never), /damaged\.journal/);
    // The same adapter still launches a program that traps: a stop with reason exception and the trap's message.
    const stopped = c.waitForEvent('stopped', 30000);
    await c.launchProgram({ program: path.join(GUESTS, 'trap.wasm'), args: ['unreachable'], journal: path.join(dir, 't.journal') }, { initialize: false });
    const stop = (await stopped) as { body: { reason: string; text?: string } };
    assert.equal(stop.body.reason, 'exception');
    assert.match(stop.body.text ?? '', /unreachable/);
    // The run up to the trap can be explored.
    await c.moved(() => c.stepBackRequest({ threadId: 1 }));
    // Once: the failed launches before left nothing behind.
    assert.equal(c.programOutput().match(/trap mode: unreachable/g)?.length, 1);
  } finally {
    await c.close();
  }
});

test('dap: attach to a recording cut short by a crash: every point up to the cut can be visited', async () => {
  const dir = tempDir('wj-dap-');
  fs.mkdirSync(path.join(dir, 'out'));
  const full = path.join(dir, 'full.journal');
  const rec = spawnSync(process.execPath, [BIN, 'run', STEPS, '--dir', `${dir}/out::/out`, '--fs', 'overlay', '--journal-writable', full], { input: 'x\n' });
  assert.equal(rec.status, 0, rec.stderr.toString());
  // Cut in the middle of a record two thirds in (a write the crash interrupted).
  const cut = path.join(dir, 'cut.journal');
  const bytes = fs.readFileSync(full);
  fs.writeFileSync(cut, bytes.subarray(0, Math.floor((bytes.length * 2) / 3) + 3));
  const a = new AdapterClient();
  a.startStdio();
  try {
    assert.equal((await attached(a, { journal: cut, program: STEPS, dirs: [`${dir}/out::/out`] })).body.reason, 'entry');
    const end = Number((await a.pointVariables()).point);
    assert.ok(end > 3, `the recording reaches point ${end}`);
    await a.moved(() => a.customRequest('travel', { point: 4 }));
    assert.match(a.programOutput(), /counter at/);
    await a.moved(() => a.customRequest('travel', { point: end }));
  } finally {
    await a.close();
  }
});

test('dap: pause a program that never ends, at a host call (a snapshot there) and in the middle of a computation', async () => {
  const dir = tempDir('wj-dap-');
  for (const mode of ['calls', 'compute']) {
    const c = new AdapterClient();
    c.startStdio();
    try {
      await launched(c, { program: path.join(GUESTS, 'spin.wasm'), args: [mode], journal: path.join(dir, `${mode}.journal`) });
      await c.waitForOutput(mode === 'calls' ? /ticks at/ : /computing/);
      const address = Number(/ticks at (0x[0-9a-f]+)/.exec(c.programOutput())![1]);
      let stop = await c.moved(() => c.pauseRequest({ threadId: 1 }));
      assert.equal(stop.body.reason, 'pause');
      assert.match(stop.body.description ?? '', mode === 'calls' ? /a snapshot was taken here/ : /Paused while computing/);
      const st = await c.stackTraceRequest({ threadId: 1 });
      assert.ok(st.body.stackFrames.some((f) => /main/.test(f.name)), st.body.stackFrames.map((f) => f.name).join(', '));
      const ref = await c.memoryRef();
      const first = await c.readU64(ref, address);
      assert.ok(first > 0n);
      // Paused means paused: the counter does not move.
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(await c.readU64(ref, address), first);
      await c.continueRequest({ threadId: 1 });
      await new Promise((r) => setTimeout(r, 100));
      stop = await c.moved(() => c.pauseRequest({ threadId: 1 }));
      assert.equal(stop.body.reason, 'pause');
      const later = await c.readU64(await c.memoryRef(), address);
      assert.ok(later > first, `${later} > ${first}`);
      const end = Number((await c.pointVariables()).point);
      if (mode === 'calls') {
        // A breakpoint set while the program runs: answered at once, and the program stops at it.
        await c.continueRequest({ threadId: 1 });
        const hit = c.waitForEvent('stopped', 20000);
        await c.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'clock_time_get' }] });
        assert.equal(((await hit) as { body: { reason: string } }).body.reason, 'function breakpoint');
        await c.setFunctionBreakpointsRequest({ breakpoints: [] });
        const at = Number((await c.pointVariables()).point);
        assert.ok(at > end, `${at} > ${end}`);
        // Back through the recording and forward to the live end again.
        await c.moved(() => c.customRequest('travel', { point: end }));
        assert.equal(await c.readU64(await c.memoryRef(), address), later);
        await c.moved(() => c.customRequest('travel', { point: at }));
        await c.moved(() => c.stepBackRequest({ threadId: 1 }));
        assert.equal((await c.pointVariables()).point, String(at - 1));
      } else {
        // Computing since point 4 (its last output): the points before are a travel away.
        await c.moved(() => c.stepBackRequest({ threadId: 1 }));
        assert.equal((await c.pointVariables()).point, String(end - 1));
        await c.moved(() => c.customRequest('travel', { point: end }));
        assert.equal(await c.readU64(await c.memoryRef(), address), later);
        // Continue from the past: through the recording to its last point, then the live program goes on computing.
        await c.moved(() => c.stepBackRequest({ threadId: 1 }));
        await c.continueRequest({ threadId: 1 });
        await new Promise((r) => setTimeout(r, 100));
        const again = await c.moved(() => c.pauseRequest({ threadId: 1 }));
        assert.match(again.body.description ?? '', /Paused while computing/);
        assert.ok((await c.readU64(await c.memoryRef(), address)) > later);
      }
    } finally {
      await c.close();
    }
  }
});

test('dap: stop on entry, write memory at the live end, a snapshot on request, restart', async () => {
  const dir = tempDir('wj-dap-');
  fs.mkdirSync(path.join(dir, 'out'));
  const c = new AdapterClient();
  c.startStdio();
  try {
    const entry = c.waitForEvent('stopped', 30000);
    await launched(c, { program: STEPS, dirs: [`${dir}/out::/out`], stdin: 'x\n', journal: path.join(dir, 'j.journal'), stopOnEntry: true, autoSnapshots: false, snapshotOn: [] });
    assert.equal((await entry).body.reason, 'entry');
    assert.equal((await c.pointVariables()).point, '0');
    // Step to point 8 (the counter is 11 there), then set it to 1000 at the live end.
    for (let i = 0; i < 8; i++) await c.moved(() => c.nextRequest({ threadId: 1 }));
    assert.equal((await c.pointVariables()).point, '8');
    const counter = counterAddress(c);
    const ref = await c.memoryRef();
    assert.equal(await c.readU32(ref, counter), 11);
    const w = await c.send('writeMemory', { memoryReference: ref, offset: counter, data: Buffer.from([0xe8, 0x03, 0, 0]).toString('base64') });
    assert.equal((w.body as { bytesWritten: number }).bytesWritten, 4);
    assert.equal(await c.readU32(ref, counter), 1000);
    // A snapshot now holds the change: travelling away and back keeps it.
    const snap = await c.moved(() => c.customRequest('snapshot', {}));
    assert.equal(snap.body.reason, 'snapshot');
    await c.moved(() => c.nextRequest({ threadId: 1 }));
    await c.moved(() => c.stepBackRequest({ threadId: 1 }));
    assert.equal((await c.pointVariables()).point, '8');
    assert.equal(await c.readU32(await c.memoryRef(), counter), 1000);
    await c.moved(() => c.stepBackRequest({ threadId: 1 }));
    assert.equal(await c.readU32(await c.memoryRef(), counter), 0);
    // On to the end (from the past: through the recording, then live).
    const exit = await c.moved(() => c.continueRequest({ threadId: 1 }));
    assert.equal(exit.body.reason, 'exit');
    // Restart: a new recording from the start, stopped at entry again.
    const again = c.waitForEvent('stopped', 30000);
    await c.send('restart', {});
    assert.equal((await again).body.reason, 'entry');
    assert.equal((await c.pointVariables()).point, '0');
  } finally {
    await c.close();
  }
});

test('dap: a branch from the past goes live with new input; the old future stays visitable', async () => {
  const dir = tempDir('wj-dap-');
  fs.mkdirSync(path.join(dir, 'out'));
  const c = new AdapterClient();
  c.startStdio();
  try {
    const exit = c.waitForEvent('stopped', 30000);
    await launched(c, { program: STEPS, dirs: [`${dir}/out::/out`], stdin: 'world\n', journal: path.join(dir, 'main.journal'), snapshotOn: ['first-stdin'] });
    assert.equal((await exit).body.reason, 'exit');
    assert.match(c.programOutput(), /hello world\n$/);
    const counter = counterAddress(c);
    // Back to point 16 (step 5 prints), then a branch from there with other input.
    await c.moved(() => c.customRequest('travel', { point: 16 }));
    let stop = await c.moved(() => c.customRequest('branch', { stdin: 'moon\n' }));
    assert.match(stop.body.description ?? '', /Branch 1: live from point 16/);
    assert.equal((await c.pointVariables()).point, '16');
    assert.equal(await c.readU32(await c.memoryRef(), counter), 55);
    stop = await c.moved(() => c.continueRequest({ threadId: 1 }));
    assert.equal(stop.body.reason, 'exit');
    // The branch printed again from point 16 on (step 5 and the greeting, with the new name).
    assert.match(c.programOutput(), /hello world\nstep 5: counter=55\nhello moon\n$/);
    const tl = (await c.customRequest('timeline', { count: 0 })).body as { branch: number; branches: { id: number; parent?: number; from: number; journal: string; ended: boolean }[] };
    assert.equal(tl.branch, 1);
    assert.deepEqual(tl.branches.map((b) => [b.id, b.parent, b.from, b.ended]), [[0, undefined, 0, true], [1, 0, 16, true]]);
    // Inside the branch: back to its last point (the greeting written at the exit, after the counter became 99):
    // restored from the branch's own first-stdin snapshot, taken against its parent's memory.
    await c.moved(() => c.stepBackRequest({ threadId: 1 }));
    assert.equal((await c.pointVariables()).point, '20');
    assert.equal(await c.readU32(await c.memoryRef(), counter), 99);
    const snaps = (await c.stackTraceRequest({ threadId: 1 })).body.stackFrames.filter((f) => /Snapshot/.test(f.name)).map((f) => f.name);
    assert.ok(snaps.some((n) => /first-stdin · point 19/.test(n)), snaps.join(', '));
    // And before the greeting: its terminal shows the branch's past.
    await c.moved(() => c.customRequest('travel', { point: 18 }));
    assert.equal(await c.readU32(await c.memoryRef(), counter), 55);
    const st = await c.stackTraceRequest({ threadId: 1 });
    const scopes = await c.scopesRequest({ frameId: st.body.stackFrames[0].id });
    const term = await c.variablesRequest({ variablesReference: scopes.body.scopes.find((s) => s.name === 'Terminal')!.variablesReference });
    assert.doesNotMatch(term.body.variables[0].value, /hello/);
    // The old future: branch 0 at its end, where the greeting was for "world".
    await c.moved(() => c.customRequest('travel', { point: 20, branch: 0 }));
    const tl0 = (await c.customRequest('timeline', { count: 0 })).body as { branch: number; current: number };
    assert.deepEqual([tl0.branch, tl0.current], [0, 20]);
    const st0 = await c.stackTraceRequest({ threadId: 1 });
    const sc0 = await c.scopesRequest({ frameId: st0.body.stackFrames[0].id });
    const term0 = await c.variablesRequest({ variablesReference: sc0.body.scopes.find((s) => s.name === 'Terminal')!.variablesReference });
    assert.doesNotMatch(term0.body.variables[0].value, /moon/);
    // Typing in the Debug Console at a past point where the program reads stdin: another branch, fed that line.
    await c.moved(() => c.customRequest('travel', { point: 19, branch: 0 }));
    const branched = c.waitForEvent('stopped', 20000);
    await c.evaluateRequest({ expression: 'sun', context: 'repl' });
    assert.match((await branched).body.description ?? '', /Branch 2: live from point 19/);
    stop = await c.moved(() => c.continueRequest({ threadId: 1 }));
    assert.equal(stop.body.reason, 'exit');
    assert.match(c.programOutput(), /hello moon\nhello sun\n$/);
    // The timeline as columns (what the panel draws) says what the JSON form says, for a branch whose first points
    // are its parent's; the output request gives this branch's output, tagged with points.
    const json = (await c.customRequest('timeline', { count: 10_000 })).body as { total: number; points: { point: number; call: string; category: string; timeMs: number }[] };
    const { state, points } = decodeTimeline((await c.customRequest('timeline', { columns: true })).body as TimelineColumnsBody);
    assert.equal(state.branch, 2);
    assert.equal(points.calls.length, json.points.length);
    for (const p of json.points) {
      const i = p.point - points.start;
      assert.equal(points.names[points.calls[i]], p.call, `point ${p.point}`);
      assert.equal(points.categoryNames[points.categories[i]], p.category, `point ${p.point}`);
      assert.ok(Math.abs(points.times[i] - p.timeMs) < 0.01);
    }
    assert.ok(json.points.some((p) => p.category === 'terminal') && json.points.some((p) => p.category === 'fs'));
    const tail = decodeTimeline((await c.customRequest('timeline', { columns: true, start: 18 })).body as TimelineColumnsBody).points;
    assert.equal(tail.start, 18);
    assert.equal(tail.names[tail.calls[0]], points.names[points.calls[18]]);
    const out = (await c.customRequest('output', {})).body as { chunks: { point: number; text: string }[]; total: number };
    assert.equal(out.chunks.length, out.total);
    // (the parent's output before the branch's point, then the branch's own: not the parent's future)
    assert.match(out.chunks.map((o) => o.text).join(''), /^counter at 0x[0-9a-f]+\nstep 1: counter=11\n[^]*step 5: counter=55\nhello sun\n$/);
    assert.match(out.chunks.at(-1)!.text, /hello sun/);
    assert.ok(out.chunks.at(-1)!.point >= 19);
    // Both journals verify; the branch's replays on its own.
    const tlb = tl.branches[1];
    for (const j of [tl.branches[0].journal, tlb.journal]) {
      const v = spawnSync(process.execPath, [BIN, 'verify', j]);
      assert.equal(v.status, 0, v.stderr.toString());
    }
    const replay = spawnSync(process.execPath, [BIN, 'replay', tlb.journal, STEPS]);
    assert.equal(replay.status, 0, replay.stderr.toString());
    assert.match(replay.stdout.toString(), /hello moon/);
  } finally {
    await c.close();
  }
});

test('dap: a long re-execution shows progress and can be cancelled; the session stays where it was', async () => {
  const dir = tempDir('wj-dap-');
  const c = new AdapterClient();
  c.startStdio();
  try {
    await c.initializeRequest({ adapterID: 'wasm-journal', pathFormat: 'path', supportsProgressReporting: true });
    await c.launchProgram({ program: path.join(GUESTS, 'spin.wasm'), args: ['calls'], journal: path.join(dir, 'spin.journal'), autoSnapshots: false, snapshotOn: [] }, { initialize: false });
    // Record a long run (a host call each iteration), then pause it: a snapshot at the live end.
    await new Promise((r) => setTimeout(r, 2000));
    await c.moved(() => c.pauseRequest({ threadId: 1 }));
    const end = Number((await c.pointVariables()).point);
    assert.ok(end > 10000, `${end} points`);
    // A travel to just before the end re-executes the whole run (no snapshot before it): it shows progress.
    const started = c.waitForEvent('progressStart', 20000) as Promise<{ body: { progressId: string; cancellable?: boolean } }>;
    const travel = c.customRequest('travel', { point: end - 1 });
    const p = await started;
    assert.equal(p.body.cancellable, true);
    const ended = c.waitForEvent('progressEnd', 20000);
    await c.send('cancel', { progressId: p.body.progressId });
    await assert.rejects(travel, /cancelled/);
    await ended;
    // Still at the live end, with the program's memory there.
    assert.equal((await c.pointVariables()).point, String(end));
    // And a travel that is not cancelled arrives.
    await c.moved(() => c.customRequest('travel', { point: 5 }));
    assert.equal((await c.pointVariables()).point, '5');
  } finally {
    await c.close();
  }
});

test('dap: restoreFrom opens an earlier recording at a snapshot, and the program goes on live from there', async () => {
  const dir = tempDir('wj-dap-');
  fs.mkdirSync(path.join(dir, 'out'));
  const old = path.join(dir, 'old.journal');
  const rec = spawnSync(process.execPath, [BIN, 'run', STEPS, '--dir', `${dir}/out::/out`, '--fs', 'overlay', '--journal-writable', old], { input: 'then\n' });
  assert.equal(rec.status, 0, rec.stderr.toString());
  const before = fs.readFileSync(old);
  const c = new AdapterClient();
  c.startStdio();
  try {
    await restored(c, { program: STEPS, restoreFrom: old, restoreAt: 0, dirs: [`${dir}/out::/out`] });
    // Snapshot 0 of the old run: the first-stdin snapshot, where it read its input.
    const v = await c.pointVariables();
    assert.match(v.call ?? '', /^fd_read\(fd 0/);
    assert.equal(await c.readU32(await c.memoryRef(), counterAddress(c)), 55);
    // Input typed here: the program goes live from this point of the old recording, in a branch beside it.
    const branched = c.waitForEvent('stopped', 20000);
    await c.evaluateRequest({ expression: 'now', context: 'repl' });
    assert.match((await branched).body.description ?? '', /Branch 1/);
    const end = await c.moved(() => c.continueRequest({ threadId: 1 }));
    assert.equal(end.body.reason, 'exit');
    assert.match(c.programOutput(), /hello now\n$/);
    assert.ok(fs.existsSync(path.join(dir, 'old-branch-1.journal')));
    // The old recording is as it was.
    assert.equal(Buffer.compare(fs.readFileSync(old), before), 0);
  } finally {
    await c.close();
  }
});

test('dap: restoreFrom an earlier run of a journal two runs appended to; a branch from it holds that run alone', async () => {
  const dir = tempDir('wj-dap-');
  fs.mkdirSync(path.join(dir, 'out'));
  const old = path.join(dir, 'two.journal');
  for (const input of ['then\n', 'again\n']) {
    const rec = spawnSync(process.execPath, [BIN, 'run', STEPS, '--dir', `${dir}/out::/out`, '--fs', 'overlay', '--journal-writable', old], { input });
    assert.equal(rec.status, 0, rec.stderr.toString());
  }
  const before = fs.readFileSync(old);
  const c = new AdapterClient();
  c.startStdio();
  try {
    await restored(c, { program: STEPS, restoreFrom: old, restoreRun: 1, restoreAt: 0, dirs: [`${dir}/out::/out`] });
    // The first run's output, not the second's.
    assert.match(c.programOutput(), /step 5/);
    assert.doesNotMatch(c.programOutput(), /hello again/);
    assert.match((await c.pointVariables()).call ?? '', /^fd_read\(fd 0/);
    const branched = c.waitForEvent('stopped', 20000);
    await c.evaluateRequest({ expression: 'now', context: 'repl' });
    assert.match((await branched).body.description ?? '', /Branch 1/);
    assert.equal((await c.moved(() => c.continueRequest({ threadId: 1 }))).body.reason, 'exit');
    assert.match(c.programOutput(), /hello now\n$/);
    const branch = path.join(dir, 'two-branch-1.journal');
    const runs = spawnSync(process.execPath, [BIN, 'inspect', branch]).stdout.toString().match(/init-module/g) ?? [];
    assert.equal(runs.length, 1, 'the branch holds the first run, then what it did live');
    assert.equal(Buffer.compare(fs.readFileSync(old), before), 0);
  } finally {
    await c.close();
  }
  // The second run, post-mortem, sees the file the first run wrote (its start state is the first run's end).
  const a = new AdapterClient();
  a.startStdio();
  try {
    assert.equal((await attached(a, { journal: old, program: STEPS, run: 2, dirs: [`${dir}/out::/out`] })).body.reason, 'entry');
    assert.match(a.programOutput(), /hello again\n$/);
    assert.doesNotMatch(a.programOutput(), /hello then/);
  } finally {
    await a.close();
  }
});

test('dap: a breakpoint on a guest function; exportJournal compacted; a program that exhausts its memory', async () => {
  const dir = tempDir('wj-dap-');
  fs.mkdirSync(path.join(dir, 'out'));
  const c = new AdapterClient();
  c.startStdio();
  try {
    const first = c.waitForEvent('stopped', 30000);
    await launched(c, { program: STEPS, dirs: [`${dir}/out::/out`], stdin: 'x\n', journal: path.join(dir, 'j.journal'), autoSnapshots: false }, async () => {
      const r = await c.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'fgets' }] });
      assert.equal(r.body.breakpoints[0].verified, true);
    });
    // The first host call made with fgets on the stack: its read of stdin.
    const stop = (await first) as { body: { reason: string; description?: string } };
    assert.equal(stop.body.reason, 'function breakpoint');
    assert.match(stop.body.description ?? '', /Entered fgets/);
    assert.match((await c.pointVariables()).call, /^fd_read\(fd 0/);
    const st = await c.stackTraceRequest({ threadId: 1 });
    assert.ok(st.body.stackFrames.some((f) => f.name === 'fgets'));
    await c.setFunctionBreakpointsRequest({ breakpoints: [] });
    assert.equal((await c.moved(() => c.continueRequest({ threadId: 1 }))).body.reason, 'exit');
    const compacted = path.join(dir, 'compact.journal');
    const plain = path.join(dir, 'plain.journal');
    const a = (await c.customRequest('exportJournal', { path: compacted, compact: true })).body as { entries: number };
    const b = (await c.customRequest('exportJournal', { path: plain })).body as { entries: number };
    assert.ok(a.entries < b.entries, `${a.entries} < ${b.entries}`);
    assert.equal(spawnSync(process.execPath, [BIN, 'verify', compacted]).status, 0);
  } finally {
    await c.close();
  }
  const m = new AdapterClient();
  m.startStdio();
  try {
    const end = m.waitForEvent('stopped', 60000);
    await launched(m, { program: path.join(GUESTS, 'trap.wasm'), args: ['oom'], journal: path.join(dir, 'oom.journal') });
    assert.equal((await end).body.reason, 'exit');
    assert.match(m.programOutput(), /MiB/);
    await m.moved(() => m.stepBackRequest({ threadId: 1 }));
  } finally {
    await m.close();
  }
});

test('dap: a recording opened post-mortem puts each snapshot at the point the live session took it (also between calls that journal nothing)', async () => {
  const dir = tempDir('wj-dap-');
  fs.mkdirSync(path.join(dir, 'notes'));
  const journal = path.join(dir, 'notes.journal');
  const notes = path.join(ROOT, 'examples', 'guests', 'notes.wasm');
  const c = new AdapterClient();
  c.startStdio();
  let live: number[];
  try {
    // Snapshots every millisecond: some fall on the start-up's calls, which journal nothing (fd_prestat_get).
    const end = c.waitForEvent('stopped', 30000);
    await launched(c, { program: notes, args: ['x'], dirs: [`${dir}/notes::/notes`], journal, snapshotPeriod: 1 });
    assert.equal((await end).body.reason, 'exit');
    live = ((await c.customRequest('timeline', { count: 0 })).body as { snapshots: { point: number }[] }).snapshots.map((s) => s.point);
    assert.ok(live.length >= 2, `snapshots at ${live.join(', ')}`);
  } finally {
    await c.close();
  }
  const a = new AdapterClient();
  a.startStdio();
  try {
    await attached(a, { journal, program: notes, dirs: [`${dir}/notes::/notes`] });
    const post = ((await a.customRequest('timeline', { count: 0 })).body as { snapshots: { point: number }[] }).snapshots.map((s) => s.point);
    assert.deepEqual(post, live);
    // readMemory also says the memory's size (for a client paging through it), at the current point and another.
    for (const p of [live[1], live[0]]) {
      const r = (await a.customRequest('readMemory', { memoryReference: `mem@${p}`, offset: 0, count: 0 })).body as { size: number; data: string };
      assert.equal(r.data, '');
      assert.ok(r.size >= 65536 && r.size % 65536 === 0, `size ${r.size}`);
    }
  } finally {
    await a.close();
  }
});
