// /proc/self/mountinfo and device numbers, without child processes (plan
// loads this for every volume): where a path lies inside a block device's
// file system.
import { readFile, realpath, stat } from 'node:fs/promises';
import { posix } from 'node:path';

/** The kernel escapes space, tab, newline and backslash in mount fields as octal (`\040`). */
export function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/**
 * Where the absolute, symlink-free `path` lies within the file system of the
 * device `majorMinor` ("253:3"), relative to that file system's root, per
 * /proc/self/mountinfo: the mount holding `path` (longest mount point; the
 * last of stacked ones) must be of that device, and its root field places
 * bind mounts right. '' is the file system's root; undefined: not on it.
 */
export function locateOnDevice(mountinfo: string, majorMinor: string, path: string): string | undefined {
  let best: { point: string; root: string; device: string } | undefined;
  for (const line of mountinfo.split('\n')) {
    const f = line.split(' ');
    const [device, rootField, pointField] = [f[2], f[3], f[4]];
    if (device === undefined || rootField === undefined || pointField === undefined) continue;
    const point = unescapeMountField(pointField);
    const holds = point === '/' || path === point || path.startsWith(`${point}/`);
    if (holds && (best === undefined || point.length >= best.point.length)) best = { point, root: unescapeMountField(rootField), device };
  }
  if (best === undefined || best.device !== majorMinor) return undefined;
  return posix.join(best.root, posix.relative(best.point, path)).replace(/^\/+/, '');
}

/** Linux dev_t → "major:minor", as mountinfo writes it. */
function majorMinor(dev: bigint): string {
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  return `${major}:${minor}`;
}

/**
 * Where directory `dir` lies inside the file system on block device
 * `device` (e.g. an LV's /dev/vg/lv), relative to its root: so a snapshot
 * of that device can leave it out. Undefined when it lies elsewhere, is that
 * root itself, or cannot be told.
 */
export async function pathWithinDevice(device: string, dir: string, mountinfoFile = '/proc/self/mountinfo'): Promise<string | undefined> {
  try {
    const st = await stat(device, { bigint: true });
    if (!st.isBlockDevice()) return undefined;
    const where = locateOnDevice(await readFile(mountinfoFile, 'utf8'), majorMinor(st.rdev), await realpath(dir));
    return where === '' ? undefined : where;
  } catch {
    return undefined;
  }
}
