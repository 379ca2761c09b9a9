// Entry <-> record payload, driven by the kind declarations in entries.ts.

import { ByteReader, ByteWriter } from './bytes';
import { lz4DecompressPrependSize } from './compression';
import { ALL_KINDS, kindByTag, kindOf, type JournalEntry, type KindInfo } from './entries';
import { JournalError } from './errors';
import { encodeRecord, FLAG_LZ4, MAX_PAYLOAD } from './format';
import { decodeValue, encodeValue } from './schema';

const scratch = new ByteWriter(1 << 16);

/** The payload bytes of an entry (a view into a shared buffer: copy or use before the next call). */
export function encodePayload(e: JournalEntry): { kind: KindInfo; payload: Uint8Array } {
  const k = kindOf(e);
  if (!k) throw new JournalError('bad-field', `unknown entry kind "${(e as { kind: string }).kind}"`);
  scratch.reset();
  const o = e as unknown as Record<string, unknown>;
  for (const [name, ft] of Object.entries(k.fields)) encodeValue(scratch, ft, o[name], `${k.name}.${name}`);
  return { kind: k, payload: scratch.view() };
}

/** The complete framed record (header, payload, padding, checksum) of an entry. */
export function encodeEntryRecord(e: JournalEntry): Buffer {
  const { kind, payload } = encodePayload(e);
  return encodeRecord(kind.tag, payload, kind.compress);
}

/** Decodes a stored payload; `fileOffset` (of the record) is used in error messages. */
export function decodeEntry(kind: KindInfo, flags: number, stored: Uint8Array, fileOffset: number): JournalEntry {
  let payload = stored;
  if (flags & FLAG_LZ4) {
    payload = lz4DecompressPrependSize(stored, `record ${kind.name} at byte ${fileOffset}`, MAX_PAYLOAD * 4);
  }
  const r = new ByteReader(payload, 0, payload.length, 0);
  const o: Record<string, unknown> = { kind: kind.name };
  try {
    for (const [name, ft] of Object.entries(kind.fields)) o[name] = decodeValue(r, ft, name);
    r.expectEnd(kind.name);
  } catch (e) {
    if (e instanceof JournalError) {
      throw new JournalError(e.code, `record ${kind.name} at byte ${fileOffset}: ${e.message}`, fileOffset);
    }
    throw e;
  }
  return o as unknown as JournalEntry;
}

export { kindByTag, ALL_KINDS };
