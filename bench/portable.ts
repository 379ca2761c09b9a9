// The portable ways (what runs where Linux's /proc and the native modules are missing: macOS and Windows without
// their binaries, or WASM_JOURNAL_PORTABLE=1), each against the Linux way measured in the same run:
//  - LZ4 in JavaScript (src/journal/lz4-js.ts and compression.ts's decoder) vs lz4-napi, on a 16 MiB memory image
//    like a C heap's (zeros, tables, text, some noise), compressing and decompressing;
//  - CRC-32C in JavaScript vs @node-rs/crc32 on 1 MiB records;
//  - the host file-system sandbox checking paths vs asking the kernel (/proc/self/fd): open, write, close and stat
//    of files two folders down.
// Prints a markdown report (for docs/benchmarks.md). Usage: node out/bench/portable.js

import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { compressSync, uncompressSync } from 'lz4-napi';
import { lz4CompressJs } from '../src/journal/lz4-js';
import { lz4DecompressPlaced } from '../src/journal/compression';
import { crc32c, crc32cSoftware } from '../src/journal/checksum';
import { RealHostFs } from '../src/runtime/vfs/host-fs';
import { medianMs } from './timing';

const time = (fn: () => void, n = 7): number => medianMs(fn, n, 1);

function memoryImage(bytes: number): Buffer {
  const m = Buffer.alloc(bytes);
  const text = Buffer.from('struct entry { int id; char name[32]; } /* a line of a heap */ '.repeat(64));
  for (let at = 0; at < bytes; at += 1 << 20) {
    for (let i = 0; i < 16384; i++) m.writeUInt32LE((i * 2654435761) >>> 12, at + 65536 + i * 8);
    text.copy(m, at + 400_000);
    randomBytes(50_000).copy(m, at + 700_000);
  }
  return m;
}

function hostFs(root: string, portable: boolean): RealHostFs {
  process.env.WASM_JOURNAL_PORTABLE = portable ? '1' : '0';
  try {
    return new RealHostFs(root);
  } finally {
    delete process.env.WASM_JOURNAL_PORTABLE;
  }
}

function fileOps(h: RealHostFs, n: number): void {
  const data = Buffer.from('a line of a file\n');
  for (let i = 0; i < n; i++) {
    const fd = h.open(`a/b/f${i % 50}.txt`, { read: true, write: true, create: 'yes', trunc: false });
    h.write(fd, 0, data);
    h.close(fd);
    h.lstat(`a/b/f${i % 50}.txt`);
  }
}

function main(): void {
  const mb = (bytes: number, ms: number): string => `${(bytes / 1e6 / (ms / 1000)).toFixed(0)} MB/s`;
  const image = memoryImage(16 << 20);
  const jsBlock = lz4CompressJs(image);
  const nativeBlock = compressSync(image);
  const cJs = time(() => lz4CompressJs(image));
  const cNative = time(() => compressSync(image));
  const out = Buffer.alloc(image.length);
  const dJs = time(() => lz4DecompressPlaced(jsBlock, 0, () => ({ target: out, at: 0, length: image.length }), 'bench'));
  const dNative = time(() => uncompressSync(nativeBlock));
  const record = randomBytes(1 << 20);
  const crcJs = time(() => crc32cSoftware(record), 21);
  const crcNative = time(() => crc32c(record), 21);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wj-bench-portable-'));
  fs.mkdirSync(path.join(dir, 'a', 'b'), { recursive: true });
  const ops = 2000;
  const kernel = hostFs(dir, false);
  const portable = hostFs(dir, true);
  const fsKernel = kernel.kernelChecks ? time(() => fileOps(kernel, ops), 5) : NaN;
  const fsPortable = time(() => fileOps(portable, ops), 5);
  fs.rmSync(dir, { recursive: true, force: true });

  const cores = os.cpus();
  console.log('### Portable ways (bench/portable.ts)\n');
  console.log(`${new Date().toISOString().slice(0, 10)}, node ${process.version}, ${cores.length} cores (${cores[0]?.model.trim() ?? '?'}).\n`);
  console.log(
    `LZ4 in JavaScript on a 16 MiB memory image: compresses at **${mb(image.length, cJs)}** (${(cNative / cJs).toFixed(2)}x lz4-napi's ${mb(image.length, cNative)}), to ${jsBlock.length} bytes (lz4-napi: ${nativeBlock.length}); ` +
      `decompresses at **${mb(image.length, dJs)}** (${(dNative / dJs).toFixed(2)}x lz4-napi's ${mb(image.length, dNative)}). ` +
      `CRC-32C in JavaScript on 1 MiB: ${mb(record.length, crcJs)} (${(crcNative / crcJs).toFixed(2)}x @node-rs/crc32's ${mb(record.length, crcNative)}). ` +
      `The sandbox checking paths: ${ops} open, write, close and stat two folders down in ${fsPortable.toFixed(0)} ms` +
      (Number.isNaN(fsKernel) ? ' (no /proc here to compare with).\n' : ` (${(fsPortable / fsKernel).toFixed(2)}x the time of asking the kernel: ${fsKernel.toFixed(0)} ms).\n`),
  );
}

main();
