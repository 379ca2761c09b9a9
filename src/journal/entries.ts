// Every kind of journal entry, declared once. A declaration (tag, fields, text form, filter category) drives the
// binary codec (codec.ts), the text printer (text.ts), the JSON form (json.ts), filtering (filtered.ts) and the
// random-entry generators of the tests. Tags and names are Wasmer's (lib/journal, JournalEntryRecordType), so exports
// line up with `wasmer journal export`. Tags are never reused; a changed kind gets a new V2 with a new tag.
// Our own kinds use tags from 0x8000 up (OWN_TAG_BASE), far from Wasmer's range.

import * as S from './schema';
import type { FieldType, ValueOf } from './schema';
import * as W from './wasi-types';

/** Which filter switch (and compaction rule family) a kind belongs to. */
export type Category =
  | 'core' // clock, module init, process exit, epoll, tty
  | 'threads'
  | 'memory'
  | 'fs-fd' // descriptor operations (also filtered by the stdio switch when the fd <= 2)
  | 'fs-path' // path operations
  | 'snapshots'
  | 'networking'
  | 'inputs' // our own: what the program took from the outside world, so `replay` can re-execute it
  | 'ethereal'; // ClearEthereal: never filtered

export const OWN_TAG_BASE = 0x8000;

type Fields = Record<string, FieldType>;

export type EntryOf<N extends string, F extends Fields> = { kind: N } & { -readonly [K in keyof F]: ValueOf<F[K]> };

/** A kind as the generic code sees it (name and fields erased). */
export interface KindInfo {
  readonly name: EntryKind;
  readonly tag: number;
  readonly fields: Readonly<Record<string, FieldType>>;
  readonly category: Category;
  readonly fdField?: string;
  readonly compress: boolean;
  readonly unit: boolean;
  /** JSON keys that differ from the field names. */
  readonly jsonNames: Readonly<Record<string, string>>;
  readonly text: (e: JournalEntry) => string;
}

interface KindDef<N extends string, F extends Fields> {
  readonly name: N;
  readonly tag: number;
  readonly fields: F;
  readonly category: Category;
  /** For fs-fd kinds: the field holding the descriptor the stdio filter looks at. */
  readonly fdField?: string;
  /** Payload compressed with LZ4 in the log file when large. */
  readonly compress: boolean;
  /** A variant without fields (a bare string in Wasmer's JSON). */
  readonly unit: boolean;
  /** JSON keys that differ from the field names. */
  readonly jsonNames: Readonly<Record<string, string>>;
  /** The text form's label and arguments, e.g. `fd-write (fd=3, offset=0, data.len=12)`. */
  readonly text: (e: EntryOf<N, F>) => string;
}

function kind<const N extends string, const F extends Fields>(
  name: N,
  tag: number,
  fields: F,
  category: Category,
  text: (e: EntryOf<N, F>) => string,
  extra: { fdField?: string; compress?: boolean; jsonNames?: Record<string, string> } = {},
): KindDef<N, F> {
  return {
    name,
    tag,
    fields,
    category,
    text,
    fdField: extra.fdField,
    compress: extra.compress ?? false,
    jsonNames: extra.jsonNames ?? {},
    unit: Object.keys(fields).length === 0,
  };
}

const fl = S.flagsText;
const when = (t: { secs_since_epoch: bigint; nanos_since_epoch: number }): string => {
  const ms = t.secs_since_epoch * 1000n;
  if (ms > 8_640_000_000_000_000n) return `${t.secs_since_epoch}s`;
  const iso = new Date(Number(ms)).toISOString();
  return `${iso.slice(0, 19)}.${String(t.nanos_since_epoch).padStart(9, '0')}Z`;
};
const dur = (d: { secs: bigint; nanos: number } | null): string => {
  if (d === null) return 'none';
  return d.nanos === 0 ? `${d.secs}s` : `${d.secs}.${String(d.nanos).padStart(9, '0').replace(/0+$/, '')}s`;
};
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
/** A NUL-separated list (ProgramStartV1's args and env). */
export function nulList(b: Uint8Array): string[] {
  if (b.length === 0) return [];
  const s = Buffer.from(b).toString('utf8');
  return (s.endsWith('\0') ? s.slice(0, -1) : s).split('\0');
}
export function toNulList(items: readonly string[]): Uint8Array {
  return Buffer.from(items.map((x) => x + '\0').join(''), 'utf8');
}

function openText(e: { fd: number; path: string; o_flags: number }): string {
  const create = e.o_flags & W.OFLAG_CREATE;
  const trunc = e.o_flags & W.OFLAG_TRUNC;
  const label = create
    ? trunc
      ? 'fd-create-new'
      : e.o_flags & W.OFLAG_EXCL
        ? 'fd-create-excl'
        : 'fd-create'
    : trunc
      ? 'fd-open-new'
      : 'fd-open';
  return `${label} (fd=${e.fd}, path=${e.path})`;
}

const openFields = {
  fd: S.u32,
  dirfd: S.u32,
  dirflags: S.u32,
  path: S.str,
  o_flags: W.Oflags,
  fs_rights_base: W.Rights,
  fs_rights_inheriting: W.Rights,
  fs_flags: W.Fdflags,
} as const;

export const KINDS = [
  // ---- lifecycle, memory, threads ----
  kind('InitModuleV1', 1, { wasm_hash: S.bytearray }, 'core', (e) => `init-module (hash=${hex(e.wasm_hash)})`),
  kind('ClearEtherealV1', 60, {}, 'ethereal', () => 'clear-ethereal'),
  kind(
    'UpdateMemoryRegionV1',
    7,
    // `data` holds the memory bytes themselves; Wasmer's JSON calls the field compressed_data and holds them
    // LZ4-compressed (see schema.ts, memblob).
    { region: W.Range64, data: S.memblob },
    'memory',
    (e) => `memory-update (start=${e.region.start}, end=${e.region.end}, data.len=${e.data.length})`,
    { compress: true, jsonNames: { data: 'compressed_data' } },
  ),
  kind('ProcessExitV1', 2, { exit_code: S.option(S.exitcode) }, 'core', (e) => `process-exit (code=${S.exitCodeText(e.exit_code)})`),
  kind(
    'SetThreadV1',
    3,
    {
      id: S.u32,
      call_stack: S.blob,
      memory_stack: S.blob,
      store_data: S.blob,
      start: S.threadstart,
      layout: W.MemoryLayout,
      is_64bit: S.bool,
    },
    'threads',
    (e) =>
      `thread-update (id=${e.id}, call-stack.len=${e.call_stack.length}, mem-stack.len=${e.memory_stack.length}, store-size=${e.store_data.length})`,
    { compress: true },
  ),
  kind('CloseThreadV1', 4, { id: S.u32, exit_code: S.option(S.exitcode) }, 'threads', (e) => `thread-close (id=${e.id}, code=${S.exitCodeText(e.exit_code)})`),
  kind('SnapshotV1', 59, { when: W.SystemTime, trigger: W.SnapshotTrigger }, 'snapshots', (e) => `snapshot (when=${when(e.when)}, trigger=${e.trigger})`),

  // ---- clock ----
  kind('SetClockTimeV1', 9, { clock_id: W.ClockId, time: S.u64 }, 'core', (e) => `set-clock-time (id=${e.clock_id}, time=${e.time})`),

  // ---- descriptors ----
  kind('FileDescriptorSeekV1', 5, { fd: S.u32, offset: S.i64, whence: W.Whence }, 'fs-fd', (e) => `fd-seek (fd=${e.fd}, offset=${e.offset}, whence=${e.whence})`, { fdField: 'fd' }),
  kind(
    'FileDescriptorWriteV1',
    6,
    { fd: S.u32, offset: S.u64, data: S.blob, is_64bit: S.bool },
    'fs-fd',
    (e) => `fd-write (fd=${e.fd}, offset=${e.offset}, data.len=${e.data.length})`,
    { fdField: 'fd', compress: true },
  ),
  kind('CloseFileDescriptorV1', 11, { fd: S.u32 }, 'fs-fd', (e) => `fd-close (fd=${e.fd})`, { fdField: 'fd' }),
  kind('OpenFileDescriptorV1', 10, openFields, 'fs-fd', openText, { fdField: 'fd' }),
  kind('OpenFileDescriptorV2', 61, { ...openFields, fd_flags: W.Fdflagsext }, 'fs-fd', openText, { fdField: 'fd' }),
  kind('RenumberFileDescriptorV1', 12, { old_fd: S.u32, new_fd: S.u32 }, 'fs-fd', (e) => `fd-renumber (old=${e.old_fd}, new=${e.new_fd})`, { fdField: 'old_fd' }),
  kind('DuplicateFileDescriptorV1', 13, { original_fd: S.u32, copied_fd: S.u32 }, 'fs-fd', (e) => `fd-duplicate (original=${e.original_fd}, copied=${e.copied_fd})`, { fdField: 'original_fd' }),
  kind(
    'DuplicateFileDescriptorV2',
    62,
    { original_fd: S.u32, copied_fd: S.u32, cloexec: S.bool },
    'fs-fd',
    (e) => `fd-duplicate (original=${e.original_fd}, copied=${e.copied_fd}, cloexec=${e.cloexec})`,
    { fdField: 'original_fd' },
  ),
  kind('FileDescriptorSetTimesV1', 17, { fd: S.u32, st_atim: S.u64, st_mtim: S.u64, fst_flags: W.Fstflags }, 'fs-fd', (e) => `fd-set-times (fd=${e.fd}, atime=${e.st_atim}, mtime=${e.st_mtim}, flags=${fl(W.Fstflags, e.fst_flags)})`, { fdField: 'fd' }),
  kind('FileDescriptorSetFdFlagsV1', 63, { fd: S.u32, flags: W.Fdflagsext }, 'fs-fd', (e) => `fd-set-fd-flags (fd=${e.fd}, flags=${fl(W.Fdflagsext, e.flags)})`, { fdField: 'fd' }),
  kind('FileDescriptorSetFlagsV1', 19, { fd: S.u32, flags: W.Fdflags }, 'fs-fd', (e) => `fd-set-flags (fd=${e.fd}, flags=${fl(W.Fdflags, e.flags)})`, { fdField: 'fd' }),
  kind(
    'FileDescriptorSetRightsV1',
    20,
    { fd: S.u32, fs_rights_base: W.Rights, fs_rights_inheriting: W.Rights },
    'fs-fd',
    (e) => `fd-set-rights (fd=${e.fd}, base=${fl(W.Rights, e.fs_rights_base)}, inherited=${fl(W.Rights, e.fs_rights_inheriting)})`,
    { fdField: 'fd' },
  ),
  kind('FileDescriptorSetSizeV1', 18, { fd: S.u32, st_size: S.u64 }, 'fs-fd', (e) => `fd-set-size (fd=${e.fd}, size=${e.st_size})`, { fdField: 'fd' }),
  kind('FileDescriptorAdviseV1', 21, { fd: S.u32, offset: S.u64, len: S.u64, advice: W.Advice }, 'fs-fd', (e) => `fd-advise (fd=${e.fd}, offset=${e.offset}, len=${e.len}, advice=${e.advice})`, { fdField: 'fd' }),
  kind('FileDescriptorAllocateV1', 22, { fd: S.u32, offset: S.u64, len: S.u64 }, 'fs-fd', (e) => `fd-allocate (fd=${e.fd}, offset=${e.offset}, len=${e.len})`, { fdField: 'fd' }),

  // ---- paths ----
  kind('CreateDirectoryV1', 14, { fd: S.u32, path: S.str }, 'fs-path', (e) => `path-create-dir (fd=${e.fd}, path=${e.path})`),
  kind('RemoveDirectoryV1', 15, { fd: S.u32, path: S.str }, 'fs-path', (e) => `path-remove-dir (fd=${e.fd}, path=${e.path})`),
  kind(
    'PathSetTimesV1',
    16,
    { fd: S.u32, flags: S.u32, path: S.str, st_atim: S.u64, st_mtim: S.u64, fst_flags: W.Fstflags },
    'fs-path',
    (e) => `path-set-times (fd=${e.fd}, path=${e.path}, atime=${e.st_atim}, mtime=${e.st_mtim}, flags=${fl(W.Fstflags, e.fst_flags)})`,
  ),
  kind(
    'CreateHardLinkV1',
    23,
    { old_fd: S.u32, old_path: S.str, old_flags: S.u32, new_fd: S.u32, new_path: S.str },
    'fs-path',
    (e) => `path-link (from=${e.old_path}, to=${e.new_path})`,
  ),
  kind('CreateSymbolicLinkV1', 24, { old_path: S.str, fd: S.u32, new_path: S.str }, 'fs-path', (e) => `path-symlink (from=${e.old_path}, to=${e.new_path})`),
  kind('UnlinkFileV1', 25, { fd: S.u32, path: S.str }, 'fs-path', (e) => `path-unlink (fd=${e.fd}, path=${e.path})`),
  kind(
    'PathRenameV1',
    26,
    { old_fd: S.u32, old_path: S.str, new_fd: S.u32, new_path: S.str },
    'fs-path',
    (e) => `path-rename (old-path=${e.old_path}, new-path=${e.new_path})`,
  ),
  kind('ChangeDirectoryV1', 27, { path: S.str }, 'fs-path', (e) => `chdir (path=${e.path})`),

  // ---- epoll, pipes, events, tty ----
  kind('EpollCreateV1', 28, { fd: S.u32 }, 'core', (e) => `epoll-create (fd=${e.fd})`),
  kind(
    'EpollCtlV1',
    29,
    { epfd: S.u32, op: W.EpollCtlOp, fd: S.u32, event: S.option(W.EpollEventCtl) },
    'core',
    (e) => `epoll-ctl (epfd=${e.epfd}, op=${e.op}, fd=${e.fd})`,
  ),
  kind('TtySetV1', 30, { tty: W.Tty, line_feeds: S.bool }, 'core', (e) => `tty-set (echo=${e.tty.echo}, buffering=${e.tty.line_buffered}, feeds=${e.line_feeds})`),
  kind('CreatePipeV1', 31, { read_fd: S.u32, write_fd: S.u32 }, 'fs-path', (e) => `fd-pipe (read_fd=${e.read_fd}, write_fd=${e.write_fd})`),
  kind('CreateEventV1', 32, { initial_val: S.u64, flags: S.u16, fd: S.u32 }, 'fs-path', (e) => `fd-event (fd=${e.fd}, initial=${e.initial_val})`),

  // ---- virtual NIC ----
  kind('PortAddAddrV1', 33, { cidr: W.IpCidr }, 'networking', (e) => `port-addr-add (ip=${e.cidr.ip}, prefix=${e.cidr.prefix})`),
  kind('PortDelAddrV1', 34, { addr: S.ipAddr }, 'networking', (e) => `port-addr-del (addr=${e.addr})`),
  kind('PortAddrClearV1', 35, {}, 'networking', () => 'port-addr-clear'),
  kind('PortBridgeV1', 36, { network: S.str, token: S.str, security: W.StreamSecurity }, 'networking', (e) => `port-bridge (network=${e.network})`),
  kind('PortUnbridgeV1', 37, {}, 'networking', () => 'port-unbridge'),
  kind('PortDhcpAcquireV1', 38, {}, 'networking', () => 'port-dhcp-acquire'),
  kind('PortGatewaySetV1', 39, { ip: S.ipAddr }, 'networking', (e) => `port-gateway-set (ip=${e.ip})`),
  kind(
    'PortRouteAddV1',
    40,
    { cidr: W.IpCidr, via_router: S.ipAddr, preferred_until: S.option(W.Duration), expires_at: S.option(W.Duration) },
    'networking',
    (e) => `port-route-add (ip=${e.cidr.ip}, prefix=${e.cidr.prefix}, via-router=${e.via_router}, preferred-until=${dur(e.preferred_until)}, expires-at=${dur(e.expires_at)})`,
  ),
  kind('PortRouteClearV1', 41, {}, 'networking', () => 'port-route-clear'),
  kind('PortRouteDelV1', 42, { ip: S.ipAddr }, 'networking', (e) => `port-route-del (ip=${e.ip})`),

  // ---- sockets ----
  kind('SocketOpenV1', 43, { af: W.AddressFamily, ty: W.SockType, pt: W.SockProto, fd: S.u32 }, 'networking', (e) => `sock-open (fd=${e.fd}, af=${e.af}, ty=${e.ty}, pt=${e.pt})`),
  kind('SocketPairV1', 64, { fd1: S.u32, fd2: S.u32 }, 'networking', (e) => `sock-pair (fd1=${e.fd1}, fd2=${e.fd2})`),
  kind('SocketListenV1', 44, { fd: S.u32, backlog: S.u32 }, 'networking', (e) => `sock-listen (fd=${e.fd}, backlog=${e.backlog})`),
  kind('SocketBindV1', 45, { fd: S.u32, addr: S.sockaddr }, 'networking', (e) => `sock-bind (fd=${e.fd}, addr=${e.addr})`),
  kind(
    'SocketConnectedV1',
    46,
    { fd: S.u32, local_addr: S.sockaddr, peer_addr: S.sockaddr },
    'networking',
    (e) => `sock-connect (fd=${e.fd}, addr=${e.local_addr}, peer=${e.peer_addr})`,
  ),
  kind(
    'SocketAcceptedV1',
    47,
    { listen_fd: S.u32, fd: S.u32, local_addr: S.sockaddr, peer_addr: S.sockaddr, fd_flags: W.Fdflags, non_blocking: S.bool },
    'networking',
    (e) => `sock-accept (listen-fd=${e.listen_fd}, fd=${e.fd}, addr=${e.local_addr}, peer=${e.peer_addr})`,
  ),
  kind('SocketJoinIpv4MulticastV1', 48, { fd: S.u32, multiaddr: S.ipv4Addr, iface: S.ipv4Addr }, 'networking', (e) => `sock-join-mcast-ipv4 (fd=${e.fd}, addr=${e.multiaddr}, iface=${e.iface})`),
  kind('SocketJoinIpv6MulticastV1', 49, { fd: S.u32, multi_addr: S.ipv6Addr, iface: S.u32 }, 'networking', (e) => `sock-join-mcast-ipv6 (fd=${e.fd}, addr=${e.multi_addr}, iface=${e.iface})`),
  kind('SocketLeaveIpv4MulticastV1', 50, { fd: S.u32, multi_addr: S.ipv4Addr, iface: S.ipv4Addr }, 'networking', (e) => `sock-leave-mcast-ipv4 (fd=${e.fd}, addr=${e.multi_addr}, iface=${e.iface})`),
  kind('SocketLeaveIpv6MulticastV1', 51, { fd: S.u32, multi_addr: S.ipv6Addr, iface: S.u32 }, 'networking', (e) => `sock-leave-mcast-ipv6 (fd=${e.fd}, addr=${e.multi_addr}, iface=${e.iface})`),
  kind(
    'SocketSendFileV1',
    52,
    { socket_fd: S.u32, file_fd: S.u32, offset: S.u64, count: S.u64 },
    'networking',
    (e) => `sock-send-file (sock-fd=${e.socket_fd}, file-fd=${e.file_fd}, offset=${e.offset}, count=${e.count})`,
  ),
  kind(
    'SocketSendToV1',
    53,
    { fd: S.u32, data: S.blob, flags: S.u16, addr: S.sockaddr, is_64bit: S.bool },
    'networking',
    (e) => `sock-send-to (fd=${e.fd}, data.len=${e.data.length}, addr=${e.addr})`,
    { compress: true },
  ),
  kind('SocketSendV1', 54, { fd: S.u32, data: S.blob, flags: S.u16, is_64bit: S.bool }, 'networking', (e) => `sock-send (fd=${e.fd}, data.len=${e.data.length})`, { compress: true }),
  kind('SocketSetOptFlagV1', 55, { fd: S.u32, opt: W.SockOption, flag: S.bool }, 'networking', (e) => `sock-set-opt (fd=${e.fd}, opt=${e.opt}, flag=${e.flag})`),
  kind('SocketSetOptSizeV1', 56, { fd: S.u32, opt: W.SockOption, size: S.u64 }, 'networking', (e) => `sock-set-opt (fd=${e.fd}, opt=${e.opt}, size=${e.size})`),
  kind('SocketSetOptTimeV1', 57, { fd: S.u32, ty: W.SocketOptTimeType, time: S.option(W.Duration) }, 'networking', (e) => `sock-set-opt (fd=${e.fd}, opt=${e.ty}, time=${dur(e.time)})`),
  kind('SocketShutdownV1', 58, { fd: S.u32, how: W.SocketShutdownHow }, 'networking', (e) => `sock-shutdown (fd=${e.fd}, how=${e.how})`),

  // ---- our own: the program's inputs from the outside world (docs/journal-format.md, "Inputs") ----
  // With these, `wasm-journal replay` re-executes a run without consulting the outside world.
  kind(
    'ProgramStartV1',
    OWN_TAG_BASE,
    // mounts: NUL-separated `guest-path` of each folder, in preopen order; fs_mode: host, overlay or memory;
    // listeners: NUL-separated addresses of the TCP sockets given to the program (after the folders).
    { args: S.blob, env: S.blob, start: W.SystemTime, fs_mode: S.str, mounts: S.blob, listeners: S.blob },
    'inputs',
    (e) =>
      `program-start (args=${JSON.stringify(nulList(e.args))}, env.count=${nulList(e.env).length}, start=${when(e.start)}, fs=${e.fs_mode}, mounts=${JSON.stringify(nulList(e.mounts))}${e.listeners.length > 0 ? `, listeners=${JSON.stringify(nulList(e.listeners))}` : ''})`,
  ),
  kind('ClockTimeV1', OWN_TAG_BASE + 1, { clock_id: W.ClockId, time: S.u64 }, 'inputs', (e) => `clock-time (id=${e.clock_id}, time=${e.time})`),
  kind('RandomBytesV1', OWN_TAG_BASE + 2, { data: S.blob }, 'inputs', (e) => `random-bytes (data=${hex(e.data)})`),
  kind('StdinReadV1', OWN_TAG_BASE + 3, { fd: S.u32, data: S.blob }, 'inputs', (e) => `stdin-read (fd=${e.fd}, data.len=${e.data.length})`, { compress: true }),
  kind(
    'HostFsResultV1',
    OWN_TAG_BASE + 4,
    { op: W.HostFsOp, errno: S.u16, data: S.blob },
    'inputs',
    (e) => `host-fs (op=${e.op}, errno=${S.ERRNO_NAMES[e.errno] ?? e.errno}, data.len=${e.data.length})`,
    { compress: true },
  ),
  kind('PollResultV1', OWN_TAG_BASE + 5, { events: S.blob }, 'inputs', (e) => `poll-result (events=${e.events.length / 32})`),
  kind(
    'SocketResultV1',
    OWN_TAG_BASE + 7,
    { op: W.SocketOp, errno: S.u16, data: S.blob },
    'inputs',
    (e) => `socket (op=${e.op}, errno=${S.ERRNO_NAMES[e.errno] ?? e.errno}, data.len=${e.data.length})`,
    { compress: true },
  ),
  kind(
    'FdCursorsV1',
    OWN_TAG_BASE + 8,
    // cursors: (u32 fd, u64 position) for each open file, little-endian
    { cursors: S.blob },
    'snapshots',
    (e) => `fd-cursors (count=${e.cursors.length / 12})`,
  ),
  kind(
    'TerminalWriteFailedV1',
    OWN_TAG_BASE + 9,
    // The program's write to stdout or stderr failed (a closed pipe, a full device): it got EPIPE.
    { fd: S.u32 },
    'inputs',
    (e) => `terminal-write-failed (fd=${e.fd})`,
  ),
  kind(
    'ResumedFromV1',
    OWN_TAG_BASE + 10,
    // This run went on from snapshot `snapshot` (from 0) of what the journal held before it, not from main.
    { snapshot: S.u32 },
    'snapshots',
    (e) => `resumed-from (snapshot=${e.snapshot})`,
  ),
  kind('MemoryHashV1', OWN_TAG_BASE + 6, { size: S.u64, sha256: S.bytearray }, 'inputs', (e) => `memory-hash (size=${e.size}, sha256=${hex(e.sha256).slice(0, 16)}...)`),
] as const;

type KindList = typeof KINDS;
type EntryOfDef<D> = D extends { readonly name: infer N extends string; readonly fields: infer F extends Fields }
  ? EntryOf<N, F>
  : never;

/** A journal entry: a discriminated union keyed by `kind`. */
export type JournalEntry = { [I in keyof KindList]: EntryOfDef<KindList[I]> }[number];
export type EntryKind = JournalEntry['kind'];
export type EntryByKind<K extends EntryKind> = Extract<JournalEntry, { kind: K }>;

/** Every kind, in declaration order. */
export const ALL_KINDS = KINDS as unknown as readonly KindInfo[];

const byName = new Map<string, KindInfo>();
const byTag = new Map<number, KindInfo>();
for (const k of ALL_KINDS) {
  if (byName.has(k.name) || byTag.has(k.tag)) throw new Error(`duplicate entry kind ${k.name}/${k.tag}`);
  byName.set(k.name, k);
  byTag.set(k.tag, k);
}

export function kindByName(name: string): KindInfo | undefined {
  return byName.get(name);
}

export function kindByTag(tag: number): KindInfo | undefined {
  return byTag.get(tag);
}

export function kindOf(e: JournalEntry): KindInfo {
  return byName.get(e.kind)!;
}

/** serde's snake_case of a variant name: FileDescriptorWriteV1 -> file_descriptor_write_v1. */
export function snakeName(name: string): string {
  return name.replace(/[A-Z]/g, (c, i: number) => (i === 0 ? '' : '_') + c.toLowerCase());
}

/** The fd a descriptor kind acts on (for the stdio filter), if any. */
export function entryFd(e: JournalEntry): number | undefined {
  const k = kindOf(e);
  if (!k.fdField) return undefined;
  return (e as unknown as Record<string, number>)[k.fdField];
}
