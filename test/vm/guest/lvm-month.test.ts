// Scenario 7: a month of daily cron runs, simulated with --now, each one a
// real snapshot → mount → tar → verify → remove cycle on LVM, ends with
// exactly the archives the retention keeps, each holding the origin as it
// was on its own day.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createVolumeGroup, removeVolumeGroup } from './vm-guest.js';
import { makeVolume, mountsUnder, snapctlSnapshots, sync } from './helpers/lvm-world.js';
import { archiveMembers, checkSidecar, describe, HOST, scenario, timed, type Scenario } from './helpers/scenario.js';

const VG = 'vg_month';
let world: Scenario;

before(() => {
  createVolumeGroup(VG);
  world = scenario('month');
});
after(() => {
  removeVolumeGroup(VG);
  world.remove();
});

const DAY_MS = 86_400_000;
/** Monday 2026-02-16 to Tuesday 2026-03-17, at 03:00 UTC: 30 runs across a month boundary. */
const FIRST = Date.UTC(2026, 1, 16, 3, 0, 0);
const DAYS = 30;
const stamp = (ms: number): string => new Date(ms).toISOString().replace(/[-:]/g, '').replace('.000', '');
const iso = (ms: number): string => new Date(ms).toISOString().replace('.000', '');

/*
 * keepDaily 3, keepWeekly 2, keepMonthly 2 over one archive a day, 02-16…03-17:
 *   daily:   the 3 newest days              → 03-17, 03-16, 03-15
 *   weekly:  ISO week 03-16…22 → 03-17; week 03-09…15 → 03-15
 *   monthly: March → 03-17; February → 02-28
 * Union: 02-28, 03-15, 03-16, 03-17.
 */
const EXPECTED = ['20260228T030000Z', '20260315T030000Z', '20260316T030000Z', '20260317T030000Z'];

test(`${DAYS} daily runs on real LVM end with exactly the archives keepDaily 3 / keepWeekly 2 / keepMonthly 2 keeps, each with its own day's data`, async () => {
  await timed(`month: ${DAYS} daily apply runs`, () => {
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
      process.stdout.write(`month: run ${day + 1}/${DAYS} at ${iso(at)} took ${((performance.now() - started) / 1000).toFixed(1)} s, deleted ${json.volumes[0].deleted.length}\n`);
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
