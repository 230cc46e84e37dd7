import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dueness, longestRunGapMinutes, periodKey, runCadenceMinutes } from '../../src/core/schedule.js';
import type { Schedule } from '../../src/core/model.js';

const ZONE = 'Europe/Berlin';
const t = (iso: string) => Date.parse(iso);
const HOURLY: Schedule = { kind: 'hourly' };
const DAILY: Schedule = { kind: 'daily' };
const WEEKLY: Schedule = { kind: 'weekly' };
const MONTHLY: Schedule = { kind: 'monthly' };
const every = (ms: number): Schedule => ({ kind: 'every', ms });
const H = 3_600_000;

test('periodKey names the local hour, day, ISO week and month', () => {
  const ms = t('2026-11-26T02:30:00Z'); // 03:30 in Berlin
  assert.equal(periodKey(HOURLY, ms, ZONE), '2026-11-26T03');
  assert.equal(periodKey(DAILY, ms, ZONE), '2026-11-26');
  assert.equal(periodKey(WEEKLY, ms, ZONE), '2026-W48');
  assert.equal(periodKey(MONTHLY, ms, ZONE), '2026-11');
});

test('daily periods follow the zone: 23:30 UTC on New Year\'s Eve is already the new year in Berlin', () => {
  const ms = t('2025-12-31T23:30:00Z');
  assert.equal(periodKey(DAILY, ms, ZONE), '2026-01-01');
  assert.equal(periodKey(MONTHLY, ms, ZONE), '2026-01');
  assert.equal(periodKey(DAILY, ms, 'UTC'), '2025-12-31');
});

test('weekly uses ISO weeks across New Year: 2020-12-31 and 2021-01-03 share 2020-W53', () => {
  assert.equal(periodKey(WEEKLY, t('2020-12-31T12:00:00Z'), ZONE), '2020-W53');
  assert.equal(periodKey(WEEKLY, t('2021-01-03T12:00:00Z'), ZONE), '2020-W53');
  assert.equal(periodKey(WEEKLY, t('2021-01-04T12:00:00Z'), ZONE), '2021-W01');
});

test('a 23-hour and a 25-hour day are each one daily period', () => {
  assert.equal(periodKey(DAILY, t('2026-03-28T23:00:00Z'), ZONE), '2026-03-29');
  assert.equal(periodKey(DAILY, t('2026-03-29T21:59:59Z'), ZONE), '2026-03-29');
  assert.equal(periodKey(DAILY, t('2026-03-29T22:00:00Z'), ZONE), '2026-03-30');
  assert.equal(periodKey(DAILY, t('2026-10-24T22:00:00Z'), ZONE), '2026-10-25');
  assert.equal(periodKey(DAILY, t('2026-10-25T22:59:59Z'), ZONE), '2026-10-25');
  assert.equal(periodKey(DAILY, t('2026-10-25T23:00:00Z'), ZONE), '2026-10-26');
});

test('every 6h is aligned to local midnight: 00, 06, 12, 18 wall clock, also on DST days', () => {
  const six = every(6 * H);
  assert.equal(periodKey(six, t('2026-07-01T03:59:59Z'), ZONE), '2026-07-01 00:00'); // 05:59:59 CEST
  assert.equal(periodKey(six, t('2026-07-01T04:00:00Z'), ZONE), '2026-07-01 06:00');
  assert.equal(periodKey(six, t('2026-07-01T21:59:59Z'), ZONE), '2026-07-01 18:00');
  assert.equal(periodKey(six, t('2026-03-29T04:00:00Z'), ZONE), '2026-03-29 06:00'); // 06:00 CEST after the jump
  assert.equal(periodKey(six, t('2026-03-29T03:59:59Z'), ZONE), '2026-03-29 00:00');
});

test('every that does not divide the day restarts at midnight', () => {
  const seven = every(7 * H);
  assert.equal(periodKey(seven, t('2026-07-01T19:30:00Z'), ZONE), '2026-07-01 21:00'); // 21:30
  assert.equal(periodKey(seven, t('2026-07-01T22:30:00Z'), ZONE), '2026-07-02 00:00'); // 00:30 next day
});

test('every longer than a day counts from Monday 1970-01-05 local: 1w is the ISO week, 2d alternates', () => {
  const week = every(7 * 24 * H);
  assert.equal(periodKey(week, t('2026-11-26T12:00:00Z'), ZONE), '2026-11-23 00:00'); // Thursday → Monday 23rd
  assert.equal(periodKey(week, t('2026-11-29T22:59:59Z'), ZONE), '2026-11-23 00:00'); // Sunday 23:59:59
  assert.equal(periodKey(week, t('2026-11-29T23:00:00Z'), ZONE), '2026-11-30 00:00');
  const two = every(2 * 24 * H);
  const a = periodKey(two, t('2026-11-26T12:00:00Z'), ZONE);
  const b = periodKey(two, t('2026-11-27T12:00:00Z'), ZONE);
  const c = periodKey(two, t('2026-11-28T12:00:00Z'), ZONE);
  assert.ok((a === b) !== (b === c), `${a} ${b} ${c}: two consecutive days share a bucket, the third starts a new one`);
});

test('the repeated autumn hour is one hourly period', () => {
  assert.equal(periodKey(HOURLY, t('2026-10-25T00:30:00Z'), ZONE), periodKey(HOURLY, t('2026-10-25T01:30:00Z'), ZONE));
});

test('due when there are no archives at all', () => {
  const d = dueness(DAILY, [], t('2026-11-26T02:00:00Z'), ZONE);
  assert.deepEqual(d, { due: true, reason: 'no archive in 2026-11-26 (daily, Europe/Berlin)', period: '2026-11-26' });
});

test('due when the newest archive is from yesterday, with last set', () => {
  const yesterday = t('2026-11-25T02:00:00Z');
  const d = dueness(DAILY, [yesterday, t('2026-11-20T02:00:00Z')], t('2026-11-26T02:00:00Z'), ZONE);
  assert.deepEqual(d, { due: true, reason: 'no archive in 2026-11-26 (daily, Europe/Berlin)', period: '2026-11-26', last: yesterday });
});

test('idempotent: an archive made at now makes a second run in the same period not due', () => {
  const cases: readonly [Schedule, string, string][] = [
    [HOURLY, '2026-11-26T02:00:07.250Z', '2026-11-26T02:59:00Z'],
    [DAILY, '2026-11-26T02:00:00Z', '2026-11-26T22:59:59Z'],
    [WEEKLY, '2026-11-23T02:00:00Z', '2026-11-29T22:00:00Z'],
    [MONTHLY, '2026-11-01T02:00:00Z', '2026-11-30T22:00:00Z'],
    [every(6 * H), '2026-11-26T05:00:00Z', '2026-11-26T10:59:59Z'],
  ];
  for (const [schedule, first, second] of cases) {
    const now = t(first);
    assert.equal(dueness(schedule, [], now, ZONE).due, true, `${schedule.kind} first run is due`);
    const archived = Math.floor(now / 1000) * 1000; // archive names have seconds precision
    const again = dueness(schedule, [archived], t(second), ZONE);
    assert.equal(again.due, false, `${schedule.kind}: ${again.reason}`);
    assert.match(again.reason, /^an archive already covers /);
  }
});

test('the next period is due again, and DST days do not shift the boundary', () => {
  // daily at 03:00 Berlin on the night clocks go forward, then the next night.
  const archived = t('2026-03-29T01:00:00Z'); // 03:00 CEST
  assert.equal(dueness(DAILY, [archived], t('2026-03-29T21:59:59Z'), ZONE).due, false);
  assert.equal(dueness(DAILY, [archived], t('2026-03-29T22:00:00Z'), ZONE).due, true);
});

test('weekly: an archive on 2020-12-31 covers 2021-01-03, not 2021-01-04', () => {
  const archived = t('2020-12-31T12:00:00Z');
  assert.equal(dueness(WEEKLY, [archived], t('2021-01-03T12:00:00Z'), ZONE).due, false);
  assert.equal(dueness(WEEKLY, [archived], t('2021-01-04T12:00:00Z'), ZONE).reason, 'no archive in 2021-W01 (weekly, Europe/Berlin)');
});

test('reasons name the policy zone, except UTC, whose periods read like the archives\' Z times', () => {
  assert.equal(dueness(DAILY, [], t('2026-11-26T23:30:00Z'), ZONE).reason, 'no archive in 2026-11-27 (daily, Europe/Berlin)');
  assert.equal(dueness(DAILY, [], t('2026-11-26T23:30:00Z'), 'UTC').reason, 'no archive in 2026-11-26 (daily)');
  assert.equal(dueness(DAILY, [], t('2026-11-26T23:30:00Z'), 'Etc/UTC').reason, 'no archive in 2026-11-26 (daily)');
});

test('monthly: an archive in January does not cover February; reasons name the schedule', () => {
  const d = dueness(MONTHLY, [t('2026-01-31T12:00:00Z')], t('2026-02-01T12:00:00Z'), ZONE);
  assert.deepEqual(d.due, true);
  assert.equal(d.reason, 'no archive in 2026-02 (monthly, Europe/Berlin)');
  assert.equal(dueness(every(6 * H), [], t('2026-02-01T12:00:00Z'), ZONE).reason, 'no archive in 2026-02-01 12:00 (every 6h, Europe/Berlin)');
});

test('an archive from the future (clock skew) does not count for last', () => {
  const now = t('2026-11-26T02:00:00Z');
  const d = dueness(DAILY, [t('2026-11-28T02:00:00Z')], now, ZONE);
  assert.equal(d.due, true);
  assert.equal(d.last, undefined);
});

test('runCadenceMinutes: hourly runs meet every schedule whose periods start on the hour; off-hour every buckets need runs at each of their starts', () => {
  const m = 60_000;
  assert.equal(runCadenceMinutes([]), 60);
  assert.equal(runCadenceMinutes([{ kind: 'daily' }, { kind: 'hourly' }, { kind: 'monthly' }, every(6 * 60 * m), every(2 * 1440 * m)]), 60);
  assert.equal(runCadenceMinutes([{ kind: 'daily' }, every(15 * m)]), 15);
  assert.equal(runCadenceMinutes([every(90 * m)]), 30, '90m buckets start at :00 and :30');
  assert.equal(runCadenceMinutes([every(45 * m)]), 15, '45m buckets start at :00, :45, :30, :15');
  assert.equal(runCadenceMinutes([every(20 * m), every(15 * m)]), 5, 'both sets of starts');
  assert.equal(runCadenceMinutes([every(7 * m)]), 1);
  assert.equal(runCadenceMinutes([every(90_000)]), 1, 'not whole minutes: every minute');
  // The claim behind the cadence: every bucket start of a day is a multiple of it from the hour.
  for (const minutes of [15, 45, 90, 7, 50, 1470]) {
    const cadence = runCadenceMinutes([every(minutes * m)]);
    assert.equal(60 % cadence, 0);
    for (let start = 0; start < 2 * 1440; start += minutes) assert.equal(start % cadence, 0, `${minutes}m bucket at ${start}`);
  }
});

test('longestRunGapMinutes is the shortest period among the schedules (a month as 28 days)', () => {
  assert.equal(longestRunGapMinutes([{ kind: 'monthly' }]), 28 * 1440);
  assert.equal(longestRunGapMinutes([{ kind: 'monthly' }, { kind: 'weekly' }, { kind: 'daily' }]), 1440);
  assert.equal(longestRunGapMinutes([{ kind: 'daily' }, { kind: 'hourly' }]), 60);
  assert.equal(longestRunGapMinutes([{ kind: 'daily' }, { kind: 'every', ms: 15 * 60_000 }]), 15);
  assert.equal(longestRunGapMinutes([{ kind: 'every', ms: 30_000 }]), 1);
});
