// Random but plausible journals: a small simulated guest that opens, writes, seeks, truncates, renames, links and
// deletes files in a preopened folder, writes to the terminal, updates memory and threads, takes snapshots, and
// restarts. Only calls that would succeed against the simulated host are journaled, as a real runtime would.
// fast-check drives it with a list of small integers, so failures shrink to short journals.

import fc from 'fast-check';
import type { JournalEntry } from '../../src/journal/entries';

const RIGHTS = (1n << 39n) - 1n;
const PREOPEN = 3;
const NAMES = ['a', 'b', 'c', 'd/a', 'd/b', 'e/x'];
const DIRS = ['d', 'e', 'f'];

export interface Step {
  op: number;
  a: number;
  b: number;
  c: number;
  data: Uint8Array;
}

export const stepArb: fc.Arbitrary<Step> = fc.record({
  op: fc.nat({ max: 39 }),
  a: fc.nat({ max: 1000 }),
  b: fc.nat({ max: 1000 }),
  c: fc.nat({ max: 1000 }),
  data: fc.uint8Array({ minLength: 1, maxLength: 24 }),
});

export const journalArb: fc.Arbitrary<JournalEntry[]> = fc.array(stepArb, { minLength: 5, maxLength: 160, size: "max" }).map(simulate);

interface Inode {
  size: number;
}

interface OpenFd {
  path: string;
  inode: Inode;
  cursor: number;
  append: boolean;
  dir: boolean;
}

/** Turns steps into a journal a runtime could have written. */
export function simulate(steps: Step[]): JournalEntry[] {
  const out: JournalEntry[] = [];
  // Ground truth of the simulated host folder: files with sizes, and folders.
  const files = new Map<string, Inode>([['a', { size: 10 }], ['d/a', { size: 5 }]]);
  const dirs = new Set<string>(['d']);
  let fds = new Map<number, OpenFd>();
  let time = 1_700_000_000n;
  const freeFd = (x: number): number => {
    for (let k = 0; k < 8; k++) {
      const fd = 4 + ((x + k) % 8);
      if (!fds.has(fd)) return fd;
    }
    return -1;
  };
  const parentOk = (p: string): boolean => !p.includes('/') || dirs.has(p.slice(0, p.lastIndexOf('/')));
  const pick = <T>(xs: T[], n: number): T | undefined => (xs.length ? xs[n % xs.length] : undefined);
  const openFds = (): number[] => [...fds.keys()].filter((fd) => !fds.get(fd)!.dir);

  for (const s of steps) {
    switch (s.op) {
      case 0:
      case 1:
      case 2: {
        // open, maybe creating / truncating / exclusive / append
        const path = NAMES[s.a % NAMES.length];
        if (!parentOk(path) || dirs.has(path)) break;
        const mode = s.b % 6; // 0 plain, 1 create, 2 create|trunc, 3 create|excl, 4 trunc, 5 create append
        const exists = files.has(path);
        const o_flags = [0, 1, 9, 5, 8, 1][mode];
        if (!exists && !(o_flags & 1)) break;
        if (exists && mode === 3) break;
        const fd = freeFd(s.c);
        if (fd < 0) break;
        if (!exists) files.set(path, { size: 0 });
        const inode = files.get(path)!;
        if (o_flags & 8) inode.size = 0;
        const append = mode === 5;
        fds.set(fd, { path, inode, cursor: 0, append, dir: false });
        out.push({
          kind: s.c % 2 ? 'OpenFileDescriptorV2' : 'OpenFileDescriptorV1',
          fd,
          dirfd: PREOPEN,
          dirflags: 1,
          path: s.c % 5 === 0 ? `./${path}` : path,
          o_flags,
          fs_rights_base: RIGHTS,
          fs_rights_inheriting: RIGHTS,
          fs_flags: append ? 1 : 0,
          ...(s.c % 2 ? { fd_flags: 0 } : {}),
        } as JournalEntry);
        break;
      }
      case 3:
      case 4:
      case 5:
      case 6: {
        // write at the cursor (or at a random offset, like pwrite)
        const fd = pick(openFds(), s.a);
        if (fd === undefined) break;
        const f = fds.get(fd)!;
        const offset = f.append ? f.inode.size : s.op === 6 ? s.b % 40 : f.cursor;
        out.push({ kind: 'FileDescriptorWriteV1', fd, offset: BigInt(offset), data: s.data, is_64bit: false });
        f.cursor = offset + s.data.length;
        f.inode.size = Math.max(f.inode.size, offset + s.data.length);
        break;
      }
      case 7: {
        const fd = pick(openFds(), s.a);
        if (fd === undefined) break;
        const f = fds.get(fd)!;
        const whence = (['Set', 'Cur', 'End'] as const)[s.b % 3];
        const off = whence === 'Set' ? s.c % 30 : (s.c % 7) - 2;
        const size = f.inode.size;
        const next = whence === 'Set' ? off : whence === 'Cur' ? f.cursor + off : size + off;
        if (next < 0) break;
        f.cursor = next;
        out.push({ kind: 'FileDescriptorSeekV1', fd, offset: BigInt(off), whence });
        break;
      }
      case 8:
      case 9: {
        const fd = pick([...fds.keys()], s.a);
        if (fd === undefined) break;
        fds.delete(fd);
        out.push({ kind: 'CloseFileDescriptorV1', fd });
        break;
      }
      case 10: {
        const fd = pick(openFds(), s.a);
        if (fd === undefined) break;
        const size = s.b % 20;
        fds.get(fd)!.inode.size = size;
        out.push({ kind: 'FileDescriptorSetSizeV1', fd, st_size: BigInt(size) });
        break;
      }
      case 11: {
        const fd = pick(openFds(), s.a);
        if (fd === undefined) break;
        const kinds = ['alloc', 'times', 'flags', 'advise', 'rights', 'fdflags'] as const;
        const k = kinds[s.b % kinds.length];
        if (k === 'alloc') {
          const ino = fds.get(fd)!.inode;
          ino.size = Math.max(ino.size, (s.c % 10) + 5);
          out.push({ kind: 'FileDescriptorAllocateV1', fd, offset: BigInt(s.c % 10), len: 5n });
        } else if (k === 'times') out.push({ kind: 'FileDescriptorSetTimesV1', fd, st_atim: BigInt(s.c), st_mtim: BigInt(s.c + 1), fst_flags: 5 });
        else if (k === 'flags') {
          const append = s.c % 2 === 1;
          fds.get(fd)!.append = append;
          out.push({ kind: 'FileDescriptorSetFlagsV1', fd, flags: append ? 1 : 0 });
        } else if (k === 'advise') out.push({ kind: 'FileDescriptorAdviseV1', fd, offset: 0n, len: 10n, advice: 'Sequential' });
        else if (k === 'rights') out.push({ kind: 'FileDescriptorSetRightsV1', fd, fs_rights_base: BigInt(s.c), fs_rights_inheriting: 0n });
        else out.push({ kind: 'FileDescriptorSetFdFlagsV1', fd, flags: s.c % 2 });
        break;
      }
      case 12: {
        const path = pick([...files.keys()], s.a);
        if (path === undefined) break;
        files.delete(path);
        out.push({ kind: 'UnlinkFileV1', fd: PREOPEN, path });
        break;
      }
      case 13: {
        // rename a file over another name (replacing a file there)
        const from = pick([...files.keys()], s.a);
        const to = NAMES[s.b % NAMES.length];
        if (from === undefined || from === to || dirs.has(to) || !parentOk(to)) break;
        files.set(to, files.get(from)!);
        files.delete(from);
        out.push({ kind: 'PathRenameV1', old_fd: PREOPEN, old_path: from, new_fd: PREOPEN, new_path: to });
        break;
      }
      case 14: {
        const d = DIRS[s.a % DIRS.length];
        if (dirs.has(d) || files.has(d)) break;
        dirs.add(d);
        out.push({ kind: 'CreateDirectoryV1', fd: PREOPEN, path: d });
        break;
      }
      case 15: {
        const d = pick([...dirs], s.a);
        if (d === undefined || [...files.keys(), ...dirs].some((p) => p.startsWith(d + '/'))) break;
        if ([...fds.values()].some((f) => f.path === d)) break;
        dirs.delete(d);
        out.push({ kind: 'RemoveDirectoryV1', fd: PREOPEN, path: d });
        break;
      }
      case 16: {
        const from = pick([...files.keys()], s.a);
        const to = NAMES[s.b % NAMES.length];
        if (from === undefined || files.has(to) || dirs.has(to) || !parentOk(to)) break;
        files.set(to, files.get(from)!);
        out.push({ kind: 'CreateHardLinkV1', old_fd: PREOPEN, old_path: from, old_flags: 0, new_fd: PREOPEN, new_path: to });
        break;
      }
      case 17: {
        const p = pick([...files.keys(), ...dirs], s.a);
        if (p === undefined) break;
        out.push({ kind: 'PathSetTimesV1', fd: PREOPEN, flags: 1, path: p, st_atim: BigInt(s.b), st_mtim: BigInt(s.c), fst_flags: 5 });
        break;
      }
      case 18:
      case 19:
      case 20:
        out.push({ kind: 'FileDescriptorWriteV1', fd: 1 + (s.a % 2), offset: 0n, data: s.data, is_64bit: false });
        break;
      case 21:
      case 22:
      case 23:
      case 24: {
        const start = (s.a % 64) * 16;
        const len = s.op === 24 ? 600 + s.b : s.data.length;
        const data = s.op === 24 ? new Uint8Array(len).fill(s.c & 0xff) : s.data;
        out.push({ kind: 'UpdateMemoryRegionV1', region: { start: BigInt(start), end: BigInt(start + len) }, data });
        break;
      }
      case 25:
      case 26:
        out.push({
          kind: 'SetThreadV1',
          id: s.a % 3,
          call_stack: s.data,
          memory_stack: s.data.subarray(0, s.b % s.data.length),
          store_data: new Uint8Array([s.c & 0xff]),
          start: s.a % 3 === 0 ? 'main_thread' : { thread_spawn: { start_ptr: BigInt(s.b) } },
          layout: { stack_upper: 65536n, stack_lower: 0n, guard_size: 0n, stack_size: 65536n },
          is_64bit: false,
        });
        break;
      case 27:
        out.push({ kind: 'CloseThreadV1', id: s.a % 3, exit_code: s.b % 2 ? null : { Errno: 'Success' } });
        break;
      case 28:
      case 29:
      case 30:
        time += BigInt(1 + (s.a % 5));
        out.push({ kind: 'SnapshotV1', when: { secs_since_epoch: time, nanos_since_epoch: s.b }, trigger: (['idle', 'explicit', 'sigint', 'non-deterministic-call'] as const)[s.c % 4] });
        break;
      case 31:
        out.push({ kind: 'ClearEtherealV1' });
        break;
      case 32:
        if (s.a % 4 !== 0) break;
        fds = new Map();
        out.push(s.b % 2 ? { kind: 'ProcessExitV1', exit_code: { Other: s.c % 3 } } : { kind: 'InitModuleV1', wasm_hash: new Uint8Array([s.c & 0xff, 1, 2]) });
        break;
      case 33:
        out.push({ kind: 'SetClockTimeV1', clock_id: s.a % 2 ? 'Realtime' : 'Monotonic', time: BigInt(s.b) });
        break;
      case 34:
        out.push({ kind: 'ChangeDirectoryV1', path: `/dir${s.a % 3}` });
        break;
      case 35:
        out.push({
          kind: 'TtySetV1',
          tty: { cols: 80, rows: 24 + (s.a % 3), width: 0, height: 0, stdin_tty: true, stdout_tty: true, stderr_tty: true, echo: s.b % 2 === 0, line_buffered: true },
          line_feeds: true,
        });
        break;
      case 36: {
        const fd = pick([...fds.keys()], s.a);
        const to = freeFd(s.b);
        if (fd === undefined || to < 0) break;
        fds.set(to, { ...fds.get(fd)! });
        out.push({ kind: 'DuplicateFileDescriptorV1', original_fd: fd, copied_fd: to });
        break;
      }
      case 37: {
        const fd = pick([...fds.keys()], s.a);
        const to = freeFd(s.b);
        if (fd === undefined || to < 0) break;
        fds.set(to, fds.get(fd)!);
        fds.delete(fd);
        out.push({ kind: 'RenumberFileDescriptorV1', old_fd: fd, new_fd: to });
        break;
      }
      case 38: {
        const fd = freeFd(s.a);
        if (fd < 0) break;
        fds.set(fd, { path: '<socket>', inode: { size: 0 }, cursor: 0, append: false, dir: true });
        out.push({ kind: 'SocketOpenV1', af: 'Inet4', ty: 'Stream', pt: 'Tcp', fd });
        break;
      }
      case 39: {
        // a folder opened as a descriptor, used to open a file inside it
        const d = pick([...dirs], s.a);
        const fd = freeFd(s.b);
        if (d === undefined || fd < 0) break;
        fds.set(fd, { path: d, inode: { size: 0 }, cursor: 0, append: false, dir: true });
        out.push({ kind: 'OpenFileDescriptorV1', fd, dirfd: PREOPEN, dirflags: 1, path: d, o_flags: 2, fs_rights_base: RIGHTS, fs_rights_inheriting: RIGHTS, fs_flags: 0 });
        const name = `${d}/n${s.c % 3}`;
        const fd2 = freeFd(s.c);
        if (fd2 < 0 || dirs.has(name)) break;
        if (!files.has(name)) files.set(name, { size: 0 });
        fds.set(fd2, { path: name, inode: files.get(name)!, cursor: 0, append: false, dir: false });
        out.push({ kind: 'OpenFileDescriptorV1', fd: fd2, dirfd: fd, dirflags: 1, path: `n${s.c % 3}`, o_flags: 1, fs_rights_base: RIGHTS, fs_rights_inheriting: RIGHTS, fs_flags: 0 });
        break;
      }
    }
  }
  return out;
}
