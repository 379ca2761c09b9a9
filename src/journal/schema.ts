// The little type language that entry kinds are declared in (entries.ts). A field's type drives its binary encoding,
// its JSON form (the serde_json shape Wasmer uses, so exports line up) and its text form. Tests derive random values
// from the same descriptors, so every kind is round-tripped without writing a fixture by hand.

import { ByteReader, ByteWriter } from './bytes';
import { JournalError } from './errors';
import { lz4CompressPrependSize, lz4DecompressPrependSize } from './compression';
import { jsonError, type JsonNode, type JsonValue } from './json-text';
import { isIP } from 'node:net';

export type IntRepr = 'u8' | 'u16' | 'u32';

export type FieldType =
  | { readonly t: 'u8' | 'u16' | 'u32' | 'i32' | 'u64' | 'i64' | 'bool' | 'string' }
  /** Bytes; JSON: base64 of an LZ4 block prefixed with its size (Wasmer's `#[serde(with = "base64")]`). */
  | { readonly t: 'blob' }
  /** Memory bytes; JSON: Wasmer's `compressed_data`, i.e. the LZ4 size-prefixed block of the bytes, as a blob. */
  | { readonly t: 'memblob' }
  /** Bytes; JSON: an array of numbers (`Box<[u8]>`). */
  | { readonly t: 'bytearray' }
  /** An IP address (v4, v6 or either) or a socket address as text ("1.2.3.4:80", "[::1]:80"). */
  | { readonly t: 'ip'; readonly v: 0 | 4 | 6 }
  | { readonly t: 'sockaddr' }
  | {
      readonly t: 'enum';
      readonly repr: IntRepr;
      /** JSON/TS names, index-aligned with codes. */
      readonly names: readonly string[];
      readonly codes: readonly number[];
      /** Other spellings accepted on JSON import (older Wasmer versions, aliases), mapped to a name. */
      readonly aliases?: Readonly<Record<string, string>>;
    }
  /** Bit flags; JSON `{"bits": N}` (bitflags 1.x); text `A | B`. `names[i]` is bit i. */
  | { readonly t: 'flags'; readonly repr: 'u16' | 'u32' | 'u64'; readonly names: readonly string[] }
  | { readonly t: 'option'; readonly inner: FieldType }
  | { readonly t: 'struct'; readonly fields: Readonly<Record<string, FieldType>> }
  /** Wasmer's ExitCode: `{"Errno": name}` or `{"Other": i32}`. */
  | { readonly t: 'exitcode' }
  /** Wasmer's ThreadStartType: `"main_thread"` or `{"thread_spawn": {"start_ptr": u64}}`. */
  | { readonly t: 'threadstart' };

export type ExitCode = { Errno: string } | { Other: number };
export type ThreadStart = 'main_thread' | { thread_spawn: { start_ptr: bigint } };

/** The TypeScript type of values of a field type. */
export type ValueOf<F> = F extends { t: 'u8' | 'u16' | 'u32' | 'i32' }
  ? number
  : F extends { t: 'u64' | 'i64' }
    ? bigint
    : F extends { t: 'bool' }
      ? boolean
      : F extends { t: 'string' | 'ip' | 'sockaddr' }
        ? string
        : F extends { t: 'blob' | 'memblob' | 'bytearray' }
          ? Uint8Array
          : F extends { t: 'enum'; names: readonly (infer N)[] }
            ? N
            : F extends { t: 'flags'; repr: 'u64' }
              ? bigint
              : F extends { t: 'flags' }
                ? number
                : F extends { t: 'option'; inner: infer I }
                  ? ValueOf<I> | null
                  : F extends { t: 'struct'; fields: infer S }
                    ? { -readonly [K in keyof S]: ValueOf<S[K]> }
                    : F extends { t: 'exitcode' }
                      ? ExitCode
                      : F extends { t: 'threadstart' }
                        ? ThreadStart
                        : never;

// ---- constructors -------------------------------------------------------------------------------------------------

export const u8 = { t: 'u8' } as const;
export const u16 = { t: 'u16' } as const;
export const u32 = { t: 'u32' } as const;
export const i32 = { t: 'i32' } as const;
export const u64 = { t: 'u64' } as const;
export const i64 = { t: 'i64' } as const;
export const bool = { t: 'bool' } as const;
export const str = { t: 'string' } as const;
export const blob = { t: 'blob' } as const;
export const memblob = { t: 'memblob' } as const;
export const bytearray = { t: 'bytearray' } as const;
export const ipAddr = { t: 'ip', v: 0 } as const;
export const ipv4Addr = { t: 'ip', v: 4 } as const;
export const ipv6Addr = { t: 'ip', v: 6 } as const;
export const sockaddr = { t: 'sockaddr' } as const;
export const exitcode = { t: 'exitcode' } as const;
export const threadstart = { t: 'threadstart' } as const;

export function option<const I extends FieldType>(inner: I) {
  return { t: 'option', inner } as const;
}

export function struct<const S extends Record<string, FieldType>>(fields: S) {
  return { t: 'struct', fields } as const;
}

/** An enum whose codes are 0, 1, 2... in order of `names`, unless `codes` says otherwise. */
export function enumOf<const N extends readonly string[]>(
  repr: IntRepr,
  names: N,
  codes?: readonly number[],
  aliases?: Readonly<Record<string, N[number]>>,
) {
  return { t: 'enum', repr, names, codes: codes ?? names.map((_, i) => i), aliases } as const;
}

export function flags<const R extends 'u16' | 'u32' | 'u64'>(repr: R, names: readonly string[]) {
  return { t: 'flags', repr, names } as const;
}

// ---- binary --------------------------------------------------------------------------------------------------------

const INT_LIMITS = { u8: 0xff, u16: 0xffff, u32: 0xffffffff } as const;
const U64_MAX = (1n << 64n) - 1n;
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

function checkInt(v: unknown, lo: number, hi: number, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
    throw new JournalError('bad-field', `${what}: ${String(v)} is not an integer in [${lo}, ${hi}]`);
  }
  return v;
}

function checkBig(v: unknown, lo: bigint, hi: bigint, what: string): bigint {
  if (typeof v !== 'bigint' || v < lo || v > hi) {
    throw new JournalError('bad-field', `${what}: ${String(v)} is not a bigint in [${lo}, ${hi}]`);
  }
  return v;
}

function writeRepr(w: ByteWriter, repr: IntRepr, v: number): void {
  if (repr === 'u8') w.u8(v);
  else if (repr === 'u16') w.u16(v);
  else w.u32(v);
}

function readRepr(r: ByteReader, repr: IntRepr, what: string): number {
  return repr === 'u8' ? r.u8(what) : repr === 'u16' ? r.u16(what) : r.u32(what);
}

export type Encoder = (w: ByteWriter, v: unknown) => void;
export type Decoder = (r: ByteReader) => unknown;

/**
 * Compiles the binary encoder of a field type into closures, once per field (see codec.ts), so that writing an entry
 * does no dispatch on descriptors. Values are range-checked; `what` names the field in errors.
 */
export function compileEncoder(f: FieldType, what: string): Encoder {
  switch (f.t) {
    case 'u8':
      return (w, v) => w.u8(checkInt(v, 0, 0xff, what));
    case 'u16':
      return (w, v) => w.u16(checkInt(v, 0, 0xffff, what));
    case 'u32':
      return (w, v) => w.u32(checkInt(v, 0, 0xffffffff, what));
    case 'i32':
      return (w, v) => w.i32(checkInt(v, -0x80000000, 0x7fffffff, what));
    case 'u64':
      return (w, v) => w.u64(checkBig(v, 0n, U64_MAX, what));
    case 'i64':
      return (w, v) => w.i64(checkBig(v, I64_MIN, I64_MAX, what));
    case 'bool':
      return (w, v) => {
        if (typeof v !== 'boolean') throw new JournalError('bad-field', `${what}: expected a boolean`);
        w.u8(v ? 1 : 0);
      };
    case 'string':
    case 'ip':
    case 'sockaddr':
      return (w, v) => {
        if (typeof v !== 'string') throw new JournalError('bad-field', `${what}: expected a string`);
        w.string(v);
      };
    case 'blob':
    case 'memblob':
    case 'bytearray':
      return (w, v) => {
        if (!(v instanceof Uint8Array)) throw new JournalError('bad-field', `${what}: expected bytes`);
        w.bytes(v);
      };
    case 'enum': {
      const codes = new Map(f.names.map((n, i) => [n, f.codes[i]]));
      const repr = f.repr;
      return (w, v) => {
        const code = codes.get(v as string);
        if (code === undefined) throw new JournalError('bad-field', `${what}: "${String(v)}" is not one of ${f.names.join(', ')}`);
        writeRepr(w, repr, code);
      };
    }
    case 'flags':
      if (f.repr === 'u64') return (w, v) => w.u64(checkBig(v, 0n, U64_MAX, what));
      return f.repr === 'u16' ? (w, v) => w.u16(checkInt(v, 0, 0xffff, what)) : (w, v) => w.u32(checkInt(v, 0, 0xffffffff, what));
    case 'option': {
      const inner = compileEncoder(f.inner, what);
      return (w, v) => {
        if (v === null || v === undefined) w.u8(0);
        else {
          w.u8(1);
          inner(w, v);
        }
      };
    }
    case 'struct': {
      const fields = Object.entries(f.fields).map(([k, ft]) => [k, compileEncoder(ft, `${what}.${k}`)] as const);
      return (w, v) => {
        if (typeof v !== 'object' || v === null) throw new JournalError('bad-field', `${what}: expected an object`);
        const o = v as Record<string, unknown>;
        for (const [k, enc] of fields) enc(w, o[k]);
      };
    }
    case 'exitcode':
      return (w, v) => {
        const e = v as ExitCode;
        if (typeof e === 'object' && e !== null && 'Errno' in e) {
          const i = ERRNO_NAMES.indexOf(e.Errno as (typeof ERRNO_NAMES)[number]);
          if (i < 0) throw new JournalError('bad-field', `${what}: unknown errno "${e.Errno}"`);
          w.u8(0);
          w.u16(i);
        } else if (typeof e === 'object' && e !== null && 'Other' in e) {
          w.u8(1);
          w.i32(checkInt(e.Other, -0x80000000, 0x7fffffff, what));
        } else throw new JournalError('bad-field', `${what}: expected {Errno} or {Other}`);
      };
    case 'threadstart':
      return (w, v) => {
        const s = v as ThreadStart;
        if (s === 'main_thread') w.u8(0);
        else if (typeof s === 'object' && s !== null && 'thread_spawn' in s) {
          w.u8(1);
          w.u64(checkBig(s.thread_spawn.start_ptr, 0n, U64_MAX, what));
        } else throw new JournalError('bad-field', `${what}: expected "main_thread" or {thread_spawn}`);
      };
  }
}

/** Compiles the binary decoder of a field type (the inverse of compileEncoder). */
export function compileDecoder(f: FieldType, what: string): Decoder {
  switch (f.t) {
    case 'u8':
      return (r) => r.u8(what);
    case 'u16':
      return (r) => r.u16(what);
    case 'u32':
      return (r) => r.u32(what);
    case 'i32':
      return (r) => r.i32(what);
    case 'u64':
      return (r) => r.u64(what);
    case 'i64':
      return (r) => r.i64(what);
    case 'bool':
      return (r) => {
        const at = r.offset;
        const b = r.u8(what);
        if (b > 1) throw new JournalError('bad-field', `${what}: boolean byte ${b} at payload byte ${at}`);
        return b === 1;
      };
    case 'string':
    case 'ip':
    case 'sockaddr':
      return (r) => r.string(what);
    case 'blob':
    case 'memblob':
    case 'bytearray':
      return (r) => r.bytes(what);
    case 'enum': {
      const names = new Map(f.codes.map((c, i) => [c, f.names[i]]));
      const repr = f.repr;
      return (r) => {
        const code = readRepr(r, repr, what);
        const name = names.get(code);
        if (name === undefined) throw new JournalError('bad-field', `${what}: unknown value ${code}`);
        return name;
      };
    }
    case 'flags':
      if (f.repr === 'u64') return (r) => r.u64(what);
      return f.repr === 'u16' ? (r) => r.u16(what) : (r) => r.u32(what);
    case 'option': {
      const inner = compileDecoder(f.inner, what);
      return (r) => {
        const tag = r.u8(what);
        if (tag === 0) return null;
        if (tag !== 1) throw new JournalError('bad-field', `${what}: option tag ${tag}`);
        return inner(r);
      };
    }
    case 'struct': {
      const fields = Object.entries(f.fields).map(([k, ft]) => [k, compileDecoder(ft, `${what}.${k}`)] as const);
      return (r) => {
        const o: Record<string, unknown> = {};
        for (const [k, dec] of fields) o[k] = dec(r);
        return o;
      };
    }
    case 'exitcode':
      return (r) => {
        const tag = r.u8(what);
        if (tag === 0) {
          const n = r.u16(what);
          if (n >= ERRNO_NAMES.length) throw new JournalError('bad-field', `${what}: unknown errno ${n}`);
          return { Errno: ERRNO_NAMES[n] };
        }
        if (tag === 1) return { Other: r.i32(what) };
        throw new JournalError('bad-field', `${what}: exit code tag ${tag}`);
      };
    case 'threadstart':
      return (r) => {
        const tag = r.u8(what);
        if (tag === 0) return 'main_thread';
        if (tag === 1) return { thread_spawn: { start_ptr: r.u64(what) } };
        throw new JournalError('bad-field', `${what}: thread start tag ${tag}`);
      };
  }
}

// ---- JSON ----------------------------------------------------------------------------------------------------------

export function toJson(f: FieldType, v: unknown): JsonValue {
  switch (f.t) {
    case 'u8':
    case 'u16':
    case 'u32':
    case 'i32':
    case 'bool':
    case 'string':
    case 'ip':
    case 'sockaddr':
    case 'enum':
      return v as JsonValue;
    case 'u64':
    case 'i64':
      return v as bigint;
    case 'blob':
      return lz4CompressPrependSize(v as Uint8Array).toString('base64');
    case 'memblob':
      return lz4CompressPrependSize(lz4CompressPrependSize(v as Uint8Array)).toString('base64');
    case 'bytearray':
      return Array.from(v as Uint8Array);
    case 'flags':
      return { bits: v as number | bigint };
    case 'option':
      return v === null ? null : toJson(f.inner, v);
    case 'struct': {
      const o: Record<string, JsonValue> = {};
      for (const [k, ft] of Object.entries(f.fields)) o[k] = toJson(ft, (v as Record<string, unknown>)[k]);
      return o;
    }
    case 'exitcode':
      return v as ExitCode;
    case 'threadstart': {
      const s = v as ThreadStart;
      return s === 'main_thread' ? 'main_thread' : { thread_spawn: { start_ptr: s.thread_spawn.start_ptr } };
    }
  }
}

function jsonInt(n: JsonNode, lo: bigint, hi: bigint, what: string): bigint {
  if (n.type !== 'number' || !/^-?\d+$/.test(n.raw)) throw jsonError(n, `${what}: expected an integer`);
  const v = BigInt(n.raw);
  if (v < lo || v > hi) throw jsonError(n, `${what}: ${n.raw} is out of range [${lo}, ${hi}]`);
  return v;
}

function objectEntries(n: JsonNode, what: string): Map<string, JsonNode> {
  if (n.type !== 'object') throw jsonError(n, `${what}: expected an object`);
  return new Map(n.entries);
}

function field(m: Map<string, JsonNode>, key: string, parent: JsonNode, what: string): JsonNode {
  const v = m.get(key);
  if (!v) throw jsonError(parent, `${what}: missing field "${key}"`);
  return v;
}

const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function base64Bytes(n: JsonNode, what: string): Buffer {
  if (n.type !== 'string' || !BASE64_RE.test(n.value)) throw jsonError(n, `${what}: expected standard base64 text`);
  return Buffer.from(n.value, 'base64');
}

/** Entries hold plain Uint8Arrays (not Buffers), whatever produced the bytes. */
function plain(b: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(b) === Uint8Array.prototype ? b : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

function wrapCompression<T>(n: JsonNode, what: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof JournalError && e.at) throw e;
    if (e instanceof JournalError) throw jsonError(n, e.message.startsWith(`${what}: `) ? e.message : `${what}: ${e.message}`);
    throw e;
  }
}

export function fromJson(f: FieldType, n: JsonNode, what: string): unknown {
  switch (f.t) {
    case 'u8':
    case 'u16':
    case 'u32':
      return Number(jsonInt(n, 0n, BigInt(INT_LIMITS[f.t]), what));
    case 'i32':
      return Number(jsonInt(n, -0x80000000n, 0x7fffffffn, what));
    case 'u64':
      return jsonInt(n, 0n, U64_MAX, what);
    case 'i64':
      return jsonInt(n, I64_MIN, I64_MAX, what);
    case 'bool':
      if (n.type !== 'bool') throw jsonError(n, `${what}: expected true or false`);
      return n.value;
    case 'string':
      if (n.type !== 'string') throw jsonError(n, `${what}: expected a string`);
      return n.value;
    case 'ip':
      if (n.type !== 'string' || !isIP(n.value) || (f.v !== 0 && isIP(n.value) !== f.v)) {
        throw jsonError(n, `${what}: expected an IP${f.v ? `v${f.v}` : ''} address`);
      }
      return n.value;
    case 'sockaddr':
      if (n.type !== 'string' || !isSocketAddress(n.value)) throw jsonError(n, `${what}: expected a socket address like "1.2.3.4:80" or "[::1]:80"`);
      return n.value;
    case 'blob':
      return plain(wrapCompression(n, what, () => lz4DecompressPrependSize(base64Bytes(n, what), what)));
    case 'memblob':
      return plain(
        wrapCompression(n, what, () => lz4DecompressPrependSize(lz4DecompressPrependSize(base64Bytes(n, what), what), what)),
      );
    case 'bytearray':
      if (n.type !== 'array') throw jsonError(n, `${what}: expected an array of bytes`);
      return Uint8Array.from(n.items.map((x, i) => Number(jsonInt(x, 0n, 255n, `${what}[${i}]`))));
    case 'enum': {
      if (n.type !== 'string') throw jsonError(n, `${what}: expected one of ${f.names.join(', ')}`);
      if (f.names.includes(n.value)) return n.value;
      const alias = f.aliases?.[n.value] ?? f.aliases?.[n.value.trim().toLowerCase()];
      if (alias) return alias;
      throw jsonError(n, `${what}: "${n.value}" is not one of ${f.names.join(', ')}`);
    }
    case 'flags': {
      const m = objectEntries(n, what);
      const bits = field(m, 'bits', n, what);
      const max = f.repr === 'u64' ? U64_MAX : BigInt(INT_LIMITS[f.repr]);
      const v = jsonInt(bits, 0n, max, `${what}.bits`);
      return f.repr === 'u64' ? v : Number(v);
    }
    case 'option':
      return n.type === 'null' ? null : fromJson(f.inner, n, what);
    case 'struct': {
      const m = objectEntries(n, what);
      const o: Record<string, unknown> = {};
      for (const [k, ft] of Object.entries(f.fields)) {
        const child = m.get(k);
        if (!child) {
          if (ft.t === 'option') {
            o[k] = null; // serde: a missing Option is None
            continue;
          }
          throw jsonError(n, `${what}: missing field "${k}"`);
        }
        o[k] = fromJson(ft, child, `${what}.${k}`);
      }
      return o;
    }
    case 'exitcode': {
      const m = objectEntries(n, what);
      if (m.size !== 1) throw jsonError(n, `${what}: expected {"Errno": name} or {"Other": code}`);
      const [[k, v]] = [...m];
      if (k === 'Errno') {
        if (v.type !== 'string' || !ERRNO_NAMES.includes(v.value as (typeof ERRNO_NAMES)[number])) {
          throw jsonError(v, `${what}: unknown errno`);
        }
        return { Errno: v.value };
      }
      if (k === 'Other') return { Other: Number(jsonInt(v, -0x80000000n, 0x7fffffffn, what)) };
      throw jsonError(n, `${what}: expected {"Errno": name} or {"Other": code}`);
    }
    case 'threadstart': {
      if (n.type === 'string' && n.value === 'main_thread') return 'main_thread';
      const m = objectEntries(n, what);
      const spawn = field(m, 'thread_spawn', n, what);
      const sm = objectEntries(spawn, what);
      return { thread_spawn: { start_ptr: jsonInt(field(sm, 'start_ptr', spawn, what), 0n, U64_MAX, what) } };
    }
  }
}

export function isSocketAddress(s: string): boolean {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(s);
  if (!m) return false;
  const host = m[1] ?? m[2];
  const port = Number(m[3]);
  if (port > 65535) return false;
  if (m[1] !== undefined) return isIP(host.replace(/%.*$/, '')) === 6;
  return isIP(host) === 4;
}

// ---- text ----------------------------------------------------------------------------------------------------------

/** `A | B | 0x40` like bitflags' Debug; `(empty)` when no bit is set. */
export function flagsText(f: { names: readonly string[] }, v: number | bigint): string {
  let bits = BigInt(v);
  const parts: string[] = [];
  for (let i = 0; i < f.names.length; i++) {
    const b = 1n << BigInt(i);
    if (bits & b) {
      parts.push(f.names[i]);
      bits &= ~b;
    }
  }
  if (bits) parts.push(`0x${bits.toString(16)}`);
  return parts.length ? parts.join(' | ') : '(empty)';
}

export function exitCodeText(e: ExitCode | null): string {
  if (e === null) return 'none';
  if ('Errno' in e) return e.Errno === 'Success' ? '0' : `${ERRNO_NAMES.indexOf(e.Errno as (typeof ERRNO_NAMES)[number])} (${e.Errno.toLowerCase()})`;
  return String(e.Other);
}

/** The numeric exit status of an ExitCode (errno number or the plain code). */
export function exitCodeNumber(e: ExitCode): number {
  return 'Errno' in e ? ERRNO_NAMES.indexOf(e.Errno as (typeof ERRNO_NAMES)[number]) : e.Other;
}

/** Wasmer's From<i32>: 0..78 are errno values, anything else is Other. */
export function exitCodeFromNumber(n: number): ExitCode {
  return n >= 0 && n <= 78 ? { Errno: ERRNO_NAMES[n] } : { Other: n };
}

// ---- WASI constants shared by entry kinds ------------------------------------------------------------------------

export const ERRNO_NAMES = [
  'Success', 'Toobig', 'Access', 'Addrinuse', 'Addrnotavail', 'Afnosupport', 'Again', 'Already', 'Badf', 'Badmsg',
  'Busy', 'Canceled', 'Child', 'Connaborted', 'Connrefused', 'Connreset', 'Deadlk', 'Destaddrreq', 'Dom', 'Dquot',
  'Exist', 'Fault', 'Fbig', 'Hostunreach', 'Idrm', 'Ilseq', 'Inprogress', 'Intr', 'Inval', 'Io', 'Isconn', 'Isdir',
  'Loop', 'Mfile', 'Mlink', 'Msgsize', 'Multihop', 'Nametoolong', 'Netdown', 'Netreset', 'Netunreach', 'Nfile',
  'Nobufs', 'Nodev', 'Noent', 'Noexec', 'Nolck', 'Nolink', 'Nomem', 'Nomsg', 'Noprotoopt', 'Nospc', 'Nosys',
  'Notconn', 'Notdir', 'Notempty', 'Notrecoverable', 'Notsock', 'Notsup', 'Notty', 'Nxio', 'Overflow', 'Ownerdead',
  'Perm', 'Pipe', 'Proto', 'Protonosupport', 'Prototype', 'Range', 'Rofs', 'Spipe', 'Srch', 'Stale', 'Timedout',
  'Txtbsy', 'Xdev', 'Notcapable', 'Shutdown', 'Memviolation', 'Unknown',
] as const;
