// Restoring a process from journal entries (without thread stacks: those come with snapshots): the file system,
// the descriptor table under the same numbers, and the terminal text. Each entry is applied through the same
// Process operation the guest's call went through, so a restore cannot drift from what running does.
// On a host folder some effects are already there (the host kept them); operations that fail because of that are
// skipped and counted, not fatal.

import type { JournalEntry } from '../journal/entries';
import { entryText } from '../journal/text';
import { FsError } from './vfs/types';
import { E, errnoName, OFLAG } from './wasi-defs';
import { RuntimeError } from './errors';
import { splitAddress } from './world';
import type { Process } from './process';
import { StdioDesc } from './descriptors';

export interface RestoreReport {
  applied: number;
  /** Entries that failed (host folders that already hold their effect, or kinds this runtime cannot restore). */
  skipped: { index: number; what: string; reason: string }[];
}

const WHENCE = { Set: 0, Cur: 1, End: 2, Unknown: 0 } as const;
const ADVICE = ['Normal', 'Sequential', 'Random', 'Willneed', 'Dontneed', 'Noreuse'];

/** Applies entries to a process; `printStdio` prints the terminal text they hold. */
export function restoreEntries(
  proc: Process,
  entries: Iterable<JournalEntry>,
  printStdio: boolean,
  /**
   * The world the process goes on in answers from a recording that does not hold these entries' own answers (a
   * debugger's re-execution from a snapshot inside the recorded run: what the outside world said before the
   * snapshot is behind it). Sockets then come back as the recording had them, without asking the world.
   */
  offline = false,
): RestoreReport {
  const report: RestoreReport = { applied: 0, skipped: [] };
  const list = [...entries];
  // Sockets closed again before the end come back without asking the world (binding them again could only fail,
  // on a port another program took since).
  const gone = closedSockets(list);
  let index = -1;
  proc.restoring = true;
  try {
    for (const e of list) {
      index++;
      try {
        if (applyEntry(proc, e, printStdio, offline || gone.has(index))) report.applied++;
      } catch (err) {
        if (!(err instanceof FsError)) throw err;
        report.skipped.push({ index, what: entryText(e), reason: errnoName(err.errno) });
      }
    }
  } finally {
    proc.restoring = false;
  }
  return report;
}

/**
 * The indices of the socket entries (bind, accept, connect) whose descriptor is closed, renumbered over, or opened
 * anew before the entries end, or whose process restarts: what a restore need not (and must not try to) bring back.
 */
function closedSockets(entries: readonly JournalEntry[]): Set<number> {
  const open = new Map<number, number[]>();
  const gone = new Set<number>();
  const close = (fd: number): void => {
    for (const i of open.get(fd) ?? []) gone.add(i);
    open.delete(fd);
  };
  entries.forEach((e, i) => {
    switch (e.kind) {
      case 'SocketOpenV1':
        close(e.fd);
        open.set(e.fd, []);
        return;
      case 'SocketBindV1':
      case 'SocketConnectedV1':
        open.get(e.fd)?.push(i);
        return;
      case 'SocketAcceptedV1':
        close(e.fd);
        open.set(e.fd, [i]);
        return;
      case 'CloseFileDescriptorV1':
        return close(e.fd);
      case 'RenumberFileDescriptorV1':
        close(e.new_fd);
        if (open.has(e.old_fd)) open.set(e.new_fd, open.get(e.old_fd)!);
        open.delete(e.old_fd);
        return;
      case 'OpenFileDescriptorV1':
      case 'OpenFileDescriptorV2':
        return close(e.fd);
      case 'InitModuleV1':
      case 'ProcessExitV1':
        for (const fd of [...open.keys()]) close(fd);
        return;
      default:
    }
  });
  return gone;
}

/** Applies one entry; false when the entry holds nothing to restore here. */
function applyEntry(proc: Process, e: JournalEntry, printStdio: boolean, offline: boolean): boolean {
  switch (e.kind) {
    case 'InitModuleV1':
    case 'ProcessExitV1':
      proc.resetDescriptors();
      return true;
    case 'OpenFileDescriptorV1':
    case 'OpenFileDescriptorV2':
      // The journal says the open succeeded; creating again must not fail because the file is there.
      proc.pathOpen(e.dirfd, e.dirflags, e.path, e.o_flags & ~OFLAG.EXCL, e.fs_rights_base, e.fs_rights_inheriting, e.fs_flags, e.fd);
      return true;
    case 'CloseFileDescriptorV1':
      proc.close(e.fd);
      return true;
    case 'RenumberFileDescriptorV1':
      proc.renumber(e.old_fd, e.new_fd);
      return true;
    case 'FileDescriptorWriteV1': {
      const d = proc.fds.has(e.fd) ? proc.fds.get(e.fd) : undefined;
      if (d instanceof StdioDesc) {
        if (printStdio && d.stream !== 0) proc.terminal.write(d.stream, e.data);
        d.written = e.offset + BigInt(e.data.length);
        return true;
      }
      proc.restoreWrite(e.fd, Number(e.offset), e.data);
      return true;
    }
    case 'FileDescriptorSeekV1':
      proc.seek(e.fd, e.offset, WHENCE[e.whence]);
      return true;
    case 'FileDescriptorSetFlagsV1':
      proc.setFdFlags(e.fd, e.flags);
      return true;
    case 'FileDescriptorSetRightsV1':
      proc.setRights(e.fd);
      return true;
    case 'FileDescriptorSetSizeV1':
      proc.setSize(e.fd, e.st_size);
      return true;
    case 'FileDescriptorAllocateV1':
      proc.allocate(e.fd);
      return true;
    case 'FileDescriptorAdviseV1':
      proc.advise(e.fd, e.offset, e.len, Math.max(0, ADVICE.indexOf(e.advice)));
      return true;
    case 'FileDescriptorSetTimesV1':
      proc.fdSetTimes(e.fd, e.st_atim, e.st_mtim, e.fst_flags);
      return true;
    case 'PathSetTimesV1':
      proc.pathSetTimes(e.fd, e.flags, e.path, e.st_atim, e.st_mtim, e.fst_flags);
      return true;
    case 'CreateDirectoryV1':
      proc.mkdir(e.fd, e.path);
      return true;
    case 'RemoveDirectoryV1':
      proc.rmdir(e.fd, e.path);
      return true;
    case 'UnlinkFileV1':
      proc.unlink(e.fd, e.path);
      return true;
    case 'PathRenameV1':
      proc.rename(e.old_fd, e.old_path, e.new_fd, e.new_path);
      return true;
    case 'CreateHardLinkV1':
      proc.link(e.old_fd, e.old_flags, e.old_path, e.new_fd, e.new_path);
      return true;
    case 'CreateSymbolicLinkV1':
      proc.symlink(e.old_path, e.fd, e.new_path);
      return true;
    case 'DuplicateFileDescriptorV1':
    case 'DuplicateFileDescriptorV2':
      proc.duplicate(e.original_fd, e.copied_fd);
      return true;
    // Sockets (docs/sockets.md): opened again under the same numbers, bound again to the same addresses
    // (the port the recorded run was given, too), listening again; connections come back reset.
    case 'SocketOpenV1':
      proc.sockOpen(e.af === 'Inet6' ? 2 : 1, e.ty === 'Dgram' ? 2 : 1, 0, e.fd);
      return true;
    case 'SocketBindV1': {
      if (offline) {
        proc.restoreBound(e.fd, e.addr);
        return true;
      }
      const { host, port } = splitAddress(e.addr);
      try {
        proc.sockBind(e.fd, host, port);
      } catch (err) {
        // The program goes on as if it were bound there: without it, it would not be the program that was recorded.
        if (err instanceof FsError) throw new RuntimeError('restore', `cannot bind the socket of descriptor ${e.fd} to ${e.addr} again, as the journal holds it: ${err.message || errnoName(err.errno)}${err.errno === E.ADDRINUSE ? ' (the address is in use: is the recorded program, or another, still running?)' : ''}`);
        throw err;
      }
      return true;
    }
    case 'SocketListenV1':
      proc.sockListen(e.fd, e.backlog);
      return true;
    case 'SocketAcceptedV1':
      proc.restoreConnection(e.fd, e.local_addr, e.peer_addr, e.listen_fd, offline);
      return true;
    case 'SocketConnectedV1':
      proc.restoreConnection(e.fd, e.local_addr, e.peer_addr, undefined, offline);
      return true;
    case 'SocketSetOptFlagV1':
    case 'SocketSetOptSizeV1':
    case 'SocketSetOptTimeV1':
      proc.restoreSocketOption(e);
      return true;
    default:
      // Inputs, snapshots, memory, threads, terminal settings: nothing to bring back before main starts.
      return false;
  }
}
