// The real ports apply uses on this machine: the three source drivers, the
// archive writer, leftover removal and the snapshot hooks.
import { unlinkSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { CleanupAction, HostPolicy } from '../core/model.js';
import { SnapctlError } from '../core/errors.js';
import type { ApplyPorts } from '../apply/execute.js';
import { writeArchive } from '../apply/archive-writer.js';
import { fsyncDir } from '../apply/fs-durable.js';
import { withSnapshotHooks } from '../apply/hooks.js';
import type { PreparedSource } from '../apply/source.js';
import { pathSource } from './path-source.js';
import { btrfsSource, deleteBtrfsSnapshot } from './btrfs-source.js';
import { createLvmSource, cleanupLvmLeftover } from './lvm-source.js';
import { directoryState } from './directory-state.js';
import { locateBackupDir } from './backup-dir-inside.js';
import { makeDirs } from './make-dirs.js';

async function removeFile(path: string): Promise<void> {
  await rm(path, { force: true });
  await fsyncDir(dirname(path));
}

/** `simulatedNow`: the fixed --now of a simulation, which then also names new archives (else the real clock does). */
export function systemApplyPorts(policy: HostPolicy, simulatedNow?: number): ApplyPorts {
  let removals = 0;
  return {
    drivers: { path: pathSource, btrfs: btrfsSource, lvm: createLvmSource() },
    writeArchive,
    cleanup: async (action: CleanupAction, log) => {
      const t = action.target;
      if (t.kind === 'file') {
        // Only leftovers inside this host's backup directory, which plan found there.
        if (dirname(t.path) !== `${policy.backupDir.replace(/\/+$/, '')}/${policy.host}`) {
          throw new SnapctlError('operation', `refusing to remove ${t.path}: outside the backup directory`);
        }
        await removeFile(t.path);
      } else if (t.kind === 'btrfs-snapshot') {
        await deleteBtrfsSnapshot(t.path);
      } else {
        await cleanupLvmLeftover(t, log, { legacy: action.legacy === true });
      }
    },
    removeArchive: async (path, sidecar) => {
      if (++removals % REMOVALS_PER_TURN === 0) await new Promise((resolve) => setImmediate(resolve));
      // The archive first: a crash in between leaves an orphan sidecar, which plan cleans up.
      unlinkIfPresent(path);
      if (sidecar !== undefined) unlinkIfPresent(sidecar);
    },
    syncDir: fsyncDir,
    directoryState,
    locateBackupDir,
    // Archives hold every file of the volume, /etc/shadow included: owner only.
    // (In the executor, a failure becomes the promise's rejection.)
    ensureDir: (dir) => new Promise<void>((resolve) => resolve(makeDirs(dir, 0o700))),
    withSnapshotHooks: <T>(volume: HostPolicy['volumes'][number], take: () => Promise<T>, log: Parameters<ApplyPorts['withSnapshotHooks']>[2], signal: AbortSignal) =>
      withSnapshotHooks<T>(volume.hooks, take, {
        env: { SNAPCTL_HOST: policy.host, SNAPCTL_VOLUME: volume.name },
        log,
        signal,
        release: async (value) => {
          if (isPrepared(value)) await value.release();
        },
      }),
    clock: () => Date.now(),
    snapshotClock: simulatedNow !== undefined ? () => simulatedNow : () => Date.now(),
  };
}

/**
 * unlink(2), a missing file being fine. Synchronous: one system call, where
 * the promise API adds a round trip through the thread pool (and rm({ force })
 * an lstat before it), which made pruning a long history cost ~0.3 ms per archive.
 */
function unlinkIfPresent(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** Removals between two turns of the event loop, so that a signal still interrupts a long prune promptly. */
const REMOVALS_PER_TURN = 64;

function isPrepared(value: unknown): value is PreparedSource {
  return typeof value === 'object' && value !== null && 'release' in value && typeof (value as PreparedSource).release === 'function';
}
