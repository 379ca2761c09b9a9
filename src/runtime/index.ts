// The runtime's one surface: what the CLI, the debug adapter and the extension use of it. Everything below runs WASI
// programs and knows nothing of the clients (no VS Code, no DAP, no command line).

export { RuntimeError, type RuntimeErrorCode } from './errors';
export { loadModule, type LoadedModule } from './module';
export type { Terminal } from './process';
export {
  CapturedTerminal, checkModuleHash, InstanceSlot, runBounds, replayProgram, runProgram,
  type PointObserver, type ReplayOptions, type ReplayResult, type RunOptions, type RunResult,
} from './runtime';
export { FS_MODES, LiveWorld, NetPolicy, NO_TTY, RecordingWorld, ReplayWorld, type FsMode, type MountSpec, type StdinSource, type TtyInfo, type World } from './world';
export { DEFAULT_TRIGGERS, snapshotImports, type SnapshotOptions } from './snapshot/triggers';
export { cacheDir, instrument } from './snapshot/instrument';
export { indexedResume, type IndexedResume } from './snapshot/indexed-resume';
export { SIGNAL_CODES, type SignalName } from './signals';
// Running a program off the caller's thread, as `wasm-journal run` does.
export { ClosedPipe, FdWriter, processIo, type Io } from './host/fd-writer';
export { openJournal, reportScanEnd, reportTail } from './host/journal-io';
export { executePlan, ioTerminal, parseMount, readJournalEntries, readJournalRecords, readModule, reportEnd, type RunPlan } from './host/plan';
export { controlSocket, ProgramHost, type ProgramHostEvents } from './host/program-host';
// A recording to move through (the debugger's runtime).
export {
  RecordingSession, type AttachOptions, type LaunchOptions, type OutputChunk, type SessionEvents, type SnapshotRecord, type Stop,
  type Timeline, type TimelinePoint,
} from './session/session';
export { pointText, parseCondition, ConditionError, CATEGORIES, categoryOf, type Category, type PointColumns, type PointInfo } from './session/points';
export type { BreakpointSpec, DataBreakpointSpec, DescriptorInfo, MemoryDiff, MemoryRange, ProcessState, StackFrameInfo, StopReason } from './session/protocol';
export { diffMemory, diffBody, type MemoryDiffBody } from '../journal/memory-diff';
export { exportJournal, type ExportOptions, type ExportResult } from './session/export';
