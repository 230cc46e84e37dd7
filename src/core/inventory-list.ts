// `snapctl list` as data: each archive with its age, size, format, sidecar,
// why retention keeps it, or that the next apply deletes it (from the plan).
import type { Archive, Plan } from './model.js';
import { formatDuration } from './time.js';

export interface InventoryRow {
  readonly volume: string;
  readonly file: string;
  /** ISO-8601 UTC of the archive's timestamp. */
  readonly time: string;
  /** now − time in ms (negative for an archive stamped in the future). */
  readonly ageMs: number;
  /** To the minute ("2d3h", "45m"), in seconds under a minute ("45s"); "-1h" for an archive stamped in the future. */
  readonly age: string;
  /** File size; null when it could not be read. */
  readonly sizeBytes: number | null;
  readonly format: Archive['format'];
  readonly compression: Archive['compression'];
  readonly sidecar: boolean;
  /** Retention reasons keeping it ("last", "daily", …); empty when it is deleted next. */
  readonly keptBy: readonly string[];
  /** Whether the next apply (planned at `now`) deletes it. */
  readonly deleteNext: boolean;
  /** The plan's reason, when deleteNext. */
  readonly deleteReason?: string;
}

/** An age to the minute (seconds would only be noise), or in seconds when it is under one. */
function ageText(ms: number): string {
  return formatDuration(ms < 60_000 ? ms : ms - (ms % 60_000));
}

/** Rows newest first (the order of `archives`), joined with the plan computed at `now`. */
export function inventoryRows(archives: readonly Archive[], plan: Plan, size: (file: string) => number | undefined, now: number): InventoryRow[] {
  const kept = new Map(plan.kept.map((k) => [k.archive, k.reasons]));
  const deletes = new Map(plan.actions.flatMap((a) => (a.type === 'delete' ? [[a.archive, a.reason] as const] : [])));
  return archives.map((a) => {
    const ageMs = now - a.time;
    const reason = deletes.get(a.file);
    return {
      volume: a.volume,
      file: a.file,
      time: new Date(a.time).toISOString(),
      ageMs,
      age: ageMs < 0 ? `-${ageText(-ageMs)}` : ageText(ageMs),
      sizeBytes: size(a.file) ?? null,
      format: a.format,
      compression: a.compression,
      sidecar: a.hasSidecar,
      keptBy: kept.get(a.file) ?? [],
      deleteNext: reason !== undefined,
      ...(reason !== undefined ? { deleteReason: reason } : {}),
    };
  });
}
