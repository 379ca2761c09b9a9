// A real DAP client (@vscode/debugadapter-testsupport's DebugClient) on the built adapter: `wasm-journal dap` as a
// child process, over its stdin/stdout or over a TCP port.

import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';

export const ROOT = path.join(__dirname, '..', '..', '..');
/** The CLI that serves the adapter: the compiled sources, or WJ_DAP_BIN (CI runs the bundle, dist/cli.js, too). */
export const BIN = process.env.WJ_DAP_BIN ? path.resolve(process.env.WJ_DAP_BIN) : path.join(ROOT, 'out', 'src', 'cli', 'bin.js');

export class AdapterClient extends DebugClient {
  child: ChildProcess | undefined;
  stderr = '';
  readonly outputs: DebugProtocol.OutputEvent[] = [];

  /** `bin`: the CLI to serve the adapter (default BIN). */
  constructor(private readonly bin = BIN) {
    super('node', bin, 'wasm-journal');
    this.on('output', (e: DebugProtocol.OutputEvent) => this.outputs.push(e));
  }

  /** `wasm-journal dap` on stdio; with a transcript, every message both ways is put in it as it passes. */
  startStdio(transcript?: Transcript, env?: Record<string, string>): void {
    const child = spawn(process.execPath, [this.bin, 'dap'], { stdio: ['pipe', 'pipe', 'pipe'], env: env ? { ...process.env, ...env } : process.env });
    child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.child = child;
    if (transcript) {
      const fromAdapter = transcript.reader('<-');
      child.stdout!.on('data', (d: Buffer) => fromAdapter(d));
      const toAdapter = transcript.reader('->');
      const write = child.stdin!.write.bind(child.stdin!) as (chunk: unknown, ...rest: unknown[]) => boolean;
      child.stdin!.write = ((chunk: unknown, ...rest: unknown[]) => {
        toAdapter(Buffer.from(chunk as string | Uint8Array));
        return write(chunk, ...rest);
      }) as typeof child.stdin.write;
    }
    this.connect(child.stdout!, child.stdin!);
  }

  /** `wasm-journal dap --port 0`, then a connection to the port it prints. */
  async startPort(): Promise<number> {
    const child = spawn(process.execPath, [this.bin, 'dap', '--port', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    const port = await new Promise<number>((resolve, reject) => {
      child.stderr!.on('data', (d: Buffer) => {
        this.stderr += d.toString();
        const m = /listening on 127\.0\.0\.1:(\d+)/.exec(this.stderr);
        if (m) resolve(Number(m[1]));
      });
      child.on('exit', (code) => reject(new Error(`the adapter exited (${code}): ${this.stderr}`)));
    });
    await this.start(port);
    return port;
  }

  /** The stdout text the program wrote, in order. */
  programOutput(): string {
    return this.outputs.filter((o) => o.body.category === 'stdout').map((o) => o.body.output).join('');
  }

  async close(): Promise<void> {
    try {
      await Promise.race([this.disconnectRequest({}), new Promise((r) => setTimeout(r, 3000))]);
    } catch {
      // already gone
    }
    await this.stop().catch(() => undefined);
    this.child?.kill();
  }

  /**
   * Starts a session the way VS Code does: initialize (unless `initialize: false`: the test did it), launch (or attach),
   * wait for `initialized`, run `before` (breakpoints, say), configurationDone.
   */
  async launchProgram(args: Record<string, unknown>, opts: { attach?: boolean; initialize?: boolean; before?: () => Promise<unknown> } = {}): Promise<void> {
    if (opts.initialize !== false) await this.initializeRequest({ adapterID: 'wasm-journal', pathFormat: 'path' });
    const initialized = this.waitForEvent('initialized', 20000);
    await (opts.attach ? this.attachRequest(args as never) : this.launchRequest(args as never));
    await initialized;
    await opts.before?.();
    await this.configurationDoneRequest();
  }

  /** Sends a request that moves the program and waits for the stop it ends in. */
  async moved(send: () => Promise<unknown>): Promise<DebugProtocol.StoppedEvent> {
    const [, stopped] = await Promise.all([send(), this.waitForEvent('stopped', 20000)]);
    return stopped as DebugProtocol.StoppedEvent;
  }

  /** The Point scope's variables of the top frame, by name. */
  async pointVariables(): Promise<Record<string, string>> {
    const st = await this.stackTraceRequest({ threadId: 1 });
    const scopes = await this.scopesRequest({ frameId: st.body.stackFrames[0].id });
    const point = scopes.body.scopes.find((s) => s.name === 'Point')!;
    const vars = await this.variablesRequest({ variablesReference: point.variablesReference });
    return Object.fromEntries(vars.body.variables.map((v) => [v.name, v.value]));
  }

  async memoryRef(): Promise<string> {
    const st = await this.stackTraceRequest({ threadId: 1 });
    const scopes = await this.scopesRequest({ frameId: st.body.stackFrames[0].id });
    const mem = scopes.body.scopes.find((s) => s.name === 'Memory')!;
    const vars = await this.variablesRequest({ variablesReference: mem.variablesReference });
    return vars.body.variables[0].memoryReference!;
  }

  async readU32(ref: string, address: number): Promise<number> {
    const r = await this.readMemoryRequest(ref, address, 4);
    return Buffer.from(r.body!.data!, 'base64').readUInt32LE(0);
  }

  async readU64(ref: string, address: number): Promise<bigint> {
    const r = await this.readMemoryRequest(ref, address, 8);
    return Buffer.from(r.body!.data!, 'base64').readBigUInt64LE(0);
  }

  /** Waits (up to 10 s) until the program's output matches `re`. */
  async waitForOutput(re: RegExp): Promise<void> {
    for (let i = 0; i < 500 && !re.test(this.programOutput()); i++) await new Promise((r) => setTimeout(r, 20));
    if (!re.test(this.programOutput())) throw new Error(`the program's output never matched ${re}: ${JSON.stringify(this.programOutput())}`);
  }

  readMemoryRequest(memoryReference: string, offset: number, count: number): Promise<DebugProtocol.ReadMemoryResponse> {
    return this.send('readMemory', { memoryReference, offset, count }) as Promise<DebugProtocol.ReadMemoryResponse>;
  }
}

/** The DAP messages of a session in the order they passed (either way), read from the wire's framing. */
export class Transcript {
  readonly messages: { dir: '->' | '<-'; message: DebugProtocol.ProtocolMessage }[] = [];

  /** A reader of one direction's bytes: `Content-Length` headers, then a JSON body. */
  reader(dir: '->' | '<-'): (chunk: Buffer) => void {
    let pending = Buffer.alloc(0);
    return (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        const head = pending.indexOf('\r\n\r\n');
        if (head < 0) return;
        const m = /Content-Length: (\d+)/i.exec(pending.subarray(0, head).toString());
        if (!m) throw new Error(`a DAP message without Content-Length: ${pending.subarray(0, head).toString()}`);
        const end = head + 4 + Number(m[1]);
        if (pending.length < end) return;
        this.messages.push({ dir, message: JSON.parse(pending.subarray(head + 4, end).toString()) as DebugProtocol.ProtocolMessage });
        pending = pending.subarray(end);
      }
    };
  }
}
