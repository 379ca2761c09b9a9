// `wasm-journal run` and `wasm-journal replay`: the CLI face of the runtime (src/runtime). Options mirror
// `wasmer run` where they overlap.

import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  CompactingLogFileJournal, LogFileJournal, readAll, type Journal, type JournalEntry, type LogRecord, type SyncPolicy,
} from '../journal';
import { RuntimeError } from '../runtime/errors';
import { loadModule, type LoadedModule } from '../runtime/module';
import { sinkFor, type Terminal } from '../runtime/process';
import { replayProgram, runProgram, type RunResult } from '../runtime/runtime';
import { FS_MODES, LiveWorld, RecordingWorld, type FsMode, type MountSpec } from '../runtime/world';
import { DEFAULT_TRIGGERS, snapshotImports, type SnapshotOptions } from '../runtime/snapshot/triggers';
import { cacheDir, instrument } from '../runtime/snapshot/instrument';
import { parseSnapshotTrigger, SNAPSHOT_TRIGGERS, type SnapshotTriggerName } from '../journal/wasi-types';
import { UsageError, variadic, type ParsedArgs } from './args';
import { openJournal, reportScanEnd, reportTail, type Command } from './journal-commands';
import { indexedResume, type IndexedResume } from '../runtime/snapshot/indexed-resume';
import { ClosedPipe, type Io } from './output';
import { controlSocket, runOnWorker } from './run-host';
import * as net from 'node:net';

/** The guest's stdout and stderr, through the CLI's own writers (which survive full and closed pipes). */
function ioTerminal(io: Io): Terminal {
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

async function readModule(file: string): Promise<LoadedModule> {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new RuntimeError('bad-option', `${file}: cannot read the module: ${why}`);
  }
  return loadModule(bytes, file);
}

/** `--dir HOST[::GUEST]`: the guest path defaults to the host path as given (relative ones under `/`). */
export function parseDir(spec: string): MountSpec {
  const i = spec.indexOf('::');
  const host = i < 0 ? spec : spec.slice(0, i);
  let guest = i < 0 ? spec : spec.slice(i + 2);
  if (host === '' || guest === '') throw new UsageError(`--dir ${spec}: expected HOST or HOST::GUEST`);
  if (!guest.startsWith('/')) guest = guest === '.' ? '/' : '/' + guest.replace(/^\.\//, '');
  let st: fs.Stats;
  try {
    st = fs.statSync(host);
  } catch {
    throw new UsageError(`--dir ${spec}: ${host} does not exist`);
  }
  if (!st.isDirectory()) throw new UsageError(`--dir ${spec}: ${host} is not a directory`);
  return { host: path.resolve(host), guest: guest.length > 1 ? guest.replace(/\/+$/, '') : guest };
}

function parseEnv(spec: string): string {
  const eq = spec.indexOf('=');
  if (eq <= 0) throw new UsageError(`--env ${spec}: expected KEY=VALUE`);
  return spec;
}

/** Wasmer's internal triggers (its own bootstrapping and transactions), not for users. */
const NOT_YET: readonly string[] = ['bootstrap', 'transaction'];

function snapshotOptions(args: ParsedArgs): SnapshotOptions | undefined {
  const names = args.values.get('snapshot-on') ?? [];
  const period = args.values.get('snapshot-period')?.[0];
  const triggers: SnapshotTriggerName[] = [];
  for (const n of names) {
    for (const part of n.split(',')) {
      const t = parseSnapshotTrigger(part);
      if (!t) throw new UsageError(`--snapshot-on ${part}: not a trigger (${SNAPSHOT_TRIGGERS.join(', ')})`);
      if (NOT_YET.includes(t)) throw new UsageError(`--snapshot-on ${part}: an internal trigger of Wasmer's, not one to ask for`);
      triggers.push(t);
    }
  }
  if (period !== undefined) {
    if (!(Number(period) > 0)) throw new UsageError('--snapshot-period needs a number of milliseconds above 0');
    if (!triggers.includes('periodic-interval')) triggers.push('periodic-interval');
  }
  const stop = args.flags.has('stop-after-snapshot');
  if (args.flags.has('no-snapshots')) {
    if (triggers.length > 0) throw new UsageError('--no-snapshots and --snapshot-on (or --snapshot-period) contradict each other');
    if (stop) throw new UsageError('--stop-after-snapshot and --no-snapshots contradict each other');
    if (args.flags.has('no-asyncify')) throw new UsageError('--no-asyncify and --no-snapshots contradict each other');
    return undefined;
  }
  if (triggers.length === 0) {
    // A written journal takes Wasmer's default snapshots; without one there is nowhere to put them.
    if (args.values.get('journal-writable')) triggers.push(...DEFAULT_TRIGGERS);
    else {
      if (stop) throw new UsageError('--stop-after-snapshot needs --snapshot-on (or --snapshot-period) and --journal-writable');
      if (args.flags.has('no-asyncify')) throw new UsageError('--no-asyncify needs --snapshot-on (or --snapshot-period) and --journal-writable');
      return undefined;
    }
  }
  return { triggers, periodMs: period === undefined ? undefined : Number(period), stopAfterSnapshot: stop, noAsyncify: args.flags.has('no-asyncify') };
}

/** Every record of a journal, saying so when its tail is torn (a write was interrupted). */
function readJournalRecords(file: string, io: Io): LogRecord[] {
  const j = openJournal(file, io);
  try {
    const records = [...readAll(j)];
    reportTail(j, io);
    return records;
  } finally {
    j.close();
  }
}

function readJournalEntries(file: string, io: Io): JournalEntry[] {
  return readJournalRecords(file, io).map((r) => r.entry);
}

function reportEnd(name: string, module: string, r: RunResult, io: Io): number {
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

const run: Command = {
  spec: {
    name: 'run',
    summary: 'Run a WASI program, journaling what it changes; restore it from journals first.',
    positionals: [
      { name: 'module', help: 'the program (.wasm, wasi_snapshot_preview1)' },
      { name: 'args', help: 'arguments for the program (put them after -- when they start with a dash)', optional: true, variadic: true },
    ],
    options: [
      { name: 'journal', type: 'string', repeatable: true, value: 'J', help: 'restore from this journal first (read-only; repeatable, in order)' },
      { name: 'journal-writable', type: 'string', value: 'J', help: 'restore from this journal, then append the run to it (created when missing)' },
      { name: 'skip-journal-stdio', type: 'flag', help: 'do not print the terminal text the journals hold while restoring' },
      { name: 'enable-compaction', type: 'flag', help: 'compact the writable journal as it grows, and at the end' },
      { name: 'with-compact-on-growth', type: 'number', value: 'F', help: 'compact when the journal grew by this factor since the last compaction (default 0.15)' },
      { name: 'dir', type: 'string', repeatable: true, value: 'HOST[::GUEST]', help: 'give the program a host folder, under GUEST (default: the same path)' },
      { name: 'env', type: 'string', repeatable: true, value: 'KEY=VALUE', help: 'an environment variable for the program' },
      { name: 'fs', type: 'string', value: 'MODE', choices: FS_MODES, help: 'host: changes reach the folders (default); overlay: changes stay in memory; memory: empty in-memory folders' },
      { name: 'snapshot-on', type: 'string', repeatable: true, value: 'TRIGGER', help: `take a snapshot on: ${SNAPSHOT_TRIGGERS.filter((t) => !NOT_YET.includes(t)).join(', ')} (Wasmer's names and aliases)` },
      { name: 'snapshot-period', type: 'number', value: 'MS', help: 'snapshot at most this often (turns on periodic-interval; default 10000 when it is named)' },
      { name: 'no-snapshots', type: 'flag', help: `journal without snapshots (by default a written journal takes them on: ${DEFAULT_TRIGGERS.join(', ')})` },
      { name: 'stop-after-snapshot', type: 'flag', help: 'exit after the first snapshot (resume later with --journal)' },
      { name: 'no-asyncify', type: 'flag', help: 'snapshots without thread stacks (no instrumentation); a restore restarts main' },
      { name: 'at', type: 'number', value: 'N', help: 'resume from snapshot N of the journals (from 0; default: the last)' },
      { name: 'tcp-listen', type: 'string', repeatable: true, value: 'HOST:PORT', help: 'give the program a TCP socket listening there (after the folders; sock_accept takes connections)' },
      { name: 'force', type: 'flag', help: 'restore from journals recorded from another module' },
      { name: 'allow-unknown-imports', type: 'flag', help: 'run modules that import unknown functions; calling one traps with a message' },
      { name: 'sync', type: 'string', value: 'POLICY', choices: ['never', 'snapshot', 'always'], help: 'when the journal is fdatasync\'ed (default: at snapshots and the end)' },
    ],
    details: [
      'Without --dir the program gets an empty in-memory folder `/`. Everything the program changes, and every input it',
      'takes from outside (clock, random bytes, stdin, host files), is journaled, so `wasm-journal replay` can re-run it.',
      'The exit status is the program\'s; 134 when it traps; 1 when it cannot run.',
      'Examples:',
      '  wasm-journal run app.wasm --dir data::/data --journal-writable app.journal -- --verbose',
      '  wasm-journal run app.wasm --journal app.journal --fs overlay      (restore into memory; the host is untouched)',
    ],
  },
  run: async (args: ParsedArgs, io: Io): Promise<number> => runOnWorker(planRun(args), io),
};

/** Everything `run` was asked to do, checked, in a form that can be handed to the worker thread. */
export interface RunPlan {
  file: string;
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
  skipJournalStdio: boolean;
  force: boolean;
  allowUnknownImports: boolean;
  enableCompaction: boolean;
}

/** Checks the arguments of `run` (usage errors come from here, before anything starts). */
export function planRun(args: ParsedArgs): RunPlan {
  const file = args.positionals.module!;
  const mounts = (args.values.get('dir') ?? []).map(parseDir);
  const guests = new Set<string>();
  for (const m of mounts) {
    if (guests.has(m.guest)) throw new UsageError(`two --dir options map to ${m.guest}`);
    guests.add(m.guest);
  }
  const growth = args.values.get('with-compact-on-growth')?.[0];
  if (growth !== undefined && !(Number(growth) > 0)) throw new UsageError('--with-compact-on-growth needs a factor above 0');
  const listeners = args.values.get('tcp-listen') ?? [];
  for (const l of listeners) if (!/^(\[[^\]]+\]|[^:]*):\d+$/.test(l)) throw new UsageError(`--tcp-listen ${l}: expected HOST:PORT`);
  const at = args.values.get('at')?.[0];
  const snapshots = snapshotOptions(args);
  if (snapshots && !args.values.get('journal-writable')) throw new UsageError('snapshots need a journal to go to: add --journal-writable J');
  return {
    file,
    guestArgs: [path.basename(file), ...variadic(args, 'args'), ...args.rest],
    mounts,
    env: (args.values.get('env') ?? []).map(parseEnv),
    fsMode: (args.values.get('fs')?.[0] ?? 'host') as FsMode,
    growth,
    sync: (args.values.get('sync')?.[0] ?? 'snapshot') as SyncPolicy,
    snapshots,
    at: at === undefined ? undefined : Number(at),
    journals: args.values.get('journal') ?? [],
    writable: args.values.get('journal-writable')?.[0],
    listeners,
    skipJournalStdio: args.flags.has('skip-journal-stdio'),
    force: args.flags.has('force'),
    allowUnknownImports: args.flags.has('allow-unknown-imports'),
    enableCompaction: args.flags.has('enable-compaction'),
  };
}

/** Runs a plan on this thread; `signals` is where the main thread leaves signals for the program. */
export async function executePlan(plan: RunPlan, io: Io, signals?: Int32Array): Promise<number> {
  const { file, growth, sync } = plan;
  const module = await readModule(file);
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
  if (plan.writable) {
    journal =
      plan.enableCompaction || growth !== undefined
        ? new CompactingLogFileJournal(plan.writable, { sync, growthFactor: growth === undefined ? undefined : Number(growth), compactOnClose: plan.enableCompaction })
        : LogFileJournal.openAppend(plan.writable, { sync });
    // Opened (a torn tail cut off): now its index can be trusted to match what the run appends to.
    indexed = resumeFrom();
    const own = indexed ? indexed.effects : [...readAll(journal)].map((r) => r.entry);
    // The writable journal alone must restore what this run started from: copy the read-only journals into it.
    for (const e of readOnly) journal.write(e);
    restore = [...own, ...readOnly];
  }
  const live = new LiveWorld(plan.guestArgs, plan.env, plan.fsMode, plan.mounts, 0, plan.listeners, signals);
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
      // Ctrl+Z and `signal PID stop`: after the snapshot, the whole process stops as SIGSTOP stops it.
      onSuspend: () => process.kill(process.pid, 'SIGSTOP'),
    });
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

const replay: Command = {
  spec: {
    name: 'replay',
    summary: 'Re-execute a recorded run from its journal without consulting the outside world, checking every step.',
    positionals: [
      { name: 'journal', help: 'the journal `run --journal-writable` recorded' },
      { name: 'module', help: 'the same module' },
    ],
    options: [
      { name: 'run', type: 'number', value: 'N', help: 'which run of the journal to replay, from 1 (default: the last)' },
      { name: 'quiet', short: 'q', type: 'flag', help: 'do not print the program\'s output' },
    ],
    details: [
      'Clock readings, random bytes, stdin and host file contents come from the journal; the program\'s output and every',
      'change it makes are compared with the recording, and the first difference is reported with its entry number.',
    ],
  },
  run: async (args: ParsedArgs, io: Io): Promise<number> => {
    const module = await readModule(args.positionals.module!);
    const jfile = args.positionals.journal!;
    const records = readJournalRecords(jfile, io);
    const runArg = args.values.get('run')?.[0];
    const quiet = args.flags.has('quiet');
    const terminal: Terminal = quiet ? { write: () => true } : ioTerminal(io);
    const r = await replayProgram({ module, records, run: runArg === undefined ? undefined : Number(runArg), terminal });
    io.out.flush();
    const how = r.replayEnded ? 'up to where the recorded run stopped' : r.trap !== undefined ? 'trapped as recorded' : `exit code ${r.exitCode}`;
    io.err.line(
      `replay: run ${r.run} of ${r.runs} reproduced exactly: ${r.entriesChecked} entries checked, ${how}, final memory sha256 ${Buffer.from(r.memoryHash).toString('hex').slice(0, 16)}...`,
    );
    return 0;
  },
};

const instrumentCmd: Command = {
  spec: {
    name: 'instrument',
    summary: 'Instrument a module for snapshots with thread stacks (asyncify); `run` does this by itself and caches it.',
    positionals: [{ name: 'module', help: 'the module (.wasm)' }],
    options: [
      { name: 'output', short: 'o', type: 'string', value: 'FILE', help: 'where to write the instrumented module (required)' },
      { name: 'no-cache', type: 'flag', help: 'instrument even when the cache has it, and do not store the result' },
      { name: 'snapshot-on', type: 'string', repeatable: true, value: 'TRIGGER', help: 'make only the calls these triggers take snapshots at able to unwind (default: every WASI call)' },
      { name: 'tool', type: 'string', value: 'TOOL', choices: ['auto', 'npm', 'native'], help: 'binaryen to use: a native wasm-opt when installed (auto, the default), the npm package, or only native' },
      { name: 'all-functions', type: 'flag', help: 'let asyncify choose the functions (without our call-graph analysis of indirect calls)' },
    ],
    details: [
      'Every mutable global is exported (so a snapshot can save it), the name section is kept, and only the WASI calls',
      'snapshots are taken at can unwind the stack; only the functions that can reach them are instrumented.',
      `Modules instrumented already (by this or by \`wasm-opt --asyncify\`) are copied as they are.`,
      `Cache: ${cacheDir()} (WASM_JOURNAL_CACHE moves it). WASM_JOURNAL_WASM_OPT=npm never uses a native wasm-opt; a path names one.`,
    ],
  },
  run: async (args: ParsedArgs, io: Io): Promise<number> => {
    const out = args.values.get('output')?.[0];
    if (!out) throw new UsageError('missing --output FILE');
    const file = args.positionals.module!;
    if (path.resolve(file) === path.resolve(out)) throw new UsageError('the output is the input; write to another file');
    const triggers: SnapshotTriggerName[] = [];
    for (const n of args.values.get('snapshot-on') ?? []) {
      for (const part of n.split(',')) {
        const t = parseSnapshotTrigger(part);
        if (!t) throw new UsageError(`--snapshot-on ${part}: not a trigger (${SNAPSHOT_TRIGGERS.join(', ')})`);
        triggers.push(t);
      }
    }
    const module = await readModule(file);
    const r = await instrument(module.bytes, Buffer.from(module.hash).toString('hex'), module.module, {
      noCache: args.flags.has('no-cache'),
      progress: (m) => io.err.line(`wasm-journal: ${m}`),
      imports: triggers.length > 0 ? snapshotImports(triggers) : undefined,
      tool: args.values.get('tool')?.[0] as 'auto' | 'npm' | 'native' | undefined,
      selective: !args.flags.has('all-functions'),
    });
    const tmp = `${out}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, r.bytes);
    fs.renameSync(tmp, out);
    const how = `${r.tool ? ` by ${r.tool}` : ''}${r.threads ? ` on ${r.threads} threads` : ''}${r.instrumented ? `, ${r.instrumented.only} of ${r.instrumented.functions} functions` : ''}`;
    const what = r.source === 'already' ? (r.bytes === module.bytes ? 'already instrumented; copied' : 'already instrumented; its mutable globals exported') : r.source === 'cache' ? 'from the cache' : `instrumented in ${(r.ms / 1000).toFixed(1)} s${how}`;
    io.out.line(`${out}: ${(module.bytes.length / 1e6).toFixed(2)} MB -> ${(r.bytes.length / 1e6).toFixed(2)} MB (${what})`);
    return 0;
  },
};

const signalCmd: Command = {
  spec: {
    name: 'signal',
    summary: 'Send a signal to a program `wasm-journal run` is running: int, alrm, tstp, or stop (which no process can catch).',
    positionals: [
      { name: 'pid', help: 'the process id of `wasm-journal run`' },
      { name: 'signal', help: 'int, alrm, tstp or stop' },
    ],
    options: [],
    details: [
      'With a snapshot trigger for it (--snapshot-on sigstop, ...), the program takes a snapshot at its next WASI call',
      '(or while it waits for stdin), then the signal acts: stop and tstp suspend the process (resume it with',
      '`kill -CONT PID`), int ends it with status 130, alrm lets it go on. Without a trigger the signal acts at once.',
    ],
  },
  run: async (args: ParsedArgs, io: Io): Promise<number> => {
    const pid = Number(args.positionals.pid);
    if (!Number.isInteger(pid) || pid <= 0) throw new UsageError(`not a process id: ${args.positionals.pid}`);
    const sock = controlSocket(pid);
    const answer = await new Promise<string>((resolve, reject) => {
      const c = net.connect(sock, () => c.write(`${args.positionals.signal}\n`));
      let got = '';
      c.on('data', (d) => (got += d.toString()));
      c.on('end', () => resolve(got));
      c.on('error', (e: NodeJS.ErrnoException) =>
        reject(new RuntimeError('bad-option', e.code === 'ENOENT' || e.code === 'ECONNREFUSED' ? `no wasm-journal run with process id ${pid} (${sock})` : e.message)),
      );
    });
    if (answer.trim() !== 'ok') throw new UsageError(answer.trim());
    io.out.line(`sent ${args.positionals.signal} to ${pid}`);
    return 0;
  },
};

export const RUN_COMMANDS: Command[] = [run, replay, instrumentCmd, signalCmd];
