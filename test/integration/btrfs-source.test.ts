import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeArchive } from '../../src/apply/archive-writer.js';
import type { TakeContext } from '../../src/apply/source.js';
import { btrfsSource, deleteBtrfsSnapshot, listBtrfsLeftovers, nestedSubvolumes } from '../../src/adapters/btrfs-source.js';
import { SnapctlError } from '../../src/core/errors.js';
import type { Volume } from '../../src/core/model.js';
import { fakeBin } from '../helpers/fake-bin.js';
import { sh, withLoopBtrfs, withTmpfs } from '../helpers/loopfs.js';
import { testVolume } from '../helpers/volume.js';

const dests: string[] = [];
after(async () => {
  for (const d of dests) await rm(d, { recursive: true, force: true });
});

function volume(name: string, subvolume: string): Volume {
  return testVolume(name, { kind: 'btrfs', subvolume }, { retention: { last: 1 } });
}

function ctx(runStamp = '20250102T030405Z'): TakeContext & { lines: string[] } {
  const lines: string[] = [];
  return { host: 'h', mountRoot: '/run/snapctl', runStamp, signal: new AbortController().signal, log: { info: (m) => lines.push(m), warn: (m) => lines.push(m) }, lines };
}

async function archiveMembers(dir: string): Promise<{ names: string[]; path: string }> {
  const dest = await mkdtemp(join(tmpdir(), 'snapctl-dest-'));
  dests.push(dest);
  const r = await writeArchive({ sourceDir: dir, destDir: dest, finalName: 'v.tar.zst', compression: 'zstd', exclude: [], signal: new AbortController().signal });
  const names = sh('bash', ['-o', 'pipefail', '-c', `zstd -dc '${r.path}' | tar -t`]).split('\n').filter((l) => l !== '').sort();
  return { names, path: r.path };
}

const exists = (p: string): Promise<boolean> => stat(p).then(() => true, () => false);

test('a btrfs snapshot archives the subvolume as it was when taken; release() deletes the snapshot, twice is fine', async () => {
  await withLoopBtrfs(async (mnt) => {
    const sub = join(mnt, 'data');
    sh('btrfs', ['subvolume', 'create', sub]);
    await writeFile(join(sub, 'before.txt'), 'before\n');
    const v = volume('data', sub);
    const c = ctx();
    await btrfsSource.preflight(v, c);
    const prepared = await btrfsSource.take(v, c);
    assert.equal(prepared.dir, join(mnt, '.snapctl-data-20250102T030405Z'));
    await writeFile(join(sub, 'after.txt'), 'after\n');
    await writeFile(join(sub, 'before.txt'), 'changed\n');
    assert.equal(await prepared.verify(), undefined);
    const { names, path } = await archiveMembers(prepared.dir);
    assert.deepEqual(names, ['./', './before.txt']);
    assert.equal(sh('bash', ['-o', 'pipefail', '-c', `zstd -dc '${path}' | tar -xO ./before.txt`]), 'before\n');
    await prepared.release();
    assert.equal(await exists(prepared.dir), false);
    await prepared.release();
    assert.equal(await exists(join(sub, 'after.txt')), true);
  });
});

test('the snapshot is read-only', async () => {
  await withLoopBtrfs(async (mnt) => {
    const sub = join(mnt, 'data');
    sh('btrfs', ['subvolume', 'create', sub]);
    const prepared = await btrfsSource.take(volume('data', sub), ctx());
    await assert.rejects(writeFile(join(prepared.dir, 'x'), 'x'), /EROFS/);
    await prepared.release();
  });
});

test('preflight refuses a plain directory that is not a subvolume, naming it', async () => {
  await withLoopBtrfs(async (mnt) => {
    await mkdir(join(mnt, 'plain'));
    await assert.rejects(btrfsSource.preflight(volume('p', join(mnt, 'plain')), ctx()), (err: unknown) => {
      return err instanceof SnapctlError && err.kind === 'preflight' && err.summary === `volume p: ${join(mnt, 'plain')} is not a btrfs subvolume`;
    });
  });
});

test('leftover listing finds snapctl-named snapshots of the given volumes only', async () => {
  await withLoopBtrfs(async (mnt) => {
    const sub = join(mnt, 'data');
    sh('btrfs', ['subvolume', 'create', sub]);
    sh('btrfs', ['subvolume', 'snapshot', '-r', sub, join(mnt, '.snapctl-data-20240101T000000Z')]);
    sh('btrfs', ['subvolume', 'snapshot', '-r', sub, join(mnt, '.snapctl-data-x-20240101T000000Z')]);
    sh('btrfs', ['subvolume', 'snapshot', '-r', sub, join(mnt, 'manual-snapshot')]);
    // Named like ours but a plain directory: not a snapshot, never listed (and so never deleted).
    await mkdir(join(mnt, '.snapctl-data-20240202T000000Z'));
    assert.deepEqual(await listBtrfsLeftovers([{ volume: 'data', subvolume: sub }]), { paths: [join(mnt, '.snapctl-data-20240101T000000Z')], unchecked: [] });
    assert.deepEqual((await listBtrfsLeftovers([{ volume: 'data', subvolume: sub }, { volume: 'data-x', subvolume: sub }])).paths, [
      join(mnt, '.snapctl-data-20240101T000000Z'),
      join(mnt, '.snapctl-data-x-20240101T000000Z'),
    ]);
    await deleteBtrfsSnapshot(join(mnt, '.snapctl-data-20240101T000000Z'));
    assert.deepEqual((await listBtrfsLeftovers([{ volume: 'data', subvolume: sub }])).paths, []);
    await assert.rejects(deleteBtrfsSnapshot(join(mnt, 'manual-snapshot')), /not a snapctl snapshot name/);
    await assert.rejects(deleteBtrfsSnapshot(join(mnt, '.snapctl-data-20240202T000000Z')), /not a btrfs subvolume/);
  });
});

test('a subvolume that only has a snapshot\'s name is no leftover: a writable one holding data, a read-only snapshot of another subvolume; deletion refuses a writable one', async () => {
  await withLoopBtrfs(async (mnt) => {
    const sub = join(mnt, 'data');
    sh('btrfs', ['subvolume', 'create', sub]);
    const writable = join(mnt, '.snapctl-data-20250101T000000Z');
    sh('btrfs', ['subvolume', 'create', writable]);
    await writeFile(join(writable, 'f'), 'precious\n');
    const other = join(mnt, 'other');
    sh('btrfs', ['subvolume', 'create', other]);
    const ofOther = join(mnt, '.snapctl-data-20250102T000000Z');
    sh('btrfs', ['subvolume', 'snapshot', '-r', other, ofOther]);
    const real = join(mnt, '.snapctl-data-20250103T000000Z');
    sh('btrfs', ['subvolume', 'snapshot', '-r', sub, real]);
    assert.deepEqual(await listBtrfsLeftovers([{ volume: 'data', subvolume: sub }]), { paths: [real], unchecked: [] });
    await assert.rejects(deleteBtrfsSnapshot(writable), (err: unknown) => {
      return err instanceof SnapctlError && err.summary === `refusing to delete ${writable}: a writable subvolume, not a snapshot snapctl made (those are read-only)`;
    });
    assert.equal(await readFile(join(writable, 'f'), 'utf8'), 'precious\n');
    await deleteBtrfsSnapshot(real);
    assert.equal(await exists(real), false);
    assert.equal(await exists(ofOther), true);
  });
});

test('when the volume\'s subvolume cannot be read (btrfs subvolume show fails, as for a user), every subvolume so named is listed as unchecked', async () => {
  await withLoopBtrfs(async (mnt) => {
    const sub = join(mnt, 'data');
    sh('btrfs', ['subvolume', 'create', sub]);
    const writable = join(mnt, '.snapctl-data-20250101T000000Z');
    sh('btrfs', ['subvolume', 'create', writable]);
    const real = join(mnt, '.snapctl-data-20250103T000000Z');
    sh('btrfs', ['subvolume', 'snapshot', '-r', sub, real]);
    const fake = fakeBin({ btrfs: { stderr: 'ERROR: Could not search B-tree: Operation not permitted\n', exitCode: 1 } });
    fake.install();
    try {
      assert.deepEqual(await listBtrfsLeftovers([{ volume: 'data', subvolume: sub }]), { paths: [writable, real], unchecked: [writable, real] });
      await assert.rejects(deleteBtrfsSnapshot(real), /refusing to delete .*: cannot tell whether it is a read-only snapshot/);
    } finally {
      fake.restore();
      await fake.cleanup();
    }
    assert.equal(await exists(real), true);
  });
});

test('a subvolume mounted on its own (subvol=) under another filesystem is snapshotted inside itself; --one-file-system skips mounts inside it', async () => {
  await withLoopBtrfs(async (mnt, image) => {
    sh('btrfs', ['subvolume', 'create', join(mnt, 'data')]);
    await writeFile(join(mnt, 'data/before.txt'), 'before\n');
    await mkdir(join(mnt, 'data/mnt'));
    // A nested subvolume: btrfs snapshots are not recursive, it shows as an empty directory.
    sh('btrfs', ['subvolume', 'create', join(mnt, 'data/nested')]);
    await writeFile(join(mnt, 'data/nested/inner.txt'), 'inner\n');
    await withTmpfs('4m', async (outer) => {
      const sub = join(outer, 'data');
      await mkdir(sub);
      sh('mount', ['-o', 'loop,subvol=data', image, sub]);
      try {
        // Another filesystem mounted inside the live subvolume.
        sh('mount', ['-t', 'tmpfs', 'tmpfs', join(sub, 'mnt')]);
        await writeFile(join(sub, 'mnt/on-tmpfs.txt'), 'elsewhere\n');
        const v = volume('data', sub);
        await btrfsSource.preflight(v, ctx());
        const c = ctx();
        const prepared = await btrfsSource.take(v, c);
        assert.equal(prepared.dir, join(sub, '.snapctl-data-20250102T030405Z'));
        assert.deepEqual((await listBtrfsLeftovers([{ volume: 'data', subvolume: sub }])).paths, [prepared.dir]);
        // The nested subvolume is named (paths relative to the volume, whatever subvol= shows); snapctl's own snapshot inside it is not.
        assert.deepEqual(await nestedSubvolumes(sub, 'data'), ['nested']);
        assert.deepEqual(
          c.lines.filter((l) => l.includes('nested subvolume')),
          [`${sub}: nested subvolume ./nested is not in its snapshot (btrfs snapshots stop at subvolume boundaries), so not in its archives: one holding data to keep needs a volume of its own`],
        );
        const { names } = await archiveMembers(prepared.dir);
        assert.deepEqual(names, ['./', './before.txt', './mnt/', './nested/']);
        await prepared.release();
        assert.deepEqual((await readdir(sub)).sort(), ['before.txt', 'mnt', 'nested']);
        assert.equal(await readFile(join(sub, 'mnt/on-tmpfs.txt'), 'utf8'), 'elsewhere\n');
      } finally {
        sh('umount', ['-R', sub]);
      }
    });
  });
});

test('take() names the snapshot after the volume and run, so an existing one of the same run is an error, not overwritten', async () => {
  await withLoopBtrfs(async (mnt) => {
    const sub = join(mnt, 'data');
    sh('btrfs', ['subvolume', 'create', sub]);
    const first = await btrfsSource.take(volume('data', sub), ctx());
    await assert.rejects(btrfsSource.take(volume('data', sub), ctx()), (err: unknown) => err instanceof SnapctlError && /btrfs snapshot of .* failed/.test(err.summary));
    await first.release();
  });
});
