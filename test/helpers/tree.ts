// Describes a directory tree (type, mode, owner, size, content hash, link
// target, xattrs, hard-link groups) so a restored tree can be compared with
// its source in one deepEqual.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

export interface Entry {
  readonly type: 'file' | 'dir' | 'symlink' | 'other';
  readonly mode: string;
  readonly uid: number;
  readonly gid: number;
  readonly size?: number;
  readonly sha256?: string;
  readonly target?: string;
  /** The first path (sorted) of the hard-link group, when nlink > 1. */
  readonly linkedTo?: string;
  /** `user.*` / `security.*` xattrs as getfattr prints them. */
  readonly xattrs?: string;
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function xattrsOf(path: string): string | undefined {
  const out = execFileSync('getfattr', ['--absolute-names', '--no-dereference', '-d', '-m', '^user\\.', '-e', 'hex', path], { encoding: 'utf8' });
  const lines = out
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('# file:'))
    .sort();
  return lines.length > 0 ? lines.join('\n') : undefined;
}

/** Every entry under `root` (not root itself), keyed by relative path. */
export async function describeTree(root: string): Promise<Record<string, Entry>> {
  const out: Record<string, Entry> = {};
  const inodes = new Map<string, string>();
  const walk = async (rel: string): Promise<void> => {
    const names = (await readdir(join(root, rel))).sort();
    for (const name of names) {
      const relPath = rel === '' ? name : `${rel}/${name}`;
      const abs = join(root, relPath);
      const st = await lstat(abs);
      const base = { mode: (st.mode & 0o7777).toString(8), uid: st.uid, gid: st.gid };
      const xattrs = st.isSymbolicLink() ? undefined : xattrsOf(abs);
      const extra = xattrs !== undefined ? { xattrs } : {};
      if (st.isDirectory()) {
        out[relPath] = { type: 'dir', ...base, ...extra };
        await walk(relPath);
      } else if (st.isSymbolicLink()) {
        out[relPath] = { type: 'symlink', ...base, target: await readlink(abs) };
      } else if (st.isFile()) {
        const key = `${st.dev}:${st.ino}`;
        const first = st.nlink > 1 ? (inodes.get(key) ?? (inodes.set(key, relPath), relPath)) : undefined;
        out[relPath] = { type: 'file', ...base, size: st.size, sha256: await hashFile(abs), ...extra, ...(first !== undefined ? { linkedTo: first } : {}) };
      } else {
        out[relPath] = { type: 'other', ...base };
      }
    }
  };
  await walk('');
  return out;
}
