// Reading journals for a user: warnings (records of unknown kinds) and a torn tail (an interrupted write) are told
// on stderr, once, as one line each. The CLI's commands and a program's run share these.

import { LogFileJournal } from '../../journal/log-file';
import type { ScanEnd } from '../../journal/scanner';
import type { Io } from './fd-writer';

export function openJournal(file: string, io: Io): LogFileJournal {
  return LogFileJournal.openRead(file, { onWarning: (m) => io.err.line(`warning: ${m}`) });
}

/** Reports a torn tail once the journal has been read to its end. */
export function reportTail(j: LogFileJournal, io: Io): void {
  reportScanEnd(j.file, j.lastScan, io);
}

/** Reports a torn tail found by a scan of `file`. */
export function reportScanEnd(file: string, end: ScanEnd | undefined, io: Io): void {
  if (end && end.tornBytes > 0) {
    io.err.line(
      `note: ${file}: the last ${end.tornBytes} bytes are not a complete record (a write was interrupted); ` +
        `the journal ends at byte ${end.validEnd}`,
    );
  }
}
