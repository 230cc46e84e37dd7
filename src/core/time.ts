// Calendar arithmetic in an IANA time zone, without touching the clock.
// Intl is the only source of zone rules; it is slow (microseconds per call),
// so offsets are cached over spans where they are constant.

/** Wall-clock fields of an instant in a time zone. */
export interface LocalParts {
  readonly year: number;
  /** 1-12 */
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  /** ISO weekday: 1 = Monday … 7 = Sunday. */
  readonly weekday: number;
}

const DAY_MS = 86_400_000;
/**
 * Offsets are looked up per 4-day block: if the offset is the same at both
 * ends, it is constant inside, because no zone changes its offset twice
 * within 4 days (the closest pair of transitions in tzdb since 1990 is
 * about a week apart, America/Boa_Vista 1999/2000).
 */
const BLOCK_MS = 4 * DAY_MS;

interface ZoneCache {
  readonly formatter: Intl.DateTimeFormat;
  /** Offset at an instant that is a multiple of DAY_MS (block and day boundaries), from Intl. */
  readonly boundaries: Map<number, number>;
}

const zones = new Map<string, ZoneCache>();

function zoneCache(timeZone: string): ZoneCache {
  let cache = zones.get(timeZone);
  if (cache === undefined) {
    const formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    cache = { formatter, boundaries: new Map() };
    zones.set(timeZone, cache);
  }
  return cache;
}

function utcFromFields(year: number, month: number, day: number, hour: number, minute: number, second: number): number {
  // Date.UTC maps years 0-99 to 1900-1999; the setters do not, and they roll overflowing fields over.
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, 0);
  return d.getTime();
}

const DIGITS = /\d+/g;

/** The zone's UTC offset (ms) at an instant, straight from Intl. */
function intlOffset(formatter: Intl.DateTimeFormat, ms: number): number {
  // format() is several times faster than formatToParts(); en-US with these
  // options always prints "M/D/Y <era>, H:M:S", so the digit groups are enough.
  const text = formatter.format(ms);
  const [month, day, yearOfEra, hour, minute, second] = (text.match(DIGITS) ?? []).map(Number);
  if (second === undefined || minute === undefined || hour === undefined || yearOfEra === undefined || day === undefined || month === undefined) {
    throw new RangeError(`unexpected date format from Intl: ${text}`);
  }
  const year = text.includes('BC') ? 1 - yearOfEra : yearOfEra;
  return utcFromFields(year, month, day, hour, minute, second) - (ms - mod(ms, 1000));
}

function mod(a: number, b: number): number {
  return ((a % b) + b) % b;
}

function boundaryOffset(cache: ZoneCache, ms: number): number {
  let offset = cache.boundaries.get(ms);
  if (offset === undefined) {
    offset = intlOffset(cache.formatter, ms);
    cache.boundaries.set(ms, offset);
  }
  return offset;
}

/** The offset over [k·size, (k+1)·size) if it is the same at both ends, else undefined. */
function spanOffset(cache: ZoneCache, ms: number, size: number): number | undefined {
  const start = Math.floor(ms / size) * size;
  const offset = boundaryOffset(cache, start);
  return offset === boundaryOffset(cache, start + size) ? offset : undefined;
}

/** UTC offset (ms) of `timeZone` at `ms`: local wall time = ms + offset. */
export function zoneOffset(ms: number, timeZone: string): number {
  const cache = zoneCache(timeZone);
  return spanOffset(cache, ms, BLOCK_MS) ?? spanOffset(cache, ms, DAY_MS) ?? intlOffset(cache.formatter, ms);
}

/** Wall-clock fields of the instant `ms` in `timeZone` (throws RangeError on an unknown zone). */
export function localParts(ms: number, timeZone: string): LocalParts {
  const d = new Date(ms + zoneOffset(ms, timeZone));
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    weekday: d.getUTCDay() === 0 ? 7 : d.getUTCDay(),
  };
}

/** Days since 1970-01-01 of a calendar date (proleptic Gregorian). */
export function epochDay(year: number, month: number, day: number): number {
  return Math.floor(utcFromFields(year, month, day, 0, 0, 0) / DAY_MS);
}

/** ISO-8601 week-numbering year and week: weeks start on Monday, week 1 holds the year's first Thursday. */
export function isoWeek(parts: Pick<LocalParts, 'year' | 'month' | 'day'>): { year: number; week: number } {
  const dayNumber = epochDay(parts.year, parts.month, parts.day);
  const weekday = mod(dayNumber + 3, 7) + 1; // 1970-01-01 was a Thursday
  const thursday = dayNumber + 4 - weekday;
  const year = new Date(thursday * DAY_MS).getUTCFullYear();
  const week = Math.floor((thursday - epochDay(year, 1, 1)) / 7) + 1;
  return { year, week };
}

/**
 * The instant at which the wall clock in `timeZone` shows `parts`.
 * Ambiguous wall times (the repeated hour when clocks go back) resolve to the
 * earlier instant; nonexistent ones (the skipped hour when clocks go forward)
 * are read with the offset in force before the jump, i.e. shifted forward by
 * the gap (02:30 on a spring-forward night in Berlin → 03:30 CEST). This is
 * what Temporal's "compatible" disambiguation and most tools do.
 */
export function localToUtc(parts: Omit<LocalParts, 'weekday'>, timeZone: string): number {
  const wall = utcFromFields(parts.year, parts.month, parts.day, parts.hour, parts.minute, parts.second);
  const before = zoneOffset(wall - DAY_MS, timeZone);
  const after = zoneOffset(wall + DAY_MS, timeZone);
  const earlier = wall - before;
  const later = wall - after;
  const candidates = [earlier, later].filter((t) => t + zoneOffset(t, timeZone) === wall);
  if (candidates.length === 0) return earlier;
  return Math.min(...candidates);
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** `YYYYMMDDTHHMMSSZ` (UTC, seconds precision, sub-seconds dropped). */
export function formatCompactUtc(ms: number): string {
  const d = new Date(ms);
  return (
    pad(d.getUTCFullYear(), 4) + pad(d.getUTCMonth() + 1, 2) + pad(d.getUTCDate(), 2) + 'T' +
    pad(d.getUTCHours(), 2) + pad(d.getUTCMinutes(), 2) + pad(d.getUTCSeconds(), 2) + 'Z'
  );
}

const COMPACT_UTC = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** Inverse of formatCompactUtc; undefined for anything malformed or not a real date/time (e.g. month 13, Feb 30). */
export function parseCompactUtc(s: string): number | undefined {
  const m = COMPACT_UTC.exec(s);
  if (m === null) return undefined;
  return validFields(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}

/** The UTC instant of the fields as if they were UTC, or undefined when any field is out of range. */
export function validFields(year: number, month: number, day: number, hour: number, minute: number, second: number): number | undefined {
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  const ms = utcFromFields(year, month, day, hour, minute, second);
  // Date rolls day 31 of a 30-day month over; a round trip catches it.
  return new Date(ms).getUTCDate() === day ? ms : undefined;
}

/** Whether Intl knows the IANA zone name (e.g. "Europe/Berlin", "UTC"). */
export function isValidTimeZone(tz: string): boolean {
  if (tz === '') return false;
  try {
    zoneCache(tz);
    return true;
  } catch {
    return false;
  }
}

/** "3d", "2d12h", "1w": a readable duration for reasons and labels when the policy text is not at hand. */
export function formatDuration(ms: number): string {
  const units: readonly (readonly [string, number])[] = [['w', 604_800_000], ['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]];
  let rest = ms;
  let text = '';
  for (const [unit, size] of units) {
    const n = Math.floor(rest / size);
    if (n > 0) {
      text += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return text === '' ? '0s' : text;
}
