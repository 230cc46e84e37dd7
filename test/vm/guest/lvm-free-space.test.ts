// Scenario 2: the volume group has too little free space for the snapshot.
// plan says so with both sizes; apply stops before creating anything, with
// a message naming both, and leaves LVM and the backup directory as they were.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createVolumeGroup, must, removeVolumeGroup } from './vm-guest.js';
import { lvRows, makeVolume, mountsUnder, vgFree } from './helpers/lvm-world.js';
import { describe, scenario, timed, type Scenario } from './helpers/scenario.js';

const VG = 'vg_full';
let world: Scenario;

before(() => {
  createVolumeGroup(VG);
  world = scenario('free-space');
});
after(() => {
  removeVolumeGroup(VG);
  world.remove();
});

test('with the VG nearly full, plan reports an error naming free and needed bytes, and apply exits 1 before creating any snapshot or file', async () => {
  await timed('free space: VG too full for the snapshot', () => {
    const mnt = `/mnt/${VG}/data`;
    makeVolume(VG, 'lv_data', '128M', 'ext4', mnt);
    // A filler LV takes all but two extents.
    const { freeExtents, extentBytes } = vgFree(VG);
    must('lvcreate', ['-qq', '-y', '-l', String(freeExtents - 2), '-n', 'lv_filler', VG]);
    const free = vgFree(VG);
    assert.equal(free.freeBytes, 2 * extentBytes);
    const needBytes = 64 * 1024 * 1024;
    world.writePolicy({ data: { lvm: `${VG}/lv_data`, mount: mnt, snapshot: { size: '64M' }, retention: { keepLast: 2 } } });

    const plan = world.plan('2026-03-02T03:00:00Z');
    assert.equal(plan.run.code, 0, describe(plan.run));
    const errors = plan.json.diagnostics.filter((d) => d.severity === 'error');
    assert.equal(errors.length, 1, describe(plan.run));
    assert.equal(errors[0]?.volume, 'data');
    assert.match(errors[0]?.message ?? '', new RegExp(`${VG} has .*\\(${free.freeBytes} bytes\\) free`), 'names the free bytes');
    assert.match(errors[0]?.message ?? '', new RegExp(`needs .*\\(${needBytes} bytes`), 'names the needed bytes');
    const text = world.planText('2026-03-02T03:00:00Z');
    assert.match(text.stdout + text.stderr, new RegExp(`${free.freeBytes} bytes\\) free`), `the text plan shows it too:\n${describe(text)}`);

    const lvsBefore = lvRows(VG);
    const { run, json } = world.apply('2026-03-02T03:00:00Z');
    assert.equal(run.code, 1, describe(run));
    assert.equal(json.volumes[0]?.status, 'failed');
    const message = `${json.volumes[0]?.errors.join('\n') ?? ''}\n${run.stderr}`;
    assert.match(message, new RegExp(`\\(${free.freeBytes} bytes\\) free`), 'apply names the free bytes');
    assert.match(message, new RegExp(`needs .*\\(${needBytes} bytes`), 'apply names the needed bytes');
    assert.deepEqual(lvRows(VG), lvsBefore, 'no LV was created (nor anything else changed in LVM)');
    assert.deepEqual(world.files(), [], 'no archive, no .partial, no sidecar');
    assert.deepEqual(mountsUnder(world.mountRoot), []);
    assert.equal(vgFree(VG).freeBytes, free.freeBytes);
  });
});
