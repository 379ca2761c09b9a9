// Types of scripts/code-server.mjs, for the end-to-end tests (TypeScript) that import it.
import type { ChildProcess } from 'node:child_process';

export const ROOT: string;
export const CODE_SERVER_VERSION: string;
export const CODE_SERVER_BIN: string;
export function ensureCodeServer(): string;
export interface CodeServer {
  url: string;
  port: number;
  pid: number;
  child: ChildProcess;
  stop(): void;
  log(): string;
}
export function startCodeServer(options?: { workspace?: string; port?: number; profile?: string; fresh?: boolean; settings?: Record<string, unknown>; vsix?: string }): Promise<CodeServer>;
