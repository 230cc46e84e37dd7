// Calendar arithmetic in an IANA time zone, without touching the clock.
// Intl is the only source of zone rules; it is slow (microseconds per call),
// so offsets are cached per week and per day, where they are constant.

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
/** Offsets are assumed to change at most once per week-long block (true of every real zone). */
const BLOCK_MS = 7 * DAY_MS;

interface ZoneCache {
  readonly formatter: Intl.DateTimeFormat;
  /** block index → constant offset over the block, or null when a transition falls inside. */
  readonly blocks: Map<number, number | null>;
  /** day index (inside a non-constant block) → constant offset over the day, or null. */
  readonly days: Map<number, number | null>;
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
    cache = { formatter, blocks: new Map(), days: new Map() };
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

/** The offset if it is the same at both ends of [start, start + length), else null. */
function constantOffset(formatter: Intl.DateTimeFormat, start: number, length: number): number | null {
  const a = intlOffset(formatter, start);
  const b = intlOffset(formatter, start + length - 1000);
  return a === b ? a : null;
}

/** UTC offset (ms) of `timeZone` at `ms`: local wall time = ms + offset. */
export function zoneOffset(ms: number, timeZone: string): number {
  const cache = zoneCache(timeZone);
  const block = Math.floor(ms / BLOCK_MS);
  let blockOffset = cache.blocks.get(block);
  if (blockOffset === undefined) {
    blockOffset = constantOffset(cache.formatter, block * BLOCK_MS, BLOCK_MS);
    cache.blocks.set(block, blockOffset);
  }
  if (blockOffset !== null) return blockOffset;
  const day = Math.floor(ms / DAY_MS);
  let dayOffset = cache.days.get(day);
  if (dayOffset === undefined) {
    dayOffset = constantOffset(cache.formatter, day * DAY_MS, DAY_MS);
    cache.days.set(day, dayOffset);
  }
  return dayOffset ?? intlOffset(cache.formatter, ms);
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
