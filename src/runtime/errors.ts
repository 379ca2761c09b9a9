// The runtime's errors a user can act on, one code each. Guest-visible failures are errno values (FsError), never
// these; these end a run (or refuse to start one) with a message that says what is wrong and where.

export type RuntimeErrorCode =
  | 'not-wasm' // the file is not a WebAssembly module, or it does not compile
  | 'unknown-imports' // the module imports functions the runtime does not provide
  | 'no-entry' // no _start (or _initialize) export
  | 'trap' // the guest trapped
  | 'out-of-memory'
  | 'stack-overflow'
  | 'divergence' // replay: the program did something other than the recording holds
  | 'cannot-instrument' // binaryen could not instrument the module for snapshots with call stacks
  | 'module-mismatch' // restore: the journal was recorded from another module
  | 'bad-journal' // restore or replay: the journal cannot be used
  | 'bad-option'
  | 'restore' // restore: the outside world cannot be brought back as the journal holds it (a port in use)
  | 'cancelled'; // the user cancelled a long operation (a debugger's travel)

export class RuntimeError extends Error {
  constructor(
    readonly code: RuntimeErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** The program called proc_exit (thrown through the guest's frames to unwind them). */
export class ProcExit extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
  }
}
