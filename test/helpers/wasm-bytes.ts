// Tiny hand-assembled WebAssembly modules for tests of what the runtime does with odd modules.

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function str(s: string): number[] {
  const b = [...Buffer.from(s, 'utf8')];
  return [...leb(b.length), ...b];
}

function section(id: number, content: number[]): number[] {
  return [id, ...leb(content.length), ...content];
}

export interface TinyModule {
  /** Function imports (type () -> ()). */
  imports?: { module: string; name: string }[];
  /** The body of _start: 'call-import' calls import 0, 'unreachable' traps, 'nothing' returns. */
  start?: 'call-import' | 'unreachable' | 'nothing';
  memory?: boolean;
  exportStart?: boolean;
}

export function tinyModule(m: TinyModule): Uint8Array {
  const imports = m.imports ?? [];
  const bytes = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  bytes.push(...section(1, [1, 0x60, 0, 0]));
  if (imports.length > 0) {
    bytes.push(...section(2, [...leb(imports.length), ...imports.flatMap((i) => [...str(i.module), ...str(i.name), 0x00, 0x00])]));
  }
  bytes.push(...section(3, [1, 0]));
  if (m.memory !== false) bytes.push(...section(5, [1, 0, 1]));
  const startIndex = imports.length;
  const exports: number[][] = [];
  if (m.memory !== false) exports.push([...str('memory'), 0x02, 0]);
  if (m.exportStart !== false) exports.push([...str('_start'), 0x00, ...leb(startIndex)]);
  bytes.push(...section(7, [...leb(exports.length), ...exports.flat()]));
  const body =
    m.start === 'call-import' ? [0x10, 0x00, 0x0b] : m.start === 'unreachable' ? [0x00, 0x0b] : [0x0b];
  const fn = [0x00, ...body];
  bytes.push(...section(10, [1, ...leb(fn.length), ...fn]));
  return new Uint8Array(bytes);
}
