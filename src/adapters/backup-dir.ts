// Reads the host's backup directory: names only (one readdir, no stat per
// file), so 100,000 archives cost one system call batch, not 100,000.
import { readdir } from 'node:fs/promises';
import { SnapctlError } from '../core/errors.js';

export interface DirListing {
  readonly exists: boolean;
  readonly files: string[];
}

export async function listBackupDir(dir: string): Promise<DirListing> {
  try {
    // Names only: no Dirent per entry. A subdirectory is simply an unmanaged name.
    return { exists: true, files: await readdir(dir) };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { exists: false, files: [] };
    if (code === 'ENOTDIR') {
      throw new SnapctlError('input', `backup directory ${dir} is not a directory`, 'archives live in <backupDir>/<host>/; check backupDir in the policy or --backup-dir');
    }
    if (code === 'EACCES' || code === 'EPERM') {
      throw new SnapctlError('input', `cannot read backup directory ${dir}: permission denied`, 'run as a user that can read it (apply runs as root)');
    }
    throw err;
  }
}
