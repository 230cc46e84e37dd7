import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLvs, parseVgs } from '../../src/adapters/lvm-parse.js';
import { findLeftovers, findLegacyLeftovers, isSnapctlSnapshot, mountRootProblem, snapshotName, snapshotTags } from '../../src/core/lvm-leftovers.js';
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

test('leftovers: tagged snapshots and their mounts at <mountRoot>/<volume>, with what is mounted inside them (deepest first)', () => {
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

test('leftovers: nothing else mounted under the mount root is snapctl\'s, not even an LV named like its snapshots', () => {
  const untagged: LvmState = { available: true, vgs: [], lvs: parseLvs(fixture('lvs-tagged.json')).map((lv) => ({ ...lv, tags: [] })) };
  const foreign = [
    { source: '/dev/vdb1', target: '/srv/m/backup', fstype: 'ext4' },
    { source: 'tmpfs', target: '/srv/m/scratch', fstype: 'tmpfs' },
    { source: '/dev/mapper/vg0-lv_data', target: '/srv/m/data', fstype: 'ext4' },
    { source: '/dev/mapper/vg0-snapctl_data_20261126T030000Z', target: '/srv/m/data/deeper', fstype: 'ext4' },
  ];
  assert.deepEqual(findLeftovers(lvm, foreign, '/srv/m').filter((l) => l.target.kind === 'mount'), []);
  const named = [{ source: '/dev/mapper/vg0-snapctl_data_20261126T030000Z', target: '/srv/m/data', fstype: 'ext4' }];
  assert.deepEqual(findLeftovers(untagged, named, '/srv/m'), []);
});

test('no LVM state: a mount at <mountRoot>/<volume> counts when its device is named like a snapctl snapshot', () => {
  const none: LvmState = { available: false, reason: 'not root' };
  assert.deepEqual(findLeftovers(none, [], '/run/snapctl'), []);
  const mounts = [
    { source: '/dev/mapper/vg--x-snapctl_data_20261126T030000Z', target: '/run/snapctl/data', fstype: 'xfs' },
    { source: '/dev/vg0/snapctl_www_20261126T030000Z', target: '/run/snapctl/www', fstype: 'ext4' },
    { source: '/dev/mapper/vg0-lv_data', target: '/run/snapctl/other', fstype: 'ext4' },
    { source: '/dev/sdb1', target: '/run/snapctl/disk', fstype: 'ext4' },
  ];
  assert.deepEqual(findLeftovers(none, mounts, '/run/snapctl').map((l) => l.target), [
    { kind: 'mount', target: '/run/snapctl/data' },
    { kind: 'mount', target: '/run/snapctl/www' },
  ]);
});

test('a mount root must be a directory of its own: not "/", not holding the backup directory', () => {
  assert.equal(mountRootProblem('/run/snapctl', '/backup'), undefined);
  assert.equal(mountRootProblem('/srv/backup-mounts', '/srv/backup'), undefined);
  assert.match(mountRootProblem('/', '/backup') ?? '', /^it is "\/"/);
  assert.match(mountRootProblem('//', '/backup') ?? '', /^it is "\/"/);
  assert.match(mountRootProblem('/srv/m/', '/srv/m/backup') ?? '', /^the backup directory \/srv\/m\/backup is inside it/);
  assert.match(mountRootProblem('/srv/m', '/srv/m') ?? '', /^the backup directory \/srv\/m is inside it/);
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
