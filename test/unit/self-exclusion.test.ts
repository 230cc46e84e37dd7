// Which volumes hold the backup directory, and where inside them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backupDirInside, pathInside } from '../../src/core/self-exclusion.js';
import { tarCreateArgv } from '../../src/apply/tar-command.js';
import { testVolume } from '../helpers/volume.js';

const path = (p: string) => testVolume('v', { kind: 'path', path: p });

test('the backup directory relative to a path volume when it lies strictly inside it, the host directory when it is the volume itself', () => {
  assert.equal(backupDirInside(path('/'), '/backup', 'h1'), 'backup');
  assert.equal(backupDirInside(path('/srv/data'), '/srv/data/backups/', 'h1'), 'backups');
  assert.equal(backupDirInside(path('/srv/data/'), '/srv//data/./x/../nightly/db', 'h1'), 'nightly/db');
  assert.equal(backupDirInside(path('/srv/data'), '/srv/database/backups', 'h1'), undefined, 'a name that only starts alike is not inside');
  assert.equal(backupDirInside(path('/srv/data'), '/srv/data/', 'h1'), 'h1', 'the volume itself: the host directory in it, where the archives go');
  assert.equal(backupDirInside(path('/'), '/', 'h1'), 'h1');
  assert.equal(backupDirInside(path('/srv/data'), '/srv', 'h1'), undefined, 'a parent');
  assert.equal(backupDirInside(path('/srv/data'), '/backup', 'h1'), undefined);
});

test('btrfs volumes by their subvolume, LVM volumes by the origin mount point when the policy names it', () => {
  assert.equal(backupDirInside(testVolume('v', { kind: 'btrfs', subvolume: '/home' }), '/home/.backups', 'h1'), '.backups');
  const lvm = testVolume('v', { kind: 'lvm', vg: 'vg0', lv: 'data' }, { mount: '/data' });
  assert.equal(backupDirInside(lvm, '/data/backup', 'h1'), 'backup');
  assert.equal(backupDirInside(testVolume('v', { kind: 'lvm', vg: 'vg0', lv: 'data' }), '/data/backup', 'h1'), undefined, 'no mount: unknown');
});

test('tar leaves the paths out literally and anchored, before the policy patterns, which keep their wildcards', () => {
  const argv = tarCreateArgv({ xattrs: false, acls: false, selinux: false }, '/src', ['*.log'], ['back[up]*']);
  const from = argv.indexOf('--no-wildcards');
  assert.deepEqual(argv.slice(from, from + 4), ['--no-wildcards', '--exclude=./back[up]*', '--wildcards', '--exclude=*.log']);
  assert.ok(!tarCreateArgv({ xattrs: false, acls: false, selinux: false }, '/src', []).includes('--no-wildcards'));
});

test('pathInside compares two paths lexically, as backupDirInside does for a volume root', () => {
  assert.equal(pathInside('/srv', '/srv/backup/db01'), 'backup/db01');
  assert.equal(pathInside('/', '/backup'), 'backup');
  assert.equal(pathInside('/srv', '/srv'), undefined);
  assert.equal(pathInside('/srv', '/srvx/backup'), undefined);
});
