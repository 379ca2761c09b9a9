// Loopback helpers for the socket tests: a free port, and the programs a test starts, stopped when the file ends.

import { after } from 'node:test';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as net from 'node:net';

export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const started: ChildProcessWithoutNullStreams[] = [];
after(() => {
  for (const c of started) if (c.exitCode === null) c.kill('SIGKILL');
});

/** `node BIN ...args`, killed at the end of the test file if it is still running (a failed test, say). */
export function startCli(bin: string, args: string[]): ChildProcessWithoutNullStreams {
  const c = spawn(process.execPath, [bin, ...args]);
  started.push(c);
  return c;
}
