// pathWithinDevice on a real block device (an ext4 image on a loop device):
// what the LVM driver uses to leave out a backup directory that lies on the
// volume being archived.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathWithinDevice } from '../../src/adapters/mountinfo.js';
import { deviceContent } from '../../src/adapters/mounts.js';

test('pathWithinDevice on a real loop device: a directory on its file system is found relative to its root, through a bind mount too; others are not', async () => {
  const base = await mkdtemp(join(tmpdir(), 'snapctl-devpath-'));
  const image = join(base, 'fs.img');
  const mnt = join(base, 'mnt');
  const bind = join(base, 'bind');
  await mkdir(mnt);
  await mkdir(bind);
  execFileSync('truncate', ['-s', '16M', image]);
  execFileSync('mkfs.ext4', ['-q', '-F', image]);
  const loop = execFileSync('losetup', ['--find', '--show', image], { encoding: 'utf8' }).trim();
  try {
    execFileSync('mount', [loop, mnt]);
    await mkdir(join(mnt, 'srv/backup'), { recursive: true });
    execFileSync('mount', ['--bind', join(mnt, 'srv'), bind]);
    try {
      assert.equal(await pathWithinDevice(loop, join(mnt, 'srv/backup')), 'srv/backup');
      assert.equal(await pathWithinDevice(loop, join(bind, 'backup')), 'srv/backup', 'through the bind mount: the same place in the file system');
      assert.equal(await pathWithinDevice(loop, mnt), '', 'the root itself');
      assert.equal(await pathWithinDevice(loop, base), undefined, 'a directory on another file system');
      assert.equal(await pathWithinDevice(image, join(mnt, 'srv')), undefined, 'not a block device');
      assert.equal(await pathWithinDevice(loop, join(mnt, 'srv/missing/backup')), 'srv/missing/backup', 'a directory not made yet: where it will be made');
      assert.equal(await pathWithinDevice(loop, join(base, 'missing/backup')), undefined, 'not made yet, elsewhere');
    } finally {
      execFileSync('umount', [bind]);
      execFileSync('umount', [mnt]);
    }
  } finally {
    execFileSync('losetup', ['-d', loop]);
    await rm(base, { recursive: true, force: true });
  }
});

test('deviceContent on real loop devices: the file system type, null for a blank device, undefined for a user who may not read it', async () => {
  const base = await mkdtemp(join(tmpdir(), 'snapctl-content-'));
  const loops: string[] = [];
  try {
    const attach = (name: string, mkfs: boolean): string => {
      const image = join(base, name);
      execFileSync('truncate', ['-s', '16M', image]);
      if (mkfs) execFileSync('mkfs.ext4', ['-q', '-F', image]);
      const loop = execFileSync('losetup', ['--find', '--show', image], { encoding: 'utf8' }).trim();
      loops.push(loop);
      return loop;
    };
    const ext4 = attach('fs.img', true);
    const blank = attach('blank.img', false);
    assert.equal(await deviceContent(ext4), 'ext4');
    assert.equal(await deviceContent(blank), null);
    const module = new URL('../../src/adapters/mounts.js', import.meta.url).href;
    const script = `const { deviceContent } = await import(${JSON.stringify(module)}); process.stdout.write(String(await deviceContent(${JSON.stringify(ext4)})));`;
    const asNobody = execFileSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(asNobody, 'undefined', 'blkid says Permission denied with the same exit code as for a blank device');
  } finally {
    for (const loop of loops) execFileSync('losetup', ['-d', loop]);
    await rm(base, { recursive: true, force: true });
  }
});
