// Executes a plan it is given (never re-plans): cleanups of leftovers, then
// per volume create → verify → commit → only then that volume's deletes.
// Every snapshot is released in a `finally`, also on failure and interrupt.
import type { Action, CleanupAction, HostPolicy, Plan, Source, Volume } from '../core/model.js';
import { OutOfSpaceError, SnapctlError } from '../core/errors.js';
import { archiveName, classifyBackupDir, SIDECAR_SUFFIX } from '../core/naming.js';
import { formatCompactUtc } from '../core/time.js';
import { volumeRoot } from '../core/self-exclusion.js';
import { counted, describeSource } from '../core/describe.js';
import type { ArchiveOptions, ArchiveResult } from './archive-writer.js';
import type { DirectoryState } from '../adapters/directory-state.js';
import type { PreparedSource, SourceDriver, StepLog, TakeContext } from './source.js';

/** A volume's pruning stops after this many deletions failed one after the other. */
const MAX_FAILED_DELETES_IN_A_ROW = 10;

export interface RunLog extends StepLog {
  error(message: string): void;
  child(volume: string): RunLog;
}

export interface ApplyPorts {
  readonly drivers: Readonly<Record<Source['kind'], SourceDriver>>;
  readonly writeArchive: (opts: ArchiveOptions) => Promise<ArchiveResult>;
  /** Removes one leftover (mount, snapshot, partial file). */
  readonly cleanup: (action: CleanupAction, log: RunLog) => Promise<void>;
  /** Removes an expired archive, then its sidecar (missing files are fine); syncDir makes the removals durable. */
  readonly removeArchive: (path: string, sidecar: string | undefined) => Promise<void>;
  /** Flushes a directory's entries to disk (after a volume's deletions). */
  readonly syncDir: (dir: string) => Promise<void>;
  /** Whether a directory exists and has entries. */
  readonly directoryState: (dir: string) => Promise<DirectoryState>;
  /** Where the backup directory lies inside the volume (relative to its root): tar leaves it out. */
  readonly locateBackupDir: (volume: Volume, backupDir: string, host: string) => Promise<string | undefined>;
  /** Creates <backupDir>/<host> when missing. */
  readonly ensureDir: (dir: string) => Promise<void>;
  /** Runs pre hooks → take → post hooks (post always, once pre ran). */
  readonly withSnapshotHooks: <T>(volume: Volume, take: () => Promise<T>, log: StepLog, signal: AbortSignal) => Promise<T>;
  readonly clock: () => number;
  /**
   * The instant a new archive is named after, read just before its snapshot
   * is taken (ms): the real clock, or the fixed --now of a simulation. Not the
   * plan's time: a run's later volumes, and a saved plan applied hours after
   * it was made, are taken later than that.
   */
  readonly snapshotClock: () => number;
}

/**
 * Observers of the run (healthcheck pings, the progress line): the engine
 * never prints or pings itself. A hook that throws is logged and ignored;
 * monitoring never changes a backup's result.
 */
export interface ApplyHooks {
  /** Before a volume's work (its planned actions, possibly none). */
  readonly volumeStart?: (volume: Volume, planned: readonly Action[]) => Promise<void>;
  /** After a volume's work, with its outcome. */
  readonly volumeDone?: (volume: Volume, outcome: VolumeOutcome) => Promise<void>;
  /** tar is about to read `sourceDir` (the mounted snapshot or the path). */
  readonly archiveStart?: (volume: string, sourceDir: string) => void;
  /** Uncompressed bytes tar has read so far (about every 10 MB). */
  readonly archiveProgress?: (volume: string, bytesIn: number) => void;
  /** The archive writer returned (written or failed). */
  readonly archiveEnd?: (volume: string) => void;
}

export type VolumeStatus = 'created' | 'up-to-date' | 'failed' | 'interrupted' | 'not-run';

/**
 * How a volume's run went, as the state file, the metrics, status and --json
 * record it: ok (archived, nothing failed), skipped (not due, nothing
 * failed), failed (anything failed: also a deletion or the snapshot release
 * after a good archive, or pruning a volume that was not due).
 */
export type VolumeResult = 'ok' | 'skipped' | 'failed';

export interface VolumeOutcome {
  readonly volume: string;
  /** What was done; `result` says whether it all went well. */
  readonly status: VolumeStatus;
  /** Absent exactly when the volume was not run (status not-run). */
  readonly result?: VolumeResult;
  /** When this volume's work began and ended (its archive, then its deletions), ISO 8601; absent when it was not run. */
  readonly startedAt?: string;
  readonly finishedAt?: string;
  /** When its new archive was complete under its final name, ISO 8601. */
  readonly archivedAt?: string;
  readonly archive?: string;
  readonly bytes?: number;
  readonly sha256?: string;
  readonly durationMs?: number;
  readonly deleted: readonly string[];
  /** Failures of this volume (create, release, deletes), in order. */
  readonly errors: readonly string[];
  /** Its warnings, in order (tar's "file changed as we read it", a nested btrfs subvolume, …); absent when none. */
  readonly warnings?: readonly string[];
  /** Highest snapshot usage seen (percent), when the source reports it. */
  readonly snapshotPercent?: number;
}

export interface CleanupOutcome {
  readonly archive: string;
  readonly ok: boolean;
  readonly error?: string;
}

export interface ApplyResult {
  readonly host: string;
  readonly now: string;
  readonly backupDir: string;
  readonly cleanups: readonly CleanupOutcome[];
  readonly volumes: readonly VolumeOutcome[];
  /** Set when SIGINT/SIGTERM stopped the run. */
  readonly interrupted: boolean;
  /** True when at least one change was made (for the exit code: 1 vs 3). */
  readonly changed: boolean;
  readonly failed: boolean;
}

function message(err: unknown): string {
  if (err instanceof SnapctlError) return err.detail ? `${err.summary} (${err.detail})` : err.summary;
  return err instanceof Error ? err.message : String(err);
}

/** The volume's result from what was done and its errors: an error fails it whatever else went well. */
export function volumeResult(outcome: Pick<VolumeOutcome, 'status' | 'errors'>): VolumeResult | undefined {
  if (outcome.status === 'not-run') return undefined;
  if (outcome.status === 'failed' || outcome.status === 'interrupted' || outcome.errors.length > 0) return 'failed';
  return outcome.status === 'created' ? 'ok' : 'skipped';
}

/** Refuses to delete anything that is not a recognised archive of this volume inside the host's directory. */
function assertDeletable(policy: HostPolicy, plan: Plan, volume: Volume, action: Action): void {
  const expected = `${plan.backupDir}/${action.archive}`;
  const { archives } = classifyBackupDir([action.archive], policy.host, [volume], policy.timezone);
  if (action.path !== expected || archives.length !== 1 || archives[0]?.volume !== volume.name) {
    throw new SnapctlError('operation', `refusing to delete ${action.path}: not a recognised archive of volume ${volume.name} in ${plan.backupDir}`);
  }
  if (action.type === 'delete' && action.sidecar !== undefined && action.sidecar !== `${expected}${SIDECAR_SUFFIX}`) {
    throw new SnapctlError('operation', `refusing to delete ${action.sidecar}: not the checksum file of ${action.archive}`);
  }
}

async function createArchive(
  policy: HostPolicy,
  plan: Plan,
  volume: Volume,
  action: Action,
  ports: ApplyPorts,
  log: RunLog,
  signal: AbortSignal,
  hooks: ApplyHooks,
  usage: { percent?: number },
): Promise<{ result: ArchiveResult; name: string; errors: string[]; archivedAt: number }> {
  const driver = ports.drivers[volume.source.kind];
  const ctx: TakeContext = {
    host: policy.host,
    mountRoot: policy.mountRoot,
    runStamp: formatCompactUtc(Date.parse(plan.now)),
    log,
    btrfsSubvolumes: policy.volumes.flatMap((v) => (v.source.kind === 'btrfs' ? [v.source.subvolume] : [])),
    volumeDirs: policy.volumes.flatMap((v) => volumeRoot(v) ?? []),
    backupDir: policy.backupDir,
    signal,
  };
  // Before any snapshot: a backup directory that cannot be created fails this volume, not the run.
  await ports.ensureDir(plan.backupDir).catch((err: unknown) => {
    throw new SnapctlError('operation', `cannot create the backup directory ${plan.backupDir}: ${message(err)}`);
  });
  await driver.preflight(volume, ctx);
  let prepared: PreparedSource | undefined;
  let finalName = action.archive;
  const errors: string[] = [];
  try {
    prepared = await ports.withSnapshotHooks(
      volume,
      () => {
        finalName = archiveName(policy.host, volume.name, ports.snapshotClock(), volume.compression);
        return driver.take(volume, ctx);
      },
      log,
      signal,
    );
    const source = prepared;
    if (volume.allowEmpty !== true && (await ports.directoryState(source.dir)) === 'empty') {
      const why = volume.source.kind === 'lvm' ? 'its snapshot holds no file' : 'a file system not mounted?';
      throw new SnapctlError('operation', `${describeSource(volume.source)} is empty (${why}): no archive written`, 'set allowEmpty: true on the volume to archive an empty source');
    }
    log.info(`archiving ${source.dir} into ${finalName}`);
    const inside = await ports.locateBackupDir(volume, policy.backupDir, policy.host);
    if (inside !== undefined) log.info(`leaving out ./${inside}: the backup directory ${policy.backupDir} lies inside this volume`);
    observe(log, () => hooks.archiveStart?.(volume.name, source.dir));
    const result = await ports.writeArchive({
      sourceDir: source.dir,
      destDir: plan.backupDir,
      finalName,
      compression: volume.compression,
      ...(volume.compressionLevel !== undefined ? { level: volume.compressionLevel } : {}),
      exclude: volume.exclude,
      ...(inside !== undefined ? { excludePaths: [inside] } : {}),
      signal,
      ...(hooks.archiveProgress ? { onProgress: (bytesIn: number) => observe(log, () => hooks.archiveProgress?.(volume.name, bytesIn)) } : {}),
      // The snapshot is checked before the archive gets its final name, so an
      // overflowed snapshot never leaves a complete-looking archive behind.
      beforeCommit: async () => {
        const why = await source.verify();
        if (why === undefined) return;
        // Written onto the origin, the archive itself filled the snapshot: say so, or a larger snapshot.size may never be enough.
        const onOrigin = volume.source.kind === 'lvm' && inside !== undefined;
        throw new SnapctlError('operation', why, onOrigin ? `the backup directory lies on this volume's LV (./${inside}): the snapshot also had to hold a copy of every block of the archive written there; put backupDir on another LV, or size the snapshot for the archive as well` : undefined);
      },
    }).finally(() => observe(log, () => hooks.archiveEnd?.(volume.name)));
    // Complete under its final name: the end of this archive, before the snapshot is released.
    const archivedAt = ports.clock();
    for (const w of result.warnings) log.warn(w);
    log.info(`wrote ${finalName} (${result.bytes} bytes, sha256 ${result.sha256.slice(0, 16)}…) in ${(result.durationMs / 1000).toFixed(1)} s`);
    return { result, name: finalName, errors, archivedAt };
  } finally {
    const percent = prepared?.usagePercent?.();
    if (percent !== undefined) usage.percent = percent;
    if (prepared) {
      try {
        await prepared.release();
      } catch (err) {
        // The archive may be fine; the leftover is reported and cleaned by the next run.
        log.error(`could not release the snapshot: ${message(err)}`);
        errors.push(`snapshot not released: ${message(err)}`);
      }
    }
  }
}

/** Runs an observer hook; one that throws is a warning, never a failed backup. */
function observe(log: RunLog, fn: () => unknown): void {
  try {
    const r = fn();
    if (r instanceof Promise) r.catch((err: unknown) => log.warn(`monitoring hook failed: ${message(err)}`));
  } catch (err) {
    log.warn(`monitoring hook failed: ${message(err)}`);
  }
}

async function observeAsync(log: RunLog, fn: () => Promise<void> | undefined): Promise<void> {
  try {
    await fn();
  } catch (err) {
    log.warn(`monitoring hook failed: ${message(err)}`);
  }
}

/**
 * Deletes expired archives (and their sidecars) in order, adding to `deleted`
 * and `errors`; then flushes the directory once, not once per archive (a long
 * history expiring at once would cost a journal commit per file). A deletion
 * a crash undoes leaves a whole archive the next plan deletes again.
 */
async function deleteExpired(
  deletes: readonly Action[],
  policy: HostPolicy,
  plan: Plan,
  volume: Volume,
  ports: ApplyPorts,
  log: RunLog,
  signal: AbortSignal,
  deleted: string[],
  errors: string[],
): Promise<void> {
  const before = deleted.length;
  let failedInARow = 0;
  for (const [i, action] of deletes.entries()) {
    if (signal.aborted) break;
    if (failedInARow === MAX_FAILED_DELETES_IN_A_ROW) {
      // A read-only or unreachable directory fails every deletion alike: say so once, not once per archive.
      const left = deletes.length - i;
      log.error(`stopped deleting after ${failedInARow} failures in a row; ${left} more expired archives are left for the next run`);
      errors.push(`delete: stopped after ${failedInARow} failures in a row, ${left} more expired archives left`);
      break;
    }
    try {
      assertDeletable(policy, plan, volume, action);
      await ports.removeArchive(action.path, action.type === 'delete' ? action.sidecar : undefined);
      log.info(`deleted ${action.archive} (${action.reason})`);
      deleted.push(action.archive);
      failedInARow = 0;
    } catch (err) {
      log.error(`could not delete ${action.archive}: ${message(err)}`);
      errors.push(`delete ${action.archive}: ${message(err)}`);
      failedInARow++;
    }
  }
  const count = deleted.length - before;
  if (count > 0) {
    try {
      await ports.syncDir(plan.backupDir);
    } catch (err) {
      log.error(`could not flush ${plan.backupDir} after deleting ${count} archives: ${message(err)}`);
      errors.push(`flush ${plan.backupDir}: ${message(err)}`);
    }
  }
}

async function runVolume(policy: HostPolicy, plan: Plan, volume: Volume, ports: ApplyPorts, log: RunLog, signal: AbortSignal, hooks: ApplyHooks): Promise<VolumeOutcome> {
  const mine = plan.actions.filter((a) => a.volume === volume.name);
  const create = mine.find((a) => a.type === 'create');
  const deletes = mine.filter((a) => a.type === 'delete');
  // What the rules drop even without the new archive: the room to make when the disk is full.
  const anyway = create === undefined ? [] : deletes.filter((a) => a.type === 'delete' && a.expiresAnyway === true);
  const errors: string[] = [];
  const deleted: string[] = [];
  let madeRoom = false;
  let created: (ArchiveResult & { readonly name: string; readonly archivedAt: number }) | undefined;
  const usage: { percent?: number } = {};
  const usageField = (): { snapshotPercent?: number } => (usage.percent !== undefined ? { snapshotPercent: usage.percent } : {});
  if (create) {
    const started = ports.clock();
    for (;;) {
      try {
        const out = await createArchive(policy, plan, volume, create, ports, log, signal, hooks, usage);
        created = { ...out.result, name: out.name, archivedAt: out.archivedAt };
        errors.push(...out.errors);
        break;
      } catch (err) {
        if (signal.aborted) return { volume: volume.name, status: 'interrupted', deleted, errors: [...errors, message(err)] };
        // A full backup disk: what the rules drop anyway makes room, once. Any
        // other failure deletes nothing, so a broken volume keeps its history.
        if (err instanceof OutOfSpaceError && !madeRoom && anyway.length > 0) {
          madeRoom = true;
          log.warn(`${message(err)}: deleting the ${counted(anyway.length, 'archive')} the rules drop even without a new one, then trying once more`);
          const before = deleted.length;
          await deleteExpired(anyway, policy, plan, volume, ports, log, signal, deleted, errors);
          if (signal.aborted) return { volume: volume.name, status: 'interrupted', deleted, errors: [...errors, message(err)] };
          if (deleted.length > before) continue;
        }
        const what = deleted.length > 0 ? `deleted only what the rules drop even without it, to make room (${counted(deleted.length, 'archive')})` : 'nothing deleted for this volume';
        log.error(`create failed, ${what}: ${message(err)}`);
        return { volume: volume.name, status: 'failed', deleted, errors: [...errors, message(err)], durationMs: ports.clock() - started, ...usageField() };
      }
    }
  }
  // Only after the new archive is written (or with none due); in the plan's order.
  const gone = new Set(madeRoom ? anyway : []);
  await deleteExpired(madeRoom ? deletes.filter((a) => !gone.has(a)) : deletes, policy, plan, volume, ports, log, signal, deleted, errors);
  const base = { volume: volume.name, deleted, errors };
  if (!created) return { ...base, status: signal.aborted ? 'interrupted' : 'up-to-date' };
  return {
    ...base,
    status: 'created',
    archive: created.name,
    bytes: created.bytes,
    sha256: created.sha256,
    durationMs: created.durationMs,
    archivedAt: new Date(created.archivedAt).toISOString(),
    ...usageField(),
  };
}

export async function executePlan(plan: Plan, policy: HostPolicy, ports: ApplyPorts, log: RunLog, signal: AbortSignal, hooks: ApplyHooks = {}): Promise<ApplyResult> {
  const cleanups: CleanupOutcome[] = [];
  for (const action of plan.actions) {
    if (action.type !== 'cleanup' || signal.aborted) continue;
    try {
      await ports.cleanup(action, log);
      log.info(`cleaned up ${action.archive} (${action.reason})`);
      cleanups.push({ archive: action.archive, ok: true });
    } catch (err) {
      log.error(`could not clean up ${action.archive}: ${message(err)}`);
      cleanups.push({ archive: action.archive, ok: false, error: message(err) });
    }
  }

  const volumes: VolumeOutcome[] = [];
  for (const volume of policy.volumes) {
    if (signal.aborted) {
      volumes.push({ volume: volume.name, status: 'not-run', deleted: [], errors: [] });
      continue;
    }
    const planned = plan.actions.filter((a) => a.volume === volume.name && a.type !== 'cleanup');
    await observeAsync(log, () => hooks.volumeStart?.(volume, planned));
    // The volume's warnings (tar's, a nested subvolume, a hook's) also go into its outcome, for --json and the monitoring hooks.
    const volumeLog = log.child(volume.name);
    const warnings: string[] = [];
    const recording: RunLog = {
      info: (m) => volumeLog.info(m),
      warn: (m) => {
        warnings.push(m);
        volumeLog.warn(m);
      },
      error: (m) => volumeLog.error(m),
      child: (c) => volumeLog.child(c),
    };
    const startedAt = new Date(ports.clock()).toISOString();
    const ran = await runVolume(policy, plan, volume, ports, recording, signal, hooks);
    const finishedAt = new Date(ports.clock()).toISOString();
    const { volume: name, status, ...rest } = ran;
    const result = volumeResult(ran);
    const outcome: VolumeOutcome = { volume: name, status, ...(result !== undefined ? { result } : {}), startedAt, finishedAt, ...rest, ...(warnings.length > 0 ? { warnings } : {}) };
    await observeAsync(log, () => hooks.volumeDone?.(volume, outcome));
    volumes.push(outcome);
  }

  const changed = cleanups.some((c) => c.ok) || volumes.some((v) => v.status === 'created' || v.deleted.length > 0);
  const failed = cleanups.some((c) => !c.ok) || volumes.some((v) => v.result === 'failed');
  return { host: plan.host, now: plan.now, backupDir: plan.backupDir, cleanups, volumes, interrupted: signal.aborted, changed, failed };
}
