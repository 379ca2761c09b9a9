// The text form of entries: `kebab-name (key=value, ...)`, one line per entry, shared by `wasm-journal inspect` and
// the editor. The form of each kind is declared with the kind (entries.ts); this file only guards the line shape.

import { kindOf, type JournalEntry } from './entries';

/** One line of text describing the entry (control characters and line separators in paths are escaped). */
export function entryText(e: JournalEntry): string {
  return kindOf(e).text(e).replace(/[\x00-\x1f\x7f-\x9f\u2028\u2029]/g, (c) => {
    const n = c.charCodeAt(0);
    return n < 0x100 ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16)}`;
  });
}
