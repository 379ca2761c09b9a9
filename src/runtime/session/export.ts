// Writing part of a recording to a new journal, with the CLI's filter and compaction semantics (`wasm-journal
// filter`, `compact`): the entries before a record, the kinds the filter keeps, then optionally compacted. Written
// atomically: a failed export leaves no half-written file.

import * as fs from 'node:fs';
import { FILTER_ALIASES, passesFilter, readAll, type FilterConfig, type JournalEntry } from '../../journal';
import { CompactionPlanner, writeCompacted } from '../../journal/compaction';
import { LogFileJournal, writeJournalAtomically } from '../../journal/log-file';
import { RuntimeError } from '../errors';

export interface ExportOptions {
  /** Filter names to leave out (mem, threads, fs, stdio, core, snap, net), as `filter -f`. */
  filter?: string[];
  /** Keep only the entries with these indices (as `filter --only-indices`). */
  onlyIndices?: number[];
  /** Keep only the entries before this record index (a point's first record). */
  upToRecord?: number;
  compact?: boolean;
}

export interface ExportResult {
  entries: number;
  bytes: number;
  path: string;
}

export function exportJournal(src: string, dst: string, opts: ExportOptions): ExportResult {
  if (fs.existsSync(dst) && fs.realpathSync(dst) === fs.realpathSync(src)) {
    throw new RuntimeError('bad-option', `${dst} is the recording itself; export to another file`);
  }
  const config: FilterConfig = {};
  for (const f of opts.filter ?? []) {
    const name = FILTER_ALIASES[f.toLowerCase()];
    if (!name) throw new RuntimeError('bad-option', `unknown filter "${f}"; use mem, threads, fs, stdio, core, snap or net`);
    config[name] = true;
  }
  if (opts.onlyIndices) config.onlyIndices = new Set(opts.onlyIndices);
  const j = LogFileJournal.openRead(src);
  try {
    const kept: JournalEntry[] = [];
    for (const r of readAll(j)) {
      if (opts.upToRecord !== undefined && r.index >= opts.upToRecord) break;
      if (config.onlyIndices && !config.onlyIndices.has(r.index)) continue;
      if (!passesFilter(config, r.entry)) continue;
      kept.push(r.entry);
    }
    let entries = 0;
    const bytes = writeJournalAtomically(dst, (out) => {
      if (opts.compact) {
        const planner = new CompactionPlanner();
        for (const e of kept) planner.feed(e);
        entries = writeCompacted(kept, planner.plan(), (e) => out.write(e));
      } else {
        for (const e of kept) out.write(e);
        entries = kept.length;
      }
      out.flush();
      return out.byteLength;
    });
    return { entries, bytes, path: dst };
  } finally {
    j.close();
  }
}
