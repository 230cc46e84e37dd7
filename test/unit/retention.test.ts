import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { applyRetention } from '../../src/core/retention.js';
import { localParts } from '../../src/core/time.js';
import type { Retention } from '../../src/core/model.js';

const ZONE = 'Europe/Berlin';
const GOLDEN = fileURLToPath(new URL('../../../test/golden/retention/', import.meta.url));
const UPDATE = process.env['UPDATE_GOLDEN'] === '1';

interface Item {
  readonly id: string;
  readonly time: number;
}

// ~50 instants over two years (UTC), dense around DST changes in Berlin
// (2024-10-27, 2025-03-30, 2025-10-26, 2026-03-29) and around New Year, with
// two pairs of equal timestamps (c/d and x/y).
const INSTANTS = [
  '2024-06-15T01:00:00Z', '2024-07-01T10:00:00Z', '2024-09-30T22:30:00Z', '2024-10-26T23:30:00Z',
  '2024-10-27T00:30:00Z', '2024-10-27T01:30:00Z', '2024-10-27T02:30:00Z', '2024-12-28T12:00:00Z',
  '2024-12-29T23:30:00Z', '2024-12-31T22:59:59Z', '2024-12-31T23:00:00Z', '2025-01-05T22:59:59Z',
  '2025-01-05T23:00:00Z', '2025-02-28T12:00:00Z', '2025-03-29T22:59:00Z', '2025-03-29T23:30:00Z',
  '2025-03-30T00:30:00Z', '2025-03-30T01:00:00Z', '2025-03-30T21:59:00Z', '2025-03-30T22:00:00Z',
  '2025-05-01T08:00:00Z', '2025-05-01T08:20:00Z', '2025-05-01T08:40:00Z', '2025-05-01T09:00:00Z',
  '2025-06-30T21:59:59Z', '2025-06-30T22:00:00Z', '2025-08-15T03:00:00Z', '2025-10-25T22:30:00Z',
  '2025-10-26T00:15:00Z', '2025-10-26T00:45:00Z', '2025-10-26T01:15:00Z', '2025-10-26T01:45:00Z',
  '2025-10-26T22:59:59Z', '2025-10-26T23:00:00Z', '2025-12-28T22:59:59Z', '2025-12-28T23:00:00Z',
  '2025-12-31T23:00:00Z', '2026-01-01T02:00:00Z', '2026-01-04T23:00:00Z', '2026-02-01T02:00:00Z',
  '2026-03-28T23:00:00Z', '2026-03-29T00:59:59Z', '2026-03-29T01:00:00Z', '2026-03-29T21:59:59Z',
  '2026-05-10T02:00:00Z', '2026-05-10T02:00:00Z', '2026-05-11T02:00:00Z', '2026-05-12T02:00:00Z',
  '2026-05-12T02:00:00Z', '2026-05-13T02:00:00Z', '2026-05-13T03:00:00Z', '2026-05-14T02:00:00Z',
];
const ITEMS: readonly Item[] = INSTANTS.map((iso, i) => ({ id: `s${String(i).padStart(2, '0')}`, time: Date.parse(iso) }));

const H = 3_600_000;
const D = 24 * H;

const POLICIES: Readonly<Record<string, Retention>> = {
  'none': {},
  'last-1': { last: 1 },
  'last-3': { last: 3 },
  'last-100': { last: 100 },
  'hourly-5': { hourly: 5 },
  'hourly-24': { hourly: 24 },
  'daily-1': { daily: 1 },
  'daily-7': { daily: 7 },
  'daily-30': { daily: 30 },
  'weekly-1': { weekly: 1 },
  'weekly-4': { weekly: 4 },
  'weekly-52': { weekly: 52 },
  'monthly-1': { monthly: 1 },
  'monthly-6': { monthly: 6 },
  'monthly-24': { monthly: 24 },
  'yearly-1': { yearly: 1 },
  'yearly-3': { yearly: 3 },
  'within-1d': { withinMs: D, withinText: '1d' },
  'within-3d': { withinMs: 3 * D, withinText: '3d' },
  'within-2w': { withinMs: 14 * D, withinText: '2w' },
  'within-2d12h': { withinMs: 60 * H, withinText: '2d12h' },
  'last-3-daily-7': { last: 3, daily: 7 },
  'hourly-24-daily-7-weekly-4': { hourly: 24, daily: 7, weekly: 4 },
  'daily-7-weekly-4-monthly-12-yearly-2': { daily: 7, weekly: 4, monthly: 12, yearly: 2 },
  'within-3d-daily-7': { withinMs: 3 * D, withinText: '3d', daily: 7 },
  'within-1d-weekly-2-monthly-3': { withinMs: D, withinText: '1d', weekly: 2, monthly: 3 },
  'everything': { last: 2, hourly: 3, daily: 4, weekly: 5, monthly: 6, yearly: 7, withinMs: 2 * D, withinText: '2d' },
};

function berlin(ms: number): string {
  const p = localParts(ms, ZONE);
  const n = (v: number) => String(v).padStart(2, '0');
  return `${p.year}-${n(p.month)}-${n(p.day)} ${n(p.hour)}:${n(p.minute)}:${n(p.second)}`;
}

function describe(items: readonly Item[], rules: Retention) {
  const result = applyRetention(items, rules, ZONE);
  return {
    policy: rules,
    keep: result.keep.map(({ item, reasons }) => ({ id: item.id, utc: new Date(item.time).toISOString(), berlin: berlin(item.time), reasons })),
    remove: result.remove.map((item) => ({ id: item.id, utc: new Date(item.time).toISOString(), berlin: berlin(item.time) })),
  };
}

function assertPartition(items: readonly Item[], rules: Retention): void {
  const { keep, remove } = applyRetention(items, rules, ZONE);
  const out = [...keep.map((k) => k.item), ...remove];
  assert.equal(out.length, items.length, 'keep + remove has as many items as the input');
  assert.deepEqual(new Set(out), new Set(items), 'keep + remove is exactly the input');
  for (const k of keep) assert.ok(k.reasons.length > 0, `kept ${k.item.id} has a reason`);
}

for (const [name, rules] of Object.entries(POLICIES)) {
  test(`retention golden: ${name}`, () => {
    const actual = describe(ITEMS, rules);
    const file = `${GOLDEN}${name}.json`;
    const text = `${JSON.stringify(actual, null, 2)}\n`;
    if (UPDATE) writeFileSync(file, text);
    assert.equal(text, readFileSync(file, 'utf8'), `${file} differs (UPDATE_GOLDEN=1 regenerates it)`);
    assertPartition(ITEMS, rules);
    assertPartition([...ITEMS].reverse(), rules);
  });
}

test('retention golden: no stale golden files without a policy', () => {
  if (UPDATE) {
    mkdirSync(GOLDEN, { recursive: true });
    for (const f of readdirSync(GOLDEN)) if (!(f.replace(/\.json$/, '') in POLICIES)) rmSync(`${GOLDEN}${f}`);
  }
  assert.deepEqual(readdirSync(GOLDEN).sort(), Object.keys(POLICIES).map((n) => `${n}.json`).sort());
});

const at = (iso: string, id = iso): Item => ({ id, time: Date.parse(iso) });
const ids = (r: { keep: { item: Item }[]; remove: Item[] }) => ({ keep: r.keep.map((k) => k.item.id), remove: r.remove.map((i) => i.id) });

test('weekly puts 2020-12-31 and 2021-01-01 in the same ISO week 2020-W53', () => {
  const items = [at('2020-12-31T12:00:00Z', 'thu'), at('2021-01-01T12:00:00Z', 'fri'), at('2021-01-04T12:00:00Z', 'mon')];
  assert.deepEqual(ids(applyRetention(items, { weekly: 3 }, 'UTC')), { keep: ['mon', 'fri'], remove: ['thu'] });
});

test('yearly splits the same ISO week at New Year (calendar year, not ISO year)', () => {
  const items = [at('2020-12-31T12:00:00Z', 'thu'), at('2021-01-01T12:00:00Z', 'fri')];
  assert.deepEqual(ids(applyRetention(items, { yearly: 2 }, 'UTC')), { keep: ['fri', 'thu'], remove: [] });
});

test('a 23-hour and a 25-hour day in Berlin are each one daily bucket', () => {
  // 2026-03-29 (23h) and 2026-10-25 (25h): first and last second of each local day.
  const items = [
    at('2026-03-28T23:00:00Z', 'spring-start'), at('2026-03-29T21:59:59Z', 'spring-end'),
    at('2026-10-24T22:00:00Z', 'autumn-start'), at('2026-10-25T22:59:59Z', 'autumn-end'),
  ];
  assert.deepEqual(ids(applyRetention(items, { daily: 10 }, ZONE)), { keep: ['autumn-end', 'spring-end'], remove: ['autumn-start', 'spring-start'] });
});

test('daily buckets follow the zone, not UTC', () => {
  // 23:30 UTC on the 1st is 01:30 on the 2nd in Berlin (summer): same Berlin day as 12:00Z on the 2nd.
  const items = [at('2026-07-01T23:30:00Z', 'late'), at('2026-07-02T12:00:00Z', 'noon')];
  assert.deepEqual(ids(applyRetention(items, { daily: 5 }, ZONE)), { keep: ['noon'], remove: ['late'] });
  assert.deepEqual(ids(applyRetention(items, { daily: 5 }, 'UTC')), { keep: ['noon', 'late'], remove: [] });
});

test('the repeated hour when clocks go back is one hourly bucket (wall clock, like restic)', () => {
  const items = [at('2026-10-25T00:30:00Z', 'cest-0230'), at('2026-10-25T01:30:00Z', 'cet-0230')];
  assert.deepEqual(ids(applyRetention(items, { hourly: 5 }, ZONE)), { keep: ['cet-0230'], remove: ['cest-0230'] });
});

test('equal timestamps: calendar rules keep only the first in input order, last counts each', () => {
  const items = [at('2026-05-10T02:00:00Z', 'a'), at('2026-05-10T02:00:00Z', 'b'), at('2026-05-09T02:00:00Z', 'c')];
  assert.deepEqual(ids(applyRetention(items, { daily: 5 }, ZONE)), { keep: ['a', 'c'], remove: ['b'] });
  assert.deepEqual(ids(applyRetention([items[1]!, items[0]!, items[2]!], { daily: 5 }, ZONE)), { keep: ['b', 'c'], remove: ['a'] });
  assert.deepEqual(ids(applyRetention(items, { last: 2 }, ZONE)), { keep: ['a', 'b'], remove: ['c'] });
});

test('zero rules keep everything with a reason', () => {
  const r = applyRetention(ITEMS, {}, ZONE);
  assert.equal(r.remove.length, 0);
  assert.equal(r.keep.length, ITEMS.length);
  assert.ok(r.keep.every((k) => k.reasons.join() === 'no retention rules'));
});

test('keepWithin counts from the newest item, not from now: a week of failed backups ages nothing out', () => {
  const items = [at('2020-01-10T00:00:00Z', 'newest'), at('2020-01-08T00:00:01Z', 'inside'), at('2020-01-07T00:00:00Z', 'at-edge'), at('2020-01-01T00:00:00Z', 'old')];
  const r = applyRetention(items, { withinMs: 3 * D, withinText: '3d' }, ZONE);
  // at-edge is exactly newest − 3d: restic keeps only times strictly after the edge.
  assert.deepEqual(ids(r), { keep: ['newest', 'inside'], remove: ['at-edge', 'old'] });
  assert.deepEqual(r.keep[0]!.reasons, ['within 3d']);
});

test('keeps the newest item even when no rule keeps it', () => {
  // A zero-length window keeps nothing by itself (nothing is strictly newer than the newest).
  const items = [at('2026-01-02T00:00:00Z', 'newest'), at('2026-01-01T00:00:00Z', 'older')];
  const r = applyRetention(items, { withinMs: 0, withinText: '0h' }, ZONE);
  assert.deepEqual(ids(r), { keep: ['newest'], remove: ['older'] });
  assert.deepEqual(r.keep[0]!.reasons, ['newest']);
});

test('reasons list every rule that keeps an item, within first', () => {
  const r = applyRetention([at('2026-01-02T00:00:00Z', 'x')], { last: 1, daily: 1, yearly: 1, withinMs: D, withinText: '1d' }, ZONE);
  assert.deepEqual(r.keep[0]!.reasons, ['within 1d', 'last', 'daily', 'yearly']);
});

test('sorts unsorted input newest first and returns keep and remove newest first', () => {
  const shuffled = [...ITEMS].sort((a, b) => (a.id.charCodeAt(2) * 7) % 10 - (b.id.charCodeAt(2) * 7) % 10 || a.id.localeCompare(b.id));
  const r = applyRetention(shuffled, { daily: 5 }, ZONE);
  const keptTimes = r.keep.map((k) => k.item.time);
  assert.deepEqual(keptTimes, [...keptTimes].sort((a, b) => b - a));
  assert.deepEqual(r.remove.map((i) => i.time), r.remove.map((i) => i.time).sort((a, b) => b - a));
});

test('an empty list keeps and removes nothing', () => {
  assert.deepEqual(applyRetention([], { daily: 3 }, ZONE), { keep: [], remove: [] });
});

test('100,000 items hourly archives over 11 years are split (scale; speed is measured by npm run bench)', () => {
  const many = Array.from({ length: 100_000 }, (_, i) => ({ time: Date.UTC(2015, 0, 1) + i * H }));
  const r = applyRetention(many, { last: 3, daily: 7, weekly: 4, monthly: 12, yearly: 5, withinMs: 2 * D }, ZONE);
  assert.equal(r.keep.length + r.remove.length, many.length);
});
