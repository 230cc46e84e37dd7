import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp as mkdtempRaw, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { writeArchive, type ArchiveOptions } from '../../src/apply/archive-writer.js';
import { SnapctlError } from '../../src/core/errors.js';
import { sh, withTmpfs } from '../helpers/loopfs.js';

const never = new AbortController().signal;
const made: string[] = [];
const mkdtemp = async (prefix: string): Promise<string> => {
  const dir = await mkdtempRaw(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
};
after(async () => {
  for (const dir of made) await rm(dir, { recursive: true, force: true });
});

/** Live children of this process (zombies included), from /proc. */
function children(): string[] {
  const out = execFileSync('ps', ['-o', 'pid=,stat=,comm=', '--ppid', String(process.pid)], { encoding: 'utf8' }).trim();
  return out === '' ? [] : out.split('\n').filter((l) => !/\bps$/.test(l));
}

async function randomTree(mib: number): Promise<string> {
  const src = await mkdtemp('snapctl-src-');
  sh('dd', ['if=/dev/urandom', `of=${join(src, 'random.bin')}`, 'bs=1M', `count=${mib}`, 'status=none']);
  return src;
}

const operationError = (pattern: RegExp) => (err: unknown) => {
  assert.ok(err instanceof SnapctlError, String(err));
  assert.equal(err.kind, 'operation');
  assert.match(err.summary, pattern);
  return true;
};

test('a missing source fails with tar\'s message and leaves no partial or sidecar', async () => {
  const dest = await mkdtemp('snapctl-dest-');
  await assert.rejects(
    writeArchive({ sourceDir: join(dest, 'nope'), destDir: dest, finalName: 'v.tar.zst', compression: 'zstd', exclude: [], signal: never }),
    operationError(/tar failed \(exit 2\).*nope.*No such file or directory/),
  );
  assert.deepEqual(await readdir(dest), []);
});

/**
 * Archives 48 MiB of random data with `options`, aborting at the first
 * progress report of at least `abortAt` bytes; checks that the write
 * rejects as interrupted and leaves no file and no child behind, and
 * returns how far tar had got.
 */
async function abortMidArchive(options: Pick<ArchiveOptions, 'finalName' | 'compression' | 'level' | 'hashBacklogBytes'>, abortAt: number): Promise<number> {
  const src = await randomTree(48);
  const dest = await mkdtemp('snapctl-dest-');
  const ac = new AbortController();
  let progressed = 0;
  await assert.rejects(
    writeArchive({
      sourceDir: src,
      destDir: dest,
      exclude: [],
      signal: ac.signal,
      ...options,
      onProgress: (bytes) => {
        progressed = bytes;
        if (bytes >= abortAt) ac.abort();
      },
    }),
    operationError(/interrupted/),
  );
  assert.deepEqual(await readdir(dest), []);
  assert.deepEqual(children(), []);
  return progressed;
}

test('aborting mid-archive kills tar and the compressor, removes the partial, and rejects', async () => {
  // First progress report (10 MB into 48): tar and xz are certainly still running.
  const progressed = await abortMidArchive({ finalName: 'v.tar.xz', compression: 'xz', level: 9 }, 1);
  assert.ok(progressed > 0 && progressed < 48 * 1024 * 1024, `aborted at ${progressed}`);
});

test('aborting while the archive is being hashed behind the writer stops the hashing before the partial is removed', async () => {
  // Hash every MiB as it is written, so that reads are in flight when the abort comes.
  const progressed = await abortMidArchive({ finalName: 'v.tar', compression: 'none', hashBacklogBytes: 1 << 20 }, 20 * 1024 * 1024);
  assert.ok(progressed >= 20 * 1024 * 1024 && progressed < 48 * 1024 * 1024, `aborted at ${progressed}`);
});

test('an already aborted signal starts nothing', async () => {
  const src = await randomTree(1);
  const dest = await mkdtemp('snapctl-dest-');
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(writeArchive({ sourceDir: src, destDir: dest, finalName: 'v.tar', compression: 'none', exclude: [], signal: ac.signal }), operationError(/interrupted/));
  assert.deepEqual(await readdir(dest), []);
});

test('a full destination (ENOSPC) fails clearly, removes the partial and leaves existing archives untouched', async () => {
  const src = await randomTree(8);
  await withTmpfs('2m', async (dest) => {
    await writeFile(join(dest, 'old.tar.zst'), 'an older archive\n');
    await writeFile(join(dest, 'old.tar.zst.sha256'), 'sidecar\n');
    for (const compression of ['zstd', 'none'] as const) {
      await assert.rejects(
        writeArchive({ sourceDir: src, destDir: dest, finalName: `new.${compression}`, compression, exclude: [], signal: never }),
        operationError(/^no space left on device \(ENOSPC\) writing .*new\.(zstd|none)\.partial$/),
      );
      assert.deepEqual((await readdir(dest)).sort(), ['old.tar.zst', 'old.tar.zst.sha256']);
    }
    assert.equal(await readFile(join(dest, 'old.tar.zst'), 'utf8'), 'an older archive\n');
  });
  assert.deepEqual(children(), []);
});

test('only the writer\'s report about the archive means a full disk: tar naming a file called "No space left on device" does not', async () => {
  const src = await mkdtemp('snapctl-src-');
  await writeFile(join(src, 'data.txt'), 'kept\n');
  // A socket: tar skips it with a warning that names it.
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(join(src, 'No space left on device'), resolve));
  try {
    for (const compression of ['none', 'zstd'] as const) {
      const dest = await mkdtemp('snapctl-dest-');
      const r = await writeArchive({ sourceDir: src, destDir: dest, finalName: `v.${compression}`, compression, exclude: [], signal: never });
      assert.deepEqual(r.warnings, ['tar: ./No space left on device: socket ignored']);
      assert.deepEqual((await readdir(dest)).sort(), [`v.${compression}`, `v.${compression}.sha256`]);
    }
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});

test('beforeCommit runs before the final name exists; when it throws, the partial is removed and its error propagates', async () => {
  const src = await randomTree(1);
  const dest = await mkdtemp('snapctl-dest-');
  let seen: string[] = [];
  await assert.rejects(
    writeArchive({
      sourceDir: src,
      destDir: dest,
      finalName: 'v.tar',
      compression: 'none',
      exclude: [],
      signal: never,
      beforeCommit: async () => {
        seen = (await readdir(dest)).sort();
        throw new SnapctlError('operation', 'snapshot overflowed');
      },
    }),
    operationError(/^snapshot overflowed$/),
  );
  assert.deepEqual(seen, ['v.tar.partial']);
  assert.deepEqual(await readdir(dest), []);
});
