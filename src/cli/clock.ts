// Parses --now (fixed clock for tests, simulations and what-ifs).
import { SnapctlError } from '../core/errors.js';

const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

export function parseNow(value: string | undefined, realNow: () => number = Date.now): number {
  if (value === undefined) return realNow();
  const ms = ISO.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new SnapctlError('input', `--now: "${value}" is not an ISO-8601 time`, 'expected e.g. 2026-11-26T03:00:00Z or 2026-11-26T04:00:00+01:00');
  }
  return ms;
}
