// Calendar arithmetic in an IANA time zone, without touching the clock.

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

export function localParts(_ms: number, _timeZone: string): LocalParts {
  throw new Error('not implemented');
}

export function isoWeek(_parts: Pick<LocalParts, 'year' | 'month' | 'day'>): { year: number; week: number } {
  throw new Error('not implemented');
}

export function localToUtc(_parts: Omit<LocalParts, 'weekday'>, _timeZone: string): number {
  throw new Error('not implemented');
}

export function formatCompactUtc(_ms: number): string {
  throw new Error('not implemented');
}

export function parseCompactUtc(_s: string): number | undefined {
  throw new Error('not implemented');
}

export function isValidTimeZone(_tz: string): boolean {
  throw new Error('not implemented');
}
