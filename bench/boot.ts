// Boot from a snapshot (issue 13): the time from starting a server to its first answered request, a cold start
// against a restore from the snapshot taken at its first listen, for a server that does real work before it
// listens (test/fixtures/guests/httpd.c: it builds a table of primes, WORK rounds). Goal: the restore at least 5x
// faster. Both are `wasm-journal run` of the installed command (dist/cli.js), each a whole process from its spawn to
// the first answer's last byte. Usage: node out/bench/boot.js [--quick] [--work=N]

import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';

const quick = process.argv.includes('--quick');
const WORK = Number(process.argv.find((a) => a.startsWith('--work='))?.slice(7) ?? (quick ? 20 : 100));
const root = path.join(__dirname, '..', '..');
const BIN = path.join(root, 'dist', 'cli.js');
const HTTPD = path.join(root, 'test', 'fixtures', 'guests', 'httpd.wasm');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wj-bench-boot-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function get(port: number, p: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: p, agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
  });
}

/** Spawns the server; the ms from the spawn to the end of the first answer, and that answer. */
function boot(args: string[]): Promise<{ ms: number; answer: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const c = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let asked = false;
    c.stderr.on('data', (d) => (err += d));
    c.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (\d+)/.exec(out);
      if (!m || asked) return;
      asked = true;
      const port = Number(m[1]);
      get(port, '/stats')
        .then((answer) => {
          const ms = performance.now() - t0;
          return get(port, '/quit').then(() => resolve({ ms, answer }));
        })
        .catch(reject);
    });
    c.on('exit', (code) => {
      if (!asked) reject(new Error(`the server ended (${code}) before it listened: ${err}`));
    });
  });
}

async function main(): Promise<void> {
  const journal = path.join(tmp, 'httpd.journal');
  const rec = spawnSync(process.execPath, [BIN, 'run', HTTPD, '--snapshot-on', 'first-listen', '--stop-after-snapshot', '--journal-writable', journal, '--', '0', String(WORK)], { encoding: 'utf8' });
  if (rec.status !== 0) throw new Error(`recording failed: ${rec.stderr}`);
  const snapshotBytes = fs.statSync(journal).size;
  const cold: number[] = [];
  const restored: number[] = [];
  let coldAnswer = '';
  let restoredAnswer = '';
  const rounds = quick ? 3 : 7;
  for (let r = 0; r < rounds; r++) {
    const c = await boot(['run', HTTPD, '--', '0', String(WORK)]);
    cold.push(c.ms);
    coldAnswer = c.answer;
    // The journal is only read: every restore starts from the same snapshot (and binds the port it recorded).
    const s = await boot(['run', HTTPD, '--journal', journal]);
    restored.push(s.ms);
    restoredAnswer = s.answer;
  }
  if (coldAnswer !== restoredAnswer) throw new Error(`the restored server answered ${restoredAnswer}, the cold one ${coldAnswer}`);
  const speed = median(cold) / median(restored);
  const cores = os.cpus();
  console.log('### Boot from a snapshot (bench/boot.ts)\n');
  console.log(`${new Date().toISOString().slice(0, 10)}, node ${process.version}, ${cores.length} cores (${cores[0]?.model.trim() ?? '?'}); \`wasm-journal run\` of dist/cli.js, ${rounds} rounds alternating, medians.\n`);
  console.log(
    `test/fixtures/guests/httpd.c, ${WORK} rounds of work before it listens (a table of ${/primes (\d+)/.exec(coldAnswer)?.[1] ?? '?'} primes): spawn to the first answered request, ` +
      `cold start ${median(cold).toFixed(0)} ms (${Math.min(...cold).toFixed(0)}-${Math.max(...cold).toFixed(0)}), restored from its first-listen snapshot (a journal of ` +
      `${(snapshotBytes / 1e6).toFixed(1)} MB) ${median(restored).toFixed(0)} ms (${Math.min(...restored).toFixed(0)}-${Math.max(...restored).toFixed(0)}): **${speed.toFixed(1)}x faster** ` +
      `(goal at least 5x: ${speed >= 5 ? 'met' : 'not met'}); the same first answer (\`${coldAnswer.trim()}\`).`,
  );
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
