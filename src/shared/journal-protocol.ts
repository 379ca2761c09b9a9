// The messages between the extension and the journal editor (a read-only custom editor for journal files).

/** A run (an init-module entry and what follows) or a snapshot, for the editor's outline. */
export interface OutlineItem {
  kind: 'run' | 'snapshot';
  /** The entry's index in the journal. */
  entry: number;
  label: string;
  /** The run (from 1) the item is or belongs to. */
  run: number;
  /** For a snapshot: its number in its run ("Debug from here" restores it). */
  restoreAt?: number;
}

export interface JournalSummary {
  file: string;
  bytes: number;
  entries: number;
  /** Warnings and damage found reading it (a torn tail, damaged records). */
  notes: string[];
  outline: OutlineItem[];
  /** Still indexing (a large journal): what is here so far, more to come. */
  indexing?: boolean;
}

/** Extension to view. */
export type ToJournal =
  /** The journal read (again, when it grew): the view keeps its place. */
  | { type: 'summary'; summary: JournalSummary }
  /** Lines [start, start + lines.length) of the entries as text. */
  | { type: 'lines'; start: number; lines: string[] };

/** View to extension. */
export type FromJournal =
  | { type: 'ready' }
  | { type: 'lines'; start: number; count: number }
  | { type: 'debugFrom'; restoreAt: number; run: number }
  | { type: 'openAsText' };
