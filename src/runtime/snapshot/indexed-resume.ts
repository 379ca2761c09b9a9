// Restoring a snapshot through the journal's snapshot index (src/journal/snapshot-index.ts): only the records that
// make up the snapshot's state are read (its memory, thread state, file cursors, and the descriptor and file-system
// effects before it), so resuming from snapshot 1 or 1,000 of a long journal costs the same.

import type { JournalEntry } from '../../journal/entries';
import { JournalError } from '../../journal/errors';
import { RecordReader } from '../../journal/record-reader';
import { SnapshotIndex } from '../../journal/snapshot-index';
import type { ScanEnd } from '../../journal/scanner';
import { RuntimeError } from '../errors';
import { decodeCursors, decodeStore, type ResumePoint } from './snapshotter';

export interface IndexedResume {
  /** The snapshot (from 0, over the journal) resumed from. */
  snapshot: number;
  /** The descriptor and file-system entries to restore before resuming, in order. */
  effects: JournalEntry[];
  point: ResumePoint;
  /** Bytes of memory read from the journal. */
  memoryBytes: number;
  /** How the index came about (loaded from beside the journal, extended, built). */
  index: SnapshotIndex['status'];
  /** How the scan of the journal's new records ended (a torn tail), when records were scanned. */
  scan: ScanEnd | undefined;
}

/**
 * The snapshot of `journal` to resume from: number `at`, or the last one when its run did not end after it. Undefined
 * when there is none to resume, or its snapshot has no thread state (a run without asyncify): the caller then
 * restores the journal's entries and starts main, as findResumePoint's callers do.
 */
export function indexedResume(journal: string, at?: number): IndexedResume | undefined {
  let index = SnapshotIndex.open(journal);
  try {
    return gather(index, at);
  } catch (e) {
    if (!(e instanceof JournalError) || e.code !== 'stale-index') throw e;
    // The journal changed under its index: index it again, once.
    index = SnapshotIndex.rebuild(journal);
    return gather(index, at);
  }
}

function gather(index: SnapshotIndex, at: number | undefined): IndexedResume | undefined {
  const count = index.snapshots;
  if (at !== undefined && (!Number.isInteger(at) || at < 0 || at >= count)) {
    throw new RuntimeError('bad-option', `the journal holds ${count} snapshot(s); there is no snapshot ${at}`);
  }
  if (count === 0) return undefined;
  const k = at ?? count - 1;
  if (at === undefined && index.endedAfter(k)) return undefined;
  const plan = index.plan(k);
  if (plan.thread === undefined) return undefined;
  const reader = new RecordReader(index.journal);
  try {
    const thread = reader.entryAt(plan.thread, 'SetThreadV1');
    const cursors = plan.cursors === undefined ? new Map<number, number>() : decodeCursors(reader.entryAt(plan.cursors, 'FdCursorsV1'));
    const effects = plan.effects.map((o) => reader.entryAt(o));
    const point: ResumePoint = {
      callStack: thread.call_stack,
      store: decodeStore(thread),
      cursors,
      applyMemory: (memory) => {
        const r = new RecordReader(index.journal);
        try {
          for (const o of plan.memory) r.memoryInto(o, memory);
        } finally {
          r.close();
        }
      },
    };
    return { snapshot: k, effects, point, memoryBytes: plan.memoryBytes, index: index.status, scan: index.lastScan };
  } finally {
    reader.close();
  }
}
