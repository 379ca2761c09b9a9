// How journal entries name files: a path relative to a directory descriptor. Both the state model and compaction key
// files by the same resolved, lexically normalised path, so they always agree on which entries touch the same file.

/** The key of a descriptor the journal never opened (a preopened folder or an inherited descriptor). */
export function rootKey(fd: number): string {
  return `fd${fd}:`;
}

/**
 * Joins `path` onto the directory key `dir` and normalises it: empty and "." components vanish, ".." removes the
 * previous component and never climbs above the root (WASI refuses such paths, so a journal never holds them
 * successfully). An absolute path is taken relative to the root of `dir`.
 */
export function resolveKey(dir: string, path: string): string {
  const colon = dir.indexOf(':');
  const root = dir.slice(0, colon + 1);
  const parts = path.startsWith('/') ? [] : dir.slice(colon + 1).split('/').filter((p) => p !== '');
  for (const p of path.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') parts.pop();
    else parts.push(p);
  }
  return root + (parts.length ? '/' + parts.join('/') : '');
}

/** True when `key` is `dir` itself or inside it. */
export function isUnder(key: string, dir: string): boolean {
  return key === dir || (key.startsWith(dir) && key[dir.length] === '/');
}

/** Moves `key` from under `from` to under `to` (rename of a directory). */
export function rebase(key: string, from: string, to: string): string {
  return to + key.slice(from.length);
}
