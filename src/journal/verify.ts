// Checking a journal file whole: every record's framing and checksum, and that each entry decodes. Used by
// `wasm-journal verify` and `repair`, and by the extension to check a journal it exported.

import * as fs from 'node:fs';
import { decodeEntry } from './codec';
import { kindByTag, type JournalEntry } from './entries';
import { JournalError } from './errors';
import { RecordScanner } from './scanner';

export interface VerifyReport {
  records: number;
  headers: number;
  unknownKinds: number;
  badRecords: string[];
  tornBytes: number;
  validEnd: number;
  skipped: { offset: number; length: number }[];
  kinds: Map<string, number>;
}

/** Walks every record of a journal file, leniently, decoding each: what `verify` reports and `repair` keeps. */
export function surveyJournal(file: string, onEntry?: (e: JournalEntry) => void): VerifyReport {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    throw new JournalError('io', `${file}: cannot open: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  try {
    const scanner = new RecordScanner(fd, fs.fstatSync(fd).size, { lenient: true, name: file });
    const report: VerifyReport = { records: 0, headers: 0, unknownKinds: 0, badRecords: [], tornBytes: 0, validEnd: 0, skipped: [], kinds: new Map() };
    for (const raw of scanner.records()) {
      report.records++;
      const kind = kindByTag(raw.kind);
      if (!kind) {
        report.unknownKinds++;
        continue;
      }
      try {
        const e = decodeEntry(kind, raw.flags, raw.payload, raw.offset);
        report.kinds.set(e.kind, (report.kinds.get(e.kind) ?? 0) + 1);
        onEntry?.(e);
      } catch (err) {
        if (!(err instanceof JournalError)) throw err;
        report.badRecords.push(err.message);
      }
    }
    Object.assign(report, {
      headers: scanner.end.headers,
      tornBytes: scanner.end.tornBytes,
      validEnd: scanner.end.validEnd,
      skipped: scanner.end.skipped,
    });
    return report;
  } finally {
    fs.closeSync(fd);
  }
}


/** Whether a survey found damage (a torn tail from a crash is not damage). */
export function isWhole(r: VerifyReport): boolean {
  return r.skipped.length === 0 && r.badRecords.length === 0;
}
