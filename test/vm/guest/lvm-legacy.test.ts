// Scenario 5: what an older py_snap run left behind (its snapshot
// lv_data_snap, untagged, mounted at /tmp/snap_backup). snapctl never touches
// it unless the volume's `legacy` names it: then plan warns and apply leaves
// it alone while legacy.cleanup is false, and with legacy.cleanup: true plan
// lists it as cleanup and apply unmounts and removes it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createVolumeGroup, must, removeVolumeGroup } from './vm-guest.js';
import { lvRows, makeVolume, mountDevice, mountsUnder, snapctlSnapshots, sync, unmountQuietly } from './helpers/lvm-world.js';
import { checkSidecar, describe, scenario, timed, type Scenario } from './helpers/scenario.js';

const VG = 'vg_legacy';
const PY_SNAP_MOUNT = '/tmp/snap_backup';
let world: Scenario;

before(() => {
  createVolumeGroup(VG);
  world = scenario('legacy');
});
after(() => {
  unmountQuietly(PY_SNAP_MOUNT);
  removeVolumeGroup(VG);
  world.remove();
});

const hasLegacySnapshot = (): boolean => lvRows(VG).some((lv) => lv.lv_name === 'lv_data_snap');

test('a py_snap snapshot and mount: ignored without legacy, reported and kept with cleanup false, removed with cleanup true', async () => {
  await timed('legacy: py_snap leftover reported, kept, then cleaned', () => {
    const mnt = `/mnt/${VG}/data`;
    makeVolume(VG, 'lv_data', '128M', 'ext4', mnt);
    writeFileSync(join(mnt, 'data.txt'), 'payload\n');
    sync();
    // What py_snap left after a crash: its snapshot, mounted at its -m.
    must('lvcreate', ['-qq', '-y', '-s', '-L', '32M', '-n', 'lv_data_snap', `${VG}/lv_data`]);
    mountDevice(`/dev/${VG}/lv_data_snap`, PY_SNAP_MOUNT);
    const base = { lvm: `${VG}/lv_data`, mount: mnt, compression: 'zstd', retention: { keepLast: 3 } };

    // No legacy key: an untagged snapshot is none of snapctl's business.
    world.writePolicy({ data: base });
    const unaware = world.plan('2026-03-01T03:00:00Z');
    assert.equal(unaware.run.code, 0, describe(unaware.run));
    assert.deepEqual(unaware.json.actions.filter((a) => a.type === 'cleanup'), [], 'no cleanup of a snapshot snapctl did not tag');
    assert.ok(!unaware.json.diagnostics.some((d) => d.message.includes('lv_data_snap')), 'nor a mention of it');

    // legacy names it, cleanup false: reported, never touched.
    const legacy = { snapshot: `${VG}/lv_data_snap`, mountPoint: PY_SNAP_MOUNT };
    world.writePolicy({ data: { ...base, legacy: { ...legacy, cleanup: false } } });
    const reported = world.plan('2026-03-01T03:00:00Z');
    assert.equal(reported.run.code, 0, describe(reported.run));
    assert.deepEqual(reported.json.actions.filter((a) => a.type === 'cleanup'), [], 'nothing to clean while legacy.cleanup is false');
    const warnings = reported.json.diagnostics.filter((d) => d.severity === 'warning').map((d) => d.message);
    assert.ok(warnings.some((m) => m.includes(`${VG}/lv_data_snap`) && m.includes('legacy.cleanup')), `warns about the snapshot: ${warnings.join(' | ')}`);
    assert.ok(warnings.some((m) => m.includes(PY_SNAP_MOUNT)), `warns about the mount: ${warnings.join(' | ')}`);

    const kept = world.apply('2026-03-01T03:00:00Z');
    assert.equal(kept.run.code, 0, describe(kept.run));
    assert.equal(kept.json.volumes[0]?.status, 'created', 'the backup itself still runs beside the old snapshot');
    assert.deepEqual(kept.json.cleanups, []);
    assert.ok(hasLegacySnapshot(), 'the py_snap snapshot is still there');
    assert.deepEqual(mountsUnder(PY_SNAP_MOUNT), [PY_SNAP_MOUNT], 'and still mounted');

    // cleanup true: listed as cleanup, and removed.
    world.writePolicy({ data: { ...base, legacy: { ...legacy, cleanup: true } } });
    const planned = world.plan('2026-03-02T03:00:00Z');
    assert.equal(planned.run.code, 0, describe(planned.run));
    const cleanups = planned.json.actions.filter((a) => a.type === 'cleanup').map((a) => a.target);
    assert.deepEqual(
      cleanups.map((t) => (t?.kind === 'mount' ? `mount ${t.target}` : `${t?.kind} ${t?.vg}/${t?.lv}`)),
      [`mount ${PY_SNAP_MOUNT}`, `lvm-snapshot ${VG}/lv_data_snap`],
      `unmount first, then remove\n${describe(planned.run)}`,
    );

    const cleaned = world.apply('2026-03-02T03:00:00Z');
    assert.equal(cleaned.run.code, 0, describe(cleaned.run));
    assert.deepEqual(
      cleaned.json.cleanups.map((c) => c.ok),
      [true, true],
      describe(cleaned.run),
    );
    assert.ok(!hasLegacySnapshot(), 'the py_snap snapshot is removed');
    assert.deepEqual(mountsUnder(PY_SNAP_MOUNT), [], 'and unmounted');
    assert.ok(lvRows(VG).some((lv) => lv.lv_name === 'lv_data'), 'the origin is untouched');
    const archives = world.files().filter((f) => f.endsWith('.tar.zst'));
    assert.equal(archives.length, 2, 'both days archived');
    for (const a of archives) assert.equal(checkSidecar(world.hostDir, a).code, 0);
    assert.deepEqual(snapctlSnapshots(VG), []);
    assert.deepEqual(mountsUnder(world.mountRoot), []);
  });
});
