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

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
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
  /** The last constant span found: lookups of nearby instants (sorted file names) skip the maps. */
  last: { start: number; end: number; offset: number };
}

const zones = new Map<string, ZoneCache>();

/**
 * UTC under its two IANA names: offset 0 without asking Intl, whose first
 * use in a process loads ICU's zone data (about 15 ms of a 0.1 s start-up).
 */
const UTC_ZONES: ReadonlySet<string> = new Set(['UTC', 'Etc/UTC']);

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
    cache = { formatter, boundaries: new Map(), last: { start: 0, end: 0, offset: 0 } };
    zones.set(timeZone, cache);
  }
  return cache;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (month 1-12; days past the month's end roll over). */
function daysFromCivil(year: number, month: number, day: number): number {
  // Howard Hinnant's days_from_civil: plain arithmetic, no Date objects (this runs once per file name).
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/** The instant whose UTC fields are the given ones (months outside 1-12 roll over into other years). */
function utcFromFields(year: number, month: number, day: number, hour: number, minute: number, second: number): number {
  const y = year + Math.floor((month - 1) / 12);
  const m = mod(month - 1, 12) + 1;
  return daysFromCivil(y, m, day) * DAY_MS + ((hour * 60 + minute) * 60 + second) * 1000;
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
  if (offset !== boundaryOffset(cache, start + size)) return undefined;
  cache.last = { start, end: start + size, offset };
  return offset;
}

/** UTC offset (ms) of `timeZone` at `ms`: local wall time = ms + offset. */
export function zoneOffset(ms: number, timeZone: string): number {
  if (UTC_ZONES.has(timeZone)) return 0;
  const cache = zoneCache(timeZone);
  if (ms >= cache.last.start && ms < cache.last.end) return cache.last.offset;
  return spanOffset(cache, ms, BLOCK_MS) ?? spanOffset(cache, ms, DAY_MS) ?? intlOffset(cache.formatter, ms);
}

/** The instant as the wall clock in `timeZone` shows it, counted like UTC milliseconds (ms + the zone's offset). */
export function wallClock(ms: number, timeZone: string): number {
  return ms + zoneOffset(ms, timeZone);
}

/** year·12 + (month − 1) of the day `days` since 1970-01-01 (Howard Hinnant's civil_from_days, no Date). */
export function civilYearMonth(days: number): number {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const shiftedMonth = Math.floor((5 * dayOfYear + 2) / 153); // 0 = March … 11 = February
  const month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return year * 12 + month - 1;
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
  return daysFromCivil(year + Math.floor((month - 1) / 12), mod(month - 1, 12) + 1, day);
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
  // No transition within a day either side (offsets change at most once in 4 days): one answer.
  if (before === after) return wall - before;
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

/** The number written by s[from, to) in ASCII digits, or NaN. */
export function digits(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return Number.NaN;
    n = n * 10 + c;
  }
  return n;
}

/** Inverse of formatCompactUtc; undefined for anything malformed or not a real date/time (e.g. month 13, Feb 30). */
export function parseCompactUtc(s: string): number | undefined {
  return s.length === 16 ? compactUtcAt(s, 0) : undefined;
}

/** parseCompactUtc of the 16 characters of `s` from `at`, read in place. */
export function compactUtcAt(s: string, at: number): number | undefined {
  // Hand-rolled and without a substring: this runs once per file name in a directory of up to 100,000 archives.
  if (s.length < at + 16 || s.charCodeAt(at + 8) !== 84 /* T */ || s.charCodeAt(at + 15) !== 90 /* Z */) return undefined;
  return validFields(digits(s, at, at + 4), digits(s, at + 4, at + 6), digits(s, at + 6, at + 8), digits(s, at + 9, at + 11), digits(s, at + 11, at + 13), digits(s, at + 13, at + 15));
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** The UTC instant of the fields as if they were UTC, or undefined when any field is out of range (or NaN). */
export function validFields(year: number, month: number, day: number, hour: number, minute: number, second: number): number | undefined {
  if (!(month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month) && hour >= 0 && hour <= 23 && minute >= 0 && minute <= 59 && second >= 0 && second <= 59) || Number.isNaN(year)) {
    return undefined;
  }
  return utcFromFields(year, month, day, hour, minute, second);
}

/** Whether `tz` names UTC itself ("UTC", "Etc/UTC"). */
export function isUtcZone(tz: string): boolean {
  return UTC_ZONES.has(tz);
}

/**
 * Whether `tz` is an IANA zone name the platform's zone database knows
 * (e.g. "Europe/Berlin", "UTC"). Offset strings such as "+02:00", which
 * newer Intl versions accept, are not zone names and are refused.
 */
export function isValidTimeZone(tz: string): boolean {
  if (UTC_ZONES.has(tz)) return true;
  if (tz === '' || /^[+-]/.test(tz)) return false;
  try {
    zoneCache(tz);
    return true;
  } catch {
    return false;
  }
}

/** "3d", "2d12h", "1w": a readable duration for reasons and labels when the policy text is not at hand. */
export function formatDuration(ms: number): string {
  const units: readonly (readonly [string, number])[] = [['w', 7 * DAY_MS], ['d', DAY_MS], ['h', HOUR_MS], ['m', 60_000], ['s', 1000]];
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

const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** A time given on the command line: the instant (epoch ms) and, when it had no zone, how it was read. */
export interface GivenTime {
  readonly ms: number;
  /** For a time without a zone: how it was read (in `timeZone`), with the instant in UTC. */
  readonly meaning?: string;
}

/**
 * An ISO-8601 time given on the command line, or undefined when malformed.
 * With a zone (Z, +01:00) it is that instant. Without one it is wall-clock
 * time in `timeZone` (the policy's, in which snapctl counts its periods),
 * not in whatever zone the shell happens to have. A date alone is the
 * start of that day there, or with `dateAlone: 'end'` its last millisecond.
 */
export function parseGivenTime(value: string, timeZone: string, dateAlone: 'start' | 'end' = 'start'): GivenTime | undefined {
  const m = ISO_TIME.exec(value);
  if (m === null) return undefined;
  const [, year, month, day, hour, minute, second, fraction, zone] = m;
  const iso = (ms: number): string => new Date(ms).toISOString();
  const fields = { year: Number(year), month: Number(month), day: Number(day), hour: Number(hour ?? 0), minute: Number(minute ?? 0), second: Number(second ?? 0) };
  // Checked with a zone too: Date.parse rolls 2026-02-30 over into March.
  if (validFields(fields.year, fields.month, fields.day, fields.hour, fields.minute, fields.second) === undefined) return undefined;
  if (zone !== undefined) {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : { ms };
  }
  if (hour === undefined) {
    if (dateAlone === 'start') {
      const ms = localToUtc(fields, timeZone);
      return { ms, meaning: `the start of that day in ${timeZone}, ${iso(ms)}` };
    }
    const ms = localToUtc({ ...fields, day: fields.day + 1 }, timeZone) - 1;
    return { ms, meaning: `the end of that day in ${timeZone}, ${iso(ms)}` };
  }
  const ms = localToUtc(fields, timeZone) + (fraction === undefined ? 0 : Math.floor(Number(`0.${fraction}`) * 1000));
  return { ms, meaning: `${timeZone} time, ${iso(ms)}` };
}
