// Scenario 7: a month of daily cron runs simulated with --now, each one a
// real snapshot → mount → tar → verify → remove cycle on LVM, ends with
// exactly the archives the retention keeps, each holding the origin as it
// was on its own day. A run costs 6-7 s under emulation, so this file runs in
// a VM of its own beside the other scenarios (see run-lvm-suite.ts).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createVolumeGroup, removeVolumeGroup } from './vm-guest.js';
import { makeVolume, mountsUnder, snapctlSnapshots, sync } from './helpers/lvm-world.js';
import { archiveMembers, checkSidecar, describe, HOST, scenario, timed, type Scenario } from './helpers/scenario.js';

const VG = 'vg_daily';
let world: Scenario;

before(() => {
  createVolumeGroup(VG);
  world = scenario('daily-runs');
});
after(() => {
  removeVolumeGroup(VG);
  world.remove();
});

const DAY_MS = 86_400_000;
/** Sunday 2026-02-08 to Monday 2026-03-09, at 03:00 UTC: 30 runs across a month boundary. */
const FIRST = Date.UTC(2026, 1, 8, 3, 0, 0);
const DAYS = 30;
const stamp = (ms: number): string => new Date(ms).toISOString().replace(/[-:]/g, '').replace('.000', '');
const iso = (ms: number): string => new Date(ms).toISOString().replace('.000', '');

/*
 * keepDaily 3, keepWeekly 2, keepMonthly 2 over one archive a day, 02-08…03-09:
 *   daily:   the 3 newest days                                 → 03-09, 03-08, 03-07
 *   weekly:  ISO week 03-09…15 → 03-09; week 03-02…08 → 03-08
 *   monthly: March → 03-09; February → 02-28
 * Union: 02-28, 03-07, 03-08, 03-09. (Each run prunes after creating; no
 * archive a later run keeps was pruned earlier: each was the newest of its
 * day, week or month when it was kept.)
 */
const EXPECTED = ['20260228T030000Z', '20260307T030000Z', '20260308T030000Z', '20260309T030000Z'];

test(`${DAYS} daily runs on real LVM end with exactly the archives keepDaily 3 / keepWeekly 2 / keepMonthly 2 keeps, each with its own day's data`, async () => {
  await timed(`daily runs: ${DAYS} apply runs`, () => {
    const mnt = `/mnt/${VG}/data`;
    makeVolume(VG, 'lv_data', '64M', 'ext4', mnt);
    world.writePolicy({
      data: { lvm: `${VG}/lv_data`, mount: mnt, schedule: 'daily', compression: 'zstd', retention: { keepDaily: 3, keepWeekly: 2, keepMonthly: 2 } },
    });
    for (let day = 0; day < DAYS; day++) {
      const at = FIRST + day * DAY_MS;
      // The origin changes every day, so each archive is that day's state.
      writeFileSync(join(mnt, `day-${stamp(at)}.txt`), `${iso(at)}\n`);
      sync();
      const started = performance.now();
      const { run, json } = world.apply(iso(at));
      assert.equal(run.code, 0, `run ${day + 1} at ${iso(at)}\n${describe(run)}`);
      assert.equal(json.volumes[0]?.status, 'created', `run ${day + 1}\n${describe(run)}`);
      // A snapshot or mount left by the run before would be cleaned up by this one (lvs is checked at the end).
      assert.deepEqual(json.cleanups, [], `run ${day + 1} found no leftover of the run before`);
      process.stdout.write(`daily runs: run ${day + 1}/${DAYS} at ${iso(at)} took ${((performance.now() - started) / 1000).toFixed(1)} s, deleted ${json.volumes[0].deleted.length}\n`);
    }

    const archives = EXPECTED.map((s) => `${HOST}_data.${s}.tar.zst`);
    assert.deepEqual(world.files(), archives.flatMap((a) => [a, `${a}.sha256`]).sort(), 'exactly the kept archives and their sidecars');
    for (const archive of archives) {
      assert.equal(checkSidecar(world.hostDir, archive).code, 0, `${archive} verifies`);
      const upTo = archive.split('.')[1] ?? '';
      const want = Array.from({ length: DAYS }, (_, d) => stamp(FIRST + d * DAY_MS))
        .filter((s) => s <= upTo)
        .map((s) => `day-${s}.txt`);
      const days = archiveMembers(join(world.hostDir, archive)).filter((m) => m.startsWith('day-'));
      assert.deepEqual(days, want, `${archive} holds the origin of its own day, nothing later`);
    }
    assert.deepEqual(snapctlSnapshots(VG), [], 'no snapshot left');
    assert.deepEqual(mountsUnder(world.mountRoot), []);
  });
});
