// The node_exporter textfile apply writes (--metrics-file): per volume, when
// it last succeeded, how the last run went, the newest archive's size, and a
// failure counter. Built from the run state with this run recorded in it (see
// run-record.ts) and the backup directory, so it describes every volume, also
// those this run did not touch. Written atomically (node_exporter must never
// read half a file).
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { HostPolicy } from '../core/model.js';
import { classifyBackupDir, hostDir } from '../core/naming.js';
import { listBackupDir } from '../adapters/backup-dir.js';
import { writeFileAtomic } from './fs-durable.js';
import type { RunState, VolumeState } from './state-file.js';

export interface VolumeMetrics {
  readonly volume: string;
  /** What the state file knows; undefined before the volume's first run. */
  readonly state?: VolumeState;
  /** Complete archives of the volume in the backup directory; undefined when it could not be listed. */
  readonly archives?: number;
  /** Size of the newest complete archive, when there is one. */
  readonly newestBytes?: number;
}

interface Family {
  readonly name: string;
  readonly type: 'gauge' | 'counter';
  readonly help: string;
  readonly value: (v: VolumeMetrics) => number | undefined;
}

const seconds = (iso: string | undefined): number | undefined => (iso === undefined ? undefined : Date.parse(iso) / 1000);

const FAMILIES: readonly Family[] = [
  { name: 'snapctl_last_success_timestamp_seconds', type: 'gauge', help: 'When the last successful archive of the volume was finished (Unix time).', value: (v) => seconds(v.state?.lastOk?.finishedAt) },
  { name: 'snapctl_last_run_timestamp_seconds', type: 'gauge', help: 'When the last apply run of the volume finished (its archive and deletions, not the whole run), whatever its result (Unix time).', value: (v) => seconds(v.state?.last.finishedAt) },
  { name: 'snapctl_last_run_success', type: 'gauge', help: '1 when the last run of the volume did not fail (archived or not due), 0 when it failed (also when it archived but a deletion or the snapshot release failed).', value: (v) => (v.state === undefined ? undefined : v.state.last.result === 'failed' ? 0 : 1) },
  {
    name: 'snapctl_last_duration_seconds',
    type: 'gauge',
    help: 'How long the last archive attempt of the volume took (snapshot, archive, verify).',
    value: (v) => {
      const ms = v.state?.last.durationMs ?? v.state?.lastOk?.durationMs;
      return ms === undefined ? undefined : ms / 1000;
    },
  },
  { name: 'snapctl_archive_size_bytes', type: 'gauge', help: 'Size of the newest complete archive of the volume.', value: (v) => v.newestBytes },
  {
    name: 'snapctl_snapshot_usage_peak_percent',
    type: 'gauge',
    help: 'Highest COW usage of the snapshot during the last archive (LVM classic snapshots; 100 means it overflowed).',
    value: (v) => v.state?.last.snapshotPeakPercent ?? v.state?.lastOk?.snapshotPeakPercent,
  },
  { name: 'snapctl_failures_total', type: 'counter', help: 'Failed runs of the volume recorded in the state file.', value: (v) => (v.state === undefined ? undefined : (v.state.failures ?? 0)) },
  { name: 'snapctl_archives', type: 'gauge', help: 'Complete archives of the volume in the backup directory.', value: (v) => v.archives },
];

/** A label value in the exposition format: backslash, double quote and newline escaped. */
function labelValue(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function number(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : '-Inf';
  return String(n);
}

/** The textfile: HELP and TYPE per metric family, one sample per volume that has a value. */
export function renderMetrics(host: string, volumes: readonly VolumeMetrics[]): string {
  const lines: string[] = [];
  for (const f of FAMILIES) {
    lines.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`);
    for (const v of volumes) {
      const value = f.value(v);
      if (value !== undefined) lines.push(`${f.name}{host="${labelValue(host)}",volume="${labelValue(v.volume)}"} ${number(value)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Per policy volume: its state, archive count and newest archive's size (one stat per volume). */
export async function collectMetrics(policy: HostPolicy, state: RunState): Promise<VolumeMetrics[]> {
  const dir = hostDir(policy);
  // A directory apply could not read, or one it wrote archives into that is gone (not mounted?), leaves
  // out the archive gauges rather than count no archives: the run failed on it and said why.
  const listing = await listBackupDir(dir).catch(() => undefined);
  const unknown = listing === undefined || (!listing.exists && state.archiveDirs?.includes(dir) === true);
  const archives = unknown ? undefined : classifyBackupDir(listing.files, policy.host, policy.volumes, policy.timezone).archives;
  return Promise.all(
    policy.volumes.map(async (v) => {
      const vs = state.volumes[v.name];
      const known = vs !== undefined ? { state: vs } : {};
      if (archives === undefined) return { volume: v.name, ...known };
      const mine = archives.filter((a) => a.volume === v.name);
      // classifyBackupDir sorts newest first.
      const newest = mine[0];
      const bytes = newest === undefined ? undefined : await stat(join(dir, newest.file)).then((s) => s.size, () => undefined);
      return { volume: v.name, archives: mine.length, ...known, ...(bytes !== undefined ? { newestBytes: bytes } : {}) };
    }),
  );
}

/** Collect and write the textfile atomically, mode 0644 (node_exporter usually runs as another user). */
export async function writeMetricsFile(path: string, policy: HostPolicy, state: RunState): Promise<void> {
  await writeFileAtomic(path, renderMetrics(policy.host, await collectMetrics(policy, state)), { mode: 0o644 });
}
