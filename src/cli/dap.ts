// `wasm-journal dap`: the time-travel Debug Adapter (src/debug) for any editor: on stdin/stdout, or on a TCP port
// of 127.0.0.1 (one debug session per connection).

import * as net from 'node:net';
import { WasmJournalDebugSession } from '../debug/adapter';
import { UsageError, type ParsedArgs } from './args';
import type { Command } from './journal-commands';
import type { Io } from '../runtime';

/** A fault of the adapter's own (never the guest's: that runs on its own thread) is reported, not fatal. */
function keepAlive(io: Io): void {
  process.on('uncaughtException', (e) => io.err.line(`wasm-journal dap: internal error (the adapter goes on): ${e.stack ?? e.message}`));
  process.on('unhandledRejection', (e) => io.err.line(`wasm-journal dap: internal error (the adapter goes on): ${(e as Error)?.stack ?? String(e)}`));
}

export const dapCommand: Command = {
  spec: {
    name: 'dap',
    summary: 'Serve the time-travel Debug Adapter (DAP) on stdio, or on a port of 127.0.0.1.',
    positionals: [],
    options: [{ name: 'port', type: 'number', value: 'N', help: 'listen on 127.0.0.1:N (0: any free port, printed on stderr) instead of stdio' }],
    details: [
      'The launch and attach attributes, the custom requests (timeline, travel, diffMemory, exportJournal) and the',
      'stops are described in docs/debugging.md. VS Code runs this adapter by itself; other editors start it here.',
    ],
  },
  run: (args: ParsedArgs, io: Io): Promise<number> => {
    const portArg = args.values.get('port')?.[0];
    keepAlive(io);
    if (portArg === undefined) {
      const session = new WasmJournalDebugSession();
      session.start(process.stdin, process.stdout);
      return new Promise((resolve) => {
        process.stdin.on('end', () => void session.dispose().then(() => resolve(0)));
      });
    }
    const port = Number(portArg);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port ${portArg}: expected a port number (0-65535)`);
    return new Promise((resolve) => {
      const server = net.createServer((socket) => {
        const session = new WasmJournalDebugSession();
        session.setRunAsServer(true);
        session.start(socket, socket);
        socket.on('error', () => socket.destroy());
        socket.on('close', () => void session.dispose());
      });
      server.on('error', (e) => {
        io.err.line(`wasm-journal dap: cannot listen on 127.0.0.1:${port}: ${e.message}`);
        resolve(1);
      });
      server.listen(port, '127.0.0.1', () => {
        const a = server.address() as net.AddressInfo;
        io.err.line(`wasm-journal dap: listening on 127.0.0.1:${a.port}`);
        io.err.flush();
      });
    });
  },
};
