// The host's archives as restore, verify and list see them: the backup
// directory read by name (like plan), optionally narrowed to one volume.
import { stat } from 'node:fs';
import { join } from 'node:path';
import type { Archive, HostPolicy, Observed, OtherFile } from '../core/model.js';
import { classifyBackupDir, hostDir } from '../core/naming.js';
import { SnapctlError } from '../core/errors.js';
import { listBackupDir } from '../adapters/backup-dir.js';

export interface Inventory {
  /** <backupDir>/<host> */
  readonly dir: string;
  readonly exists: boolean;
  /** Newest first. */
  readonly archives: readonly Archive[];
  readonly others: readonly OtherFile[];
}

/** Throws SnapctlError('input') when `volume` is given but not in the policy for this host. */
export function checkVolume(policy: HostPolicy, volume: string | undefined): void {
  if (volume !== undefined && !policy.volumes.some((v) => v.name === volume)) {
    throw new SnapctlError('input', `no volume "${volume}" for host ${policy.host}`, `volumes: ${policy.volumes.map((v) => v.name).join(', ') || '(none)'}`);
  }
}

export async function readInventory(policy: HostPolicy, volume?: string): Promise<Inventory> {
  checkVolume(policy, volume);
  const dir = hostDir(policy);
  const listing = await listBackupDir(dir);
  const { archives, others } = classifyBackupDir(listing.files, policy.host, policy.volumes, policy.timezone);
  return { dir, exists: listing.exists, archives: volume === undefined ? archives : archives.filter((a) => a.volume === volume), others };
}

/** What the planner needs, without LVM, mounts or btrfs: list only reads which archives a plan deletes. */
export function archivesOnly(inv: Inventory): Observed {
  return { archives: inv.archives, others: inv.others, backupDirExists: inv.exists, lvm: { available: false, reason: 'not read by list' }, mounts: [], btrfsLeftovers: [] };
}

/** stat calls in flight at once: enough to keep node's thread pool busy on a network file system, few enough to stay small. */
const STAT_CONCURRENCY = 32;

/**
 * Size in bytes of each file (undefined when it vanished meanwhile).
 * A bounded number of stat calls at a time, through the callback API: one
 * promise per file for 100,000 archives took seconds and 600 MB.
 */
export function sizes(dir: string, files: readonly string[]): Promise<Map<string, number | undefined>> {
  const out = new Map<string, number | undefined>();
  return new Promise((resolve) => {
    let next = 0;
    let active = 0;
    const pump = (): void => {
      while (active < STAT_CONCURRENCY && next < files.length) {
        const file = files[next++] as string;
        active++;
        stat(join(dir, file), (err, st) => {
          out.set(file, err ? undefined : st.size);
          active--;
          pump();
        });
      }
      if (active === 0) resolve(out);
    };
    pump();
  });
}
