// An LVM report that never answers. Another process holds the volume group's
// lock exclusively, as a command stuck on a device would, so the lvs report
// waits for it. With SNAPCTL_LVM_REPORT_TIMEOUT=3, plan warns after 3 s instead of
// waiting, apply fails the lvm volume before any lvcreate and still archives
// the path volume, and neither leaves a waiting report behind (a report
// waiting for a lock dies of SIGTERM; one stuck in the kernel, which does
// not, is covered by test/unit/run-tool.test.ts and lvm-adapter.test.ts).
// Once the lock is released, the next plan reads LVM again.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createVolumeGroup, removeVolumeGroup } from './vm-guest.js';
import { lvmReportProcesses, makeVolume, mountsUnder, snapctlSnapshots, sync, unmountQuietly, type ReportProcess } from './helpers/lvm-world.js';
import { describe, lvmAndPathScenario, timed, type Scenario } from './helpers/scenario.js';

const VG = 'vg_stuck';
const MNT = `/mnt/${VG}/data`;
const LOCK = `/run/lock/lvm/V_${VG}`;
let world: Scenario;
let holder: ReturnType<typeof spawn> | undefined;

/** The reports still running after a short wait (SIGTERM takes a moment to end them). */
async function reportsLeft(): Promise<ReportProcess[]> {
  for (let i = 0; i < 50 && lvmReportProcesses().length > 0; i++) await sleep(100);
  return lvmReportProcesses();
}

/** Holds the volume group's LVM lock exclusively, as `flock` does for a command: until released. */
async function holdLock(): Promise<void> {
  mkdirSync('/run/lock/lvm', { recursive: true });
  holder = spawn('flock', ['-x', LOCK, 'sleep', '600'], { stdio: 'ignore', detached: true });
  // Held once another exclusive attempt fails at once.
  for (let i = 0; i < 100; i++) {
    if (spawnSync('flock', ['-n', '-x', LOCK, 'true']).status !== 0) return;
    await sleep(50);
  }
  throw new Error(`could not take ${LOCK}`);
}

function releaseLock(): void {
  if (holder?.pid !== undefined) {
    try {
      process.kill(-holder.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  holder = undefined;
}

before(() => {
  createVolumeGroup(VG);
  makeVolume(VG, 'lv_data', '64M', 'ext4', MNT);
  writeFileSync(join(MNT, 'data.txt'), 'payload\n');
  sync();
  world = lvmAndPathScenario('stuck-report', `${VG}/lv_data`);
  process.env.SNAPCTL_LVM_REPORT_TIMEOUT = '3';
});
after(() => {
  releaseLock();
  delete process.env.SNAPCTL_LVM_REPORT_TIMEOUT;
  unmountQuietly(MNT);
  removeVolumeGroup(VG);
  world.remove();
});

test('with the volume group locked by another process, plan warns after the report timeout and apply archives the other volume', async () => {
  await timed('stuck report: a lock held by another process', async () => {
    const t0 = Date.now();
    const step = (what: string): void => void process.stdout.write(`stuck report: ${what} at ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    await holdLock();
    step('lock held');
    try {
      const started = Date.now();
      const planned = world.plan('2026-03-02T03:00:00Z');
      step('plan done');
      assert.equal(planned.run.code, 0, describe(planned.run));
      const warning = planned.json.diagnostics.find((d) => d.message.startsWith('LVM state not read'));
      assert.match(warning?.message ?? '', /\(lvs gave no answer in 3 s; a device or a lock it waits on may be stuck\)/, describe(planned.run));
      assert.ok(Date.now() - started >= 3000, 'plan waited for the reports the timeout allows');
      assert.deepEqual(await reportsLeft(), [], 'no report left waiting after plan');

      step('no report left after plan');
      const applied = world.apply('2026-03-02T03:00:00Z');
      step('apply done');
      assert.equal(applied.run.code, 3, describe(applied.run));
      const byVolume = Object.fromEntries(applied.json.volumes.map((v) => [v.volume, v]));
      assert.equal(byVolume.docs?.status, 'created', describe(applied.run));
      assert.equal(byVolume.data?.status, 'failed', describe(applied.run));
      assert.match(byVolume.data?.errors.join('\n') ?? '', /gave no answer in 3 s; a device or a lock it waits on may be stuck/);
      assert.deepEqual(mountsUnder(world.mountRoot), []);
      assert.deepEqual(await reportsLeft(), [], 'no report left waiting after apply');
      step('no report left after apply');
    } finally {
      releaseLock();
    }
    step('lock released');
    // Only now: lvs (in snapctlSnapshots) would wait for the lock like any report.
    assert.deepEqual(snapctlSnapshots(VG), [], 'no snapshot was created');
    assert.equal(readFileSync(join(MNT, 'data.txt'), 'utf8'), 'payload\n');
    // The lock released: the next plan reads LVM and plans the data volume's archive without the warning.
    const again = world.plan('2026-03-02T04:00:00Z');
    step('second plan done');
    assert.equal(again.run.code, 0, describe(again.run));
    assert.equal(again.json.diagnostics.find((d) => d.message.startsWith('LVM state not read')), undefined, describe(again.run));
    assert.ok(again.json.actions.some((a) => a.type === 'create' && a.volume === 'data'), describe(again.run));
  });
});
