// Whether a source directory has anything in it. An empty directory where a
// volume should be is usually a file system that is not mounted: archiving it
// would replace real backups with empty ones as retention moves on.
import { opendir, stat } from 'node:fs/promises';

export type DirectoryState = 'entries' | 'empty' | 'missing' | 'not-directory';

/**
 * 'entries' when `path` is a directory holding at least one entry (or one
 * that this user may not look at or list: apply's root may), 'empty' when
 * it holds none, 'missing' when nothing is there (or a dangling symlink),
 * 'not-directory' when it is a file or another non-directory.
 */
export async function directoryState(path: string): Promise<DirectoryState> {
  const st = await stat(path).catch((err: NodeJS.ErrnoException) => err);
  if (st instanceof Error) return st.code === 'EACCES' || st.code === 'EPERM' ? 'entries' : 'missing';
  if (!st.isDirectory()) return 'not-directory';
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
