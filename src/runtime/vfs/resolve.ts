// WASI path resolution over VFS nodes, as cap-std does it for wasmtime: the directory a call starts from is the
// capability. Absolute paths, `..` above the start and symlinks whose target is absolute or climbs above it are
// refused with EPERM; symlinks are followed on our side (at most MAX_SYMLINKS, then ELOOP), never by the host.

import { E, MAX_SYMLINKS } from '../wasi-defs';
import { FsError, type VDir, type VNode } from './types';

export interface Resolved {
  /** The directory holding the final component. */
  dir: VDir;
  /** The final component; '.' when the path names `dir` itself. */
  name: string;
  /** What the name refers to (after following a final symlink when asked), or undefined when it does not exist. */
  node: VNode | undefined;
  /** The path ended with a slash (so it must name a directory). */
  trailingSlash: boolean;
}

/**
 * Resolves `path` from `start`. Intermediate symlinks are always followed; the final one when `followFinal` is set
 * or the path ends with a slash.
 */
export function resolvePath(start: VDir, path: string, followFinal: boolean): Resolved {
  if (path.length === 0) throw new FsError(E.NOENT, 'empty path');
  if (path.includes('\0')) throw new FsError(E.INVAL, 'NUL in path');
  if (path.startsWith('/')) throw new FsError(E.PERM, `absolute path ${path}`);
  const stack: VDir[] = [start];
  const trailingSlash = path.endsWith('/');
  // Components still to walk, last first (so pop() gives the next one).
  const work = path.split('/').filter((c) => c !== '' && c !== '.').reverse();
  let followed = 0;
  let mustBeDir = trailingSlash;
  while (work.length > 0) {
    const comp = work.pop()!;
    const last = work.length === 0;
    const cur = stack[stack.length - 1];
    if (comp === '..') {
      if (stack.length === 1) throw new FsError(E.PERM, `${path} leads outside the folder`);
      stack.pop();
      continue;
    }
    const node = cur.lookup(comp);
    if (!node) {
      if (last) return { dir: cur, name: comp, node: undefined, trailingSlash: mustBeDir };
      throw new FsError(E.NOENT);
    }
    if (node.kind === 'symlink' && (!last || followFinal || mustBeDir)) {
      if (++followed > MAX_SYMLINKS) throw new FsError(E.LOOP);
      const target = node.target();
      if (target.startsWith('/')) throw new FsError(E.PERM, `symlink ${comp} -> ${target} is absolute`);
      if (target === '') throw new FsError(E.NOENT);
      // A target ending in a slash makes the final component a directory only when this link is the final one.
      if (last && target.endsWith('/')) mustBeDir = true;
      const parts = target.split('/').filter((c) => c !== '' && c !== '.');
      for (let i = parts.length - 1; i >= 0; i--) work.push(parts[i]);
      if (parts.length === 0 && last) return { dir: cur, name: '.', node: cur, trailingSlash: mustBeDir };
      continue;
    }
    if (!last) {
      if (node.kind !== 'dir') throw new FsError(E.NOTDIR);
      stack.push(node);
      continue;
    }
    if (mustBeDir && node.kind !== 'dir') throw new FsError(E.NOTDIR);
    return { dir: cur, name: comp, node, trailingSlash: mustBeDir };
  }
  const top = stack[stack.length - 1];
  return { dir: top, name: '.', node: top, trailingSlash: mustBeDir };
}
