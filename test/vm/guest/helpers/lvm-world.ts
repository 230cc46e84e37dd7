// Building real LVM fixtures inside the test VM (logical volumes with a
// filesystem, thin pools, fillers) and reading LVM's and the kernel's view
// of them afterwards (lvs with tags, mounts), for the scenario tests.
import { mkdirSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { must, run } from '../vm-guest.js';

export type FsType = 'ext4' | 'xfs' | 'btrfs';

/** One `lvs` row with the fields the scenarios check (sizes in bytes). */
export interface LvRow {
  readonly lv_name: string;
  readonly vg_name: string;
  readonly lv_attr: string;
  readonly lv_size: string;
  readonly origin: string;
  readonly pool_lv: string;
  readonly lv_tags: string;
}

/** Every LV of a VG as `lvs --reportformat json` reports it, sorted by name. */
export function lvRows(vg: string): LvRow[] {
  const out = must('lvs', ['--reportformat', 'json', '--units', 'b', '--nosuffix', '-a', '-o', 'lv_name,vg_name,lv_attr,lv_size,origin,pool_lv,lv_tags', vg]);
  const parsed = JSON.parse(out) as { report: Array<{ lv: LvRow[] }> };
  return [...(parsed.report[0]?.lv ?? [])].sort((a, b) => a.lv_name.localeCompare(b.lv_name));
}

/** Snapshots snapctl made (tag `snapctl` or name `snapctl_…`): after any run, this must be empty. */
export function snapctlSnapshots(vg: string): LvRow[] {
  return lvRows(vg).filter((lv) => lv.lv_name.startsWith('snapctl_') || lv.lv_tags.split(',').includes('snapctl'));
}

/** Free space of a VG in bytes and extents, and its extent size. */
export function vgFree(vg: string): { freeBytes: number; freeExtents: number; extentBytes: number } {
  const out = must('vgs', ['--reportformat', 'json', '--units', 'b', '--nosuffix', '-o', 'vg_free,vg_free_count,vg_extent_size', vg]);
  const row = (JSON.parse(out) as { report: Array<{ vg: Array<Record<string, string>> }> }).report[0]?.vg[0];
  if (!row) throw new Error(`vgs reported nothing for ${vg}`);
  return { freeBytes: Number(row.vg_free), freeExtents: Number(row.vg_free_count), extentBytes: Number(row.vg_extent_size) };
}

/** Mount points at or under `root`, from /proc/self/mounts (octal escapes decoded). */
export function mountsUnder(root: string): string[] {
  return readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[1] ?? '')
    .map((target) => target.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((target) => target === root || target.startsWith(`${root}/`));
}

/** Makes a filesystem on a device; ext4 fully initialised so background init never writes into a snapshot. */
export function mkfs(device: string, fs: FsType): void {
  if (fs === 'ext4') must('mkfs.ext4', ['-q', '-F', '-E', 'lazy_itable_init=0,lazy_journal_init=0', device]);
  else if (fs === 'btrfs') must('mkfs.btrfs', ['-q', '-f', device]);
  else must('mkfs.xfs', ['-q', '-f', device]);
}

/** A classic LV of `size` (lvcreate -L syntax) with a filesystem, mounted read-write at `mountAt`. */
export function makeVolume(vg: string, lv: string, size: string, fs: FsType, mountAt: string): string {
  must('lvcreate', ['-qq', '-y', '-L', size, '-n', lv, vg]);
  const device = `/dev/${vg}/${lv}`;
  mkfs(device, fs);
  mountDevice(device, mountAt);
  return device;
}

/** A thin pool of `poolSize` and a thin LV of virtual `size` in it, with a filesystem, mounted at `mountAt`. */
export function makeThinVolume(vg: string, pool: string, poolSize: string, lv: string, size: string, fs: FsType, mountAt: string): string {
  must('lvcreate', ['-qq', '-y', '-L', poolSize, '-T', `${vg}/${pool}`]);
  must('lvcreate', ['-qq', '-y', '-V', size, '-T', `${vg}/${pool}`, '-n', lv]);
  const device = `/dev/${vg}/${lv}`;
  mkfs(device, fs);
  mountDevice(device, mountAt);
  return device;
}

export function mountDevice(device: string, target: string, options: readonly string[] = []): void {
  mkdirSync(target, { recursive: true });
  must('mount', [...(options.length > 0 ? ['-o', options.join(',')] : []), device, target]);
}

/** Unmounts when mounted; never throws (for `after` hooks). */
export function unmountQuietly(target: string): void {
  if (mountsUnder(target).length > 0) run('umount', [target]);
}

/** Fills a file with `mib` MiB of incompressible data and flushes it to the device. */
export function writeRandom(path: string, mib: number): void {
  must('dd', ['if=/dev/urandom', `of=${path}`, 'bs=1M', `count=${mib}`, 'conv=fsync', 'status=none']);
}

/** Flushes every filesystem: what the origin holds is on the device before a snapshot. */
export function sync(): void {
  must('sync', []);
}

/** A running vgs or lvs: its pid, state letter (D: uninterruptible sleep) and kernel wait channel. */
export interface ReportProcess {
  readonly pid: number;
  readonly state: string;
  readonly wchan: string;
}

/** The processes named vgs or lvs, anyone's (by comm: one that is exiting has no command line left). */
export function lvmReportProcesses(): ReportProcess[] {
  const r = spawnSync('ps', ['-eo', 'pid=,stat=,wchan:32=,comm='], { encoding: 'utf8' });
  return r.stdout
    .split('\n')
    .map((l) => /^\s*(\d+)\s+(\S+)\s+(\S+)\s+(vgs|lvs)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ pid: Number(m[1]), state: m[2] ?? '', wchan: m[3] ?? '' }));
}
