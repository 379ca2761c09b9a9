// Writes examples/hello.journal: the journal of a small C program's run, as the journaling runtime records it
// (module init, terminal and file output, three snapshots with memory and thread state, a close, a rename, a
// temporary file created and deleted, an exit). Deterministic: running it again gives the same bytes.
//
//   node out/examples/make-hello-journal.js [OUT]

import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { LogFileJournal, type JournalEntry } from '../src/journal';

const RIGHTS_FILE = 0x1fffffffn;
const PAGE = 65536;
const MEMORY = 2 * PAGE;
const STACK_TOP = 0x10000;
const BLOCK = 512;

const BASE_SECS = 1_795_000_000n; // 2026-11-18T11:06:40Z
let clock = 0;
function when(): { secs_since_epoch: bigint; nanos_since_epoch: number } {
  clock += 1;
  return { secs_since_epoch: BASE_SECS + BigInt(clock), nanos_since_epoch: 250_000_000 * (clock % 4) };
}

/** A guest memory image that evolves like a C program's: data segment, heap, stack. */
class Memory {
  readonly bytes = new Uint8Array(MEMORY);
  private previous: Uint8Array | undefined;

  constructor() {
    const data = Buffer.from('Hello from WASI!\n\0notes.txt\0log.txt\0tmp.dat\0out\0%s: %d lines\n\0Done.\n\0', 'latin1');
    this.bytes.set(data, 1024);
  }

  write(at: number, s: string | Uint8Array): void {
    this.bytes.set(typeof s === 'string' ? Buffer.from(s, 'latin1') : s, at);
  }

  /** Memory regions changed since the previous snapshot, 512-byte blocks coalesced (all non-zero ones at first). */
  changes(): JournalEntry[] {
    const out: JournalEntry[] = [];
    let runStart = -1;
    const flush = (end: number): void => {
      if (runStart < 0) return;
      out.push({
        kind: 'UpdateMemoryRegionV1',
        region: { start: BigInt(runStart), end: BigInt(end) },
        data: this.bytes.slice(runStart, end),
      });
      runStart = -1;
    };
    for (let b = 0; b < MEMORY; b += BLOCK) {
      const cur = this.bytes.subarray(b, b + BLOCK);
      const changed = this.previous
        ? !Buffer.from(cur).equals(Buffer.from(this.previous.subarray(b, b + BLOCK)))
        : cur.some((x) => x !== 0);
      if (changed && runStart < 0) runStart = b;
      if (!changed) flush(b);
    }
    flush(MEMORY);
    this.previous = this.bytes.slice();
    return out;
  }
}

function thread(mem: Memory, depth: number): JournalEntry {
  const sp = STACK_TOP - 96 * depth;
  mem.write(sp, new Uint8Array(96 * depth).map((_, i) => (i * 7 + depth) & 0xff));
  const callStack = new Uint8Array(8 + 44 * depth);
  new DataView(callStack.buffer).setUint32(0, 8 + 44 * depth, true);
  for (let f = 0; f < depth; f++) callStack.set([f + 1, 0, 0, 0, 12 + f, 0, 0, 0], 8 + 44 * f);
  const globals = new Uint8Array(8);
  new DataView(globals.buffer).setUint32(0, sp, true);
  return {
    kind: 'SetThreadV1',
    id: 0,
    call_stack: callStack,
    memory_stack: mem.bytes.slice(sp, STACK_TOP),
    store_data: globals,
    start: 'main_thread',
    layout: { stack_upper: BigInt(STACK_TOP), stack_lower: 1024n * 8n, guard_size: 0n, stack_size: BigInt(STACK_TOP - 8192) },
    is_64bit: false,
  };
}

function open(fd: number, p: string, o_flags: number, fs_flags = 0): JournalEntry {
  return {
    kind: 'OpenFileDescriptorV2',
    fd,
    dirfd: 3,
    dirflags: 1,
    path: p,
    o_flags,
    fs_rights_base: RIGHTS_FILE,
    fs_rights_inheriting: 0n,
    fs_flags,
    fd_flags: 0,
  };
}

function write(fd: number, offset: number, text: string): JournalEntry {
  return { kind: 'FileDescriptorWriteV1', fd, offset: BigInt(offset), data: Buffer.from(text), is_64bit: false };
}

function snapshot(mem: Memory, depth: number, trigger: 'first-environ' | 'idle' | 'explicit'): JournalEntry[] {
  const t = thread(mem, depth);
  return [t, ...mem.changes(), { kind: 'SnapshotV1', when: when(), trigger }];
}

export function helloJournal(): JournalEntry[] {
  const mem = new Memory();
  const moduleBytes = Buffer.from('wasm-journal examples/hello: a C program built with clang --target=wasm32-wasi');
  const e: JournalEntry[] = [];
  e.push({ kind: 'InitModuleV1', wasm_hash: createHash('sha256').update(moduleBytes).digest() });
  e.push({
    kind: 'TtySetV1',
    tty: { cols: 80, rows: 24, width: 800, height: 600, stdin_tty: true, stdout_tty: true, stderr_tty: true, echo: true, line_buffered: true },
    line_feeds: true,
  });
  mem.write(0x2000, 'USER=dev\0LANG=C.UTF-8\0');
  e.push(...snapshot(mem, 2, 'first-environ'));
  e.push(write(1, 0, 'Hello from WASI!\n'));

  e.push(open(4, 'notes.txt', 1 | 8)); // CREATE | TRUNC
  const line1 = 'first line of notes\n';
  const line2 = 'second line of notes\n';
  e.push(write(4, 0, line1));
  e.push(write(4, line1.length, line2));
  e.push({ kind: 'FileDescriptorSeekV1', fd: 4, offset: 0n, whence: 'Set' });
  e.push(write(4, 0, 'FIRST'));
  // The program's heap: a buffer of lines read back, a counter.
  mem.write(0x4000, line1 + line2);
  mem.write(0x4800, new Uint8Array([2, 0, 0, 0]));
  e.push(...snapshot(mem, 3, 'idle'));

  e.push(open(5, 'log.txt', 1, 1)); // CREATE, APPEND
  e.push(write(5, 0, 'started\n'));
  e.push(write(5, 8, 'notes.txt: 2 lines\n'));
  e.push({ kind: 'CloseFileDescriptorV1', fd: 5 });
  e.push({ kind: 'CloseFileDescriptorV1', fd: 4 });
  e.push({ kind: 'PathRenameV1', old_fd: 3, old_path: 'notes.txt', new_fd: 3, new_path: 'notes-final.txt' });
  e.push(write(2, 0, 'warning: notes.txt renamed to notes-final.txt\n'));

  e.push(open(6, 'tmp.dat', 1 | 4)); // CREATE | EXCL
  e.push(write(6, 0, 'scratch data that will not survive'));
  e.push({ kind: 'CloseFileDescriptorV1', fd: 6 });
  e.push({ kind: 'UnlinkFileV1', fd: 3, path: 'tmp.dat' });
  e.push({ kind: 'CreateDirectoryV1', fd: 3, path: 'out' });
  mem.write(0x4000, 'summary: 2 lines, 1 rename\n');
  mem.write(0x4800, new Uint8Array([3, 0, 0, 0]));
  mem.write(0x9000, new Uint8Array(1500).map((_, i) => (i * 31) & 0xff));
  e.push(...snapshot(mem, 2, 'explicit'));

  e.push(write(1, 0, 'Done.\n'));
  e.push({ kind: 'ProcessExitV1', exit_code: { Errno: 'Success' } });
  return e;
}

export function writeHelloJournal(file: string): void {
  const j = LogFileJournal.create(file, { createdMs: BASE_SECS * 1000n });
  for (const entry of helloJournal()) j.write(entry);
  j.close();
}

if (require.main === module) {
  const out = process.argv[2] ?? path.join(__dirname, '..', '..', 'examples', 'hello.journal');
  writeHelloJournal(out);
  console.log(`wrote ${out}`);
}
