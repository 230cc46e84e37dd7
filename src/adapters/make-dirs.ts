// mkdir -p without node's { recursive: true }. In node 20 that loops forever,
// at 100% CPU, when mkdir answers ENOENT under a parent that exists (a path
// under /proc, an automounter or FUSE directory that cannot hold new
// entries), which would hang apply from cron with the host lock held; and it
// reports ENOENT where the real cause is a read-only file system or a
// permission. Here each directory is created once its parent exists, and a
// second ENOENT after creating the parent is final.
//
// Synchronous: a few mkdir(2) calls, on local paths (the run log, state and
// lock directories, mount points) or before a snapshot exists (the backup
// directory), so nothing needs the event loop meanwhile.
import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

function code(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException).code;
}

/** mkdir(2) of one directory; an existing directory (or a symlink to one) is fine, anything else in its place is ENOTDIR. */
function makeDir(path: string, mode: number): void {
  try {
    mkdirSync(path, { mode });
  } catch (err) {
    if (code(err) !== 'EEXIST') throw err;
    // A dangling symlink in the way: stat says ENOENT, which is the answer.
    if (!statSync(path).isDirectory()) {
      throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${path}'`), { code: 'ENOTDIR', syscall: 'mkdir', path });
    }
  }
}

/**
 * Creates `dir` and whichever of its parents are missing, each with `mode`
 * (before the umask, like mkdir(2)). Errors are the real ones (EROFS,
 * EACCES, ENOSPC, ENOTDIR), from the first directory that could not be made.
 */
export function makeDirs(dir: string, mode = 0o777): void {
  const path = resolve(dir);
  try {
    makeDir(path, mode);
    return;
  } catch (err) {
    if (code(err) !== 'ENOENT' || dirname(path) === path) throw err;
  }
  makeDirs(dirname(path), mode);
  makeDir(path, mode); // the parent exists now: a second ENOENT is final
}
