// What the journal language server (src/server) and the extension's language client say to each other beyond LSP
// itself, declared once for both: the command the server carries out, the client commands its code lenses name,
// and the custom request for the memory difference between two snapshots.

/** workspace/executeCommand: import the document into a binary journal. Arguments: [ImportParams]. */
export const IMPORT_COMMAND = 'wasm-journal.lsp.import';
/** The client's commands the code lenses name: [uri, run (from 1), snapshot in its run (from 0)]. */
export const RESTORE_LENS = 'wasmJournal.restoreJsonSnapshot';
/** [uri, snapshot, snapshot] (numbers in the journal, from 0). */
export const DIFF_LENS = 'wasmJournal.diffJsonSnapshots';
/** Request: DiffParams → MemoryDiffBody (src/journal/memory-diff). */
export const DIFF_REQUEST = 'wasmJournal/diffSnapshots';

export interface ImportParams {
  uri: string;
  /** The binary journal to write (a path). */
  target: string;
}

export type ImportResult =
  | { ok: true; entries: number; target: string; warnings: number }
  | { ok: false; errors: number; message: string };

export interface DiffParams {
  uri: string;
  /** Snapshot numbers in the journal (from 0). */
  from: number;
  to: number;
  maxRanges?: number;
}
