// The journal library: what other layers import.

export * from './entries';
export * from './errors';
export * from './journal';
export { LogFileJournal, writeJournalAtomically, type LogFileOptions, type SyncPolicy } from './log-file';
export { UnsupportedJournal, NullJournal, MemoryJournal, PackedEntries } from './simple-journals';
export { FilteredJournal, passesFilter, FILTER_NAMES, FILTER_ALIASES, type FilterConfig, type FilterName } from './filtered';
export { CountingJournal } from './counting';
export { CompactingJournal, CompactingLogFileJournal, type CompactionResult } from './compacting';
export { CompactionPlanner, compactEntries, writeCompacted } from './compaction';
export { StateModel, type SnapshotMark } from './state';
export { SparseBytes } from './sparse-bytes';
export { entryToJson, entryToJsonText, parseJsonEntries, entryFromJson } from './json';
export { exportJsonFile } from './json-export';
export { readJsonJournal, importJson, snapshotMemory, diffSnapshots, type JsonJournal, type JsonEntryInfo, type JsonProblem, type TextPos } from './json-check';
export { entryText } from './text';
export { JournalLines, entryLine, type JournalLandmark } from './journal-lines';
export { surveyJournal, isWhole, type VerifyReport } from './verify';
export { RecordScanner, type ScanEnd, type RawRecord } from './scanner';
export { crc32cBackend } from './checksum';
export { lz4Backend } from './compression';
export * from './wasi-types';
