import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, mkdir, chmod, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { btrfsCopyRefused, detectFs, ensurePrivateDir, mountOptions, mountReadOnly, parseMounts, unmount } from '../../src/adapters/mounts.js';
import { dataMountsBelow, locateBelow, locateOnBtrfs, locateOnDevice, onReadOnlyMount } from '../../src/adapters/mountinfo.js';
import { SnapctlError } from '../../src/core/errors.js';
import { fakeBin } from '../helpers/fake-bin.js';

test('parses /proc/self/mounts and unescapes \\040, \\011, \\012 and \\134', () => {
  const text = [
    '/dev/mapper/vg0-lv_data /data ext4 rw,relatime 0 0',
    '/dev/mapper/vg0-snapctl_data_20261126T030000Z /run/snapctl/data ext4 ro,noload 0 0',
    '/dev/sdb1 /mnt/my\\040disk\\011tab\\012nl\\134bs vfat rw 0 0',
    '',
  ].join('\n');
  assert.deepEqual(parseMounts(text), [
    { source: '/dev/mapper/vg0-lv_data', target: '/data', fstype: 'ext4' },
    { source: '/dev/mapper/vg0-snapctl_data_20261126T030000Z', target: '/run/snapctl/data', fstype: 'ext4' },
    { source: '/dev/sdb1', target: '/mnt/my disk\ttab\nnl\\bs', fstype: 'vfat' },
  ]);
});

test('mount options: xfs nouuid,norecovery; ext3/ext4 noload; others plain ro', () => {
  assert.equal(mountOptions('xfs'), 'ro,nouuid,norecovery');
  assert.equal(mountOptions('ext4'), 'ro,noload');
  assert.equal(mountOptions('ext3'), 'ro,noload');
  assert.equal(mountOptions('ext2'), 'ro');
  assert.equal(mountOptions('vfat'), 'ro');
});

test('detectFs asks blkid for TYPE by probing the device; exit 2 means no filesystem', async () => {
  const bin = fakeBin({ blkid: [{ match: 'vg0-a$', stdout: 'xfs\n' }, { exitCode: 2 }] });
  bin.install();
  try {
    assert.equal(await detectFs('/dev/mapper/vg0-a'), 'xfs');
    assert.equal(await detectFs('/dev/mapper/vg0-b'), undefined);
    assert.deepEqual(bin.argvOf('blkid')[0], ['-p', '-o', 'value', '-s', 'TYPE', '/dev/mapper/vg0-a']);
  } finally {
    await bin.cleanup();
  }
});

test('mountReadOnly passes the filesystem options and reports mount stderr on failure', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'snapctl-mnt-'));
  const err = 'mount: /mnt/snap: wrong fs type, bad option, bad superblock on /dev/mapper/vg0-lv_xfs_snap, missing codepage or helper program, or other error.\n';
  const bin = fakeBin({ mount: [{ match: 'ok$', exitCode: 0 }, { exitCode: 32, stderr: err }] });
  bin.install();
  try {
    await mountReadOnly('/dev/vg0/s', join(dir, 'ok'), 'xfs');
    assert.deepEqual(bin.argvOf('mount')[0], ['-t', 'xfs', '-o', 'ro,nouuid,norecovery', '/dev/vg0/s', join(dir, 'ok')]);
    await assert.rejects(mountReadOnly('/dev/vg0/s', join(dir, 'bad'), 'xfs'), (e: unknown) => e instanceof SnapctlError && /wrong fs type/.test(e.detail ?? ''));
  } finally {
    await bin.cleanup();
    await rm(dir, { recursive: true, force: true });
  }
});

test('ensurePrivateDir creates the mount root 0700 and tightens an existing one', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'snapctl-root-'));
  try {
    await ensurePrivateDir(join(dir, 'a', 'b'));
    assert.equal((await stat(join(dir, 'a', 'b'))).mode & 0o777, 0o700);
    await mkdir(join(dir, 'open'));
    await chmod(join(dir, 'open'), 0o755);
    await ensurePrivateDir(join(dir, 'open'));
    assert.equal((await stat(join(dir, 'open'))).mode & 0o777, 0o700);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

const BUSY = 'umount: /run/snapctl/data: target is busy.\n';

test('unmount retries while busy, then succeeds', async () => {
  const bin = fakeBin({ umount: [{ exitCode: 32, stderr: BUSY, times: 1 }, { exitCode: 0 }] });
  bin.install();
  try {
    assert.equal(await unmount('/run/snapctl/data', { retryDelaysMs: [1, 1] }), 'unmounted');
    assert.deepEqual(bin.argvOf('umount'), [['/run/snapctl/data'], ['/run/snapctl/data']]);
  } finally {
    await bin.cleanup();
  }
});

test('unmount of something not mounted is done, not an error', async () => {
  const bin = fakeBin({ umount: { exitCode: 32, stderr: 'umount: /run/snapctl/data: not mounted.\n' } });
  bin.install();
  try {
    assert.equal(await unmount('/run/snapctl/data'), 'not-mounted');
  } finally {
    await bin.cleanup();
  }
});

test('unmount still busy after the retries detaches lazily as a last resort', async () => {
  const bin = fakeBin({ umount: [{ match: '^-l ', exitCode: 0 }, { exitCode: 32, stderr: BUSY }] });
  bin.install();
  try {
    assert.equal(await unmount('/run/snapctl/data', { retryDelaysMs: [1, 1] }), 'lazy');
    assert.deepEqual(bin.argvOf('umount'), [['/run/snapctl/data'], ['/run/snapctl/data'], ['/run/snapctl/data'], ['-l', '/run/snapctl/data']]);
  } finally {
    await bin.cleanup();
  }
});

test('unmount failing for another reason is an error and never lazy', async () => {
  const bin = fakeBin({ umount: { exitCode: 32, stderr: 'umount: /x: must be superuser to unmount.\n' } });
  bin.install();
  try {
    await assert.rejects(unmount('/x', { retryDelaysMs: [1] }), /unmounting \/x failed/);
    assert.deepEqual(bin.argvOf('umount'), [['/x']]);
  } finally {
    await bin.cleanup();
  }
});

test('locateOnDevice: the path inside the device\'s file system, from the mount that holds it (bind mounts, stacked mounts, escaped names)', () => {
  const mountinfo = [
    '22 1 253:0 / / rw,relatime shared:1 - ext4 /dev/mapper/vg0-root rw',
    '23 22 0:21 / /proc rw,nosuid shared:12 - proc proc rw',
    '30 22 253:1 / /data rw,relatime shared:2 - xfs /dev/mapper/vg0-data rw',
    '31 22 253:2 /exports/www /srv/www rw,relatime shared:3 - ext4 /dev/mapper/vg0-srv rw',
    '32 22 253:3 / /mnt/usb\\040disk rw,relatime shared:4 - ext4 /dev/sdb1 rw',
    '33 22 253:4 / /stacked rw,relatime shared:5 - ext4 /dev/mapper/vg0-a rw',
    '34 22 253:5 / /stacked rw,relatime shared:6 - ext4 /dev/mapper/vg0-b rw',
    '',
  ].join('\n');
  assert.equal(locateOnDevice(mountinfo, '253:0', '/backup/db01'), 'backup/db01', 'a root LV holding /backup');
  assert.equal(locateOnDevice(mountinfo, '253:0', '/database/backup'), 'database/backup', '/data does not hold /database');
  assert.equal(locateOnDevice(mountinfo, '253:1', '/data/backups'), 'backups');
  assert.equal(locateOnDevice(mountinfo, '253:0', '/data/backups'), undefined, 'on another LV');
  assert.equal(locateOnDevice(mountinfo, '253:1', '/data'), '', 'the root of that file system');
  assert.equal(locateOnDevice(mountinfo, '253:2', '/srv/www/backup'), 'exports/www/backup', 'a bind mount of a subdirectory');
  assert.equal(locateOnDevice(mountinfo, '253:3', '/mnt/usb disk/b'), 'b');
  assert.equal(locateOnDevice(mountinfo, '253:5', '/stacked/b'), 'b', 'the mount on top');
  assert.equal(locateOnDevice(mountinfo, '253:4', '/stacked/b'), undefined, 'hidden under the mount on top');
});

test('locateBelow: a path below a directory of its own file system, both placed by the mounts holding them (bind mounts, btrfs subvol= mounts)', () => {
  const mountinfo = [
    '22 1 253:0 / / rw,relatime shared:1 - ext4 /dev/mapper/vg0-root rw',
    '30 22 253:1 / /srv rw,relatime shared:2 - ext4 /dev/mapper/vg0-srv rw',
    '31 22 253:1 /data/backup /backup rw,relatime shared:3 - ext4 /dev/mapper/vg0-srv rw',
    '32 22 253:1 /data /export rw,relatime shared:4 - ext4 /dev/mapper/vg0-srv rw',
    '40 22 0:43 / /pool rw,relatime shared:5 - btrfs /dev/sdb rw,subvolid=5,subvol=/',
    '41 22 0:43 /home /home rw,relatime shared:6 - btrfs /dev/sdb rw,subvolid=256,subvol=/home',
    '',
  ].join('\n');
  assert.equal(locateBelow(mountinfo, '/srv/data', '/srv/data/backup'), 'backup', 'through the same mount, as spelt');
  assert.equal(locateBelow(mountinfo, '/srv/data', '/backup/db01'), 'backup/db01', 'a bind mount of a directory below the root');
  assert.equal(locateBelow(mountinfo, '/export', '/srv/data/backup'), 'backup', 'the root reached through a bind mount');
  assert.equal(locateBelow(mountinfo, '/export', '/export'), '', 'the root itself');
  assert.equal(locateBelow(mountinfo, '/srv/data', '/export'), '', 'the root itself, through another mount');
  assert.equal(locateBelow(mountinfo, '/srv', '/backup'), 'data/backup', 'below the file system\'s root');
  assert.equal(locateBelow(mountinfo, '/srv/data/backup', '/export'), undefined, 'a parent of the root');
  assert.equal(locateBelow(mountinfo, '/srv/dat', '/backup'), undefined, 'a name that only starts alike');
  assert.equal(locateBelow(mountinfo, '/srv/data', '/data/backup'), undefined, 'on another file system');
  assert.equal(locateBelow(mountinfo, '/pool/home', '/home/.backups'), '.backups', 'a subvol= mount of the subvolume: the same device as the top level');
  assert.equal(locateBelow(mountinfo, '/home', '/pool/home/.backups'), '.backups', 'the volume mounted with subvol=, the backups under the top level');
  assert.equal(locateBelow(mountinfo, '/home', '/pool/var'), undefined, 'another subvolume');
});

test('locateOnBtrfs: the path from the btrfs top level, through the top-level mount, a subvol= mount and a bind mount; undefined off btrfs', () => {
  const mountinfo = [
    '22 1 253:0 / / rw,relatime shared:1 - ext4 /dev/mapper/vg0-root rw',
    '40 22 0:38 / /mnt/pool rw,relatime shared:2 - btrfs /dev/sdb rw,subvolid=5,subvol=/',
    '41 22 0:38 /@home /home rw,relatime shared:3 - btrfs /dev/sdb rw,subvolid=256,subvol=/@home',
    '42 22 0:38 /@home/alice/www /srv/www rw,relatime shared:4 - btrfs /dev/sdb rw,subvolid=256,subvol=/@home',
    '',
  ].join('\n');
  assert.equal(locateOnBtrfs(mountinfo, '/mnt/pool'), '', 'the top level itself');
  assert.equal(locateOnBtrfs(mountinfo, '/mnt/pool/@home/bob'), '@home/bob');
  assert.equal(locateOnBtrfs(mountinfo, '/home'), '@home', 'a subvol= mount names its subvolume');
  assert.equal(locateOnBtrfs(mountinfo, '/home/alice/docs'), '@home/alice/docs');
  assert.equal(locateOnBtrfs(mountinfo, '/srv/www/html'), '@home/alice/www/html', 'a bind mount of a subdirectory');
  assert.equal(locateOnBtrfs(mountinfo, '/srv/data'), undefined, 'on ext4');
});

test('onReadOnlyMount: the mount holding the path is read-only by its own options or its file system\'s', () => {
  const mountinfo = [
    '22 1 253:0 / / rw,relatime shared:1 - ext4 /dev/mapper/vg0-root rw',
    '30 22 0:40 / /backup ro,relatime shared:2 - nfs4 nas:/export rw,vers=4.2',
    '31 22 253:1 / /data rw,relatime shared:3 - ext4 /dev/mapper/vg0-data ro,errors=remount-ro',
    '32 22 253:2 / /srv rw,relatime shared:4 - xfs /dev/mapper/vg0-srv rw',
    '',
  ].join('\n');
  assert.equal(onReadOnlyMount(mountinfo, '/backup/db01'), true, 'a read-only NFS mount');
  assert.equal(onReadOnlyMount(mountinfo, '/data/backups'), true, 'ext4 remounted read-only after errors');
  assert.equal(onReadOnlyMount(mountinfo, '/srv/backups'), false);
  assert.equal(onReadOnlyMount(mountinfo, '/backups'), false, 'on the root file system, not under /backup');
});

test('dataMountsBelow: data file systems on other devices below the directory; not pseudo file systems, bind mounts of its own, or mounts elsewhere', () => {
  const mountinfo = [
    '22 1 253:0 / / rw,relatime shared:1 - ext4 /dev/mapper/vg0-root rw',
    '23 22 0:21 / /proc rw,nosuid shared:12 - proc proc rw',
    '24 22 0:22 / /run rw,nosuid shared:13 - tmpfs tmpfs rw',
    '30 22 253:1 / /srv rw,relatime shared:2 - xfs /dev/mapper/vg0-srv rw',
    '31 30 253:2 / /srv/db rw,relatime shared:3 - ext4 /dev/mapper/vg0-db rw',
    '32 30 0:40 / /srv/share rw,relatime shared:4 - nfs4 nas:/export rw',
    '33 30 253:1 /www /srv/www-bind rw,relatime shared:5 - xfs /dev/mapper/vg0-srv rw',
    '34 30 0:23 / /srv/tmp rw shared:6 - tmpfs tmpfs rw',
    '35 30 253:3 / /srv/usb\\040disk rw shared:7 - vfat /dev/sdb1 rw',
    '36 22 253:4 / /srvx rw shared:8 - ext4 /dev/sdc1 rw',
    '',
  ].join('\n');
  assert.deepEqual(dataMountsBelow(mountinfo, '/srv'), [
    { target: '/srv/db', fstype: 'ext4', source: '/dev/mapper/vg0-db' },
    { target: '/srv/share', fstype: 'nfs4', source: 'nas:/export' },
    { target: '/srv/usb disk', fstype: 'vfat', source: '/dev/sdb1' },
  ]);
  assert.deepEqual(
    dataMountsBelow(mountinfo, '/').map((m) => m.target),
    ['/srv', '/srv/db', '/srv/share', '/srv/www-bind', '/srv/usb disk', '/srvx'],
    'from /, a bind mount of another file system counts too',
  );
  assert.deepEqual(dataMountsBelow(mountinfo, '/srv/db'), []);
});

test('btrfsCopyRefused: only a btrfs whose UUID is mounted (/sys/fs/btrfs/<UUID>) on a kernel without temp-fsid; blkid is not asked when btrfs is not loaded or has temp-fsid', async () => {
  const base = await mkdtemp(join(tmpdir(), 'snapctl-btrfs-sysfs-'));
  const uuid = '38171339-d2df-49e3-96ae-36387d578b59';
  // What blkid -p -o export printed for a btrfs LV in the VM.
  const btrfs = `DEVNAME=/dev/vg0/b\nUUID=${uuid}\nUUID_SUB=cfdbb076-683f-4a21-953a-2ebf039cd44e\nBLOCK_SIZE=4096\nTYPE=btrfs\nUSAGE=filesystem\n`;
  const bin = fakeBin({
    blkid: [
      { match: 'vg0/b$', stdout: btrfs },
      { match: 'vg0/e$', stdout: `DEVNAME=/dev/vg0/e\nUUID=${uuid}\nTYPE=ext4\n` },
      { match: 'vg0/blank$', exitCode: 2 },
      { exitCode: 2, stderr: 'blkid: error: /dev/vg0/x: Permission denied\n' },
    ],
  });
  bin.install();
  try {
    assert.equal(await btrfsCopyRefused('/dev/vg0/b', base), false, 'no btrfs loaded');
    await mkdir(join(base, 'features'));
    await writeFile(join(base, 'features', 'temp_fsid'), '0\n');
    await mkdir(join(base, uuid));
    assert.equal(await btrfsCopyRefused('/dev/vg0/b', base), false, 'Linux 6.7+: temp-fsid');
    assert.deepEqual(bin.argvOf('blkid'), [], 'the kernel answered: no blkid');

    await rm(join(base, 'features', 'temp_fsid'));
    assert.equal(await btrfsCopyRefused('/dev/vg0/b', base), true, 'mounted, no temp-fsid');
    assert.deepEqual(bin.argvOf('blkid')[0], ['-p', '-o', 'export', '/dev/vg0/b']);
    assert.equal(await btrfsCopyRefused('/dev/vg0/e', base), false, 'ext4, whatever its UUID');
    assert.equal(await btrfsCopyRefused('/dev/vg0/blank', base), false, 'nothing blkid recognises');
    assert.equal(await btrfsCopyRefused('/dev/vg0/x', base), undefined, 'blkid cannot read it');
    await rm(join(base, uuid), { recursive: true });
    assert.equal(await btrfsCopyRefused('/dev/vg0/b', base), false, 'not mounted');
  } finally {
    await bin.cleanup();
    await rm(base, { recursive: true, force: true });
  }
});
