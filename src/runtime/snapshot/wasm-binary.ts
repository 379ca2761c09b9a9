// Just enough of the WebAssembly binary format for instrumentation: its sections, the mutable globals (to export
// them), the function names, and every function's direct and indirect calls (to find which functions can reach a
// snapshot import). Anything this reader does not know (a proposal it does not decode) is a WasmShapeError: the
// caller then instruments without the analysis, never with a wrong one.

export class WasmShapeError extends Error {}

/** A cursor over module bytes (for wasm-join.ts too). */
export class Reader {
  constructor(
    readonly b: Uint8Array,
    public pos = 0,
    readonly end = b.length,
  ) {}
  byte(): number {
    if (this.pos >= this.end) throw new WasmShapeError(`unexpected end at byte ${this.pos}`);
    return this.b[this.pos++];
  }
  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const x = this.byte();
      result += (x & 0x7f) * 2 ** shift;
      if ((x & 0x80) === 0) break;
      shift += 7;
      if (shift > 35) throw new WasmShapeError(`bad LEB128 at byte ${this.pos}`);
    }
    return result;
  }
  /** Skips a signed LEB128 of up to `bits` bits. */
  sleb(bits: number): void {
    for (let n = 0; ; n += 7) {
      const x = this.byte();
      if ((x & 0x80) === 0) break;
      if (n > bits) throw new WasmShapeError(`bad LEB128 at byte ${this.pos}`);
    }
  }
  skip(n: number): void {
    if (this.pos + n > this.end) throw new WasmShapeError(`unexpected end at byte ${this.pos}`);
    this.pos += n;
  }
  name(): string {
    const n = this.u32();
    const s = Buffer.from(this.b.buffer, this.b.byteOffset + this.pos, n).toString('utf8');
    this.skip(n);
    return s;
  }
}

export interface Section {
  id: number;
  /** Offsets of the section's contents (after its id and size). */
  start: number;
  end: number;
  /** Offset of the id byte. */
  headerStart: number;
}

export function sections(bytes: Uint8Array): Section[] {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) throw new WasmShapeError('not a WebAssembly module');
  const r = new Reader(bytes, 8);
  const out: Section[] = [];
  while (r.pos < bytes.length) {
    const headerStart = r.pos;
    const id = r.byte();
    const size = r.u32();
    const start = r.pos;
    r.skip(size);
    out.push({ id, start, end: start + size, headerStart });
  }
  return out;
}

export function encodeU32(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

export function skipValType(r: Reader): void {
  const t = r.byte();
  // (ref null? heaptype) of the typed-references proposal carry a heap type.
  if (t === 0x63 || t === 0x64) r.sleb(33);
}

/** Skips a constant expression (global initialisers, segment offsets). */
function skipConstExpr(r: Reader): void {
  for (;;) {
    const op = r.byte();
    switch (op) {
      case 0x0b:
        return;
      case 0x41: r.sleb(32); break;
      case 0x42: r.sleb(64); break;
      case 0x43: r.skip(4); break;
      case 0x44: r.skip(8); break;
      case 0x23: r.u32(); break; // global.get
      case 0xd0: skipHeapType(r); break; // ref.null
      case 0xd2: r.u32(); break; // ref.func
      case 0x6a: case 0x6b: case 0x6c: case 0x7c: case 0x7d: case 0x7e: break; // extended const
      case 0xfd:
        if (r.u32() !== 12) throw new WasmShapeError('unknown constant expression');
        r.skip(16);
        break;
      default:
        throw new WasmShapeError(`unknown constant expression opcode 0x${op.toString(16)}`);
    }
  }
}

function skipHeapType(r: Reader): void {
  r.sleb(33);
}

export interface ModuleShape {
  sections: Section[];
  /** Type index of every function (imports first). */
  funcTypes: number[];
  importedFuncs: { module: string; name: string }[];
  importedGlobals: number;
  importedTables: number;
  /** Indices of the mutable globals the module defines. */
  mutableGlobals: number[];
  /** Signature of every type (for call_indirect: a call can reach functions of a structurally equal type). */
  typeKeys: string[];
}

/** Skips what an import of a table (1), memory (2), global (3) or tag (4) declares (a function's is its type index). */
export function skipImportDesc(r: Reader, kind: number): void {
  if (kind === 1 || kind === 2) {
    // table: reference type, then limits; memory: limits
    if (kind === 1) skipValType(r);
    const flags = r.byte();
    r.u32();
    if (flags & 1) r.u32();
  } else if (kind === 3) {
    skipValType(r);
    r.byte();
  } else if (kind === 4) {
    r.byte();
    r.u32();
  } else throw new WasmShapeError(`import kind ${kind} is not decoded`);
}

export function readShape(bytes: Uint8Array): ModuleShape {
  const secs = sections(bytes);
  const shape: ModuleShape = { sections: secs, funcTypes: [], importedFuncs: [], importedGlobals: 0, importedTables: 0, mutableGlobals: [], typeKeys: [] };
  for (const s of secs) {
    const r = new Reader(bytes, s.start, s.end);
    if (s.id === 1) {
      const n = r.u32();
      for (let i = 0; i < n; i++) {
        const form = r.byte();
        if (form !== 0x60) {
          // GC types (rec groups, structs, arrays): not decoded.
          throw new WasmShapeError(`type form 0x${form.toString(16)} is not decoded`);
        }
        const start = r.pos;
        const np = r.u32();
        for (let k = 0; k < np; k++) skipValType(r);
        const nr = r.u32();
        for (let k = 0; k < nr; k++) skipValType(r);
        shape.typeKeys.push(Buffer.from(bytes.subarray(start, r.pos)).toString('hex'));
      }
    } else if (s.id === 2) {
      const n = r.u32();
      for (let i = 0; i < n; i++) {
        const module = r.name();
        const name = r.name();
        const kind = r.byte();
        if (kind === 0) {
          shape.funcTypes.push(r.u32());
          shape.importedFuncs.push({ module, name });
        } else {
          skipImportDesc(r, kind);
          if (kind === 1) shape.importedTables++;
          if (kind === 3) shape.importedGlobals++;
        }
      }
    } else if (s.id === 3) {
      const n = r.u32();
      for (let i = 0; i < n; i++) shape.funcTypes.push(r.u32());
    } else if (s.id === 6) {
      const n = r.u32();
      for (let i = 0; i < n; i++) {
        skipValType(r);
        const mut = r.byte();
        skipConstExpr(r);
        if (mut === 1) shape.mutableGlobals.push(shape.importedGlobals + i);
      }
    }
  }
  return shape;
}

/**
 * The module with every mutable global it defines exported as `${prefix}${index}` (the index in the global index
 * space), besides whatever exports it has: what a snapshot saves and a restore sets.
 */
export function exportMutableGlobals(bytes: Uint8Array, prefix: string): Uint8Array {
  const shape = readShape(bytes);
  if (shape.mutableGlobals.length === 0) return bytes;
  const entries: number[] = [];
  for (const g of shape.mutableGlobals) {
    const name = Buffer.from(`${prefix}${g}`, 'utf8');
    entries.push(...encodeU32(name.length), ...name, 0x03, ...encodeU32(g));
  }
  const exp = shape.sections.find((s) => s.id === 7);
  let count = shape.mutableGlobals.length;
  let existing: Uint8Array = new Uint8Array(0);
  if (exp) {
    const r = new Reader(bytes, exp.start, exp.end);
    count += r.u32();
    existing = bytes.subarray(r.pos, exp.end);
  }
  const body = Buffer.concat([Buffer.from(encodeU32(count)), existing, Buffer.from(entries)]);
  const section = Buffer.concat([Buffer.from([7, ...encodeU32(body.length)]), body]);
  // The export section goes where it was, or before the first section that must follow it (start, element, ...).
  const known = shape.sections.filter((s) => s.id !== 0);
  const at = exp ?? known.find((s) => sectionOrder(s.id) > sectionOrder(7));
  const cut = at ? at.headerStart : bytes.length;
  const rest = exp ? exp.end : cut;
  return new Uint8Array(Buffer.concat([bytes.subarray(0, cut), section, bytes.subarray(rest)]));
}

/** The order sections must appear in (data count, id 12, sits between element and code). */
function sectionOrder(id: number): number {
  return id === 12 ? 9.5 : id === 13 ? 5.5 : id;
}

/** Function names from the name section (index -> name), when it has them. */
export function functionNames(bytes: Uint8Array): Map<number, string> {
  const out = new Map<number, string>();
  for (const s of sections(bytes)) {
    if (s.id !== 0) continue;
    const r = new Reader(bytes, s.start, s.end);
    if (r.name() !== 'name') continue;
    while (r.pos < s.end) {
      const sub = r.byte();
      const size = r.u32();
      const end = r.pos + size;
      if (sub === 1) {
        const n = r.u32();
        for (let i = 0; i < n; i++) {
          const idx = r.u32();
          out.set(idx, r.name());
        }
      }
      r.pos = end;
    }
  }
  return out;
}

export interface CallGraph {
  functions: number;
  imported: { module: string; name: string }[];
  /** Direct callees of every function (by index; imports have none). */
  calls: number[][];
  /** Type keys of the call_indirect / return_call_indirect each function makes. */
  indirect: string[][];
  /** Type key of every function. */
  typeOf: string[];
  /** Functions in a table (possible targets of indirect calls), or every function when the module can change tables. */
  inTable: Set<number>;
}

/** Calls `fn` with each function body of the code section `s` (a reader at its first instruction). */
function forEachBody(bytes: Uint8Array, shape: ModuleShape, s: Section, fn: (func: number, body: Reader, start: number, end: number) => void): void {
  const r = new Reader(bytes, s.start, s.end);
  const nImported = shape.importedFuncs.length;
  const n = r.u32();
  if (n !== shape.funcTypes.length - nImported) throw new WasmShapeError('function and code counts differ');
  for (let i = 0; i < n; i++) {
    const size = r.u32();
    const start = r.pos;
    const end = r.pos + size;
    const body = new Reader(bytes, r.pos, end);
    const groups = body.u32();
    for (let g = 0; g < groups; g++) {
      body.u32();
      skipValType(body);
    }
    fn(nImported + i, body, start, end);
    r.pos = end;
  }
}

export interface CodeLayout {
  /** Offset of the code section's contents in the module (DWARF addresses count from there). */
  codeStart: number;
  /** Each defined function's body, [start, end) in the module, by function index. */
  bodies: Map<number, { start: number; end: number }>;
  /** Direct calls: the calling function, the function called, the module offset of the call instruction. */
  sites: { caller: number; callee: number; offset: number }[];
}

/** Where every function's code is and where its direct calls are (for mapping frames to source lines). */
export function codeLayout(bytes: Uint8Array): CodeLayout {
  const shape = readShape(bytes);
  const bodies = new Map<number, { start: number; end: number }>();
  const sites: CodeLayout['sites'] = [];
  let codeStart = -1;
  for (const s of shape.sections) {
    if (s.id !== 10) continue;
    codeStart = s.start;
    forEachBody(bytes, shape, s, (f, body, start, end) => {
      bodies.set(f, { start, end });
      const calls: number[] = [];
      const at: number[] = [];
      scanCode(body, shape, calls, [], undefined, at);
      calls.forEach((callee, i) => sites.push({ caller: f, callee, offset: at[i] }));
    });
  }
  return { codeStart, bodies, sites };
}

/** Reads every function's calls. Throws WasmShapeError for code this reader does not decode. */
export function callGraph(bytes: Uint8Array): CallGraph {
  const shape = readShape(bytes);
  const total = shape.funcTypes.length;
  const calls: number[][] = Array.from({ length: total }, () => []);
  const indirect: string[][] = Array.from({ length: total }, () => []);
  const typeOf = shape.funcTypes.map((t) => {
    const k = shape.typeKeys[t];
    if (k === undefined) throw new WasmShapeError(`function type ${t} does not exist`);
    return k;
  });
  const inTable = new Set<number>();
  // A table from outside can hold anything.
  let dynamicTables = shape.importedTables > 0;
  for (const s of shape.sections) {
    const r = new Reader(bytes, s.start, s.end);
    if (s.id === 7) {
      // An exported table can be changed from outside.
      const n = r.u32();
      for (let i = 0; i < n; i++) {
        r.name();
        const kind = r.byte();
        r.u32();
        if (kind === 1) dynamicTables = true;
      }
    } else if (s.id === 9) {
      const n = r.u32();
      for (let i = 0; i < n; i++) {
        const flags = r.u32();
        if (flags > 7) throw new WasmShapeError(`element segment flags ${flags}`);
        if ((flags & 1) === 0) {
          if (flags & 2) r.u32(); // table index
          skipConstExpr(r);
        }
        const exprs = (flags & 4) !== 0;
        if (flags & 3) {
          if (exprs) skipValType(r);
          else r.byte(); // elemkind
        }
        const count = r.u32();
        for (let k = 0; k < count; k++) {
          if (!exprs) inTable.add(r.u32());
          else {
            // ref.func f end, or ref.null
            const op = r.byte();
            if (op === 0xd2) inTable.add(r.u32());
            else if (op === 0xd0) skipHeapType(r);
            else throw new WasmShapeError('element expression');
            if (r.byte() !== 0x0b) throw new WasmShapeError('element expression');
          }
        }
      }
    } else if (s.id === 10) {
      forEachBody(bytes, shape, s, (f, body) => {
        if (scanCode(body, shape, calls[f], indirect[f])) dynamicTables = true;
      });
    }
  }
  if (dynamicTables) for (let f = 0; f < total; f++) inTable.add(f);
  return { functions: total, imported: shape.importedFuncs, calls, indirect, typeOf, inTable };
}

function memarg(r: Reader): void {
  const align = r.u32();
  if (align & 0x40) r.u32(); // multi-memory: memory index
  r.u32();
}

/** Where a function body names a type: the bytes [start, end) hold the LEB128 of type `index`. */
export type TypeUse = (start: number, end: number, index: number, signed: boolean) => void;

/**
 * Reads a block type; a type index (a multi-value block) goes to `onType`. Block types are signed LEB128 (s33): one
 * byte 0x40 (no value) or a value type, which read as negative numbers, or a non-negative type index.
 */
function blockType(r: Reader, onType?: TypeUse): void {
  const b = r.b[r.pos];
  if (b !== undefined && (b & 0xc0) === 0x40) {
    r.pos++;
    return;
  }
  const start = r.pos;
  const index = r.u32();
  onType?.(start, r.pos, index, true);
}

/**
 * Walks a function body; records calls (and, in `callAt`, where each is), and gives every use of a type index to
 * `onType`. Returns true when the code can change what tables hold.
 */
export function scanCode(r: Reader, shape: ModuleShape, calls: number[], indirect: string[], onType?: TypeUse, callAt?: number[]): boolean {
  let changesTables = false;
  while (r.pos < r.end) {
    const opAt = r.pos;
    const op = r.byte();
    if (op <= 0x01 || op === 0x05 || op === 0x0b || op === 0x0f || op === 0x1a || op === 0x1b || op === 0xd1) continue;
    if (op >= 0x45 && op <= 0xc4) continue; // numeric, no immediates
    if (op >= 0x28 && op <= 0x3e) {
      memarg(r);
      continue;
    }
    switch (op) {
      case 0x02: case 0x03: case 0x04: // block, loop, if: block type
        blockType(r, onType);
        break;
      case 0x0c: case 0x0d: // br, br_if
        r.u32();
        break;
      case 0x0e: { // br_table
        const n = r.u32();
        for (let i = 0; i <= n; i++) r.u32();
        break;
      }
      case 0x10: case 0x12: // call, return_call
        calls.push(r.u32());
        callAt?.push(opAt);
        break;
      case 0x11: case 0x13: { // call_indirect, return_call_indirect
        const at = r.pos;
        const t = r.u32();
        onType?.(at, r.pos, t, false);
        r.u32();
        const key = shape.typeKeys[t];
        if (key === undefined) throw new WasmShapeError(`call_indirect of type ${t}`);
        indirect.push(key);
        break;
      }
      case 0x1c: { // select with types
        const n = r.u32();
        for (let i = 0; i < n; i++) skipValType(r);
        break;
      }
      case 0x20: case 0x21: case 0x22: case 0x23: case 0x24: // local.*, global.*
        r.u32();
        break;
      case 0x25: // table.get
        r.u32();
        break;
      case 0x26: // table.set
        r.u32();
        changesTables = true;
        break;
      case 0x3f: case 0x40: // memory.size, memory.grow
        r.u32();
        break;
      case 0x41: r.sleb(32); break;
      case 0x42: r.sleb(64); break;
      case 0x43: r.skip(4); break;
      case 0x44: r.skip(8); break;
      case 0xd0: skipHeapType(r); break; // ref.null
      case 0xd2: // ref.func: the function can be put in a table, or called by reference
        r.u32();
        changesTables = true;
        break;
      case 0xfc: {
        const sub = r.u32();
        if (sub <= 7) break; // saturating truncations
        switch (sub) {
          case 8: r.u32(); r.u32(); break; // memory.init
          case 9: r.u32(); break; // data.drop
          case 10: r.u32(); r.u32(); break; // memory.copy
          case 11: r.u32(); break; // memory.fill
          case 12: r.u32(); r.u32(); changesTables = true; break; // table.init
          case 13: r.u32(); break; // elem.drop
          case 14: r.u32(); r.u32(); changesTables = true; break; // table.copy
          case 15: r.u32(); changesTables = true; break; // table.grow
          case 16: r.u32(); break; // table.size
          case 17: r.u32(); changesTables = true; break; // table.fill
          default: throw new WasmShapeError(`opcode 0xfc ${sub}`);
        }
        break;
      }
      case 0xfd:
        simd(r);
        break;
      case 0xfe: {
        const sub = r.u32();
        if (sub === 3) r.byte(); // atomic.fence
        else if (sub <= 0x4e) memarg(r);
        else throw new WasmShapeError(`opcode 0xfe ${sub}`);
        break;
      }
      default:
        // Exceptions, typed function references, GC and anything newer: not decoded.
        throw new WasmShapeError(`opcode 0x${op.toString(16)} is not decoded`);
    }
  }
  return changesTables;
}

function simd(r: Reader): void {
  const sub = r.u32();
  if (sub <= 11 || sub === 92 || sub === 93) memarg(r); // loads, stores, load32/64_zero
  else if (sub === 12 || sub === 13) r.skip(16); // v128.const, i8x16.shuffle
  else if (sub >= 21 && sub <= 34) r.byte(); // extract/replace lane
  else if (sub >= 84 && sub <= 91) {
    memarg(r); // load/store lane
    r.byte();
  } else if (sub > 0x113) throw new WasmShapeError(`opcode 0xfd ${sub}`);
}

/**
 * The functions that can reach one of `targets` (imports, by "module.name"; `*` ends a module-wide pattern) through
 * direct calls and indirect calls of a matching type to functions in a table. An indirect call traps unless its
 * callee has the type it names, so this is sound as long as tables hold only what the module put there (callGraph
 * counts every function as a possible target otherwise).
 */
export function reachingFunctions(g: CallGraph, targets: string[]): Set<number> {
  const matches = (m: string, n: string): boolean =>
    targets.some((t) => (t.endsWith('.*') ? t.slice(0, -2) === m : t === `${m}.${n}`));
  const reach = new Set<number>();
  g.imported.forEach((imp, i) => {
    if (matches(imp.module, imp.name)) reach.add(i);
  });
  // Callers of each function, and of each indirect-call type.
  const callers: number[][] = Array.from({ length: g.functions }, () => []);
  const indirectCallers = new Map<string, number[]>();
  for (let f = 0; f < g.functions; f++) {
    for (const c of g.calls[f]) if (c < g.functions) callers[c].push(f);
    for (const t of g.indirect[f]) {
      let list = indirectCallers.get(t);
      if (!list) indirectCallers.set(t, (list = []));
      list.push(f);
    }
  }
  const work = [...reach];
  const doneTypes = new Set<string>();
  while (work.length > 0) {
    const f = work.pop()!;
    const up = [...callers[f]];
    if (g.inTable.has(f) && !doneTypes.has(g.typeOf[f])) {
      doneTypes.add(g.typeOf[f]);
      up.push(...(indirectCallers.get(g.typeOf[f]) ?? []));
    }
    for (const c of up) {
      if (!reach.has(c)) {
        reach.add(c);
        work.push(c);
      }
    }
  }
  return reach;
}

/**
 * The module with its function names (name section, subsection 1) replaced by `rename(index, name)` for every
 * function (imports included; `name` is undefined for one without a name); other names are kept as they are.
 */
export function renameFunctions(bytes: Uint8Array, count: number, rename: (index: number, name: string | undefined) => string | undefined): Uint8Array {
  const names = functionNames(bytes);
  const entries: number[] = [];
  let n = 0;
  for (let i = 0; i < count; i++) {
    const name = rename(i, names.get(i));
    if (name === undefined) continue;
    const b = Buffer.from(name, 'utf8');
    entries.push(...encodeU32(i), ...encodeU32(b.length), ...b);
    n++;
  }
  const fnSub = Buffer.concat([Buffer.from(encodeU32(n)), Buffer.from(entries)]);
  const secs = sections(bytes);
  const old = secs.find((s) => s.id === 0 && new Reader(bytes, s.start, s.end).name() === 'name');
  const subs: Buffer[] = [];
  let wroteFn = false;
  const addFn = (): void => {
    subs.push(Buffer.from([1, ...encodeU32(fnSub.length)]), fnSub);
    wroteFn = true;
  };
  if (old) {
    const r = new Reader(bytes, old.start, old.end);
    r.name();
    while (r.pos < old.end) {
      const start = r.pos;
      const id = r.byte();
      const size = r.u32();
      const end = r.pos + size;
      if (id >= 1 && !wroteFn) addFn();
      if (id !== 1) subs.push(Buffer.from(bytes.subarray(start, end)));
      r.pos = end;
    }
  }
  if (!wroteFn) addFn();
  const nameBytes = Buffer.from('name', 'utf8');
  const body = Buffer.concat([Buffer.from(encodeU32(nameBytes.length)), nameBytes, ...subs]);
  const section = Buffer.concat([Buffer.from([0, ...encodeU32(body.length)]), body]);
  if (old) return new Uint8Array(Buffer.concat([bytes.subarray(0, old.headerStart), section, bytes.subarray(old.end)]));
  return new Uint8Array(Buffer.concat([bytes, section]));
}

/** Bytes a value of this type takes in linear memory (references: a slot of 8, as asyncify cannot save them). */
function valueBytes(t: number): number {
  return t === 0x7f || t === 0x7d ? 4 : t === 0x7b ? 16 : 8;
}

/**
 * What each function's frame can add to an asyncify unwind at most (by function index; imports 0): the call index
 * (4 bytes) and every local, parameters included, at its size. An unwind saves the live locals only, so the sum over
 * the frames on the stack bounds the buffer it needs.
 */
export function frameBounds(bytes: Uint8Array): Uint32Array {
  const shape = readShape(bytes);
  const paramBytes = shape.typeKeys.map((key) => {
    const r = new Reader(Buffer.from(key, 'hex'));
    let n = 0;
    const np = r.u32();
    for (let i = 0; i < np; i++) n += valueBytes(r.byte());
    return n;
  });
  const nImported = shape.importedFuncs.length;
  const out = new Uint32Array(shape.funcTypes.length);
  const code = shape.sections.find((s) => s.id === 10);
  if (!code) return out;
  const r = new Reader(bytes, code.start, code.end);
  const n = r.u32();
  for (let i = 0; i < n; i++) {
    const size = r.u32();
    const end = r.pos + size;
    const f = nImported + i;
    let total = 4 + (paramBytes[shape.funcTypes[f]] ?? 0);
    const groups = r.u32();
    for (let g = 0; g < groups; g++) {
      const count = r.u32();
      const at = r.pos;
      skipValType(r);
      total += count * valueBytes(bytes[at]);
    }
    out[f] = Math.min(total, 0xffffffff);
    r.pos = end;
  }
  return out;
}

/** Number of functions (imports included). */
export function functionCount(bytes: Uint8Array): number {
  return readShape(bytes).funcTypes.length;
}

/** The names of everything the module exports (its export section), in order. */
export function exportNames(bytes: Uint8Array): string[] {
  const out: string[] = [];
  for (const s of sections(bytes)) {
    if (s.id !== 7) continue;
    const r = new Reader(bytes, s.start, s.end);
    const n = r.u32();
    for (let i = 0; i < n; i++) {
      out.push(r.name());
      r.byte();
      r.u32();
    }
  }
  return out;
}

/** The index of the function exported as `name`, if there is one. */
export function exportedFunction(bytes: Uint8Array, name: string): number | undefined {
  for (const s of sections(bytes)) {
    if (s.id !== 7) continue;
    const r = new Reader(bytes, s.start, s.end);
    const n = r.u32();
    for (let i = 0; i < n; i++) {
      const exportName = r.name();
      const kind = r.byte();
      const index = r.u32();
      if (kind === 0 && exportName === name) return index;
    }
  }
  return undefined;
}
