// restic 0.14 `forget` semantics: which archives each keep-rule keeps.
// One pure function, no wall clock: keepWithin counts from the newest item.
import type { Retention } from './model.js';
import { civilYearMonth, DAY_MS, formatDuration, HOUR_MS, wallClock } from './time.js';

type BucketRule = 'hourly' | 'daily' | 'weekly' | 'monthly' | 'yearly';

/**
 * The calendar bucket of each rule, as a number that is equal for two
 * instants exactly when restic's ymdh/ymd/yw/ym/y keys are: counted on the
 * local wall clock (`wall`: the instant shifted by the zone's offset), with
 * ISO weeks numbered from the Monday before 1970-01-01 (a Thursday).
 * Plain arithmetic, no objects: this runs once per archive.
 */
export const BUCKETS: readonly (readonly [BucketRule, (wall: number) => number])[] = [
  ['hourly', (wall) => Math.floor(wall / HOUR_MS)],
  ['daily', (wall) => Math.floor(wall / DAY_MS)],
  ['weekly', (wall) => Math.floor((Math.floor(wall / DAY_MS) + 3) / 7)],
  ['monthly', (wall) => civilYearMonth(Math.floor(wall / DAY_MS))],
  ['yearly', (wall) => Math.floor(civilYearMonth(Math.floor(wall / DAY_MS)) / 12)],
];

/** Whether any keep rule is set; no rules means keep everything (restic's "policy is empty"). */
export function hasRetentionRules(rules: Retention): boolean {
  return rules.last !== undefined || rules.withinMs !== undefined || BUCKETS.some(([name]) => rules[name] !== undefined);
}

/**
 * Split items into kept (with display reasons) and removed, like restic 0.14's
 * ApplyPolicy:
 * - items are sorted newest first with a stable sort, so items with equal
 *   times keep their input order (pass them in a deterministic order);
 * - each rule runs independently over that list: `last n` keeps the n first
 *   items; a calendar rule keeps an item when its bucket (in `timeZone`)
 *   differs from the bucket of the item that rule kept last, until its count
 *   is used up; so of several items with equal times (one bucket) a calendar
 *   rule keeps only the first, while `last` counts each of them;
 * - `withinMs` keeps items strictly newer than (newest − withinMs), like
 *   restic's `Time.After`; the reference is the newest item, never "now";
 * - unlike restic 0.16+, the oldest item gets no special treatment;
 * - no rules at all keeps everything;
 * - in addition (snapctl's own guarantee), the newest item is always kept.
 * Reasons come in the order within, last, hourly, daily, weekly, monthly, yearly.
 * keep and remove are both newest first and together hold every input item once.
 */
export function applyRetention<T extends { readonly time: number }>(
  items: readonly T[],
  rules: Retention,
  timeZone: string,
): { keep: { item: T; reasons: string[] }[]; remove: T[] } {
  // Array.prototype.sort is stable: items with equal times keep their input order.
  // The planner passes them newest first already, which a pass without calls confirms.
  const sorted = newestFirst(items) ? items : [...items].sort((a, b) => b.time - a.time);
  if (!hasRetentionRules(rules)) {
    return { keep: sorted.map((item) => ({ item, reasons: ['no retention rules'] })), remove: [] };
  }
  const first = sorted[0];
  if (first === undefined) return { keep: [], remove: [] };

  const rulesInUse = BUCKETS.flatMap(([name, bucketOf]) => {
    const count = rules[name];
    return count !== undefined && count > 0 ? [{ name, bucketOf, left: count, last: Number.NaN }] : [];
  });
  const withinLabel = `within ${rules.withinText ?? formatDuration(rules.withinMs ?? 0)}`;
  const oldestWithin = rules.withinMs === undefined ? undefined : first.time - rules.withinMs;
  let lastLeft = rules.last ?? 0;

  const keep: { item: T; reasons: string[] }[] = [];
  const remove: T[] = [];
  let rulesLeft = rulesInUse.length;
  for (let position = 0; position < sorted.length; position++) {
    const item = sorted[position] as T;
    // Made only for an item that is kept: most of a long history is removed, and 100,000 empty arrays add up.
    let reasons: string[] | undefined;
    if (oldestWithin !== undefined && item.time > oldestWithin) reasons = [withinLabel];
    if (lastLeft > 0) {
      lastLeft--;
      (reasons ??= []).push('last');
    }
    if (rulesLeft > 0) {
      const wall = wallClock(item.time, timeZone);
      for (const rule of rulesInUse) {
        if (rule.left === 0) continue;
        const bucket = rule.bucketOf(wall);
        if (bucket !== rule.last) {
          rule.last = bucket;
          rule.left--;
          if (rule.left === 0) rulesLeft--;
          (reasons ??= []).push(rule.name);
        }
      }
    }
    if (position === 0 && reasons === undefined) reasons = ['newest'];
    if (reasons !== undefined) keep.push({ item, reasons });
    else remove.push(item);
  }
  return { keep, remove };
}

function newestFirst(items: readonly { readonly time: number }[]): boolean {
  for (let i = 1; i < items.length; i++) if ((items[i] as { time: number }).time > (items[i - 1] as { time: number }).time) return false;
  return true;
}
