// The data the whole program passes around: the normalised policy, what was
// observed on the system, and the plan. Plain data only, no behaviour, so the
// planner stays a pure function and plans can be saved and compared.

export type Compression = 'zstd' | 'gzip' | 'xz' | 'none';

/** The program that writes and reads each compression (gzip: pigz writes when installed, gzip always reads). */
export const COMPRESSOR_PROGRAM: Readonly<Record<Compression, string | undefined>> = { zstd: 'zstd', gzip: 'gzip', xz: 'xz', none: undefined };

/** Where a volume's data comes from. Exactly one per volume. */
export type Source =
  /** A classic (COW) or thin LVM snapshot of VG/LV; which one is decided at apply time from `lvs`. */
  | { readonly kind: 'lvm'; readonly vg: string; readonly lv: string }
  /** A read-only btrfs subvolume snapshot taken next to `subvolume` (absolute path). */
  | { readonly kind: 'btrfs'; readonly subvolume: string }
  /** A plain directory archived as it is (not point in time). */
  | { readonly kind: 'path'; readonly path: string };

/** When a new archive is due. Periods are calendar periods in the policy's time zone. */
export type Schedule =
  | { readonly kind: 'hourly' | 'daily' | 'weekly' | 'monthly' }
  /** Buckets of `ms` aligned to local midnight of each day (so `every: 6h` → 00,06,12,18). */
  | { readonly kind: 'every'; readonly ms: number };

/** restic `forget` rules; an absent rule is not applied. Counts are positive integers. */
export interface Retention {
  readonly last?: number;
  readonly hourly?: number;
  readonly daily?: number;
  readonly weekly?: number;
  readonly monthly?: number;
  readonly yearly?: number;
  /** keep everything newer than (newest archive − withinMs). */
  readonly withinMs?: number;
  /** The text the user wrote for keepWithin (e.g. "3d"), for reasons like "within 3d". */
  readonly withinText?: string;
}

export interface Hooks {
  /** argv arrays, run in order without a shell, before the snapshot is taken. */
  readonly preSnapshot: readonly (readonly string[])[];
  /** argv arrays, run after the snapshot is taken (always, once preSnapshot ran). */
  readonly postSnapshot: readonly (readonly string[])[];
  readonly timeoutMs: number;
}

export interface Volume {
  /** [A-Za-z0-9][A-Za-z0-9_.-]*; part of archive names. */
  readonly name: string;
  readonly source: Source;
  /** Where the origin is mounted (lvm; py_snap's -f). For legacy archive names. */
  readonly mount?: string;
  readonly schedule: Schedule;
  readonly retention: Retention;
  readonly compression: Compression;
  /** Compressor level; undefined = the compressor's snapctl default. */
  readonly compressionLevel?: number;
  /** lvcreate -L/-l syntax for classic snapshots ("10%ORIGIN", "2G"). */
  readonly snapshotSize: string;
  readonly exclude: readonly string[];
  readonly hooks: Hooks;
  /** Files (relative to the volume root, globs allowed) that restore --strip-locks removes. */
  readonly lockFiles: readonly string[];
  /** Archive an empty source; absent = refuse it (an empty directory is usually a file system not mounted). */
  readonly allowEmpty?: boolean;
  /**
   * The py_snap archive name prefix `<host><mount with / replaced by _>` for
   * this volume, computed for the resolved host, or undefined when the volume
   * has neither `mount` nor `path`.
   */
  readonly legacyPrefix?: string;
  /** healthchecks.io-style URL pinged for this volume's runs (volume, else defaults). */
  readonly healthcheck?: string;
  /** py_snap leftovers this volume may recognise and (with cleanup) remove. */
  readonly legacy?: LegacyLeftovers;
}

/** What py_snap may have left behind for a volume (its -s snapshot, its -m mount point). */
export interface LegacyLeftovers {
  /** py_snap's snapshot LV (VG/LV of the `-s` name), when known. */
  readonly snapshot?: { readonly vg: string; readonly lv: string };
  /** py_snap's snapshot mount point (`-m`, default /tmp/snap_backup), when known. */
  readonly mountPoint?: string;
  /** Whether plan/apply may remove these leftovers; false = only report them. */
  readonly cleanup: boolean;
}

/** The policy resolved for one host: what `plan` and `apply` work on. */
export interface HostPolicy {
  readonly host: string;
  /** The key in `hosts:` that matched (the host name itself or a glob). */
  readonly matchedBy: string;
  /** <backupDir> (archives live in <backupDir>/<host>/). */
  readonly backupDir: string;
  /** IANA time zone name used for periods and legacy timestamps. */
  readonly timezone: string;
  /** Private mount root for snapshots (default /run/snapctl). */
  readonly mountRoot: string;
  /** healthchecks.io-style URL pinged for the whole run (top-level `healthcheck`). */
  readonly healthcheck?: string;
  readonly volumes: readonly Volume[];
}

/** Where the policy came from, for plan headers and stale-plan detection. */
export interface PolicySource {
  /** Files read (absolute paths), in order. */
  readonly files: readonly string[];
  /** sha256 of the files' bytes (concatenated in order with their names). */
  readonly hash: string;
  readonly git?: { readonly commit: string; readonly dirty: boolean };
}

// ---------------------------------------------------------------- observed

export type ArchiveFormat = 'snapctl' | 'legacy';

/** A complete archive recognised by name. */
export interface Archive {
  /** File name only. */
  readonly file: string;
  readonly volume: string;
  /** Epoch milliseconds (UTC instant). */
  readonly time: number;
  readonly format: ArchiveFormat;
  readonly compression: Compression;
  /** Whether `<file>.sha256` exists. */
  readonly hasSidecar: boolean;
}

/** A file in the host's backup directory that is not a complete archive. */
export interface OtherFile {
  readonly file: string;
  readonly kind: 'partial' | 'orphan-sidecar' | 'unmanaged';
  /** For partial / orphan sidecars: the volume it belongs to, when recognisable. */
  readonly volume?: string;
}

/** An LVM logical volume as `lvs` reports it (the fields snapctl uses). */
export interface LogicalVolume {
  readonly vg: string;
  readonly name: string;
  readonly attr: string;
  readonly sizeBytes: number;
  /** Origin LV name for snapshots, else "". */
  readonly origin: string;
  /** snap_percent (classic snapshots) or data_percent (thin), undefined when empty. */
  readonly percent?: number;
  /** metadata_percent (thin pools), undefined when empty. */
  readonly metadataPercent?: number;
  readonly tags: readonly string[];
  readonly path: string;
  readonly dmPath: string;
  /** Thin pool name for thin LVs, else "". */
  readonly pool: string;
}

export interface VolumeGroup {
  readonly name: string;
  readonly freeBytes: number;
  readonly extentBytes: number;
  /** Total size (vg_size), when reported; needed for `N%VG` snapshot sizes. */
  readonly sizeBytes?: number;
}

export type LvmState =
  | { readonly available: true; readonly vgs: readonly VolumeGroup[]; readonly lvs: readonly LogicalVolume[] }
  | { readonly available: false; readonly reason: string };

export interface Mount {
  readonly source: string;
  readonly target: string;
  readonly fstype: string;
}

/** An apply holding the host lock: the pid it wrote into the lock file, and when it did (ms), as far as it got. */
export interface RunningApply {
  readonly pid?: number;
  readonly sinceMs?: number;
}

/** Everything `plan` needs to know about the system, gathered by adapters. */
export interface Observed {
  readonly archives: readonly Archive[];
  readonly others: readonly OtherFile[];
  /** False when <backupDir>/<host> does not exist yet (first run). */
  readonly backupDirExists: boolean;
  /** Bytes available to apply on the backup directory's file system; absent = not looked. */
  readonly backupFreeBytes?: number;
  /** Size in bytes of each volume's newest archive (volumes with one); absent = not looked. */
  readonly newestArchiveBytes?: Readonly<Record<string, number>>;
  /** <backupDir>/<host> (or where it would be made) is on a read-only mount. */
  readonly backupDirReadOnly?: boolean;
  /** <backupDir>/<host> is missing although earlier applies wrote archives there (their state says so): not mounted? */
  readonly backupDirVanished?: boolean;
  /** The host directory is missing because a symbolic link on its way points to nothing (a file system not mounted?). */
  readonly backupDirDanglingLink?: { readonly link: string; readonly target: string };
  readonly lvm: LvmState;
  /** Mounts under the policy's mount root, and mounts of known legacy leftovers. */
  readonly mounts: readonly Mount[];
  /** snapctl's btrfs snapshots left by interrupted runs (absolute paths): read-only snapshots of the volume's subvolume, named as snapctl names them. */
  readonly btrfsLeftovers: readonly string[];
  /** Those of btrfsLeftovers only named like one: the volume's subvolume could not be read (plan as a user), so neither were they; absent = none. */
  readonly btrfsLeftoversUnchecked?: readonly string[];
  /** Volumes whose `path` or btrfs `subvolume` does not exist; absent = not checked. */
  readonly missingSources?: readonly string[];
  /** Volumes whose `path` or btrfs `subvolume` exists but is not a directory (a file); absent = none. */
  readonly nonDirectorySources?: readonly string[];
  /** Volumes whose `path` or btrfs `subvolume` is an empty directory; absent = not checked. */
  readonly emptySources?: readonly string[];
  /** Per volume, where the backup directory lies inside it (symlinks resolved, LVM by device); absent = not looked (plan compares the policy's paths). */
  readonly backupDirInside?: Readonly<Record<string, string>>;
  /** btrfs volumes whose `subvolume` is a directory but not a btrfs subvolume; absent = not checked. */
  readonly notSubvolumes?: readonly string[];
  /** Per LVM volume, what blkid finds on its origin LV: a type, or null for nothing; absent = not looked (not root, not active). */
  readonly lvContents?: Readonly<Record<string, string | null>>;
  /** LVM volumes whose origin holds a mounted btrfs, whose snapshot this kernel will not mount (no btrfs temp-fsid: Linux < 6.7); absent = none, or not checked. */
  readonly btrfsCopyRefused?: readonly string[];
  /** Per volume, the data file systems mounted inside its directory, which its archives leave out (tar --one-file-system); absent = not checked. */
  readonly mountsInside?: Readonly<Record<string, readonly Mount[]>>;
  /** Per btrfs or path volume, the btrfs subvolumes nested in it (relative paths) that its snapshots or tar --one-file-system leave out; absent = not checked. */
  readonly nestedSubvolumes?: Readonly<Record<string, readonly string[]>>;
  /** An apply holding the host lock right now (plan only; absent = none, or not looked). */
  readonly applyRunning?: RunningApply;
  /** Programs apply runs (tar, the compressors of the policy) that are not on PATH; absent = not checked. */
  readonly missingPrograms?: readonly string[];
}

// ---------------------------------------------------------------- plan

export type ActionType = 'create' | 'delete' | 'cleanup';

export type CleanupTarget =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'mount'; readonly target: string }
  | { readonly kind: 'lvm-snapshot'; readonly vg: string; readonly lv: string }
  | { readonly kind: 'btrfs-snapshot'; readonly path: string };

export interface CreateAction {
  readonly type: 'create';
  readonly volume: string;
  /** Final archive file name (from the plan's `now`). */
  readonly archive: string;
  /** Absolute path of the final archive. */
  readonly path: string;
  readonly reason: string;
}

export interface DeleteAction {
  readonly type: 'delete';
  readonly volume: string;
  readonly archive: string;
  readonly path: string;
  /** Also delete this sidecar (absolute path) when present. */
  readonly sidecar?: string;
  readonly reason: string;
  /**
   * Set when the volume's new archive is planned and the rules drop this one
   * even without it. Like every deletion it waits for the new archive, but
   * when the backup disk is full, apply deletes these to make room and tries
   * once more. Unset: expired only by the new archive.
   */
  readonly expiresAnyway?: true;
}

export interface CleanupAction {
  readonly type: 'cleanup';
  readonly volume?: string;
  /** A display name: file name, mount target or VG/LV. */
  readonly archive: string;
  readonly path: string;
  readonly target: CleanupTarget;
  readonly reason: string;
  /** A py_snap leftover the policy allows removing (an untagged snapshot). */
  readonly legacy?: true;
}

export type Action = CreateAction | DeleteAction | CleanupAction;

export interface Kept {
  readonly volume: string;
  readonly archive: string;
  readonly reasons: readonly string[];
}

export interface Diagnostic {
  readonly severity: 'error' | 'warning' | 'info';
  readonly volume?: string;
  readonly message: string;
}

export interface Plan {
  readonly host: string;
  /** ISO-8601 UTC. */
  readonly now: string;
  /** <backupDir>/<host> (absolute). */
  readonly backupDir: string;
  /** Cleanups first, then per volume: create, then deletes. apply runs them in this order. */
  readonly actions: readonly Action[];
  readonly kept: readonly Kept[];
  readonly unmanaged: readonly string[];
  readonly diagnostics: readonly Diagnostic[];
}
