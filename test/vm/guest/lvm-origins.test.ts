// Scenario 1: apply on real ext4 and XFS origins (classic COW snapshots) and
// on a thin LV (thin snapshot). Each archive holds the origin exactly as it
// was when the snapshot was taken: a postSnapshot hook writes to the origin
// right after the snapshot, and none of that appears in the archive.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync, linkSync, chmodSync, chownSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createVolumeGroup, must, removeVolumeGroup } from './vm-guest.js';
import { makeThinVolume, makeVolume, mkfs, mountsUnder, snapctlSnapshots, sync, writeRandom, type FsType } from './helpers/lvm-world.js';
import { archiveMembers, checkSidecar, describe, describeTree, extractArchive, HOST, scenario, snapctl, timed, type Scenario } from './helpers/scenario.js';

const VG = 'vg_origins';
let world: Scenario;

before(() => {
  createVolumeGroup(VG);
  world = scenario('origins');
});
after(() => {
  removeVolumeGroup(VG);
  world.remove();
});

/** A small tree with the kinds of entries a volume holds. */
function fillOrigin(root: string): void {
  mkdirSync(join(root, 'etc/conf.d'), { recursive: true });
  writeFileSync(join(root, 'etc/app.conf'), 'port = 27017\n');
  writeFileSync(join(root, 'etc/conf.d/empty'), '');
  chmodSync(join(root, 'etc/app.conf'), 0o640);
  chownSync(join(root, 'etc/app.conf'), 1234, 5678);
  mkdirSync(join(root, 'data'));
  writeRandom(join(root, 'data/blob.bin'), 3);
  writeFileSync(join(root, 'data/journal.log'), 'line 1\n');
  linkSync(join(root, 'data/journal.log'), join(root, 'data/journal.hardlink'));
  symlinkSync('../etc/app.conf', join(root, 'data/conf-link'));
  mkdirSync(join(root, 'empty-dir'));
  writeFileSync(join(root, 'file with spaces & ünïcode.txt'), 'odd name\n');
  sync();
}

/**
 * Takes one archive of `origin` (mounted at `mnt`) through the real CLI and
 * checks it from outside against the tree as it was at snapshot time.
 */
function archivesExactlyTheSnapshot(volume: string, lvmRef: string, mnt: string, now: string, expectedSnapshot: 'classic' | 'thin'): void {
  fillOrigin(mnt);
  const atSnapshot = describeTree(mnt);
  // Runs right after the snapshot is taken (and mounted), before tar starts.
  const afterSnapshot = `echo after > ${mnt}/after.txt && echo 'line 2' >> ${mnt}/data/journal.log && rm ${mnt}/etc/conf.d/empty && sync`;
  world.writePolicy({
    [volume]: {
      lvm: lvmRef,
      mount: mnt,
      compression: 'zstd',
      retention: { keepLast: 3 },
      hooks: { postSnapshot: [['sh', '-c', afterSnapshot]] },
    },
  });

  const plan = world.plan(now);
  assert.equal(plan.run.code, 0, describe(plan.run));
  assert.deepEqual(plan.json.diagnostics.filter((d) => d.severity === 'error'), [], 'plan sees no problem');
  assert.deepEqual(
    plan.json.actions.map((a) => [a.type, a.volume]),
    [['create', volume]],
  );

  const { run, json } = world.apply(now);
  assert.equal(run.code, 0, describe(run));
  const outcome = json.volumes.find((v) => v.volume === volume);
  assert.ok(outcome?.status === 'created', describe(run));
  const archive = outcome.archive ?? '';
  assert.match(archive, new RegExp(`^vmhost_${volume}\\.\\d{8}T\\d{6}Z\\.tar\\.zst$`));
  assert.deepEqual(world.files(), [archive, `${archive}.sha256`], 'only the archive and its sidecar, no .partial');

  assert.match(checkSidecar(world.hostDir, archive).stdout, new RegExp(`^${archive.replace(/\./g, '\\.')}: OK$`, 'm'));
  // The hook really ran: the origin changed after the snapshot.
  assert.equal(readFileSync(join(mnt, 'after.txt'), 'utf8'), 'after\n');
  assert.notDeepEqual(describeTree(mnt), atSnapshot);

  const members = archiveMembers(join(world.hostDir, archive));
  assert.ok(members.includes('data/blob.bin') && members.includes('etc/conf.d/empty'), `archive lists the origin's files: ${members.join(' ')}`);
  assert.ok(!members.includes('after.txt'), 'a file written after the snapshot is not in the archive');
  const restored = extractArchive(join(world.hostDir, archive), join(world.dir, 'restore'));
  try {
    assert.deepEqual(describeTree(restored), atSnapshot, 'the archive restores the origin exactly as it was at snapshot time');
  } finally {
    rmSync(restored, { recursive: true, force: true });
  }

  assert.deepEqual(snapctlSnapshots(VG), [], 'no snapctl snapshot is left in lvs');
  assert.deepEqual(mountsUnder(world.mountRoot), [], 'nothing is left mounted under the mount root');
  const log = readFileSync(join(world.dir, 'log', 'snapctl.log'), 'utf8');
  assert.match(log, expectedSnapshot === 'thin' ? /thin snapshot/ : /classic .*snapshot/, 'the log names the kind of snapshot taken');
  // Emptied, not removed: apply refuses a host directory it wrote into that has vanished (an unmounted disk).
  for (const file of readdirSync(world.hostDir)) rmSync(join(world.hostDir, file));
}

const classic: Array<{ fs: FsType; size: string }> = [
  { fs: 'ext4', size: '64M' },
  // mkfs.xfs refuses filesystems under 300 MB; the snapshot mounts only with nouuid.
  { fs: 'xfs', size: '320M' },
];

for (const { fs, size } of classic) {
  test(`a classic snapshot of an ${fs} origin is archived exactly as it was at snapshot time; writes after the snapshot stay out`, async () => {
    await timed(`origins: classic ${fs}`, () => {
      const lv = `lv_${fs}`;
      const mnt = `/mnt/${VG}/${fs}`;
      makeVolume(VG, lv, size, fs, mnt);
      archivesExactlyTheSnapshot(`data_${fs}`, `${VG}/${lv}`, mnt, '2026-03-02T03:00:00Z', 'classic');
    });
  });
}

test('a thin snapshot of a thin ext4 LV is archived exactly as it was at snapshot time; writes after the snapshot stay out', async () => {
  await timed('origins: thin ext4', () => {
    const mnt = `/mnt/${VG}/thin`;
    makeThinVolume(VG, 'pool0', '128M', 'lv_thin', '256M', 'ext4', mnt);
    archivesExactlyTheSnapshot('data_thin', `${VG}/lv_thin`, mnt, '2026-03-02T03:00:00Z', 'thin');
  });
});

test('a backup directory on the LV being archived (a volume without `mount`) is left out of its archives: no archive holds an earlier one', async () => {
  await timed('origins: backup directory on the origin', () => {
    const mnt = `/mnt/${VG}/holds-backups`;
    makeVolume(VG, 'lv_holds', '64M', 'ext4', mnt);
    mkdirSync(join(mnt, 'data'));
    writeRandom(join(mnt, 'data/blob.bin'), 2);
    // Reached through a symlink, as /backup -> /srv/backup often is: the device decides, not the spelling.
    const backupDir = join(world.dir, 'backup-link');
    mkdirSync(join(mnt, 'backups'));
    symlinkSync(join(mnt, 'backups'), backupDir);
    sync();
    const doc = { version: 1, timezone: 'UTC', hosts: { [HOST]: { backupDir, mountRoot: world.mountRoot, volumes: { holds: { lvm: `${VG}/lv_holds`, compression: 'zstd' } } } } };
    writeFileSync(world.policyFile, `${JSON.stringify(doc, null, 2)}\n`);
    const hostDir = join(mnt, 'backups', HOST);
    for (const now of ['2026-03-02T03:00:00Z', '2026-03-03T03:00:00Z']) {
      const r = snapctl(world.applyArgv(now, false));
      assert.equal(r.code, 0, describe(r));
    }
    const archives = readdirSync(hostDir).filter((f) => f.endsWith('.tar.zst')).sort();
    assert.equal(archives.length, 2, readdirSync(hostDir).join(' '));
    for (const archive of archives) {
      const members = archiveMembers(join(hostDir, archive));
      assert.ok(members.includes('data/blob.bin'), `${archive}: ${members.join(' ')}`);
      assert.deepEqual(members.filter((m) => m === 'backups' || m.startsWith('backups/')), [], `${archive} holds nothing of the backup directory`);
    }
    const log = readFileSync(join(world.dir, 'log', 'snapctl.log'), 'utf8');
    assert.match(log, /leaving out \.\/backups: the backup directory \S+ lies inside this volume/);
    assert.deepEqual(snapctlSnapshots(VG), []);
  });
});

test('an LV whose file system holds nothing fails its volume: no archive, no snapshot left; allowEmpty: true archives it', async () => {
  await timed('origins: empty file system', () => {
    const mnt = `/mnt/${VG}/empty`;
    makeVolume(VG, 'lv_empty', '32M', 'ext4', mnt);
    rmSync(join(mnt, 'lost+found'), { recursive: true });
    sync();
    const write = (allowEmpty: boolean): void => {
      const doc = { version: 1, timezone: 'UTC', hosts: { [HOST]: { backupDir: world.backupRoot, mountRoot: world.mountRoot, volumes: { blank: { lvm: `${VG}/lv_empty`, allowEmpty } } } } };
      writeFileSync(world.policyFile, `${JSON.stringify(doc, null, 2)}\n`);
    };
    write(false);
    const failed = snapctl(world.applyArgv('2026-03-05T03:00:00Z', false));
    assert.equal(failed.code, 1, describe(failed));
    assert.match(failed.stdout, /lvm \S+ is empty \(its snapshot holds no file\): no archive written/);
    assert.deepEqual(world.files().filter((f) => f.includes('_blank.')), []);
    assert.deepEqual(snapctlSnapshots(VG), [], 'the snapshot is removed');
    assert.deepEqual(mountsUnder(world.mountRoot), []);
    write(true);
    const archived = snapctl(world.applyArgv('2026-03-05T03:00:00Z', false));
    assert.equal(archived.code, 0, describe(archived));
    assert.equal(world.files().filter((f) => f.includes('_blank.') && f.endsWith('.tar.zst')).length, 1);
  });
});

test('an origin LV that is not active: plan shows an Error, apply refuses before lvcreate, so no snapshot is made and nothing is mounted', async () => {
  await timed('origins: inactive origin', () => {
    // An LV with a file system, never mounted, then deactivated.
    must('lvcreate', ['-qq', '-y', '-L', '32M', '-n', 'lv_inactive', VG]);
    mkfs(`/dev/${VG}/lv_inactive`, 'ext4');
    must('lvchange', ['-an', `${VG}/lv_inactive`]);
    try {
      const doc = { version: 1, timezone: 'UTC', hosts: { [HOST]: { backupDir: world.backupRoot, mountRoot: world.mountRoot, volumes: { off: { lvm: `${VG}/lv_inactive` } } } } };
      writeFileSync(world.policyFile, `${JSON.stringify(doc, null, 2)}\n`);
      const plan = snapctl(['plan', '--policy', world.policyFile, '--host', HOST, '--now', '2026-03-06T03:00:00Z']);
      assert.equal(plan.code, 0, describe(plan));
      assert.match(plan.stdout, new RegExp(`^Error: off: ${VG}/lv_inactive is not active \\(lv_attr -wi-------\\): its snapshot would have no device to mount; activate it \\(lvchange -ay ${VG}/lv_inactive\\); apply will fail for this volume$`, 'm'));
      const applied = snapctl(world.applyArgv('2026-03-06T03:00:00Z', false));
      assert.equal(applied.code, 1, describe(applied));
      assert.match(applied.stdout, new RegExp(`${VG}/lv_inactive is not active`));
      assert.deepEqual(snapctlSnapshots(VG), [], 'no snapshot was made');
      assert.deepEqual(mountsUnder(world.mountRoot), []);
      assert.deepEqual(world.files().filter((f) => f.includes('_off.')), []);
    } finally {
      must('lvchange', ['-ay', `${VG}/lv_inactive`]);
    }
  });
});

test('an LV holding swap or nothing recognisable is a plan Error and fails its volume with what it holds; its snapshot is removed and nothing stays mounted', async () => {
  await timed('origins: swap and raw LVs', () => {
    must('lvcreate', ['-qq', '-y', '-L', '16M', '-n', 'lv_swap', VG]);
    must('mkswap', ['-q', `/dev/${VG}/lv_swap`]);
    must('lvcreate', ['-qq', '-y', '-L', '16M', '-n', 'lv_raw', VG]);
    const doc = { version: 1, timezone: 'UTC', hosts: { [HOST]: { backupDir: world.backupRoot, mountRoot: world.mountRoot, volumes: { swap: { lvm: `${VG}/lv_swap` }, raw: { lvm: `${VG}/lv_raw` } } } } };
    writeFileSync(world.policyFile, `${JSON.stringify(doc, null, 2)}\n`);
    const plan = snapctl(['plan', '--policy', world.policyFile, '--host', HOST, '--now', '2026-03-07T03:00:00Z']);
    assert.equal(plan.code, 0, describe(plan));
    assert.deepEqual(plan.stdout.split('\n').filter((l) => l.startsWith('Error: ')), [
      `Error: swap: ${VG}/lv_swap holds a swap area (blkid: swap), not a file system: apply will fail for this volume`,
      `Error: raw: ${VG}/lv_raw holds no file system that blkid recognises: apply will fail for this volume`,
    ]);
    const applied = snapctl(world.applyArgv('2026-03-07T03:00:00Z', false));
    assert.equal(applied.code, 1, describe(applied));
    assert.match(applied.stdout, new RegExp(`^ +error: ${VG}/lv_swap holds a swap area \\(blkid: swap\\), not a file system: snapctl archives the files of a mounted file system \\(point the volume at the LV that holds the file system\\)$`, 'm'));
    assert.match(applied.stdout, new RegExp(`^ +error: no filesystem found on snapshot \\S+snapctl_raw_\\S+ \\(blkid recognised nothing on \\S+: ${VG}/lv_raw holds no file system to archive\\)$`, 'm'));
    assert.deepEqual(snapctlSnapshots(VG), [], 'both snapshots are removed');
    assert.deepEqual(mountsUnder(world.mountRoot), []);
  });
});
