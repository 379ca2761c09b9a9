// Resuming through the snapshot index gives exactly what resuming from all of the journal's entries gives: the same
// frames, globals, file cursors, memory and restored effects, for every snapshot of real runs (one run that ended,
// and a second one appended to the same journal that went on from a snapshot of the first).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LogFileJournal, readAll, kindOf } from '../../src/journal';
import { SnapshotIndex } from '../../src/journal/snapshot-index';
import { indexedResume } from '../../src/runtime/snapshot/indexed-resume';
import { findResumePoint } from '../../src/runtime/snapshot/snapshotter';
import { GUESTS } from '../helpers/guest';
import { tempDir } from '../helpers/tmp';

const ROOT = path.join(__dirname, '..', '..', '..');
const BIN = path.join(ROOT, 'out', 'src', 'cli', 'bin.js');

function cli(args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { maxBuffer: 1 << 26 });
  return { code: r.status ?? -1, out: r.stdout.toString(), err: r.stderr.toString() };
}

const EFFECTS = new Set(['core', 'fs-fd', 'fs-path', 'networking']);

test('every snapshot resumed through the index equals the same snapshot resumed from all entries', () => {
  const misc = path.join(GUESTS, 'misc.wasm');
  const j = path.join(tempDir('wj-idxj-'), 'misc.journal');
  assert.equal(cli(['run', misc, '--snapshot-on', 'non-deterministic-call', '--journal-writable', j]).code, 0);
  // A second run, appended, going on from snapshot 2 of the first (and taking snapshots of its own).
  const second = cli(['run', misc, '--snapshot-on', 'non-deterministic-call', '--journal-writable', j, '--at', '2', '--skip-journal-stdio']);
  assert.equal(second.code, 0, second.err);
  const journal = LogFileJournal.openRead(j);
  const entries = [...readAll(journal)].map((r) => r.entry);
  journal.close();
  const count = entries.filter((e) => e.kind === 'SnapshotV1').length;
  assert.ok(count >= 8, `snapshots in both runs (${count})`);
  for (let k = 0; k < count; k++) {
    const whole = findResumePoint(entries, k)!;
    const indexed = indexedResume(j, k)!;
    assert.equal(indexed.snapshot, k);
    assert.deepEqual(Buffer.from(indexed.point.callStack), Buffer.from(whole.point.callStack), `frames of snapshot ${k}`);
    assert.deepEqual(indexed.point.store, whole.point.store, `globals of snapshot ${k}`);
    assert.deepEqual([...indexed.point.cursors], [...whole.point.cursors], `cursors of snapshot ${k}`);
    const a = new Uint8Array(whole.point.store.memoryBytes);
    const b = new Uint8Array(whole.point.store.memoryBytes);
    whole.point.applyMemory(a);
    indexed.point.applyMemory(b);
    assert.ok(Buffer.from(a).equals(Buffer.from(b)), `memory of snapshot ${k}`);
    const effects = entries.slice(0, whole.index + 1).filter((e) => EFFECTS.has(kindOf(e)!.category));
    assert.deepEqual(indexed.effects, effects, `effects before snapshot ${k}`);
  }
  // Without --at: the last run ended, so there is nothing to resume, either way.
  assert.equal(findResumePoint(entries), undefined);
  assert.equal(indexedResume(j), undefined);
  assert.equal(SnapshotIndex.open(j).status, 'loaded');
});

test('a damaged or stale index beside the journal does not change what a resumed run prints', () => {
  const misc = path.join(GUESTS, 'misc.wasm');
  const full = cli(['run', misc]);
  const j = path.join(tempDir('wj-idxj-'), 'misc.journal');
  assert.equal(cli(['run', misc, '--snapshot-on', 'non-deterministic-call', '--journal-writable', j]).code, 0);
  assert.equal(cli(['run', misc, '--journal', j, '--at', '1']).out, full.out);
  const idx = SnapshotIndex.pathFor(j);
  assert.ok(fs.existsSync(idx), 'the index is kept beside the journal');
  fs.writeFileSync(idx, fs.readFileSync(idx).subarray(0, 100));
  assert.equal(cli(['run', misc, '--journal', j, '--at', '2']).out, full.out);
  // An index of another journal copied over this one's.
  const other = path.join(tempDir('wj-idxj-'), 'other.journal');
  assert.equal(cli(['run', misc, '--snapshot-on', 'explicit,first-environ', '--journal-writable', other]).code, 0);
  SnapshotIndex.open(other);
  fs.copyFileSync(SnapshotIndex.pathFor(other), idx);
  const r = cli(['run', misc, '--journal', j, '--at', '3']);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, full.out);
});
