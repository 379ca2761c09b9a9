// LZ4 in JavaScript (src/journal/lz4-js.ts, and compression.ts's decoder), what the journal uses where the native
// lz4-napi is missing: its blocks read back by the native decoder and by its own, native blocks read by the
// JavaScript decoder, over inputs of every shape a journal holds (tiny, empty, zeros, text, random, memory-like).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { compressSync, uncompressSync } from 'lz4-napi';
import { lz4CompressJs } from '../../src/journal/lz4-js';
import { lz4DecompressPlaced } from '../../src/journal/compression';

function decodeJs(block: Uint8Array): Buffer {
  const size = Buffer.from(block.buffer, block.byteOffset, block.byteLength).readUInt32LE(0);
  const out = Buffer.alloc(size);
  lz4DecompressPlaced(block, 0, () => ({ target: out, at: 0, length: size }), 'test');
  return out;
}

function inputs(): [string, Buffer][] {
  const text = Buffer.from('the quick brown fox jumps over the lazy dog; '.repeat(3000));
  const memory = Buffer.alloc(1 << 20);
  // A heap-like image: zeros, a table of small integers, strings, some noise.
  for (let i = 0; i < 4096; i++) memory.writeUInt32LE(i * 7, 65536 + i * 4);
  text.copy(memory, 200_000);
  randomBytes(30_000).copy(memory, 600_000);
  const out: [string, Buffer][] = [
    ['empty', Buffer.alloc(0)],
    ['zeros', Buffer.alloc(300_000)],
    ['text', text],
    ['random', randomBytes(100_000)],
    ['memory image', memory],
    ['a long run with a period of 3', Buffer.from('abc'.repeat(50_000))],
  ];
  for (let n = 1; n <= 20; n++) out.push([`${n} bytes`, Buffer.from('aaaaabbbbbaaaaabbbbbaaaaa'.slice(0, n))]);
  return out;
}

test('LZ4 in JavaScript: its blocks decode (native and JavaScript decoders) to the input; native blocks decode in JavaScript', () => {
  for (const [name, data] of inputs()) {
    const ours = lz4CompressJs(data);
    assert.equal(ours.readUInt32LE(0), data.length, `${name}: the size prefix`);
    assert.ok(ours.length <= 4 + data.length + Math.ceil(data.length / 255) + 16, `${name}: within the worst case`);
    assert.deepEqual(uncompressSync(ours), data, `${name}: the native decoder reads our block`);
    assert.deepEqual(decodeJs(ours), data, `${name}: our decoder reads our block`);
    assert.deepEqual(decodeJs(compressSync(data)), data, `${name}: our decoder reads a native block`);
  }
});

test('LZ4 in JavaScript compresses what repeats about as the native one does', () => {
  for (const [name, data] of inputs().filter(([n]) => ['zeros', 'text', 'memory image'].includes(n))) {
    const ours = lz4CompressJs(data).length;
    const theirs = compressSync(data).length;
    assert.ok(ours < data.length / 4, `${name}: ${ours} of ${data.length} bytes`);
    assert.ok(ours <= theirs * 1.5, `${name}: ${ours} bytes against native ${theirs}`);
  }
});
