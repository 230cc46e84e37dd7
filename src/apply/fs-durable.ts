// Durable writes: a rename is only durable once the file's data and then the
// directory entry are on disk, so a crash never leaves a final name pointing
// at incomplete bytes. Readers see the old file or the new one, never half.
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Flushes a directory's entries (creations, renames, unlinks) to disk. A
 * file system that cannot fsync a directory at all says EINVAL (vboxsf,
 * older CIFS, /proc): there the rename is as durable as it can be made, and
 * failing the backup for it would lose the archive whose data is already
 * on disk.
 */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync().catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EINVAL') throw err;
    });
  } finally {
    await handle.close();
  }
}

/** Flushes a file's data and metadata to disk. */
export async function fsyncFile(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The temporary name used while an archive or its sidecar is written; `.partial`, so crash cleanup recognises it. */
export function tempNameFor(path: string): string {
  return `${path}.partial`;
}

export interface AtomicWriteOptions {
  /** File mode, applied exactly (regardless of umask). Default 0644. */
  readonly mode?: number;
  /**
   * The temporary file's path. Default: a dot-prefixed unique name in the same
   * directory, which directory scans (node_exporter's textfile collector, the
   * backup inventory) skip.
   */
  readonly tempPath?: string;
  /** fsync the directory after the rename (default true); false when the caller does it once after several renames. */
  readonly syncDir?: boolean;
}

/** Replaces `path` atomically with `data`: temp file, fsync, rename over `path`, fsync the directory. */
export async function writeFileAtomic(path: string, data: string | Uint8Array, opts: AtomicWriteOptions = {}): Promise<void> {
  const dir = dirname(path);
  const mode = opts.mode ?? 0o644;
  const temp = opts.tempPath ?? join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const handle = await open(temp, opts.tempPath === undefined ? 'wx' : 'w', mode);
    try {
      await handle.chmod(mode);
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  if (opts.syncDir ?? true) await fsyncDir(dir);
}
