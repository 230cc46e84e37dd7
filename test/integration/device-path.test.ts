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
      assert.equal(await pathWithinDevice(loop, mnt), undefined, 'the root itself');
      assert.equal(await pathWithinDevice(loop, base), undefined, 'a directory on another file system');
      assert.equal(await pathWithinDevice(image, join(mnt, 'srv')), undefined, 'not a block device');
      assert.equal(await pathWithinDevice(loop, join(mnt, 'missing')), undefined, 'a missing directory');
    } finally {
      execFileSync('umount', [bind]);
      execFileSync('umount', [mnt]);
    }
  } finally {
    execFileSync('losetup', ['-d', loop]);
    await rm(base, { recursive: true, force: true });
  }
});
