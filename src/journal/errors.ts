// Typed errors of the journal layer. Every failure a user can cause (bad file, bad JSON, bad arguments) is one of
// these, with a message that says what is wrong and where; anything else escaping is a bug.

export type JournalErrorCode =
  | 'bad-magic' // the file does not start with a journal header
  | 'bad-header' // a header with a bad checksum or an unsupported version
  | 'checksum' // a record whose checksum does not match, with valid records after it
  | 'truncated' // a payload shorter than its fields need
  | 'bad-field' // a field value out of range (unknown enum value, invalid UTF-8, ...)
  | 'too-large' // a length larger than the data that holds it
  | 'compression' // a compressed payload that does not decompress to its declared size
  | 'json' // malformed or unexpected JSON on import
  | 'io' // the file system refused
  | 'stale-index' // a snapshot index that no longer matches its journal (it is rebuilt)
  | 'usage'; // a journal used the wrong way (writing to a read-only or closed journal, ...)

export class JournalError extends Error {
  readonly code: JournalErrorCode;
  /** Byte offset in the file (or in the payload for field errors) where the problem is, when known. */
  readonly offset: number | undefined;

  /** For JSON: the line and column (from 1) of the value at fault, and the message without them. */
  readonly at: { line: number; col: number; detail: string } | undefined;

  constructor(code: JournalErrorCode, message: string, offset?: number, at?: { line: number; col: number; detail: string }) {
    super(message);
    this.name = 'JournalError';
    this.code = code;
    this.offset = offset;
    this.at = at;
  }
}

/** True when `e` is an error the journal layer raised on purpose (as opposed to a bug). */
export function isJournalError(e: unknown): e is JournalError {
  return e instanceof JournalError;
}
