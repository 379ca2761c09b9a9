// For each guest program: record a run, restore from its journal (the files and the terminal text must be what the
// run left), and replay it (identical output, no divergence). In every file-system mode.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MemoryJournal, type LogRecord } from '../../src/journal';
import { CapturedTerminal, replayProgram, startProcess } from '../../src/runtime/runtime';
import type { VDir } from '../../src/runtime/vfs/types';
import { LiveWorld } from '../../src/runtime/world';
import { GUESTS, guest, runGuest, treeOf } from '../helpers/guest';
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

/** One program run of test/fixtures/guests/expected/manifest.json: what wasmtime prints and exits with. */
interface ManifestRun {
  program: string;
  args: string[];
  env: Record<string, string>;
  stdin: string | null;
  exitCode: number;
  stdoutFile: string | null;
  sandboxFiles?: Record<string, string>;
  trap?: string;
  error?: string;
}

const EXPECTED = path.join(GUESTS, 'expected');
const MANIFEST = JSON.parse(fs.readFileSync(path.join(EXPECTED, 'manifest.json'), 'utf8')) as ManifestRun[];

const records = (j: MemoryJournal): LogRecord[] => j.all().map((entry, index) => ({ entry, index, offset: 0, size: 0 }));

for (const p of MANIFEST.filter((m) => m.error === undefined)) {
  const name = p.program.replace(/\.wasm$/, '');
  const label = [name, ...p.args].join(' ');
  for (const mode of ['host', 'overlay', 'memory'] as const) {
    test(`${label} (${mode}): wasmtime's output; restore brings back the files and the terminal; replay is exact`, async () => {
      // The folder the program gets, with a secret next to it (the escape program must not reach it).
      const outer = tempDir('wj-rec-');
      const folder = path.join(outer, 'sandbox');
      fs.mkdirSync(folder);
      fs.writeFileSync(path.join(outer, 'secret.txt'), 'SECRET\n');
      const dirs = [{ host: folder, guest: '/sandbox' }];
      const env = Object.entries(p.env).map(([k, v]) => `${k}=${v}`);
      const stdin = p.stdin === null ? undefined : path.join(EXPECTED, p.stdin);
      const journal = new MemoryJournal();
      const first = await runGuest(name, { args: p.args, env, dirs, fs: mode, journal, stdin });
      assert.equal(first.exitCode, p.exitCode, first.stderr + (first.result.trap ?? ''));
      if (p.trap !== undefined) assert.ok(first.result.trap, 'it trapped');
      else assert.equal(first.result.trap, undefined, first.result.trap);
      if (p.stdoutFile !== null) assert.equal(first.stdout, fs.readFileSync(path.join(EXPECTED, p.stdoutFile), 'utf8'));
      assert.equal(fs.readFileSync(path.join(outer, 'secret.txt'), 'utf8'), 'SECRET\n', 'nothing outside the folder changed');
      const module = await guest(name);

      // What the run left: on the host in host mode; in memory otherwise (the host folder stays empty).
      const mount = (proc: { mounts: readonly { root: VDir }[] }): VDir => proc.mounts[0].root;
      if (mode !== 'host') assert.deepEqual(treeOf(folder), {}, 'overlay and memory runs leave the host folder alone');
      else for (const [file, want] of Object.entries(p.sandboxFiles ?? {})) {
        assert.equal(fs.readFileSync(path.join(folder, file), 'utf8'), fs.readFileSync(path.join(EXPECTED, want), 'utf8'));
      }

      // Restore into a fresh folder: the same files, and the terminal text printed once.
      const fresh = tempDir('wj-restore-');
      const terminal = new CapturedTerminal();
      const { proc, restore } = startProcess(
        { module, world: new LiveWorld(['x'], [], mode, [{ host: fresh, guest: '/sandbox' }]), terminal, restore: [...journal.all()] },
        { write: () => undefined },
        undefined,
        true,
      );
      assert.deepEqual(restore?.skipped, []);
      assert.equal(terminal.text(1), first.stdout, 'the terminal text comes back once');
      assert.equal(terminal.text(2), first.stderr);
      if (mode === 'host') assert.deepEqual(treeOf(fresh), treeOf(folder));
      else {
        // The in-memory files equal what a host-mode restore of the same journal writes out.
        const hostCopy = tempDir('wj-restore-host-');
        startProcess(
          { module, world: new LiveWorld(['x'], [], 'host', [{ host: hostCopy, guest: '/sandbox' }]), terminal: new CapturedTerminal(), restore: [...journal.all()] },
          { write: () => undefined },
        ).proc.fds.closeAll();
        assert.deepEqual(treeOfVfs(mount(proc)), treeOf(hostCopy));
        assert.deepEqual(treeOf(fresh), {}, 'an overlay restore does not touch the host folder');
      }
      proc.fds.closeAll();

      // Replay: the same output, every entry checked, without the host folder or stdin.
      fs.rmSync(outer, { recursive: true, force: true });
      const out = new CapturedTerminal();
      const r = await replayProgram({ module, records: records(journal), terminal: out });
      assert.equal(out.text(1), first.stdout);
      assert.equal(out.text(2), first.stderr);
      assert.equal(r.exitCode, first.exitCode);
      assert.equal(r.trap, first.result.trap);
      assert.equal(r.entriesChecked, journal.length);
      assert.deepEqual(r.memoryHash, first.result.memoryHash);
    });
  }
}

test('a program importing what we do not provide is refused, as wasmtime refuses it', async () => {
  for (const p of MANIFEST.filter((m) => m.error !== undefined)) {
    await assert.rejects(runGuest(p.program.replace(/\.wasm$/, '')), /imports what wasm-journal does not provide: env\.not_provided \(function\)/);
  }
});

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
