// The messages between the extension and the memory diff view (a webview panel), declared once for both sides.
// Memory pages and the list of changed ranges travel as typed arrays.

export interface MemoryDiffInfo {
  from: number;
  to: number;
  fromBytes: number;
  toBytes: number;
  changedBytes: number;
  /** Ranges listed (at most the limit asked for); `truncated` when there are more. */
  rangeCount: number;
  truncated: boolean;
  /** Each changed range: where it starts and how long it is (bytes). */
  offsets: Float64Array;
  lengths: Uint32Array;
}

/** Extension to view. */
export type ToMemory =
  | { type: 'init'; diff: MemoryDiffInfo }
  /** The bytes of [offset, offset + length) at both points (shorter where a memory ends). */
  | { type: 'page'; id: number; offset: number; from: Uint8Array; to: Uint8Array }
  | { type: 'error'; message: string };

/** View to extension. */
export type FromMemory = { type: 'ready' } | { type: 'page'; id: number; offset: number; count: number };
