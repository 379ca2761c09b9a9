// JSON text: a parser that keeps every value's line and column (so import errors point at the offending field) and
// keeps integers exact (u64 offsets and times do not fit in a double), and a printer that writes the layout of
// serde_json's pretty printer (two-space indent, `"key": value`), which is what `wasmer journal export` prints.

import { JournalError } from './errors';

/** Where a value starts (line and column from 1, the column in UTF-16 units) and where it ends (just after it). */
interface Span {
  line: number;
  col: number;
  endLine?: number;
  endCol?: number;
}

export type JsonNode = Span &
  (
    | { type: 'null' }
    | { type: 'bool'; value: boolean }
    | { type: 'number'; raw: string }
    | { type: 'string'; value: string }
    | { type: 'array'; items: JsonNode[] }
    | { type: 'object'; entries: [string, JsonNode][] }
  );

/** A JSON value to print: integers may be bigint; object keys print in insertion order. */
export type JsonValue = null | boolean | number | bigint | string | JsonValue[] | { [key: string]: JsonValue };

export function jsonError(node: { line: number; col: number }, message: string): JournalError {
  return new JournalError('json', `line ${node.line}, column ${node.col}: ${message}`, undefined, { line: node.line, col: node.col, detail: message });
}

/** Parses a stream of JSON values separated by whitespace (a file of `wasmer journal export` output). */
export class JsonStreamParser {
  private pos = 0;
  private line = 1;
  private lineStart = 0;
  private depth = 0;

  constructor(private readonly text: string) {}

  private err(message: string, at = this.pos): JournalError {
    // Column counted in characters from the start of the line, 1-based.
    let line = this.line;
    let lineStart = this.lineStart;
    if (at < this.lineStart) {
      line = 1;
      lineStart = 0;
      for (let i = 0; i < at; i++) if (this.text.charCodeAt(i) === 10) {
        line++;
        lineStart = i + 1;
      }
    }
    return jsonError({ line, col: at - lineStart + 1 }, message);
  }

  private skipWs(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c === 10) {
        this.pos++;
        this.line++;
        this.lineStart = this.pos;
      } else if (c === 32 || c === 9 || c === 13 || c === 0xfeff) this.pos++;
      else break;
    }
  }

  /** The next top-level value, or undefined at the end of the text. */
  next(): JsonNode | undefined {
    this.skipWs();
    if (this.pos >= this.text.length) return undefined;
    return this.value();
  }

  private where(): { line: number; col: number } {
    return { line: this.line, col: this.pos - this.lineStart + 1 };
  }

  private value(): JsonNode {
    const n = this.bare();
    n.endLine = this.line;
    n.endCol = this.pos - this.lineStart + 1;
    return n;
  }

  private bare(): JsonNode {
    this.skipWs();
    if (this.pos >= this.text.length) throw this.err('unexpected end of input, expected a value');
    const at = this.where();
    const c = this.text[this.pos];
    if (c === '{') return this.object(at);
    if (c === '[') return this.array(at);
    if (c === '"') return { type: 'string', value: this.string(), ...at };
    if (c === 't' || c === 'f' || c === 'n') {
      for (const [word, node] of [
        ['true', { type: 'bool', value: true, ...at }],
        ['false', { type: 'bool', value: false, ...at }],
        ['null', { type: 'null', ...at }],
      ] as const) {
        if (this.text.startsWith(word, this.pos)) {
          this.pos += word.length;
          return node as JsonNode;
        }
      }
      throw this.err(`unexpected "${this.text.slice(this.pos, this.pos + 8)}"`);
    }
    if (c === '-' || (c >= '0' && c <= '9')) {
      const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(this.text.slice(this.pos, this.pos + 400));
      if (!m) throw this.err('malformed number');
      this.pos += m[0].length;
      return { type: 'number', raw: m[0], ...at };
    }
    throw this.err(`unexpected character ${JSON.stringify(c)}`);
  }

  private enter(): void {
    if (++this.depth > 64) throw this.err('JSON nested too deeply');
  }

  private object(at: { line: number; col: number }): JsonNode {
    this.enter();
    this.pos++; // {
    const entries: [string, JsonNode][] = [];
    this.skipWs();
    if (this.text[this.pos] === '}') {
      this.pos++;
      this.depth--;
      return { type: 'object', entries, ...at };
    }
    for (;;) {
      this.skipWs();
      if (this.text[this.pos] !== '"') throw this.err('expected a string key');
      const key = this.string();
      this.skipWs();
      if (this.text[this.pos] !== ':') throw this.err('expected ":"');
      this.pos++;
      entries.push([key, this.value()]);
      this.skipWs();
      const c = this.text[this.pos];
      if (c === ',') {
        this.pos++;
        continue;
      }
      if (c === '}') {
        this.pos++;
        this.depth--;
        return { type: 'object', entries, ...at };
      }
      throw this.err(c === undefined ? 'unexpected end of input inside an object' : 'expected "," or "}"');
    }
  }

  private array(at: { line: number; col: number }): JsonNode {
    this.enter();
    this.pos++; // [
    const items: JsonNode[] = [];
    this.skipWs();
    if (this.text[this.pos] === ']') {
      this.pos++;
      this.depth--;
      return { type: 'array', items, ...at };
    }
    for (;;) {
      items.push(this.value());
      this.skipWs();
      const c = this.text[this.pos];
      if (c === ',') {
        this.pos++;
        continue;
      }
      if (c === ']') {
        this.pos++;
        this.depth--;
        return { type: 'array', items, ...at };
      }
      throw this.err(c === undefined ? 'unexpected end of input inside an array' : 'expected "," or "]"');
    }
  }

  private string(): string {
    const t = this.text;
    const start = this.pos;
    this.pos++; // opening quote
    let out = '';
    let chunk = this.pos;
    for (;;) {
      if (this.pos >= t.length) throw this.err('unterminated string', start);
      const c = t.charCodeAt(this.pos);
      if (c === 34) {
        out += t.slice(chunk, this.pos);
        this.pos++;
        return out;
      }
      if (c < 0x20) throw this.err('control character in string');
      if (c === 92) {
        out += t.slice(chunk, this.pos);
        const e = t[this.pos + 1];
        const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (e in simple) {
          out += simple[e];
          this.pos += 2;
        } else if (e === 'u') {
          const hex = t.slice(this.pos + 2, this.pos + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw this.err('bad \\u escape');
          out += String.fromCharCode(parseInt(hex, 16));
          this.pos += 6;
        } else throw this.err('bad escape in string');
        chunk = this.pos;
        continue;
      }
      this.pos++;
    }
  }
}

function quote(s: string): string {
  // serde_json escapes ", \, \b \f \n \r \t and other control characters as \u00XX; nothing else.
  let out = '"';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (c < 0x20) {
      const named: Record<number, string> = { 8: '\\b', 12: '\\f', 10: '\\n', 13: '\\r', 9: '\\t' };
      out += named[c] ?? `\\u00${c.toString(16).padStart(2, '0')}`;
    } else out += ch;
  }
  return out + '"';
}

/** serde_json::to_string_pretty layout. */
export function printJsonPretty(v: JsonValue, indent = ''): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new RangeError('non-finite number in JSON');
    return String(v);
  }
  if (typeof v === 'string') return quote(v);
  const inner = indent + '  ';
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return `[\n${v.map((x) => inner + printJsonPretty(x, inner)).join(',\n')}\n${indent}]`;
  }
  const keys = Object.keys(v);
  if (keys.length === 0) return '{}';
  return `{\n${keys.map((k) => `${inner}${quote(k)}: ${printJsonPretty(v[k], inner)}`).join(',\n')}\n${indent}}`;
}

/** Compact one-line JSON (for `inspect --json`), with bigint support. */
export function printJsonCompact(v: JsonValue): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean' || typeof v === 'bigint' || typeof v === 'number') return String(v);
  if (typeof v === 'string') return quote(v);
  if (Array.isArray(v)) return `[${v.map(printJsonCompact).join(',')}]`;
  return `{${Object.keys(v).map((k) => `${quote(k)}:${printJsonCompact(v[k])}`).join(',')}}`;
}
