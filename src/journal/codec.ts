// Entry <-> record, driven by the kind declarations in entries.ts. Encoders and decoders are compiled once per kind;
// records are framed straight into the caller's buffer (no copy per record).

import { ByteReader, ByteWriter } from './bytes';
import { crc32c } from './checksum';
import { lz4CompressPrependSize, lz4DecompressPrependSize } from './compression';
import { ALL_KINDS, kindByTag, kindOf, type JournalEntry, type KindInfo } from './entries';
import { JournalError } from './errors';
import { ALIGNMENT, COMPRESS_THRESHOLD, FLAG_LZ4, MAX_PAYLOAD, RECORD_HEADER_SIZE } from './format';
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

/**
 * Appends the framed record of an entry to `w`: header, payload (LZ4-compressed when the kind allows and it pays),
 * zero padding to 8 bytes, and the CRC32C over everything after the checksum field. `w` must end on an 8-byte
 * boundary. Returns the offsets of the record in `w`.
 */
export function appendEntryRecord(w: ByteWriter, e: JournalEntry): { start: number; end: number } {
  const k = kindFor(e);
  const start = w.length;
  w.u32(0);
  w.u32(0);
  w.u32(0);
  w.u32(0);
  try {
    compile(k).encode(w, e);
  } catch (err) {
    w.truncate(start);
    throw err;
  }
  let stored = w.length - start - RECORD_HEADER_SIZE;
  let flags = 0;
  if (k.compress && stored >= COMPRESS_THRESHOLD) {
    const c = lz4CompressPrependSize(w.range(start + RECORD_HEADER_SIZE, w.length));
    if (c.length < stored - (stored >>> 4)) {
      w.truncate(start + RECORD_HEADER_SIZE);
      w.raw(c);
      stored = c.length;
      flags = FLAG_LZ4;
    }
  }
  if (stored > MAX_PAYLOAD) {
    w.truncate(start);
    throw new JournalError('too-large', `${k.name} has a ${stored}-byte payload; the limit is ${MAX_PAYLOAD} (split it)`);
  }
  w.pad(ALIGNMENT);
  w.setU16At(start + 4, k.tag);
  w.setU8At(start + 6, flags);
  w.setU32At(start + 8, stored);
  w.setU32At(start, crc32c(w.range(start + 4, w.length)));
  return { start, end: w.length };
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
