// What apply leaves for monitoring once it holds the lock, whatever happened:
// each volume's run in the state file (status reads it) and the metrics
// textfile. The metrics are built from this run merged into the state as
// read, not from the file on disk afterwards, so a state file that cannot be
// read or written never leaves them stale. Neither problem fails the backup:
// each is a warning.
import { SnapctlError } from '../core/errors.js';
import type { HostPolicy } from '../core/model.js';
import type { ApplyResult } from './execute.js';
import { writeMetricsFile } from './metrics.js';
import { emptyState, readState, recordRunsIn, writeState, type RunState, type VolumeRun } from './state-file.js';

export interface RecordTarget {
  readonly policy: HostPolicy;
  readonly stateDir: string;
  /** --metrics-file, when given. */
  readonly metricsFile?: string | undefined;
  /** The host directory this run wrote archives into, if it wrote any. */
  readonly archiveDir?: string | undefined;
}

/** Each volume's run with its own times (the run's only when the engine gave none); volumes not run are left out. */
export function stateRuns(result: ApplyResult, startedAt: string, finishedAt: string): Record<string, VolumeRun> {
  const runs: Record<string, VolumeRun> = {};
  for (const v of result.volumes) {
    if (v.result === undefined) continue;
    runs[v.volume] = {
      startedAt: v.startedAt ?? startedAt,
      finishedAt: v.finishedAt ?? finishedAt,
      result: v.result,
      ...(v.errors.length > 0 ? { message: v.errors.join('; ') } : v.status === 'up-to-date' ? { message: 'not due' } : {}),
      ...(v.archive !== undefined ? { archive: v.archive } : {}),
      ...(v.archivedAt !== undefined ? { archivedAt: v.archivedAt } : {}),
      ...(v.bytes !== undefined ? { bytes: v.bytes } : {}),
      ...(v.durationMs !== undefined ? { durationMs: v.durationMs } : {}),
      ...(v.snapshotPercent !== undefined ? { snapshotPeakPercent: v.snapshotPercent } : {}),
    };
  }
  return runs;
}

/** A run that stopped before any volume's work (backup directory gone, stale plan): every volume failed, for that reason. */
export function refusedRuns(policy: HostPolicy, err: unknown, startedAt: string, finishedAt: string): Record<string, VolumeRun> {
  const message = err instanceof SnapctlError ? err.summary : `internal error: ${err instanceof Error ? err.message : String(err)}`;
  return Object.fromEntries(policy.volumes.map((v) => [v.name, { startedAt, finishedAt, result: 'failed', message } satisfies VolumeRun]));
}

function problem(err: unknown): string {
  const how = err instanceof SnapctlError && err.detail !== undefined ? `; ${err.detail}` : '';
  return `${err instanceof Error ? err.message : String(err)}${how}`;
}

/**
 * Records `runs` in the state file and writes the metrics from the state with
 * them. A state file that cannot be read (corrupt, from a newer snapctl) is
 * left as it is, and the metrics then know this run only: its volumes' runs,
 * failure counters from this run alone. One that cannot be written still
 * gives metrics that include this run.
 */
export async function recordForMonitoring(runs: Readonly<Record<string, VolumeRun>>, target: RecordTarget, warn: (message: string) => void): Promise<void> {
  let previous: RunState | undefined;
  try {
    previous = await readState(target.stateDir);
  } catch (err) {
    const metrics = target.metricsFile !== undefined ? ' (the metrics file describes this run only)' : '';
    warn(`could not record the run state: ${problem(err)}${metrics}`);
  }
  const state = recordRunsIn(previous ?? emptyState(), runs, target.archiveDir);
  if (previous !== undefined) {
    try {
      await writeState(state, target.stateDir);
    } catch (err) {
      warn(`could not record the run state: ${problem(err)}`);
    }
  }
  if (target.metricsFile !== undefined) {
    try {
      await writeMetricsFile(target.metricsFile, target.policy, state);
    } catch (err) {
      warn(`could not write the metrics file ${target.metricsFile}: ${problem(err)}`);
    }
  }
}
