// The `wasm-journal` command line, run as a user runs it (a child process), on the bundled example and on bad input.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readJournal, tempJournal, writeJournal } from '../helpers/journals';
import { tempDir } from '../helpers/tmp';
import { StateModel } from '../../src/journal/state';
import { ENTRY_FIXTURES } from '../helpers/entry-fixtures';
import type { JournalEntry } from '../../src/journal/entries';
import { helloJournal } from '../../examples/make-hello-journal';

const ROOT = path.join(__dirname, '..', '..', '..');
const BIN = path.join(ROOT, 'out', 'src', 'cli', 'bin.js');
const EXAMPLE = path.join(ROOT, 'examples', 'hello.journal');

function cli(args: string[], input?: string | Buffer): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { input: typeof input === 'string' ? Buffer.from(input) : input, maxBuffer: 1 << 28 });
  return { code: r.status ?? -1, out: r.stdout.toString(), err: r.stderr.toString() };
}

test('the committed example is what examples/make-hello-journal.ts writes', () => {
  const file = tempJournal();
  writeJournal(file, helloJournal());
  assert.deepEqual(readJournal(EXAMPLE), readJournal(file));
});

test('inspect prints one line per entry with index and byte offset; --json too', () => {
  const r = cli(['inspect', EXAMPLE]);
  assert.equal(r.code, 0, r.err);
  const lines = r.out.trimEnd().split('\n');
  assert.equal(lines.length, readJournal(EXAMPLE).length);
  assert.match(lines[0], /^\s+0 {2}@32 +init-module \(hash=[0-9a-f]{64}\)$/);
  assert.ok(lines.some((l) => /^\s+\d+ {2}@\d+ +fd-write \(fd=4, offset=0, data\.len=20\)$/.test(l)));
  assert.ok(lines.some((l) => /path-rename \(old-path=notes\.txt, new-path=notes-final\.txt\)/.test(l)));
  const json = cli(['inspect', '--json', EXAMPLE]);
  const rows = json.out.trimEnd().split('\n').map((l) => JSON.parse(l) as { index: number; offset: number; entry: Record<string, unknown> });
  assert.equal(rows.length, lines.length);
  assert.deepEqual(Object.keys(rows[0].entry), ['init_module_v1']);
  assert.equal(rows[1].offset > rows[0].offset, true);
});

test('export and import round-trip exactly; import never destroys a journal on bad input', () => {
  const dir = tempDir();
  const exported = cli(['export', EXAMPLE]);
  assert.equal(exported.code, 0, exported.err);
  const copy = path.join(dir, 'copy.journal');
  const imp = cli(['import', copy], exported.out);
  assert.equal(imp.code, 0, imp.err);
  assert.deepEqual(readJournal(copy), readJournal(EXAMPLE));
  assert.equal(cli(['export', copy]).out, exported.out, 'exporting the import gives the same text');
  // every kind, too
  const all = path.join(dir, 'all.journal');
  writeJournal(all, Object.values(ENTRY_FIXTURES) as JournalEntry[]);
  const allJson = path.join(dir, 'all.json');
  assert.equal(cli(['export', all, '-o', allJson]).code, 0);
  assert.equal(cli(['import', path.join(dir, 'all2.journal'), '--input', allJson]).code, 0);
  assert.deepEqual(readJournal(path.join(dir, 'all2.journal')), readJournal(all));
  // bad input: an error with line and column, and the existing journal is untouched
  const before = fs.readFileSync(copy);
  const bad = cli(['import', copy], exported.out.replace('"fd": 4', '"fd": "four"'));
  assert.equal(bad.code, 1);
  assert.match(bad.err, /^wasm-journal import: standard input: line \d+, column \d+: .*fd: expected an integer\n$/);
  assert.deepEqual(fs.readFileSync(copy), before);
  assert.deepEqual(fs.readdirSync(dir).filter((f) => f.includes('tmp')), []);
});

test('filter leaves out the named kinds', () => {
  const out = tempJournal();
  const r = cli(['filter', EXAMPLE, out, '-f', 'mem', '-f', 'threads', '-f', 'stdio']);
  assert.equal(r.code, 0, r.err);
  const kinds = readJournal(out).map((e) => e.kind);
  assert.ok(!kinds.includes('UpdateMemoryRegionV1') && !kinds.includes('SetThreadV1'));
  assert.ok(kinds.includes('SnapshotV1') && kinds.includes('PathRenameV1'));
  assert.ok(readJournal(out).every((e) => !(e.kind === 'FileDescriptorWriteV1' && e.fd <= 2)), 'no terminal text');
  assert.match(r.err, /kept \d+ of 38 entries/);
  const only = cli(['filter', EXAMPLE, out, '--only-indices', '0-2,7']);
  assert.equal(only.code, 0, only.err);
  assert.equal(readJournal(out).length, 4);
  assert.equal(cli(['filter', EXAMPLE, out, '-f', 'bogus']).code, 2);
  assert.equal(cli(['filter', EXAMPLE, EXAMPLE, '-f', 'mem']).code, 2, 'refuses to overwrite its input');
});

test('compact keeps the restored state and makes the journal smaller, in place or to -o', () => {
  const out = tempJournal();
  const r = cli(['compact', EXAMPLE, '-o', out]);
  assert.equal(r.code, 0, r.err);
  assert.equal(StateModel.replay(readJournal(out)).canonical(), StateModel.replay(readJournal(EXAMPLE)).canonical());
  assert.ok(fs.statSync(out).size < fs.statSync(EXAMPLE).size);
  const inPlace = tempJournal();
  fs.copyFileSync(EXAMPLE, inPlace);
  assert.equal(cli(['compact', inPlace, '--sync', 'always']).code, 0);
  assert.deepEqual(readJournal(inPlace), readJournal(out));
});

test('concat joins journals in order', () => {
  const dir = tempDir();
  const [a, b, c] = ['a', 'b', 'c'].map((n) => path.join(dir, `${n}.journal`));
  const all = Object.values(ENTRY_FIXTURES) as JournalEntry[];
  writeJournal(a, all.slice(0, 10));
  writeJournal(b, all.slice(10));
  const r = cli(['concat', a, b, '-o', c]);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(readJournal(c), all);
  assert.equal(cli(['concat', a, b]).code, 2, '-o is required');
});

test('verify passes whole journals, notes torn tails, fails damaged ones; repair keeps every valid record', () => {
  const ok = cli(['verify', EXAMPLE]);
  assert.equal(ok.code, 0);
  assert.match(ok.out, /38 records in 1 segment/);
  assert.match(ok.out, /\nok\n$/);
  const file = tempJournal();
  const bytes = fs.readFileSync(EXAMPLE);
  fs.writeFileSync(file, bytes.subarray(0, bytes.length - 5));
  const torn = cli(['verify', file]);
  assert.equal(torn.code, 0);
  assert.match(torn.out, /the last \d+ bytes are a torn record/);
  const damaged = Buffer.from(bytes);
  damaged[1200] ^= 0xff;
  fs.writeFileSync(file, damaged);
  const bad = cli(['verify', file]);
  assert.equal(bad.code, 1);
  assert.match(bad.out, /damaged: \d+ bytes at byte \d+ are not valid records/);
  assert.match(bad.out, /DAMAGED: run "wasm-journal repair/);
  const inspect = cli(['inspect', file]);
  assert.equal(inspect.code, 1);
  assert.match(inspect.err, /^wasm-journal inspect: .*: damaged record \d+ at byte \d+ \(checksum mismatch\); valid records follow at byte \d+/);
  const fixed = tempJournal('fixed.journal');
  const rep = cli(['repair', file, '-o', fixed]);
  assert.equal(rep.code, 0, rep.err);
  assert.match(rep.err, /dropped \d+ damaged bytes at byte \d+/);
  assert.equal(readJournal(fixed).length, 37);
  assert.equal(cli(['verify', fixed]).code, 0);
});

test('snapshots lists number, entry, offset, time, trigger and memory changed', () => {
  const r = cli(['snapshots', EXAMPLE]);
  assert.equal(r.code, 0, r.err);
  const rows = r.out.trimEnd().split('\n').slice(1);
  assert.equal(rows.length, 3);
  assert.match(rows[0], /^\s+0\s+6\s+848\s+2026-11-18T11:06:41\.250Z\s+first-environ\s+1536$/);
  assert.match(rows[2], /explicit\s+3072$/);
  const json = JSON.parse(cli(['snapshots', '--json', EXAMPLE]).out) as { trigger: string }[];
  assert.deepEqual(json.map((s) => s.trigger), ['first-environ', 'idle', 'explicit']);
});

test('extract memory writes the flat image as of a snapshot', () => {
  const dir = tempDir();
  const img = path.join(dir, 'mem.bin');
  const r = cli(['extract', EXAMPLE, 'memory', '--at', '1', img]);
  assert.equal(r.code, 0, r.err);
  const b = fs.readFileSync(img);
  assert.equal(b.length, 65536);
  assert.equal(b.subarray(1024, 1040).toString(), 'Hello from WASI!');
  assert.equal(b.subarray(0x4000, 0x4005).toString(), 'first', 'heap as of snapshot 1');
  assert.equal(cli(['extract', EXAMPLE, 'memory', img]).code, 0);
  assert.equal(fs.readFileSync(img).subarray(0x4000, 0x4007).toString(), 'summary', 'the last snapshot by default');
  const missing = cli(['extract', EXAMPLE, 'memory', '--at', '9', img]);
  assert.equal(missing.code, 1);
  assert.match(missing.err, /there is no snapshot 9; the journal has 3 \(0-2\)/);
});

test('bad input and bad usage: one clear line, exit 1 or 2, never a stack trace', () => {
  const dir = tempDir();
  const wasm = path.join(dir, 'prog.wasm');
  fs.writeFileSync(wasm, Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
  const cases: [string[], number, RegExp][] = [
    [['inspect', path.join(dir, 'nope.journal')], 1, /^wasm-journal inspect: .*nope\.journal: cannot open the journal: no such file\n$/],
    [['inspect', wasm], 1, /not a wasm-journal file \(it starts with the WebAssembly magic: it is a \.wasm module\)\n$/],
    [['inspect', dir], 1, /is a directory\n$/],
    [['inspect'], 2, /^wasm-journal inspect: missing JOURNAL\nusage: wasm-journal inspect JOURNAL \[options\]/],
    [['inspect', EXAMPLE, '--bogus'], 2, /unknown option --bogus/],
    [['frobnicate'], 2, /unknown command "frobnicate"/],
    [['extract', EXAMPLE, 'stack', path.join(dir, 'x')], 2, /cannot extract "stack"; use: memory/],
    [['extract', EXAMPLE, 'memory', '--at', 'x', path.join(dir, 'x')], 2, /--at needs a number/],
    [['repair', EXAMPLE], 2, /name the repaired journal with -o OUT/],
    [['compact', EXAMPLE, '-o', path.join(dir, 'c.journal'), '--sync', 'sometimes'], 2, /--sync must be one of never, snapshot, always; got "sometimes"/],
  ];
  for (const [args, code, re] of cases) {
    const r = cli(args);
    assert.equal(r.code, code, `${args.join(' ')}: ${r.err}`);
    assert.match(r.err, re, args.join(' '));
    assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace');
  }
});

test('--help for every command, and the command list', () => {
  const main = cli(['--help']);
  assert.equal(main.code, 0);
  const names = ['inspect', 'export', 'import', 'filter', 'compact', 'concat', 'verify', 'repair', 'snapshots', 'extract'];
  for (const n of names) {
    assert.match(main.out, new RegExp(`\\n  ${n} `));
    const h = cli([n, '--help']);
    assert.equal(h.code, 0);
    assert.match(h.out, new RegExp(`^Usage: wasm-journal ${n} `));
  }
  assert.match(cli(['--version']).out, /^wasm-journal \d+\.\d+\.\d+ /);
});

test('output into a closed pipe ends quietly', () => {
  const r = spawnSync('sh', ['-c', `"${process.execPath}" "${BIN}" export "${EXAMPLE}" | head -c 10 >/dev/null; echo "status=\${PIPESTATUS:-ok}"`], { encoding: 'utf8' });
  assert.equal(r.stderr, '');
});
