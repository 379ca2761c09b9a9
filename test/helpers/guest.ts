// Running guest programs (test/fixtures/guests/*.wasm) in-process, with captured output, for the runtime tests.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { MemoryJournal, type Journal, type JournalEntry } from '../../src/journal';
import { loadModule, type LoadedModule } from '../../src/runtime/module';
import { CapturedTerminal, runProgram, type RunResult } from '../../src/runtime/runtime';
import { sinkFor } from '../../src/runtime/process';
import { LiveWorld, RecordingWorld, type FsMode, type MountSpec } from '../../src/runtime/world';

export const GUESTS = path.resolve(__dirname, '..', '..', '..', 'test', 'fixtures', 'guests');

const cache = new Map<string, LoadedModule>();

export async function guest(name: string): Promise<LoadedModule> {
  const file = name.includes('/') ? name : path.join(GUESTS, `${name}.wasm`);
  let m = cache.get(file);
  if (!m) {
    m = await loadModule(fs.readFileSync(file), file);
    cache.set(file, m);
  }
  return m;
}

export interface GuestRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  result: RunResult;
  journal: Journal;
  entries: JournalEntry[];
}

export interface GuestOptions {
  args?: string[];
  env?: string[];
  dirs?: MountSpec[];
  fs?: FsMode;
  /** A file whose contents are the program's stdin (default: an empty one). */
  stdin?: string;
  journal?: Journal;
  restore?: JournalEntry[];
  skipJournalStdio?: boolean;
  force?: boolean;
  allowUnknownImports?: boolean;
}

const EMPTY_INPUT = '/dev/null';

/** Runs a guest with journaling into a MemoryJournal (or the given journal). */
export async function runGuest(name: string, o: GuestOptions = {}): Promise<GuestRun> {
  const module = await guest(name);
  const journal = o.journal ?? new MemoryJournal();
  const stdinFd = fs.openSync(o.stdin ?? EMPTY_INPUT, 'r');
  const terminal = new CapturedTerminal();
  try {
    const live = new LiveWorld([`${path.basename(module.path)}`, ...(o.args ?? [])], o.env ?? [], o.fs ?? 'host', o.dirs ?? [], stdinFd);
    const sink = sinkFor(journal);
    const world = new RecordingWorld(live, (e) => sink.write(e));
    const result = await runProgram({
      module,
      world,
      sink,
      terminal,
      restore: o.restore,
      skipJournalStdio: o.skipJournalStdio,
      force: o.force,
      allowUnknownImports: o.allowUnknownImports,
    });
    const entries = journal instanceof MemoryJournal ? [...journal.all()] : [];
    return { exitCode: result.exitCode, stdout: terminal.text(1), stderr: terminal.text(2), result, journal, entries };
  } finally {
    fs.closeSync(stdinFd);
  }
}

/** Every file under a host folder with its contents (symlinks as `-> target`), for comparing trees. */
export function treeOf(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string): void => {
    for (const name of fs.readdirSync(d).sort()) {
      const p = path.join(d, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = fs.lstatSync(p);
      if (st.isSymbolicLink()) out[r] = `-> ${fs.readlinkSync(p)}`;
      else if (st.isDirectory()) {
        out[r + '/'] = '';
        walk(p, r);
      } else out[r] = fs.readFileSync(p, 'latin1');
    }
  };
  walk(dir, '');
  return out;
}
