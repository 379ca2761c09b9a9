// Running a program as `wasm-journal run` asks: the plan (everything the command line said, checked), and its
// execution: reading the module, choosing an indexed or a full resume, opening the journals, the live and recording
// worlds, and what the user is told at the end. The CLI plans; a ProgramHost runs the plan on a worker thread.

import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  CompactingLogFileJournal, LogFileJournal, readAll, type Journal, type JournalEntry, type LogRecord, type SyncPolicy,
} from '../../journal';
import { RuntimeError } from '../errors';
import { loadModule, type LoadedModule } from '../module';
import { sinkFor, type Terminal } from '../process';
import { runProgram, type RunResult } from '../runtime';
import { indexedResume, type IndexedResume } from '../snapshot/indexed-resume';
import type { SnapshotOptions } from '../snapshot/triggers';
import { LiveWorld, NetPolicy, RecordingWorld, type FsMode, type MountSpec, type TtyInfo } from '../world';
import { ClosedPipe, type Io } from './fd-writer';
import { openJournal, reportScanEnd, reportTail } from './journal-io';

/** The guest's stdout and stderr, through the CLI's own writers (which survive full and closed pipes). */
export function ioTerminal(io: Io): Terminal {
  return {
    write(stream, data) {
      try {
        (stream === 1 ? io.out : io.err).writeBytes(data);
        return true;
      } catch (e) {
        // A closed pipe, or a full or failing device: the program's write fails (EPIPE), the run goes on.
        if (e instanceof ClosedPipe || (e as NodeJS.ErrnoException).code !== undefined) return false;
        throw e;
      }
    },
  };
}

/** Reads and compiles a module (`lazy`: see loadModule), with a clear error for a file that is missing or unreadable. */
export async function readModule(file: string, opts: { lazy?: boolean } = {}): Promise<LoadedModule> {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new RuntimeError('bad-option', `${file}: cannot read the module: ${why}`);
  }
  return loadModule(bytes, file, opts);
}

/**
 * A folder for the guest, `HOST[::GUEST]`: the guest path defaults to the host path as given (relative ones under
 * `/`); HOST is resolved from `cwd`. Throws RuntimeError('bad-option') saying what is wrong with it.
 */
export function parseMount(spec: string, cwd = process.cwd()): MountSpec {
  const i = spec.indexOf('::');
  const host = i < 0 ? spec : spec.slice(0, i);
  let guest = i < 0 ? spec : spec.slice(i + 2);
  if (host === '' || guest === '') throw new RuntimeError('bad-option', 'expected HOST or HOST::GUEST');
  if (!guest.startsWith('/')) guest = guest === '.' ? '/' : '/' + guest.replace(/^\.\//, '');
  const abs = path.resolve(cwd, host);
  let st: fs.Stats;
  try {
    st = fs.statSync(abs);
  } catch {
    throw new RuntimeError('bad-option', `${host} does not exist`);
  }
  if (!st.isDirectory()) throw new RuntimeError('bad-option', `${host} is not a directory`);
  return { host: abs, guest: guest.length > 1 ? guest.replace(/\/+$/, '') : guest };
}

/** Every record of a journal, saying so when its tail is torn (a write was interrupted). */
export function readJournalRecords(file: string, io: Io): LogRecord[] {
  const j = openJournal(file, io);
  try {
    const records = [...readAll(j)];
    reportTail(j, io);
    return records;
  } finally {
    j.close();
  }
}

export function readJournalEntries(file: string, io: Io): JournalEntry[] {
  return readJournalRecords(file, io).map((r) => r.entry);
}

/** Tells how a run ended (a trap, an exit code that is not a status); returns the process's exit status. */
export function reportEnd(name: string, module: string, r: RunResult, io: Io): number {
  if (r.trap !== undefined) {
    io.err.line(`wasm-journal ${name}: ${module} trapped: ${r.trap}`);
  }
  if (r.exitCode > 255) {
    // An exit status has 8 bits; wasmtime refuses these too.
    io.err.line(`wasm-journal ${name}: ${module} exited with ${r.exitCode}, which is not an exit status (0-255)`);
    return 1;
  }
  return r.exitCode;
}

/** Everything `run` was asked to do, checked, in a form that can be handed to the worker thread. */
export interface RunPlan {
  file: string;
  /** The terminal the program sees (the CLI's own descriptors). */
  tty: TtyInfo;
  guestArgs: string[];
  mounts: MountSpec[];
  env: string[];
  fsMode: FsMode;
  growth: string | undefined;
  sync: SyncPolicy;
  snapshots: SnapshotOptions | undefined;
  at: number | undefined;
  journals: string[];
  writable: string | undefined;
  listeners: string[];
  /** Where the program's own sockets may bind and connect besides loopback (`--net`). */
  net: string[];
  skipJournalStdio: boolean;
  force: boolean;
  allowUnknownImports: boolean;
  enableCompaction: boolean;
}

/**
 * Runs a plan on this thread; `signals` is where the host leaves signals for the program; `onSuspend` is what a stop
 * snapshot (Ctrl+Z, `signal PID stop`) does afterwards (the CLI stops its process; without it the program goes on).
 */
export async function executePlan(plan: RunPlan, io: Io, signals?: Int32Array, onSuspend?: () => void): Promise<number> {
  const { file, growth, sync } = plan;
  const module = await readModule(file, { lazy: true });
  // One journal to restore from: a snapshot to resume is gathered through its snapshot index (only the records that
  // make up its state are read); otherwise every entry is read and restored.
  const single = plan.writable ? (plan.journals.length === 0 ? plan.writable : undefined) : plan.journals.length === 1 ? plan.journals[0] : undefined;
  const resumeFrom = (): IndexedResume | undefined => {
    const r = single !== undefined && fs.existsSync(single) ? indexedResume(single, plan.at) : undefined;
    // Without a snapshot to resume, every entry is read, and that read reports a torn tail.
    if (r) reportScanEnd(single!, r.scan, io);
    return r;
  };
  let indexed = plan.writable ? undefined : resumeFrom();
  // Restore sources: the read-only journals in order, then what the writable one already holds.
  const readOnly = indexed ? indexed.effects : plan.journals.flatMap((j) => readJournalEntries(j, io));
  let journal: Journal | undefined;
  let restore = readOnly;
  // A journal this run creates is removed again when the module turns out not to compile (it holds nothing then).
  const creates = plan.writable !== undefined && !fs.existsSync(plan.writable);
  if (plan.writable) {
    journal =
      plan.enableCompaction || growth !== undefined
        ? new CompactingLogFileJournal(plan.writable, { sync, growthFactor: growth === undefined ? undefined : Number(growth), compactOnClose: plan.enableCompaction })
        : LogFileJournal.openAppend(plan.writable, { sync, background: true });
    // Opened (a torn tail cut off): now its index can be trusted to match what the run appends to.
    indexed = resumeFrom();
    const own = indexed ? indexed.effects : [...readAll(journal)].map((r) => r.entry);
    // The writable journal alone must restore what this run started from: copy the read-only journals into it.
    for (const e of readOnly) journal.write(e);
    restore = [...own, ...readOnly];
  }
  const live = new LiveWorld(plan.guestArgs, plan.env, plan.fsMode, plan.mounts, 0, plan.listeners, signals, {
    tty: plan.tty,
    net: new NetPolicy(plan.net),
    notice: (m) => io.err.line(`wasm-journal: ${m}`),
  });
  const sink = journal ? sinkFor(journal) : undefined;
  const world = sink ? new RecordingWorld(live, (e) => sink.write(e)) : live;
  let result: RunResult;
  try {
    result = await runProgram({
      module,
      world,
      sink,
      terminal: ioTerminal(io),
      restore,
      skipJournalStdio: plan.skipJournalStdio,
      force: plan.force,
      allowUnknownImports: plan.allowUnknownImports,
      snapshots: plan.snapshots ? { ...plan.snapshots, signals } : undefined,
      resumeAt: plan.at,
      resumeFrom: indexed,
      progress: (m) => io.err.line(`wasm-journal: ${m}`),
      // The stop snapshot is on disk before the process stops (the journal's writer thread may still hold it).
      onSuspend: onSuspend
        ? (): void => {
            journal?.commit();
            onSuspend();
          }
        : undefined,
    });
  } catch (e) {
    if (creates && e instanceof RuntimeError && e.code === 'not-wasm') {
      journal?.close();
      journal = undefined;
      fs.rmSync(plan.writable!, { force: true });
    }
    throw e;
  } finally {
    journal?.close();
  }
  if (result.stoppedAfter !== undefined) {
    io.err.line(
      `wasm-journal run: stopped after a snapshot (${result.stoppedAfter})${plan.writable ? `; resume with: wasm-journal run ${file} --journal ${plan.writable}` : ''}`,
    );
  }
  if (result.restore && result.restore.skipped.length > 0) {
    io.err.line(`note: restore skipped ${result.restore.skipped.length} entr${result.restore.skipped.length === 1 ? 'y' : 'ies'} whose effect could not be applied again (first: ${result.restore.skipped[0].what}: ${result.restore.skipped[0].reason})`);
  }
  return reportEnd('run', file, result, io);
}
