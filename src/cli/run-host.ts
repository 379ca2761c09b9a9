// `run` puts the program on a worker thread, so this (main) thread stays free for the process's signals and the
// control channel (`wasm-journal signal PID NAME`): a signal with a snapshot trigger is left in a shared cell for
// the program's next WASI call; others act as they would on any process.

import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { raiseSignal, signalCell, SIGNAL_CODES, type SignalName } from '../runtime/signals';
import { TriggerState } from '../runtime/snapshot/triggers';
import type { Io } from './output';
import type { RunPlan } from './run-commands';

/** Where the control channel of process `pid` listens. */
export function controlSocket(pid: number): string {
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  return path.join(os.tmpdir(), `wasm-journal-${uid}`, `${pid}.sock`);
}

const PROCESS_SIGNALS: [NodeJS.Signals, SignalName][] = [
  ['SIGINT', 'sigint'],
  ['SIGALRM', 'sigalrm'],
  ['SIGTSTP', 'sigtstp'],
];

export async function runOnWorker(plan: RunPlan, io: Io): Promise<number> {
  io.out.flush();
  io.err.flush();
  const cell = signalCell();
  const handled = new Set(plan.snapshots ? TriggerState.handles(plan.snapshots.triggers) : []);
  const worker = new Worker(path.join(__dirname, 'run-worker.js'), { workerData: { plan, cell: cell.buffer } });

  // A signal with a trigger goes to the program; a second Ctrl+C while the first waits ends the process at once.
  const listeners: [NodeJS.Signals, () => void][] = [];
  let interrupts = 0;
  for (const [sig, name] of PROCESS_SIGNALS) {
    if (!handled.has(name)) continue;
    const f = (): void => {
      if (sig === 'SIGINT' && ++interrupts > 1) process.exit(130);
      raiseSignal(cell, name);
    };
    process.on(sig, f);
    listeners.push([sig, f]);
  }

  // The control channel: a line naming a signal (int, alrm, tstp, stop).
  const sockPath = controlSocket(process.pid);
  let server: net.Server | undefined;
  try {
    fs.mkdirSync(path.dirname(sockPath), { recursive: true, mode: 0o700 });
    fs.rmSync(sockPath, { force: true });
    server = net.createServer((c) => {
      let line = '';
      c.on('data', (d) => {
        line += d.toString();
        if (!line.includes('\n')) return;
        const word = line.trim().toLowerCase().replace(/^sig/, '');
        const name = (`sig${word}` in SIGNAL_CODES ? `sig${word}` : undefined) as SignalName | undefined;
        if (!name) {
          c.end(`unknown signal "${word}" (int, alrm, tstp, stop)\n`);
          return;
        }
        if (handled.has(name)) raiseSignal(cell, name);
        else if (name === 'sigstop') process.kill(process.pid, 'SIGSTOP');
        else process.kill(process.pid, name.toUpperCase() as NodeJS.Signals);
        c.end('ok\n');
      });
    });
    server.on('error', () => undefined);
    server.listen(sockPath);
    server.unref();
  } catch {
    server = undefined; // no control channel (a read-only temp folder): signals still work
  }

  try {
    return await new Promise<number>((resolve) => {
      worker.on('message', (m: { exitCode: number }) => resolve(m.exitCode));
      worker.on('error', (e) => {
        io.err.line(`wasm-journal: internal error: ${e.stack ?? e.message}`);
        resolve(70);
      });
      worker.on('exit', (code) => resolve(code === 0 ? 0 : 70));
    });
  } finally {
    for (const [sig, f] of listeners) process.off(sig, f);
    server?.close();
    fs.rmSync(sockPath, { force: true });
  }
}
