// How snapctl names and recognises its own LVM snapshots, and which
// snapshots and mounts left by crashed runs (or by py_snap) plan reports.
// The tag, not the name, makes a snapshot ours: a user's LV that happens to
// be named like ours is never touched.
import type { CleanupTarget, LegacyLeftovers, LogicalVolume, LvmState, Mount } from './model.js';

export const SNAPSHOT_TAG = 'snapctl';
export const VOLUME_TAG_PREFIX = 'snapctl_volume_';

/** True when the LV carries snapctl's tag. */
export function isSnapctlSnapshot(lv: Pick<LogicalVolume, 'tags'>): boolean {
  return lv.tags.includes(SNAPSHOT_TAG);
}

/** The policy volume a snapctl snapshot was taken for (from its volume tag). */
export function snapshotVolume(lv: Pick<LogicalVolume, 'tags'>): string | undefined {
  return lv.tags.find((t) => t.startsWith(VOLUME_TAG_PREFIX))?.slice(VOLUME_TAG_PREFIX.length);
}

// LVM tags allow [A-Za-z0-9_+.-/=!:&#] and may not start with "-"; volume
// names ([A-Za-z0-9][A-Za-z0-9_.-]*) always fit.
export function snapshotTags(volume: string): string[] {
  return [SNAPSHOT_TAG, `${VOLUME_TAG_PREFIX}${volume}`];
}

// lvm2 refuses LV names containing these (its internal sub-LV suffixes).
const RESERVED_IN_LV_NAMES = ['_cdata', '_cmeta', '_corig', '_cpool', '_cvol', '_imeta', '_iorig', '_mimage', '_mlog', '_pmspare', '_rimage', '_rmeta', '_tdata', '_tmeta', '_vdata', '_vorigin', '_wcorig'];
/** lvm2's NAME_LEN is 128 including the terminating NUL. */
export const MAX_LV_NAME = 127;

/**
 * `snapctl_<volume>_<runStamp>`, with any "_" that would form one of lvm2's
 * reserved substrings (a volume called "tmeta") turned into "-".
 */
export function snapshotName(volume: string, runStamp: string): string {
  let name = `snapctl_${volume}_${runStamp}`;
  for (const reserved of RESERVED_IN_LV_NAMES) name = name.split(reserved).join(`-${reserved.slice(1)}`);
  return name;
}

/** A leftover plan reports (and apply cleans), with a reason for display. */
export interface Leftover {
  readonly target: CleanupTarget;
  /** Policy volume it belongs to, when recognisable. */
  readonly volume?: string;
  readonly reason: string;
}

function under(root: string, target: string): boolean {
  const r = root.replace(/\/+$/, '');
  return target.startsWith(`${r}/`);
}

/**
 * Whether a mount's device is one of snapctl's snapshots: the device of an LV
 * carrying snapctl's tag or, without LVM state (plan as a user, or a policy
 * that no longer has lvm volumes), a device named like one
 * (/dev/mapper/<vg>-snapctl_…, /dev/<vg>/snapctl_…).
 */
function snapshotDevice(lvm: LvmState, source: string): boolean {
  if (lvm.available) return lvm.lvs.some((lv) => isSnapctlSnapshot(lv) && (lv.path === source || lv.dmPath === source));
  return /^\/dev\/mapper\/(?:[^-]|--)+-snapctl[_-][^/]*$/.test(source) || /^\/dev\/[^/]+\/snapctl[_-][^/]*$/.test(source);
}

/**
 * What a crashed run leaves behind: snapshots tagged `snapctl`, and their
 * mounts at <mountRoot>/<volume> (with whatever is mounted inside those:
 * deepest first, so they unmount in order). Anything else mounted under the
 * mount root (a mount root that holds other file systems, even the backup
 * disk) is not snapctl's and is never touched.
 */
export function findLeftovers(lvm: LvmState, mounts: readonly Mount[], mountRoot: string): Leftover[] {
  const root = mountRoot.replace(/\/+$/, '');
  const found: Leftover[] = [];
  const snapshotMounts = mounts.filter((m) => under(root, m.target) && !m.target.slice(root.length + 1).includes('/') && snapshotDevice(lvm, m.source));
  const ours = mounts
    .filter((m) => snapshotMounts.some((s) => s.target === m.target || under(s.target, m.target)))
    .sort((a, b) => b.target.length - a.target.length);
  for (const m of ours) {
    const volume = m.target.slice(root.length + 1).split('/')[0];
    found.push({
      target: { kind: 'mount', target: m.target },
      ...(volume ? { volume } : {}),
      reason: `${m.source} still mounted under snapctl's mount root (interrupted run)`,
    });
  }
  if (lvm.available) {
    for (const lv of lvm.lvs.filter(isSnapctlSnapshot)) {
      const volume = snapshotVolume(lv);
      found.push({
        target: { kind: 'lvm-snapshot', vg: lv.vg, lv: lv.name },
        ...(volume !== undefined ? { volume } : {}),
        reason: `snapshot ${lv.vg}/${lv.name} left by an interrupted run (tagged "${SNAPSHOT_TAG}")`,
      });
    }
  }
  return found;
}

/**
 * Why a mount root cannot be snapctl's own directory for snapshot mounts
 * (<mountRoot>/<volume>), or undefined when it can: "/", or one holding the
 * backup directory.
 */
export function mountRootProblem(mountRoot: string, backupDir: string): string | undefined {
  const root = mountRoot.replace(/\/+$/, '');
  if (root === '') return 'it is "/"; snapshots are mounted at <mountRoot>/<volume>, in a directory of their own such as /run/snapctl';
  const dir = backupDir.replace(/\/+$/, '');
  if (dir === root || dir.startsWith(`${root}/`)) return `the backup directory ${backupDir} is inside it; snapshots are mounted at <mountRoot>/<volume>, in a directory of their own such as /run/snapctl`;
  return undefined;
}

/** A py_snap leftover, with whether the policy lets snapctl remove it. */
export interface LegacyLeftover extends Leftover {
  readonly cleanup: boolean;
}

function isSnapshot(lv: LogicalVolume): boolean {
  return lv.attr.startsWith('s') || lv.origin !== '';
}

/**
 * py_snap's snapshot (`-s`, default lv_data_snap) and its mount (`-m`,
 * default /tmp/snap_backup). Only a real snapshot LV counts (never an LV
 * that merely has the name), and only a mount of that snapshot's device
 * (never whatever else is mounted at that path).
 */
export function findLegacyLeftovers(lvm: LvmState, mounts: readonly Mount[], legacy: LegacyLeftovers, volume?: string): LegacyLeftover[] {
  const found: LegacyLeftover[] = [];
  const vol = volume !== undefined ? { volume } : {};
  const snap = legacy.snapshot;
  const lv = snap && lvm.available ? lvm.lvs.find((l) => l.vg === snap.vg && l.name === snap.lv) : undefined;
  const devices = new Set<string>();
  if (snap) {
    devices.add(`/dev/${snap.vg}/${snap.lv}`);
    devices.add(`/dev/mapper/${snap.vg.replace(/-/g, '--')}-${snap.lv.replace(/-/g, '--')}`);
  }
  if (lv) {
    devices.add(lv.path);
    devices.add(lv.dmPath);
  }
  const mountPoint = legacy.mountPoint?.replace(/\/+$/, '');
  if (mountPoint) {
    for (const m of mounts) {
      if (m.target !== mountPoint || !devices.has(m.source)) continue;
      found.push({
        target: { kind: 'mount', target: m.target },
        ...vol,
        cleanup: legacy.cleanup,
        reason: `py_snap mount of ${m.source} at ${m.target}${legacy.cleanup ? '' : ' (reported only: set legacy.cleanup to let snapctl remove it)'}`,
      });
    }
  }
  if (lv && isSnapshot(lv) && !isSnapctlSnapshot(lv)) {
    found.push({
      target: { kind: 'lvm-snapshot', vg: lv.vg, lv: lv.name },
      ...vol,
      cleanup: legacy.cleanup,
      reason: `py_snap snapshot ${lv.vg}/${lv.name}${lv.origin ? ` of ${lv.vg}/${lv.origin}` : ''} left by an older run${legacy.cleanup ? '' : ' (reported only: set legacy.cleanup to let snapctl remove it)'}`,
    });
  }
  return found;
}
