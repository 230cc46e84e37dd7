// tar's and the compressor's exit statuses, provoked with tiny stand-in
// programs put first on PATH (the real tar does the work where one is needed).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeArchive } from '../../src/apply/archive-writer.js';
import { probeTar } from '../../src/apply/tar-command.js';
import { SnapctlError } from '../../src/core/errors.js';

const never = new AbortController().signal;
const realTar = execFileSync('sh', ['-c', 'command -v tar'], { encoding: 'utf8' }).trim();
const originalPath = process.env['PATH'];
let base = '';
let src = '';

before(async () => {
  // The capability probe runs once per process: let it see the real tar.
  await probeTar();
  base = await mkdtemp(join(tmpdir(), 'snapctl-fake-'));
  src = join(base, 'src');
  execFileSync('mkdir', ['-p', join(src, 'd')]);
  await writeFile(join(src, 'd/f'), 'data\n');
});
after(async () => {
  process.env['PATH'] = originalPath;
  await rm(base, { recursive: true, force: true });
});

/** Puts executables `name` → shell body first on PATH for the duration of `fn`. */
async function withFakes<T>(fakes: Record<string, string>, fn: () => Promise<T>, only = false): Promise<T> {
  const bin = await mkdtemp(join(base, 'bin-'));
  for (const [name, body] of Object.entries(fakes)) {
    await writeFile(join(bin, name), `#!/bin/sh\n${body}\n`);
    await chmod(join(bin, name), 0o755);
  }
  process.env['PATH'] = only ? bin : `${bin}:${originalPath ?? ''}`;
  try {
    return await fn();
  } finally {
    process.env['PATH'] = originalPath;
  }
}

const archive = (dest: string) => writeArchive({ sourceDir: src, destDir: dest, finalName: 'v.tar.zst', compression: 'zstd', exclude: [], signal: never });

test('tar exit 1 ("file changed as we read it") keeps the archive and returns the message as a warning', async () => {
  const dest = await mkdtemp(join(base, 'dest-'));
  const r = await withFakes({ tar: `"${realTar}" "$@"; echo "tar: ./d/f: file changed as we read it" >&2; exit 1` }, () => archive(dest));
  assert.deepEqual(r.warnings, ['tar: ./d/f: file changed as we read it']);
  assert.deepEqual((await readdir(dest)).sort(), ['v.tar.zst', 'v.tar.zst.sha256']);
});

test('tar exit 2 after writing everything still fails the archive and leaves nothing', async () => {
  const dest = await mkdtemp(join(base, 'dest-'));
  await assert.rejects(
    withFakes({ tar: `"${realTar}" "$@"; echo "tar: ./d: Cannot open: Permission denied" >&2; exit 2` }, () => archive(dest)),
    (err: unknown) => err instanceof SnapctlError && /tar failed \(exit 2\): tar: \.\/d: Cannot open: Permission denied$/.test(err.summary),
  );
  assert.deepEqual(await readdir(dest), []);
});

test('tar\'s errors: the last three in the summary without tar\'s closing line, the earlier ones only in the detail', async () => {
  const dest = await mkdtemp(join(base, 'dest-'));
  const lines = [1, 2, 3, 4, 5].map((i) => `tar: ./f${i}: Cannot open: Permission denied`);
  const body = `"${realTar}" "$@"; ${lines.map((l) => `echo "${l}" >&2`).join('; ')}; echo "tar: Exiting with failure status due to previous errors" >&2; exit 2`;
  await assert.rejects(
    withFakes({ tar: body }, () => archive(dest)),
    (err: unknown) => {
      assert.ok(err instanceof SnapctlError);
      assert.ok(err.summary.endsWith(`tar failed (exit 2): ${lines.slice(2).join('; ')}`), err.summary);
      assert.equal(err.detail, `2 earlier lines of tar's errors:\n${lines.slice(0, 2).join('\n')}`);
      return true;
    },
  );
  await assert.rejects(
    withFakes({ tar: `"${realTar}" "$@"; echo "${lines[0]}" >&2; echo "tar: Exiting with failure status due to previous errors" >&2; exit 2` }, () => archive(dest)),
    (err: unknown) => err instanceof SnapctlError && err.summary.endsWith(`tar failed (exit 2): ${lines[0]}`) && err.detail === undefined,
  );
});

test('a compressor that fails is named with its exit status and its last message', async () => {
  const dest = await mkdtemp(join(base, 'dest-'));
  await assert.rejects(
    withFakes({ zstd: 'cat >/dev/null; echo "zstd: error 70 : Write error : cannot write block" >&2; exit 1' }, () => archive(dest)),
    (err: unknown) => err instanceof SnapctlError && /: zstd failed \(exit 1\): zstd: error 70 : Write error : cannot write block$/.test(err.summary),
  );
  assert.deepEqual(await readdir(dest), []);
});

test('a compressor killed by a signal is reported as such', async () => {
  const dest = await mkdtemp(join(base, 'dest-'));
  await assert.rejects(
    withFakes({ zstd: 'kill -9 $$' }, () => archive(dest)),
    (err: unknown) => err instanceof SnapctlError && /: zstd was killed by SIGKILL$/.test(err.summary),
  );
  assert.deepEqual(await readdir(dest), []);
});

test('a missing compressor program is reported as not found', async () => {
  const dest = await mkdtemp(join(base, 'dest-'));
  await assert.rejects(
    withFakes({ tar: `exec "${realTar}" "$@"` }, () => archive(dest), true),
    (err: unknown) => err instanceof SnapctlError && /: zstd was not found$/.test(err.summary),
  );
  assert.deepEqual(await readdir(dest), []);
});
