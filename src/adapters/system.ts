// The real adapters wired together: what plan observes on this machine.
// Each is imported when first used, so `plan` on a policy without LVM or
// btrfs volumes never loads the child-process machinery.
import { stat } from 'node:fs/promises';
import { onPath } from '../apply/compressors.js';
import { directoryState } from './directory-state.js';
import type { ObservePorts } from './observe.js';

export const systemObservePorts: ObservePorts = {
  lvm: async () => (await import('./lvm-adapter.js')).observeLvm(),
  mounts: async () => (await import('./mounts.js')).readMounts(),
  btrfsLeftovers: async (subvolumes) => (await import('./btrfs-source.js')).listBtrfsLeftovers(subvolumes),
  directoryState,
  freeBytes: async (path) => (await import('./mountinfo.js')).freeBytes(path),
  fileSize: (path) => stat(path).then(
    (s) => s.size,
    () => undefined,
  ),
  readOnlyMount: async (path) => (await import('./mountinfo.js')).readOnlyMount(path),
  dataMountsInside: async (dir) => (await import('./mountinfo.js')).dataMountsInside(dir),
  deviceContent: async (device) => (await import('./mounts.js')).deviceContent(device),
  btrfsCopyRefused: async (device) => (await import('./mounts.js')).btrfsCopyRefused(device),
  locateBackupDir: async (volume, backupDir, host) => (await import('./backup-dir-inside.js')).locateBackupDir(volume, backupDir, host),
  btrfsSubvolume: async (path) => (await import('./btrfs-source.js')).isBtrfsSubvolume(path),
  nestedSubvolumes: async (subvolume, volume, archived) => (await import('./btrfs-source.js')).nestedSubvolumes(subvolume, volume, archived),
  subvolumesInside: async (dir, archived, backupDir) => (await import('./btrfs-inside.js')).subvolumesInside(dir, archived, backupDir),
  missingPrograms: (names) => Promise.resolve(names.filter((name) => !onPath(name))),
  danglingLink: async (dir) => (await import('./backup-dir.js')).danglingLink(dir),
};

/** The observe port that reads apply's state in `stateDir` (default /var/lib/snapctl) for host directories it wrote archives into. */
export function stateDirPort(stateDir: string | undefined): NonNullable<ObservePorts['wroteArchivesTo']> {
  return async (hostDir) => (await import('../apply/state-file.js')).wroteArchivesTo(hostDir, stateDir);
}
