// Gathers everything plan needs to know about the system, through small
// ports so tests can observe fixture directories and captured LVM output.
import { COMPRESSOR_PROGRAM, type Archive, type HostPolicy, type LvmState, type Mount, type Observed, type RunningApply, type Volume } from '../core/model.js';
import { classifyBackupDir, hostDir, joinPath } from '../core/naming.js';
import { isInactive } from '../core/lvm-preflight.js';
import { volumeRoot } from '../core/self-exclusion.js';
import { listBackupDir } from './backup-dir.js';
import type { DirectoryState } from './directory-state.js';

export interface ObservePorts {
  /** LVM state, or why it could not be read. Its VGs are those that hold an LV (one lvs report). */
  readonly lvm: () => Promise<LvmState>;
  readonly mounts: () => Promise<Mount[]>;
  /** Paths of snapctl's btrfs snapshots left next to (or in) the given subvolumes, and those of them only named like one (their origin unread). */
  readonly btrfsLeftovers: (subvolumes: readonly { volume: string; subvolume: string }[]) => Promise<{ readonly paths: string[]; readonly unchecked: string[] }>;
  /** Whether a path is a directory with entries, an empty one, or no directory (missing, not one, or unreadable). */
  readonly directoryState: (path: string) => Promise<DirectoryState>;
  /** Where the backup directory lies inside a volume (its path relative to the volume's root), if it does. */
  readonly locateBackupDir?: (volume: Volume, backupDir: string, host: string) => Promise<string | undefined>;
  /** Bytes available on the file system of a path (of its nearest existing ancestor), undefined when unknown. */
  readonly freeBytes?: (path: string) => Promise<number | undefined>;
  /** Size of a file, undefined when it cannot be read. */
  readonly fileSize?: (path: string) => Promise<number | undefined>;
  /** Whether a path lies on a read-only mount. */
  readonly readOnlyMount?: (path: string) => Promise<boolean>;
  /** Whether a directory is the root of a btrfs subvolume. */
  readonly btrfsSubvolume?: (path: string) => Promise<boolean>;
  /** The subvolumes nested in a btrfs volume's subvolume (relative paths), less those in `archived`; undefined when unknown (not root). */
  readonly nestedSubvolumes?: (subvolume: string, volume: string, archived: readonly string[]) => Promise<string[] | undefined>;
  /** The top-most btrfs subvolumes inside a path volume's directory (relative paths), less those in `archived` and one holding `backupDir`; [] off btrfs, undefined when unknown (not root). */
  readonly subvolumesInside?: (dir: string, archived: readonly string[], backupDir: string) => Promise<string[] | undefined>;
  /** Of these programs, the ones not on PATH. */
  readonly missingPrograms?: (names: readonly string[]) => Promise<string[]>;
  /** The symbolic link that leaves a missing directory dangling (itself or an ancestor), if one does. */
  readonly danglingLink?: (dir: string) => Promise<{ readonly link: string; readonly target: string } | undefined>;
  /** Whether applies on this machine wrote archives into this host directory (their state file says so). */
  readonly wroteArchivesTo?: (hostDir: string) => Promise<boolean>;
  /** What blkid finds on a block device: a type, null for nothing it recognises, undefined when it cannot look. */
  readonly deviceContent?: (device: string) => Promise<string | null | undefined>;
  /** Whether the kernel would refuse to mount a snapshot of this device: a mounted btrfs, no temp-fsid (see mounts.ts). */
  readonly btrfsCopyRefused?: (device: string) => Promise<boolean | undefined>;
  /** Data file systems mounted below a directory on other devices (what tar --one-file-system leaves out). */
  readonly dataMountsInside?: (dir: string) => Promise<Mount[]>;
  /** Whether an apply holds the host lock (plan asks; apply, which holds it itself, does not). */
  readonly applyRunning?: () => Promise<RunningApply | undefined>;
}

/** Whether observing this host reads LVM state (asks the `lvm` port). */
export function readsLvm(policy: HostPolicy): boolean {
  return policy.volumes.some((v) => v.source.kind === 'lvm');
}

export async function observe(policy: HostPolicy, ports: ObservePorts): Promise<{ observed: Observed; files: readonly string[] }> {
  const needsLvm = readsLvm(policy);
  const btrfs = policy.volumes.flatMap((v) => (v.source.kind === 'btrfs' ? [{ volume: v.name, subvolume: v.source.subvolume }] : []));
  const sourceDirs = policy.volumes.flatMap((v) => (v.source.kind === 'path' ? [[v.name, v.source.path] as const] : v.source.kind === 'btrfs' ? [[v.name, v.source.subvolume] as const] : []));
  const programs = [...new Set(['tar', ...policy.volumes.flatMap((v) => COMPRESSOR_PROGRAM[v.compression] ?? [])])];
  const locate = ports.locateBackupDir;
  const [listing, lvm, mounts, btrfsLeftovers, states, applyRunning, missingPrograms, insides, readOnly, free, mountsInside] = await Promise.all([
    listBackupDir(hostDir(policy)),
    needsLvm ? ports.lvm() : Promise.resolve<LvmState>({ available: false, reason: 'no lvm volumes in the policy' }),
    ports.mounts(),
    btrfs.length > 0 ? ports.btrfsLeftovers(btrfs) : Promise.resolve({ paths: [], unchecked: [] }),
    Promise.all(sourceDirs.map(([, dir]) => ports.directoryState(dir))),
    ports.applyRunning?.(),
    ports.missingPrograms?.(programs),
    locate ? Promise.all(policy.volumes.map((v) => locate(v, policy.backupDir, policy.host))) : undefined,
    ports.readOnlyMount?.(hostDir(policy)),
    ports.freeBytes?.(hostDir(policy)),
    mountsLeftOut(policy, ports),
  ]);
  const backupDirInside = insides ? Object.fromEntries(policy.volumes.flatMap((v, i) => (insides[i] !== undefined ? [[v.name, insides[i]] as const] : []))) : undefined;
  const missingSources = sourceDirs.filter((_, i) => states[i] === 'missing').map(([name]) => name);
  const nonDirectorySources = sourceDirs.filter((_, i) => states[i] === 'not-directory').map(([name]) => name);
  const emptySources = sourceDirs.filter((_, i) => states[i] === 'empty').map(([name]) => name);
  const present = btrfs.filter((b) => !missingSources.includes(b.volume) && !nonDirectorySources.includes(b.volume));
  const notSubvolumes = await notBtrfsSubvolumes(present, ports);
  const [nestedInBtrfs, nestedInPaths] = await Promise.all([
    nestedIn(present.filter((b) => notSubvolumes?.includes(b.volume) !== true), btrfs.map((b) => b.subvolume), ports),
    // snapctl's own snapshots there are removed before any volume is archived.
    subvolumesInPaths(policy, [...missingSources, ...nonDirectorySources], btrfsLeftovers.paths, ports),
  ]);
  const nestedSubvolumes = nestedInBtrfs || nestedInPaths ? { ...nestedInBtrfs, ...nestedInPaths } : undefined;
  const { archives, others } = classifyBackupDir(listing.files, policy.host, policy.volumes, policy.timezone);
  const newestArchiveBytes = ports.fileSize ? await newestSizes(archives, new Set(policy.volumes.map((v) => v.name)).size, hostDir(policy), ports.fileSize) : undefined;
  // A missing host directory is a first run, unless applies here wrote into it before.
  const vanished = !listing.exists && (await ports.wroteArchivesTo?.(hostDir(policy))) === true;
  const dangling = listing.exists ? undefined : await ports.danglingLink?.(hostDir(policy));
  const { lvContents, btrfsCopyRefused } = await originContents(policy, lvm, ports);
  return {
    observed: { archives, others, backupDirExists: listing.exists, lvm, mounts: relevantMounts(policy, mounts), btrfsLeftovers: btrfsLeftovers.paths, ...(btrfsLeftovers.unchecked.length > 0 ? { btrfsLeftoversUnchecked: btrfsLeftovers.unchecked } : {}), missingSources, ...(nonDirectorySources.length > 0 ? { nonDirectorySources } : {}), emptySources, ...(vanished ? { backupDirVanished: true } : {}), ...(dangling ? { backupDirDanglingLink: dangling } : {}), ...(notSubvolumes ? { notSubvolumes } : {}), ...(mountsInside ? { mountsInside } : {}), ...(lvContents ? { lvContents } : {}), ...(btrfsCopyRefused ? { btrfsCopyRefused } : {}), ...(nestedSubvolumes ? { nestedSubvolumes } : {}), ...(backupDirInside ? { backupDirInside } : {}), ...(readOnly === true ? { backupDirReadOnly: true } : {}), ...(free !== undefined ? { backupFreeBytes: free } : {}), ...(newestArchiveBytes ? { newestArchiveBytes } : {}), ...(applyRunning ? { applyRunning } : {}), ...(missingPrograms ? { missingPrograms } : {}) },
    files: listing.files,
  };
}

/** The size of each volume's newest archive (archives come newest first): one stat per volume. */
async function newestSizes(archives: readonly Archive[], volumeCount: number, dir: string, size: (path: string) => Promise<number | undefined>): Promise<Record<string, number>> {
  const newest = new Map<string, string>();
  // Newest first: once each volume has its archive, the rest of a long history needs no look.
  for (const a of archives) {
    if (newest.has(a.volume)) continue;
    newest.set(a.volume, a.file);
    if (newest.size === volumeCount) break;
  }
  const entries = await Promise.all([...newest].map(async ([volume, file]) => [volume, await size(joinPath(dir, file))] as const));
  return Object.fromEntries(entries.filter((e): e is readonly [string, number] => e[1] !== undefined));
}

/** Of these btrfs volumes (whose directories exist), the ones whose directory is not a subvolume; undefined when not checked. */
async function notBtrfsSubvolumes(volumes: readonly { volume: string; subvolume: string }[], ports: ObservePorts): Promise<string[] | undefined> {
  const check = ports.btrfsSubvolume;
  if (check === undefined) return undefined;
  const answers = await Promise.all(volumes.map((v) => check(v.subvolume)));
  return volumes.filter((_, i) => !answers[i]).map((v) => v.volume);
}

/**
 * Per LVM volume whose origin LV is there and active, what blkid finds on it
 * (undefined when not looked); and of those holding btrfs, the ones whose
 * snapshot the kernel would not mount (undefined when none).
 */
async function originContents(policy: HostPolicy, lvm: LvmState, ports: ObservePorts): Promise<{ lvContents?: Record<string, string | null>; btrfsCopyRefused?: string[] }> {
  const look = ports.deviceContent;
  if (look === undefined || !lvm.available) return {};
  const out: Record<string, string | null> = {};
  const refused = new Set<string>();
  await Promise.all(
    policy.volumes.map(async (v) => {
      if (v.source.kind !== 'lvm') return;
      const { vg, lv } = v.source;
      const origin = lvm.lvs.find((l) => l.vg === vg && l.name === lv);
      if (origin === undefined || isInactive(origin) || origin.path === '') return;
      const content = await look(origin.path);
      if (content !== undefined) out[v.name] = content;
      // Asked only of origins holding btrfs.
      if (content === 'btrfs' && (await ports.btrfsCopyRefused?.(origin.path)) === true) refused.add(v.name);
    }),
  );
  const names = policy.volumes.filter((v) => refused.has(v.name)).map((v) => v.name);
  return { lvContents: out, ...(names.length > 0 ? { btrfsCopyRefused: names } : {}) };
}

/**
 * Per volume, the data file systems mounted inside its directory (a path,
 * an LVM volume's mount, a btrfs subvolume), which its archives leave out:
 * not the one holding the backup directory, snapctl's own snapshot mounts,
 * nor one that is another volume's directory (archived on its own).
 * Volumes with none are left out; undefined when not checked.
 */
async function mountsLeftOut(policy: HostPolicy, ports: ObservePorts): Promise<Record<string, Mount[]> | undefined> {
  const below = ports.dataMountsInside;
  if (below === undefined) return undefined;
  const under = (path: string, dir: string): boolean => path === dir || path.startsWith(`${dir.replace(/\/+$/, '')}/`);
  // A mount that is another volume of the policy is archived on its own.
  const volumeDirs = new Set(policy.volumes.flatMap((v) => volumeRoot(v) ?? []).map((d) => d.replace(/(?<=.)\/+$/, '')));
  const out: Record<string, Mount[]> = {};
  await Promise.all(
    policy.volumes.map(async (v) => {
      const dir = volumeRoot(v);
      if (dir === undefined) return;
      const mounts = (await below(dir)).filter((m) => !under(policy.backupDir, m.target) && !under(m.target, policy.mountRoot) && !volumeDirs.has(m.target));
      if (mounts.length > 0) out[v.name] = mounts;
    }),
  );
  return out;
}

/**
 * Per btrfs volume, the subvolumes nested in it that its snapshots leave
 * out (see nestedSubvolumes), less those the policy archives as volumes of
 * their own; volumes with none are left out, and undefined when not checked.
 */
async function nestedIn(volumes: readonly { volume: string; subvolume: string }[], archived: readonly string[], ports: ObservePorts): Promise<Record<string, string[]> | undefined> {
  const list = ports.nestedSubvolumes;
  if (list === undefined || volumes.length === 0) return undefined;
  return nonEmpty(volumes, await Promise.all(volumes.map((v) => list(v.subvolume, v.volume, archived))));
}

/**
 * Per path volume (whose directory is there), the btrfs subvolumes inside it
 * that its archives leave out, less those the policy archives as volumes of
 * their own, one holding the backup directory and snapctl's leftover
 * snapshots (`leftovers`); volumes with none are left out, and undefined
 * when not checked.
 */
async function subvolumesInPaths(policy: HostPolicy, absent: readonly string[], leftovers: readonly string[], ports: ObservePorts): Promise<Record<string, string[]> | undefined> {
  const list = ports.subvolumesInside;
  const volumes = policy.volumes.flatMap((v) => (v.source.kind === 'path' && !absent.includes(v.name) ? [{ volume: v.name, path: v.source.path }] : []));
  if (list === undefined || volumes.length === 0) return undefined;
  const archived = [...policy.volumes.flatMap((v) => volumeRoot(v) ?? []), ...leftovers];
  return nonEmpty(volumes, await Promise.all(volumes.map((v) => list(v.path, archived, policy.backupDir))));
}

/** Each volume's answer (answers[i] is volumes[i]'s), leaving out the volumes whose answer is empty or unknown. */
function nonEmpty(volumes: readonly { volume: string }[], answers: readonly (string[] | undefined)[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  volumes.forEach((v, i) => {
    const answer = answers[i];
    if (answer !== undefined && answer.length > 0) out[v.volume] = answer;
  });
  return out;
}

/**
 * Only the mounts plan can act on: under the mount root, and py_snap's mount
 * points. Other mounts coming and going must not make a saved plan stale.
 */
function relevantMounts(policy: HostPolicy, mounts: readonly Mount[]): Mount[] {
  const root = `${policy.mountRoot.replace(/\/+$/, '')}/`;
  const legacy = new Set(policy.volumes.flatMap((v) => (v.legacy?.mountPoint !== undefined ? [v.legacy.mountPoint.replace(/\/+$/, '')] : [])));
  return mounts.filter((m) => m.target.startsWith(root) || legacy.has(m.target));
}
