// The JSON form of entries: the shape `wasmer journal export` writes (externally tagged snake_case variant names,
// fields in declaration order, binary fields as base64 of size-prefixed LZ4 blocks), so journals move between the
// two tools. Exports are a stream of pretty-printed values, one per entry.
//
// One deliberate difference: Wasmer prints field-less variants as a bare string ("clear_ethereal_v1"), which its own
// importer cannot read back (it ends a record at a line holding "}"); we print `{"clear_ethereal_v1": null}` over
// three lines, which serde and both importers accept. Our importer reads either form.

import { ALL_KINDS, snakeName, type JournalEntry, type KindInfo, kindOf } from './entries';
import { JournalError } from './errors';
import { jsonError, JsonStreamParser, printJsonPretty, type JsonNode, type JsonValue } from './json-text';
import { fromJson, toJson } from './schema';

const bySnake = new Map<string, KindInfo>(ALL_KINDS.map((k) => [snakeName(k.name), k]));

export function entryToJson(e: JournalEntry): JsonValue {
  const k = kindOf(e);
  const tag = snakeName(k.name);
  if (k.unit) return { [tag]: null };
  const body: Record<string, JsonValue> = {};
  const o = e as unknown as Record<string, unknown>;
  for (const [name, ft] of Object.entries(k.fields)) body[k.jsonNames[name] ?? name] = toJson(ft, o[name]);
  return { [tag]: body };
}

/** One entry as `wasmer journal export` prints it (pretty JSON and a newline). */
export function entryToJsonText(e: JournalEntry): string {
  return printJsonPretty(entryToJson(e)) + '\n';
}

export function entryFromJson(n: JsonNode): JournalEntry {
  let tag: string;
  let body: JsonNode | undefined;
  if (n.type === 'string') tag = n.value;
  else if (n.type === 'object' && n.entries.length === 1) [tag, body] = n.entries[0];
  else throw jsonError(n, 'expected an entry like {"file_descriptor_write_v1": {...}}');
  const k = bySnake.get(tag);
  if (!k) throw jsonError(n, `unknown entry kind "${tag}"`);
  const e: Record<string, unknown> = { kind: k.name };
  if (k.unit) {
    if (body && body.type !== 'null' && !(body.type === 'object' && body.entries.length === 0)) {
      throw jsonError(body, `${tag} takes no fields`);
    }
    return e as unknown as JournalEntry;
  }
  if (!body || body.type !== 'object') throw jsonError(body ?? n, `${tag}: expected an object of fields`);
  const fields = new Map(body.entries);
  for (const [name, ft] of Object.entries(k.fields)) {
    const key = k.jsonNames[name] ?? name;
    const child = fields.get(key);
    if (!child) {
      if (ft.t === 'option') {
        e[name] = null;
        continue;
      }
      throw jsonError(body, `${tag}: missing field "${key}"`);
    }
    e[name] = fromJson(ft, child, `${tag}.${key}`);
  }
  return e as unknown as JournalEntry;
}

/** Every entry of an export (a stream of JSON values, or arrays of them); errors name the line and column. */
export function* parseJsonEntries(text: string): Generator<JournalEntry> {
  const p = new JsonStreamParser(text);
  for (;;) {
    const n = p.next();
    if (!n) return;
    if (n.type === 'array') for (const item of n.items) yield entryFromJson(item);
    else yield entryFromJson(n);
  }
}

export { JournalError };
