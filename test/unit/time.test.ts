import { test } from 'node:test';
import assert from 'node:assert/strict';
import { civilYearMonth, formatCompactUtc, formatDuration, isValidTimeZone, isoWeek, localParts, localToUtc, parseCompactUtc, parseGivenTime, zoneOffset } from '../../src/core/time.js';

test('localParts gives Berlin wall time on both sides of the spring-forward jump', () => {
  assert.deepEqual(localParts(Date.parse('2026-03-29T00:59:59Z'), 'Europe/Berlin'), { year: 2026, month: 3, day: 29, hour: 1, minute: 59, second: 59, weekday: 7 });
  assert.deepEqual(localParts(Date.parse('2026-03-29T01:00:00Z'), 'Europe/Berlin'), { year: 2026, month: 3, day: 29, hour: 3, minute: 0, second: 0, weekday: 7 });
});

test('localParts shows the repeated hour twice when clocks go back', () => {
  assert.equal(localParts(Date.parse('2026-10-25T00:30:00Z'), 'Europe/Berlin').hour, 2);
  assert.equal(localParts(Date.parse('2026-10-25T01:30:00Z'), 'Europe/Berlin').hour, 2);
});

test('localParts handles half-hour zones and the southern hemisphere', () => {
  assert.deepEqual(localParts(Date.parse('2026-01-01T00:00:00Z'), 'Asia/Kolkata'), { year: 2026, month: 1, day: 1, hour: 5, minute: 30, second: 0, weekday: 4 });
  assert.equal(localParts(Date.parse('2026-01-15T12:00:00Z'), 'Australia/Sydney').hour, 23); // AEDT, +11
});

test('localParts agrees with Intl for 20,000 pseudo-random instants in zones with frequent transitions', () => {
  let seed = 42;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (const zone of ['Europe/Berlin', 'America/Sao_Paulo', 'Asia/Gaza', 'Africa/Casablanca', 'America/Boa_Vista', 'Australia/Lord_Howe']) {
    const f = new Intl.DateTimeFormat('sv-SE', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
    for (let i = 0; i < 20_000 / 6; i++) {
      const ms = Math.floor(Date.UTC(1990, 0, 1) + next() * (Date.UTC(2040, 0, 1) - Date.UTC(1990, 0, 1)));
      const p = localParts(ms, zone);
      const n = (v: number) => String(v).padStart(2, '0');
      assert.equal(`${p.year}-${n(p.month)}-${n(p.day)} ${n(p.hour)}:${n(p.minute)}:${n(p.second)}`, f.format(ms), `${zone} at ${new Date(ms).toISOString()}`);
    }
  }
});

test('localParts stays exact in the second before and at each Berlin transition', () => {
  const hm = (iso: string) => {
    const p = localParts(Date.parse(iso), 'Europe/Berlin');
    return `${p.hour}:${p.minute}:${p.second}`;
  };
  assert.deepEqual([hm('2025-03-30T00:59:59Z'), hm('2025-03-30T01:00:00Z')], ['1:59:59', '3:0:0']);
  assert.deepEqual([hm('2025-10-26T00:59:59Z'), hm('2025-10-26T01:00:00Z')], ['2:59:59', '2:0:0']);
});

test('isoWeek: 2020-12-31 and 2021-01-01 are in 2020-W53, 2021-01-04 starts 2021-W01', () => {
  assert.deepEqual(isoWeek({ year: 2020, month: 12, day: 31 }), { year: 2020, week: 53 });
  assert.deepEqual(isoWeek({ year: 2021, month: 1, day: 3 }), { year: 2020, week: 53 });
  assert.deepEqual(isoWeek({ year: 2021, month: 1, day: 4 }), { year: 2021, week: 1 });
});

test('isoWeek: 2019-12-30 belongs to 2020-W01 and 2026-12-31 to 2026-W53', () => {
  assert.deepEqual(isoWeek({ year: 2019, month: 12, day: 30 }), { year: 2020, week: 1 });
  assert.deepEqual(isoWeek({ year: 2026, month: 12, day: 31 }), { year: 2026, week: 53 });
  assert.deepEqual(isoWeek({ year: 2027, month: 1, day: 3 }), { year: 2026, week: 53 });
});

test('localToUtc converts ordinary wall times', () => {
  assert.equal(localToUtc({ year: 2026, month: 7, day: 1, hour: 12, minute: 0, second: 0 }, 'Europe/Berlin'), Date.parse('2026-07-01T10:00:00Z'));
  assert.equal(localToUtc({ year: 2026, month: 1, day: 1, hour: 0, minute: 0, second: 0 }, 'UTC'), Date.parse('2026-01-01T00:00:00Z'));
});

test('localToUtc resolves the ambiguous fall-back hour to the earlier instant (CEST)', () => {
  assert.equal(localToUtc({ year: 2026, month: 10, day: 25, hour: 2, minute: 30, second: 0 }, 'Europe/Berlin'), Date.parse('2026-10-25T00:30:00Z'));
});

test('localToUtc shifts a wall time in the spring-forward gap forward by the gap', () => {
  assert.equal(localToUtc({ year: 2026, month: 3, day: 29, hour: 2, minute: 30, second: 0 }, 'Europe/Berlin'), Date.parse('2026-03-29T01:30:00Z'));
});

test('localToUtc inverts localParts for every hour of a DST year', () => {
  for (let t = Date.parse('2026-01-01T00:00:00Z'); t < Date.parse('2027-01-01T00:00:00Z'); t += 3_600_000 + 17_000) {
    const p = localParts(t, 'Europe/Berlin');
    const back = localToUtc(p, 'Europe/Berlin');
    // Only the second copy of the repeated hour maps back to the earlier copy.
    assert.ok(back === t || back === t - 3_600_000, new Date(t).toISOString());
  }
});

test('formatCompactUtc and parseCompactUtc round-trip at seconds precision', () => {
  const ms = Date.parse('2026-11-26T03:04:05.678Z');
  assert.equal(formatCompactUtc(ms), '20261126T030405Z');
  assert.equal(parseCompactUtc('20261126T030405Z'), Date.parse('2026-11-26T03:04:05Z'));
});

test('parseCompactUtc rejects impossible dates and malformed text', () => {
  for (const s of ['20261341T000000Z', '20260230T000000Z', '20261126T240000Z', '20261126T236000Z', '20261126T030405', '2026-11-26T03:04:05Z', ' 20261126T030405Z']) {
    assert.equal(parseCompactUtc(s), undefined, s);
  }
  assert.equal(parseCompactUtc('20240229T000000Z'), Date.parse('2024-02-29T00:00:00Z'));
});

test('isValidTimeZone accepts IANA names and rejects unknown ones', () => {
  assert.equal(isValidTimeZone('Europe/Berlin'), true);
  assert.equal(isValidTimeZone('UTC'), true);
  assert.equal(isValidTimeZone('Mars/Olympus_Mons'), false);
  assert.equal(isValidTimeZone(''), false);
  assert.equal(isValidTimeZone('+02:00'), false);
  assert.equal(isValidTimeZone('-0500'), false);
});

test('UTC and Etc/UTC (answered without Intl) agree with the zone database', () => {
  // Etc/Universal is the same zone under a name that goes through Intl.
  for (const iso of ['1969-12-31T23:59:59Z', '2026-03-29T01:30:00Z', '2026-10-25T00:59:59Z', '2400-02-29T12:00:00Z']) {
    const ms = Date.parse(iso);
    for (const zone of ['UTC', 'Etc/UTC']) {
      assert.equal(zoneOffset(ms, zone), zoneOffset(ms, 'Etc/Universal'), `${zone} at ${iso}`);
      assert.deepEqual(localParts(ms, zone), localParts(ms, 'Etc/Universal'), `${zone} at ${iso}`);
    }
  }
});

test('formatDuration writes the largest units first', () => {
  assert.equal(formatDuration(3 * 86_400_000), '3d');
  assert.equal(formatDuration(60 * 3_600_000), '2d12h');
  assert.equal(formatDuration(14 * 86_400_000), '2w');
});

test('100,000 hourly instants convert (scale: no per-name quadratic work; speed is measured by npm run bench)', () => {
  let sum = 0;
  for (let i = 0; i < 100_000; i++) sum += localParts(Date.UTC(2015, 0, 1) + i * 3_600_000, 'Europe/Berlin').hour;
  assert.ok(sum > 0);
});

test('civilYearMonth agrees with Date on every day from 1600 to 2400', () => {
  const first = Math.floor(Date.UTC(1600, 0, 1) / 86_400_000);
  const last = Math.floor(Date.UTC(2400, 11, 31) / 86_400_000);
  for (let day = first; day <= last; day++) {
    const d = new Date(day * 86_400_000);
    const expected = d.getUTCFullYear() * 12 + d.getUTCMonth();
    if (civilYearMonth(day) !== expected) assert.fail(`day ${day} (${d.toISOString()}): ${civilYearMonth(day)} != ${expected}`);
  }
});

test('parseGivenTime: a zone is that instant; no zone is wall time in the given zone; a date alone is the start (or end) of that day there', () => {
  assert.deepEqual(parseGivenTime('2026-11-26T04:00+01:00', 'UTC'), { ms: Date.UTC(2026, 10, 26, 3) });
  assert.deepEqual(parseGivenTime('2026-11-26T04:00', 'Europe/Berlin'), { ms: Date.UTC(2026, 10, 26, 3), meaning: 'Europe/Berlin time, 2026-11-26T03:00:00.000Z' });
  assert.deepEqual(parseGivenTime('2026-11-26', 'Europe/Berlin'), { ms: Date.UTC(2026, 10, 25, 23), meaning: 'the start of that day in Europe/Berlin, 2026-11-25T23:00:00.000Z' });
  assert.equal(parseGivenTime('2026-11-26', 'Europe/Berlin', 'end')?.ms, Date.UTC(2026, 10, 26, 23) - 1);
  // 02:30 does not exist on the spring-forward night: read with the offset before the jump, as 03:30 CEST.
  assert.equal(parseGivenTime('2026-03-29T02:30', 'Europe/Berlin')?.ms, Date.UTC(2026, 2, 29, 1, 30));
  for (const bad of ['yesterday', '2026-11-31', '2026-11-26T24:00', '2026-11-26 04:00', '2026-11-26T04:00:00+25:00', '2026-02-30T00:00:00Z', '2026-11-31T03:00+01:00', '2026-11-26T24:00:00Z']) assert.equal(parseGivenTime(bad, 'UTC'), undefined, bad);
});
