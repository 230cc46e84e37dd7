// Mount table, filesystem detection, and read-only mounts of snapshots.
import { access, chmod, readFile, rmdir } from 'node:fs/promises';
import { SnapctlError } from '../core/errors.js';
import type { Mount } from '../core/model.js';
import { runTool, sleep, type ToolResult } from './run-tool.js';
import { makeDirs } from './make-dirs.js';
import { unescapeMountField } from './mountinfo.js';

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

/** `blkid -p` on `device` (probing the device itself: the blkid cache knows nothing of a snapshot created a moment ago), and the type it printed. */
async function probeType(device: string): Promise<{ readonly run: ToolResult; readonly type: string | undefined }> {
  const run = await runTool('blkid', ['-p', '-o', 'value', '-s', 'TYPE', device]);
  return { run, type: run.exitCode === 0 ? run.stdout.trim().split('\n')[0]?.trim() || undefined : undefined };
}

/** The filesystem type on a device (`blkid -p`), undefined when none is recognised. */
export async function detectFs(device: string): Promise<string | undefined> {
  const { run, type } = await probeType(device);
  if (run.missing) throw new SnapctlError('preflight', 'blkid not found', 'install util-linux (blkid) to detect snapshot filesystems');
  if (run.exitCode === 2) return undefined;
  if (run.exitCode !== 0) throw new SnapctlError('operation', `detecting the filesystem on ${device} failed`, run.stderr.trim());
  return type;
}

/** What blkid finds on `device`: its type, null for nothing recognised, undefined when it cannot tell (not root, no blkid). */
export async function deviceContent(device: string): Promise<string | null | undefined> {
  const { run, type } = await probeType(device);
  // Exit 2 is "nothing recognised", and also "Permission denied" (said on stderr) for a user who may not read the device.
  if (run.exitCode === 2) return run.stderr.trim() === '' ? null : undefined;
  if (run.exitCode !== 0) return undefined;
  return type ?? null;
}

/**
 * Whether this kernel would refuse to mount a block-level snapshot (an LVM
 * snapshot) of `device`: it holds btrfs, a btrfs with its UUID is mounted
 * (the kernel lists each mounted one as /sys/fs/btrfs/<UUID>), and btrfs has
 * no temp-fsid (Linux before 6.7; listed among its sysfs features since).
 * The snapshot then carries the UUID of a mounted btrfs, and mount fails
 * ("File exists"). Undefined when blkid cannot tell.
 */
export async function btrfsCopyRefused(device: string, sysfs = '/sys/fs/btrfs'): Promise<boolean | undefined> {
  const present = (path: string): Promise<boolean> => access(path).then(
    () => true,
    () => false,
  );
  // No btrfs loaded (nothing mounted), or a kernel that mounts such copies: no blkid needed.
  if (!(await present(`${sysfs}/features`)) || (await present(`${sysfs}/features/temp_fsid`))) return false;
  const run = await runTool('blkid', ['-p', '-o', 'export', device]);
  if (run.exitCode === 2 && run.stderr.trim() === '') return false;
  if (run.exitCode !== 0) return undefined;
  const field = (key: string): string | undefined => run.stdout.split('\n').find((l) => l.startsWith(`${key}=`))?.slice(key.length + 1);
  const uuid = field('UUID');
  if (field('TYPE') !== 'btrfs' || uuid === undefined || !/^[0-9a-f-]+$/i.test(uuid)) return false;
  return present(`${sysfs}/${uuid}`);
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
