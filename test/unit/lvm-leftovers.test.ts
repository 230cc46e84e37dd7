import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLvs, parseVgs } from '../../src/adapters/lvm-parse.js';
import { findLeftovers, findLegacyLeftovers, isSnapctlSnapshot, snapshotName, snapshotTags } from '../../src/core/lvm-leftovers.js';
import type { LvmState } from '../../src/core/model.js';
import { fixture } from '../helpers/fake-bin.js';

const lvm: LvmState = { available: true, vgs: parseVgs(fixture('vgs-cycle.json')), lvs: parseLvs(fixture('lvs-tagged.json')) };

test('snapshot names: snapctl_<volume>_<stamp>, valid LV names even for reserved substrings', () => {
  assert.equal(snapshotName('data', '20261126T030000Z'), 'snapctl_data_20261126T030000Z');
  assert.equal(snapshotName('tmeta', '20261126T030000Z'), 'snapctl-tmeta_20261126T030000Z');
  assert.equal(snapshotName('x_rimage', '20261126T030000Z'), 'snapctl_x-rimage_20261126T030000Z');
  assert.deepEqual(snapshotTags('data'), ['snapctl', 'snapctl_volume_data']);
});

test('the tag, not the name, makes a snapshot ours', () => {
  assert.equal(isSnapctlSnapshot({ tags: ['snapctl', 'snapctl_volume_data'] }), true);
  assert.equal(isSnapctlSnapshot({ tags: [] }), false);
  assert.equal(isSnapctlSnapshot({ tags: ['snapctl_volume_data'] }), false);
});

test('leftovers: mounts under the mount root (deepest first) and tagged snapshots only', () => {
  const mounts = [
    { source: '/dev/mapper/vg0-lv_data', target: '/data', fstype: 'ext4' },
    { source: '/dev/mapper/vg0-snapctl_data_20261126T030000Z', target: '/run/snapctl/data', fstype: 'ext4' },
    { source: 'tmpfs', target: '/run/snapctl/data/inner', fstype: 'tmpfs' },
    { source: 'tmpfs', target: '/run/snapctlx', fstype: 'tmpfs' },
  ];
  const found = findLeftovers(lvm, mounts, '/run/snapctl/');
  assert.deepEqual(found.map((l) => [l.target, l.volume]), [
    [{ kind: 'mount', target: '/run/snapctl/data/inner' }, 'data'],
    [{ kind: 'mount', target: '/run/snapctl/data' }, 'data'],
    [{ kind: 'lvm-snapshot', vg: 'vg0', lv: 'snapctl_data_20261126T030000Z' }, 'data'],
  ]);
});

test('no LVM state: only mount leftovers', () => {
  assert.deepEqual(findLeftovers({ available: false, reason: 'not root' }, [], '/run/snapctl'), []);
});

test('py_snap leftovers: its snapshot and its mount of that snapshot, reported with the cleanup flag', () => {
  const mounts = [{ source: '/dev/mapper/vg0-lv_data_snap', target: '/tmp/snap_backup', fstype: 'ext4' }];
  const found = findLegacyLeftovers(lvm, mounts, { snapshot: { vg: 'vg0', lv: 'lv_data_snap' }, mountPoint: '/tmp/snap_backup', cleanup: false }, 'data');
  assert.deepEqual(found.map((l) => [l.target, l.cleanup, l.volume]), [
    [{ kind: 'mount', target: '/tmp/snap_backup' }, false, 'data'],
    [{ kind: 'lvm-snapshot', vg: 'vg0', lv: 'lv_data_snap' }, false, 'data'],
  ]);
  assert.match(found[1]!.reason, /py_snap snapshot vg0\/lv_data_snap of vg0\/lv_data .*reported only/);
});

test('py_snap rule never claims a non-snapshot LV or a mount of another device', () => {
  const mounts = [{ source: '/dev/sdb1', target: '/tmp/snap_backup', fstype: 'ext4' }];
  const found = findLegacyLeftovers(lvm, mounts, { snapshot: { vg: 'vg0', lv: 'lv_data' }, mountPoint: '/tmp/snap_backup', cleanup: true });
  assert.deepEqual(found, []);
});
