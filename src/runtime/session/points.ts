// Points: each host call of a recording, with what a timeline and a breakpoint condition need to know of it
// (its name, its descriptor, its path, how many bytes it moves), and the small condition language of breakpoints:
//   fd == 1        path contains "log"       len > 100 && !(fd == 2)       call == "fd_write" || call == "path_open"

const utf8 = new TextDecoder('utf-8');

export interface PointInfo {
  call: string;
  fd?: number;
  path?: string;
  /** Bytes the call reads or writes (the sum of its buffers), for fd_read, fd_write, fd_pread, fd_pwrite. */
  len?: number;
}

/** Where each path call keeps its (first) path: [pointer argument, length argument]. */
const PATH_ARGS: Record<string, [number, number]> = {
  path_open: [2, 3],
  path_create_directory: [1, 2],
  path_remove_directory: [1, 2],
  path_unlink_file: [1, 2],
  path_filestat_get: [2, 3],
  path_filestat_set_times: [2, 3],
  path_readlink: [1, 2],
  path_rename: [1, 2],
  path_symlink: [0, 1],
  path_link: [2, 3],
};
const IOV_CALLS = new Set(['fd_read', 'fd_write', 'fd_pread', 'fd_pwrite']);
const FD_FIRST = /^(fd_|sock_)/;
const PATH_WITH_FD = /^path_(?!symlink)/;

/** The WASI calls (preview1, and our one WASIX call): a breakpoint on another name is on a guest function. */
export function isHostCall(name: string): boolean {
  return /^(args|environ|clock|random|sched|proc|fd|path|poll|sock)_[a-z0-9_]+$/.test(name);
}

/** Which arguments of a call a point describes (worked out once per call name). */
interface CallShape {
  fd: boolean;
  path: [number, number] | undefined;
  iov: boolean;
}

const shapes = new Map<string, CallShape>();

function shapeOf(call: string): CallShape {
  let s = shapes.get(call);
  if (!s) {
    s = { fd: FD_FIRST.test(call) || PATH_WITH_FD.test(call), path: PATH_ARGS[call], iov: IOV_CALLS.has(call) };
    shapes.set(call, s);
  }
  return s;
}

const u32At = (m: Uint8Array, p: number): number => (m[p] | (m[p + 1] << 8) | (m[p + 2] << 16) | (m[p + 3] << 24)) >>> 0;

function fdOf(shape: CallShape, args: readonly unknown[]): number | undefined {
  const a0 = args[0];
  return shape.fd && typeof a0 === 'number' ? a0 >>> 0 : undefined;
}

function pathOf(shape: CallShape, args: readonly unknown[], memory: Uint8Array): string | undefined {
  const p = shape.path;
  if (!p) return undefined;
  const ptr = Number(args[p[0]]) >>> 0;
  const len = Number(args[p[1]]) >>> 0;
  return len <= 4096 && ptr + len <= memory.length ? utf8.decode(memory.subarray(ptr, ptr + len)) : undefined;
}

function lenOf(shape: CallShape, args: readonly unknown[], memory: Uint8Array): number | undefined {
  if (!shape.iov) return undefined;
  const iovs = Number(args[1]) >>> 0;
  const n = Number(args[2]) >>> 0;
  if (n > 1024 || iovs + n * 8 > memory.length) return undefined;
  let len = 0;
  for (let i = 0; i < n; i++) len += u32At(memory, iovs + i * 8 + 4);
  return len;
}

/** What a call is about, read from its arguments and the guest's memory (a bad pointer leaves a field out). */
export function describePoint(call: string, args: readonly unknown[], memory: Uint8Array): PointInfo {
  const shape = shapeOf(call);
  const info: PointInfo = { call };
  const fd = fdOf(shape, args);
  if (fd !== undefined) info.fd = fd;
  const path = pathOf(shape, args, memory);
  if (path !== undefined) info.path = path;
  const len = lenOf(shape, args, memory);
  if (len !== undefined) info.len = len;
  return info;
}

// ---- the points of a recording, in columns -----------------------------------------------------------------

/** Points as the worker sends them: columns of one batch, in transferable arrays (no object per point). */
export interface PointBatch {
  first: number;
  count: number;
  /** Call names of this batch; `calls` holds indices into it. */
  names: string[];
  calls: Uint16Array;
  /** -1: the call has no such argument. */
  fds: Int32Array;
  lens: Int32Array;
  /** [index in the batch, path] for the calls that have one. */
  paths: [number, string][];
  /** The journal record where each point's entries begin. */
  records: Float64Array;
  /** ms since the session started. */
  times: Float32Array;
}

const BATCH = 4096;

/** Collects points into batches (the worker's side). */
export class PointBatchWriter {
  private batch = PointBatchWriter.empty(0);
  private readonly ids = new Map<string, number>();

  private static empty(first: number): PointBatch {
    return {
      first, count: 0, names: [], calls: new Uint16Array(BATCH), fds: new Int32Array(BATCH), lens: new Int32Array(BATCH), paths: [],
      records: new Float64Array(BATCH), times: new Float32Array(BATCH),
    };
  }

  get count(): number {
    return this.batch.count;
  }

  get full(): boolean {
    return this.batch.count >= BATCH;
  }

  /**
   * Adds point `n`: host call `call` with its arguments, described straight into the columns. `memory` gives the
   * guest's memory, asked for only by the calls whose description reads it (paths, buffers).
   */
  add(n: number, call: string, args: readonly unknown[], memory: () => Uint8Array, record: number, time: number): void {
    const b = this.batch;
    if (b.count === 0) b.first = n;
    const i = b.count++;
    let id = this.ids.get(call);
    if (id === undefined) {
      id = b.names.length;
      b.names.push(call);
      this.ids.set(call, id);
    }
    const shape = shapeOf(call);
    b.calls[i] = id;
    b.fds[i] = fdOf(shape, args) ?? -1;
    b.lens[i] = shape.iov ? (lenOf(shape, args, memory()) ?? -1) : -1;
    if (shape.path) {
      const path = pathOf(shape, args, memory());
      if (path !== undefined) b.paths.push([i, path]);
    }
    b.records[i] = record;
    b.times[i] = time;
  }

  /** The batch so far (its arrays to transfer), and a new one after it. */
  take(next: number): { batch: PointBatch; transfer: ArrayBuffer[] } {
    const b = this.batch;
    this.batch = PointBatchWriter.empty(next);
    this.ids.clear();
    return { batch: b, transfer: [b.calls.buffer, b.fds.buffer, b.lens.buffer, b.records.buffer, b.times.buffer] as ArrayBuffer[] };
  }
}

/** Every point of a recording (the session's side): columns that grow, names interned once. */
export class PointTable {
  private calls = new Uint16Array(1024);
  private fds = new Int32Array(1024);
  private lens = new Int32Array(1024);
  private records = new Float64Array(1024);
  private times = new Float32Array(1024);
  private have = new Uint8Array(1024);
  private readonly paths = new Map<number, string>();
  private readonly names: string[] = [];
  private readonly ids = new Map<string, number>();
  /** One past the highest point held. */
  length = 0;

  private grow(need: number): void {
    if (need <= this.calls.length) return;
    let size = this.calls.length;
    while (size < need) size *= 2;
    const g = <T extends Uint16Array | Int32Array | Float64Array | Float32Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const out = make(size);
      out.set(a);
      return out;
    };
    this.calls = g(this.calls, (n) => new Uint16Array(n));
    this.fds = g(this.fds, (n) => new Int32Array(n));
    this.lens = g(this.lens, (n) => new Int32Array(n));
    this.records = g(this.records, (n) => new Float64Array(n));
    this.times = g(this.times, (n) => new Float32Array(n));
    this.have = g(this.have, (n) => new Uint8Array(n));
  }

  append(b: PointBatch): void {
    this.grow(b.first + b.count);
    const map = b.names.map((name) => {
      let id = this.ids.get(name);
      if (id === undefined) {
        id = this.names.length;
        this.names.push(name);
        this.ids.set(name, id);
      }
      return id;
    });
    for (let i = 0; i < b.count; i++) {
      const n = b.first + i;
      this.calls[n] = map[b.calls[i]];
      this.fds[n] = b.fds[i];
      this.lens[n] = b.lens[i];
      this.records[n] = b.records[i];
      this.times[n] = b.times[i];
      this.have[n] = 1;
    }
    for (const [i, p] of b.paths) this.paths.set(b.first + i, p);
    this.length = Math.max(this.length, b.first + b.count);
  }

  info(n: number): PointInfo | undefined {
    if (!(n >= 0 && n < this.length) || !this.have[n]) return undefined;
    const info: PointInfo = { call: this.names[this.calls[n]] };
    if (this.fds[n] >= 0) info.fd = this.fds[n];
    const path = this.paths.get(n);
    if (path !== undefined) info.path = path;
    if (this.lens[n] >= 0) info.len = this.lens[n];
    return info;
  }

  /** Points [start, end) as columns (copies); points not known yet have call "" and category "process". */
  columns(start: number, end: number): PointColumns {
    const a = Math.max(0, Math.min(start, this.length));
    const b = Math.max(a, Math.min(end, this.length));
    const names = this.names.slice();
    const categories = new Uint8Array(b - a);
    const byName = names.map((n) => CATEGORIES.indexOf(categoryOf(n)));
    const terminal = CATEGORIES.indexOf('terminal');
    for (let n = a; n < b; n++) {
      if (!this.have[n]) {
        categories[n - a] = CATEGORIES.indexOf('process');
        continue;
      }
      const name = names[this.calls[n]];
      const fd = this.fds[n];
      categories[n - a] = fd >= 0 && fd <= 2 && (name === 'fd_read' || name === 'fd_write') ? terminal : byName[this.calls[n]];
    }
    const paths: [number, string][] = [];
    for (const [n, p] of this.paths) if (n >= a && n < b) paths.push([n, p]);
    return {
      start: a,
      calls: this.calls.slice(a, b),
      names,
      categories,
      fds: this.fds.slice(a, b),
      lens: this.lens.slice(a, b),
      times: this.times.slice(a, b),
      records: this.records.slice(a, b),
      paths,
    };
  }

  record(n: number): number | undefined {
    return n >= 0 && n < this.length && this.have[n] ? this.records[n] : undefined;
  }

  time(n: number): number | undefined {
    return n >= 0 && n < this.length && this.have[n] ? this.times[n] : undefined;
  }
}

/**
 * What a host call touches, for the timeline's colours and filters (the index is the category's code in columns):
 * the file system (path_*), descriptors (other fd_*), the terminal (reads and writes of fds 0-2), sockets (sock_*),
 * threads, the outside world's inputs (clock, random, poll) and the process (arguments, environment, exit).
 */
export const CATEGORIES = ['fs', 'fd', 'terminal', 'net', 'threads', 'outside', 'process'] as const;
export type Category = (typeof CATEGORIES)[number];

export function categoryOf(call: string, fd?: number): Category {
  if (call.startsWith('path_')) return 'fs';
  if ((call === 'fd_read' || call === 'fd_write') && fd !== undefined && fd >= 0 && fd <= 2) return 'terminal';
  if (call.startsWith('fd_')) return 'fd';
  if (call.startsWith('sock_')) return 'net';
  if (call.startsWith('thread') || call === 'sched_yield' || call.startsWith('futex')) return 'threads';
  if (call.startsWith('clock_') || call === 'random_get' || call === 'poll_oneoff') return 'outside';
  return 'process';
}

/** A stretch of the timeline as columns (for a panel drawing 100,000 points): index i is point start + i. */
export interface PointColumns {
  start: number;
  /** Host call ids into `names`. */
  calls: Uint16Array;
  names: string[];
  /** Index into CATEGORIES. */
  categories: Uint8Array;
  /** -1: none. */
  fds: Int32Array;
  lens: Int32Array;
  /** ms since the program started. */
  times: Float32Array;
  /** The journal entry where each point's entries begin. */
  records: Float64Array;
  /** The paths of the points that name one. */
  paths: [number, string][];
}

/** Two stretches one after the other (a branch's parent's points, then its own) as one. */
export function joinColumns(a: PointColumns, b: PointColumns): PointColumns {
  const names = a.names.slice();
  const remap = b.names.map((n) => {
    const i = names.indexOf(n);
    return i >= 0 ? i : names.push(n) - 1;
  });
  const cat = <T extends Uint16Array | Uint8Array | Int32Array | Float32Array | Float64Array>(x: T, y: T, make: (n: number) => T): T => {
    const out = make(x.length + y.length);
    out.set(x);
    out.set(y, x.length);
    return out;
  };
  return {
    start: a.calls.length === 0 ? b.start : a.start,
    calls: cat(a.calls, b.calls.map((c) => remap[c] ?? 0), (n) => new Uint16Array(n)),
    names,
    categories: cat(a.categories, b.categories, (n) => new Uint8Array(n)),
    fds: cat(a.fds, b.fds, (n) => new Int32Array(n)),
    lens: cat(a.lens, b.lens, (n) => new Int32Array(n)),
    times: cat(a.times, b.times, (n) => new Float32Array(n)),
    records: cat(a.records, b.records, (n) => new Float64Array(n)),
    paths: [...a.paths, ...b.paths],
  };
}

/** One line for a point: `fd_write(fd 1, 12 bytes)`, `path_open("out.txt")`. */
export function pointText(info: PointInfo): string {
  const parts: string[] = [];
  if (info.fd !== undefined) parts.push(`fd ${info.fd}`);
  if (info.path !== undefined) parts.push(JSON.stringify(info.path));
  if (info.len !== undefined) parts.push(`${info.len} bytes`);
  return `${info.call}(${parts.join(', ')})`;
}

// ---- conditions ----------------------------------------------------------------------------------------------

export type Condition = (p: PointInfo) => boolean;

export class ConditionError extends Error {}

const FIELDS = ['call', 'fd', 'path', 'len'] as const;
type Field = (typeof FIELDS)[number];

interface Token {
  t: 'id' | 'num' | 'str' | 'op';
  v: string;
  at: number;
}

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  const re = /\s*(?:([A-Za-z_][A-Za-z0-9_]*)|(-?\d+)|"((?:[^"\\]|\\.)*)"|(==|!=|<=|>=|&&|\|\||[<>!()]))/y;
  let i = 0;
  while (i < src.length) {
    if (/^\s*$/.test(src.slice(i))) break;
    re.lastIndex = i;
    const m = re.exec(src);
    if (!m) {
      const at = i + (src.slice(i).length - src.slice(i).trimStart().length);
      throw new ConditionError(`unexpected "${src[at]}" at column ${at + 1}`);
    }
    const at = m.index + m[0].length - (m[1] ?? m[2] ?? (m[3] !== undefined ? `"${m[3]}"` : m[4])).length;
    if (m[1] !== undefined) out.push({ t: m[1] === 'contains' ? 'op' : 'id', v: m[1], at });
    else if (m[2] !== undefined) out.push({ t: 'num', v: m[2], at });
    else if (m[3] !== undefined) out.push({ t: 'str', v: m[3].replace(/\\(.)/g, '$1'), at });
    else out.push({ t: 'op', v: m[4], at });
    i = re.lastIndex;
  }
  return out;
}

/**
 * Parses a breakpoint condition over a point's fields (`call`, `fd`, `path`, `len`): comparisons (== != < <= > >=),
 * `contains` on strings, `&&`, `||`, `!` and parentheses. A field the call does not have makes its comparison false.
 */
export function parseCondition(src: string): Condition {
  const toks = tokenize(src);
  let k = 0;
  const peek = (): Token | undefined => toks[k];
  const fail = (what: string): never => {
    const t = peek();
    throw new ConditionError(t ? `${what} at column ${t.at + 1} ("${t.v}")` : `${what} at the end`);
  };
  const or = (): Condition => {
    let l = and();
    while (peek()?.v === '||') {
      k++;
      const a = l, b = and();
      l = (p) => a(p) || b(p);
    }
    return l;
  };
  const and = (): Condition => {
    let l = unary();
    while (peek()?.v === '&&') {
      k++;
      const a = l, b = unary();
      l = (p) => a(p) && b(p);
    }
    return l;
  };
  const unary = (): Condition => {
    const t = peek();
    if (!t) return fail('expected a comparison');
    if (t.v === '!') {
      k++;
      const c = unary();
      return (p) => !c(p);
    }
    if (t.v === '(') {
      k++;
      const c = or();
      if (peek()?.v !== ')') fail('expected ")"');
      k++;
      return c;
    }
    return comparison();
  };
  const comparison = (): Condition => {
    const t = peek()!;
    if (t.t !== 'id') return fail('expected a field (call, fd, path, len)');
    if (!(FIELDS as readonly string[]).includes(t.v)) fail(`unknown field (the fields are ${FIELDS.join(', ')})`);
    const field = t.v as Field;
    k++;
    const op = peek();
    if (!op || op.t !== 'op' || !['==', '!=', '<', '<=', '>', '>=', 'contains'].includes(op.v)) {
      // A field alone: true when the call has it.
      return (p) => p[field] !== undefined;
    }
    k++;
    const val = peek();
    if (!val || (val.t !== 'num' && val.t !== 'str')) return fail('expected a number or a "string"');
    k++;
    const numeric = field === 'fd' || field === 'len';
    if (numeric && val.t !== 'num') fail(`${field} is a number`);
    if (!numeric && val.t !== 'str') fail(`${field} is a string (in double quotes)`);
    if (op.v === 'contains' && numeric) fail('contains needs a string field');
    const want: number | string = val.t === 'num' ? Number(val.v) : val.v;
    const cmp = op.v;
    return (p) => {
      const got = p[field];
      if (got === undefined) return false;
      switch (cmp) {
        case '==': return got === want;
        case '!=': return got !== want;
        case '<': return got < want;
        case '<=': return got <= want;
        case '>': return got > want;
        case '>=': return got >= want;
        default: return String(got).includes(String(want));
      }
    };
  };
  if (toks.length === 0) return () => true;
  const c = or();
  if (k < toks.length) fail('unexpected text');
  return c;
}
