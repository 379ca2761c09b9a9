// `wasm-journal run` and `wasm-journal replay`: the CLI face of the runtime (src/runtime). Options mirror
// `wasmer run` where they overlap.

import * as fs from 'node:fs';
import * as path from 'node:path';
import * as net from 'node:net';
import * as tty from 'node:tty';
import {
  cacheDir, controlSocket, DEFAULT_TRIGGERS, FS_MODES, instrument, ioTerminal, NetPolicy, reportEnd, parseMount, ProgramHost, readJournalRecords,
  readModule, replayProgram, RuntimeError, snapshotImports, type FsMode, type Io, type MountSpec, type RunPlan,
  type SignalName, type SnapshotOptions, type Terminal, type TtyInfo,
} from '../runtime';
import { parseSnapshotTrigger, SNAPSHOT_TRIGGERS, type SnapshotTriggerName, type SyncPolicy } from '../journal';
import { UsageError, variadic, type ParsedArgs } from './args';
import type { Command } from './journal-commands';

/** What this process's own descriptors 0-2 are: the terminal the program sees. */
function processTty(): TtyInfo {
  const out = process.stdout as tty.WriteStream;
  return {
    stdin: tty.isatty(0),
    stdout: tty.isatty(1),
    stderr: tty.isatty(2),
    cols: out.isTTY ? out.columns : 80,
    rows: out.isTTY ? out.rows : 24,
  };
}

/** `--dir HOST[::GUEST]`: the guest path defaults to the host path as given (relative ones under `/`). */
export function parseDir(spec: string): MountSpec {
  try {
    return parseMount(spec);
  } catch (e) {
    if (e instanceof RuntimeError) throw new UsageError(`--dir ${spec}: ${e.message}`);
    throw e;
  }
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
      {
        name: 'net', type: 'string', repeatable: true, value: 'ADDR',
        help: 'let the program\'s own sockets (WASIX) bind and connect there too: an address, ADDRESS/BITS, or any (default: loopback only)',
      },
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
  run: async (args: ParsedArgs, io: Io): Promise<number> => runHosted(planRun(args), io),
};

const PROCESS_SIGNALS: [NodeJS.Signals, SignalName][] = [
  ['SIGINT', 'sigint'],
  ['SIGALRM', 'sigalrm'],
  ['SIGTSTP', 'sigtstp'],
];

/**
 * Runs the plan on a ProgramHost (the program on a worker thread, this thread free for signals and the control
 * channel). This process's signals with a snapshot trigger go to the program; a second Ctrl+C while the first waits
 * ends the process at once; a signal without a trigger acts as it would on any process; after a stop snapshot the
 * process stops itself (SIGSTOP) and the program goes on when it is continued.
 */
async function runHosted(plan: RunPlan, io: Io): Promise<number> {
  io.out.flush();
  io.err.flush();
  const host = new ProgramHost(plan);
  const listeners: [NodeJS.Signals, () => void][] = [];
  let interrupts = 0;
  for (const [sig, name] of PROCESS_SIGNALS) {
    if (!host.handled.has(name)) continue;
    const f = (): void => {
      if (sig === 'SIGINT' && ++interrupts > 1) process.exit(130);
      host.signal(name);
    };
    process.on(sig, f);
    listeners.push([sig, f]);
  }
  host.on('unhandled', (name) => process.kill(process.pid, name.toUpperCase() as NodeJS.Signals));
  host.on('suspend', () => {
    process.kill(process.pid, 'SIGSTOP');
    host.resume();
  });
  host.on('failed', (m) => io.err.line(`wasm-journal: internal error: ${m}`));
  host.listenControl(controlSocket(process.pid));
  try {
    return await host.start();
  } finally {
    for (const [sig, f] of listeners) process.off(sig, f);
  }
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
  const net = args.values.get('net') ?? [];
  try {
    new NetPolicy(net);
  } catch (e) {
    if (e instanceof RuntimeError) throw new UsageError(e.message);
    throw e;
  }
  const at = args.values.get('at')?.[0];
  const snapshots = snapshotOptions(args);
  if (snapshots && !args.values.get('journal-writable')) throw new UsageError('snapshots need a journal to go to: add --journal-writable J');
  return {
    file,
    tty: processTty(),
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
    net,
    skipJournalStdio: args.flags.has('skip-journal-stdio'),
    force: args.flags.has('force'),
    allowUnknownImports: args.flags.has('allow-unknown-imports'),
    enableCompaction: args.flags.has('enable-compaction'),
  };
}

/** `replay`'s status when the program did not do what the recording holds (sysexits' EX_DATAERR). */
export const REPLAY_DIVERGED = 65;

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
      `Exit status: the program's, when the run is reproduced (134 for a trap, as \`run\`); ${REPLAY_DIVERGED} when it diverges.`,
    ],
  },
  run: async (args: ParsedArgs, io: Io): Promise<number> => {
    const module = await readModule(args.positionals.module!);
    const jfile = args.positionals.journal!;
    const records = readJournalRecords(jfile, io);
    const runArg = args.values.get('run')?.[0];
    const quiet = args.flags.has('quiet');
    const terminal: Terminal = quiet ? { write: () => true } : ioTerminal(io);
    let r: Awaited<ReturnType<typeof replayProgram>>;
    try {
      r = await replayProgram({ module, records, run: runArg === undefined ? undefined : Number(runArg), terminal });
    } catch (e) {
      if (!(e instanceof RuntimeError) || e.code !== 'divergence') throw e;
      io.out.flush();
      io.err.line(`wasm-journal replay: ${e.message}`);
      return REPLAY_DIVERGED;
    }
    io.out.flush();
    const how = r.replayEnded ? 'up to where the recorded run stopped' : r.trap !== undefined ? 'trapped as recorded' : `exit code ${r.exitCode}`;
    io.err.line(
      `replay: run ${r.run} of ${r.runs} reproduced exactly: ${r.entriesChecked} entries checked, ${how}, final memory sha256 ${Buffer.from(r.memoryHash).toString('hex').slice(0, 16)}...`,
    );
    // Reproduced: the status the program ended with, as `run` gave it (a run that stopped after a snapshot: 0).
    return r.replayEnded ? 0 : reportEnd('replay', args.positionals.module!, r, io);
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
    const r = await instrument(module.bytes, Buffer.from(module.hash).toString('hex'), {
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
