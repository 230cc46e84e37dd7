// Whether a volume is due: one archive per calendar period in the policy's zone.
import type { Schedule } from './model.js';

export function periodKey(_schedule: Schedule, _ms: number, _timeZone: string): string {
  throw new Error('not implemented');
}

export function dueness(
  _schedule: Schedule,
  _archiveTimes: readonly number[],
  _now: number,
  _timeZone: string,
): { due: boolean; reason: string; period: string; last?: number } {
  throw new Error('not implemented');
}
