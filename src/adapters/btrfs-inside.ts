// The btrfs subvolumes inside a directory archived as it is (a `path`
// volume). Each subvolume has a device number of its own, so tar
// --one-file-system stops at it as at a mount point and archives an empty
// directory; unlike a mount, /proc/self/mountinfo does not show it.
import { readFile, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { locateOnBtrfs, resolvedPath } from './mountinfo.js';
import { runTool } from './run-tool.js';

/**
 * The top-most subvolumes inside directory `dir`, as paths relative to it
 * (sorted): those the archives of `dir` leave out. Not those at one of the
 * `archived` directories (other volumes of the policy), nor one holding
 * `backupDir` (left out of the archives on purpose). [] when `dir` is not
 * on btrfs; undefined when btrfs cannot tell: listing subvolumes needs root,
 * and btrfs-progs.
 */
export async function subvolumesInside(dir: string, archived: readonly string[] = [], backupDir?: string, mountinfoFile = '/proc/self/mountinfo'): Promise<string[] | undefined> {
  let real: string;
  let place: string | undefined;
  try {
    real = await realpath(dir);
    place = locateOnBtrfs(await readFile(mountinfoFile, 'utf8'), real);
  } catch {
    return undefined;
  }
  if (place === undefined) return [];
  // -o: the subvolumes whose parent is the subvolume holding `dir`, each by its path from the top level
  // (without -o, paths are relative to a subvol= mount's subvolume instead). The top-most ones inside
  // `dir` all have that parent: any other would lie inside one of them.
  const list = await runTool('btrfs', ['subvolume', 'list', '-o', real]);
  if (list.exitCode !== 0) return undefined;
  const prefix = place === '' ? '' : `${place}/`;
  const inside: string[] = [];
  for (const line of list.stdout.split('\n')) {
    const listed = / path (.+)$/.exec(line)?.[1]?.replace(/^<FS_TREE>\//, '');
    if (listed !== undefined && listed.startsWith(prefix) && listed.length > prefix.length) inside.push(listed.slice(prefix.length));
  }
  if (inside.length === 0) return [];
  // The same directory by device and inode, however it is reached (symlinks, another mount of the subvolume).
  const identity = (path: string): Promise<string | undefined> => stat(path, { bigint: true }).then((st) => `${st.dev}:${st.ino}`, () => undefined);
  const [others, ids, backups] = await Promise.all([Promise.all(archived.map(identity)), Promise.all(inside.map((rel) => identity(join(real, rel)))), backupDir === undefined ? undefined : resolvedPath(backupDir)]);
  const within = (path: string, root: string): boolean => path === root || path.startsWith(`${root}/`);
  return inside.filter((rel, i) => !(ids[i] !== undefined && others.includes(ids[i])) && !(backups !== undefined && within(backups, join(real, rel)))).sort();
}
