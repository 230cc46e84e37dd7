import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emptyState, readState, recordArchiveDir, recordRun, writeState, wroteArchivesTo } from '../../src/apply/state-file.js';
import { recordForMonitoring } from '../../src/apply/run-record.js';
import { testHostPolicy } from '../helpers/volume.js';
import type { VolumeRun } from '../../src/apply/state-file.js';
import { SnapctlError } from '../../src/core/errors.js';

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'snapctl-state-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Records these runs in the state file in `dir` as apply does once it holds the lock (no metrics file); any warning fails the test. */
async function recordRuns(runs: Readonly<Record<string, VolumeRun>>, dir: string, archiveDir?: string): Promise<void> {
  await recordForMonitoring(runs, { policy: testHostPolicy(dir, []), stateDir: dir, archiveDir }, (warning) => assert.fail(warning));
}

const ok: VolumeRun = {
  startedAt: '2026-11-26T03:00:01.000Z',
  finishedAt: '2026-11-26T03:04:11.000Z',
  result: 'ok',
  archive: 'db01-data-20261126T030001Z.tar.zst',
  bytes: 123456789,
  durationMs: 250000,
  snapshotPeakPercent: 12.5,
};
const failed: VolumeRun = { startedAt: '2026-11-27T03:00:01.000Z', finishedAt: '2026-11-27T03:00:02.000Z', result: 'failed', message: 'tar failed: exit 2' };

test('a missing state file (and directory) reads as the empty state', () =>
  withDir(async (dir) => {
    assert.deepEqual(await readState(join(dir, 'var', 'lib', 'snapctl')), emptyState());
  }));

test('writes versioned JSON that reads back equal, creating the directory', () =>
  withDir(async (dir) => {
    const stateDir = join(dir, 'var', 'lib', 'snapctl');
    const state = recordRun(emptyState(), 'data', ok);
    await writeState(state, stateDir);
    const text = await readFile(join(stateDir, 'state.json'), 'utf8');
    assert.equal((JSON.parse(text) as { version: number }).version, 1);
    assert.deepEqual(await readState(stateDir), state);
  }));

test('a failed run replaces last but keeps the last successful run', () => {
  const state = recordRun(recordRun(emptyState(), 'data', ok), 'data', failed);
  assert.deepEqual(state.volumes.data, { last: failed, lastOk: ok, failures: 1 });
  const fresh = recordRun(emptyState(), 'logs', failed);
  assert.deepEqual(fresh.volumes.logs, { last: failed, failures: 1 });
});

test('a failed run that wrote an archive (a deletion or the release failed after it) counts as a failure and its archive as the last success', () => {
  const late: VolumeRun = { ...ok, startedAt: '2026-11-28T03:00:01.000Z', finishedAt: '2026-11-28T03:04:12.000Z', result: 'failed', message: 'delete db01-data-20261120T030001Z.tar.zst: EACCES', archive: 'db01-data-20261128T030001Z.tar.zst' };
  const state = recordRun(recordRun(emptyState(), 'data', ok), 'data', late);
  const { message: _message, ...archived } = late;
  assert.deepEqual(state.volumes.data, { last: late, lastOk: { ...archived, result: 'ok' }, failures: 1 });
  assert.deepEqual(recordRun(state, 'data', failed).volumes.data?.lastOk, { ...archived, result: 'ok' }, 'a failed run without an archive keeps it');
});

test('the last success ends when its archive was complete, not when the deletions after it ended', () =>
  withDir(async (dir) => {
    const run: VolumeRun = { ...ok, archivedAt: '2026-11-26T03:04:10.000Z' };
    await recordRuns({ data: run }, dir);
    const { archivedAt: _archivedAt, ...archived } = run;
    assert.deepEqual(await readState(dir), { version: 1, volumes: { data: { last: run, lastOk: { ...archived, finishedAt: '2026-11-26T03:04:10.000Z' } } } });
  }));

test('failures counts every failed run and survives successful runs (a Prometheus counter never goes down)', () =>
  withDir(async (dir) => {
    await recordRuns({ data: failed }, dir);
    await recordRuns({ data: ok }, dir);
    await recordRuns({ data: failed }, dir);
    assert.equal((await readState(dir)).volumes.data?.failures, 2);
    assert.equal(recordRun(emptyState(), 'data', ok).volumes.data?.failures, undefined);
    await writeFile(join(dir, 'state.json'), JSON.stringify({ version: 1, volumes: { data: { last: ok, failures: -1 } } }));
    await assert.rejects(readState(dir), /volumes\.data\.failures must be a non-negative integer/);
  }));

test('recordRuns merges into the existing file without touching other volumes', () =>
  withDir(async (dir) => {
    await recordRuns({ data: ok, logs: ok }, dir);
    await recordRuns({ data: failed }, dir);
    const state = await readState(dir);
    assert.deepEqual(state.volumes.data, { last: failed, lastOk: ok, failures: 1 });
    assert.deepEqual(state.volumes.logs, { last: ok, lastOk: ok });
  }));

const corruptCases: [string, string, RegExp][] = [
  ['truncated JSON', '{"version": 1, "volu', /is corrupt: not JSON/],
  ['not an object', '[]', /is corrupt: expected a JSON object/],
  ['missing version', '{"volumes": {}}', /is corrupt: "version" must be 1/],
  ['bad result', JSON.stringify({ version: 1, volumes: { data: { last: { ...ok, result: 'great' } } } }), /volumes\.data\.last\.result must be "ok", "failed" or "skipped"/],
  ['bad date', JSON.stringify({ version: 1, volumes: { data: { last: { ...ok, startedAt: 'yesterday' } } } }), /volumes\.data\.last\.startedAt must be an ISO date string/],
  ['bad archive time', JSON.stringify({ version: 1, volumes: { data: { last: { ...ok, archivedAt: 3 } } } }), /volumes\.data\.last\.archivedAt must be an ISO date string/],
  ['negative bytes', JSON.stringify({ version: 1, volumes: { data: { last: ok, lastOk: { ...ok, bytes: -1 } } } }), /volumes\.data\.lastOk\.bytes must be a non-negative number/],
  ['archiveDirs not strings', JSON.stringify({ version: 1, volumes: {}, archiveDirs: ['/backup/db01', 3] }), /is corrupt: "archiveDirs" must be a list of strings/],
  ['newer version', JSON.stringify({ version: 2, volumes: {} }), /was written by a newer snapctl \(version 2; this one reads 1\)/],
];
for (const [name, text, message] of corruptCases) {
  test(`a corrupt state file is an error naming the file and the problem: ${name}`, () =>
    withDir(async (dir) => {
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'state.json'), text);
      await assert.rejects(readState(dir), (err: unknown) => {
        assert.ok(err instanceof SnapctlError);
        assert.equal(err.kind, 'input');
        assert.ok(err.summary.startsWith(`state file ${join(dir, 'state.json')} `), err.summary);
        assert.match(err.summary, message);
        return true;
      });
    }));
}

test('unknown fields in a run are dropped on read', () =>
  withDir(async (dir) => {
    await writeFile(join(dir, 'state.json'), JSON.stringify({ version: 1, volumes: { data: { last: { ...failed, extra: 1 } } } }));
    assert.deepEqual((await readState(dir)).volumes.data, { last: failed });
  }));

test('the directories archives went to are kept most recent first, each once, at most 16, and survive later runs', () =>
  withDir(async (dir) => {
    assert.equal(await wroteArchivesTo('/backup/db01', dir), false, 'no state file');
    await recordRuns({ data: ok }, dir, '/backup/db01');
    await recordRuns({ data: failed }, dir);
    await recordRuns({ data: ok }, dir, '/mnt/usb/db01');
    await recordRuns({ data: ok }, dir, '/backup/db01');
    assert.deepEqual((await readState(dir)).archiveDirs, ['/backup/db01', '/mnt/usb/db01']);
    assert.equal(await wroteArchivesTo('/backup/db01', dir), true);
    assert.equal(await wroteArchivesTo('/mnt/usb/db01', dir), true);
    assert.equal(await wroteArchivesTo('/srv/backup/db01', dir), false);
    let state = emptyState();
    for (let i = 0; i < 20; i++) state = recordArchiveDir(state, `/b${i}/db01`);
    assert.equal(state.archiveDirs?.length, 16);
    assert.equal(state.archiveDirs?.[0], '/b19/db01');
    assert.equal(recordRun(state, 'data', ok).archiveDirs, state.archiveDirs, 'recording a run keeps them');
  }));

test('a corrupt state file answers "not written to" instead of failing the check', () =>
  withDir(async (dir) => {
    await writeFile(join(dir, 'state.json'), '{"version": 1, "volu');
    assert.equal(await wroteArchivesTo('/backup/db01', dir), false);
  }));
