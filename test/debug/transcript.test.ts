// A golden transcript of the adapter's DAP traffic: a scripted session on steps.c (launch, the stop at its
// first-stdin snapshot, the Call Stack and every scope, Step Back, the timeline, memory, a diff, an export, on to the
// end), every message both ways as it passed on the wire, compared with test/fixtures/golden/dap-session.txt. It pins
// what clients see (capabilities, frames, scopes, variables, the custom requests' shapes, the order of events), so a
// change to any of it is seen in review; UPDATE_GOLDEN=1 rewrites it on purpose. What differs from run to run (the
// temporary folder, the repository's path, times, the journal's start time, an export's compressed size) is replaced by a
// name in angle brackets.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { AdapterClient, ROOT, Transcript } from '../helpers/dap';
import { checkGolden } from '../helpers/golden';
import { GUESTS } from '../helpers/guest';
import { tempDir } from '../helpers/tmp';

const STEPS = path.join(GUESTS, 'steps.wasm');

/** Fields whose values are times of this run. */
const TIME_KEYS = new Set(['timeMs', 'time', 'times', 'startTime']);

/** One line per message, with what changes from run to run named instead of shown. */
function renderTranscript(t: Transcript, places: Record<string, string>, upTo: number): string {
  const lines: string[] = [];
  for (const { dir, message } of t.messages.slice(0, upTo)) {
    const { seq: _seq, ...rest } = message as DebugProtocol.ProtocolMessage & Record<string, unknown>;
    // An export's size depends on the LZ4 implementation (native or JavaScript: both valid, not byte-equal).
    const body = rest.body as { bytes?: unknown } | undefined;
    if (rest.type === 'response' && rest.command === 'exportJournal' && body?.bytes !== undefined) body.bytes = '<size>';
    let text = JSON.stringify(rest, (key, value: unknown) => (TIME_KEYS.has(key) && (typeof value === 'number' || typeof value === 'string') ? '<time>' : value));
    for (const [place, name] of Object.entries(places)) text = text.split(place).join(name);
    // Times in text: a variable's value "12.3 ms", an ISO date (the run's start).
    text = text.replace(/\d+(?:\.\d+)? ms\b/g, '<ms> ms').replace(/\b\d+\.\d+ s\b/g, '<s> s').replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z/g, '<date>');
    lines.push(`${dir} ${text}`);
  }
  return lines.join('\n') + '\n';
}

test('a scripted session on steps.c: its DAP traffic matches the golden transcript', async () => {
  const dir = tempDir('wj-transcript-');
  const t = new Transcript();
  const c = new AdapterClient();
  let upTo = 0;
  c.startStdio(t);
  try {
    await c.initializeRequest({ adapterID: 'wasm-journal', clientID: 'golden', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path', supportsMemoryReferences: true });
    const initialized = c.waitForEvent('initialized', 20000);
    const atSnapshot = c.waitForEvent('stopped', 30000);
    await c.launchRequest({
      program: STEPS, stdin: 'ada\n', journal: path.join(dir, 'steps.journal'), dirs: [`${dir}::/out`], snapshotOn: ['first-stdin'],
      autoSnapshots: false, stopOnSnapshot: true,
    } as DebugProtocol.LaunchRequestArguments);
    await initialized;
    await c.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'fd_write', condition: 'fd == 2' }, { name: 'path_open', condition: 'path contains "nowhere"' }] });
    await c.configurationDoneRequest();
    const stop = (await atSnapshot) as DebugProtocol.StoppedEvent;
    assert.equal(stop.body.reason, 'snapshot');
    await c.threadsRequest();
    const st = await c.stackTraceRequest({ threadId: 1 });
    const scopes = await c.scopesRequest({ frameId: st.body.stackFrames[0].id });
    for (const s of scopes.body.scopes) if (s.variablesReference > 0) await c.variablesRequest({ variablesReference: s.variablesReference });
    // Back one point, to the log file's close before the read.
    await c.moved(() => c.stepBackRequest({ threadId: 1 }));
    const back = await c.stackTraceRequest({ threadId: 1 });
    const backScopes = await c.scopesRequest({ frameId: back.body.stackFrames[0].id });
    const point = backScopes.body.scopes.find((s) => s.name === 'Point')!;
    await c.variablesRequest({ variablesReference: point.variablesReference });
    await c.customRequest('timeline', { start: 0, count: 50 });
    const ref = await c.memoryRef();
    await c.readMemoryRequest(ref, 1024, 16);
    await c.customRequest('diffMemory', { from: 4, to: 16, bytes: false });
    await c.customRequest('exportJournal', { path: path.join(dir, 'fs.journal'), filter: ['fs'] });
    await c.moved(() => c.customRequest('travel', { point: 10 }));
    const end = await c.moved(() => c.continueRequest({ threadId: 1 }));
    assert.equal(end.body.reason, 'exit');
    await c.disconnectRequest({});
    // (What the client's close sends after it is not the session's.)
    upTo = t.messages.length;
  } finally {
    await c.close();
  }
  checkGolden('dap-session.txt', renderTranscript(t, { [dir]: '<tmp>', [ROOT]: '<repo>' }, upTo));
});
