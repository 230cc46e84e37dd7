// A saved plan (`plan --out`): the plan plus what it was computed from, so
// `apply PLANFILE` can refuse it when the policy or the inventory changed.
import { createHash } from 'node:crypto';
import type { Observed, Plan } from './model.js';
import { SnapctlError } from './errors.js';

export const SAVED_PLAN_FORMAT = 'snapctl-plan';

export interface SavedPlan {
  readonly format: typeof SAVED_PLAN_FORMAT;
  readonly version: 1;
  /** How the plan was made, so apply can observe the same things again. */
  readonly request: {
    readonly policy: string;
    readonly host: string;
    readonly backupDir?: string;
    /** The --now the plan was made with: applying it is then a simulation at that time too. */
    readonly now?: string;
  };
  readonly policyHash: string;
  readonly git?: { readonly commit: string; readonly dirty: boolean };
  readonly inventoryFingerprint: string;
  readonly plan: Plan;
}

/**
 * A digest of what the plan depends on: the backup directory's file names and
 * the leftovers it plans to clean up. Percentages and sizes that drift on
 * their own are left out, names are what matter.
 */
export function inventoryFingerprint(files: readonly string[], observed: Observed): string {
  const lvm = observed.lvm.available
    ? observed.lvm.lvs.filter((lv) => lv.tags.includes('snapctl')).map((lv) => `${lv.vg}/${lv.name}`).sort()
    : [];
  const doc = {
    files: [...files].sort(),
    lvm,
    mounts: observed.mounts.map((m) => m.target).sort(),
    btrfs: [...observed.btrfsLeftovers].sort(),
  };
  return createHash('sha256').update(JSON.stringify(doc)).digest('hex');
}

export function parseSavedPlan(text: string, file: string): SavedPlan {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new SnapctlError('input', `${file} is not a saved plan (not JSON)`, 'make one with `snapctl plan --out FILE`');
  }
  const d = doc as Partial<SavedPlan> | null;
  if (d === null || typeof d !== 'object' || d.format !== SAVED_PLAN_FORMAT || d.version !== 1 || !d.plan || !d.request) {
    throw new SnapctlError('input', `${file} is not a snapctl saved plan (format ${SAVED_PLAN_FORMAT} version 1)`, 'make one with `snapctl plan --out FILE`');
  }
  return d as SavedPlan;
}

/**
 * Why a saved plan does not fit the host or backup directory the command
 * line names (--host, --backup-dir), or undefined when it does: the plan's
 * archive names and paths were made for its own.
 */
export function targetMismatch(saved: SavedPlan, host: string, hostDirectory: string): string | undefined {
  if (saved.plan.host !== host) return `it was made for host ${saved.plan.host}, not ${host}`;
  if (saved.plan.backupDir !== hostDirectory) return `it was made for the backup directory ${saved.plan.backupDir}, not ${hostDirectory}`;
  return undefined;
}

/** Why a saved plan may not be applied any more, or undefined when it still holds. */
export function staleness(saved: SavedPlan, policyHash: string, fingerprint: string): string | undefined {
  if (saved.policyHash !== policyHash) return 'the policy changed since the plan was made';
  if (saved.inventoryFingerprint !== fingerprint) return 'the backup directory or the snapshot leftovers changed since the plan was made';
  return undefined;
}
