// WASI / WASIX types that journal entries carry, as field-type descriptors (schema.ts). Names and numbers follow
// wasi_snapshot_preview1 and Wasmer's serde names, so JSON exports line up with `wasmer journal export`.

import { enumOf, flags, struct, u32, u64, u8, bool, ipAddr } from './schema';

export const Whence = enumOf('u8', ['Set', 'Cur', 'End', 'Unknown'] as const, [0, 1, 2, 255]);
export const Advice = enumOf('u8', ['Normal', 'Sequential', 'Random', 'Willneed', 'Dontneed', 'Noreuse', 'Unknown'] as const, [
  0, 1, 2, 3, 4, 5, 255,
]);
export const ClockId = enumOf('u32', ['Realtime', 'Monotonic', 'ProcessCputimeId', 'ThreadCputimeId', 'Unknown'] as const, [
  0, 1, 2, 3, 255,
]);
export const AddressFamily = enumOf('u8', ['Unspec', 'Inet4', 'Inet6', 'Unix'] as const);
export const SockType = enumOf('u8', ['Unknown', 'Stream', 'Dgram', 'Raw', 'Seqpacket'] as const);
export const SockOption = enumOf('u8', [
  'Noop', 'ReusePort', 'ReuseAddr', 'NoDelay', 'DontRoute', 'OnlyV6', 'Broadcast', 'MulticastLoopV4', 'MulticastLoopV6',
  'Promiscuous', 'Listening', 'LastError', 'KeepAlive', 'Linger', 'OobInline', 'RecvBufSize', 'SendBufSize',
  'RecvLowat', 'SendLowat', 'RecvTimeout', 'SendTimeout', 'ConnectTimeout', 'AcceptTimeout', 'Ttl', 'MulticastTtlV4',
  'Type', 'Proto',
] as const);
export const EpollCtlOp = enumOf('u32', ['Add', 'Mod', 'Del', 'Unknown'] as const);
export const StreamSecurity = enumOf('u8', ['Unencrypted', 'AnyEncyption', 'ClassicEncryption', 'DoubleEncryption'] as const);
/** The host file-system operations whose results HostFsResultV1 records (src/runtime/vfs/host-fs.ts). */
export const HOST_FS_OPS = [
  'lstat', 'readdir', 'readlink', 'open', 'read', 'write', 'fstat', 'ftruncate', 'fsync', 'futimes', 'close',
  'mkdir', 'rmdir', 'unlink', 'rename', 'link', 'symlink', 'utimes',
] as const;
export type HostFsOpName = (typeof HOST_FS_OPS)[number];
export const HostFsOp = enumOf('u8', HOST_FS_OPS);
/** The socket operations whose results SocketResultV1 records (src/runtime/sockets.ts). */
export const SOCKET_OPS = ['listen', 'accept', 'recv', 'send', 'shutdown', 'close', 'connect', 'udp_bind', 'send_to', 'recv_from', 'set_opt'] as const;
export type SocketOpName = (typeof SOCKET_OPS)[number];
export const SocketOp = enumOf('u8', SOCKET_OPS);
export const SocketShutdownHow = enumOf('u8', ['read', 'write', 'both'] as const);
export const SocketOptTimeType = enumOf('u8', [
  'read_timeout', 'write_timeout', 'accept_timeout', 'connect_timeout', 'bind_timeout', 'linger',
] as const);

/** Snapshot triggers: the names `--snapshot-on` takes and Wasmer writes (kebab-case), with its aliases. */
export const SNAPSHOT_TRIGGERS = [
  'idle', 'first-listen', 'first-environ', 'first-stdin', 'first-sigint', 'periodic-interval', 'sigint', 'sigalrm',
  'sigtstp', 'sigstop', 'non-deterministic-call', 'bootstrap', 'transaction', 'explicit',
] as const;
export type SnapshotTriggerName = (typeof SNAPSHOT_TRIGGERS)[number];

export const SNAPSHOT_TRIGGER_ALIASES: Readonly<Record<string, SnapshotTriggerName>> = {
  'first-intr': 'first-sigint', 'first-ctrlc': 'first-sigint', 'first-ctrl-c': 'first-sigint',
  intr: 'sigint', ctrlc: 'sigint', 'ctrl-c': 'sigint',
  alarm: 'sigalrm', timer: 'sigalrm',
  ctrlz: 'sigtstp', 'ctrl-z': 'sigtstp',
  stop: 'sigstop',
  // The PascalCase names older Wasmer versions wrote.
  Idle: 'idle', FirstListen: 'first-listen', FirstEnviron: 'first-environ', FirstStdin: 'first-stdin',
  FirstSigint: 'first-sigint', PeriodicInterval: 'periodic-interval', Sigint: 'sigint', Sigalrm: 'sigalrm',
  Sigtstp: 'sigtstp', Sigstop: 'sigstop', NonDeterministicCall: 'non-deterministic-call', Bootstrap: 'bootstrap',
  Transaction: 'transaction', Explicit: 'explicit',
};

export const SnapshotTrigger = enumOf('u8', SNAPSHOT_TRIGGERS, undefined, SNAPSHOT_TRIGGER_ALIASES);

/** Parses a trigger name as `--snapshot-on` accepts it (case-insensitive, with aliases). */
export function parseSnapshotTrigger(s: string): SnapshotTriggerName | undefined {
  const t = s.trim().toLowerCase();
  if ((SNAPSHOT_TRIGGERS as readonly string[]).includes(t)) return t as SnapshotTriggerName;
  return SNAPSHOT_TRIGGER_ALIASES[t] ?? SNAPSHOT_TRIGGER_ALIASES[s.trim()];
}

export const FDFLAGS = ['APPEND', 'DSYNC', 'NONBLOCK', 'RSYNC', 'SYNC'] as const;
export const Fdflags = flags('u16', FDFLAGS);
export const Fdflagsext = flags('u16', ['CLOEXEC']);
export const Oflags = flags('u16', ['CREATE', 'DIRECTORY', 'EXCL', 'TRUNC']);
export const Fstflags = flags('u16', ['SET_ATIM', 'SET_ATIM_NOW', 'SET_MTIM', 'SET_MTIM_NOW']);
export const Rights = flags('u64', [
  'FD_DATASYNC', 'FD_READ', 'FD_SEEK', 'FD_FDSTAT_SET_FLAGS', 'FD_SYNC', 'FD_TELL', 'FD_WRITE', 'FD_ADVISE',
  'FD_ALLOCATE', 'PATH_CREATE_DIRECTORY', 'PATH_CREATE_FILE', 'PATH_LINK_SOURCE', 'PATH_LINK_TARGET', 'PATH_OPEN',
  'FD_READDIR', 'PATH_READLINK', 'PATH_RENAME_SOURCE', 'PATH_RENAME_TARGET', 'PATH_FILESTAT_GET',
  'PATH_FILESTAT_SET_SIZE', 'PATH_FILESTAT_SET_TIMES', 'FD_FILESTAT_GET', 'FD_FILESTAT_SET_SIZE',
  'FD_FILESTAT_SET_TIMES', 'PATH_SYMLINK', 'PATH_REMOVE_DIRECTORY', 'PATH_UNLINK_FILE', 'POLL_FD_READWRITE',
  'SOCK_SHUTDOWN', 'SOCK_ACCEPT', 'SOCK_CONNECT', 'SOCK_LISTEN', 'SOCK_BIND', 'SOCK_RECV', 'SOCK_SEND',
  'SOCK_ADDR_LOCAL', 'SOCK_ADDR_REMOTE', 'SOCK_RECV_FROM', 'SOCK_SEND_TO',
]);
export const EpollType = flags('u32', ['EPOLLIN', 'EPOLLOUT', 'EPOLLRDHUP', 'EPOLLPRI', 'EPOLLERR', 'EPOLLHUP', 'EPOLLET', 'EPOLLONESHOT']);

export const OFLAG_CREATE = 1;
export const OFLAG_DIRECTORY = 2;
export const OFLAG_EXCL = 4;
export const OFLAG_TRUNC = 8;
export const FDFLAG_APPEND = 1;

export const Range64 = struct({ start: u64, end: u64 });
export const Duration = struct({ secs: u64, nanos: u32 });
export const SystemTime = struct({ secs_since_epoch: u64, nanos_since_epoch: u32 });
export const MemoryLayout = struct({ stack_upper: u64, stack_lower: u64, guard_size: u64, stack_size: u64 });
export const Tty = struct({
  cols: u32, rows: u32, width: u32, height: u32, stdin_tty: bool, stdout_tty: bool, stderr_tty: bool, echo: bool,
  line_buffered: bool,
});
export const IpCidr = struct({ ip: ipAddr, prefix: u8 });
export const EpollEventCtl = struct({ events: EpollType, ptr: u64, fd: u32, data1: u32, data2: u64 });

export const SOCK_PROTO_NAMES = [
  'Ip', 'Icmp', 'Igmp', 'ProtoThree', 'Ipip', 'ProtoFive', 'Tcp', 'ProtoSeven', 'Egp', 'ProtoNine', 'ProtoTen',
  'ProtoEleven', 'Pup', 'ProtoThirteen', 'ProtoFourteen', 'ProtoFifteen', 'ProtoSixteen', 'Udp', 'ProtoEighteen',
  'ProtoNineteen', 'ProtoTwenty', 'ProtoTwentyone', 'Idp', 'ProtoTwentythree', 'ProtoTwentyfour', 'ProtoTwentyfive',
  'ProtoTwentysix', 'ProtoTwentyseven', 'ProtoTwentyeight', 'ProtoTp', 'ProtoThirty', 'ProtoThirtyone',
  'ProtoThirtytwo', 'Dccp', 'ProtoThirtyfour', 'ProtoThirtyfive', 'ProtoThirtysix', 'ProtoThirtyseven',
  'ProtoThirtyeight', 'ProtoThirtynine', 'ProtoFourty', 'Ipv6', 'ProtoFourtytwo', 'Routing', 'Fragment',
  'ProtoFourtyfive', 'Rsvp', 'Gre', 'ProtoFourtyeight', 'ProtoFourtynine', 'Esp', 'Ah', 'ProtoFiftytwo',
  'ProtoFiftythree', 'ProtoFiftyfour', 'ProtoFiftyfive', 'ProtoFiftysix', 'ProtoFiftyseven', 'Icmpv6', 'None',
  'Dstopts', 'ProtoSixtyone', 'ProtoSixtytwo', 'ProtoSixtythree', 'ProtoSixtyfour', 'ProtoSixtyfive',
  'ProtoSixtysix', 'ProtoSixtyseven', 'ProtoSixtyeight', 'ProtoSixtynine', 'ProtoSeventy', 'ProtoSeventyone',
  'ProtoSeventytwo', 'ProtoSeventythree', 'ProtoSeventyfour', 'ProtoSeventyfive', 'ProtoSeventysix',
  'ProtoSeventyseven', 'ProtoSeventyeight', 'ProtoSeventynine', 'ProtoEighty', 'ProtoEightyone', 'ProtoEightytwo',
  'ProtoEightythree', 'ProtoEightyfour', 'ProtoEightyfive', 'ProtoEightysix', 'ProtoEightyseven', 'ProtoEightyeight',
  'ProtoEightynine', 'ProtoNinety', 'ProtoNinetyone', 'Mtp', 'ProtoNinetythree', 'Beetph', 'ProtoNinetyfive',
  'ProtoNinetysix', 'ProtoNineetyseven', 'Encap', 'ProtoNinetynine', 'ProtoOnehundred', 'ProtoOnehundredandone',
  'ProtoOnehundredandtwo', 'Pim', 'ProtoOnehundredandfour', 'ProtoOnehundredandfive', 'ProtoOnehundredandsix',
  'ProtoOnehundredandseven', 'Comp', 'ProtoOnehundredandnine', 'ProtoOnehundredandten', 'ProtoOnehundredandeleven',
  'ProtoOnehundredandtwelve', 'ProtoOnehundredandthirteen', 'ProtoOnehundredandfourteen',
  'ProtoOnehundredandfifteen', 'ProtoOnehundredandsixteen', 'ProtoOnehundredandseventeen',
  'ProtoOnehundredandeighteen', 'ProtoOnehundredandnineteen', 'ProtoOnehundredandtwenty',
  'ProtoOnehundredandtwentyone', 'ProtoOnehundredandtwentytwo', 'ProtoOnehundredandtwentythree',
  'ProtoOnehundredandtwentyfour', 'ProtoOnehundredandtwentyfive', 'ProtoOnehundredandtwentysix',
  'ProtoOnehundredandtwentyseven', 'ProtoOnehundredandtwentyeight', 'ProtoOnehundredandtwentynine',
  'ProtoOnehundredandthirty', 'ProtoOnehundredandthirtyone', 'Sctp', 'ProtoOnehundredandthirtythree',
  'ProtoOnehundredandthirtyfour', 'Mh', 'Udplite', 'Mpls', 'ProtoOnehundredandthirtyeight',
  'ProtoOnehundredandthirtynine', 'ProtoOnehundredandfourty', 'ProtoOnehundredandfourtyone',
  'ProtoOnehundredandfourtytwo', 'Ethernet', 'ProtoOnehundredandfourtyfour', 'ProtoOnehundredandfourtyfive',
  'ProtoOnehundredandfourtysix', 'ProtoOnehundredandfourtyseven', 'ProtoOnehundredandfourtyeight',
  'ProtoOnehundredandfourtynine', 'ProtoOnehundredandfifty', 'ProtoOnehundredandfiftyone',
  'ProtoOnehundredandfiftytwo', 'ProtoOnehundredandfiftythree', 'ProtoOnehundredandfiftyfour',
  'ProtoOnehundredandfiftyfive', 'ProtoOnehundredandfiftysix', 'ProtoOnehundredandfiftyseven',
  'ProtoOnehundredandfiftyeight', 'ProtoOnehundredandfiftynine', 'ProtoOnehundredandsixty',
  'ProtoOnehundredandsixtyone', 'ProtoOnehundredandsixtytwo', 'ProtoOnehundredandsixtythree',
  'ProtoOnehundredandsixtyfour', 'ProtoOnehundredandsixtyfive', 'ProtoOnehundredandsixtysix',
  'ProtoOnehundredandsixtyseven', 'ProtoOnehundredandsixtyeight', 'ProtoOnehundredandsixtynine',
  'ProtoOnehundredandseventy', 'ProtoOnehundredandseventyone', 'ProtoOnehundredandseventytwo',
  'ProtoOnehundredandseventythree', 'ProtoOnehundredandseventyfour', 'ProtoOnehundredandseventyfive',
  'ProtoOnehundredandseventysix', 'ProtoOnehundredandseventyseven', 'ProtoOnehundredandseventyeight',
  'ProtoOnehundredandseventynine', 'ProtoOnehundredandeighty', 'ProtoOnehundredandeightyone',
  'ProtoOnehundredandeightytwo', 'ProtoOnehundredandeightythree', 'ProtoOnehundredandeightyfour',
  'ProtoOnehundredandeightyfive', 'ProtoOnehundredandeightysix', 'ProtoOnehundredandeightyseven',
  'ProtoOnehundredandeightyeight', 'ProtoOnehundredandeightynine', 'ProtoOnehundredandninety',
  'ProtoOnehundredandninetyone', 'ProtoOnehundredandninetytwo', 'ProtoOnehundredandninetythree',
  'ProtoOnehundredandninetyfour', 'ProtoOnehundredandninetyfive', 'ProtoOnehundredandninetysix',
  'ProtoOnehundredandninetyseven', 'ProtoOnehundredandninetyeight', 'ProtoOnehundredandninetynine',
  'ProtoTwohundred', 'ProtoTwohundredandone', 'ProtoTwohundredandtwo', 'ProtoTwohundredandthree',
  'ProtoTwohundredandfour', 'ProtoTwohundredandfive', 'ProtoTwohundredandsix', 'ProtoTwohundredandseven',
  'ProtoTwohundredandeight', 'ProtoTwohundredandnine', 'ProtoTwohundredandten', 'ProtoTwohundredandeleven',
  'ProtoTwohundredandtwelve', 'ProtoTwohundredandthirteen', 'ProtoTwohundredandfourteen',
  'ProtoTwohundredandfifteen', 'ProtoTwohundredandsixteen', 'ProtoTwohundredandseventeen',
  'ProtoTwohundredandeighteen', 'ProtoTwohundredandnineteen', 'ProtoTwohundredandtwenty',
  'ProtoTwohundredandtwentyone', 'ProtoTwohundredandtwentytwo', 'ProtoTwohundredandtwentythree',
  'ProtoTwohundredandtwentyfour', 'ProtoTwohundredandtwentyfive', 'ProtoTwohundredandtwentysix',
  'ProtoTwohundredandtwentyseven', 'ProtoTwohundredandtwentyeight', 'ProtoTwohundredandtwentynine',
  'ProtoTwohundredandthirty', 'ProtoTwohundredandthirtyone', 'ProtoTwohundredandthirtytwo',
  'ProtoTwohundredandthirtythree', 'ProtoTwohundredandthirtyfour', 'ProtoTwohundredandthirtyfive',
  'ProtoTwohundredandthirtysix', 'ProtoTwohundredandthirtyseven', 'ProtoTwohundredandthirtyeight',
  'ProtoTwohundredandthirtynine', 'ProtoTwohundredandfourty', 'ProtoTwohundredandfourtyone',
  'ProtoTwohundredandfourtytwo', 'ProtoTwohundredandfourtythree', 'ProtoTwohundredandfourtyfour',
  'ProtoTwohundredandfourtyfive', 'ProtoTwohundredandfourtysix', 'ProtoTwohundredandfourtyseven',
  'ProtoTwohundredandfourtyeight', 'ProtoTwohundredandfourtynine', 'ProtoTwohundredandfifty',
  'ProtoTwohundredandfiftyone', 'ProtoTwohundredandfiftytwo', 'ProtoTwohundredandfiftythree',
  'ProtoTwohundredandfiftyfour', 'ProtoRaw', 'ProtoTwohundredandfiftysix', 'ProtoTwohundredandfiftyseven',
  'ProtoTwohundredandfiftyeight', 'ProtoTwohundredandfiftynine', 'ProtoTwohundredandsixty',
  'ProtoTwohundredandsixtyone', 'Mptcp', 'Max',
] as const;
export const SockProto = enumOf('u16', SOCK_PROTO_NAMES);
