// Proves the VM harness: real device-mapper snapshots work in the guest and
// the checkout's CLI runs there. Runs inside the VM only (npm run test:lvm).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createVolumeGroup, listLogicalVolumes, must, removeVolumeGroup, run, SNAPCTL } from './vm-guest.js';

const VG = 'vg_smoke';

before(() => createVolumeGroup(VG));
after(() => removeVolumeGroup(VG));

test('the checkout\'s snapctl CLI runs inside the guest', () => {
  const r = run(SNAPCTL[0], [SNAPCTL[1], '--version']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^snapctl \d+\.\d+\.\d+/);
});

test('a classic snapshot of an ext4 LV keeps the data of snapshot time and is listed as a snapshot of its origin', () => {
  must('lvcreate', ['-qq', '-L', '64M', '-n', 'lv_origin', VG]);
  must('mkfs.ext4', ['-q', '-E', 'lazy_itable_init=0,lazy_journal_init=0', `/dev/${VG}/lv_origin`]);
  mkdirSync('/mnt/origin', { recursive: true });
  mkdirSync('/mnt/snap', { recursive: true });
  must('mount', [`/dev/${VG}/lv_origin`, '/mnt/origin']);
  writeFileSync('/mnt/origin/hello.txt', 'before the snapshot\n');
  must('sync', []);

  must('lvcreate', ['-qq', '-s', '-L', '32M', '-n', 'lv_origin_snap', `${VG}/lv_origin`]);
  writeFileSync('/mnt/origin/hello.txt', 'after the snapshot\n');
  // On disk, not only in the page cache: the snapshot must have preserved the old blocks.
  must('sync', []);
  must('mount', ['-o', 'ro', `/dev/${VG}/lv_origin_snap`, '/mnt/snap']);
  assert.equal(readFileSync('/mnt/snap/hello.txt', 'utf8'), 'before the snapshot\n');
  assert.equal(readFileSync('/mnt/origin/hello.txt', 'utf8'), 'after the snapshot\n');

  const snap = listLogicalVolumes(VG).find((lv) => lv.lv_name === 'lv_origin_snap');
  assert.ok(snap, 'lvs lists the snapshot');
  assert.equal(snap.origin, 'lv_origin');
  assert.equal(snap.lv_attr?.[0], 's', `lv_attr ${snap.lv_attr} marks a snapshot`);
  assert.equal(snap.lv_size, String(32 * 1024 * 1024));

  must('umount', ['/mnt/snap']);
  must('lvremove', ['-qq', '-f', `${VG}/lv_origin_snap`]);
  assert.deepEqual(
    listLogicalVolumes(VG).map((lv) => lv.lv_name),
    ['lv_origin'],
  );
  must('umount', ['/mnt/origin']);
});
