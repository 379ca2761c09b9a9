// `npm run package`: the .vsix for this machine's platform (vsce --target), built from a production bundle. The
// native modules the runtime loads (lz4-napi, @node-rs/crc32) come as per-platform packages, so a .vsix carries only
// the binaries of the platform it was packed on: pack on each platform, or `npm run package -- --universal` for one
// .vsix that runs everywhere (elsewhere with the JavaScript fallbacks). Prints the size and what is in it.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const TARGETS = { 'linux-x64': 'linux-x64', 'linux-arm64': 'linux-arm64', 'darwin-x64': 'darwin-x64', 'darwin-arm64': 'darwin-arm64', 'win32-x64': 'win32-x64', 'win32-arm64': 'win32-arm64' };
// --universal: one .vsix for every platform (the native modules' binaries of this one inside; elsewhere the
// JavaScript fallbacks serve, see docs/benchmarks.md, "Portable ways").
const universal = process.argv.includes('--universal');
const target = universal ? 'universal' : TARGETS[`${process.platform}-${process.arch}`];
if (!target) {
  console.error(`package: no VS Code target for ${process.platform}-${process.arch}`);
  process.exit(1);
}
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const out = path.join(root, `${pkg.name}-${target}-${pkg.version}.vsix`);
const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
run('npx', ['webpack', '--mode', 'production']);
run('npx', ['vsce', 'package', ...(universal ? [] : ['--target', target]), '--allow-missing-repository', '--skip-license', '--no-rewrite-relative-links', '--out', out]);
const size = fs.statSync(out).size;
// What takes the room (a .vsix is a zip).
const listing = execFileSync('unzip', ['-l', out], { encoding: 'utf8' })
  .split('\n')
  .map((l) => /^\s*(\d+)\s+\S+\s+\S+\s+(.+)$/.exec(l))
  .filter(Boolean)
  .map((m) => ({ bytes: Number(m[1]), name: m[2] }));
const binaryen = listing.filter((f) => f.name.includes('node_modules/binaryen/')).reduce((a, f) => a + f.bytes, 0);
console.log(`\n${path.relative(root, out)}: ${(size / 1024 / 1024).toFixed(2)} MB (${listing.length} files; unpacked, binaryen ${(binaryen / 1024 / 1024).toFixed(1)} MB, the rest ${((listing.reduce((a, f) => a + f.bytes, 0) - binaryen) / 1024 / 1024).toFixed(1)} MB)`);
for (const f of listing.sort((a, b) => b.bytes - a.bytes).slice(0, 8)) console.log(`  ${(f.bytes / 1024).toFixed(0).padStart(8)} KiB  ${f.name}`);
