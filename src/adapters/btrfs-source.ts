// The `btrfs` source: a read-only snapshot of the subvolume, archived, then
// deleted. Snapshots are named `.snapctl-<volume>-<runStamp>` so a later run
// finds the leftovers of a crashed one; the name alone proves nothing (anyone
// can create a subvolume so named), so a leftover must also be read-only and
// a snapshot of the volume's subvolume.
import { readFile, readdir, realpath, stat, statfs } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { nestedSubvolumesMessage } from '../core/describe.js';
import { SnapctlError } from '../core/errors.js';
import type { Volume } from '../core/model.js';
import type { PreparedSource, SourceDriver, TakeContext } from '../apply/source.js';
import { commandLine, runTool } from './run-tool.js';
import { parseMountinfo } from './mountinfo.js';

/** A btrfs subvolume's root directory always has inode 256. */
const SUBVOLUME_ROOT_INODE = 256;
/** statfs(2) f_type of btrfs (BTRFS_SUPER_MAGIC). */
const BTRFS_MAGIC = 0x9123683e;
const STAMP = '\\d{8}T\\d{6}Z';

function subvolumeOf(volume: Volume): string {
  if (volume.source.kind !== 'btrfs') throw new Error(`btrfs source driver given a ${volume.source.kind} volume (this is a bug)`);
  return volume.source.subvolume;
}

export function snapshotName(volume: string, runStamp: string): string {
  return `.snapctl-${volume}-${runStamp}`;
}

function isSnapshotName(name: string, volume: string): boolean {
  const escaped = volume.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^\\.snapctl-${escaped}-${STAMP}$`).test(name);
}

/** Mount points from /proc/self/mountinfo. */
async function mountPoints(): Promise<Set<string>> {
  const text = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  return new Set(parseMountinfo(text).map((e) => e.point));
}

/**
 * Where snapshots of `subvolume` go: next to it, unless the subvolume is
 * itself a mount point (`-o subvol=…`), whose parent directory may belong to
 * another filesystem; then inside it (snapshots are not recursive, so later
 * snapshots only see an empty directory there).
 */
export async function snapshotDir(subvolume: string): Promise<string> {
  const real = await realpath(subvolume);
  return (await mountPoints()).has(real) ? real : dirname(real);
}

async function isSubvolumeRoot(path: string): Promise<boolean> {
  const st = await stat(path).catch(() => undefined);
  return st !== undefined && st.isDirectory() && st.ino === SUBVOLUME_ROOT_INODE;
}

/** Whether `path` is the root of a btrfs subvolume: on btrfs (statfs) and inode 256. */
export async function isBtrfsSubvolume(path: string): Promise<boolean> {
  const fs = await statfs(path).catch(() => undefined);
  return fs !== undefined && fs.type === BTRFS_MAGIC && (await isSubvolumeRoot(path));
}

/**
 * The subvolumes nested directly inside `subvolume`, as paths relative to it
 * (sorted). A btrfs snapshot stops at subvolume boundaries: in the snapshot
 * each is an empty directory, so its files are in no archive of this volume.
 * snapctl's own snapshots of `volume` (made inside a subvolume that is a
 * mount point) are not counted, nor those in `archived` (the subvolumes of
 * the policy's other btrfs volumes). undefined when btrfs cannot tell:
 * listing subvolumes needs root, and btrfs-progs.
 */
export async function nestedSubvolumes(subvolume: string, volume: string, archived: readonly string[] = []): Promise<string[] | undefined> {
  const [show, list] = await Promise.all([runTool('btrfs', ['subvolume', 'show', subvolume]), runTool('btrfs', ['subvolume', 'list', '-o', subvolume])]);
  if (show.exitCode !== 0 || list.exitCode !== 0) return undefined;
  // `show` prints the subvolume's own path in the file system first ("/" for the top level); `list` names the others from the same root.
  const own = (show.stdout.split('\n')[0] ?? '').trim().replace(/^<FS_TREE>\/?/, '');
  const prefix = own === '' || own === '/' ? '' : `${own.replace(/\/+$/, '')}/`;
  const nested: string[] = [];
  for (const line of list.stdout.split('\n')) {
    const listed = / path (.+)$/.exec(line)?.[1]?.replace(/^<FS_TREE>\//, '');
    if (listed === undefined) continue;
    const path = listed.startsWith(prefix) ? listed.slice(prefix.length) : listed;
    if (!path.includes('/') && isSnapshotName(path, volume)) continue;
    if (archived.some((dir) => dir.replace(/\/+$/, '') === join(subvolume, path))) continue;
    nested.push(path);
  }
  return nested.sort();
}

/** What `btrfs subvolume show` tells of a subvolume that matters here. */
interface SubvolumeInfo {
  readonly uuid: string;
  /** The UUID of the subvolume this one is a snapshot of; undefined when it is none. */
  readonly parentUuid: string | undefined;
  readonly readOnly: boolean;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `btrfs subvolume show` of `path`, or why it cannot be read (it needs root, and btrfs-progs). */
async function subvolumeInfo(path: string): Promise<SubvolumeInfo | string> {
  const args = ['subvolume', 'show', path];
  const r = await runTool('btrfs', args);
  if (r.exitCode !== 0) return r.stderr.trim() || `${commandLine('btrfs', args)} exited with ${r.exitCode}`;
  const field = (name: string): string | undefined => new RegExp(`^[ \\t]*${name}:[ \\t]*(.*)$`, 'm').exec(r.stdout)?.[1]?.trim();
  const [uuid, parent, flags] = [field('UUID'), field('Parent UUID'), field('Flags')];
  if (uuid === undefined || !UUID.test(uuid) || flags === undefined) return `${commandLine('btrfs', args)} names no UUID or flags`;
  return { uuid, parentUuid: parent !== undefined && UUID.test(parent) ? parent : undefined, readOnly: flags.split(/[\s,|]+/).includes('readonly') };
}

export interface BtrfsLeftovers {
  /** Snapshots left by crashed runs (absolute paths, sorted). */
  readonly paths: string[];
  /** Those of `paths` only named like one: the volume's subvolume could not be read (not root, no btrfs-progs), so nothing more was checked. */
  readonly unchecked: string[];
}

/**
 * Snapshots left by crashed runs for these volumes: a subvolume named as
 * snapctl names them, where it puts them, read-only, and a snapshot of the
 * volume's subvolume (its parent UUID). A writable subvolume or a snapshot of
 * another one that merely has such a name is someone's data, never listed.
 * When the volume's subvolume cannot be read, every subvolume so named is
 * listed, as unchecked (deletion still refuses a writable one).
 */
export async function listBtrfsLeftovers(subvolumes: readonly { volume: string; subvolume: string }[]): Promise<BtrfsLeftovers> {
  const found = new Set<string>();
  const unchecked = new Set<string>();
  for (const { volume, subvolume } of subvolumes) {
    const real = await realpath(subvolume).catch(() => undefined);
    if (real === undefined) continue;
    const named: string[] = [];
    // Both places a snapshot can be, whichever applies today (mounts change).
    for (const dir of new Set([dirname(real), real])) {
      const names = await readdir(dir).catch(() => [] as string[]);
      for (const name of names) {
        if (isSnapshotName(name, volume) && (await isSubvolumeRoot(join(dir, name)))) named.push(join(dir, name));
      }
    }
    if (named.length === 0) continue;
    const origin = await subvolumeInfo(real);
    for (const path of named) {
      if (typeof origin === 'string') {
        found.add(path);
        unchecked.add(path);
        continue;
      }
      const info = await subvolumeInfo(path);
      if (typeof info !== 'string' && info.readOnly && info.parentUuid === origin.uuid) found.add(path);
    }
  }
  return { paths: [...found].sort(), unchecked: [...unchecked].sort() };
}

/**
 * Deletes a snapshot snapctl made; succeeds when it is already gone. Refuses
 * any other name, and a subvolume that is not read-only (snapctl's snapshots
 * are): a saved plan made by a user, who cannot read subvolume UUIDs, may
 * list any subvolume that only has a snapshot's name.
 */
export async function deleteBtrfsSnapshot(path: string): Promise<void> {
  if (!/^\.snapctl-.+-\d{8}T\d{6}Z$/.test(basename(path))) {
    throw new SnapctlError('operation', `refusing to delete ${path}: not a snapctl snapshot name`);
  }
  if (!(await isSubvolumeRoot(path))) {
    const exists = await stat(path).then(
      () => true,
      () => false,
    );
    if (!exists) return;
    throw new SnapctlError('operation', `refusing to delete ${path}: not a btrfs subvolume`);
  }
  const info = await subvolumeInfo(path);
  if (typeof info === 'string') {
    throw new SnapctlError('operation', `refusing to delete ${path}: cannot tell whether it is a read-only snapshot`, info);
  }
  if (!info.readOnly) {
    throw new SnapctlError('operation', `refusing to delete ${path}: a writable subvolume, not a snapshot snapctl made (those are read-only)`);
  }
  const args = ['subvolume', 'delete', path];
  const r = await runTool('btrfs', args);
  if (r.exitCode !== 0) {
    throw new SnapctlError('operation', `could not delete btrfs snapshot ${path}: ${r.stderr.trim()}`, commandLine('btrfs', args));
  }
}

export const btrfsSource: SourceDriver = {
  async preflight(volume: Volume, _ctx: TakeContext): Promise<void> {
    const subvolume = subvolumeOf(volume);
    const args = ['subvolume', 'show', subvolume];
    const r = await runTool('btrfs', args);
    if (r.missing) throw new SnapctlError('preflight', `volume ${volume.name}: the btrfs tool is not installed (btrfs-progs)`);
    if (r.exitCode !== 0) {
      throw new SnapctlError('preflight', `volume ${volume.name}: ${subvolume} is not a btrfs subvolume`, `${commandLine('btrfs', args)}: ${r.stderr.trim()}`);
    }
  },

  async take(volume: Volume, ctx: TakeContext): Promise<PreparedSource> {
    const subvolume = subvolumeOf(volume);
    const snapshot = join(await snapshotDir(subvolume), snapshotName(volume.name, ctx.runStamp));
    const args = ['subvolume', 'snapshot', '-r', subvolume, snapshot];
    ctx.log.info(`btrfs snapshot ${subvolume} → ${snapshot}`);
    const r = await runTool('btrfs', args);
    if (r.exitCode !== 0) {
      throw new SnapctlError('operation', `volume ${volume.name}: btrfs snapshot of ${subvolume} failed: ${r.stderr.trim()}`, commandLine('btrfs', args));
    }
    const nested = await nestedSubvolumes(subvolume, volume.name, ctx.btrfsSubvolumes ?? []);
    if (nested !== undefined && nested.length > 0) ctx.log.warn(`${subvolume}: ${nestedSubvolumesMessage(nested)}`);
    return {
      dir: snapshot,
      // A btrfs snapshot cannot overflow: it stays what it was when taken.
      verify: () => Promise.resolve(undefined),
      release: async () => {
        await deleteBtrfsSnapshot(snapshot);
        ctx.log.info(`deleted btrfs snapshot ${snapshot}`);
      },
    };
  },
};
