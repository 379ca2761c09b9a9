// Pausing a guest that computes without host calls: the guest worker cannot be asked anything while it runs wasm, so
// the session pauses its V8 through node:inspector (NodeWorker -> Debugger.pause), which lists the wasm frames, and
// reads the paused worker's memory with Runtime.evaluate of a function the worker exposes. (Runtime.terminateExecution
// is not used: on Node 20 it corrupts the worker's async hooks; and a worker paused in the debugger cannot be
// terminated before it is resumed.)

import * as inspector from 'node:inspector';
import type { StackFrameInfo } from './protocol';

interface CdpMessage {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
}

interface CallFrame {
  functionName: string;
  url: string;
  location: { scriptId: string; lineNumber: number; columnNumber: number };
}

export class WorkerInspector {
  private readonly session = new inspector.Session();
  private sessionId: string | undefined;
  private nextId = 1;
  private readonly waiting = new Map<number, (m: CdpMessage) => void>();
  private pausedWaiter: ((frames: CallFrame[]) => void) | undefined;
  private readonly wasmScripts = new Set<string>();
  private enabled = false;
  paused = false;

  constructor(private readonly threadId: number) {}

  private async attach(): Promise<void> {
    if (this.sessionId) return;
    this.session.connect();
    const attached = new Promise<void>((resolve) => {
      this.session.on('NodeWorker.attachedToWorker', (m) => {
        const p = m.params as { sessionId: string; workerInfo: { workerId: string; title: string } };
        // The inspector numbers workers its own way; the title names the thread ("[worker 3]").
        if (/\[worker (\d+)\]/.exec(p.workerInfo.title)?.[1] === String(this.threadId)) {
          this.sessionId = p.sessionId;
          resolve();
        }
      });
    });
    this.session.on('NodeWorker.receivedMessageFromWorker', (m) => {
      const p = m.params as { sessionId: string; message: string };
      if (p.sessionId !== this.sessionId) return;
      const msg = JSON.parse(p.message) as CdpMessage;
      if (msg.id !== undefined) {
        const w = this.waiting.get(msg.id);
        this.waiting.delete(msg.id);
        w?.(msg);
      } else if (msg.method === 'Debugger.paused') {
        this.paused = true;
        this.pausedWaiter?.((msg.params as { callFrames: CallFrame[] }).callFrames);
        this.pausedWaiter = undefined;
      } else if (msg.method === 'Debugger.resumed') {
        this.paused = false;
      } else if (msg.method === 'Debugger.scriptParsed') {
        const s = msg.params as { scriptId: string; url: string };
        if (s.url.startsWith('wasm://')) this.wasmScripts.add(s.scriptId);
      }
    });
    await new Promise<void>((resolve, reject) => this.session.post('NodeWorker.enable', { waitForDebuggerOnStart: false }, (e) => (e ? reject(e) : resolve())));
    await attached;
  }

  private send(method: string, params: Record<string, unknown> = {}): Promise<CdpMessage> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, (m) => (m.error ? reject(new Error(`${method}: ${m.error.message}`)) : resolve(m)));
      this.session.post('NodeWorker.sendMessageToWorker', { sessionId: this.sessionId, message: JSON.stringify({ id, method, params }) });
    });
  }

  /** Where the last pause stopped: in the module's code (not in the runtime's JavaScript). */
  inWasm = false;

  /** Pauses the worker where it is; the wasm frames, innermost first. */
  async pause(): Promise<StackFrameInfo[]> {
    await this.attach();
    if (!this.enabled) {
      await this.send('Debugger.enable');
      this.enabled = true;
    }
    const frames = new Promise<CallFrame[]>((resolve) => (this.pausedWaiter = resolve));
    await this.send('Debugger.pause');
    const cf = await frames;
    const isWasm = (f: CallFrame): boolean => this.wasmScripts.has(f.location.scriptId) || f.functionName.startsWith('$');
    this.inWasm = cf.length > 0 && isWasm(cf[0]);
    return cf
      .filter(isWasm)
      .map((f) => {
        const name = f.functionName.replace(/^\$/, '');
        const m = /^wasm-function\[(\d+)\]$/.exec(name);
        return { name: name || 'wasm-function', func: m ? Number(m[1]) : -1, offset: f.location.columnNumber };
      });
  }

  /** Evaluates an expression in the paused worker; its value (JSON-able). */
  async evaluate(expression: string): Promise<unknown> {
    const r = await this.send('Runtime.evaluate', { expression, returnByValue: true });
    const res = r.result as { result?: { value?: unknown }; exceptionDetails?: { text?: string } };
    if (res.exceptionDetails) throw new Error(`the paused program could not be read: ${res.exceptionDetails.text ?? 'an exception'}`);
    return res.result?.value;
  }

  async resume(): Promise<void> {
    if (!this.paused) return;
    await this.send('Debugger.resume');
    this.paused = false;
  }

  disconnect(): void {
    try {
      this.session.disconnect();
    } catch {
      // already gone
    }
  }
}
