// The planner: a pure function of (policy, observed state, now) → Plan.
// No clock, no file system, no processes: everything it knows is passed in,
// so the same inputs always give the same plan (and golden tests can pin it).
import type {
  Action,
  Archive,
  CleanupAction,
  Diagnostic,
  HostPolicy,
  Kept,
  Observed,
  Plan,
  Volume,
} from './model.js';
import { archiveName, SIDECAR_SUFFIX } from './naming.js';
import { applyRetention } from './retention.js';
import { dueness } from './schedule.js';
import { describeSource } from './describe.js';
import { lvmPreflight } from './lvm-preflight.js';

/** Joins path segments with "/" (core code may not import node:path). */
function join(dir: string, name: string): string {
  return dir.endsWith('/') ? `${dir}${name}` : `${dir}/${name}`;
}

export function hostDir(policy: HostPolicy): string {
  return join(policy.backupDir, policy.host);
}

/** Cleanup of leftovers of interrupted runs: mounts first, then snapshots, then files. */
function cleanupActions(policy: HostPolicy, observed: Observed, dir: string): CleanupAction[] {
  const volumeNames = new Set(policy.volumes.map((v) => v.name));
  const actions: CleanupAction[] = [];
  const mountRoot = policy.mountRoot.replace(/\/+$/, '');
  for (const mount of observed.mounts) {
    if (!mount.target.startsWith(`${mountRoot}/`)) continue;
    const volume = mount.target.slice(mountRoot.length + 1).split('/')[0];
    actions.push({
      type: 'cleanup',
      ...(volume !== undefined && volumeNames.has(volume) ? { volume } : {}),
      archive: mount.target,
      path: mount.target,
      target: { kind: 'mount', target: mount.target },
      reason: `snapshot of ${mount.source} still mounted under snapctl's mount root (interrupted run)`,
    });
  }
  if (observed.lvm.available) {
    for (const lv of observed.lvm.lvs) {
      if (!lv.tags.includes('snapctl')) continue;
      const volumeTag = lv.tags.find((t) => t.startsWith('snapctl_volume_'));
      const volume = volumeTag?.slice('snapctl_volume_'.length);
      actions.push({
        type: 'cleanup',
        ...(volume !== undefined ? { volume } : {}),
        archive: `${lv.vg}/${lv.name}`,
        path: lv.path,
        target: { kind: 'lvm-snapshot', vg: lv.vg, lv: lv.name },
        reason: `snapshot left by an interrupted run (tagged "snapctl")`,
      });
    }
  }
  for (const path of observed.btrfsLeftovers) {
    actions.push({
      type: 'cleanup',
      archive: path,
      path,
      target: { kind: 'btrfs-snapshot', path },
      reason: 'btrfs snapshot left by an interrupted run',
    });
  }
  for (const other of observed.others) {
    if (other.volume === undefined || !volumeNames.has(other.volume)) continue;
    if (other.kind === 'partial') {
      actions.push({
        type: 'cleanup',
        volume: other.volume,
        archive: other.file,
        path: join(dir, other.file),
        target: { kind: 'file', path: join(dir, other.file) },
        reason: 'incomplete archive of an interrupted run',
      });
    } else if (other.kind === 'orphan-sidecar') {
      actions.push({
        type: 'cleanup',
        volume: other.volume,
        archive: other.file,
        path: join(dir, other.file),
        target: { kind: 'file', path: join(dir, other.file) },
        reason: 'checksum file whose archive is gone',
      });
    }
  }
  return actions;
}

interface VolumePlan {
  readonly actions: Action[];
  readonly kept: Kept[];
  readonly diagnostics: Diagnostic[];
}

/** The planned archive stands in retention as the newest item, so apply keeps exactly what the rules say. */
interface RetentionItem {
  readonly time: number;
  readonly archive?: Archive;
  readonly file: string;
}

function planVolume(policy: HostPolicy, volume: Volume, archives: readonly Archive[], observed: Observed, now: number, dir: string): VolumePlan {
  const actions: Action[] = [];
  const diagnostics: Diagnostic[] = [];
  const due = dueness(volume.schedule, archives.map((a) => a.time), now, policy.timezone);
  const items: RetentionItem[] = archives.map((a) => ({ time: a.time, archive: a, file: a.file }));

  if (due.due) {
    const name = archiveName(policy.host, volume.name, now, volume.compression);
    actions.push({ type: 'create', volume: volume.name, archive: name, path: join(dir, name), reason: due.reason });
    items.push({ time: now, file: name });
    if (volume.source.kind === 'path') {
      diagnostics.push({
        severity: 'warning',
        volume: volume.name,
        message: `${describeSource(volume.source)} is archived as it is, not from a snapshot: files changing during the backup may be inconsistent`,
      });
    }
    if (volume.source.kind === 'lvm') diagnostics.push(...lvmPreflight(volume, observed.lvm));
  }

  const { keep, remove } = applyRetention(items, volume.retention, policy.timezone);
  const kept: Kept[] = keep
    .filter((k) => k.item.archive !== undefined)
    .map((k) => ({ volume: volume.name, archive: k.item.file, reasons: k.reasons }));
  for (const item of remove) {
    const archive = item.archive;
    if (archive === undefined) continue; // never happens: the planned archive is the newest and always kept
    actions.push({
      type: 'delete',
      volume: volume.name,
      archive: archive.file,
      path: join(dir, archive.file),
      ...(archive.hasSidecar ? { sidecar: join(dir, `${archive.file}${SIDECAR_SUFFIX}`) } : {}),
      reason: `expired: no retention rule keeps it${archive.format === 'legacy' ? ' (py_snap archive)' : ''}`,
    });
  }
  return { actions, kept, diagnostics };
}

export function plan(policy: HostPolicy, observed: Observed, now: number): Plan {
  const dir = hostDir(policy);
  const diagnostics: Diagnostic[] = [];
  if (!observed.lvm.available && policy.volumes.some((v) => v.source.kind === 'lvm')) {
    diagnostics.push({
      severity: 'warning',
      message: `LVM state not read (${observed.lvm.reason}): snapshot leftovers and free space were not checked`,
    });
  }
  if (!observed.backupDirExists) {
    diagnostics.push({ severity: 'info', message: `${dir} does not exist yet; apply will create it` });
  }

  const actions: Action[] = cleanupActions(policy, observed, dir);
  const kept: Kept[] = [];
  const byVolume = new Map<string, Archive[]>();
  for (const archive of observed.archives) {
    const list = byVolume.get(archive.volume);
    if (list) list.push(archive);
    else byVolume.set(archive.volume, [archive]);
  }
  for (const volume of policy.volumes) {
    const result = planVolume(policy, volume, byVolume.get(volume.name) ?? [], observed, now, dir);
    actions.push(...result.actions);
    kept.push(...result.kept);
    diagnostics.push(...result.diagnostics);
  }

  const volumeNames = new Set(policy.volumes.map((v) => v.name));
  const unmanaged = observed.others
    .filter((o) => o.kind === 'unmanaged' || o.volume === undefined || !volumeNames.has(o.volume))
    .map((o) => o.file);

  return {
    host: policy.host,
    now: new Date(now).toISOString(),
    backupDir: dir,
    actions,
    kept,
    unmanaged,
    diagnostics,
  };
}
