// The compacting journal learns from every entry written through it (compaction.ts) and forwards it to the inner
// journal; `compactTo` replays the inner journal through the plan into another journal. The compacting log file
// journal does that on its own file when the file has grown by a factor since the last compaction: it compacts into
// a temporary file, syncs it, and renames it over the journal, so a crash at any moment leaves either the old or the
// new journal, whole.

import { CompactionPlanner, writeCompacted } from './compaction';
import type { JournalEntry } from './entries';
import { readEntries, WrappingJournal, type Journal, type WritableJournal, type WriteResult } from './journal';
import { LogFileJournal, writeJournalAtomically, type LogFileOptions } from './log-file';

export interface CompactionResult {
  entriesBefore: number;
  entriesAfter: number;
}

export class CompactingJournal extends WrappingJournal {
  private planner = new CompactionPlanner();

  constructor(inner: Journal) {
    super(inner);
    // Learn what the inner journal already holds.
    for (const e of readEntries(inner)) this.planner.feed(e);
  }

  override write(entry: JournalEntry): WriteResult {
    this.planner.feed(entry);
    return this.inner.write(entry);
  }

  /** Takes over what `other` has learned (when its inner journal replaces ours). */
  protected adoptPlan(other: CompactingJournal): void {
    this.planner = other.planner;
  }

  /** Writes the compacted form of everything written so far into `target`. */
  compactTo(target: WritableJournal): CompactionResult {
    const plan = this.planner.plan();
    const after = writeCompacted(readEntries(this.inner), plan, (e) => target.write(e));
    return { entriesBefore: plan.entries, entriesAfter: after };
  }

}

export interface CompactingLogFileOptions extends LogFileOptions {
  /** Compact when the file is this much bigger than after the last compaction (0.15 = 15%). Default 0.15. */
  growthFactor?: number;
  /** Do not compact files smaller than this (bytes). Default 1 MiB. */
  minBytes?: number;
  /** Compact when the journal is closed. */
  compactOnClose?: boolean;
}

export class CompactingLogFileJournal extends CompactingJournal {
  private reference: number;
  private readonly growthFactor: number;
  private readonly minBytes: number;
  compactions = 0;

  constructor(
    readonly file: string,
    private readonly options: CompactingLogFileOptions = {},
  ) {
    super(LogFileJournal.openAppend(file, options));
    this.growthFactor = options.growthFactor ?? 0.15;
    this.minBytes = options.minBytes ?? 1 << 20;
    this.reference = this.log.byteLength;
  }

  private get log(): LogFileJournal {
    return this.inner as LogFileJournal;
  }

  override write(entry: JournalEntry): WriteResult {
    const r = super.write(entry);
    const size = this.log.byteLength;
    if (size >= this.minBytes && size > this.reference * (1 + this.growthFactor)) this.compactNow();
    return r;
  }

  /** Compacts the file in place now. */
  compactNow(): CompactionResult {
    this.log.flush();
    // A compacting journal around the temporary file learns the compacted entries as they are written, so the new
    // file need not be read back to plan the next compaction.
    let learned: CompactingJournal | undefined;
    const result = writeJournalAtomically(
      this.file,
      (tmp) => {
        learned = new CompactingJournal(tmp);
        return this.compactTo(learned);
      },
      { ...this.options, targetLocked: true },
    );
    // Reopen the new file; the old descriptor (and its lock) go.
    this.log.close();
    this.inner = LogFileJournal.openAppend(this.file, this.options);
    this.adoptPlan(learned!);
    this.reference = this.log.byteLength;
    this.compactions++;
    return result;
  }

  override close(): void {
    if (this.options.compactOnClose) this.compactNow();
    super.close();
  }
}
