// Where the backup directory lies inside a volume, as the kernel sees it:
// symlinks resolved (/backup -> /srv/backup inside a `path: /srv` volume),
// and for LVM by device number (a root LV holding /backup, with or without
// `mount`). Plan's note and apply's tar exclusion both come from here.
import type { Volume } from '../core/model.js';
import { pathInside, volumeRoot } from '../core/self-exclusion.js';
import { pathWithinDevice, resolvedPath } from './mountinfo.js';

/**
 * The backup directory's path relative to the volume's root (what tar must
 * leave out of its archives), or undefined when it does not lie inside.
 */
export async function locateBackupDir(volume: Volume, backupDir: string): Promise<string | undefined> {
  if (volume.source.kind === 'lvm') {
    const onDevice = await pathWithinDevice(`/dev/${volume.source.vg}/${volume.source.lv}`, backupDir);
    if (onDevice !== undefined) return onDevice;
  }
  const root = volumeRoot(volume);
  return root === undefined ? undefined : pathInside(await resolvedPath(root), await resolvedPath(backupDir));
}
