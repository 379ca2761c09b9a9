// A journal's JSON form (what `export` writes) read as a document someone edits: every entry with where it is, and
// what is wrong with it. Used by the language server (diagnostics, outline, hover, lenses) and by its import. It
// reads on past an entry it cannot decode, so one bad field does not hide the rest; a syntax error ends the reading
// (after it, nothing says where the next value begins).
//
// Besides what import itself refuses (unknown kinds, bad fields, invalid base64), it checks what import accepts but a
// restore would trip on: a descriptor used before it is opened or after it is closed, snapshots out of order. Those
// are warnings: a filtered export legitimately lacks the entries that opened its descriptors.

import { kindOf, nulList, snakeName, ALL_KINDS, type EntryByKind, type JournalEntry, type KindInfo } from './entries';
import { JournalError } from './errors';
import { entryFromJson, parseJsonEntries } from './json';
import { writeJournalAtomically, type LogFileOptions } from './log-file';
import { JsonStreamParser, type JsonNode } from './json-text';
import { diffMemory, type MemoryDiff } from './memory-diff';
import { SparseBytes } from './sparse-bytes';

/** A place in the text: line and column from 1 (columns in UTF-16 units, as JavaScript strings count). */
export interface TextPos {
  line: number;
  col: number;
}

export interface JsonProblem {
  start: TextPos;
  end: TextPos;
  severity: 'error' | 'warning';
  message: string;
}

export interface JsonEntryInfo {
  /** From 0, in the order of the text. */
  index: number;
  /** The kind's JSON name (`fd_write_v1`...), or what the text holds where it is not one. */
  tag: string;
  /** Decoded; undefined when the entry is wrong (its problem says why). */
  entry: JournalEntry | undefined;
  node: JsonNode;
  start: TextPos;
  end: TextPos;
  /** The run (from 1) it belongs to: each init-module entry begins one. 0 before the first. */
  run: number;
  /** For a snapshot entry: its number in the journal and in its run (from 0). */
  snapshot?: { index: number; inRun: number };
}

export interface JsonJournal {
  entries: JsonEntryInfo[];
  problems: JsonProblem[];
  /** False when a syntax error ended the reading (the entries after it are not known). */
  complete: boolean;
}

const bySnake = new Map<string, KindInfo>(ALL_KINDS.map((k) => [snakeName(k.name), k]));

const endOf = (n: JsonNode): TextPos => ({ line: n.endLine ?? n.line, col: n.endCol ?? n.col + 1 });

/** The innermost value of `root` that starts at (line, col). */
function nodeAt(root: JsonNode, line: number, col: number): JsonNode | undefined {
  let found: JsonNode | undefined;
  const visit = (n: JsonNode): void => {
    if (n.line === line && n.col === col) found = n;
    if (n.type === 'object') for (const [, v] of n.entries) visit(v);
    else if (n.type === 'array') for (const v of n.items) visit(v);
  };
  visit(root);
  return found;
}

/** The tag an entry value names, whatever its body. */
function tagOf(n: JsonNode): string {
  if (n.type === 'string') return n.value;
  if (n.type === 'object' && n.entries.length === 1) return n.entries[0][0];
  return n.type;
}

/** The value of the field `key` of an entry's body (for pointing at it). */
function fieldNode(n: JsonNode, key: string): JsonNode | undefined {
  if (n.type !== 'object' || n.entries.length !== 1) return undefined;
  const body = n.entries[0][1];
  return body.type === 'object' ? body.entries.find(([k]) => k === key)?.[1] : undefined;
}

/**
 * What each kind does to the descriptor table: the fields holding descriptors it opens, closes, or needs open. Path
 * operations name a directory descriptor (a preopened folder, when nothing opened it).
 */
const OPENS: Partial<Record<string, string[]>> = {
  OpenFileDescriptorV1: ['fd'],
  OpenFileDescriptorV2: ['fd'],
  CreatePipeV1: ['read_fd', 'write_fd'],
  CreateEventV1: ['fd'],
  EpollCreateV1: ['fd'],
  SocketOpenV1: ['fd'],
  SocketPairV1: ['fd1', 'fd2'],
  SocketAcceptedV1: ['fd'],
  DuplicateFileDescriptorV1: ['copied_fd'],
  DuplicateFileDescriptorV2: ['copied_fd'],
  RenumberFileDescriptorV1: ['new_fd'],
};
const CLOSES: Partial<Record<string, string[]>> = { CloseFileDescriptorV1: ['fd'], RenumberFileDescriptorV1: ['old_fd'] };
const FD_FIELDS = new Set(['fd', 'old_fd', 'new_fd', 'original_fd', 'copied_fd', 'epfd', 'listen_fd', 'socket_fd', 'file_fd', 'fd1', 'fd2', 'read_fd', 'write_fd']);
/** Kinds whose `fd` is not a descriptor of the table the program uses (or is one it creates in another way). */
const NOT_A_USE = new Set(['ProgramStartV1']);

/** Follows the descriptor table through the entries, to say where one is used while it is not open. */
class Descriptors {
  private open = new Set<number>();
  /** Where each closed descriptor was closed (its entry's line). */
  private closedAt = new Map<number, number>();
  /** Preopened folders are known from our program-start entry; without one, a path operation's folder is one. */
  private preopensKnown = false;

  constructor() {
    this.restart(0);
  }

  restart(preopens: number, known = false): void {
    this.open = new Set([0, 1, 2]);
    for (let i = 0; i < preopens; i++) this.open.add(3 + i);
    this.closedAt = new Map();
    this.preopensKnown = known;
  }

  /** Applies one entry; the problems of its descriptor fields. */
  apply(e: JournalEntry, n: JsonNode, line: number, problem: (at: JsonNode, message: string) => void): void {
    const k = kindOf(e);
    if (e.kind === 'InitModuleV1' || e.kind === 'ProcessExitV1') return this.restart(0);
    if (e.kind === 'ProgramStartV1') {
      return this.restart(nulList(e.mounts).length + nulList(e.listeners).length, true);
    }
    if (NOT_A_USE.has(e.kind)) return;
    const o = e as unknown as Record<string, unknown>;
    const opens = OPENS[e.kind] ?? [];
    const closes = CLOSES[e.kind] ?? [];
    for (const field of Object.keys(k.fields)) {
      if (!FD_FIELDS.has(field) || opens.includes(field) || typeof o[field] !== 'number') continue;
      const fd = o[field] as number;
      if (this.open.has(fd)) continue;
      const key = k.jsonNames[field] ?? field;
      const at = fieldNode(n, key) ?? n;
      const closed = this.closedAt.get(fd);
      if (closed !== undefined) problem(at, `descriptor ${fd} is used after it was closed (line ${closed})`);
      else if (k.category === 'fs-path' && !this.preopensKnown) this.open.add(fd); // a preopened folder
      else problem(at, `descriptor ${fd} is used before it is opened${this.preopensKnown ? '' : ' (or it is a preopened folder)'}`);
    }
    for (const field of closes) {
      const fd = o[field] as number;
      this.open.delete(fd);
      this.closedAt.set(fd, line);
    }
    for (const field of opens) {
      const fd = o[field] as number;
      this.open.add(fd);
      this.closedAt.delete(fd);
    }
  }
}

const secondsOf = (w: EntryByKind<'SnapshotV1'>['when']): bigint => w.secs_since_epoch * 1_000_000_000n + BigInt(w.nanos_since_epoch);

/** Reads a journal's JSON form: its entries, where each is, and the problems found. */
export function readJsonJournal(text: string): JsonJournal {
  const entries: JsonEntryInfo[] = [];
  const problems: JsonProblem[] = [];
  const parser = new JsonStreamParser(text);
  const fds = new Descriptors();
  let run = 0;
  let snapshots = 0;
  let inRun = 0;
  let lastSnapshot: { when: bigint; line: number } | undefined;
  let runless = false;
  let lineStarts: number[] | undefined;
  /** One past the last column of `line`. */
  const lineEnd = (line: number): number => {
    if (!lineStarts) {
      lineStarts = [0];
      for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lineStarts.push(i + 1);
    }
    const start = lineStarts[line - 1] ?? text.length;
    const next = lineStarts[line] ?? text.length + 1;
    return next - start;
  };
  const add = (n: JsonNode, message: string, severity: JsonProblem['severity'], whole = false): void => {
    if (whole && (n.endLine ?? n.line) > n.line) {
      // A problem with a whole entry is shown on the line of its kind ({"kind": ...), not across all of it.
      const line = n.type === 'object' && n.entries.length === 1 ? n.entries[0][1].line : n.line;
      lineEnd(line);
      const from = lineStarts![line - 1];
      const indent = /^[ \t{]*/.exec(text.slice(from, from + 200))![0].length;
      problems.push({ start: { line, col: indent + 1 }, end: { line, col: lineEnd(line) }, severity, message });
      return;
    }
    problems.push({ start: { line: n.line, col: n.col }, end: endOf(n), severity, message });
  };
  const one = (n: JsonNode): void => {
    const info: JsonEntryInfo = { index: entries.length, tag: tagOf(n), entry: undefined, node: n, start: { line: n.line, col: n.col }, end: endOf(n), run };
    entries.push(info);
    try {
      info.entry = entryFromJson(n);
    } catch (e) {
      if (!(e instanceof JournalError)) throw e;
      const at = (e.at && nodeAt(n, e.at.line, e.at.col)) ?? n;
      add(at, e.at?.detail ?? e.message, 'error', at === n);
    }
    const e = info.entry;
    const kind = bySnake.get(info.tag)?.name;
    if (kind === 'InitModuleV1') {
      info.run = ++run;
      inRun = 0;
      lastSnapshot = undefined;
    }
    if (kind === 'SnapshotV1') {
      info.snapshot = { index: snapshots++, inRun: inRun++ };
      if (e?.kind === 'SnapshotV1') {
        const when = secondsOf(e.when);
        if (lastSnapshot && when < lastSnapshot.when) {
          add(fieldNode(n, 'when') ?? n, `snapshot taken before the snapshot at line ${lastSnapshot.line} (snapshots are in the order they were taken)`, 'warning');
        }
        lastSnapshot = { when, line: n.line };
      }
    }
    if (e) fds.apply(e, n, n.line, (at, message) => add(at, message, 'warning'));
    if (run === 0 && kind !== undefined && !runless) {
      add(n, 'an entry before the first init_module_v1: it belongs to no run (a restore replays it against no module)', 'warning', true);
      runless = true; // said once
    }
  };
  let complete = true;
  for (;;) {
    let n: JsonNode | undefined;
    try {
      n = parser.next();
    } catch (e) {
      if (!(e instanceof JournalError) || !e.at) throw e;
      const at = { line: e.at.line, col: e.at.col };
      problems.push({ start: at, end: { line: at.line, col: at.col + 1 }, severity: 'error', message: `${e.at.detail} (the entries after it are not read)` });
      complete = false;
      break;
    }
    if (!n) break;
    if (n.type === 'array') for (const item of n.items) one(item);
    else one(n);
  }
  return { entries, problems, complete };
}

/** The memory a snapshot holds: what the memory updates before it (in its run) committed, unknown bytes as zeros. */
export function snapshotMemory(entries: readonly JsonEntryInfo[], snapshot: number, limit = 1 << 30): Uint8Array {
  const target = entries.find((i) => i.snapshot?.index === snapshot);
  if (!target) throw new JournalError('usage', `there is no snapshot ${snapshot}`);
  const memory = new SparseBytes();
  let pending: EntryByKind<'UpdateMemoryRegionV1'>[] = [];
  for (const i of entries) {
    if (i.index > target.index) break;
    const e = i.entry;
    if (!e) continue;
    if (e.kind === 'InitModuleV1' || e.kind === 'ProcessExitV1') {
      memory.clear();
      pending = [];
    } else if (e.kind === 'UpdateMemoryRegionV1') pending.push(e);
    else if (e.kind === 'ClearEtherealV1') pending = [];
    else if (e.kind === 'SnapshotV1') {
      for (const u of pending) memory.write(Number(u.region.start), u.data);
      pending = [];
    }
  }
  if (memory.end > limit) throw new JournalError('too-large', `snapshot ${snapshot} holds ${memory.end} bytes of memory, more than ${limit} to compare`);
  const out = new Uint8Array(memory.end);
  memory.copyInto(out);
  return out;
}

/** The memory difference between two snapshots (by their numbers in the journal). */
export function diffSnapshots(entries: readonly JsonEntryInfo[], from: number, to: number, maxRanges = 1000): MemoryDiff {
  return diffMemory(snapshotMemory(entries, from), snapshotMemory(entries, to), 0, undefined, maxRanges);
}

/**
 * Builds the binary journal `target` from a JSON form (replaced only when the whole text is valid); the number of
 * entries written. `source` names the text in errors.
 */
export function importJson(text: string, target: string, source: string, options: LogFileOptions = {}): number {
  return writeJournalAtomically(target, (j) => {
    let count = 0;
    try {
      for (const e of parseJsonEntries(text)) {
        j.write(e);
        count++;
      }
    } catch (e) {
      if (e instanceof JournalError) throw new JournalError(e.code, `${source}: ${e.message}`, e.offset, e.at);
      throw e;
    }
    return count;
  }, options);
}
