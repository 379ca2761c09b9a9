// The messages between the extension and the timeline webview, declared once for both sides. Bulk data (one value
// per point) travels as typed arrays, which the webview's postMessage carries without a JSON list of numbers.

/** A snapshot on the timeline. */
export interface TimelineSnapshot {
  index: number;
  point: number;
  trigger: string;
  timeMs: number;
  /** Memory the snapshot wrote (what changed since the one before). */
  bytes: number;
}

export interface TimelineBranch {
  id: number;
  parent?: number;
  /** The point it went live from (0 for the run launched). */
  from: number;
  ended: boolean;
  /** Its last point so far. */
  end: number;
}

/** Points [start, start + calls.length) of the branch shown, as columns. */
export interface TimelinePoints {
  start: number;
  /** Host call ids into `names`. */
  calls: Uint16Array;
  names: string[];
  /** Indices into `categoryNames`. */
  categories: Uint8Array;
  categoryNames: string[];
  fds: Int32Array;
  lens: Int32Array;
  /** ms since the program started. */
  times: Float32Array;
  paths: [number, string][];
}

export interface TimelineState {
  /** The point the session is at. */
  current: number;
  /** Points recorded so far. */
  total: number;
  ended: boolean;
  exitCode?: number;
  branch: number;
  branches: TimelineBranch[];
  snapshots: TimelineSnapshot[];
}

export interface OutputLine {
  point: number;
  stream: 1 | 2;
  text: string;
}

/** Extension to webview. */
export type ToTimeline =
  /** No wasm-journal session (or it ended): the panel says so. */
  | { type: 'idle'; message: string }
  /** Every point again (a new session or another branch shown). */
  | { type: 'reset'; state: TimelineState; points: TimelinePoints; output: OutputLine[] }
  /** Points recorded since (the same branch), and the state now. */
  | { type: 'append'; state: TimelineState; points: TimelinePoints; output: OutputLine[] }
  /** Where the session is (after a stop). */
  | { type: 'current'; point: number; branch: number }
  /** The program runs, or a travel is under way (the playhead shows where it goes). */
  | { type: 'busy'; busy: boolean; message?: string }
  | { type: 'error'; message: string };

/** Webview to extension. */
export type FromTimeline =
  | { type: 'ready' }
  /** Go to a point (of a branch, when another is clicked). */
  | { type: 'travel'; point: number; branch?: number }
  /** Open the memory diff view between two points. */
  | { type: 'diff'; from: number; to: number };
