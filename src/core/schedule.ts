// Whether a volume is due: one archive per period, periods being calendar
// periods (or `every` buckets) of the wall clock in the policy's time zone.
import type { Schedule } from './model.js';
import { DAY_MS, epochDay, formatDuration, HOUR_MS, isoWeek, isUtcZone, localParts, MINUTE_MS } from './time.js';

/** Multi-day `every` buckets count from this local Monday, so `every: 1w` is the ISO week. */
const EVERY_EPOCH_DAY = epochDay(1970, 1, 5);
/** No period is longer than a month plus a DST hour; archives further from now cannot share its period. */
const LONGEST_PERIOD_MS = 32 * DAY_MS;

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** "2026-11-26" from days since 1970-01-01. */
function dateOfEpochDay(day: number): string {
  const d = new Date(day * DAY_MS);
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/**
 * The period of `ms` in `timeZone`, as a readable key: hourly "2026-11-26T03",
 * daily "2026-11-26", weekly "2026-W48" (ISO week), monthly "2026-11", every
 * "2026-11-26 06:00" (start of the bucket, wall clock).
 * Periods follow the wall clock: the repeated hour when clocks go back is one
 * hourly period; a 23- or 25-hour day is one daily period.
 * `every` up to a day: buckets of `ms` wall-clock time from each local
 * midnight (6h → 00, 06, 12, 18; a length that does not divide the day leaves
 * a shorter last bucket before midnight). `every` longer than a day: buckets
 * of wall-clock time counted from Monday 1970-01-05 00:00 local, so 1w is the
 * ISO week and 2d alternates on a fixed calendar, whatever the archive history.
 */
export function periodKey(schedule: Schedule, ms: number, timeZone: string): string {
  const p = localParts(ms, timeZone);
  const date = `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}`;
  switch (schedule.kind) {
    case 'hourly':
      return `${date}T${pad(p.hour)}`;
    case 'daily':
      return date;
    case 'weekly': {
      const w = isoWeek(p);
      return `${pad(w.year, 4)}-W${pad(w.week)}`;
    }
    case 'monthly':
      return `${pad(p.year, 4)}-${pad(p.month)}`;
    case 'every': {
      const size = Math.max(1000, schedule.ms);
      const timeOfDay = ((p.hour * 60 + p.minute) * 60 + p.second) * 1000;
      const day = epochDay(p.year, p.month, p.day);
      const start = size <= DAY_MS
        ? day * DAY_MS + Math.floor(timeOfDay / size) * size
        : EVERY_EPOCH_DAY * DAY_MS + Math.floor(((day - EVERY_EPOCH_DAY) * DAY_MS + timeOfDay) / size) * size;
      const startDay = Math.floor(start / DAY_MS);
      const startTime = (start - startDay * DAY_MS) / MINUTE_MS;
      return `${dateOfEpochDay(startDay)} ${pad(Math.floor(startTime / 60))}:${pad(startTime % 60)}`;
    }
  }
}

/** "daily", "every 6h": how the schedule reads in reasons. */
export function scheduleLabel(schedule: Schedule): string {
  return schedule.kind === 'every' ? `every ${formatDuration(schedule.ms)}` : schedule.kind;
}

/**
 * A volume is due when no archive time falls in the period of `now`; an
 * archive made by a run at `now` therefore makes every later run in the same
 * period not due. `last` is the newest archive time at or before `now` (for display).
 */
export function dueness(
  schedule: Schedule,
  archiveTimes: readonly number[],
  now: number,
  timeZone: string,
): { due: boolean; reason: string; period: string; last?: number } {
  const period = periodKey(schedule, now, timeZone);
  // Periods are local to the policy's zone: name it unless it is UTC, whose periods match the archives' Z times.
  const label = isUtcZone(timeZone) ? scheduleLabel(schedule) : `${scheduleLabel(schedule)}, ${timeZone}`;
  let last: number | undefined;
  let covered = false;
  for (const t of archiveTimes) {
    if (t <= now && (last === undefined || t > last)) last = t;
    if (!covered && Math.abs(t - now) <= LONGEST_PERIOD_MS && periodKey(schedule, t, timeZone) === period) covered = true;
  }
  const reason = covered ? `an archive already covers ${period} (${label})` : `no archive in ${period} (${label})`;
  return last === undefined ? { due: !covered, reason, period } : { due: !covered, reason, period, last };
}


function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/**
 * How many minutes apart runs started on the minute must be (always a
 * divisor of 60) to start one in every period of these schedules: 60 unless
 * an `every` schedule has periods that start off the hour (15m, 90m, 7m).
 * Such buckets start at multiples of their length from midnight, so runs
 * every gcd(length, 60) minutes from the hour meet each start; a length that
 * is not whole minutes needs a run every minute.
 */
export function runCadenceMinutes(schedules: readonly Schedule[]): number {
  let cadence = 60;
  for (const s of schedules) {
    if (s.kind !== 'every' || s.ms % HOUR_MS === 0) continue;
    cadence = s.ms % MINUTE_MS === 0 ? gcd(cadence, s.ms / MINUTE_MS) : 1;
  }
  return cadence;
}

/**
 * The longest gap between runs (minutes) that can still meet every period of
 * these schedules: the shortest period (a month counts as 28 days).
 */
export function longestRunGapMinutes(schedules: readonly Schedule[]): number {
  const minutes = { hourly: 60, daily: 1440, weekly: 7 * 1440, monthly: 28 * 1440 } as const;
  let gap = Infinity;
  for (const s of schedules) gap = Math.min(gap, s.kind === 'every' ? Math.max(1, Math.floor(s.ms / MINUTE_MS)) : minutes[s.kind]);
  return gap;
}
