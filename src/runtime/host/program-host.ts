// A program run off the caller's thread: the worker it runs on, the cell where signals for it are left (a signal with
// a snapshot trigger takes effect at the program's next WASI call), and the control channel through which
// `wasm-journal signal PID NAME` reaches it. What the host process does with the rest (a signal without a trigger, a
// suspension after a stop snapshot) is its caller's decision: `run` stops itself; a library would not.

import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { raiseSignal, signalCell, SIGNAL_CODES, type SignalName } from '../signals';
import { TriggerState } from '../snapshot/triggers';
import type { RunPlan } from './plan';
import { takePrestarted, workerFile } from '../prestart';
import { HOST_CELLS, HostCell, type RunWorkerCommand, type RunWorkerData, type RunWorkerEvent } from './protocol';

/** Where the control channel of process `pid` listens. */
export function controlSocket(pid: number, platform: NodeJS.Platform = process.platform): string {
  // Windows has no Unix sockets in the file system: a named pipe.
  if (platform === 'win32') return `\\\\.\\pipe\\wasm-journal-${pid}`;
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  return path.join(os.tmpdir(), `wasm-journal-${uid}`, `${pid}.sock`);
}

/** The worker a ProgramHost runs the program on. */
export function runWorkerFile(): string {
  return workerFile('run-worker.js', 'host');
}

export interface ProgramHostEvents {
  /** The program ended; the process's exit status. */
  exit: [number];
  /** A stop snapshot was taken: the program waits until resume(). */
  suspend: [];
  /** A signal arrived (by the control channel) that no snapshot trigger takes. */
  unhandled: [SignalName];
  /** The worker failed (a bug): the message. */
  failed: [string];
}

export class ProgramHost extends EventEmitter<ProgramHostEvents> {
  /** The signals the program's snapshot triggers take. */
  readonly handled: ReadonlySet<SignalName>;
  private readonly cell = signalCell();
  private readonly control = new Int32Array(new SharedArrayBuffer(HOST_CELLS * 4));
  private worker: Worker | undefined;
  private server: net.Server | undefined;
  private socketPath: string | undefined;

  constructor(private readonly plan: RunPlan) {
    super();
    this.handled = new Set(plan.snapshots ? TriggerState.handles(plan.snapshots.triggers) : []);
  }

  /** Starts the program; resolves with the exit status (70 when the worker failed). */
  start(): Promise<number> {
    const data: RunWorkerData = { plan: this.plan, signals: this.cell.buffer as SharedArrayBuffer, control: this.control.buffer as SharedArrayBuffer };
    // A worker started early (prestart.ts) has loaded meanwhile: it gets the plan now.
    const file = runWorkerFile();
    const early = takePrestarted(file);
    const worker = early?.worker ?? new Worker(file, { workerData: data });
    if (early) worker.postMessage({ type: 'start', data } satisfies RunWorkerCommand);
    this.worker = worker;
    return new Promise<number>((resolve) => {
      if (early?.failure) {
        this.emit('failed', early.failure.stack ?? early.failure.message);
        resolve(70);
      }
      worker.on('message', (m: RunWorkerEvent) => {
        if (m.type === 'suspend') {
          if (this.listenerCount('suspend') > 0) this.emit('suspend');
          else this.resume();
        } else if (m.type === 'exit') resolve(m.exitCode);
      });
      worker.on('error', (e) => {
        this.emit('failed', e.stack ?? e.message);
        resolve(70);
      });
      worker.on('exit', (code) => resolve(code === 0 ? 0 : 70));
    }).finally(() => this.closeControl());
  }

  /** A signal for the program: one with a snapshot trigger is left for its next call; others are `unhandled`. */
  signal(name: SignalName): void {
    if (this.handled.has(name)) raiseSignal(this.cell, name);
    else this.emit('unhandled', name);
  }

  /** After a suspension: the program goes on. */
  resume(): void {
    Atomics.add(this.control, HostCell.Resume, 1);
    Atomics.notify(this.control, HostCell.Resume);
  }

  async terminate(): Promise<void> {
    this.closeControl();
    await this.worker?.terminate();
  }

  /** The control channel at `socketPath`: a line naming a signal (int, alrm, tstp, stop). */
  listenControl(socketPath: string): void {
    try {
      if (!socketPath.startsWith('\\\\.\\pipe\\')) {
        fs.mkdirSync(path.dirname(socketPath), { recursive: true, mode: 0o700 });
        fs.rmSync(socketPath, { force: true });
      }
      const server = net.createServer((c) => {
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
          this.signal(name);
          c.end('ok\n');
        });
      });
      server.on('error', () => undefined);
      server.listen(socketPath);
      server.unref();
      this.server = server;
      this.socketPath = socketPath;
    } catch {
      // no control channel (a read-only temp folder): signals still work
    }
  }

  private closeControl(): void {
    this.server?.close();
    this.server = undefined;
    if (this.socketPath) fs.rmSync(this.socketPath, { force: true });
    this.socketPath = undefined;
  }
}
