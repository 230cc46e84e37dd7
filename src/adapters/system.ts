// The real adapters wired together: what plan observes and what apply uses
// on this machine. Tests build their own ports instead.
import type { ObservePorts } from './observe.js';
import { observeLvm } from './lvm-adapter.js';
import { readMounts } from './mounts.js';
import { listBtrfsLeftovers } from './btrfs-source.js';

export const systemObservePorts: ObservePorts = {
  lvm: () => observeLvm(),
  mounts: () => readMounts(),
  btrfsLeftovers: (subvolumes) => listBtrfsLeftovers(subvolumes),
};
