// The JSON form against what `wasmer journal export` prints and `wasmer journal import` reads.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { entryToJsonText, parseJsonEntries } from '../../src/journal/json';
import type { JournalEntry } from '../../src/journal/entries';
import { lz4CompressPrependSize } from '../../src/journal/compression';

const te = (s: string): Uint8Array => new Uint8Array(Buffer.from(s));

test('binary fields are base64 of a size-prefixed LZ4 block, as lz4_flex writes them', () => {
  // Inputs under 13 bytes have one LZ4 encoding: a literal-only token.
  assert.equal(lz4CompressPrependSize(new Uint8Array()).toString('base64'), 'AAAAAAA=');
  assert.equal(lz4CompressPrependSize(te('hi')).toString('base64'), 'AgAAACBoaQ==');
  assert.equal(lz4CompressPrependSize(te('hello world\n')).toString('base64'), 'DAAAAMBoZWxsbyB3b3JsZAo=');
});

test('an entry prints as serde_json pretty output, externally tagged, fields in declaration order', () => {
  const e: JournalEntry = { kind: 'FileDescriptorWriteV1', fd: 3, offset: 0n, data: te('hello world\n'), is_64bit: false };
  assert.equal(
    entryToJsonText(e),
    '{\n  "file_descriptor_write_v1": {\n    "fd": 3,\n    "offset": 0,\n    "data": "DAAAAMBoZWxsbyB3b3JsZAo=",\n    "is_64bit": false\n  }\n}\n',
  );
  const open: JournalEntry = {
    kind: 'OpenFileDescriptorV2', fd: 5, dirfd: 3, dirflags: 1, path: 'foo.txt', o_flags: 9,
    fs_rights_base: 549755813887n, fs_rights_inheriting: 549755813887n, fs_flags: 0, fd_flags: 1,
  };
  assert.match(entryToJsonText(open), /"o_flags": \{\n {6}"bits": 9\n {4}\}/);
  assert.equal(entryToJsonText({ kind: 'ClearEtherealV1' }), '{\n  "clear_ethereal_v1": null\n}\n');
});

test('a hand-written Wasmer export imports, including bare unit variants and the old trigger spelling', () => {
  const text = `{
  "init_module_v1": {
    "wasm_hash": [1, 2, 255]
  }
}
"clear_ethereal_v1"
{
  "update_memory_region_v1": {
    "region": { "start": 0, "end": 2 },
    "compressed_data": "${lz4CompressPrependSize(lz4CompressPrependSize(te('hi'))).toString('base64')}"
  }
}
{
  "snapshot_v1": {
    "when": { "secs_since_epoch": 1700000000, "nanos_since_epoch": 5 },
    "trigger": "FirstListen"
  }
}
{"process_exit_v1": {"exit_code": {"Errno": "Success"}}}
{"set_clock_time_v1": {"clock_id": "Realtime", "time": 18446744073709551615}}
{"socket_bind_v1": {"fd": 4, "addr": "[::1]:8080"}}
{"close_thread_v1": {"id": 1}}
`;
  const entries = [...parseJsonEntries(text)];
  assert.deepEqual(entries.map((e) => e.kind), [
    'InitModuleV1', 'ClearEtherealV1', 'UpdateMemoryRegionV1', 'SnapshotV1', 'ProcessExitV1', 'SetClockTimeV1', 'SocketBindV1', 'CloseThreadV1',
  ]);
  const m = entries[2] as Extract<JournalEntry, { kind: 'UpdateMemoryRegionV1' }>;
  assert.equal(Buffer.from(m.data).toString(), 'hi');
  assert.equal((entries[3] as Extract<JournalEntry, { kind: 'SnapshotV1' }>).trigger, 'first-listen');
  assert.equal((entries[5] as Extract<JournalEntry, { kind: 'SetClockTimeV1' }>).time, 18446744073709551615n, 'u64 exact');
  assert.equal((entries[7] as Extract<JournalEntry, { kind: 'CloseThreadV1' }>).exit_code, null, 'a missing option is None');
});

test('bad JSON gives the line and column of the problem', () => {
  const cases: [string, RegExp][] = [
    ['{\n  "fd_close": {"fd": 1}\n}', /line 1, column 1: unknown entry kind "fd_close"/],
    ['{\n  "close_file_descriptor_v1": {"fd": -1}\n}', /line 2, column 38: close_file_descriptor_v1.fd: -1 is out of range/],
    ['{\n  "close_file_descriptor_v1": {}\n}', /line 2, column 31: close_file_descriptor_v1: missing field "fd"/],
    ['{"close_file_descriptor_v1": {"fd": 1}\n', /line 2, column 1: unexpected end of input inside an object/],
    ['{"file_descriptor_write_v1": {"fd": 1, "offset": 0, "data": "@@@@", "is_64bit": false}}', /column 61: file_descriptor_write_v1.data: expected standard base64/],
    ['{"file_descriptor_write_v1": {"fd": 1, "offset": 0, "data": "/////w==", "is_64bit": false}}', /declared uncompressed size 4294967295 is impossible/],
    ['{"snapshot_v1": {"when": {"secs_since_epoch": 1, "nanos_since_epoch": 0}, "trigger": "never"}}', /"never" is not one of idle/],
  ];
  for (const [text, re] of cases) assert.throws(() => [...parseJsonEntries(text)], re, text);
});
