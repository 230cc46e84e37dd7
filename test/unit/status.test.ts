// The pure status evaluation at exact instants: default thresholds from the
// schedule, --warn/--crit overrides, the last-run-failed rule, the Nagios line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Archive, HostPolicy, Schedule, Volume } from '../../src/core/model.js';
import { testVolume } from '../helpers/volume.js';
import { evaluateStatus, evaluateVolume, invertedThresholds, nominalPeriodMs, perfdata, renderStatus, statusJson, statusLine, unknownLine, withStuckLvmReports, STATUS_EXIT, type RunHistory } from '../../src/core/status.js';

const H = 3_600_000;

function volume(name: string, schedule: Schedule = { kind: 'daily' }): Volume {
  return testVolume(name, { kind: 'path', path: `/srv/${name}` }, { schedule, retention: { last: 3 } });
}

function archive(vol: string, iso: string): Archive {
  const time = Date.parse(iso);
  return { file: `h1_${vol}.${iso.replace(/[-:]/g, '').replace('.000', '')}.tar.zst`, volume: vol, time, format: 'snapctl', compression: 'zstd', hasSidecar: true };
}

const at = (iso: string): number => Date.parse(iso);
const data = volume('data');
const made = archive('data', '2026-03-01T03:00:00Z');

test('a daily volume is OK up to 36h after its newest archive, WARNING after, CRITICAL after 60h', () => {
  const level = (iso: string): string => evaluateVolume(data, [made], undefined, at(iso), 'UTC').level;
  assert.equal(level('2026-03-01T04:00:00Z'), 'OK');
  assert.equal(level('2026-03-02T15:00:00Z'), 'OK', 'exactly 36h is not yet older than 36h');
  assert.equal(level('2026-03-02T15:00:01Z'), 'WARNING');
  assert.equal(level('2026-03-03T15:00:00Z'), 'WARNING', 'exactly 60h');
  assert.equal(level('2026-03-03T15:00:01Z'), 'CRITICAL');
});

test('thresholds scale with the schedule: hourly 1h, weekly 7d, monthly 31d, every N', () => {
  assert.equal(nominalPeriodMs({ kind: 'hourly' }), H);
  assert.equal(nominalPeriodMs({ kind: 'weekly' }), 7 * 24 * H);
  assert.equal(nominalPeriodMs({ kind: 'monthly' }), 31 * 24 * H);
  assert.equal(nominalPeriodMs({ kind: 'every', ms: 6 * H }), 6 * H);
  const v = evaluateVolume(volume('data', { kind: 'every', ms: 6 * H }), [made], undefined, at('2026-03-01T12:00:01Z'), 'UTC');
  assert.deepEqual([v.warnMs, v.critMs, v.level], [9 * H, 15 * H, 'WARNING']);
  const monthly = evaluateVolume(volume('data', { kind: 'monthly' }), [made], undefined, at('2026-04-01T02:00:00Z'), 'UTC');
  assert.equal(monthly.level, 'OK', 'a 31-day month later is well within 1.5 months');
});

test('no archive at all is CRITICAL, whatever the thresholds', () => {
  const v = evaluateVolume(data, [], undefined, at('2026-03-01T04:00:00Z'), 'UTC', { warnMs: 1000 * H, critMs: 2000 * H });
  assert.equal(v.level, 'CRITICAL');
  assert.equal(v.reason, 'no archive');
  assert.equal(v.newest, undefined);
});

test('archives of other volumes and archives after now are not counted', () => {
  const later = archive('data', '2026-03-05T03:00:00Z');
  const other = archive('logs', '2026-03-03T03:00:00Z');
  const v = evaluateVolume(data, [later, other, made], undefined, at('2026-03-02T03:00:00Z'), 'UTC');
  assert.equal(v.archives, 1);
  assert.equal(v.newest?.file, made.file);
  assert.equal(v.newest?.ageMs, 24 * H);
});

test('a volume whose archives all lie after now is CRITICAL and says where they are', () => {
  const v = evaluateVolume(data, [archive('data', '2026-03-02T03:00:00Z'), archive('data', '2026-03-03T03:00:00Z'), archive('other', '2026-03-01T00:00:00Z')], undefined, at('2026-03-01T04:00:00Z'), 'UTC');
  assert.equal(v.level, 'CRITICAL');
  assert.equal(v.archives, 0);
  assert.equal(v.reason, 'no archive at or before now; 2 dated after now (clock set back, or --now before them)');
});

test('--warn/--crit replace the schedule-based thresholds', () => {
  const now = at('2026-03-01T13:00:00Z');
  assert.equal(evaluateVolume(data, [made], undefined, now, 'UTC').level, 'OK');
  assert.equal(evaluateVolume(data, [made], undefined, now, 'UTC', { warnMs: 9 * H }).level, 'WARNING');
  assert.equal(evaluateVolume(data, [made], undefined, now, 'UTC', { warnMs: 5 * H, critMs: 9 * H }).level, 'CRITICAL');
  assert.equal(evaluateVolume(data, [made], undefined, now, 'UTC', { critMs: 11 * H }).level, 'OK');
});

test('thresholds are inverted when --warn alone reaches a default critical threshold, or --crit alone a default warning one', () => {
  const hourly = volume('logs', { kind: 'hourly' });
  const every = volume('db', { kind: 'every', ms: 2 * H });
  assert.equal(invertedThresholds([data, hourly, every], {}), undefined, 'the defaults are always in order');
  assert.equal(invertedThresholds([data, hourly], { warnMs: 2 * H }), undefined, 'below the hourly default 2h30m');
  assert.equal(
    invertedThresholds([data, hourly, every], { warnMs: 5 * H }),
    'volume logs: warning after 5h (--warn) is not shorter than critical after 2h30m (the default, 2.5 x its 1h period); the same for volume db; give a --crit longer than 5h',
  );
  assert.equal(invertedThresholds([hourly, every], { critMs: 3 * H }), 'volume db: warning after 3h (the default, 1.5 x its 2h period) is not shorter than critical after 3h (--crit); give a --warn shorter than 3h');
  assert.equal(invertedThresholds([hourly], { warnMs: 3 * H, critMs: 3 * H }), 'volume logs: warning after 3h (--warn) is not shorter than critical after 3h (--crit)');
});

const failedRun: RunHistory = {
  last: { startedAt: '2026-03-02T03:00:00.000Z', finishedAt: '2026-03-02T03:00:05.000Z', result: 'failed', message: 'tar failed (exit 2)' },
  lastOk: { startedAt: '2026-03-01T03:00:00.000Z', finishedAt: '2026-03-01T03:01:00.000Z', result: 'ok' },
  failures: 1,
};

test('a failed last run makes a fresh volume WARNING while the current period is due, and is only reported once an archive made after it covers it', () => {
  const due = evaluateVolume(data, [made], failedRun, at('2026-03-02T04:00:00Z'), 'UTC');
  assert.equal(due.level, 'WARNING');
  assert.equal(due.due, true);
  assert.match(due.reason, /^2026-03-02 is due and the last run failed; last run failed at 2026-03-02T03:00:05.000Z: tar failed \(exit 2\)$/);
  assert.equal(due.failures, 1);
  const report = evaluateStatus(policy([data]), [made], { data: failedRun }, at('2026-03-02T04:00:00Z'));
  assert.match(renderStatus(report), /; 1 failed run recorded$/m);
  assert.match(renderStatus(report), /^ {2}schedule daily; .*; 1 archive$/m);
  const covered = evaluateVolume(data, [made, archive('data', '2026-03-02T05:00:00Z')], failedRun, at('2026-03-02T06:00:00Z'), 'UTC');
  assert.equal(covered.level, 'OK');
  assert.match(covered.reason, /last run failed/);
  const okRun: RunHistory = { last: { ...failedRun.last, result: 'skipped', message: 'not due' } };
  assert.equal(evaluateVolume(data, [made], okRun, at('2026-03-02T04:00:00Z'), 'UTC').level, 'OK', 'due but the last run did not fail (cron not yet run today)');
});

test('a failed last run stays WARNING on a covered period when it wrote the newest archive itself or the newest is older than it: its deletions or snapshot release failed', () => {
  const written = archive('data', '2026-03-02T03:00:00Z');
  const pruneFailed: RunHistory = {
    last: { startedAt: '2026-03-02T03:00:00.000Z', finishedAt: '2026-03-02T03:00:05.000Z', result: 'failed', message: 'delete h1_data.20260301T030000Z.tar.zst: EACCES', archive: written.file },
    lastOk: { startedAt: '2026-03-02T03:00:00.000Z', finishedAt: '2026-03-02T03:00:04.000Z', result: 'ok', archive: written.file },
    failures: 1,
  };
  const archivedThen = evaluateVolume(data, [made, written], pruneFailed, at('2026-03-02T06:00:00Z'), 'UTC');
  assert.equal(archivedThen.due, false);
  assert.equal(archivedThen.level, 'WARNING');
  assert.equal(archivedThen.reason, '2026-03-02 is covered, but the last run failed; last run failed at 2026-03-02T03:00:05.000Z: delete h1_data.20260301T030000Z.tar.zst: EACCES');
  // Not due later that day: only the deletion to do, and it failed again.
  const notDue: RunHistory = { ...pruneFailed, last: { startedAt: '2026-03-02T09:00:00.000Z', finishedAt: '2026-03-02T09:00:01.000Z', result: 'failed', message: 'delete h1_data.20260301T030000Z.tar.zst: EACCES' } };
  assert.equal(evaluateVolume(data, [made, written], notDue, at('2026-03-02T10:00:00Z'), 'UTC').level, 'WARNING');
  assert.equal(evaluateStatus(policy([data]), [made, written], { data: notDue }, at('2026-03-02T10:00:00Z')).level, 'WARNING');
});

test('archives after now are named in the reason at every level, not only when they are all there is', () => {
  const later = [archive('data', '2026-03-05T03:00:00Z'), archive('data', '2026-03-06T03:00:00Z')];
  const reason = (iso: string, history?: RunHistory): string => evaluateVolume(data, [made, ...later], history, at(iso), 'UTC').reason;
  const after = '2 dated after now (clock set back, or --now before them)';
  assert.equal(reason('2026-03-01T04:00:00Z'), `newest archive is 1h old; ${after}`);
  assert.equal(reason('2026-03-02T16:00:00Z'), `newest archive is 1d13h old (warning after 1d12h); ${after}`);
  assert.equal(reason('2026-03-04T04:00:00Z'), `newest archive is 3d1h old (critical after 2d12h); ${after}`);
  assert.equal(reason('2026-03-02T04:00:00Z', failedRun), `2026-03-02 is due and the last run failed; ${after}; last run failed at 2026-03-02T03:00:05.000Z: tar failed (exit 2)`);
  assert.equal(evaluateVolume(data, [made, later[1]!], undefined, at('2026-03-04T04:00:00Z'), 'UTC').reason, 'newest archive is 3d1h old (critical after 2d12h); 1 dated after now (clock set back, or --now before it)');
});

function policy(volumes: Volume[]): HostPolicy {
  return { host: 'h1', matchedBy: 'h1', backupDir: '/backup', timezone: 'UTC', mountRoot: '/run/snapctl', volumes };
}

test('the overall level is the worst volume, and the Nagios line names the bad ones first with perfdata for all', () => {
  const logs = volume('logs', { kind: 'hourly' });
  const web = volume('web');
  const archives = [made, archive('logs', '2026-03-01T02:00:00Z')];
  const report = evaluateStatus(policy([data, logs, web]), archives, {}, at('2026-03-01T04:00:00Z'));
  assert.equal(report.level, 'CRITICAL');
  assert.equal(STATUS_EXIT[report.level], 2);
  assert.equal(
    statusLine(report),
    'SNAPCTL CRITICAL - web: no archive; logs: newest archive is 2h old (warning after 1h30m); 1 volume ok | ' +
      'data_age=3600s;129600;216000;0 data_archives=1;;;0 logs_age=7200s;5400;9000;0 logs_archives=1;;;0 web_age=U;129600;216000;0 web_archives=0;;;0',
  );
  const ok = evaluateStatus(policy([data]), archives, {}, at('2026-03-01T04:00:00Z'));
  assert.equal(statusLine(ok), 'SNAPCTL OK - 1 volume ok | data_age=3600s;129600;216000;0 data_archives=1;;;0');
  assert.equal(STATUS_EXIT[ok.level], 0);
});

test('perfdata labels that are not plain words are quoted; the UNKNOWN line keeps the pipe out of the text', () => {
  const v = evaluateVolume(volume('my vol'), [], undefined, 0, 'UTC');
  assert.equal(perfdata([v]), "'my vol_age'=U;129600;216000;0 'my vol_archives'=0;;;0");
  assert.equal(unknownLine('state file x is corrupt: a|b\n  more'), 'SNAPCTL UNKNOWN - state file x is corrupt: a/b more');
});

test('the JSON report carries the level, exit code, seconds and the last run', () => {
  const report = evaluateStatus(policy([data]), [made], { data: failedRun }, at('2026-03-02T04:00:00Z'));
  const json = statusJson(report) as { level: string; exitCode: number; volumes: Record<string, unknown>[] };
  assert.equal(json.level, 'WARNING');
  assert.equal(json.exitCode, 1);
  assert.deepEqual(json.volumes[0], {
    volume: 'data',
    level: 'WARNING',
    reason: '2026-03-02 is due and the last run failed; last run failed at 2026-03-02T03:00:05.000Z: tar failed (exit 2)',
    schedule: 'daily',
    warningAfterSeconds: 129600,
    criticalAfterSeconds: 216000,
    archives: 1,
    newest: { archive: made.file, time: '2026-03-01T03:00:00.000Z', ageSeconds: 90000 },
    period: '2026-03-02',
    due: true,
    lastRun: failedRun.last,
    lastOk: failedRun.lastOk,
    failures: 1,
  });
});

test('periods are named with the policy zone unless it is UTC, in the text and the JSON', () => {
  const hourly = volume('data', { kind: 'hourly' });
  const berlin: HostPolicy = { ...policy([hourly]), timezone: 'Europe/Berlin' };
  // 10:49Z is 11:49 in Berlin (CET): the hour is 2026-11-27T11 there, T10 in UTC.
  const archives = [archive('data', '2026-11-27T10:30:00Z')];
  const now = at('2026-11-27T10:49:00Z');
  const local = evaluateStatus(berlin, archives, {}, now);
  assert.match(renderStatus(local), /^ {2}2026-11-27T11 \(Europe\/Berlin\) is covered; last run: none recorded$/m);
  assert.equal((statusJson(local) as { timezone: string }).timezone, 'Europe/Berlin');
  const utc = evaluateStatus(policy([hourly]), archives, {}, now);
  assert.match(renderStatus(utc), /^ {2}2026-11-27T10 is covered; /m);
  assert.equal((statusJson(utc) as { timezone: string }).timezone, 'UTC');
  const failed = evaluateStatus(berlin, [archive('data', '2026-11-27T09:30:00Z')], { data: failedRun }, now);
  assert.match(failed.volumes[0]!.reason, /^2026-11-27T11 \(Europe\/Berlin\) is due and the last run failed; /);
});

test('a stuck LVM report is named at the end of the summary and in --json, and makes the level at least WARNING', () => {
  const stuck = [{ tool: 'lvs', pid: 4711, since: '2026-03-01T03:05:00.000Z' }];
  const ok = evaluateStatus(policy([data]), [made], {}, at('2026-03-01T04:00:00Z'));
  const warned = withStuckLvmReports(ok, stuck);
  assert.equal(warned.level, 'WARNING');
  assert.equal(statusLine(warned), 'SNAPCTL WARNING - 1 volume ok; lvs stuck since 2026-03-01T03:05:00.000Z (pid 4711) | data_age=3600s;129600;216000;0 data_archives=1;;;0');
  assert.deepEqual((statusJson(warned) as { lvmStuck: unknown }).lvmStuck, stuck);
  assert.deepEqual((statusJson(ok) as { lvmStuck: unknown }).lvmStuck, []);
  assert.equal(withStuckLvmReports(ok, []), ok, 'nothing stuck: the report as it was');
  // Worse stays worse.
  const critical = evaluateStatus(policy([data, volume('web')]), [made], {}, at('2026-03-01T04:00:00Z'));
  assert.equal(critical.level, 'CRITICAL');
  assert.equal(withStuckLvmReports(critical, stuck).level, 'CRITICAL');
});
