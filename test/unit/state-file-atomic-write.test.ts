import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fsyncDir, writeFileAtomic } from '../../src/apply/fs-durable.js';

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'snapctl-atomic-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('writeFileAtomic replaces the file and leaves no temporary file behind', () =>
  withDir(async (dir) => {
    const path = join(dir, 'snapctl.prom');
    await writeFile(path, 'old\n');
    await writeFileAtomic(path, 'new\n');
    assert.equal(await readFile(path, 'utf8'), 'new\n');
    assert.deepEqual(await readdir(dir), ['snapctl.prom']);
  }));

test('writeFileAtomic applies the mode exactly, whatever the umask', () =>
  withDir(async (dir) => {
    const path = join(dir, 'state.json');
    const previous = process.umask(0o077);
    try {
      await writeFileAtomic(path, Buffer.from('{}'), { mode: 0o644 });
    } finally {
      process.umask(previous);
    }
    assert.equal((await stat(path)).mode & 0o777, 0o644);
  }));

test('a failed rename keeps the old file intact and removes the temporary file', () =>
  withDir(async (dir) => {
    // Renaming a file over a non-empty directory fails, after the data was written.
    const path = join(dir, 'target');
    await mkdir(path);
    await writeFile(join(path, 'keep'), 'kept');
    await assert.rejects(writeFileAtomic(path, 'data'));
    assert.deepEqual(await readdir(dir), ['target']);
    assert.equal(await readFile(join(path, 'keep'), 'utf8'), 'kept');
  }));

test('fsyncDir accepts a file system that cannot fsync a directory (EINVAL, here /proc) and still fails on a missing one', async () => {
  await fsyncDir('/proc');
  await assert.rejects(fsyncDir('/nonexistent-snapctl-dir'), { code: 'ENOENT' });
});
