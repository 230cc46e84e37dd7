// The `lvm: VG/LV` source: a tagged classic or thin snapshot, mounted
// read-only under the private mount root, checked for overflow after the
// archive is written, then unmounted and removed.
import { join } from 'node:path';
import type { PreparedSource, SourceDriver, StepLog, TakeContext } from '../apply/source.js';
import { SnapctlError } from '../core/errors.js';
import type { CleanupTarget, LogicalVolume, Volume, VolumeGroup } from '../core/model.js';
import { btrfsCopyRefusal, isInactive, isSnapshotLv, isThinLv, NOT_A_FILE_SYSTEM, vgWithoutRows } from '../core/lvm-preflight.js';
import { MAX_LV_NAME, isSnapctlSnapshot, snapshotName, snapshotTags } from '../core/lvm-leftovers.js';
import { checkFreeSpace, formatBytes, parseSnapshotSize, snapshotBytes } from '../core/snapshot-size.js';
import { createLvmAdapter } from './lvm-adapter.js';
import type { LvmCommands } from './lvm-commands.js';
import type { UnmountOptions } from './mounts.js';
import { btrfsCopyRefused, detectFs, ensurePrivateDir, mountReadOnly, removeMountPoint, unmount } from './mounts.js';
import { udevSettle } from './run-tool.js';

export { SNAPSHOT_TAG, isSnapctlSnapshot, findLeftovers, findLegacyLeftovers, snapshotName, snapshotTags } from '../core/lvm-leftovers.js';
export type { Leftover, LegacyLeftover } from '../core/lvm-leftovers.js';

export const OVERFLOW_REASON =
  'snapshot overflowed (100% full, invalid): the archive is inconsistent and was discarded; give the snapshot more space (snapshot.size)';

export interface LvmSourceDeps {
  readonly lvm?: LvmCommands;
  readonly unmount?: UnmountOptions;
  /** Waits for udev to create/release device nodes (no-op without udev). */
  readonly settle?: () => Promise<void>;
  /** Whether the kernel would refuse to mount a snapshot of this device (see mounts.ts btrfsCopyRefused). */
  readonly btrfsCopyRefused?: (device: string) => Promise<boolean | undefined>;
}

/** What preflight and take decide from `lvs`. */
interface Decision {
  readonly vg: string;
  readonly origin: LogicalVolume;
  readonly group: VolumeGroup;
  readonly thin: boolean;
  /** Classic only: COW size in bytes, whole extents. */
  readonly sizeBytes?: number;
  readonly name: string;
}

const message = (e: unknown): string => (e instanceof SnapctlError ? [e.summary, e.detail].filter(Boolean).join(': ') : e instanceof Error ? e.message : String(e));

export function createLvmSource(deps: LvmSourceDeps = {}): SourceDriver {
  const lvm = deps.lvm ?? createLvmAdapter();
  const settle = deps.settle ?? udevSettle;
  const copyRefused = deps.btrfsCopyRefused ?? btrfsCopyRefused;

  async function decide(volume: Volume, ctx: TakeContext): Promise<Decision> {
    if (volume.source.kind !== 'lvm') throw new SnapctlError('input', `volume ${volume.name} is not an lvm volume`);
    const { vg, lv } = volume.source;
    // One report, one scan of the devices: the LVs and the VGs that hold them.
    const { lvs, vgs } = await lvm.lvs();
    const group = vgs.find((g) => g.name === vg);
    if (!group) throw new SnapctlError('preflight', `logical volume ${vg}/${lv} not found (volume ${volume.name})`, `${vgWithoutRows(vg)}; volume groups holding logical volumes: ${vgs.map((g) => g.name).join(', ') || 'none'}`);
    const origin = lvs.find((l) => l.vg === vg && l.name === lv);
    if (!origin) {
      const names = lvs.filter((l) => l.vg === vg).map((l) => l.name);
      throw new SnapctlError('preflight', `logical volume ${vg}/${lv} not found (volume ${volume.name})`, `logical volumes in ${vg}: ${names.join(', ') || 'none'}`);
    }
    if (isSnapshotLv(origin)) throw new SnapctlError('preflight', `${vg}/${lv} is itself a snapshot: snapshot its origin instead (volume ${volume.name})`);
    if (isInactive(origin)) {
      throw new SnapctlError('preflight', `${vg}/${lv} is not active (lv_attr ${origin.attr}, volume ${volume.name})`, `activate it: lvchange -ay ${vg}/${lv} (a snapshot of an inactive LV is inactive too, with no device to mount); nothing was created`);
    }
    if ((await copyRefused(origin.path || origin.dmPath)) === true) {
      const { why, way } = btrfsCopyRefusal(`${vg}/${lv}`, volume.mount);
      throw new SnapctlError('preflight', `${why} (volume ${volume.name})`, `${way}; nothing was created`);
    }
    const name = snapshotName(volume.name, ctx.runStamp);
    if (name.length > MAX_LV_NAME) throw new SnapctlError('preflight', `snapshot name ${name} is longer than LVM's ${MAX_LV_NAME} characters: use a shorter volume name`);
    if (lvs.some((l) => l.vg === vg && l.name === name)) {
      throw new SnapctlError('preflight', `a logical volume ${vg}/${name} already exists`, 'a leftover of a run in the same second? run snapctl plan to see the cleanup');
    }
    // Thin LVs (attr "V" in a pool) get thin snapshots: no COW area to size.
    if (isThinLv(origin)) return { vg, origin, group, thin: true, name };
    const parsed = parseSnapshotSize(volume.snapshotSize);
    if (!parsed.ok) throw new SnapctlError('input', parsed.error, undefined, undefined, `volumes.${volume.name}.snapshot.size`);
    const size = snapshotBytes(parsed.value, {
      originBytes: origin.sizeBytes,
      vgFreeBytes: group.freeBytes,
      extentBytes: group.extentBytes,
      ...(group.sizeBytes !== undefined ? { vgSizeBytes: group.sizeBytes } : {}),
    });
    if (!size.ok) throw new SnapctlError('preflight', size.error);
    const short = checkFreeSpace({ vg, origin: `${vg}/${lv}`, needBytes: size.value, freeBytes: group.freeBytes, extentBytes: group.extentBytes });
    if (short) throw new SnapctlError('preflight', short, 'free space in the volume group (vgextend, or shrink another LV) or lower snapshot.size; nothing was created');
    return { vg, origin, group, thin: false, sizeBytes: size.value, name };
  }

  function prepared(d: Decision, target: string, log: StepLog): PreparedSource {
    const ref = `${d.vg}/${d.name}`;
    let released = false;
    let usage: number | undefined;
    return {
      dir: target,
      usagePercent: () => usage,
      async verify() {
        let state;
        try {
          state = await lvm.snapshotState(d.vg, d.name);
        } catch (e) {
          return `could not read the state of snapshot ${ref} (${message(e)}): the archive cannot be trusted and was discarded`;
        }
        if (state.invalid) {
          log.warn(`snapshot ${ref} is invalid (attr ${state.attr}, ${state.percent ?? '?'}% full)`);
          return OVERFLOW_REASON;
        }
        if (!d.thin) usage = state.percent;
        log.info(`snapshot ${ref} stayed consistent (attr ${state.attr}${state.percent !== undefined ? `, ${state.percent}% used` : ''})`);
        return undefined;
      },
      async release() {
        if (released) return;
        const errors: string[] = [];
        try {
          const r = await unmount(target, deps.unmount);
          if (r === 'lazy') log.warn(`${target} was busy: detached lazily`);
          else if (r === 'unmounted') log.info(`unmounted ${target}`);
        } catch (e) {
          errors.push(message(e));
        }
        await removeMountPoint(target);
        try {
          const r = await lvm.remove(d.vg, d.name);
          log.info(r === 'removed' ? `removed snapshot ${ref}` : `snapshot ${ref} was already gone`);
        } catch (e) {
          errors.push(message(e));
        }
        if (errors.length > 0) throw new SnapctlError('operation', `releasing snapshot ${ref} failed`, errors.join('\n'));
        released = true;
      },
    };
  }

  return {
    async preflight(volume, ctx) {
      const d = await decide(volume, ctx);
      ctx.log.info(
        d.thin
          ? `${volume.name}: thin snapshot of ${d.vg}/${d.origin.name} (pool ${d.origin.pool})`
          : `${volume.name}: classic snapshot of ${d.vg}/${d.origin.name}, ${formatBytes(d.sizeBytes ?? 0)} of ${formatBytes(d.group.freeBytes)} free`,
      );
    },

    async take(volume, ctx) {
      const d = await decide(volume, ctx);
      const ref = `${d.vg}/${d.name}`;
      const undo: { what: string; run: () => Promise<unknown> }[] = [];
      const checkAbort = (): void => {
        if (ctx.signal.aborted) throw new SnapctlError('operation', `interrupted while preparing snapshot ${ref}`);
      };
      try {
        checkAbort();
        ctx.log.info(`creating ${d.thin ? 'thin' : `classic ${formatBytes(d.sizeBytes ?? 0)}`} snapshot ${ref} of ${d.vg}/${d.origin.name}`);
        await lvm.createSnapshot({ vg: d.vg, origin: d.origin.name, name: d.name, thin: d.thin, tags: snapshotTags(volume.name), ...(d.sizeBytes !== undefined ? { sizeBytes: d.sizeBytes } : {}) });
        undo.push({ what: `remove ${ref}`, run: () => lvm.remove(d.vg, d.name) });
        const snap = (await lvm.lvs()).lvs.find((l) => l.vg === d.vg && l.name === d.name);
        if (!snap) throw new SnapctlError('operation', `snapshot ${ref} was created but lvs does not list it`);
        // A thin snapshot carries activation skip ("k"); -kn should have cleared it, -K makes sure.
        if (d.thin && snap.attr.charAt(4) !== 'a') {
          ctx.log.info(`activating thin snapshot ${ref}`);
          await lvm.activate(d.vg, d.name);
        }
        await settle();
        checkAbort();
        const device = snap.path || snap.dmPath;
        const fstype = await detectFs(device);
        const origin = `${d.vg}/${d.origin.name}`;
        if (!fstype) throw new SnapctlError('operation', `no filesystem found on snapshot ${device}`, `blkid recognised nothing on ${ref}: ${origin} holds no file system to archive`);
        const notMountable = NOT_A_FILE_SYSTEM[fstype];
        if (notMountable !== undefined) {
          throw new SnapctlError('operation', `${origin} holds ${notMountable} (blkid: ${fstype}), not a file system: snapctl archives the files of a mounted file system`, 'point the volume at the LV that holds the file system');
        }
        await ensurePrivateDir(ctx.mountRoot);
        const target = join(ctx.mountRoot, volume.name);
        undo.push({ what: `remove mount point ${target}`, run: () => removeMountPoint(target) });
        ctx.log.info(`mounting ${device} (${fstype}) read-only on ${target}`);
        await mountReadOnly(device, target, fstype);
        return prepared(d, target, ctx.log);
      } catch (e) {
        for (const step of undo.reverse()) {
          try {
            await step.run();
            ctx.log.info(`undo: ${step.what}`);
          } catch (u) {
            ctx.log.warn(`undo: ${step.what} failed: ${message(u)}`);
          }
        }
        throw e;
      }
    },
  };
}

/**
 * Removes a leftover plan reported: unmounts a mount, or removes a snapshot
 * after re-reading lvs to confirm it is still a snapshot carrying snapctl's
 * tag (or, for py_snap leftovers the policy allows, still a snapshot).
 */
export async function cleanupLvmLeftover(
  target: Extract<CleanupTarget, { kind: 'mount' | 'lvm-snapshot' }>,
  log: StepLog,
  opts: { readonly lvm?: LvmCommands; readonly legacy?: boolean; readonly unmount?: UnmountOptions } = {},
): Promise<void> {
  if (target.kind === 'mount') {
    const r = await unmount(target.target, opts.unmount);
    await removeMountPoint(target.target);
    log.info(`cleanup: ${r === 'not-mounted' ? `${target.target} was not mounted` : `unmounted ${target.target}${r === 'lazy' ? ' (lazily)' : ''}`}`);
    return;
  }
  const lvm = opts.lvm ?? createLvmAdapter();
  const ref = `${target.vg}/${target.lv}`;
  const lv = (await lvm.lvs()).lvs.find((l) => l.vg === target.vg && l.name === target.lv);
  if (!lv) {
    log.info(`cleanup: snapshot ${ref} is already gone`);
    return;
  }
  const isSnapshot = lv.attr.startsWith('s') || lv.origin !== '';
  if (!isSnapshot || !(isSnapctlSnapshot(lv) || opts.legacy === true)) {
    throw new SnapctlError('operation', `refusing to remove ${ref}: it is not ${opts.legacy ? 'a snapshot' : "a snapshot tagged by snapctl"}`);
  }
  const r = await lvm.remove(target.vg, target.lv);
  log.info(`cleanup: ${r === 'removed' ? `removed snapshot ${ref}` : `snapshot ${ref} was already gone`}`);
}
