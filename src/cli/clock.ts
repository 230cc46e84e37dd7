// Parses --now (fixed clock for tests, simulations and what-ifs).
import { SnapctlError } from '../core/errors.js';
import { parseGivenTime } from '../core/time.js';

/** --now, read like every time on the command line (see parseGivenTime): a date alone is the start of that day. */
export function parseNow(value: string | undefined, timeZone: string, realNow: () => number = Date.now): number {
  if (value === undefined) return realNow();
  const given = parseGivenTime(value, timeZone, 'start');
  if (given === undefined) {
    throw new SnapctlError(
      'input',
      `--now: "${value}" is not an ISO-8601 date or time`,
      "expected e.g. 2026-11-26T03:00:00Z, 2026-11-26T04:00+01:00, 2026-11-26T04:00 (in the policy's timezone) or 2026-11-26 (the start of that day)",
    );
  }
  return given.ms;
}
