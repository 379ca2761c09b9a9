// The text form of entries: `kebab-name (key=value, ...)`, one line per entry, shared by `wasm-journal inspect` and
// the editor. The form of each kind is declared with the kind (entries.ts); this file only guards the line shape.

import { kindOf, type JournalEntry } from './entries';

/** One line of text describing the entry (control characters in paths are escaped). */
export function entryText(e: JournalEntry): string {
  // eslint-disable-next-line no-control-regex
  return kindOf(e).text(e).replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
