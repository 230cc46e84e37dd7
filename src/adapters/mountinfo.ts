// /proc/self/mountinfo and device numbers, without child processes (plan
// loads this for every volume): where a path lies inside a block device's
// file system, or below a directory of its own file system; how a dev_t
// splits into major and minor (also for /proc/locks).
import { readFile, realpath, stat, statfs } from 'node:fs/promises';
import { basename, dirname, join, posix } from 'node:path';
import type { Mount } from '../core/model.js';

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
  const place = placeOnFileSystem(parseMountinfo(mountinfo), path);
  return place?.device === majorMinor ? place.path : undefined;
}

/**
 * Where the absolute, symlink-free `path` lies below the directory `root`,
 * relative to it, per /proc/self/mountinfo: both are placed in their file
 * system by the mounts holding them, so a path reached through another mount
 * of the same file system (a bind mount, a btrfs `subvol=` mount) is found
 * as well. '' is `root` itself; undefined: on another file system, or not
 * below `root` in it.
 */
export function locateBelow(mountinfo: string, root: string, path: string): string | undefined {
  const entries = parseMountinfo(mountinfo);
  const [from, at] = [placeOnFileSystem(entries, root), placeOnFileSystem(entries, path)];
  if (from === undefined || at === undefined || from.device !== at.device) return undefined;
  if (at.path === from.path) return '';
  if (from.path === '') return at.path;
  return at.path.startsWith(`${from.path}/`) ? at.path.slice(from.path.length + 1) : undefined;
}

/**
 * Where the absolute, symlink-free `path` lies within the btrfs file system
 * holding it, relative to its top level (subvolume 5), per mountinfo text:
 * a `-o subvol=` mount's root field names the subvolume mounted. '' is the
 * top level itself; undefined: not on btrfs.
 */
export function locateOnBtrfs(mountinfo: string, path: string): string | undefined {
  const best = holdingMount(parseMountinfo(mountinfo), path);
  return best === undefined || best.fstype !== 'btrfs' ? undefined : placeIn(best, path);
}

/**
 * The device of the file system holding the absolute `path` ("major:minor"
 * as mountinfo writes it: for btrfs the same for every subvolume, unlike
 * st_dev) and where `path` lies in it (see placeIn); undefined when no mount
 * holds it.
 */
function placeOnFileSystem(entries: readonly MountinfoEntry[], path: string): { readonly device: string; readonly path: string } | undefined {
  const best = holdingMount(entries, path);
  return best === undefined ? undefined : { device: best.device, path: placeIn(best, path) };
}

/** `path` (below the mount point of `mount`) relative to the root of the file system mounted there ('' for that root; the mount's root field places bind mounts right). */
function placeIn(mount: MountinfoEntry, path: string): string {
  return posix.join(mount.root, posix.relative(mount.point, path)).replace(/^\/+/, '');
}

interface MountinfoEntry {
  /** "major:minor" of the file system's device. */
  readonly device: string;
  /** The directory of the file system mounted here (not "/" for a bind mount of a subdirectory). */
  readonly root: string;
  readonly point: string;
  /** Whether the mount or its file system is read-only. */
  readonly readOnly: boolean;
  readonly fstype: string;
  readonly source: string;
}

/** The lines of /proc/self/mountinfo, fields unescaped; malformed lines are skipped. */
export function parseMountinfo(mountinfo: string): MountinfoEntry[] {
  const entries: MountinfoEntry[] = [];
  for (const line of mountinfo.split('\n')) {
    const f = line.split(' ');
    const sep = f.indexOf('-');
    const [device, rootField, pointField, options] = [f[2], f[3], f[4], f[5]];
    if (sep < 0 || device === undefined || rootField === undefined || pointField === undefined || options === undefined) continue;
    const superOptions = f[sep + 3] ?? '';
    entries.push({
      device,
      root: unescapeMountField(rootField),
      point: unescapeMountField(pointField),
      readOnly: options.split(',').includes('ro') || superOptions.split(',').includes('ro'),
      fstype: f[sep + 1] ?? '',
      source: unescapeMountField(f[sep + 2] ?? ''),
    });
  }
  return entries;
}

/** The mount that holds the absolute `path`: the longest mount point above it, the last of stacked ones. */
function holdingMount(entries: readonly MountinfoEntry[], path: string): MountinfoEntry | undefined {
  let best: MountinfoEntry | undefined;
  for (const e of entries) {
    const holds = e.point === '/' || path === e.point || path.startsWith(`${e.point}/`);
    if (holds && (best === undefined || e.point.length >= best.point.length)) best = e;
  }
  return best;
}

/** Whether the absolute, symlink-free `path` lies on a read-only mount (or file system), per mountinfo text. */
export function onReadOnlyMount(mountinfo: string, path: string): boolean {
  return holdingMount(parseMountinfo(mountinfo), path)?.readOnly === true;
}

/** File systems that hold no data of their own to back up. */
const PSEUDO_FS = new Set(['proc', 'sysfs', 'devtmpfs', 'devpts', 'tmpfs', 'ramfs', 'cgroup', 'cgroup2', 'securityfs', 'debugfs', 'tracefs', 'pstore', 'bpf', 'mqueue', 'hugetlbfs', 'configfs', 'fusectl', 'autofs', 'binfmt_misc', 'efivarfs', 'nsfs', 'rpc_pipefs', 'selinuxfs', 'squashfs', 'overlay']);

/**
 * The data file systems mounted below the absolute, symlink-free directory
 * `dir` on another device than `dir` itself, per mountinfo text: what tar's
 * --one-file-system leaves out of an archive of `dir`. A bind mount of
 * `dir`'s own file system is not one (tar crosses it), nor are pseudo file
 * systems (proc, tmpfs, …). In mount order.
 */
export function dataMountsBelow(mountinfo: string, dir: string): Mount[] {
  const entries = parseMountinfo(mountinfo);
  const own = holdingMount(entries, dir)?.device;
  const prefix = dir === '/' ? '/' : `${dir}/`;
  return entries.filter((e) => e.point.startsWith(prefix) && e.device !== own && !PSEUDO_FS.has(e.fstype)).map((e) => ({ target: e.point, fstype: e.fstype, source: e.source }));
}

/** dataMountsBelow for a directory as spelt (symlinks resolved); [] when it cannot be told. */
export async function dataMountsInside(dir: string, mountinfoFile = '/proc/self/mountinfo'): Promise<Mount[]> {
  try {
    return dataMountsBelow(await readFile(mountinfoFile, 'utf8'), await realpath(dir));
  } catch {
    return [];
  }
}

/** A Linux dev_t (st_dev, st_rdev) taken apart the glibc way. */
export function deviceNumbers(dev: bigint): { readonly major: bigint; readonly minor: bigint } {
  return { major: ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn), minor: (dev & 0xffn) | ((dev >> 12n) & ~0xffn) };
}

/** Linux dev_t → "major:minor", as mountinfo writes it. */
function majorMinor(dev: bigint): string {
  const { major, minor } = deviceNumbers(dev);
  return `${major}:${minor}`;
}

/**
 * Where directory `dir` lies inside the file system on block device
 * `device` (e.g. an LV's /dev/vg/lv), relative to its root: so a snapshot
 * of that device can leave it out ('' for that root itself). Undefined when
 * it lies elsewhere or cannot be told.
 */
export async function pathWithinDevice(device: string, dir: string, mountinfoFile = '/proc/self/mountinfo'): Promise<string | undefined> {
  try {
    const st = await stat(device, { bigint: true });
    if (!st.isBlockDevice()) return undefined;
    // Not made yet (the first apply makes it): where it will be made.
    return locateOnDevice(await readFile(mountinfoFile, 'utf8'), majorMinor(st.rdev), await resolvedPath(dir));
  } catch {
    return undefined;
  }
}

/**
 * Where directory `dir` lies below directory `root` within their file system
 * (see locateBelow; symlinks resolved, a `dir` not made yet placed where it
 * will be made): '' for `root` itself, undefined when it lies elsewhere or
 * cannot be told.
 */
export async function pathBelowOnFileSystem(root: string, dir: string, mountinfoFile = '/proc/self/mountinfo'): Promise<string | undefined> {
  try {
    const [mountinfo, from, at] = await Promise.all([readFile(mountinfoFile, 'utf8'), resolvedPath(root), resolvedPath(dir)]);
    return locateBelow(mountinfo, from, at);
  } catch {
    return undefined;
  }
}

/** realpath of `path`, or of its nearest existing ancestor with the rest appended (the backup directory may not exist yet). */
export async function resolvedPath(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    const parent = dirname(path);
    return parent === path ? path : join(await resolvedPath(parent), basename(path));
  }
}

/** Whether `path` (or, when it does not exist yet, where it would be made) lies on a read-only mount. */
export async function readOnlyMount(path: string, mountinfoFile = '/proc/self/mountinfo'): Promise<boolean> {
  try {
    return onReadOnlyMount(await readFile(mountinfoFile, 'utf8'), await resolvedPath(path));
  } catch {
    return false;
  }
}

/** Bytes an unprivileged writer may still use on the file system of `path` (or where it would be made); undefined when unknown. */
export async function freeBytes(path: string): Promise<number | undefined> {
  try {
    let at = path;
    for (;;) {
      const fs = await statfs(at).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? undefined : Promise.reject(err)));
      if (fs !== undefined) return fs.bavail * fs.bsize;
      const parent = dirname(at);
      if (parent === at) return undefined;
      at = parent;
    }
  } catch {
    return undefined;
  }
}
