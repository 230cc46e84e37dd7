// fsync helpers: a rename is only durable once the file's data and then the
// directory entry are on disk, so a crash never leaves a final name pointing
// at incomplete bytes.
import { open, rename, rm } from 'node:fs/promises';

/** Flushes a directory's entries (creations, renames, unlinks) to disk. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
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

/** The temporary name used while `path` is written; `.partial` like every incomplete write, so cleanup recognises it. */
export function tempNameFor(path: string): string {
  return `${path}.partial`;
}

/**
 * Writes a small file atomically: temp file, fsync, rename over `path`.
 * The caller fsyncs the directory (once, after its last rename).
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const temp = tempNameFor(path);
  try {
    const handle = await open(temp, 'w', 0o644);
    try {
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
}
