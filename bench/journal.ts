// Journal benchmarks, each against a baseline measured in the same run:
//  - write throughput of records to a log file (fdatasync at snapshot markers) as a ratio to fs.writeSync of the same
//    record bytes with the same syncs (the bytes a journal must put on disk; ours adds encoding, checksums and
//    compression on top);
//  - read throughput (checksums checked, entries decoded) and compaction throughput, in MB/s of journal;
//  - compaction ratio on a journal of repeated memory updates;
//  - the compression candidates on memory images (LZ4, chosen, against deflate level 1 from node:zlib).
// Prints a markdown report (for docs/benchmarks.md). Usage: node out/bench/journal.js [--quick]

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { encodeEntryRecord, encodePayload } from '../src/journal/codec';
import { encodeRecord } from '../src/journal/format';
import { crc32cBackend } from '../src/journal/checksum';
import { lz4CompressPrependSize, lz4DecompressPrependSize } from '../src/journal/compression';
import { CompactionPlanner, writeCompacted } from '../src/journal/compaction';
import { LogFileJournal } from '../src/journal/log-file';
import { readAll, readEntries } from '../src/journal/journal';
import type { JournalEntry } from '../src/journal/entries';

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 3 : 7;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wj-bench-'));
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function time(f: () => void): number {
  const t = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

/**
 * Hard-to-compress memory: every 8-byte word independently zero, a pointer, a small counter or text. A worst case
 * for LZ4 (no runs longer than a word).
 */
function scatteredMemory(size: number, seed: number): Uint8Array {
  const b = new Uint8Array(size);
  const v = new DataView(b.buffer);
  let x = seed;
  for (let i = 0; i + 8 <= size; i += 8) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const kind = (x >>> 16) % 8;
    if (kind < 3) continue; // zeros
    if (kind < 5) v.setUint32(i, 0x10000 + ((x >>> 8) & 0xfff0), true); // pointers
    else if (kind < 7) v.setUint32(i, (x >>> 20) & 0xff, true); // small counters
    else b.set(Buffer.from('journal!'), i); // text
  }
  return b;
}

/**
 * A C program's heap: malloc chunks (size header, a few pointers and integers, a string, zero padding), arrays of
 * like records, freed (zeroed) chunks and untouched zero pages.
 */
function heapMemory(size: number, seed: number): Uint8Array {
  const b = new Uint8Array(size);
  const v = new DataView(b.buffer);
  let x = seed >>> 0;
  const rnd = (n: number): number => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return (x >>> 8) % n;
  };
  const words = ['request', 'journal', 'snapshot', 'config', 'user', 'buffer', 'index', 'node', 'value', 'error'];
  let p = 0;
  while (p + 64 < size) {
    const kind = rnd(10);
    const len = 16 + rnd(32) * 8;
    if (p + len > size) break;
    if (kind < 2) {
      p += len; // freed chunk or slack: zeros
    } else if (kind < 4) {
      // an array of like records
      const n = 4 + rnd(12);
      for (let k = 0; k < n && p + 24 <= size; k++, p += 24) {
        v.setUint32(p, 24 | 1, true);
        v.setUint32(p + 4, 0x20000 + k * 24, true);
        v.setUint32(p + 8, k, true);
        v.setUint32(p + 12, 1000 + k * 3, true);
      }
    } else {
      v.setUint32(p, len | 1, true); // chunk header
      v.setUint32(p + 4, 0x10000 + rnd(0x10000) * 8, true); // pointers
      v.setUint32(p + 8, 0x10000 + rnd(0x10000) * 8, true);
      v.setUint32(p + 12, rnd(256), true);
      if (len >= 32) b.set(Buffer.from(`${words[rnd(words.length)]}-${rnd(1000)}`), p + 16);
      p += len;
    }
  }
  return b;
}

interface Workload {
  name: string;
  entries: JournalEntry[];
}

function workloads(): Workload[] {
  const n = quick ? 20_000 : 100_000;
  const mixed: JournalEntry[] = [];
  let t = 0;
  for (let i = 0; i < n; i++) {
    if (i % 1000 === 999) {
      mixed.push({ kind: 'SnapshotV1', when: { secs_since_epoch: 1_700_000_000n + BigInt(t++), nanos_since_epoch: 0 }, trigger: 'periodic-interval' });
    } else if (i % 50 === 0) {
      const size = 512 * (1 + (i % 16));
      mixed.push({ kind: 'UpdateMemoryRegionV1', region: { start: BigInt(i * 512), end: BigInt(i * 512 + size) }, data: heapMemory(size, i) });
    } else {
      const len = 32 + (i % 200);
      mixed.push({ kind: 'FileDescriptorWriteV1', fd: 3 + (i % 4), offset: BigInt(i * 64), data: Buffer.alloc(len, 97 + (i % 26)), is_64bit: false });
    }
  }
  const small: JournalEntry[] = [];
  for (let i = 0; i < n; i++) small.push({ kind: 'FileDescriptorWriteV1', fd: 1, offset: 0n, data: Buffer.from(`line ${i} of output from the guest\n`), is_64bit: false });
  const memoryOf = (gen: (size: number, seed: number) => Uint8Array): JournalEntry[] => {
    const out: JournalEntry[] = [];
    for (let i = 0; i < (quick ? 100 : 400); i++) {
      out.push({ kind: 'UpdateMemoryRegionV1', region: { start: BigInt(i * 65536), end: BigInt(i * 65536 + 262144) }, data: gen(262144, i) });
      if (i % 10 === 9) out.push({ kind: 'SnapshotV1', when: { secs_since_epoch: 1_700_000_000n + BigInt(i), nanos_since_epoch: 0 }, trigger: 'idle' });
    }
    return out;
  };
  return [
    { name: 'mixed (small writes, memory regions, a snapshot every 1,000)', entries: mixed },
    { name: 'small terminal writes', entries: small },
    { name: 'memory regions of 256 KiB (C heap), a snapshot every 10', entries: memoryOf(heapMemory) },
    { name: 'memory regions of 256 KiB (scattered words, worst case for LZ4), a snapshot every 10', entries: memoryOf(scatteredMemory) },
  ];
}

interface WriteResult {
  bytes: number;
  rawBytes: number;
  /** Seconds (medians). */
  batched: number;
  writeThrough: number;
  perRecord: number;
  bulk: number;
  perRecordRaw: number;
  /** With the background writer: the writing thread's time in write() (the guest's side), and until it is all on disk. */
  backgroundGuest: number;
  backgroundTotal: number;
}

/** MB/s of journal bytes written: ours (default batching, and write-through), and fs.writeSync of the same bytes. */
function benchWrite(w: Workload): WriteResult {
  const records = w.entries.map(encodeEntryRecord);
  const bytes = records.reduce((n, r) => n + r.length, 0);
  // The records as a journal without compression would write them.
  const raw = w.entries.map((e) => {
    const { kind, payload } = encodePayload(e);
    return encodeRecord(kind.tag, payload, false);
  });
  const rawBytes = raw.reduce((n, r) => n + r.length, 0);
  const isSnap = w.entries.map((e) => e.kind === 'SnapshotV1');
  const all = Buffer.concat(records);
  const t = {
    batched: [] as number[], writeThrough: [] as number[], perRecord: [] as number[], bulk: [] as number[], perRecordRaw: [] as number[],
    backgroundGuest: [] as number[], backgroundTotal: [] as number[],
  };
  const perRecord = (recs: Buffer[]): (() => void) => () => {
    const fd = fs.openSync(file, 'w');
    let pos = 0;
    for (let i = 0; i < recs.length; i++) {
      pos += fs.writeSync(fd, recs[i], 0, recs[i].length, pos);
      if (isSnap[i]) fs.fdatasyncSync(fd);
    }
    fs.fdatasyncSync(fd);
    fs.closeSync(fd);
  };
  const file = path.join(dir, 'write.journal');
  for (let round = 0; round < ROUNDS; round++) {
    for (const [key, batchBytes] of [['batched', undefined], ['writeThrough', 0]] as const) {
      t[key].push(
        time(() => {
          const j = LogFileJournal.create(file, { batchBytes });
          for (const e of w.entries) j.write(e);
          j.close();
        }),
      );
      fs.rmSync(file);
    }
    {
      const t0 = performance.now();
      const j = LogFileJournal.create(file, { background: true });
      for (const e of w.entries) j.write(e);
      t.backgroundGuest.push((performance.now() - t0) / 1000);
      j.close();
      t.backgroundTotal.push((performance.now() - t0) / 1000);
      fs.rmSync(file);
    }
    // Baselines: the same record bytes, one writeSync per record / in 1 MiB blocks, same fdatasyncs.
    t.perRecord.push(time(perRecord(records)));
    fs.rmSync(file);
    t.perRecordRaw.push(time(perRecord(raw)));
    fs.rmSync(file);
    t.bulk.push(
      time(() => {
        const fd = fs.openSync(file, 'w');
        let pos = 0;
        let flushed = 0;
        for (let i = 0; i < records.length; i++) {
          pos += records[i].length;
          if (isSnap[i] || pos - flushed >= 1 << 20) {
            fs.writeSync(fd, all, flushed, pos - flushed, flushed);
            flushed = pos;
            if (isSnap[i]) fs.fdatasyncSync(fd);
          }
        }
        fs.writeSync(fd, all, flushed, pos - flushed, flushed);
        fs.fdatasyncSync(fd);
        fs.closeSync(fd);
      }),
    );
    fs.rmSync(file);
  }
  return {
    bytes,
    rawBytes,
    batched: median(t.batched),
    writeThrough: median(t.writeThrough),
    perRecord: median(t.perRecord),
    bulk: median(t.bulk),
    perRecordRaw: median(t.perRecordRaw),
    backgroundGuest: median(t.backgroundGuest),
    backgroundTotal: median(t.backgroundTotal),
  };
}

function benchRead(file: string): number {
  const size = fs.statSync(file).size;
  const ts: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    ts.push(
      time(() => {
        const j = LogFileJournal.openRead(file);
        let n = 0;
        for (const _ of readAll(j)) n++;
        j.close();
        if (n === 0) throw new Error('empty');
      }),
    );
  }
  return size / median(ts) / 1e6;
}

function benchCompaction(file: string): { mbps: number; before: number; after: number; entriesBefore: number; entriesAfter: number } {
  const size = fs.statSync(file).size;
  const out = path.join(dir, 'compacted.journal');
  const ts: number[] = [];
  let entriesBefore = 0;
  let entriesAfter = 0;
  for (let round = 0; round < ROUNDS; round++) {
    ts.push(
      time(() => {
        const j = LogFileJournal.openRead(file);
        const planner = new CompactionPlanner();
        for (const r of readAll(j)) planner.feed(r.entry);
        const plan = planner.plan();
        const w = LogFileJournal.create(out, { batchBytes: 1 << 20 });
        entriesAfter = writeCompacted(readEntries(j), plan, (e) => w.write(e));
        entriesBefore = plan.entries;
        w.close();
        j.close();
      }),
    );
  }
  return { mbps: size / median(ts) / 1e6, before: size, after: fs.statSync(out).size, entriesBefore, entriesAfter };
}

function benchCompression(): string[] {
  const rows: string[] = [];
  const cases = [
    ['C heap, 16 MiB', heapMemory(16 << 20, 7)],
    ['scattered words, 16 MiB', scatteredMemory(16 << 20, 7)],
    ['zeroed memory, 16 MiB', new Uint8Array(16 << 20)],
  ] as const;
  for (const [name, data] of cases) {
    const c: number[] = [];
    const d: number[] = [];
    let lz: Buffer = Buffer.alloc(0);
    for (let r = 0; r < ROUNDS; r++) c.push(time(() => (lz = lz4CompressPrependSize(data))));
    for (let r = 0; r < ROUNDS; r++) d.push(time(() => lz4DecompressPrependSize(lz, 'bench')));
    const zc: number[] = [];
    const zd: number[] = [];
    let z: Buffer = Buffer.alloc(0);
    for (let r = 0; r < ROUNDS; r++) zc.push(time(() => (z = zlib.deflateRawSync(data, { level: 1 }))));
    for (let r = 0; r < ROUNDS; r++) zd.push(time(() => zlib.inflateRawSync(z)));
    const mb = data.length / 1e6;
    rows.push(`| ${name} | LZ4 | ${(mb / median(c)).toFixed(0)} | ${(mb / median(d)).toFixed(0)} | ${(lz.length / data.length).toFixed(3)} |`);
    rows.push(`| ${name} | deflate level 1 | ${(mb / median(zc)).toFixed(0)} | ${(mb / median(zd)).toFixed(0)} | ${(z.length / data.length).toFixed(3)} |`);
  }
  return rows;
}

function main(): void {
  const lines: string[] = [];
  const say = (s = ''): void => {
    lines.push(s);
    console.log(s);
  };
  say(`### Journal (bench/journal.ts${quick ? ' --quick' : ''})`);
  say();
  say(`${new Date().toISOString().slice(0, 10)}, node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), crc32c ${crc32cBackend}; median of ${ROUNDS} rounds.`);
  say();
  say('Write throughput: entries appended to a log file with the default sync policy (fdatasync at every snapshot marker and on close), ours with the default 64 KiB batches and writing through (`batchBytes: 0`), against `fs.writeSync` of the same record bytes with the same fdatasyncs, once per record and in 1 MiB blocks, and of the records uncompressed (what a journal without compression writes). Throughput in MB/s of journal file; ratios are baseline time / our time, so 1.0 means as fast as the baseline. Goal: at least 0.8. With the background writer (`background: true`, what `run` and the debugger use: records of 64 KiB or more are framed, compressed and written by its thread), the writing thread\'s time in write() against the same writeSync baseline ("guest\'s side"), and the time until everything is on disk.');
  say();
  say('| workload | records | file MB (uncompressed) | ours batched MB/s | ours write-through MB/s | writeSync per record MB/s | **batched vs writeSync per record** | write-through vs per record | batched vs 1 MiB blocks | batched vs uncompressed per record | **background, guest\'s side, vs per record** | background until on disk vs per record |');
  say('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  const ws = workloads();
  const files: string[] = [];
  for (const w of ws) {
    const r = benchWrite(w);
    const mb = (n: number): string => (n / 1e6).toFixed(1);
    const rate = (sec: number): string => (r.bytes / sec / 1e6).toFixed(0);
    say(
      `| ${w.name} | ${w.entries.length} | ${mb(r.bytes)} (${mb(r.rawBytes)}) | ${rate(r.batched)} | ${rate(r.writeThrough)} | ${rate(r.perRecord)} | ` +
        `**${(r.perRecord / r.batched).toFixed(2)}** | ${(r.perRecord / r.writeThrough).toFixed(2)} | ${(r.bulk / r.batched).toFixed(2)} | ${(r.perRecordRaw / r.batched).toFixed(2)} | ` +
        `**${(r.perRecord / r.backgroundGuest).toFixed(2)}** | ${(r.perRecord / r.backgroundTotal).toFixed(2)} |`,
    );
    const f = path.join(dir, `${files.length}.journal`);
    const j = LogFileJournal.create(f, { batchBytes: 1 << 20 });
    for (const e of w.entries) j.write(e);
    j.close();
    files.push(f);
  }
  say();
  say('Read and compaction throughput (MB/s of journal file), compaction ratio:');
  say();
  say('| workload | read MB/s | compaction MB/s | size before | size after | entries before | entries after |');
  say('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  ws.forEach((w, i) => {
    const read = benchRead(files[i]);
    const c = benchCompaction(files[i]);
    say(`| ${w.name} | ${read.toFixed(0)} | ${c.mbps.toFixed(0)} | ${c.before} | ${c.after} (${((c.after / c.before) * 100).toFixed(1)}%) | ${c.entriesBefore} | ${c.entriesAfter} |`);
  });
  say();
  say('Compression candidates for memory payloads (MB/s of uncompressed data):');
  say();
  say('| data | codec | compress MB/s | decompress MB/s | compressed/original |');
  say('| --- | --- | ---: | ---: | ---: |');
  for (const r of benchCompression()) say(r);
  const outFile = process.env.BENCH_OUT;
  if (outFile) fs.writeFileSync(outFile, lines.join('\n') + '\n');
}

main();
