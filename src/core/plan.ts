// The planner: a pure function of (policy, observed state, now) → Plan.
// No clock, no file system, no processes: everything it knows is passed in,
// so the same inputs always give the same plan (and golden tests can pin it).
import { COMPRESSOR_PROGRAM } from './model.js';
import type {
  Action,
  Archive,
  CleanupAction,
  CleanupTarget,
  Diagnostic,
  HostPolicy,
  Kept,
  Observed,
  Plan,
  Retention,
  Volume,
} from './model.js';
import { archiveName, hostDir, joinPath as join, SIDECAR_SUFFIX } from './naming.js';
import { applyRetention } from './retention.js';
import { dueness } from './schedule.js';
import { counted, describeSource, mountsInsideMessage, nestedSubvolumesMessage, subvolumesInsideMessage } from './describe.js';
import { backupDirInside } from './self-exclusion.js';
import { formatDuration } from './time.js';
import { formatBytes } from './snapshot-size.js';
import { lvmPreflight } from './lvm-preflight.js';
import { findLeftovers, findLegacyLeftovers, type LegacyLeftover } from './lvm-leftovers.js';

/** Cleanup of leftovers of interrupted runs: mounts first, then snapshots, then files. */
function cleanupActions(policy: HostPolicy, observed: Observed, dir: string): { actions: CleanupAction[]; diagnostics: Diagnostic[] } {
  const volumeNames = new Set(policy.volumes.map((v) => v.name));
  const actions: CleanupAction[] = [];
  const diagnostics: Diagnostic[] = [];
  const display = (t: CleanupTarget): { archive: string; path: string } => {
    switch (t.kind) {
      case 'mount':
        return { archive: t.target, path: t.target };
      case 'lvm-snapshot':
        return { archive: `${t.vg}/${t.lv}`, path: `/dev/${t.vg}/${t.lv}` };
      case 'btrfs-snapshot':
      case 'file':
        return { archive: t.path, path: t.path };
    }
  };
  const legacy = policy.volumes.flatMap((v) => (v.legacy ? findLegacyLeftovers(observed.lvm, observed.mounts, v.legacy, v.name) : []));
  const found = [...findLeftovers(observed.lvm, observed.mounts, policy.mountRoot), ...legacy];
  // Mounts before snapshots: a snapshot cannot be removed while mounted.
  found.sort((a, b) => Number(a.target.kind !== 'mount') - Number(b.target.kind !== 'mount'));
  for (const leftover of found) {
    const isLegacy = 'cleanup' in leftover;
    if (isLegacy && !(leftover as LegacyLeftover).cleanup) {
      diagnostics.push({ severity: 'warning', ...(leftover.volume !== undefined ? { volume: leftover.volume } : {}), message: leftover.reason });
      continue;
    }
    const volume = leftover.volume !== undefined && volumeNames.has(leftover.volume) ? { volume: leftover.volume } : {};
    actions.push({ type: 'cleanup', ...volume, ...display(leftover.target), target: leftover.target, reason: leftover.reason, ...(isLegacy ? { legacy: true } : {}) });
  }
  const unchecked = new Set(observed.btrfsLeftoversUnchecked);
  for (const path of observed.btrfsLeftovers) {
    // Without root, btrfs tells no subvolume's UUID or flags: apply (as root) checks again, and never deletes a writable one.
    const reason = unchecked.has(path) ? 'named like a btrfs snapshot left by an interrupted run (not checked: reading subvolumes needs root and btrfs-progs)' : 'btrfs snapshot left by an interrupted run';
    actions.push({ type: 'cleanup', archive: path, path, target: { kind: 'btrfs-snapshot', path }, reason });
  }
  for (const other of observed.others) {
    if (other.volume === undefined || !volumeNames.has(other.volume)) continue;
    if (other.kind !== 'partial' && other.kind !== 'orphan-sidecar') continue;
    const path = join(dir, other.file);
    actions.push({
      type: 'cleanup',
      volume: other.volume,
      archive: other.file,
      path,
      target: { kind: 'file', path },
      reason: other.kind === 'partial' ? 'incomplete archive of an interrupted run' : 'checksum file whose archive is gone',
    });
  }
  return { actions, diagnostics };
}

interface VolumePlan {
  readonly actions: Action[];
  readonly kept: Kept[];
  readonly diagnostics: Diagnostic[];
}

/** The planned archive stands in retention as the newest item, so apply keeps exactly what the counting rules say. */
interface PlannedItem {
  readonly time: number;
  readonly file: string;
}

function newestArchive(archives: readonly Archive[]): Archive | undefined {
  return archives.reduce<Archive | undefined>((a, b) => (a === undefined || b.time > a.time ? b : a), undefined);
}

/**
 * keepWithin counts from the newest complete archive, not from the planned
 * one (which stands at `now`), so a week of failed backups never ages out the
 * last good ones: the window is widened by the gap between them.
 */
function withinFromNewestComplete(rules: Retention, newest: Archive | undefined, now: number, due: boolean): Retention {
  if (!due || rules.withinMs === undefined || newest === undefined) return rules;
  return { ...rules, withinMs: rules.withinMs + (now - newest.time), withinText: rules.withinText ?? formatDuration(rules.withinMs) };
}

/** Why an archive that no rule keeps stays: see `held` in planVolume. */
const HELD = 'deletion held: archives dated after now';

function planVolume(policy: HostPolicy, volume: Volume, archives: readonly Archive[], observed: Observed, now: number, dir: string): VolumePlan {
  const actions: Action[] = [];
  const diagnostics: Diagnostic[] = [];
  const due = dueness(volume.schedule, archives.map((a) => a.time), now, policy.timezone);

  // Retention runs over the archives themselves (no wrapper per archive: a long history has 100,000).
  let planned: PlannedItem | undefined;
  if (due.due) {
    const name = archiveName(policy.host, volume.name, now, volume.compression);
    actions.push({ type: 'create', volume: volume.name, archive: name, path: join(dir, name), reason: due.reason });
    planned = { time: now, file: name };
    if (volume.source.kind === 'path') {
      diagnostics.push({
        severity: 'warning',
        volume: volume.name,
        message: `${describeSource(volume.source)} is archived as it is, not from a snapshot: files changing during the backup may be inconsistent`,
      });
    }
    if (volume.source.kind === 'lvm') {
      const inside = observed.backupDirInside?.[volume.name];
      const estimate = observed.newestArchiveBytes?.[volume.name];
      const onOrigin = inside === undefined ? undefined : { inside, ...(estimate !== undefined ? { estimateBytes: estimate } : {}) };
      diagnostics.push(...lvmPreflight(volume, observed.lvm, observed.lvContents?.[volume.name], onOrigin, observed.btrfsCopyRefused?.includes(volume.name) === true));
    }
    for (const program of ['tar', COMPRESSOR_PROGRAM[volume.compression]]) {
      if (program !== undefined && observed.missingPrograms?.includes(program) === true) {
        diagnostics.push({ severity: 'error', volume: volume.name, message: `${program} is not installed (not found on PATH): apply will fail for this volume` });
      }
    }
    if (observed.missingSources?.includes(volume.name) === true) {
      diagnostics.push({ severity: 'error', volume: volume.name, message: `${describeSource(volume.source)} does not exist: apply will fail for this volume` });
    }
    if (observed.nonDirectorySources?.includes(volume.name) === true) {
      diagnostics.push({ severity: 'error', volume: volume.name, message: `${describeSource(volume.source)} is not a directory: apply will fail for this volume` });
    }
    if (observed.notSubvolumes?.includes(volume.name) === true) {
      diagnostics.push({ severity: 'error', volume: volume.name, message: `${describeSource(volume.source)} is not a btrfs subvolume: apply will fail for this volume` });
    }
    const mounted = observed.mountsInside?.[volume.name];
    if (mounted !== undefined) diagnostics.push({ severity: 'info', volume: volume.name, message: mountsInsideMessage(mounted) });
    const nested = observed.nestedSubvolumes?.[volume.name];
    if (nested !== undefined) diagnostics.push({ severity: 'warning', volume: volume.name, message: volume.source.kind === 'path' ? subvolumesInsideMessage(nested) : nestedSubvolumesMessage(nested) });
    if (volume.allowEmpty !== true && observed.emptySources?.includes(volume.name) === true) {
      diagnostics.push({ severity: 'error', volume: volume.name, message: `${describeSource(volume.source)} is an empty directory (a file system not mounted?): apply will fail for this volume and delete none of its archives; allowEmpty: true archives it anyway` });
    }
    const inside = observed.backupDirInside !== undefined ? observed.backupDirInside[volume.name] : backupDirInside(volume, policy.backupDir, policy.host);
    if (inside !== undefined) {
      diagnostics.push({ severity: 'info', volume: volume.name, message: `the backup directory ${policy.backupDir} lies inside this volume: ./${inside} is left out of its archives` });
    }
  }
  const newest = newestArchive(archives);
  // The newest archive is dated after now exactly when some archive is. The
  // rules would rank those first and expire what this clock makes next, the
  // freshest data there is, one run after another: deletions wait instead.
  const held = newest !== undefined && newest.time > now;
  if (held) {
    const count = archives.filter((a) => a.time > now).length;
    const some = count === 1 ? '1 archive is' : `${count} archives are`;
    diagnostics.push({
      severity: 'warning',
      volume: volume.name,
      message: `${some} dated after now (newest ${newest.file}): was the clock set back, or is --now before them? No archive of this volume is deleted until now passes them (remove them by hand if their dates are wrong)`,
    });
  }
  // Two passes. First what the rules keep of the archives there are: the
  // rest expires even if the new archive is never written, and is the room
  // apply may make when the backup disk is full. Then the planned archive
  // among what the first pass kept: what it pushes out (the nth newest, a
  // bucket's oldest archive) expires only once it is written. Dropping the
  // archives that expire anyway leaves the second pass's verdicts
  // unchanged: no rule counts them.
  const first = applyRetention(archives, volume.retention, policy.timezone);
  let keep: readonly { item: Archive | PlannedItem; reasons: string[] }[] = first.keep;
  let pushedOut: readonly Archive[] = [];
  if (planned !== undefined) {
    const second = applyRetention<Archive | PlannedItem>([...first.keep.map((k) => k.item), planned], withinFromNewestComplete(volume.retention, newest, now, true), policy.timezone);
    keep = second.keep;
    pushedOut = second.remove.filter((item): item is Archive => item !== planned);
  }
  const kept: Kept[] = [];
  for (const k of keep) if (k.item !== planned) kept.push({ volume: volume.name, archive: k.item.file, reasons: k.reasons });
  const expired = 'expired: no retention rule keeps it';
  const expiresOnCreate = 'expired once the new archive is written';
  const inDir = join(dir, ''); // one shared prefix string for the paths below
  const remove = (archive: Archive, afterCreate: boolean): void => {
    // The planned archive does not exist yet: the newest complete one is never deleted.
    if (archive === newest) {
      kept.unshift({ volume: volume.name, archive: archive.file, reasons: ['newest complete archive'] });
      return;
    }
    if (held) {
      kept.push({ volume: volume.name, archive: archive.file, reasons: [HELD] });
      return;
    }
    const path = inDir + archive.file;
    const why = afterCreate ? expiresOnCreate : expired;
    const reason = archive.format === 'legacy' ? `${why}; a py_snap archive` : why;
    const expiresAnyway = planned !== undefined && !afterCreate;
    // Literal shapes rather than conditional spreads: this runs once per expiring archive.
    actions.push(
      archive.hasSidecar
        ? expiresAnyway
          ? { type: 'delete', volume: volume.name, archive: archive.file, path, sidecar: `${path}${SIDECAR_SUFFIX}`, reason, expiresAnyway }
          : { type: 'delete', volume: volume.name, archive: archive.file, path, sidecar: `${path}${SIDECAR_SUFFIX}`, reason }
        : expiresAnyway
          ? { type: 'delete', volume: volume.name, archive: archive.file, path, reason, expiresAnyway }
          : { type: 'delete', volume: volume.name, archive: archive.file, path, reason },
    );
  };
  // Both lists are newest first; merged, the deletions stay newest first (the renderer relies on it).
  let p = 0;
  for (const archive of first.remove) {
    while (p < pushedOut.length && (pushedOut[p] as Archive).time >= archive.time) remove(pushedOut[p++] as Archive, true);
    remove(archive, false);
  }
  while (p < pushedOut.length) remove(pushedOut[p++] as Archive, true);
  return { actions, kept, diagnostics };
}

/** The archives of each volume, in their order; when all are one volume's (the usual case), that list as it is. */
function archivesByVolume(archives: readonly Archive[]): Map<string, readonly Archive[]> {
  const first = archives[0];
  if (first === undefined) return new Map();
  if (archives.every((a) => a.volume === first.volume)) return new Map([[first.volume, archives]]);
  const byVolume = new Map<string, Archive[]>();
  for (const archive of archives) {
    const list = byVolume.get(archive.volume);
    if (list) list.push(archive);
    else byVolume.set(archive.volume, [archive]);
  }
  return byVolume;
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
  if (observed.backupDirReadOnly === true) {
    diagnostics.push({ severity: 'error', message: `${dir} is on a read-only mount: apply can write no archive and delete none` });
  }
  if (observed.backupDirDanglingLink !== undefined) {
    diagnostics.push({ severity: 'error', message: danglingBackupDir(dir, observed.backupDirDanglingLink) });
  } else if (observed.backupDirVanished === true) {
    diagnostics.push({ severity: 'error', message: vanishedBackupDir(dir) });
  } else if (!observed.backupDirExists) {
    diagnostics.push({ severity: 'info', message: `${dir} does not exist yet; apply will create it` });
  }

  const cleanup = cleanupActions(policy, observed, dir);
  let actions: Action[] = [...cleanup.actions];
  diagnostics.push(...cleanup.diagnostics);
  if (observed.applyRunning) {
    // Its partial archive and its snapshot look exactly like an interrupted run's: say so before anyone removes them by hand.
    const { pid, sinceMs } = observed.applyRunning;
    // How long, as status says it too; not when planning for another time (--now before it started).
    const age = sinceMs !== undefined && now >= sinceMs ? `for ${formatDuration(now - sinceMs)}` : undefined;
    const about = [...(pid !== undefined ? [`pid ${pid}`] : []), ...(age !== undefined ? [age] : [])];
    const who = `an apply is running now${about.length > 0 ? ` (${about.join(', ')})` : ''}`;
    diagnostics.push(
      cleanup.actions.length > 0
        ? { severity: 'warning', message: `${who}: the leftovers to clean up may be its work in progress, not an interrupted run's; plan again once it has finished` }
        : { severity: 'info', message: `${who}: this plan may be out of date once it has finished` },
    );
  }
  let kept: Kept[] = [];
  const byVolume = archivesByVolume(observed.archives);
  for (const volume of policy.volumes) {
    const result = planVolume(policy, volume, byVolume.get(volume.name) ?? [], observed, now, dir);
    // concat, not push(...list): spreading passes every element as an argument, which overflows the stack past about 100,000.
    actions = actions.concat(result.actions);
    kept = kept.concat(result.kept);
    diagnostics.push(...result.diagnostics);
  }
  const space = spaceWarning(actions, observed, dir);
  if (space !== undefined) diagnostics.push(space);

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

/** "<dir> is missing: <link> is a symbolic link to <target>, which does not exist": plan's and apply's error, status's reason. */
export function danglingDescription(dir: string, dangling: { readonly link: string; readonly target: string }): string {
  return `${dir} is missing: ${dangling.link} is a symbolic link to ${dangling.target}, which does not exist`;
}

/** Why apply refuses when a symbolic link leaves the host directory dangling: it would fail, or write beside the real place. */
export function danglingBackupDir(dir: string, dangling: { readonly link: string; readonly target: string }): string {
  return `${danglingDescription(dir, dangling)} (is its file system mounted?); apply refuses to run until it resolves`;
}

/** Why apply refuses to run when the host directory it wrote archives into is gone. */
export function vanishedBackupDir(dir: string): string {
  return `${dir} is missing, but earlier applies on this machine wrote archives there: is its file system mounted? apply refuses to run until it is back (to start afresh there, create it: mkdir -m 700 ${dir})`;
}

/**
 * A warning when the backup file system has less room than the new archives
 * need, each estimated by its volume's newest archive. Expired archives are
 * deleted after the new ones; only when the disk fills up does apply delete
 * those the rules drop anyway and try once more (their sizes are not read:
 * a long history would cost a stat each).
 */
function spaceWarning(actions: readonly Action[], observed: Observed, dir: string): Diagnostic | undefined {
  const free = observed.backupFreeBytes;
  const sizes = observed.newestArchiveBytes;
  if (free === undefined || sizes === undefined) return undefined;
  let need = 0;
  let first = 0;
  for (const a of actions) {
    if (a.type === 'create') need += sizes[a.volume] ?? 0;
    else if (a.type === 'delete' && a.expiresAnyway === true) first++;
  }
  if (need <= free) return undefined;
  const room = first > 0 ? `; then it deletes the ${counted(first, 'archive')} the rules drop anyway and tries once more` : '; expired archives are deleted only after the new ones are written';
  return {
    severity: 'warning',
    message: `${dir} has ${formatBytes(free)} free, but the new archives will take about ${formatBytes(need)} (the size of each volume's newest archive): apply may run out of space${room}`,
  };
}
