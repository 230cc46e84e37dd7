// A volume whose data holds the backup directory (a `path: /` volume with
// backupDir /backup on the same file system, an LVM volume mounted on /data
// with backupDir /data/backups) must not archive the backups: each archive
// would carry every earlier one, and the one being written. Lexical, on the
// absolute paths of the policy; a backup directory on another file system is
// skipped by tar's --one-file-system anyway.
import type { Volume } from './model.js';

/** `/a//b/./c/../d/` → ['a', 'b', 'd']. */
function components(path: string): string[] {
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return out;
}

/** Where the volume's archive root is on the live system: the path, the subvolume, or the origin's mount point (LVM, when given). */
export function volumeRoot(volume: Volume): string | undefined {
  switch (volume.source.kind) {
    case 'path':
      return volume.source.path;
    case 'btrfs':
      return volume.source.subvolume;
    case 'lvm':
      return volume.mount;
  }
}

/**
 * What the volume's archives leave out, relative to its root: the backup
 * directory when it lies strictly inside (`backup`, `srv/backups`), or the
 * host's directory in it when it is the root itself (`backupDir: /srv` for
 * `path: /srv`: `h1`, where this host's archives go); else undefined.
 */
export function backupDirInside(volume: Volume, backupDir: string, host: string): string | undefined {
  const root = volumeRoot(volume);
  return root === undefined ? undefined : leftOut(root, backupDir, host);
}

/** backupDirInside for a root: `backupDir` relative to it when strictly inside, `host` when the two are the same directory. */
export function leftOut(root: string, backupDir: string, host: string): string | undefined {
  const inside = pathInside(root, backupDir);
  if (inside !== undefined) return inside;
  const r = components(root);
  const b = components(backupDir);
  return r.length === b.length && r.every((part, i) => b[i] === part) ? host : undefined;
}

/** `path` relative to `root` when it lies strictly inside it (compared lexically), else undefined. */
export function pathInside(root: string, path: string): string | undefined {
  const r = components(root);
  const b = components(path);
  if (b.length <= r.length || r.some((part, i) => b[i] !== part)) return undefined;
  return b.slice(r.length).join('/');
}
