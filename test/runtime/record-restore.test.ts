// For each guest program: record a run, restore from its journal (the files and the terminal text must be what the
// run left), and replay it (identical output, no divergence). In every file-system mode.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { MemoryJournal, type LogRecord } from '../../src/journal';
import { CapturedTerminal, replayProgram, startProcess } from '../../src/runtime/runtime';
import type { VDir } from '../../src/runtime/vfs/types';
import { LiveWorld } from '../../src/runtime/world';
import { guest, runGuest, treeOf } from '../helpers/guest';
import { tempDir } from '../helpers/tmp';

/** The tree under a VFS directory, in the form treeOf gives for host folders. */
function treeOfVfs(dir: VDir): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: VDir, rel: string): void => {
    for (const e of [...d.list()].sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      const n = d.lookup(e.name)!;
      if (n.kind === 'symlink') out[r] = `-> ${n.target()}`;
      else if (n.kind === 'dir') {
        out[r + '/'] = '';
        walk(n, r);
      } else {
        const h = n.open({ read: true, write: false });
        const buf = new Uint8Array(h.size());
        h.read(0, buf);
        h.close();
        out[r] = Buffer.from(buf).toString('latin1');
      }
    }
  };
  walk(dir, '');
  return out;
}

const PROGRAMS: { name: string; args?: string[]; env?: string[] }[] = [
  { name: 'hello', args: ['0', 'a', 'b'], env: ['WJ_X=1', 'OTHER=2'] },
  { name: 'files' },
];

const records = (j: MemoryJournal): LogRecord[] => j.all().map((entry, index) => ({ entry, index, offset: 0, size: 0 }));

for (const p of PROGRAMS) {
  for (const mode of ['host', 'overlay', 'memory'] as const) {
    test(`${p.name} (${mode}): record, restore the files and the terminal, replay exactly`, async () => {
      const folder = tempDir('wj-rec-');
      const dirs = [{ host: folder, guest: '/sandbox' }];
      const journal = new MemoryJournal();
      const first = await runGuest(p.name, { args: p.args, env: p.env, dirs, fs: mode, journal });
      assert.equal(first.result.trap, undefined, first.result.trap);
      const mount = (proc: { mounts: readonly { root: VDir }[] }): VDir => proc.mounts[0].root;

      // What the run left: on the host in host mode; in memory otherwise (the host folder stays empty).
      const left = mode === 'host' ? treeOf(folder) : undefined;
      if (mode !== 'host') assert.deepEqual(treeOf(folder), {}, 'overlay and memory runs leave the host folder alone');

      // Restore into a fresh folder.
      const fresh = tempDir('wj-restore-');
      const terminal = new CapturedTerminal();
      const module = await guest(p.name);
      const { proc, restore } = startProcess(
        { module, world: new LiveWorld(['x'], [], mode, [{ host: fresh, guest: '/sandbox' }]), terminal, restore: [...journal.all()] },
        { write: () => undefined },
        undefined,
        true,
      );
      assert.deepEqual(restore?.skipped, []);
      assert.equal(terminal.text(1), first.stdout, 'the terminal text comes back once');
      assert.equal(terminal.text(2), first.stderr);
      const restored = mode === 'host' ? treeOf(fresh) : treeOfVfs(mount(proc));
      if (left) assert.deepEqual(restored, left);
      else {
        // Compare with a restore of the same journal in host mode, which writes the files out.
        const hostCopy = tempDir('wj-restore-host-');
        startProcess(
          { module, world: new LiveWorld(['x'], [], 'host', [{ host: hostCopy, guest: '/sandbox' }]), terminal: new CapturedTerminal(), restore: [...journal.all()] },
          { write: () => undefined },
        );
        assert.deepEqual(restored, treeOf(hostCopy));
        assert.deepEqual(treeOf(fresh), {}, 'an overlay restore does not touch the host folder');
      }
      proc.fds.closeAll();

      // Replay: the same output, every entry checked, without the host folder.
      fs.rmSync(folder, { recursive: true, force: true });
      const out = new CapturedTerminal();
      const r = await replayProgram({ module, records: records(journal), terminal: out });
      assert.equal(out.text(1), first.stdout);
      assert.equal(r.exitCode, first.exitCode);
      assert.equal(r.entriesChecked, journal.length);
      assert.deepEqual(r.memoryHash, first.result.memoryHash);
    });
  }
}

test('replay reports the first divergence with its entry number', async () => {
  const folder = tempDir('wj-div-');
  const journal = new MemoryJournal();
  await runGuest('hello', { args: ['0', 'x'], dirs: [{ host: folder, guest: '/sandbox' }], journal });
  const recs = records(journal);
  const i = recs.findIndex((r) => r.entry.kind === 'FileDescriptorWriteV1');
  const e = recs[i].entry as Extract<typeof recs[number]['entry'], { kind: 'FileDescriptorWriteV1' }>;
  const data = e.data.slice();
  data[0] ^= 0x20;
  recs[i] = { ...recs[i], entry: { ...e, data } };
  await assert.rejects(replayProgram({ module: await guest('hello'), records: recs, terminal: new CapturedTerminal() }), (err: Error) => {
    assert.match(err.message, new RegExp(`^replay diverged at entry ${i}: the recording holds fd-write \\(fd=1, offset=0, data\\.len=\\d+\\), the program did fd-write .* \\(same call, different data\\)$`));
    return true;
  });
  // A recording cut short: the program asks for more than the recording holds.
  await assert.rejects(replayProgram({ module: await guest('hello'), records: records(journal).slice(0, 3), terminal: new CapturedTerminal() }), /replay diverged at the end of the recording/);
});

test('a journal from another module is refused unless forced', async () => {
  const journal = new MemoryJournal();
  await runGuest('hello', { journal });
  await assert.rejects(runGuest('files', { restore: [...journal.all()] }), /the journal was recorded from another module .*--force/);
  const forced = await runGuest('hello', { restore: [...journal.all()], force: true, args: ['3'] });
  assert.equal(forced.exitCode, 3);
});
