// Entry <-> record, driven by the kind declarations in entries.ts. Encoders and decoders are compiled once per kind;
// records are framed straight into the caller's buffer (no copy per record).

import { ByteReader, ByteWriter } from './bytes';
import { lz4DecompressPrependSize } from './compression';
import { ALL_KINDS, kindByTag, kindOf, type JournalEntry, type KindInfo } from './entries';
import { JournalError } from './errors';
import { beginRecord, finishRecord, FLAG_LZ4, MAX_PAYLOAD } from './format';
import { compileDecoder, compileEncoder, type Decoder, type Encoder } from './schema';

interface CompiledKind {
  encode: (w: ByteWriter, e: JournalEntry) => void;
  decode: (r: ByteReader) => JournalEntry;
}

const compiled = new Map<string, CompiledKind>();

function compile(k: KindInfo): CompiledKind {
  let c = compiled.get(k.name);
  if (c) return c;
  const fields: [string, Encoder, Decoder][] = Object.entries(k.fields).map(([name, ft]) => [
    name,
    compileEncoder(ft, `${k.name}.${name}`),
    compileDecoder(ft, name),
  ]);
  const kindName = k.name;
  c = {
    encode: (w, e) => {
      const o = e as unknown as Record<string, unknown>;
      for (const [name, enc] of fields) enc(w, o[name]);
    },
    decode: (r) => {
      const o: Record<string, unknown> = { kind: kindName };
      for (const [name, , dec] of fields) o[name] = dec(r);
      return o as unknown as JournalEntry;
    },
  };
  compiled.set(k.name, c);
  return c;
}

function kindFor(e: JournalEntry): KindInfo {
  const k = kindOf(e);
  if (!k) throw new JournalError('bad-field', `unknown entry kind "${(e as { kind: string }).kind}"`);
  return k;
}

const scratch = new ByteWriter(1 << 16);

/** The payload bytes of an entry (a view into a shared buffer: copy or use before the next call). */
export function encodePayload(e: JournalEntry): { kind: KindInfo; payload: Uint8Array } {
  const k = kindFor(e);
  scratch.reset();
  compile(k).encode(scratch, e);
  return { kind: k, payload: scratch.view() };
}

/** Appends the payload of an entry (unframed, uncompressed) to `w`. */
export function appendPayload(w: ByteWriter, e: JournalEntry): void {
  compile(kindFor(e)).encode(w, e);
}

/**
 * Appends the framed record of an entry to `w`: header, payload (LZ4-compressed when the kind allows and it pays),
 * zero padding to 8 bytes, and the CRC32C over everything after the checksum field. `w` must end on an 8-byte
 * boundary. Returns the offsets of the record in `w`.
 */
export function appendEntryRecord(w: ByteWriter, e: JournalEntry): { start: number; end: number } {
  const k = kindFor(e);
  const start = beginRecord(w);
  try {
    compile(k).encode(w, e);
  } catch (err) {
    w.truncate(start);
    throw err;
  }
  return { start, end: finishRecord(w, start, k.tag, k.compress, k.name) };
}

/** The complete framed record of an entry, as a new buffer. */
export function encodeEntryRecord(e: JournalEntry): Buffer {
  scratch.reset();
  appendEntryRecord(scratch, e);
  return scratch.toBuffer();
}

/** Decodes a stored payload; `fileOffset` (of the record) is used in error messages. */
export function decodeEntry(kind: KindInfo, flags: number, stored: Uint8Array, fileOffset: number): JournalEntry {
  let payload = stored;
  if (flags & FLAG_LZ4) {
    payload = lz4DecompressPrependSize(stored, `record ${kind.name} at byte ${fileOffset}`, MAX_PAYLOAD * 4);
  }
  const r = new ByteReader(payload, 0, payload.length, 0);
  try {
    const e = compile(kind).decode(r);
    r.expectEnd(kind.name);
    return e;
  } catch (err) {
    if (err instanceof JournalError) {
      throw new JournalError(err.code, `record ${kind.name} at byte ${fileOffset}: ${err.message}`, fileOffset);
    }
    throw err;
  }
}

export { kindByTag, ALL_KINDS };
