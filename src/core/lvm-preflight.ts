// What plan can tell in advance about an LVM snapshot from the observed
// `lvs` state: a missing origin, an origin that is itself a snapshot
// or not active, too little free space in the VG, or a snapshot too small
// for the archive that is written onto its origin.
import type { Diagnostic, LogicalVolume, LvmState, Volume } from './model.js';
import { checkFreeSpace, formatBytes, parseSnapshotSize, snapshotBytes } from './snapshot-size.js';

/** What blkid names on an LV that holds something other than a file system to mount. */
export const NOT_A_FILE_SYSTEM: Readonly<Record<string, string>> = {
  swap: 'a swap area',
  crypto_LUKS: 'an encrypted LUKS container (its file system is inside it, on the opened device)',
  LVM2_member: 'an LVM physical volume',
  linux_raid_member: 'a member of a software RAID array',
  zfs_member: 'a member of a ZFS pool',
  bcache: 'a bcache backing device',
};

/**
 * Why the snapshot of an origin holding a mounted btrfs cannot be mounted on
 * a kernel without btrfs's temp-fsid (Linux before 6.7), and what to do
 * instead. `mount` is where the origin is mounted, when the policy says.
 */
export function btrfsCopyRefusal(origin: string, mount: string | undefined): { readonly why: string; readonly way: string } {
  return {
    why: `${origin} holds a mounted btrfs, and this kernel cannot mount a block-level snapshot of a mounted btrfs: the snapshot has the same file system UUID (Linux 6.7 and later mount such a copy under a temporary one)`,
    way: `archive it as a btrfs volume instead (btrfs: ${mount ?? 'its mount point'}): a native read-only snapshot, which needs no LVM snapshot space`,
  };
}

/**
 * What one lvs report says of a VG that none of its rows names: the VG holds
 * no LV, or does not exist (a VG without LVs has no row; vgs would tell).
 */
export function vgWithoutRows(vg: string): string {
  return `no logical volume of a volume group ${vg} is listed (it holds none, or there is no such volume group; vgs lists them)`;
}

/** The backup directory on the origin LV itself: `inside` its file system, and the size the new archive is expected to have (its newest). */
export interface ArchiveOnOrigin {
  readonly inside: string;
  readonly estimateBytes?: number;
}

/**
 * `content` is what blkid found on the origin LV: a type, null for nothing
 * it recognises, undefined when not looked (not root, LV not active).
 * `onOrigin` when the archive is written onto the origin while its snapshot lives.
 * `btrfsCopyRefused` when the origin holds a mounted btrfs whose snapshot
 * this kernel will not mount.
 */
export function lvmPreflight(volume: Volume, lvm: LvmState, content?: string | null, onOrigin?: ArchiveOnOrigin, btrfsCopyRefused = false): Diagnostic[] {
  if (volume.source.kind !== 'lvm' || !lvm.available) return [];
  const { vg, lv } = volume.source;
  const error = (message: string): Diagnostic[] => [{ severity: 'error', volume: volume.name, message }];
  const group = lvm.vgs.find((g) => g.name === vg);
  if (!group) return error(`logical volume ${vg}/${lv} not found: ${vgWithoutRows(vg)}; apply will fail for this volume`);
  const origin = lvm.lvs.find((l) => l.vg === vg && l.name === lv);
  if (!origin) return error(`logical volume ${vg}/${lv} not found: apply will fail for this volume`);
  if (isSnapshotLv(origin)) return error(`${vg}/${lv} is itself a snapshot: name its origin instead; apply will fail for this volume`);
  if (isInactive(origin)) return error(`${vg}/${lv} is not active (lv_attr ${origin.attr}): its snapshot would have no device to mount; activate it (lvchange -ay ${vg}/${lv}); apply will fail for this volume`);
  if (content === null) return error(`${vg}/${lv} holds no file system that blkid recognises: apply will fail for this volume`);
  const notMountable = content === undefined ? undefined : NOT_A_FILE_SYSTEM[content];
  if (notMountable !== undefined) return error(`${vg}/${lv} holds ${notMountable} (blkid: ${content}), not a file system: apply will fail for this volume`);
  if (btrfsCopyRefused) {
    const { why, way } = btrfsCopyRefusal(`${vg}/${lv}`, volume.mount);
    return error(`${why}: apply will fail for this volume; ${way}`);
  }
  // Thin snapshots take no space up front, but fill their pool as the origin changes.
  if (isThinLv(origin)) {
    const pool = lvm.lvs.find((l) => l.vg === vg && l.name === origin.pool);
    const fill = thinPoolFill(volume.name, pool);
    const onPool = onOrigin === undefined || pool === undefined ? [] : archiveFillsPool(volume.name, onOrigin, pool);
    // The archive's own prediction says more than the pool's present fill.
    return onPool.length > 0 ? onPool : fill;
  }
  const size = parseSnapshotSize(volume.snapshotSize);
  if (!size.ok) return error(size.error);
  const bytes = snapshotBytes(size.value, {
    originBytes: origin.sizeBytes,
    vgFreeBytes: group.freeBytes,
    extentBytes: group.extentBytes,
    ...(group.sizeBytes !== undefined ? { vgSizeBytes: group.sizeBytes } : {}),
  });
  if (!bytes.ok) return error(bytes.error);
  const short = checkFreeSpace({ vg, origin: `${vg}/${lv}`, needBytes: bytes.value, freeBytes: group.freeBytes, extentBytes: group.extentBytes });
  if (short) return error(`not enough space for the snapshot: ${short}; apply will fail for this volume`);
  return onOrigin === undefined ? [] : archiveFillsSnapshot(volume.name, onOrigin, bytes.value);
}

/**
 * An archive written onto a thin origin takes new blocks from its pool
 * (while the snapshot keeps the old ones). One at least as large as what
 * the pool has free fills it, and a full pool stops writes to every thin
 * volume in it; short of that, a pool that the archive takes past the 80%
 * mark gets a warning too, as one already there does.
 */
function archiveFillsPool(volume: string, onOrigin: ArchiveOnOrigin, pool: LogicalVolume): Diagnostic[] {
  const estimate = onOrigin.estimateBytes;
  if (estimate === undefined || pool.percent === undefined) return [];
  const used = (pool.sizeBytes * pool.percent) / 100;
  const free = pool.sizeBytes - used;
  const where = `the backup directory lies on this thin volume (./${onOrigin.inside}), so each archive written there takes new blocks from thin pool ${pool.vg}/${pool.name}`;
  const way = 'put backupDir on an LV outside the pool, or lvextend the pool';
  if (estimate >= free) {
    // A warning, not an error: a pool that lvm.conf lets autoextend grows instead (plan does not read lvm.conf).
    return [{ severity: 'warning', volume, message: `${where}: an archive the size of the newest (${formatBytes(estimate)}) fills its ${formatBytes(free)} free unless the pool autoextends (thin_pool_autoextend_threshold in lvm.conf), and a full pool stops writes to every thin volume in it; ${way}` }];
  }
  const after = Math.round(((used + estimate) / pool.sizeBytes) * 100);
  if (pool.percent < THIN_POOL_WARN_PERCENT && after >= THIN_POOL_WARN_PERCENT) {
    return [{ severity: 'warning', volume, message: `${where}: an archive the size of the newest (${formatBytes(estimate)}) takes it from ${pool.percent}% to about ${after}% full; ${way}` }];
  }
  return [];
}

/** Half the snapshot for the archive alone leaves the origin's own writes little room. */
const ARCHIVE_SHARE_WARN = 0.5;

/**
 * The archive is written onto the origin while the snapshot lives, and the
 * snapshot keeps the old contents of every block written there (free blocks
 * too: it works below the file system), so the archive's size comes out of
 * the snapshot's COW area. An archive at least that large overflows it, and
 * apply discards the archive.
 */
function archiveFillsSnapshot(volume: string, onOrigin: ArchiveOnOrigin, cowBytes: number): Diagnostic[] {
  const estimate = onOrigin.estimateBytes;
  if (estimate === undefined || estimate < cowBytes * ARCHIVE_SHARE_WARN) return [];
  const way = 'put backupDir on another LV, or give snapshot.size more room';
  const where = `the backup directory lies on this volume's LV (./${onOrigin.inside}), so the snapshot also holds a copy of every block of the archive written there`;
  if (estimate >= cowBytes) {
    return [{ severity: 'error', volume, message: `${where}: an archive the size of the newest (${formatBytes(estimate)}) overflows the ${formatBytes(cowBytes)} snapshot, and apply will discard it; ${way}` }];
  }
  return [{ severity: 'warning', volume, message: `${where}: an archive the size of the newest (${formatBytes(estimate)}) takes ${Math.round((estimate / cowBytes) * 100)}% of the ${formatBytes(cowBytes)} snapshot, leaving little for the origin's own changes before it overflows; ${way}` }];
}

/** A classic snapshot LV, valid or invalid (lv_attr "s…" or "S…"): not an origin to snapshot. */
export function isSnapshotLv(lv: LogicalVolume): boolean {
  return /^[sS]/.test(lv.attr);
}

/** A thin LV in a pool (lv_attr "V…"): its snapshot is thin, with no COW area to size. */
export function isThinLv(lv: LogicalVolume): boolean {
  return lv.attr.startsWith('V') && lv.pool !== '';
}

/**
 * An LV that is not active (lv_attr's fifth character "-"): lvcreate
 * snapshots it, but the snapshot is inactive too, with no device node, and
 * the mount then finds no file system on it.
 */
export function isInactive(lv: LogicalVolume): boolean {
  return lv.attr.charAt(4) === '-';
}

/** dmeventd's first thin pool warning is at 80%: a full pool stops writes to every thin volume in it. */
const THIN_POOL_WARN_PERCENT = 80;

function thinPoolFill(volume: string, pool: LogicalVolume | undefined): Diagnostic[] {
  if (pool === undefined) return [];
  const full = [
    ...(pool.percent !== undefined && pool.percent >= THIN_POOL_WARN_PERCENT ? [`data ${pool.percent}%`] : []),
    ...(pool.metadataPercent !== undefined && pool.metadataPercent >= THIN_POOL_WARN_PERCENT ? [`metadata ${pool.metadataPercent}%`] : []),
  ];
  if (full.length === 0) return [];
  return [{
    severity: 'warning',
    volume,
    message: `thin pool ${pool.vg}/${pool.name} is full to ${full.join(', ')}: the snapshot adds to it while the origin changes, and a full pool stops writes to every thin volume in it (lvextend the pool)`,
  }];
}
