// Source lines of a module's frames, from its DWARF line tables (`.debug_line`, versions 2 to 5: clang -g, Rust
// debug builds). The module that runs is instrumented (asyncify rewrites code, and binaryen does not update DWARF),
// so a frame is mapped through the original module: a function calls the next-inner frame's function from a call
// site of the original code, and that site's address gives the line; when there are several such sites the first is
// taken (and said to be approximate), and a frame whose call cannot be found gets its function's first line.

import * as path from 'node:path';
import { codeLayout, readShape, sections, type CodeLayout } from './snapshot/wasm-binary';

export interface LineRow {
  /** Offset from the start of the code section's contents (DWARF's address for wasm). */
  address: number;
  file: string;
  line: number;
  column: number;
}

export interface SourceLocation {
  file: string;
  line: number;
  column: number;
  /** The frame's function calls the next one from several places: this is the first of them. */
  approximate: boolean;
}

class Bytes {
  pos: number;
  constructor(
    private readonly b: Uint8Array,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }
  u8(): number {
    if (this.pos >= this.end) throw new Error('truncated .debug_line');
    return this.b[this.pos++];
  }
  u16(): number {
    return this.u8() | (this.u8() << 8);
  }
  u32(): number {
    return (this.u16() | (this.u16() << 16)) >>> 0;
  }
  uN(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) v += this.u8() * 2 ** (8 * i);
    return v;
  }
  uleb(): number {
    let v = 0;
    let shift = 0;
    for (;;) {
      const byte = this.u8();
      v += (byte & 0x7f) * 2 ** shift;
      shift += 7;
      if ((byte & 0x80) === 0) return v;
    }
  }
  sleb(): number {
    let v = 0;
    let shift = 0;
    let byte: number;
    do {
      byte = this.u8();
      v += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    if (byte & 0x40) v -= 2 ** shift;
    return v;
  }
  cstr(): string {
    const start = this.pos;
    while (this.u8() !== 0);
    return Buffer.from(this.b.subarray(start, this.pos - 1)).toString('utf8');
  }
}

function customSections(bytes: Uint8Array): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const s of sections(bytes)) {
    if (s.id !== 0) continue;
    const r = new Bytes(bytes, s.start, s.end);
    const len = r.uleb();
    const name = Buffer.from(bytes.subarray(r.pos, r.pos + len)).toString('utf8');
    out.set(name, bytes.subarray(r.pos + len, s.end));
  }
  return out;
}

const DW_FORM = { string: 0x08, line_strp: 0x1f, strp: 0x0e, udata: 0x0f, data1: 0x0b, data2: 0x05, data4: 0x06, data8: 0x07, data16: 0x1e, block: 0x09 };

function strAt(sec: Uint8Array | undefined, off: number): string {
  if (!sec || off >= sec.length) return '?';
  let end = off;
  while (end < sec.length && sec[end] !== 0) end++;
  return Buffer.from(sec.subarray(off, end)).toString('utf8');
}

/** The rows of every line program of `.debug_line`, sorted by address (end_sequence rows have line 0). */
export function lineRows(bytes: Uint8Array): LineRow[] {
  const custom = customSections(bytes);
  const sec = custom.get('.debug_line');
  if (!sec) return [];
  const lineStr = custom.get('.debug_line_str');
  const str = custom.get('.debug_str');
  const rows: LineRow[] = [];
  let at = 0;
  while (at + 4 <= sec.length) {
    const r = new Bytes(sec, at, sec.length);
    let unitLength = r.u32();
    let offsetSize = 4;
    if (unitLength === 0xffffffff) {
      unitLength = r.uN(8);
      offsetSize = 8;
    }
    const unitEnd = r.pos + unitLength;
    if (unitEnd > sec.length || unitLength === 0) break;
    const version = r.u16();
    if (version < 2 || version > 5) {
      at = unitEnd;
      continue;
    }
    if (version >= 5) {
      r.u8(); // address_size
      r.u8(); // segment_selector_size
    }
    const headerLength = r.uN(offsetSize);
    const programStart = r.pos + headerLength;
    const minInst = r.u8();
    if (version >= 4) r.u8(); // maximum_operations_per_instruction
    const defaultIsStmt = r.u8();
    void defaultIsStmt;
    const lineBase = (r.u8() << 24) >> 24;
    const lineRange = r.u8();
    const opcodeBase = r.u8();
    const opLengths: number[] = [0];
    for (let i = 1; i < opcodeBase; i++) opLengths.push(r.u8());
    const dirs: string[] = [];
    const files: string[] = [];
    if (version < 5) {
      dirs.push('');
      for (let d = r.cstr(); d !== ''; d = r.cstr()) dirs.push(d);
      files.push('');
      for (let f = r.cstr(); f !== ''; f = r.cstr()) {
        const dir = r.uleb();
        r.uleb();
        r.uleb();
        files.push(dir > 0 && dirs[dir] && !path.isAbsolute(f) ? path.join(dirs[dir], f) : f);
      }
    } else {
      const readEntries = (): { path?: string; dir?: number }[] => {
        const formatCount = r.u8();
        const formats: [number, number][] = [];
        for (let i = 0; i < formatCount; i++) formats.push([r.uleb(), r.uleb()]);
        const n = r.uleb();
        const out: { path?: string; dir?: number }[] = [];
        for (let i = 0; i < n; i++) {
          const e: { path?: string; dir?: number } = {};
          for (const [content, form] of formats) {
            let value: string | number | undefined;
            switch (form) {
              case DW_FORM.string: value = r.cstr(); break;
              case DW_FORM.line_strp: value = strAt(lineStr, r.uN(offsetSize)); break;
              case DW_FORM.strp: value = strAt(str, r.uN(offsetSize)); break;
              case DW_FORM.udata: value = r.uleb(); break;
              case DW_FORM.data1: value = r.u8(); break;
              case DW_FORM.data2: value = r.u16(); break;
              case DW_FORM.data4: value = r.u32(); break;
              case DW_FORM.data8: r.uN(8); break;
              case DW_FORM.data16: r.pos += 16; break;
              case DW_FORM.block: r.pos += r.uleb(); break;
              default: throw new Error(`unknown DWARF form ${form} in .debug_line`);
            }
            if (content === 1 && typeof value === 'string') e.path = value; // DW_LNCT_path
            if (content === 2 && typeof value === 'number') e.dir = value; // DW_LNCT_directory_index
          }
          out.push(e);
        }
        return out;
      };
      for (const d of readEntries()) dirs.push(d.path ?? '');
      for (const f of readEntries()) {
        const p = f.path ?? '?';
        const d = f.dir !== undefined ? dirs[f.dir] : '';
        files.push(d && !path.isAbsolute(p) ? path.join(d, p) : p);
      }
    }
    // The line program.
    r.pos = programStart;
    let address = 0;
    let file = 1;
    let line = 1;
    let column = 0;
    const fileName = (n: number): string => files[n] ?? '?';
    const emit = (end = false): void => {
      rows.push({ address, file: fileName(file), line: end ? 0 : line, column });
    };
    const reset = (): void => {
      address = 0;
      file = 1;
      line = 1;
      column = 0;
    };
    while (r.pos < unitEnd) {
      const op = r.u8();
      if (op >= opcodeBase) {
        const adj = op - opcodeBase;
        address += Math.floor(adj / lineRange) * minInst;
        line += lineBase + (adj % lineRange);
        emit();
        continue;
      }
      switch (op) {
        case 0: {
          const len = r.uleb();
          const end = r.pos + len;
          const sub = r.u8();
          if (sub === 1) {
            emit(true);
            reset();
          } else if (sub === 2) address = r.uN(len - 1);
          r.pos = end;
          break;
        }
        case 1: emit(); break;
        case 2: address += r.uleb() * minInst; break;
        case 3: line += r.sleb(); break;
        case 4: file = r.uleb(); break;
        case 5: column = r.uleb(); break;
        case 6: case 7: case 10: case 11: break;
        case 8: address += Math.floor((255 - opcodeBase) / lineRange) * minInst; break;
        case 9: address += r.u16(); break;
        case 12: r.uleb(); break;
        default:
          for (let i = 0; i < opLengths[op]; i++) r.uleb();
      }
    }
    at = unitEnd;
  }
  rows.sort((a, b) => a.address - b.address || (a.line === 0 ? -1 : 0));
  return rows;
}

/** Maps frames of the running module (function index and code offset, innermost first) to source lines. */
export class SourceLines {
  private readonly rows: LineRow[] = [];
  private layout: CodeLayout | undefined;
  private running: CodeLayout | undefined;
  private readonly imports = new Map<string, number>();
  private readonly byName = new Map<string, number>();

  /**
   * `original`: the module as built (with its DWARF); `running`: the module that runs (instrumented), whose call
   * sites are matched to the original's in order.
   */
  constructor(original: Uint8Array, names: Map<number, string> = new Map(), running?: Uint8Array) {
    try {
      this.rows = lineRows(original);
      if (this.rows.length > 0) {
        this.layout = codeLayout(original);
        this.running = running && running !== original ? codeLayout(running) : this.layout;
        readShape(original).importedFuncs.forEach((imp, i) => this.imports.set(imp.name, i));
      }
    } catch {
      // A module this reader does not decode: no lines.
      this.rows = [];
      this.layout = undefined;
    }
    for (const [i, n] of names) this.byName.set(n, i);
  }

  /** True when the module carries line tables. */
  get available(): boolean {
    return this.rows.length > 0 && this.layout !== undefined;
  }

  /** The row for a code address (an offset in the code section's contents), if a line program covers it. */
  private rowAt(address: number): LineRow | undefined {
    let lo = 0;
    let hi = this.rows.length - 1;
    let best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.rows[mid].address <= address) {
        best = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    const r = best >= 0 ? this.rows[best] : undefined;
    return r && r.line > 0 ? r : undefined;
  }

  private funcIndex(func: number, name: string): number | undefined {
    return func >= 0 ? func : this.byName.get(name);
  }

  /**
   * Source locations of frames, innermost first: frame i is at the call its function makes to frame i-1's function
   * (to the host call `hostCall` for the innermost one). Its code offset picks which of the calls, counted in order
   * in the running module and taken in the same order in the original.
   */
  locate(frames: { func: number; name: string; offset: number }[], hostCall?: string): (SourceLocation | undefined)[] {
    const layout = this.layout;
    const running = this.running;
    if (!this.available || !layout || !running) return frames.map(() => undefined);
    return frames.map((f, i) => {
      const fn = this.funcIndex(f.func, f.name);
      if (fn === undefined) return undefined;
      const body = layout.bodies.get(fn);
      if (!body) return undefined;
      const callee = i > 0 ? this.funcIndex(frames[i - 1].func, frames[i - 1].name) : hostCall !== undefined ? this.imports.get(hostCall) : undefined;
      let address = body.start;
      let exact = false;
      if (callee !== undefined) {
        const original = layout.sites.filter((s) => s.caller === fn && s.callee === callee);
        const ran = running.sites.filter((s) => s.caller === fn && s.callee === callee);
        let k = -1;
        for (let j = 0; j < ran.length; j++) if (ran[j].offset <= f.offset) k = j;
        if (original.length > 0) {
          exact = original.length === ran.length && k >= 0;
          address = original[exact ? k : 0].offset;
        }
      }
      const row = this.rowAt(address - layout.codeStart);
      if (!row) return undefined;
      return { file: row.file, line: row.line, column: row.column, approximate: !exact };
    });
  }
}
