// How apply gets a point-in-time directory to archive, whatever the source
// kind: one driver per kind (lvm, btrfs, path) behind this interface.
import type { Volume } from '../core/model.js';

export interface StepLog {
  /** One line per step, with a timestamp added by the logger. */
  info(message: string): void;
  warn(message: string): void;
}

export interface TakeContext {
  readonly host: string;
  /** Private mount root; snapshots are mounted at <mountRoot>/<volume>. */
  readonly mountRoot: string;
  /** Compact UTC time of this run (YYYYMMDDTHHMMSSZ), used in snapshot names. */
  readonly runStamp: string;
  readonly log: StepLog;
  /** The subvolumes of the policy's btrfs volumes: one nested in another is archived on its own, not left out. */
  readonly btrfsSubvolumes?: readonly string[];
  /** The directories of all the policy's volumes (paths, subvolumes, LVM mounts): a subvolume inside a path volume that is one is archived on its own. */
  readonly volumeDirs?: readonly string[];
  /** The policy's backup directory: a subvolume holding it is left out of archives on purpose. */
  readonly backupDir?: string;
  /** Aborted on SIGINT/SIGTERM: long steps stop early, release() still runs. */
  readonly signal: AbortSignal;
}

export interface PreparedSource {
  /** The directory to archive (a read-only snapshot mount, or the plain path). */
  readonly dir: string;
  /**
   * Called after the archive is written and before release(): undefined when
   * the snapshot stayed consistent, else why the archive must be discarded
   * (e.g. an overflowed COW snapshot).
   */
  verify(): Promise<string | undefined>;
  /** COW usage in percent seen by the last verify() (classic LVM snapshots only), for status and metrics. */
  usagePercent?(): number | undefined;
  /** Unmount and remove the snapshot. Idempotent, safe after partial failure. */
  release(): Promise<void>;
}

export interface SourceDriver {
  /** Checks before anything is changed (tools present, free space); throws SnapctlError('preflight'). */
  preflight(volume: Volume, ctx: TakeContext): Promise<void>;
  /** Take the snapshot and mount it; on failure it must have undone its own partial work. */
  take(volume: Volume, ctx: TakeContext): Promise<PreparedSource>;
}
