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
  return /^(args|environ|clock|random|sched|proc|fd|path|poll|sock)_[a-z_]+$/.test(name);
}

/** What a call is about, read from its arguments and the guest's memory (a bad pointer leaves a field out). */
export function describePoint(call: string, args: readonly unknown[], memory: Uint8Array): PointInfo {
  const info: PointInfo = { call };
  const a0 = args[0];
  if ((FD_FIRST.test(call) || PATH_WITH_FD.test(call)) && typeof a0 === 'number') info.fd = a0 >>> 0;
  const p = PATH_ARGS[call];
  if (p) {
    const ptr = Number(args[p[0]]) >>> 0;
    const len = Number(args[p[1]]) >>> 0;
    if (len <= 4096 && ptr + len <= memory.length) info.path = utf8.decode(memory.subarray(ptr, ptr + len));
  }
  if (IOV_CALLS.has(call)) {
    const iovs = Number(args[1]) >>> 0;
    const n = Number(args[2]) >>> 0;
    if (n <= 1024 && iovs + n * 8 <= memory.length) {
      const v = new DataView(memory.buffer, memory.byteOffset, memory.byteLength);
      let len = 0;
      for (let i = 0; i < n; i++) len += v.getUint32(iovs + i * 8 + 4, true);
      info.len = len;
    }
  }
  return info;
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
