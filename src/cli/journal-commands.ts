// `wasm-journal` commands that work on journal files: inspect, export, import, filter, compact, concat, verify,
// repair, snapshots, extract. Each command is a spec (arguments, options, help) and a handler; main.ts dispatches.

import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  CompactionPlanner,
  isWhole,
  surveyJournal,
  FILTER_ALIASES,
  JournalError,
  StateModel,
  entryLine,
  entryText,
  entryToJson,
  entryToJsonText,
  exportJsonFile,
  importJson,
  readAll,
  readEntries,
  writeCompacted,
  writeJournalAtomically,
  type FilterConfig,
  type SyncPolicy,
  passesFilter,
} from '../journal';
import { printJsonCompact } from '../journal/json-text';
import { UsageError, variadic, type CommandSpec, type OptionSpec, type ParsedArgs } from './args';
import { openJournal, reportTail, type Io } from '../runtime';

export interface Command {
  spec: CommandSpec;
  run: (args: ParsedArgs, io: Io) => number | Promise<number>;
}

const WASM_PAGE = 65536;

/** The --sync option of commands that write a journal. */
const SYNC_OPTION: OptionSpec = {
  name: 'sync',
  type: 'string',
  value: 'POLICY',
  choices: ['never', 'snapshot', 'always'],
  help: 'when the written journal is fdatasync\'ed: at snapshot markers and the end (default), every record, or never',
};

function syncOf(args: ParsedArgs): { sync: SyncPolicy } {
  return { sync: (args.values.get('sync')?.[0] as SyncPolicy | undefined) ?? 'snapshot' };
}

function checkDistinct(input: string, output: string): void {
  if (path.resolve(input) === path.resolve(output)) {
    throw new UsageError(`the output ${output} is the input; write to another file`);
  }
}

const inspect: Command = {
  spec: {
    name: 'inspect',
    summary: 'Print every entry of a journal, one line each, with its index and byte offset.',
    positionals: [{ name: 'JOURNAL', help: 'the journal file' }],
    options: [{ name: 'json', type: 'flag', help: 'one JSON object per line: {"index", "offset", "entry"}' }],
    details: ['Example line:  12  @4096  fd-write (fd=3, offset=0, data.len=12)'],
  },
  run(args, io) {
    const j = openJournal(args.positionals.JOURNAL!, io);
    try {
      const json = args.flags.has('json');
      for (const r of readAll(j)) {
        if (json) io.out.line(printJsonCompact({ index: r.index, offset: r.offset, entry: entryToJson(r.entry) }));
        else io.out.line(entryLine(r.index, r.offset, entryText(r.entry)));
      }
      reportTail(j, io);
    } finally {
      j.close();
    }
    return 0;
  },
};

const exportCmd: Command = {
  spec: {
    name: 'export',
    summary: 'Write a journal as JSON, in the form `wasmer journal export` prints (readable by `wasmer journal import`).',
    positionals: [{ name: 'JOURNAL', help: 'the journal file' }],
    options: [{ name: 'output', short: 'o', type: 'string', value: 'FILE', help: 'write to FILE instead of standard output' }],
  },
  run(args, io) {
    const j = openJournal(args.positionals.JOURNAL!, io);
    const outFile = args.values.get('output')?.[0];
    try {
      if (outFile) {
        exportJsonFile(j, outFile);
      } else {
        for (const e of readEntries(j)) io.out.write(entryToJsonText(e));
      }
      reportTail(j, io);
    } finally {
      j.close();
    }
    return 0;
  },
};

const importCmd: Command = {
  spec: {
    name: 'import',
    summary: 'Build a journal from JSON (the output of `export` or `wasmer journal export`) read from standard input.',
    positionals: [{ name: 'JOURNAL', help: 'the journal file to write (replaced only when the whole input is valid)' }],
    options: [{ name: 'input', short: 'i', type: 'string', value: 'FILE', help: 'read FILE instead of standard input' }, SYNC_OPTION],
    details: ['Example:  wasm-journal import copy.journal < exported.json'],
  },
  run(args, io) {
    const target = args.positionals.JOURNAL!;
    const input = args.values.get('input')?.[0];
    let text: string;
    try {
      text = (input ? fs.readFileSync(input) : io.readStdin()).toString('utf8');
    } catch (e) {
      throw new JournalError('io', `${input ?? 'standard input'}: cannot read: ${(e as Error).message}`);
    }
    const source = input ?? 'standard input';
    const n = importJson(text, target, source, syncOf(args));
    io.err.line(`imported ${n} entries into ${target}`);
    return 0;
  },
};

function parseIndexList(spec: string): Set<number> {
  const out = new Set<number>();
  for (const part of spec.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new UsageError(`--only-indices: "${part}" is not an index or a range like 3-7`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) throw new UsageError(`--only-indices: the range ${part} is backwards`);
    if (b - a > 10_000_000) throw new UsageError(`--only-indices: the range ${part} is too large`);
    for (let i = a; i <= b; i++) out.add(i);
  }
  return out;
}

const filter: Command = {
  spec: {
    name: 'filter',
    summary: 'Copy a journal, leaving out the kinds of entries named with -f.',
    positionals: [
      { name: 'SRC', help: 'the journal to read' },
      { name: 'DST', help: 'the journal to write' },
    ],
    options: [
      {
        name: 'filter',
        short: 'f',
        type: 'string',
        repeatable: true,
        value: 'KIND',
        help: 'leave out: mem (memory), threads, fs (files and descriptors), stdio (fds 0-2), core (module, exit, clocks, tty, epoll), snap (snapshot markers), net (sockets and network)',
      },
      { name: 'only-indices', type: 'string', value: 'LIST', help: 'keep only these entry indices, e.g. 0-10,15' },
      SYNC_OPTION,
    ],
  },
  run(args, io) {
    const src = args.positionals.SRC!;
    const dst = args.positionals.DST!;
    checkDistinct(src, dst);
    const config: FilterConfig = {};
    for (const f of args.values.get('filter') ?? []) {
      const name = FILTER_ALIASES[f.toLowerCase()];
      if (!name) throw new UsageError(`unknown filter "${f}"; use mem, threads, fs, stdio, core, snap or net`);
      config[name] = true;
    }
    const only = args.values.get('only-indices')?.[0];
    if (only) config.onlyIndices = parseIndexList(only);
    if (!args.values.get('filter') && !only) throw new UsageError('name what to leave out with -f (or --only-indices)');
    const j = openJournal(src, io);
    try {
      const [kept, total] = writeJournalAtomically(dst, (out) => {
        let k = 0;
        let n = 0;
        for (const r of readAll(j)) {
          n++;
          if (config.onlyIndices && !config.onlyIndices.has(r.index)) continue;
          if (!passesFilter(config, r.entry)) continue;
          out.write(r.entry);
          k++;
        }
        return [k, n];
      }, syncOf(args));
      reportTail(j, io);
      io.err.line(`kept ${kept} of ${total} entries in ${dst}`);
    } finally {
      j.close();
    }
    return 0;
  },
};

const compact: Command = {
  spec: {
    name: 'compact',
    summary: 'Rewrite a journal without the entries that do not change what a restore brings back.',
    positionals: [{ name: 'JOURNAL', help: 'the journal to compact (in place, atomically, unless -o)' }],
    options: [{ name: 'output', short: 'o', type: 'string', value: 'OUT', help: 'write the compacted journal to OUT' }, SYNC_OPTION],
    details: [
      'Keeps: the file system, descriptors and terminal text as they end up; memory, threads and the marker of the',
      'last snapshot (memory merged to the newest bytes of each address); everything after the last snapshot.',
    ],
  },
  run(args, io) {
    const src = args.positionals.JOURNAL!;
    const dst = args.values.get('output')?.[0] ?? src;
    const j = openJournal(src, io);
    try {
      const planner = new CompactionPlanner();
      for (const e of readEntries(j)) planner.feed(e);
      reportTail(j, io);
      const plan = planner.plan();
      const before = fs.statSync(src).size;
      const after = writeJournalAtomically(dst, (out) => {
        writeCompacted(readEntries(j), plan, (e) => out.write(e));
        out.flush();
        return out.byteLength;
      }, syncOf(args));
      const kept = plan.drop.reduce((n, d) => n + (d ? 0 : 1), 0);
      io.err.line(
        `compacted ${plan.entries} entries (${before} bytes) into ${kept} entries` +
          `${plan.memory.isEmpty ? '' : ' plus merged memory'} (${after} bytes) in ${dst}`,
      );
    } finally {
      j.close();
    }
    return 0;
  },
};

const concat: Command = {
  spec: {
    name: 'concat',
    summary: 'Join journals end to end into one (like `cat`, but checked, and without torn tails in the middle).',
    positionals: [{ name: 'JOURNAL', help: 'journals to join, in order', variadic: true }],
    options: [{ name: 'output', short: 'o', type: 'string', value: 'OUT', help: 'the journal to write (required)' }, SYNC_OPTION],
  },
  run(args, io) {
    const inputs = variadic(args, 'JOURNAL');
    const out = args.values.get('output')?.[0];
    if (!out) throw new UsageError('name the output with -o OUT');
    for (const i of inputs) checkDistinct(i, out);
    const counts = writeJournalAtomically(out, (w) => {
      const c: number[] = [];
      for (const input of inputs) {
        const j = openJournal(input, io);
        try {
          let n = 0;
          for (const r of readAll(j)) {
            w.write(r.entry);
            n++;
          }
          reportTail(j, io);
          c.push(n);
        } finally {
          j.close();
        }
      }
      return c;
    }, syncOf(args));
    io.err.line(`wrote ${counts.reduce((a, b) => a + b, 0)} entries (${counts.join(' + ')}) to ${out}`);
    return 0;
  },
};

const verify: Command = {
  spec: {
    name: 'verify',
    summary: 'Check every record of a journal: checksums, framing, and that each entry decodes.',
    positionals: [{ name: 'JOURNAL', help: 'the journal to check' }],
    options: [],
    details: ['Exit status: 0 when the journal is whole (a torn tail from a crash is reported but is not damage), 1 when damaged.'],
  },
  run(args, io) {
    const file = args.positionals.JOURNAL!;
    const r = surveyJournal(file);
    io.out.line(`${file}: ${r.records} records in ${r.headers} segment${r.headers === 1 ? '' : 's'}, ${r.validEnd} bytes`);
    for (const [k, n] of [...r.kinds].sort((a, b) => b[1] - a[1])) io.out.line(`  ${String(n).padStart(8)}  ${k}`);
    if (r.unknownKinds) io.out.line(`warning: ${r.unknownKinds} records of kinds unknown to this version (skipped when read)`);
    if (r.tornBytes) io.out.line(`note: the last ${r.tornBytes} bytes are a torn record (an interrupted write); they are ignored and cut off by the next writer`);
    for (const s of r.skipped) io.out.line(`damaged: ${s.length} bytes at byte ${s.offset} are not valid records`);
    for (const b of r.badRecords) io.out.line(`damaged: ${b}`);
    const ok = isWhole(r);
    io.out.line(ok ? 'ok' : `DAMAGED: run "wasm-journal repair ${file} -o FIXED" to keep every valid record`);
    return ok ? 0 : 1;
  },
};

const repair: Command = {
  spec: {
    name: 'repair',
    summary: 'Copy every valid record of a damaged journal into a new one, and say what was dropped.',
    positionals: [{ name: 'JOURNAL', help: 'the damaged journal (left as it is)' }],
    options: [{ name: 'output', short: 'o', type: 'string', value: 'OUT', help: 'the repaired journal to write (required)' }, SYNC_OPTION],
  },
  run(args, io) {
    const file = args.positionals.JOURNAL!;
    const out = args.values.get('output')?.[0];
    if (!out) throw new UsageError('name the repaired journal with -o OUT');
    checkDistinct(file, out);
    let kept = 0;
    const r = writeJournalAtomically(
      out,
      (w) =>
        surveyJournal(file, (e) => {
          w.write(e);
          kept++;
        }),
      syncOf(args),
    );
    for (const s of r.skipped) io.err.line(`dropped ${s.length} damaged bytes at byte ${s.offset}`);
    for (const b of r.badRecords) io.err.line(`dropped a record that does not decode: ${b}`);
    if (r.unknownKinds) io.err.line(`dropped ${r.unknownKinds} records of unknown kinds`);
    if (r.tornBytes) io.err.line(`dropped a torn record of ${r.tornBytes} bytes at the end`);
    io.err.line(`kept ${kept} entries in ${out}`);
    return 0;
  },
};

function formatWhen(w: { secs_since_epoch: bigint; nanos_since_epoch: number }): string {
  const ms = Number(w.secs_since_epoch) * 1000 + Math.floor(w.nanos_since_epoch / 1e6);
  return Number.isFinite(ms) && ms < 8.64e15 ? new Date(ms).toISOString() : `${w.secs_since_epoch}s`;
}

const snapshots: Command = {
  spec: {
    name: 'snapshots',
    summary: 'List the snapshots of a journal: number, time, trigger, and bytes of memory each one changed.',
    positionals: [{ name: 'JOURNAL', help: 'the journal file' }],
    options: [{ name: 'json', type: 'flag', help: 'print a JSON array' }],
  },
  run(args, io) {
    const j = openJournal(args.positionals.JOURNAL!, io);
    try {
      const model = new StateModel();
      const offsets: number[] = [];
      for (const r of readAll(j)) {
        model.apply(r.entry);
        if (r.entry.kind === 'SnapshotV1') offsets.push(r.offset);
      }
      reportTail(j, io);
      const rows = model.snapshots.map((s, n) => ({ snapshot: n, entry: s.index, offset: offsets[n], when: formatWhen(s.when), trigger: s.trigger, memoryBytes: s.memoryBytes }));
      if (args.flags.has('json')) {
        io.out.line(JSON.stringify(rows, null, 2));
        return 0;
      }
      if (rows.length === 0) {
        io.err.line('no snapshots in this journal');
        return 0;
      }
      io.out.line(`${'#'.padStart(4)}  ${'entry'.padStart(7)}  ${'offset'.padStart(10)}  ${'time'.padEnd(24)}  ${'trigger'.padEnd(22)}  memory`);
      for (const r of rows) {
        io.out.line(`${String(r.snapshot).padStart(4)}  ${String(r.entry).padStart(7)}  ${String(r.offset).padStart(10)}  ${r.when.padEnd(24)}  ${r.trigger.padEnd(22)}  ${r.memoryBytes}`);
      }
    } finally {
      j.close();
    }
    return 0;
  },
};

const extract: Command = {
  spec: {
    name: 'extract',
    summary: 'Write what a journal holds as of a snapshot: `memory` writes the flat linear-memory image.',
    positionals: [
      { name: 'JOURNAL', help: 'the journal file' },
      { name: 'WHAT', help: 'memory' },
      { name: 'FILE', help: 'the file to write' },
    ],
    options: [{ name: 'at', type: 'number', value: 'N', help: 'snapshot number (see `snapshots`); default: the last' }],
    details: ['Bytes the journal never wrote are zero; the image is padded to a whole number of 64 KiB pages.'],
  },
  run(args, io) {
    const [file, what, outFile] = [args.positionals.JOURNAL!, args.positionals.WHAT!, args.positionals.FILE!];
    if (what !== 'memory') throw new UsageError(`cannot extract "${what}"; use: memory`);
    checkDistinct(file, outFile);
    const atArg = args.values.get('at')?.[0];
    const at = atArg === undefined ? undefined : Number(atArg);
    if (at !== undefined && (!Number.isInteger(at) || at < 0)) throw new UsageError('--at needs a snapshot number (0, 1, ...)');
    const j = openJournal(file, io);
    try {
      // Without --at, a first pass finds the last snapshot; then replay up to that snapshot's marker: the memory
      // it committed is the image.
      let found = at;
      if (found === undefined) {
        let count = 0;
        for (const e of readEntries(j)) if (e.kind === 'SnapshotV1') count++;
        if (count === 0) throw new JournalError('usage', `${file}: the journal has no snapshot`);
        found = count - 1;
      }
      const model = new StateModel();
      let reached = false;
      for (const e of readEntries(j)) {
        model.apply(e);
        if (e.kind === 'SnapshotV1' && model.snapshots.length - 1 === found) {
          reached = true;
          break;
        }
      }
      const count = model.snapshots.length;
      if (!reached) throw new JournalError('usage', `${file}: there is no snapshot ${found}; the journal has ${count} (0-${count - 1})`);
      const mem = model.committedMemory;
      const size = Math.ceil(mem.end / WASM_PAGE) * WASM_PAGE;
      if (size > 2 ** 32 * 4) throw new JournalError('too-large', `${file}: memory image of ${size} bytes is too large to extract`);
      const image = Buffer.alloc(size);
      mem.copyInto(image);
      const tmp = `${outFile}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, image);
      fs.renameSync(tmp, outFile);
      io.err.line(`wrote ${size} bytes of memory as of snapshot ${found} (${mem.size} bytes written by the journal) to ${outFile}`);
    } finally {
      j.close();
    }
    return 0;
  },
};

export const JOURNAL_COMMANDS: Command[] = [inspect, exportCmd, importCmd, filter, compact, concat, verify, repair, snapshots, extract];
