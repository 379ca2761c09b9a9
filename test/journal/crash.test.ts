// Crash safety: a child writing 10,000 records is killed with SIGKILL at random moments, many times. After each
// kill the journal is a valid prefix of what was written, and appending to it works.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { LogFileJournal } from '../../src/journal/log-file';
import { readAll } from '../../src/journal/journal';
import type { JournalEntry } from '../../src/journal/entries';
import { sequenceEntry, tempJournal } from '../helpers/journals';

const TARGET = 10_000;
const KILLS = Number(process.env.CRASH_KILLS ?? 50);
const WRITER = path.join(__dirname, 'crash-writer.js');

function sameEntry(a: JournalEntry, b: JournalEntry): boolean {
  if (a.kind === 'UpdateMemoryRegionV1' && b.kind === 'UpdateMemoryRegionV1') {
    return a.region.start === b.region.start && a.region.end === b.region.end && Buffer.from(a.data).equals(Buffer.from(b.data));
  }
  try {
    assert.deepEqual(a, b);
    return true;
  } catch {
    return false;
  }
}

/** Runs the writer and kills it `delayMs` after it reports that it is writing. */
function runAndKill(file: string, delayMs: number, background: boolean): Promise<{ killed: boolean; startedAt: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRITER, file, String(TARGET), ...(background ? ['background'] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let startedAt = -1;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /ready (\d+)/.exec(out);
      if (m && startedAt < 0) {
        startedAt = Number(m[1]);
        setTimeout(() => child.kill('SIGKILL'), delayMs);
      }
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve({ killed: true, startedAt });
      else if (code === 0) resolve({ killed: false, startedAt });
      else reject(new Error(`writer exited with ${code}: ${err}`));
    });
  });
}

function checkPrefix(file: string): number {
  const j = LogFileJournal.openRead(file);
  let n = 0;
  try {
    for (const r of readAll(j)) {
      assert.ok(sameEntry(r.entry, sequenceEntry(n)), `record ${n} at byte ${r.offset} is not what was written`);
      n++;
    }
  } finally {
    j.close();
  }
  return n;
}

for (const background of [false, true]) {
  // With the background writer, large records are framed, compressed and written by its thread.
  const kills = background ? Math.ceil(KILLS / 2) : KILLS;
  test(`a writer${background ? ' with a background writer thread' : ''} killed with SIGKILL ${kills} times leaves a valid prefix every time`, { timeout: 300_000 }, async () => {
    await killMany(kills, background);
  });
}

async function killMany(KILLS: number, background: boolean): Promise<void> {
  let file = tempJournal(`crash-${background ? 'bg-' : ''}0.journal`);
  let files = 1;
  let torn = 0;
  let kills = 0;
  let seed = 12345;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  while (kills < KILLS) {
    const { killed } = await runAndKill(file, Math.floor(random() * 15), background);
    if (!killed) {
      // It wrote all 10,000 records before being killed: check them all, then start a new journal.
      assert.equal(checkPrefix(file), TARGET);
      file = tempJournal(`crash-${background ? 'bg-' : ''}${files++}.journal`);
      continue;
    }
    kills++;
    const count = checkPrefix(file);
    // Reopening for writing cuts off a torn tail; appending the next record then works.
    const w = LogFileJournal.openAppend(file);
    if (w.opened.truncatedBytes > 0) torn++;
    assert.equal(w.opened.records, count);
    if (count < TARGET) w.write(sequenceEntry(count));
    w.close();
    assert.equal(checkPrefix(file), Math.min(count + 1, TARGET));
  }
  assert.equal(kills, KILLS);
  // Whether a kill lands inside a write is luck; the byte-by-byte torn-tail test covers every case.
  process.stdout.write(`# crash test${background ? ' (background writer)' : ''}: ${kills} kills over ${files} journals, ${torn} torn tails cut off\n`);
}
