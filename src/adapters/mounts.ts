// Mount table, filesystem detection, and read-only mounts of snapshots.
import { chmod, readFile, realpath, rmdir, stat } from 'node:fs/promises';
import { posix } from 'node:path';
import { SnapctlError } from '../core/errors.js';
import type { Mount } from '../core/model.js';
import { runTool, sleep } from './run-tool.js';
import { makeDirs } from './make-dirs.js';

/** The kernel escapes space, tab, newline and backslash in mount fields as octal (`\040`). */
export function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Parses /proc/self/mounts (fstab format: source target fstype options freq passno). */
export function parseMounts(text: string): Mount[] {
  const mounts: Mount[] = [];
  for (const line of text.split('\n')) {
    const [source, target, fstype] = line.split(' ');
    if (source === undefined || target === undefined || fstype === undefined) continue;
    mounts.push({ source: unescapeMountField(source), target: unescapeMountField(target), fstype });
  }
  return mounts;
}

export async function readMounts(file = '/proc/self/mounts'): Promise<Mount[]> {
  return parseMounts(await readFile(file, 'utf8'));
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

/** The filesystem type on a device (`blkid -p`), undefined when none is recognised. */
export async function detectFs(device: string): Promise<string | undefined> {
  // -p probes the device itself: the blkid cache knows nothing of a snapshot created a moment ago.
  const r = await runTool('blkid', ['-p', '-o', 'value', '-s', 'TYPE', device]);
  if (r.missing) throw new SnapctlError('preflight', 'blkid not found', 'install util-linux (blkid) to detect snapshot filesystems');
  if (r.exitCode === 2) return undefined;
  if (r.exitCode !== 0) throw new SnapctlError('operation', `detecting the filesystem on ${device} failed`, r.stderr.trim());
  return r.stdout.trim().split('\n')[0]?.trim() || undefined;
}

/**
 * Mount options for a snapshot: always read-only, and never replay a
 * journal. LVM freezes the filesystem while it takes the snapshot, so the
 * snapshot is consistent without recovery; replaying would write into the
 * COW area (or fail on a read-only device). XFS also needs `nouuid`: the
 * snapshot has the same UUID as its mounted origin ("Filesystem has
 * duplicate UUID ... can't mount").
 */
export function mountOptions(fstype: string): string {
  if (fstype === 'xfs') return 'ro,nouuid,norecovery';
  if (fstype === 'ext4' || fstype === 'ext3') return 'ro,noload';
  return 'ro';
}

/** mkdir -p with mode 0700 (also tightening an existing directory): snapshots expose every file of the origin. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  makeDirs(dir, 0o700);
  await chmod(dir, 0o700);
}

export async function mountReadOnly(device: string, target: string, fstype: string): Promise<void> {
  makeDirs(target, 0o700);
  const options = mountOptions(fstype);
  const r = await runTool('mount', ['-t', fstype, '-o', options, device, target]);
  if (r.exitCode !== 0) {
    throw new SnapctlError('operation', `mounting ${device} (${fstype}) read-only on ${target} failed`, `mount -t ${fstype} -o ${options}: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
  }
}

export interface UnmountOptions {
  /** Waits between attempts while the target is busy (attempts = length + 1). */
  readonly retryDelaysMs?: readonly number[];
  /** After the retries, detach lazily (`umount -l`); see unmount(). */
  readonly lazyFallback?: boolean;
}

const NOT_MOUNTED = /not mounted|no mount point specified|No such file or directory/i;

/**
 * Unmounts the target, retrying while busy. As a last resort it detaches
 * lazily: the mount is read-only, so nothing can be lost, and once the
 * holder exits the kernel releases the device; until then lvremove fails
 * "in use" and the tagged snapshot is left for the next run's cleanup.
 * Returns 'lazy' in that case so the caller can warn.
 */
export async function unmount(target: string, options: UnmountOptions = {}): Promise<'unmounted' | 'not-mounted' | 'lazy'> {
  const delays = options.retryDelaysMs ?? [500, 2000];
  let last = '';
  let busy = false;
  for (let attempt = 0; ; attempt += 1) {
    const r = await runTool('umount', [target]);
    if (r.exitCode === 0) return 'unmounted';
    if (NOT_MOUNTED.test(r.stderr)) return 'not-mounted';
    last = r.stderr.trim() || `exit ${r.exitCode}`;
    busy = /busy/i.test(r.stderr);
    const delay = delays[attempt];
    if (!busy || delay === undefined) break;
    await sleep(delay);
  }
  if (busy && (options.lazyFallback ?? true)) {
    const lazy = await runTool('umount', ['-l', target]);
    if (lazy.exitCode === 0) return 'lazy';
  }
  throw new SnapctlError('operation', `unmounting ${target} failed`, last);
}

/** Removes the (empty) mount point; a leftover directory is harmless, so errors are ignored. */
export async function removeMountPoint(target: string): Promise<void> {
  await rmdir(target).catch(() => undefined);
}
