// Joining the parts of a module instrumented on several threads (instrument.ts, with npm binaryen, which runs on one
// thread each). Every part is the same module run through asyncify with the same only-list, but each one instruments
// for real only its share of the listed functions: the bodies of the others were made `unreachable` first, so they
// cost nothing. A function's instrumentation depends only on its own body and on which functions are listed, so the
// joined module (each body from the part that owns it) is what a single run makes, except for the order of the
// types, which binaryen sorts by use. The join puts the types in a canonical order (most used first, then by
// signature), so its result is the same whatever the number of parts; a module instrumented in one part goes through
// the same join. Parts that differ anywhere else are a WasmShapeError (the caller then instruments in one run).

import { encodeU32, readShape, Reader, scanCode, skipImportDesc, skipValType, WasmShapeError, type ModuleShape } from './wasm-binary';

interface Part {
  bytes: Uint8Array;
  shape: ModuleShape;
  /** Where each defined function's body is (after its size) in the code section. */
  bodies: { start: number; end: number }[];
  /** The name section's per-function subsections (2: locals, 3: labels): function index -> the raw name map. */
  perFunctionNames: Map<number, Map<number, Uint8Array>>;
}

const NAME = 'name';

function readPart(bytes: Uint8Array): Part {
  const shape = readShape(bytes);
  const bodies: Part['bodies'] = [];
  const perFunctionNames = new Map<number, Map<number, Uint8Array>>();
  for (const s of shape.sections) {
    const r = new Reader(bytes, s.start, s.end);
    if (s.id === 10) {
      const n = r.u32();
      for (let i = 0; i < n; i++) {
        const size = r.u32();
        bodies.push({ start: r.pos, end: r.pos + size });
        r.skip(size);
      }
    } else if (s.id === 0 && r.name() === NAME) {
      while (r.pos < s.end) {
        const id = r.byte();
        const size = r.u32();
        const end = r.pos + size;
        if (id === 2 || id === 3) {
          const map = new Map<number, Uint8Array>();
          const n = r.u32();
          for (let i = 0; i < n; i++) {
            const f = r.u32();
            const start = r.pos;
            const k = r.u32();
            for (let j = 0; j < k; j++) {
              r.u32();
              r.name();
            }
            map.set(f, bytes.subarray(start, r.pos));
          }
          perFunctionNames.set(id, map);
        }
        r.pos = end;
      }
    }
  }
  if (bodies.length !== shape.funcTypes.length - shape.importedFuncs.length) throw new WasmShapeError('function and code counts differ');
  return { bytes, shape, bodies, perFunctionNames };
}

function customName(p: Part, i: number): string | undefined {
  const s = p.shape.sections[i];
  return s.id === 0 ? new Reader(p.bytes, s.start, s.end).name() : undefined;
}

/** Parts must be the same module but for types, type indices, code and names. */
function checkSame(base: Part, p: Part): void {
  const a = base.shape;
  const b = p.shape;
  if (a.sections.length !== b.sections.length || a.sections.some((s, i) => s.id !== b.sections[i].id)) throw new WasmShapeError('the parts have different sections');
  for (let i = 0; i < a.sections.length; i++) {
    const id = a.sections[i].id;
    if (id === 1 || id === 2 || id === 3 || id === 10) continue;
    if (id === 0 && customName(base, i) === NAME && customName(p, i) === NAME) continue;
    const x = base.bytes.subarray(a.sections[i].start, a.sections[i].end);
    const y = p.bytes.subarray(b.sections[i].start, b.sections[i].end);
    if (Buffer.compare(x, y) !== 0) throw new WasmShapeError(`the parts differ in section ${id}`);
  }
  if (a.funcTypes.length !== b.funcTypes.length || a.importedFuncs.length !== b.importedFuncs.length) throw new WasmShapeError('the parts have different functions');
  for (let f = 0; f < a.funcTypes.length; f++) {
    if (a.typeKeys[a.funcTypes[f]] !== b.typeKeys[b.funcTypes[f]]) throw new WasmShapeError(`function ${f} has different types in the parts`);
  }
  a.importedFuncs.forEach((imp, i) => {
    if (imp.module !== b.importedFuncs[i].module || imp.name !== b.importedFuncs[i].name) throw new WasmShapeError('the parts have different imports');
  });
}

interface TypeUseAt {
  start: number;
  end: number;
  key: string;
  signed: boolean;
}

/** Where a defined function's body names types (locals first, then the code). */
function typeUses(p: Part, defined: number): { codeStart: number; uses: TypeUseAt[] } {
  const { start, end } = p.bodies[defined];
  const r = new Reader(p.bytes, start, end);
  const groups = r.u32();
  for (let g = 0; g < groups; g++) {
    r.u32();
    skipValType(r);
  }
  const codeStart = r.pos;
  const uses: TypeUseAt[] = [];
  scanCode(r, p.shape, [], [], (s, e, index, signed) => {
    const key = p.shape.typeKeys[index];
    if (key === undefined) throw new WasmShapeError(`type ${index} does not exist`);
    uses.push({ start: s, end: e, key, signed });
  });
  return { codeStart, uses };
}

/** Signed LEB128 of a non-negative number (a type index as a block type). */
function encodeS33(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n === 0 && (b & 0x40) === 0) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

function section(id: number, body: Uint8Array[]): Buffer {
  const size = body.reduce((n, b) => n + b.length, 0);
  return Buffer.concat([Buffer.from([id, ...encodeU32(size)]), ...body]);
}

function vector(items: Uint8Array[]): Uint8Array[] {
  return [Buffer.from(encodeU32(items.length)), ...items];
}

/** The size of each defined function's body, in bytes (to share the work out evenly). */
export function bodySizes(bytes: Uint8Array): number[] {
  return readPart(bytes).bodies.map((b) => b.end - b.start);
}

/**
 * The module joined from its instrumented parts: function `f`'s body (and its local and label names) from part
 * `owner(f)` (imports and unlisted functions: any part, 0 by convention), with types in the canonical order.
 */
export function joinInstrumented(parts: Uint8Array[], owner: (func: number) => number): Uint8Array {
  const ps = parts.map(readPart);
  for (const p of ps.slice(1)) checkSame(ps[0], p);
  return join(ps, owner);
}

/**
 * A module in which only the functions `keep` says are kept have bodies; every other body is `unreachable` (and
 * loses its local and label names). Given to asyncify with those functions listed, it costs the pass (and the
 * reading and writing around it) only what they cost; joinOriginal then puts the other bodies back.
 */
export function stubBodies(bytes: Uint8Array, keep: (func: number) => boolean): Uint8Array {
  const p = readPart(bytes);
  const nImported = p.shape.importedFuncs.length;
  const stub = Buffer.from([3, 0, 0x00, 0x0b]); // size 3: no locals, unreachable, end
  const out: Uint8Array[] = [bytes.subarray(0, 8)];
  p.shape.sections.forEach((s, i) => {
    if (s.id === 10) {
      out.push(section(10, vector(p.bodies.map((b, d) => (keep(nImported + d) ? Buffer.concat([Buffer.from(encodeU32(b.end - b.start)), p.bytes.subarray(b.start, b.end)]) : stub)))));
    } else if (s.id === 0 && customName(p, i) === NAME) {
      out.push(names(p, s.start, s.end, p.shape.funcTypes.length, (f) => (f < nImported || keep(f) ? p : undefined), (t) => t, [p]));
    } else out.push(bytes.subarray(s.headerStart, s.end));
  });
  return new Uint8Array(Buffer.concat(out));
}

/**
 * The module instrumented from stubBodies' output joined with the module it came from: the instrumented bodies of
 * the functions `instrumented` says were listed (and of those the pass added), every other body (with its local and
 * label names) as it is in `original`. Each function keeps its index and signature (checked); the pass adds its
 * functions and globals after the module's own, so the original bodies' indices still mean the same.
 */
export function joinOriginal(instrumentedBytes: Uint8Array, originalBytes: Uint8Array, instrumented: (func: number) => boolean): Uint8Array {
  const part = readPart(instrumentedBytes);
  const original = readPart(originalBytes);
  const a = part.shape;
  const b = original.shape;
  if (a.importedFuncs.length !== b.importedFuncs.length) throw new WasmShapeError('the instrumented module imports other functions');
  if (a.funcTypes.length < b.funcTypes.length) throw new WasmShapeError('the instrumented module has fewer functions');
  for (let f = 0; f < b.funcTypes.length; f++) {
    if (a.typeKeys[a.funcTypes[f]] !== b.typeKeys[b.funcTypes[f]]) throw new WasmShapeError(`function ${f} changed its signature in the pass`);
  }
  const globals = (p: Part): number => {
    const s = p.shape.sections.find((x) => x.id === 6);
    return s ? new Reader(p.bytes, s.start, s.end).u32() : 0;
  };
  if (globals(part) < globals(original) || a.importedGlobals !== b.importedGlobals) throw new WasmShapeError('the instrumented module has fewer globals');
  const nOriginal = b.funcTypes.length;
  return join([part, original], (f) => (f >= nOriginal || instrumented(f) ? 0 : 1));
}

function join(ps: Part[], owner: (func: number) => number): Uint8Array {
  const base = ps[0];
  // Tags (exceptions) name types too, in a section this join does not rewrite.
  if (base.shape.sections.some((s) => s.id === 13)) throw new WasmShapeError('the module has tags (exception handling)');
  const shape = base.shape;
  const nImported = shape.importedFuncs.length;
  const total = shape.funcTypes.length;
  const ownerOf = (f: number): Part => {
    const k = f < nImported ? 0 : owner(f);
    const p = ps[k];
    if (!p) throw new WasmShapeError(`function ${f} belongs to part ${k}, which does not exist`);
    return p;
  };

  // Every use of a type: the functions' own, and the bodies'.
  const uses = new Map<string, number>();
  const use = (key: string): void => {
    uses.set(key, (uses.get(key) ?? 0) + 1);
  };
  const funcKey = (f: number): string => shape.typeKeys[shape.funcTypes[f]];
  for (let f = 0; f < total; f++) use(funcKey(f));
  const bodies: { part: Part; codeStart: number; uses: TypeUseAt[] }[] = [];
  for (let f = nImported; f < total; f++) {
    const part = ownerOf(f);
    const b = typeUses(part, f - nImported);
    for (const u of b.uses) use(u.key);
    bodies.push({ part, ...b });
  }
  const order = [...uses.keys()].sort((a, b) => uses.get(b)! - uses.get(a)! || (a < b ? -1 : a > b ? 1 : 0));
  const index = new Map(order.map((k, i) => [k, i]));

  const types = section(1, vector(order.map((k) => Buffer.concat([Buffer.from([0x60]), Buffer.from(k, 'hex')]))));
  const funcs = section(3, vector(Array.from({ length: total - nImported }, (_, i) => Buffer.from(encodeU32(index.get(funcKey(nImported + i))!)))));
  const code = section(
    10,
    vector(
      bodies.map(({ part, uses: at }, i) => {
        const { start, end } = part.bodies[i];
        const pieces: Uint8Array[] = [];
        let pos = start;
        for (const u of at) {
          pieces.push(part.bytes.subarray(pos, u.start));
          const n = index.get(u.key)!;
          pieces.push(Buffer.from(u.signed ? encodeS33(n) : encodeU32(n)));
          pos = u.end;
        }
        pieces.push(part.bytes.subarray(pos, end));
        const body = Buffer.concat(pieces);
        return Buffer.concat([Buffer.from(encodeU32(body.length)), body]);
      }),
    ),
  );

  const out: Uint8Array[] = [base.bytes.subarray(0, 8)];
  shape.sections.forEach((s, i) => {
    if (s.id === 1) out.push(types);
    else if (s.id === 2) out.push(imports(base, s.start, s.end, (t) => index.get(shape.typeKeys[t])!));
    else if (s.id === 3) out.push(funcs);
    else if (s.id === 10) out.push(code);
    else if (s.id === 0 && customName(base, i) === NAME) out.push(names(base, s.start, s.end, total, ownerOf, (t) => index.get(shape.typeKeys[t]), ps));
    else out.push(base.bytes.subarray(s.headerStart, s.end));
  });
  return new Uint8Array(Buffer.concat(out));
}

/** The import section with the functions' type indices mapped. */
function imports(p: Part, start: number, end: number, map: (t: number) => number): Buffer {
  const r = new Reader(p.bytes, start, end);
  const n = r.u32();
  const pieces: Uint8Array[] = [Buffer.from(encodeU32(n))];
  for (let i = 0; i < n; i++) {
    const at = r.pos;
    r.name();
    r.name();
    const kind = r.byte();
    if (kind === 0) {
      pieces.push(p.bytes.subarray(at, r.pos));
      pieces.push(Buffer.from(encodeU32(map(r.u32()))));
      continue;
    }
    skipImportDesc(r, kind);
    pieces.push(p.bytes.subarray(at, r.pos));
  }
  return section(2, pieces);
}

/**
 * The name section: function names as in the first part, local and label names of each function from its owner,
 * type names mapped to the new type indices, the rest as it was; subsections in their order.
 */
function names(base: Part, start: number, end: number, total: number, ownerOf: (f: number) => Part | undefined, mapType: (t: number) => number | undefined, all: Part[]): Buffer {
  const r = new Reader(base.bytes, start, end);
  r.name();
  const subs = new Map<number, Uint8Array>();
  while (r.pos < end) {
    const at = r.pos;
    const id = r.byte();
    const size = r.u32();
    const subEnd = r.pos + size;
    if (id === 4) {
      // Type names: by the new indices, in their order.
      const n = r.u32();
      const entries: [number, Uint8Array][] = [];
      for (let i = 0; i < n; i++) {
        const t = mapType(r.u32());
        const nameAt = r.pos;
        r.name();
        if (t !== undefined) entries.push([t, base.bytes.subarray(nameAt, r.pos)]);
      }
      entries.sort((a, b) => a[0] - b[0]);
      subs.set(4, section(4, vector(entries.map(([t, name]) => Buffer.concat([Buffer.from(encodeU32(t)), name])))));
    } else if (id !== 2 && id !== 3) subs.set(id, base.bytes.subarray(at, subEnd));
    r.pos = subEnd;
  }
  for (const id of [2, 3]) {
    if (!all.some((p) => p.perFunctionNames.has(id))) continue;
    const entries: Uint8Array[] = [];
    for (let f = 0; f < total; f++) {
      const raw = ownerOf(f)?.perFunctionNames.get(id)?.get(f);
      if (raw) entries.push(Buffer.concat([Buffer.from(encodeU32(f)), raw]));
    }
    subs.set(id, section(id, vector(entries)));
  }
  const body = [...subs.keys()].sort((a, b) => a - b).map((id) => subs.get(id)!);
  return section(0, [Buffer.from([...encodeU32(NAME.length), ...Buffer.from(NAME)]), ...body]);
}
