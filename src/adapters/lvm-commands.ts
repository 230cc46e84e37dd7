// The LVM operations snapctl needs, as one small interface: the source
// driver and cleanup depend on this, the real adapter (lvm-adapter.ts) runs
// the commands.
import { SnapctlError } from '../core/errors.js';
import type { LvmFailure, LvsReport } from './lvm-parse.js';

export interface CreateSnapshotRequest {
  readonly vg: string;
  /** Origin LV name (in `vg`). */
  readonly origin: string;
  /** New snapshot LV name. */
  readonly name: string;
  /** Classic snapshots: COW size in bytes (whole extents). Ignored for thin. */
  readonly sizeBytes?: number;
  /** Thin snapshot: no size, created active (`-kn`). */
  readonly thin: boolean;
  readonly tags: readonly string[];
}

export interface SnapshotState {
  readonly attr: string;
  /** snap_percent (classic) or data_percent (thin), when reported. */
  readonly percent?: number;
  /** Invalidated COW snapshot (attr state `I`, or full at 100%): its contents cannot be trusted. */
  readonly invalid: boolean;
}

export interface LvmCommands {
  /** Every LV, and the VGs that hold them: one report (a VG without LVs has no row). */
  lvs(): Promise<LvsReport>;
  createSnapshot(request: CreateSnapshotRequest): Promise<void>;
  /** `lvchange -ay -K`: activates a thin snapshot despite its activation-skip flag. */
  activate(vg: string, lv: string): Promise<void>;
  /** Removes the LV, retrying while it is in use; 'absent' when it did not exist. */
  remove(vg: string, lv: string): Promise<'removed' | 'absent'>;
  snapshotState(vg: string, lv: string): Promise<SnapshotState>;
}

/** A failed LVM command: summary for humans, the classified failure for code. */
export class LvmError extends SnapctlError {
  constructor(
    summary: string,
    readonly failure: LvmFailure,
    readonly command: string,
  ) {
    super('operation', summary, `${command}: ${failure.message || 'failed'}`);
  }
}
