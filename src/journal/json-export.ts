// A journal written to a file in its JSON form (`wasm-journal export -o`, the extension's Export Journal as JSON):
// streamed a megabyte at a time, into a temporary file renamed over the target once it is whole and on disk, so a
// failure leaves the target as it was.

import * as fs from 'node:fs';
import { readAll } from './journal';
import { entryToJsonText } from './json';
import { LogFileJournal } from './log-file';
import type { ScanEnd } from './scanner';

/** Writes `journal`'s entries as JSON to `outFile`; returns how the read of the journal ended (a torn tail). */
export function exportJsonFile(journal: string | LogFileJournal, outFile: string): { entries: number; scan: ScanEnd | undefined } {
  const j = typeof journal === 'string' ? LogFileJournal.openRead(journal) : journal;
  const tmp = `${outFile}.${process.pid}.tmp`;
  let entries = 0;
  try {
    const fd = fs.openSync(tmp, 'w');
    try {
      let buf: string[] = [];
      let size = 0;
      for (const r of readAll(j)) {
        const t = entryToJsonText(r.entry);
        entries++;
        buf.push(t);
        size += t.length;
        if (size > 1 << 20) {
          fs.writeSync(fd, buf.join(''));
          buf = [];
          size = 0;
        }
      }
      fs.writeSync(fd, buf.join(''));
      fs.fsyncSync(fd);
    } catch (e) {
      fs.closeSync(fd);
      fs.rmSync(tmp, { force: true });
      throw e;
    }
    fs.closeSync(fd);
    fs.renameSync(tmp, outFile);
    return { entries, scan: j.lastScan };
  } finally {
    if (typeof journal === 'string') j.close();
  }
}
