// Reads the host's backup directory: names only (one readdir, no stat per
// file), so 100,000 archives cost one system call batch, not 100,000.
import { lstat, readdir, readlink, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SnapctlError } from '../core/errors.js';

export interface DirListing {
  readonly exists: boolean;
  readonly files: string[];
}

/** Listings started ahead of time by `prefetchBackupDir`, by directory, until listBackupDir takes them. */
const prefetched = new Map<string, Promise<string[]>>();

/**
 * Start reading `dir` in the background (node's thread pool) so that a large
 * directory is read while the policy and the modules load, on the other
 * core. listBackupDir(dir) then takes this listing instead of reading again.
 */
export function prefetchBackupDir(dir: string): void {
  if (prefetched.has(dir)) return;
  const listing = readdir(dir);
  // Errors are reported by listBackupDir; one never asked for must not become an unhandled rejection.
  listing.catch(() => undefined);
  prefetched.set(dir, listing);
}

export async function listBackupDir(dir: string): Promise<DirListing> {
  const pending = prefetched.get(dir);
  prefetched.delete(dir);
  try {
    // Names only: no Dirent per entry. A subdirectory is simply an unmanaged name.
    return { exists: true, files: await (pending ?? readdir(dir)) };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { exists: false, files: [] };
    if (code === 'ENOTDIR') {
      throw new SnapctlError('input', `backup directory ${dir} is not a directory`, 'archives live in <backupDir>/<host>/; check backupDir in the policy or --backup-dir');
    }
    if (code === 'EACCES' || code === 'EPERM') {
      throw new SnapctlError(
        'input',
        `cannot read backup directory ${dir}: permission denied`,
        'run as a user that can read it. apply creates it (and missing parents) mode 0700; to let a monitoring user list it ' +
          `(status, list, plan), give it that user's group and mode 0750, with its parents searchable (x): chgrp nagios ${dir} && chmod 0750 ${dir}. ` +
          'apply keeps the mode of an existing directory; archives stay 0600',
      );
    }
    // ELOOP, EIO, ESTALE (a dead NFS mount), ENAMETOOLONG…: the system's own words, not an internal error.
    if (typeof code === 'string') throw new SnapctlError('operation', `cannot read backup directory ${dir}: ${systemMessage(err as NodeJS.ErrnoException)}`);
    throw err;
  }
}

/** "ELOOP: too many symbolic links encountered, scandir '/x'" → "too many symbolic links encountered (ELOOP)". */
function systemMessage(err: NodeJS.ErrnoException): string {
  const words = err.message.replace(/^[A-Z0-9]+: /, '').replace(/, \w+ '.*'$/s, '');
  return `${words} (${err.code ?? 'error'})`;
}

/**
 * The symbolic link that leaves the missing directory `dir` dangling: `dir`
 * itself or the nearest ancestor that is a link to nothing (`/backup ->
 * /mnt/nas/backup` with the NAS not mounted). undefined when none does.
 */
export async function danglingLink(dir: string): Promise<{ readonly link: string; readonly target: string } | undefined> {
  for (let path = dir; ; path = dirname(path)) {
    const isLink = await lstat(path).then(
      (st) => st.isSymbolicLink(),
      () => false,
    );
    if (isLink) {
      const resolves = await stat(path).then(
        () => true,
        () => false,
      );
      if (!resolves) return { link: path, target: await readlink(path).catch(() => '?') };
    }
    if (dirname(path) === path) return undefined;
  }
}
