// Is every volume's backup fresh enough? The pure half of `snapctl status`:
// archive ages against each schedule's period, the last run from the state
// file, and the Nagios plugin output (first line with perfdata). No clock:
// `now` comes in, so thresholds are tested at exact instants.
import { counted } from './describe.js';
import type { Archive, HostPolicy, RunningApply, Schedule, Volume } from './model.js';
import { dueness, scheduleLabel } from './schedule.js';
import { DAY_MS, formatDuration, HOUR_MS, isUtcZone } from './time.js';

/** Nagios plugin levels, in increasing order of severity. */
export type StatusLevel = 'OK' | 'WARNING' | 'CRITICAL' | 'UNKNOWN';

/** The Nagios plugin exit code of each level. */
export const STATUS_EXIT: Readonly<Record<StatusLevel, number>> = { OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3 };

/** Default thresholds, as multiples of the schedule's nominal period. */
export const WARN_FACTOR = 1.5;
export const CRIT_FACTOR = 2.5;

/** A run as the state file records it (structurally the state file's VolumeRun). */
export interface RunRecord {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly result: 'ok' | 'failed' | 'skipped';
  readonly message?: string;
  readonly archive?: string;
}

/** What the state file knows about one volume. */
export interface RunHistory {
  readonly last: RunRecord;
  readonly lastOk?: RunRecord;
  readonly failures?: number;
}

export interface StatusOptions {
  /** Age after which a volume is WARNING, for every volume (default WARN_FACTOR × period). */
  readonly warnMs?: number;
  /** Age after which a volume is CRITICAL, for every volume (default CRIT_FACTOR × period). */
  readonly critMs?: number;
}

export interface VolumeHealth {
  readonly volume: string;
  readonly level: Exclude<StatusLevel, 'UNKNOWN'>;
  /** One line: why this level. */
  readonly reason: string;
  /** "daily", "every 6h". */
  readonly schedule: string;
  readonly periodMs: number;
  readonly warnMs: number;
  readonly critMs: number;
  /** Complete archives of the volume at or before now. */
  readonly archives: number;
  readonly newest?: { readonly file: string; readonly time: number; readonly ageMs: number };
  /** The current period (e.g. "2026-03-01") has no archive yet. */
  readonly due: boolean;
  readonly period: string;
  readonly lastRun?: RunRecord;
  readonly lastOk?: RunRecord;
  readonly failures: number;
}

export interface StatusReport {
  readonly host: string;
  /** ISO 8601 UTC. */
  readonly now: string;
  /** The policy's zone, in which periods ("2026-03-01", "2026-03-01T04") are counted. */
  readonly timezone: string;
  readonly level: Exclude<StatusLevel, 'UNKNOWN'>;
  readonly volumes: readonly VolumeHealth[];
  /** An apply holds the host lock now: its pid and since when (ms), when it wrote them. */
  readonly applyRunning?: RunningApply;
  /** LVM reports given up on that still run (stuck on a device or lock): the host's lvm volumes fail until they end. */
  readonly lvmStuck?: readonly StuckLvmReport[];
}

export interface StuckLvmReport {
  readonly tool: string;
  readonly pid: number;
  /** When it was given up on (ISO 8601). */
  readonly since: string;
}

/** The report with the stuck LVM reports named, and at least WARNING while there are any. */
export function withStuckLvmReports(report: StatusReport, stuck: readonly StuckLvmReport[]): StatusReport {
  if (stuck.length === 0) return report;
  return { ...report, level: worst([report.level, 'WARNING'], 'OK'), lvmStuck: stuck };
}

/** A schedule's nominal length: a month counts as 31 days, so thresholds never fire inside a long month. */
export function nominalPeriodMs(schedule: Schedule): number {
  switch (schedule.kind) {
    case 'hourly':
      return HOUR_MS;
    case 'daily':
      return DAY_MS;
    case 'weekly':
      return 7 * DAY_MS;
    case 'monthly':
      return 31 * DAY_MS;
    case 'every':
      return schedule.ms;
  }
}

const RANK: Readonly<Record<StatusLevel, number>> = { OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3 };

function worst<L extends StatusLevel>(levels: readonly L[], none: L): L {
  return levels.reduce((a, b) => (RANK[b] > RANK[a] ? b : a), none);
}

/** A volume's warning and critical ages: --warn/--crit when given, else WARN_FACTOR and CRIT_FACTOR × its period. */
export function volumeThresholds(volume: Volume, opts: StatusOptions = {}): { readonly warnMs: number; readonly critMs: number } {
  const periodMs = nominalPeriodMs(volume.schedule);
  return { warnMs: opts.warnMs ?? Math.round(periodMs * WARN_FACTOR), critMs: opts.critMs ?? Math.round(periodMs * CRIT_FACTOR) };
}

/**
 * Why the thresholds cannot serve some volume, or undefined when they all can.
 * A warning at or past the critical age never fires: the volume would go from
 * OK straight to CRITICAL. --warn alone can pass a volume's default critical
 * threshold (--crit alone its default warning one), so the text names the
 * first such volume, both ages and which one is the default.
 */
export function invertedThresholds(volumes: readonly Volume[], opts: StatusOptions): string | undefined {
  const inverted = volumes.map((v) => ({ volume: v, ...volumeThresholds(v, opts) })).filter((t) => t.warnMs >= t.critMs);
  const [first, ...others] = inverted;
  if (first === undefined) return undefined;
  const period = formatDuration(nominalPeriodMs(first.volume.schedule));
  const origin = (flag: string, given: number | undefined, factor: number): string => (given !== undefined ? flag : `the default, ${factor} x its ${period} period`);
  const fix = opts.warnMs === undefined ? `; give a --warn shorter than ${formatDuration(first.critMs)}` : opts.critMs === undefined ? `; give a --crit longer than ${formatDuration(first.warnMs)}` : '';
  const also = others.length === 0 ? '' : `; the same for ${others.length === 1 ? 'volume' : 'volumes'} ${others.map((t) => t.volume.name).join(', ')}`;
  return (
    `volume ${first.volume.name}: warning after ${formatDuration(first.warnMs)} (${origin('--warn', opts.warnMs, WARN_FACTOR)}) ` +
    `is not shorter than critical after ${formatDuration(first.critMs)} (${origin('--crit', opts.critMs, CRIT_FACTOR)})${also}${fix}`
  );
}

/** One volume's health at `now` from its archives (any order, any volume: filtered here) and its run history. */
export function evaluateVolume(volume: Volume, archives: readonly Archive[], history: RunHistory | undefined, now: number, timeZone: string, opts: StatusOptions = {}): VolumeHealth {
  const periodMs = nominalPeriodMs(volume.schedule);
  const { warnMs, critMs } = volumeThresholds(volume, opts);
  // Archives after `now` do not exist yet from the point of view of a --now in the past
  // (or of a clock that was set back): not counted, but the reason says how many there are.
  const mine: Archive[] = [];
  let later = 0;
  for (const a of archives) {
    if (a.volume !== volume.name) continue;
    if (a.time <= now) mine.push(a);
    else later++;
  }
  let newestArchive: Archive | undefined;
  for (const a of mine) if (newestArchive === undefined || a.time > newestArchive.time) newestArchive = a;
  const d = dueness(volume.schedule, mine.map((a) => a.time), now, timeZone);
  const lastFailed = history?.last.result === 'failed';
  // Only an archive made after the failed run answers it: not the one that run wrote itself before a
  // deletion or the snapshot release failed, nor an older one (pruning failed on a volume not due).
  const failureStands =
    lastFailed && (newestArchive === undefined || newestArchive.file === history.last.archive || newestArchive.time <= Date.parse(history.last.finishedAt));
  const failedText = lastFailed && history ? `last run failed at ${history.last.finishedAt}${history.last.message ? `: ${history.last.message}` : ''}` : undefined;

  let level: VolumeHealth['level'];
  let reason: string;
  if (newestArchive === undefined) {
    level = 'CRITICAL';
    reason = later === 0 ? 'no archive' : 'no archive at or before now';
  } else {
    const age = now - newestArchive.time;
    if (age > critMs) {
      level = 'CRITICAL';
      reason = `newest archive is ${formatDuration(age)} old (critical after ${formatDuration(critMs)})`;
    } else if (age > warnMs) {
      level = 'WARNING';
      reason = `newest archive is ${formatDuration(age)} old (warning after ${formatDuration(warnMs)})`;
    } else if (d.due && lastFailed) {
      level = 'WARNING';
      reason = `${periodText(d.period, timeZone)} is due and the last run failed`;
    } else if (failureStands) {
      level = 'WARNING';
      reason = `${periodText(d.period, timeZone)} is covered, but the last run failed`;
    } else {
      level = 'OK';
      reason = `newest archive is ${formatDuration(age)} old`;
    }
  }
  if (later > 0) reason += `; ${later} dated after now (clock set back, or --now before ${later === 1 ? 'it' : 'them'})`;
  if (failedText !== undefined) reason += `; ${failedText}`;

  return {
    volume: volume.name,
    level,
    reason,
    schedule: scheduleLabel(volume.schedule),
    periodMs,
    warnMs,
    critMs,
    archives: mine.length,
    ...(newestArchive !== undefined ? { newest: { file: newestArchive.file, time: newestArchive.time, ageMs: now - newestArchive.time } } : {}),
    due: d.due,
    period: d.period,
    ...(history !== undefined ? { lastRun: history.last } : {}),
    ...(history?.lastOk !== undefined ? { lastOk: history.lastOk } : {}),
    failures: history?.failures ?? 0,
  };
}

/** Every volume of the host policy, and the overall level (the worst one). */
export function evaluateStatus(
  policy: HostPolicy,
  archives: readonly Archive[],
  history: Readonly<Record<string, RunHistory>>,
  now: number,
  opts: StatusOptions = {},
): StatusReport {
  const volumes = policy.volumes.map((v) => evaluateVolume(v, archives, history[v.name], now, policy.timezone, opts));
  return { host: policy.host, now: new Date(now).toISOString(), timezone: policy.timezone, level: worst(volumes.map((v) => v.level), 'OK'), volumes };
}

/** Nagios perfdata: `<volume>_age=<s>s;<warn>;<crit>;0` (U without an archive) and `<volume>_archives=<n>;;;0`. */
export function perfdata(volumes: readonly VolumeHealth[]): string {
  const label = (name: string): string => (/^[A-Za-z0-9_.-]+$/.test(name) ? name : `'${name.replace(/'/g, "''")}'`);
  const s = (ms: number): number => Math.floor(ms / 1000);
  return volumes
    .flatMap((v) => [
      `${label(`${v.volume}_age`)}=${v.newest ? `${s(v.newest.ageMs)}s` : 'U'};${s(v.warnMs)};${s(v.critMs)};0`,
      `${label(`${v.volume}_archives`)}=${v.archives};;;0`,
    ])
    .join(' ');
}

/** `SNAPCTL OK - 2 volumes ok | data_age=3600s;129600;216000;0 …`: the Nagios plugin's first line. */
export function statusLine(report: StatusReport): string {
  const bad = report.volumes.filter((v) => v.level !== 'OK').sort((a, b) => RANK[b.level] - RANK[a.level]);
  const ok = report.volumes.length - bad.length;
  const okText = `${counted(ok, 'volume')} ok`;
  const text = bad.length === 0 ? okText : [...bad.map((v) => `${v.volume}: ${v.reason}`), ...(ok > 0 ? [okText] : [])].join('; ');
  const running = report.applyRunning ? `; ${applyRunningText(report)}` : '';
  const stuck = (report.lvmStuck ?? []).map((r) => `; ${r.tool} stuck since ${r.since} (pid ${r.pid})`).join('');
  return `SNAPCTL ${report.level} - ${text}${running}${stuck} | ${perfdata(report.volumes)}`;
}

/**
 * "apply running for 2h5m (pid 4711)": with an archive overdue, an apply that
 * is still running (a slow archive, or one hung on a device) explains why.
 */
function applyRunningText(report: StatusReport): string {
  const run = report.applyRunning;
  const since = run?.sinceMs;
  const age = since === undefined ? '' : ` for ${formatDuration(Math.max(0, Date.parse(report.now) - since))}`;
  return `apply running${age}${run?.pid !== undefined ? ` (pid ${run.pid})` : ''}`;
}

/** The first line for a check that could not be made (policy unreadable, state file corrupt…). */
export function unknownLine(why: string): string {
  return `SNAPCTL UNKNOWN - ${why.replace(/\|/g, '/').replace(/\s*\n\s*/g, ' ')}`;
}

function runText(label: string, run: RunRecord | undefined): string {
  if (run === undefined) return `${label}: none recorded`;
  return `${label}: ${run.result} at ${run.finishedAt}${run.message ? ` (${run.message})` : ''}`;
}

/** The Nagios first line, then one paragraph per volume (plugin "long output"). */
export function renderStatus(report: StatusReport): string {
  const lines = [statusLine(report)];
  for (const v of report.volumes) {
    lines.push(`${v.volume}: ${v.level} - ${v.reason}`);
    lines.push(`  schedule ${v.schedule}; warning after ${formatDuration(v.warnMs)}, critical after ${formatDuration(v.critMs)}; ${counted(v.archives, 'archive')}`);
    if (v.newest) lines.push(`  newest ${v.newest.file} (${new Date(v.newest.time).toISOString()})`);
    lines.push(`  ${periodText(v.period, report.timezone)} ${v.due ? 'is due' : 'is covered'}; ${runText('last run', v.lastRun)}${v.failures > 0 ? `; ${counted(v.failures, 'failed run')} recorded` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}

/** A period with its zone unless that is UTC (whose periods read like the archives' Z times). */
function periodText(period: string, timeZone: string): string {
  return isUtcZone(timeZone) ? period : `${period} (${timeZone})`;
}

/** The machine-readable report (`status --json`); times ISO 8601, durations in seconds. */
export function statusJson(report: StatusReport): Record<string, unknown> {
  const sec = (ms: number): number => Math.floor(ms / 1000);
  return {
    host: report.host,
    now: report.now,
    timezone: report.timezone,
    level: report.level,
    exitCode: STATUS_EXIT[report.level],
    summary: statusLine(report),
    applyRunning: report.applyRunning
      ? { pid: report.applyRunning.pid ?? null, since: report.applyRunning.sinceMs !== undefined ? new Date(report.applyRunning.sinceMs).toISOString() : null }
      : null,
    lvmStuck: (report.lvmStuck ?? []).map((r) => ({ tool: r.tool, pid: r.pid, since: r.since })),
    volumes: report.volumes.map((v) => ({
      volume: v.volume,
      level: v.level,
      reason: v.reason,
      schedule: v.schedule,
      warningAfterSeconds: sec(v.warnMs),
      criticalAfterSeconds: sec(v.critMs),
      archives: v.archives,
      newest: v.newest ? { archive: v.newest.file, time: new Date(v.newest.time).toISOString(), ageSeconds: sec(v.newest.ageMs) } : null,
      period: v.period,
      due: v.due,
      lastRun: v.lastRun ?? null,
      lastOk: v.lastOk ?? null,
      failures: v.failures,
    })),
  };
}
