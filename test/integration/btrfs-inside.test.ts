// Which btrfs subvolumes lie inside a `path` volume's directory, on a real
// loop-mounted btrfs: on the top-level mount, on a `-o subvol=` mount, from a
// plain directory inside a subvolume.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { subvolumesInside } from '../../src/adapters/btrfs-inside.js';
import { fakeBin } from '../helpers/fake-bin.js';
import { sh, withLoopBtrfs, withTmpfs } from '../helpers/loopfs.js';

/** data (a subvolume) holding plain/db (a subvolume holding inner, another) and top (a subvolume); files in each. */
async function layout(mnt: string): Promise<void> {
  sh('btrfs', ['subvolume', 'create', join(mnt, 'data')]);
  await mkdir(join(mnt, 'data/plain'));
  sh('btrfs', ['subvolume', 'create', join(mnt, 'data/plain/db')]);
  sh('btrfs', ['subvolume', 'create', join(mnt, 'data/plain/db/inner')]);
  sh('btrfs', ['subvolume', 'create', join(mnt, 'data/top')]);
  await mkdir(join(mnt, 'data/none'));
  for (const f of ['data/a', 'data/plain/b', 'data/plain/db/c', 'data/plain/db/inner/d', 'data/top/e', 'data/none/f']) await writeFile(join(mnt, f), 'x\n');
}

test('the top-most subvolumes inside a directory on the top-level mount (subvolid 5): of the top level, of a subvolume, of a plain directory in one', async () => {
  await withLoopBtrfs(async (mnt) => {
    await layout(mnt);
    assert.deepEqual(await subvolumesInside(mnt), ['data']);
    assert.deepEqual(await subvolumesInside(join(mnt, 'data')), ['plain/db', 'top']);
    assert.deepEqual(await subvolumesInside(join(mnt, 'data/plain')), ['db']);
    assert.deepEqual(await subvolumesInside(join(mnt, 'data/none')), []);
  });
});

test('the same through a -o subvol= mount, whose subvolume lies below the top level', async () => {
  await withLoopBtrfs(async (mnt, image) => {
    await layout(mnt);
    await withTmpfs('4m', async (outer) => {
      const data = join(outer, 'data');
      await mkdir(data);
      sh('mount', ['-o', 'loop,subvol=data', image, data]);
      try {
        assert.deepEqual(await subvolumesInside(data), ['plain/db', 'top']);
        assert.deepEqual(await subvolumesInside(join(data, 'plain')), ['db']);
        assert.deepEqual(await subvolumesInside(join(data, 'plain/db')), ['inner']);
        assert.deepEqual(await subvolumesInside(join(data, 'none')), []);
        // Another volume's directory is archived on its own, however it is reached: here through the other mount.
        assert.deepEqual(await subvolumesInside(data, [join(mnt, 'data/top')]), ['plain/db']);
      } finally {
        sh('umount', [data]);
      }
    });
  });
});

test('leaves out the subvolumes other volumes archive and the one holding the backup directory', async () => {
  await withLoopBtrfs(async (mnt) => {
    await layout(mnt);
    assert.deepEqual(await subvolumesInside(join(mnt, 'data'), [join(mnt, 'data/top/')]), ['plain/db']);
    assert.deepEqual(await subvolumesInside(join(mnt, 'data'), [], join(mnt, 'data/plain/db/backups')), ['top']);
    // A nested subvolume another volume archives does not archive the one around it.
    assert.deepEqual(await subvolumesInside(join(mnt, 'data'), [join(mnt, 'data/plain/db/inner')]), ['plain/db', 'top']);
  });
});

test('a directory not on btrfs holds none; where btrfs cannot list subvolumes (a user), it cannot tell', async () => {
  await withTmpfs('1m', async (dir) => {
    assert.deepEqual(await subvolumesInside(dir), []);
  });
  await withLoopBtrfs(async (mnt) => {
    await layout(mnt);
    const fake = fakeBin({ btrfs: { stderr: 'ERROR: Could not search B-tree: Operation not permitted\n', exitCode: 1 } });
    fake.install();
    try {
      assert.equal(await subvolumesInside(join(mnt, 'data')), undefined);
    } finally {
      await fake.cleanup();
    }
  });
});
