// Whether a source directory has anything in it. An empty directory where a
// volume should be is usually a file system that is not mounted: archiving it
// would replace real backups with empty ones as retention moves on.
import { opendir, stat } from 'node:fs/promises';

export type DirectoryState = 'entries' | 'empty' | 'none';

/**
 * 'entries' when `path` is a directory holding at least one entry (or one
 * that cannot be listed: this user may not read it, apply's root may),
 * 'empty' when it holds none, 'none' when it is missing or not a directory.
 */
export async function directoryState(path: string): Promise<DirectoryState> {
  const isDirectory = await stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDirectory) return 'none';
  const dir = await opendir(path).catch(() => undefined);
  if (dir === undefined) return 'entries';
  try {
    return (await dir.read()) === null ? 'empty' : 'entries';
  } catch {
    return 'entries';
  } finally {
    await dir.close().catch(() => undefined);
  }
}
