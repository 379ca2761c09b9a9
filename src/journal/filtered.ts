// The filtered journal: drops kinds of entries (by category switch, see entries.ts) and keeps only whitelisted entry
// indices, in both directions: on write (before the inner journal) and on read (from it).

import { entryFd, kindOf, type JournalEntry } from './entries';
import { NO_OFFSETS, WrappingJournal, type Journal, type LogRecord, type WriteResult } from './journal';

export interface FilterConfig {
  memory?: boolean;
  threads?: boolean;
  fs?: boolean;
  /** Descriptor operations on fds 0-2 (terminal text, stdin). */
  stdio?: boolean;
  core?: boolean;
  snapshots?: boolean;
  networking?: boolean;
  /** The program's recorded inputs (clock readings, random bytes, stdin, host file-system results). */
  inputs?: boolean;
  /** When set, only entries whose index (position among all entries seen) is listed pass. */
  onlyIndices?: ReadonlySet<number>;
}

export const FILTER_NAMES = ['memory', 'threads', 'fs', 'stdio', 'core', 'snapshots', 'networking', 'inputs'] as const;
export type FilterName = (typeof FILTER_NAMES)[number];

/** The CLI's short names and their aliases (Wasmer's, plus stdio). */
export const FILTER_ALIASES: Readonly<Record<string, FilterName>> = {
  mem: 'memory', memory: 'memory',
  thread: 'threads', threads: 'threads',
  fs: 'fs', file: 'fs', filesystem: 'fs', 'file-system': 'fs',
  stdio: 'stdio', terminal: 'stdio',
  core: 'core',
  snap: 'snapshots', snapshot: 'snapshots', snapshots: 'snapshots',
  net: 'networking', network: 'networking', networking: 'networking',
  inputs: 'inputs', input: 'inputs', nondet: 'inputs', 'non-deterministic': 'inputs',
};

/** True when the config lets the entry through (ignoring the index whitelist). */
export function passesFilter(config: FilterConfig, e: JournalEntry): boolean {
  const k = kindOf(e);
  switch (k.category) {
    case 'ethereal':
      return true;
    case 'core':
      return !config.core;
    case 'threads':
      return !config.threads;
    case 'memory':
      return !config.memory;
    case 'snapshots':
      return !config.snapshots;
    case 'networking':
      return !config.networking;
    case 'inputs':
      return !config.inputs;
    case 'fs-path':
      return !config.fs;
    case 'fs-fd': {
      const fd = entryFd(e);
      if (config.stdio && fd !== undefined && fd <= 2) return false;
      return !config.fs;
    }
  }
}

export class FilteredJournal extends WrappingJournal {
  private writeIndex = 0;
  private readIndex = 0;
  private passedIndex = 0;

  constructor(
    inner: Journal,
    private readonly config: FilterConfig,
  ) {
    super(inner);
  }

  private passes(e: JournalEntry, index: number): boolean {
    if (this.config.onlyIndices && !this.config.onlyIndices.has(index)) return false;
    return passesFilter(this.config, e);
  }

  override write(entry: JournalEntry): WriteResult {
    const index = this.writeIndex++;
    if (!this.passes(entry, index)) return NO_OFFSETS;
    return this.inner.write(entry);
  }

  override read(): LogRecord | undefined {
    for (;;) {
      const r = this.inner.read();
      if (!r) return undefined;
      const index = this.readIndex++;
      if (this.passes(r.entry, index)) return { ...r, index: this.passedIndex++ };
    }
  }
  override restart(): void {
    this.inner.restart();
    this.readIndex = 0;
    this.passedIndex = 0;
  }
}
