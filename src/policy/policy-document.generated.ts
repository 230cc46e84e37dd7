/* Generated from schema/policy.schema.json by `npm run gen:types`. Do not edit:
 * change the schema and regenerate (a unit test fails when this file is stale). */

/**
 * healthchecks.io-style URL pinged at start (/start), on success and on failure (/fail). At top level: for the whole run; on a volume (or in defaults): for that volume, and volumes with the same URL share one check (/fail if any of them failed); a volume URL that is the top-level one is covered by the run's pings. A user:password@ in it is sent as HTTP Basic authentication. A failing ping never fails the backup.
 */
export type HealthcheckUrl = string;
/**
 * When a new archive is due: once per calendar hour, day, ISO week or month in the policy's time zone, or once per `every` bucket (whole minutes, 1m or more) aligned to local midnight. Default daily.
 */
export type Schedule = ('hourly' | 'daily' | 'weekly' | 'monthly') | EverySchedule;
/**
 * A duration: one or more <number><unit> parts, units in the order w (weeks), d (days), h (hours), m (minutes), s (seconds), each at most once, total above zero. Examples: 3d, 2d12h, 1w, 90m, 6h, 30s.
 */
export type Duration = string;
/**
 * A positive integer.
 */
export type Count = number;
/**
 * Compressor for archives. Default zstd.
 */
export type Compression = 'zstd' | 'gzip' | 'xz' | 'none';
/**
 * Compressor level (zstd 1-19, gzip and xz 1-9; none takes no level). Default: the compressor's own default.
 */
export type CompressionLevel = number;
/**
 * GNU tar --exclude patterns, e.g. "*.tmp", "cache" (at any depth), "/var/tmp" (from the volume root, not the host: for path /srv write /cache, not /srv/cache); a trailing / is dropped.
 */
export type Exclude = string[];
/**
 * A command as an argument vector, run without a shell (write [sh, -c, "..."] to use one).
 *
 * @minItems 1
 */
export type Argv = [string, ...string[]];
/**
 * Files (relative to the volume root, globs allowed) that `restore --strip-locks` removes so the service starts cleanly from a restored copy, e.g. mongod.lock.
 */
export type LockFiles = string[];
/**
 * Archive the volume even when its directory (or snapshot) is empty. Default false: an empty source is usually a file system that is not mounted, so apply fails the volume, writes no archive and deletes none (plan shows this as an error for path and btrfs sources, whose directories it can look into).
 */
export type AllowEmpty = boolean;

/**
 * A snapctl backup policy (one YAML file; a directory of them is read as one policy). The single source of truth for the policy format: TypeScript types and the validator are generated from this file.
 */
export interface PolicyDocument {
  /**
   * Policy format version. Only 1 exists.
   */
  version: 1;
  /**
   * IANA time zone name (e.g. Europe/Berlin, UTC) for schedule periods, retention buckets and legacy py_snap timestamps. Default: the system time zone of the machine running snapctl.
   */
  timezone?: string;
  healthcheck?: HealthcheckUrl;
  defaults?: VolumeDefaults;
  hosts: HostsDocument;
}
/**
 * Settings merged under every volume of every host. A volume's own key replaces the default's value wholesale (a volume's `retention` replaces the whole default `retention`, it is not merged rule by rule). Sources, mount and legacy are per volume and cannot be defaulted.
 */
export interface VolumeDefaults {
  schedule?: Schedule;
  retention?: Retention;
  compression?: Compression;
  compressionLevel?: CompressionLevel;
  snapshot?: SnapshotSettings;
  exclude?: Exclude;
  hooks?: Hooks;
  lockFiles?: LockFiles;
  allowEmpty?: AllowEmpty;
  healthcheck?: HealthcheckUrl;
}
export interface EverySchedule {
  every: Duration;
}
/**
 * Which archives to keep, with restic `forget --keep-*` semantics: an archive is deleted only when no rule keeps it; no rule at all keeps everything; the newest complete archive is always kept.
 */
export interface Retention {
  /**
   * Keep the n newest archives.
   */
  keepLast?: Count;
  /**
   * Keep the newest archive of each of the n newest hours that have one.
   */
  keepHourly?: Count;
  /**
   * Keep the newest archive of each of the n newest days that have one.
   */
  keepDaily?: Count;
  /**
   * Keep the newest archive of each of the n newest ISO weeks that have one.
   */
  keepWeekly?: Count;
  /**
   * Keep the newest archive of each of the n newest months that have one.
   */
  keepMonthly?: Count;
  /**
   * Keep the newest archive of each of the n newest years that have one.
   */
  keepYearly?: Count;
  /**
   * Keep every archive newer than (newest archive - this duration). At most 5218w (100 years).
   */
  keepWithin?: Duration;
}
/**
 * LVM classic snapshot settings (thin snapshots need none).
 */
export interface SnapshotSettings {
  /**
   * Snapshot size in lvcreate syntax: a size (-L) like 512M, 2G, 1.5T (a bare number is MiB), or a share (-l) like 10%ORIGIN, 100%FREE, 50%VG, 20%PVS, or a number of extents. Default 10%ORIGIN.
   */
  size?: string;
}
/**
 * Commands run around the snapshot (e.g. to flush and lock a database for the instant of the snapshot). postSnapshot always runs once preSnapshot ran.
 */
export interface Hooks {
  /**
   * Commands run in order before the snapshot; a failure cancels the volume's run.
   */
  preSnapshot?: Argv[];
  /**
   * Commands run in order after the snapshot is taken (or failed).
   */
  postSnapshot?: Argv[];
  /**
   * Time limit for each hook command. Default 5m, at most 24d.
   */
  timeout?: Duration;
}
/**
 * Hosts by name. A key is a host name (db01) or a glob (db*, web-?, db[0-9]*): an exact name wins over globs; among matching globs the one with the most literal characters wins, and two matching globs with as many literal characters are an error.
 */
export interface HostsDocument {
  [k: string]: HostDocument | undefined;
}
/**
 * What to back up on the hosts matched by this key.
 */
export interface HostDocument {
  /**
   * Absolute directory under which archives are kept, in <backupDir>/<hostname>/. Default /backup. `--backup-dir` overrides it (py_snap's -b).
   */
  backupDir?: string;
  /**
   * Absolute private directory under which snapshots are mounted read-only, as <mountRoot>/<volume>. Default /run/snapctl (py_snap's -m).
   */
  mountRoot?: string;
  volumes: VolumesDocument;
}
/**
 * Volumes by name. A name matches [A-Za-z0-9][A-Za-z0-9_.-]* without "..", at most 150 characters; it is part of archive file names.
 */
export interface VolumesDocument {
  [k: string]: VolumeDocument | undefined;
}
/**
 * One volume to back up: exactly one source (lvm, btrfs or path) plus settings. Every setting left out comes from `defaults`, then from snapctl's own defaults.
 */
export interface VolumeDocument {
  /**
   * Source: the logical volume VG/LV, snapshotted with lvcreate (a classic COW snapshot, or a thin snapshot for a thin LV).
   */
  lvm?: string;
  /**
   * Source: an absolute btrfs subvolume path, snapshotted read-only next to itself.
   */
  btrfs?: string;
  /**
   * Source: an absolute directory archived as it is (no snapshot, so not point in time).
   */
  path?: string;
  /**
   * Absolute mount point of the origin (py_snap's -f). Used to recognise py_snap's archives, named <host><mount with / replaced by _>.
   */
  mount?: string;
  legacy?: LegacyDocument;
  schedule?: Schedule;
  retention?: Retention;
  compression?: Compression;
  compressionLevel?: CompressionLevel;
  snapshot?: SnapshotSettings;
  exclude?: Exclude;
  hooks?: Hooks;
  lockFiles?: LockFiles;
  allowEmpty?: AllowEmpty;
  healthcheck?: HealthcheckUrl;
}
/**
 * What py_snap may have left behind for this volume after a crash: its snapshot LV and its mount point. Reported by plan; removed only with cleanup: true.
 */
export interface LegacyDocument {
  /**
   * py_snap's snapshot VG/LV (its -s, default lv_data_snap, in the origin's VG).
   */
  snapshot?: string;
  /**
   * py_snap's snapshot mount point (its -m, default /tmp/snap_backup).
   */
  mountPoint?: string;
  /**
   * Whether snapctl may unmount and remove these leftovers. Default false: only report them.
   */
  cleanup?: boolean;
}
