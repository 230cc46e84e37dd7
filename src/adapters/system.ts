// The real adapters wired together: what plan observes on this machine.
// Each is imported when first used, so `plan` on a policy without LVM or
// btrfs volumes never loads the child-process machinery.
import { stat } from 'node:fs/promises';
import type { ObservePorts } from './observe.js';

export const systemObservePorts: ObservePorts = {
  lvm: async () => (await import('./lvm-adapter.js')).observeLvm(),
  mounts: async () => (await import('./mounts.js')).readMounts(),
  btrfsLeftovers: async (subvolumes) => (await import('./btrfs-source.js')).listBtrfsLeftovers(subvolumes),
  isDirectory: (path) => stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  ),
  missingPrograms: async (names) => {
    const { onPath } = await import('../apply/compressors.js');
    const found = await Promise.all(names.map((name) => onPath(name)));
    return names.filter((_, i) => !found[i]);
  },
};
