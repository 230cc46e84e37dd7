// btrfs on an LVM origin. An LVM snapshot is a block-level copy: it carries
// the origin's btrfs UUID, and a kernel without btrfs's temp-fsid (before
// Linux 6.7: Debian 12's 6.1, the guest's kernel) refuses to mount it while
// the origin is mounted ("File exists"). Here: that premise, checked with
// plain lvcreate and mount; an unmounted origin archived as usual; and with
// the origin mounted, plan's error and apply's refusal before any snapshot,
// which leave the earlier archive, the volume group and the mounts as they
// were. On a kernel with temp-fsid the same apply archives the snapshot.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createVolumeGroup, must, removeVolumeGroup, run } from './vm-guest.js';
import { makeVolume, mountDevice, mountsUnder, snapctlSnapshots, sync, unmountQuietly } from './helpers/lvm-world.js';
import { archiveMembers, describe, scenario, timed, type Scenario } from './helpers/scenario.js';

const VG = 'vg_btrfs';
const MNT = '/mnt/vg_btrfs/lv_b';
const ORIGIN = `/dev/${VG}/lv_b`;
const TEMP_FSID = existsSync('/sys/fs/btrfs/features/temp_fsid');
let world: Scenario;

before(() => {
  createVolumeGroup(VG);
  world = scenario('btrfs');
});
after(() => {
  unmountQuietly('/mnt/vg_btrfs/copy');
  unmountQuietly(MNT);
  removeVolumeGroup(VG);
  world.remove();
});

test('btrfs origin: archived while unmounted; while mounted, refused before any snapshot on a kernel without temp-fsid', async () => {
  await timed('btrfs: an LVM origin holding btrfs', () => {
    makeVolume(VG, 'lv_b', '256M', 'btrfs', MNT);
    writeFileSync(join(MNT, 'hello.txt'), 'hello\n');
    sync();

    // The premise, without snapctl: a snapshot of the mounted origin mounts only with temp-fsid.
    must('lvcreate', ['-qq', '-y', '-s', '-L', '32M', '-n', 'copy', `${VG}/lv_b`]);
    mkdirSync('/mnt/vg_btrfs/copy', { recursive: true });
    const copy = run('mount', ['-t', 'btrfs', '-o', 'ro', `/dev/${VG}/copy`, '/mnt/vg_btrfs/copy']);
    if (TEMP_FSID) assert.equal(copy.code, 0, describe(copy));
    else assert.match(copy.stderr, /File exists/, describe(copy));
    unmountQuietly('/mnt/vg_btrfs/copy');
    must('lvremove', ['-qq', '-y', `${VG}/copy`]);

    world.writePolicy({ b: { lvm: `${VG}/lv_b`, mount: MNT, compression: 'zstd', retention: { keepLast: 3 } } });

    // Unmounted: nobody has the origin open, so its snapshot's UUID is the only one mounted.
    must('umount', [MNT]);
    const quiet = world.plan('2026-11-26T03:00:00Z');
    assert.deepEqual(quiet.json.diagnostics.filter((d) => d.severity === 'error'), [], describe(quiet.run));
    const first = world.apply('2026-11-26T03:00:00Z');
    assert.equal(first.run.code, 0, describe(first.run));
    const archive = first.json.volumes[0]?.archive ?? '';
    assert.ok(archiveMembers(join(world.hostDir, archive)).includes('hello.txt'), describe(first.run));

    mountDevice(ORIGIN, MNT);
    const before = world.files();
    const plan = world.plan('2026-11-27T03:00:00Z');
    const errors = plan.json.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message);
    const second = world.apply('2026-11-27T03:00:00Z');
    if (TEMP_FSID) {
      assert.deepEqual(errors, [], describe(plan.run));
      assert.equal(second.run.code, 0, describe(second.run));
      return;
    }
    assert.deepEqual(errors, [
      `${VG}/lv_b holds a mounted btrfs, and this kernel cannot mount a block-level snapshot of a mounted btrfs: the snapshot has the same file system UUID (Linux 6.7 and later mount such a copy under a temporary one): apply will fail for this volume; archive it as a btrfs volume instead (btrfs: ${MNT}): a native read-only snapshot, which needs no LVM snapshot space`,
    ]);
    assert.equal(second.run.code, 1, describe(second.run));
    assert.equal(second.json.volumes[0]?.status, 'failed', describe(second.run));
    assert.match(second.json.volumes[0]?.errors.join('\n') ?? '', /holds a mounted btrfs.*nothing was created/s, describe(second.run));
    assert.deepEqual(snapctlSnapshots(VG), [], 'no snapshot was made');
    assert.deepEqual(mountsUnder(world.mountRoot), [], 'nothing mounted');
    assert.deepEqual(world.files(), before, 'the earlier archive and its sidecar, nothing else');
    assert.deepEqual(readdirSync(MNT).sort(), ['hello.txt'], 'the origin is still mounted, as it was');
  });
});
