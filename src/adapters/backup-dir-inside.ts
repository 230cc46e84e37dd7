// Where the backup directory lies inside a volume, as the kernel sees it:
// symlinks resolved (/backup -> /srv/backup inside a `path: /srv` volume),
// by its place in the volume's file system for path and btrfs volumes (a
// bind mount of /srv/backup, a btrfs subvol= mount), and for LVM by device
// number (a root LV holding /backup, with or without `mount`). Plan's note
// and apply's tar exclusion both come from here.
import type { Volume } from '../core/model.js';
import { leftOut, volumeRoot } from '../core/self-exclusion.js';
import { pathBelowOnFileSystem, pathWithinDevice, resolvedPath } from './mountinfo.js';

/**
 * What tar must leave out of the volume's archives, relative to its root:
 * the backup directory, or the host's directory in it when the backup
 * directory is the root itself (see backupDirInside); undefined when it does
 * not lie inside.
 */
export async function locateBackupDir(volume: Volume, backupDir: string, host: string): Promise<string | undefined> {
  if (volume.source.kind === 'lvm') {
    const onDevice = await pathWithinDevice(`/dev/${volume.source.vg}/${volume.source.lv}`, backupDir);
    if (onDevice !== undefined) return onDevice === '' ? host : onDevice;
  }
  const root = volumeRoot(volume);
  if (root === undefined) return undefined;
  const spelt = leftOut(await resolvedPath(root), await resolvedPath(backupDir), host);
  if (spelt !== undefined || volume.source.kind === 'lvm') return spelt;
  // Reached through another mount of the volume's file system, the backup
  // directory is still in the tree tar reads (the directory itself, or the
  // btrfs snapshot of the subvolume) at its place below the root.
  const below = await pathBelowOnFileSystem(root, backupDir);
  return below === '' ? host : below;
}
