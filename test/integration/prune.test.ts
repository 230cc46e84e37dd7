// apply's pruning on real files: a long expiring history goes in one pass
// with one flush of the directory, a missing sidecar is no error, a signal
// stops it between two archives, and a long prune still lets the event loop
// (signal handlers, timers) run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, openSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HostPolicy, Observed } from '../../src/core/model.js';
import { archiveName, classifyBackupDir, SIDECAR_SUFFIX } from '../../src/core/naming.js';
import { plan } from '../../src/core/plan.js';
import { executePlan, type ApplyPorts } from '../../src/apply/execute.js';
import { openRunLog } from '../../src/apply/logger.js';
import { systemApplyPorts } from '../../src/adapters/system-apply.js';
import { testHostPolicy, testVolume } from '../helpers/volume.js';

const HOUR = 3_600_000;
const NOW = Date.parse('2026-03-01T03:30:00Z');

interface History {
  readonly dir: string;
  readonly policy: HostPolicy;
  readonly hostDir: string;
  readonly observed: Observed;
  readonly cleanup: () => Promise<void>;
}

/** `count` hourly archives up to half an hour ago (so nothing is due), each with a sidecar (those at `missingSidecars` lose it after classification); keep the last 2. */
async function history(count: number, missingSidecars: readonly number[] = []): Promise<History> {
  const dir = await mkdtemp(join(tmpdir(), 'snapctl-prune-'));
  const policy = testHostPolicy(dir, [testVolume('data', { kind: 'path', path: join(dir, 'src') }, { schedule: { kind: 'hourly' }, retention: { last: 2 } })]);
  const hostDir = join(policy.backupDir, policy.host);
  await mkdir(hostDir, { recursive: true });
  for (let i = 0; i < count; i++) {
    const name = archiveName(policy.host, 'data', NOW - HOUR / 2 - i * HOUR, 'zstd');
    closeSync(openSync(join(hostDir, name), 'w'));
    closeSync(openSync(join(hostDir, name + SIDECAR_SUFFIX), 'w'));
  }
  const { archives, others } = classifyBackupDir(readdirSync(hostDir), policy.host, policy.volumes, policy.timezone);
  // Sidecars that vanish between plan and apply (another run, an operator): their archives still go.
  for (const i of missingSidecars) await rm(join(hostDir, `${archives[i]!.file}${SIDECAR_SUFFIX}`));
  const observed: Observed = { archives, others, backupDirExists: true, lvm: { available: false, reason: 'none' }, mounts: [], btrfsLeftovers: [] };
  return { dir, policy, hostDir, observed, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

function quietLog(dir: string): ReturnType<typeof openRunLog> {
  return openRunLog({ dir: join(dir, 'log'), stdout: 'quiet', json: false, out: { write: () => true }, err: { write: () => true } });
}

test('prune: 3,000 expired archives and their sidecars go, a vanished sidecar is no error, the directory is flushed once', async () => {
  const h = await history(3000, [10, 2000]);
  try {
    const thePlan = plan(h.policy, h.observed, NOW);
    assert.equal(thePlan.actions.filter((a) => a.type === 'create').length, 0);
    assert.equal(thePlan.actions.filter((a) => a.type === 'delete').length, 2998);
    const real = systemApplyPorts(h.policy);
    const flushed: string[] = [];
    const ports: ApplyPorts = { ...real, syncDir: async (d) => (flushed.push(d), real.syncDir(d)) };
    const log = quietLog(h.dir);
    const result = await executePlan(thePlan, h.policy, ports, log, new AbortController().signal);
    log.close();
    assert.equal(result.failed, false);
    assert.deepEqual(result.volumes[0]?.errors, []);
    assert.equal(result.volumes[0]?.deleted.length, 2998);
    assert.deepEqual(flushed, [h.hostDir]);
    const kept = h.observed.archives.slice(0, 2).map((a) => a.file);
    assert.deepEqual(readdirSync(h.hostDir).sort(), kept.flatMap((f) => [f, `${f}${SIDECAR_SUFFIX}`]).sort());
  } finally {
    await h.cleanup();
  }
});

test('prune: an abort stops it between two archives; what was deleted is flushed, the rest stays whole', async () => {
  const h = await history(500);
  try {
    const thePlan = plan(h.policy, h.observed, NOW);
    const real = systemApplyPorts(h.policy);
    const ac = new AbortController();
    let removed = 0;
    let flushes = 0;
    const ports: ApplyPorts = {
      ...real,
      removeArchive: async (path, sidecar) => {
        await real.removeArchive(path, sidecar);
        if (++removed === 100) ac.abort();
      },
      syncDir: async (d) => {
        flushes++;
        await real.syncDir(d);
      },
    };
    const log = quietLog(h.dir);
    const result = await executePlan(thePlan, h.policy, ports, log, ac.signal);
    log.close();
    assert.equal(result.interrupted, true);
    assert.equal(result.volumes[0]?.status, 'interrupted');
    assert.equal(result.volumes[0]?.deleted.length, 100);
    assert.equal(flushes, 1);
    const left = readdirSync(h.hostDir);
    assert.equal(left.length, 2 * (500 - 100));
    // Every archive left has its sidecar: nothing was half removed.
    for (const f of left) if (!f.endsWith(SIDECAR_SUFFIX)) assert.ok(left.includes(`${f}${SIDECAR_SUFFIX}`), f);
  } finally {
    await h.cleanup();
  }
});

test('prune: removals return to the event loop now and then, so a signal handler runs during a long prune', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'snapctl-prune-turns-'));
  try {
    const ports = systemApplyPorts(testHostPolicy(dir, []));
    let turned = false;
    setImmediate(() => {
      turned = true;
    });
    let removalsBeforeTurn: number | undefined;
    for (let i = 0; i < 1000 && removalsBeforeTurn === undefined; i++) {
      await ports.removeArchive(join(dir, `missing-${i}.tar.zst`), join(dir, `missing-${i}.tar.zst.sha256`));
      if (turned) removalsBeforeTurn = i + 1;
    }
    assert.ok(removalsBeforeTurn !== undefined && removalsBeforeTurn <= 64, `the event loop ran only after ${removalsBeforeTurn ?? 'more than 1000'} removals`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('prune: after 10 deletions failed in a row it stops with one error naming what is left; scattered failures do not stop it', async () => {
  const h = await history(200);
  try {
    const thePlan = plan(h.policy, h.observed, NOW);
    const real = systemApplyPorts(h.policy);
    const denied = Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
    let calls = 0;
    const log = quietLog(h.dir);
    const always = await executePlan(thePlan, h.policy, { ...real, removeArchive: async () => (calls++, Promise.reject(denied)) }, log, new AbortController().signal);
    assert.equal(calls, 10);
    assert.equal(always.failed, true);
    assert.deepEqual(always.volumes[0]?.deleted, []);
    assert.equal(always.volumes[0]?.errors.length, 11);
    assert.equal(always.volumes[0]?.errors.at(-1), 'delete: stopped after 10 failures in a row, 188 more expired archives left');
    assert.equal(readdirSync(h.hostDir).length, 400);

    // Every third deletion fails: never 10 in a row, so all the others go.
    let n = 0;
    const flaky = await executePlan(thePlan, h.policy, { ...real, removeArchive: async (p, s) => (++n % 3 === 0 ? Promise.reject(denied) : real.removeArchive(p, s)) }, log, new AbortController().signal);
    log.close();
    assert.equal(n, 198);
    assert.equal(flaky.volumes[0]?.deleted.length, 132);
    assert.equal(flaky.volumes[0]?.errors.length, 66);
    assert.equal(readdirSync(h.hostDir).length, 2 * (200 - 132));
  } finally {
    await h.cleanup();
  }
});
