import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, link, lstat, mkdir, mkdtemp as mkdtempRaw, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeArchive } from '../../src/apply/archive-writer.js';
import { decompressArgv } from '../../src/apply/compressors.js';
import type { Compression } from '../../src/core/model.js';
import { describeTree } from '../helpers/tree.js';
import { sh } from '../helpers/loopfs.js';

const never = new AbortController().signal;
const made: string[] = [];
const mkdtemp = async (prefix: string): Promise<string> => {
  const dir = await mkdtempRaw(prefix);
  made.push(dir);
  return dir;
};
after(async () => {
  for (const dir of made) await rm(dir, { recursive: true, force: true });
});

/** A tree with the things backups get wrong: links, odd names, owners, modes, holes, xattrs. */
async function makeTree(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'snapctl-src-'));
  await mkdir(join(root, 'a/b/c'), { recursive: true });
  await writeFile(join(root, 'a/b/c/deep.txt'), 'deep\n');
  await writeFile(join(root, 'a/file.txt'), 'hello world\n'.repeat(1000));
  await symlink('a/file.txt', join(root, 'link-to-file'));
  await symlink('does/not/exist', join(root, 'dangling'));
  await writeFile(join(root, 'hard1'), 'shared inode\n');
  await link(join(root, 'hard1'), join(root, 'a/hard2'));
  await mkdir(join(root, 'empty-dir'));
  for (const name of ['with space', 'new\nline', 'ünïcødé ✓', '-leading-dash', '--exclude=x']) await writeFile(join(root, name), `${name}\n`);
  await writeFile(join(root, 'owned'), 'owned by 1234\n');
  sh('chown', ['1234:1234', join(root, 'owned')]);
  await mkdir(join(root, 'private'));
  await chmod(join(root, 'private'), 0o700);
  await writeFile(join(root, 'setuid'), '#!/bin/sh\n');
  await chmod(join(root, 'setuid'), 0o4755);
  await mkdir(join(root, 'sticky'));
  await chmod(join(root, 'sticky'), 0o1777);
  await writeFile(join(root, 'ro'), 'read only\n');
  await chmod(join(root, 'ro'), 0o440);
  // 32 MiB with one block of data in the middle.
  sh('truncate', ['-s', '32M', join(root, 'sparse')]);
  sh('dd', ['if=/dev/urandom', `of=${join(root, 'sparse')}`, 'bs=4096', 'count=1', 'seek=4000', 'conv=notrunc', 'status=none']);
  sh('setfattr', ['-n', 'user.snapctl', '-v', 'kept', join(root, 'a/file.txt')]);
  sh('setfacl', ['-m', 'u:1234:r', join(root, 'ro')]);
  return root;
}

function extract(archive: string, compression: Compression, extraTarArgs: readonly string[] = []): string {
  const dir = execFileSync('mktemp', ['-d', join(tmpdir(), 'snapctl-out-XXXXXX')], { encoding: 'utf8' }).trim();
  made.push(dir);
  const dec = decompressArgv(compression);
  const tarCmd = `tar -x ${extraTarArgs.join(' ')} -C '${dir}'`;
  const cmd = dec === undefined ? `${tarCmd} -f '${archive}'` : `${dec.join(' ')} < '${archive}' | ${tarCmd}`;
  execFileSync('bash', ['-o', 'pipefail', '-c', cmd]);
  return dir;
}

async function sha256Of(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex');
}

const withoutXattrs = <T extends object>(tree: Record<string, T>): Record<string, Omit<T, 'xattrs'>> =>
  Object.fromEntries(Object.entries(tree).map(([k, v]) => [k, Object.fromEntries(Object.entries(v).filter(([f]) => f !== 'xattrs')) as Omit<T, 'xattrs'>]));

test('a zstd archive restores with plain `zstd -dc A | tar -x` to the same tree: links, odd names, owners, modes, empty dirs', async () => {
  const src = await makeTree();
  const dest = await mkdtemp(join(tmpdir(), 'snapctl-dest-'));
  const r = await writeArchive({ sourceDir: src, destDir: dest, finalName: 'v.tar.zst', compression: 'zstd', exclude: [], signal: never });
  assert.equal(r.path, join(dest, 'v.tar.zst'));
  const out = extract(r.path, 'zstd');
  assert.deepEqual(withoutXattrs(await describeTree(out)), withoutXattrs(await describeTree(src)));
  assert.deepEqual((await readdir(dest)).sort(), ['v.tar.zst', 'v.tar.zst.sha256']);
});

test('the result and the sidecar carry the archive file\'s sha256 and size, and `sha256sum -c` passes', async () => {
  const src = await makeTree();
  const dest = await mkdtemp(join(tmpdir(), 'snapctl-dest-'));
  const r = await writeArchive({ sourceDir: src, destDir: dest, finalName: 'v.tar.zst', compression: 'zstd', exclude: [], signal: never });
  assert.equal(r.sha256, await sha256Of(r.path));
  assert.equal(r.bytes, (await lstat(r.path)).size);
  assert.equal(await readFile(`${r.path}.sha256`, 'utf8'), `${r.sha256}  v.tar.zst\n`);
  assert.match(execFileSync('sha256sum', ['-c', 'v.tar.zst.sha256'], { cwd: dest, encoding: 'utf8' }), /^v\.tar\.zst: OK$/m);
});

test('hashed in catch-up bursts while written (a 1 MiB backlog over a 24 MiB archive), the sidecar still matches the whole file', async () => {
  const src = await mkdtemp(join(tmpdir(), 'snapctl-src-'));
  sh('dd', ['if=/dev/urandom', `of=${join(src, 'random')}`, 'bs=1M', 'count=24', 'status=none']);
  const dest = await mkdtemp(join(tmpdir(), 'snapctl-dest-'));
  const r = await writeArchive({ sourceDir: src, destDir: dest, finalName: 'v.tar.zst', compression: 'zstd', exclude: [], signal: never, hashBacklogBytes: 1 << 20 });
  assert.ok(r.bytes > 24 << 20, `random data stays ~24 MiB compressed, got ${r.bytes}`);
  assert.equal(r.sha256, await sha256Of(r.path));
  assert.match(execFileSync('sha256sum', ['-c', 'v.tar.zst.sha256'], { cwd: dest, encoding: 'utf8' }), /^v\.tar\.zst: OK$/m);
});

test('writing an archive leaves the priority of node and of the children it starts later as it was', async () => {
  const before = getPriority();
  const src = await makeTree();
  const dest = await mkdtemp(join(tmpdir(), 'snapctl-dest-'));
  await writeArchive({ sourceDir: src, destDir: dest, finalName: 'v.tar.zst', compression: 'zstd', exclude: [], signal: never });
  assert.equal(getPriority(), before);
  // A child started afterwards inherits the main thread's priority: its nice value (field 19 of /proc/self/stat) is unchanged.
  const stat = execFileSync('cat', ['/proc/self/stat'], { encoding: 'utf8' });
  assert.equal(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]), before);
});

test('members are named ./… and include the root entry', async () => {
  const src = await makeTree();
  const dest = await mkdtemp(join(tmpdir(), 'snapctl-dest-'));
  const r = await writeArchive({ sourceDir: src, destDir: dest, finalName: 'v.tar', compression: 'none', exclude: [], signal: never });
  const names = sh('tar', ['-tf', r.path]).split('\n').filter((l) => l !== '');
  assert.equal(names[0], './');
  assert.ok(names.every((n) => n.startsWith('./')), names.join(','));
  assert.ok(names.includes('./a/b/c/deep.txt'));
});

test('xattrs and POSIX ACLs come back when extracted with --xattrs --acls', async () => {
  const src = await makeTree();
  const dest = await mkdtemp(join(tmpdir(), 'snapctl-dest-'));
  const r = await writeArchive({ sourceDir: src, destDir: dest, finalName: 'v.tar.zst', compression: 'zstd', exclude: [], signal: never });
  const out = extract(r.path, 'zstd', ['--xattrs', "--xattrs-include='*'", '--acls']);
  assert.deepEqual(await describeTree(out), await describeTree(src));
  assert.match(sh('getfattr', ['-n', 'user.snapctl', '--only-values', join(out, 'a/file.txt')]), /^kept$/);
  assert.match(sh('getfacl', ['-c', join(out, 'ro')]), /^user:1234:r--$/m);
});

test('a sparse file is archived as sparse: small archive, restored with holes', async () => {
  const src = await makeTree();
  const dest = await mkdtemp(join(tmpdir(), 'snapctl-dest-'));
  const r = await writeArchive({ sourceDir: src, destDir: dest, finalName: 'v.tar', compression: 'none', exclude: [], signal: never });
  // Uncompressed: without --sparse the 32 MiB of zeros would be in the tar.
  assert.ok(r.bytes < 4 * 1024 * 1024, `archive is ${r.bytes} bytes`);
  const out = extract(r.path, 'none');
  const st = await lstat(join(out, 'sparse'));
  assert.equal(st.size, 32 * 1024 * 1024);
  assert.ok(st.blocks * 512 < 1024 * 1024, `restored file uses ${st.blocks * 512} bytes`);
});

for (const compression of ['gzip', 'xz', 'none'] as const) {
  test(`a ${compression} archive restores to the same tree`, async () => {
    const src = await makeTree();
    const dest = await mkdtemp(join(tmpdir(), 'snapctl-dest-'));
    const r = await writeArchive({ sourceDir: src, destDir: dest, finalName: `v.${compression}`, compression, exclude: [], signal: never });
    const out = extract(r.path, compression);
    assert.deepEqual(withoutXattrs(await describeTree(out)), withoutXattrs(await describeTree(src)));
    execFileSync('sha256sum', ['-c', `v.${compression}.sha256`], { cwd: dest });
  });
}

test("a gzip archive restores with the seed's `gunzip -c A | tar -xvf -`", async () => {
  const src = await makeTree();
  const dest = await mkdtemp(join(tmpdir(), 'snapctl-dest-'));
  const r = await writeArchive({ sourceDir: src, destDir: dest, finalName: 'v.tar.gz', compression: 'gzip', level: 9, exclude: [], signal: never });
  const out = await mkdtemp(join(tmpdir(), 'snapctl-out-'));
  execFileSync('bash', ['-o', 'pipefail', '-c', `gunzip -c '${r.path}' | tar -xvf -`], { cwd: out, stdio: 'ignore' });
  assert.deepEqual(withoutXattrs(await describeTree(out)), withoutXattrs(await describeTree(src)));
});

test("exclude patterns follow GNU tar: unanchored by default, ./ and / anchor at the volume root, * crosses /, a trailing / is dropped", async () => {
  const src = await mkdtemp(join(tmpdir(), 'snapctl-src-'));
  for (const d of ['cache', 'a/cache', 'tmp', 'a/tmp', 'rooted', 'a/rooted', 'logs/x', 'spool/q', 'a/spool', 'srv', 'a/srv']) await mkdir(join(src, d), { recursive: true });
  for (const f of ['cache/f', 'a/cache/f', 'tmp/f', 'a/tmp/f', 'rooted/f', 'a/rooted/f', 'logs/x/app.log', 'keep.txt', 'top.log', 'spool/q/m', 'a/spool/m', 'srv/f', 'a/srv/f']) await writeFile(join(src, f), f);
  const dest = await mkdtemp(join(tmpdir(), 'snapctl-dest-'));
  const exclude = ['cache', './tmp', '/rooted', '*.log', 'spool/', '/srv//', '/'];
  const r = await writeArchive({ sourceDir: src, destDir: dest, finalName: 'v.tar', compression: 'none', exclude, signal: never });
  const names = sh('tar', ['-tf', r.path]).split('\n').filter((l) => l !== '').sort();
  assert.deepEqual(names, ['./', './a/', './a/rooted/', './a/rooted/f', './a/srv/', './a/srv/f', './a/tmp/', './a/tmp/f', './keep.txt', './logs/', './logs/x/'].sort());
});

test('excludePaths leave out exactly the named path (wildcard characters taken literally) while the policy patterns still match as globs', async () => {
  const src = await mkdtemp(join(tmpdir(), 'snapctl-src-'));
  for (const d of ['bk[1]', 'bk1', 'a/bk[1]']) await mkdir(join(src, d), { recursive: true });
  for (const f of ['bk[1]/old.tar.zst', 'bk1/f', 'a/bk[1]/f', 'keep.txt', 'x.log']) await writeFile(join(src, f), f);
  const dest = await mkdtemp(join(tmpdir(), 'snapctl-dest-'));
  const r = await writeArchive({ sourceDir: src, destDir: dest, finalName: 'v.tar', compression: 'none', exclude: ['*.log'], excludePaths: ['bk[1]'], signal: never });
  const names = sh('tar', ['-tf', r.path]).split('\n').filter((l) => l !== '').sort();
  assert.deepEqual(names, ['./', './a/', './a/bk[1]/', './a/bk[1]/f', './bk1/', './bk1/f', './keep.txt'].sort());
});
