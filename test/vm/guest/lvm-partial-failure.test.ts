// Scenario 6: two volumes in one policy, one of which fails; the other is
// still archived and apply exits 3 (partial failure). Two ways to fail: the
// LV does not exist (caught before any snapshot), and an LV without a
// filesystem (caught after LVM created the snapshot, which must be removed).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createVolumeGroup, must, removeVolumeGroup } from './vm-guest.js';
import { makeVolume, mountsUnder, snapctlSnapshots, sync } from './helpers/lvm-world.js';
import { checkSidecar, describe, scenario, timed, type Scenario } from './helpers/scenario.js';

const VG = 'vg_two';
let world: Scenario;

before(() => {
  createVolumeGroup(VG);
  world = scenario('two-volumes');
  const mnt = `/mnt/${VG}/data`;
  makeVolume(VG, 'lv_data', '64M', 'ext4', mnt);
  writeFileSync(join(mnt, 'data.txt'), 'payload\n');
  sync();
  // An LV with nothing on it: LVM snapshots it fine, blkid finds no filesystem.
  must('lvcreate', ['-qq', '-y', '-L', '32M', '-n', 'lv_raw', VG]);
  must('wipefs', ['-qa', `/dev/${VG}/lv_raw`]);
});
after(() => {
  removeVolumeGroup(VG);
  world.remove();
});

const cases = [
  { why: 'its LV does not exist', lv: 'lv_logs_missing', now: '2026-03-02T03:00:00Z', error: /lv_logs_missing not found/ },
  { why: 'its LV holds no filesystem (fails after the snapshot was created)', lv: 'lv_raw', now: '2026-03-03T03:00:00Z', error: /no filesystem/ },
];

for (const c of cases) {
  test(`data and logs in one policy, logs fails because ${c.why}: data is archived, logs reported failed, exit 3, no snapshot left`, async () => {
    await timed(`two volumes: logs fails because ${c.why}`, () => {
      world.writePolicy({
        data: { lvm: `${VG}/lv_data`, compression: 'zstd', retention: { keepLast: 5 } },
        logs: { lvm: `${VG}/${c.lv}`, compression: 'zstd', retention: { keepLast: 5 } },
      });
      const existing = world.files();
      const { run, json } = world.apply(c.now);
      assert.equal(run.code, 3, describe(run));
      assert.equal(json.exitCode, 3);
      const byVolume = Object.fromEntries(json.volumes.map((v) => [v.volume, v]));
      assert.equal(byVolume.data?.status, 'created', describe(run));
      assert.equal(byVolume.logs?.status, 'failed', describe(run));
      assert.match(byVolume.logs?.errors.join('\n') ?? '', c.error);
      const archive = byVolume.data?.archive ?? '';
      assert.deepEqual(world.files(), [...existing, archive, `${archive}.sha256`].sort(), 'only the data archive was added');
      assert.equal(checkSidecar(world.hostDir, archive).code, 0);
      assert.deepEqual(snapctlSnapshots(VG), [], 'no snapshot of either volume is left');
      assert.deepEqual(mountsUnder(world.mountRoot), []);
    });
  });
}
