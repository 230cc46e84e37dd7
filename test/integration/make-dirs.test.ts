// makeDirs on real file systems: the cases where node 20's
// mkdir({ recursive: true }) spins forever (a parent that exists but cannot
// hold new entries, as under /proc) or names the wrong error. Each call runs
// in a child process with a time limit, so a regression fails instead of
// hanging the suite.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withTmpfs } from '../helpers/loopfs.js';

const MODULE = new URL('../../src/adapters/make-dirs.js', import.meta.url).href;

/** makeDirs(dir, mode) in a child node; its error code, or 'ok'. */
function makeDirsIn(dir: string, mode = 0o700): string {
  const script = `import(${JSON.stringify(MODULE)}).then((m) => { try { m.makeDirs(${JSON.stringify(dir)}, ${mode}); console.log('ok'); } catch (e) { console.log(e.code); } });`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(r.signal, null, `makeDirs(${dir}) did not finish in 10 s`);
  return r.stdout.trim();
}

test('makeDirs creates missing parents with the mode, accepts existing directories and symlinks to them', async () => {
  const base = await mkdtemp(join(tmpdir(), 'snapctl-mkdirs-'));
  try {
    assert.equal(makeDirsIn(join(base, 'a/b/c')), 'ok');
    assert.equal((await stat(join(base, 'a/b/c'))).mode & 0o777, 0o700);
    assert.equal((await stat(join(base, 'a'))).mode & 0o777, 0o700);
    assert.equal(makeDirsIn(join(base, 'a/b/c')), 'ok', 'again: it exists');
    await symlink(join(base, 'a'), join(base, 'link'));
    assert.equal(makeDirsIn(join(base, 'link/b/d')), 'ok');
    assert.ok((await stat(join(base, 'a/b/d'))).isDirectory());
  } finally {
    await rm(base, { recursive: true, force: true });
  }
});

test('makeDirs ends with the real error: ENOENT under /proc (where node 20 loops), a dangling symlink, ENOTDIR, EROFS', async () => {
  assert.equal(makeDirsIn('/proc/snapctl-no-such/dir'), 'ENOENT');
  const base = await mkdtemp(join(tmpdir(), 'snapctl-mkdirs-'));
  try {
    await symlink(join(base, 'unmounted/nas'), join(base, 'backup'));
    assert.equal(makeDirsIn(join(base, 'backup/h1')), 'ENOENT');
    await writeFile(join(base, 'file'), 'x');
    assert.equal(makeDirsIn(join(base, 'file/h1')), 'ENOTDIR');
    assert.equal(makeDirsIn(join(base, 'file')), 'ENOTDIR');
  } finally {
    await rm(base, { recursive: true, force: true });
  }
  await withTmpfs('1m', (fs) => {
    execFileSync('mount', ['-o', 'remount,ro', fs]);
    assert.equal(makeDirsIn(join(fs, 'backup/h1')), 'EROFS', 'not the ENOENT node reports');
    return Promise.resolve();
  });
});

test('apply whose log, state and backup directories cannot be made (under /proc) ends, saying why, instead of spinning', async () => {
  const { policyDoc, ROOT, workspace } = await import('../helpers/snapctl-cli.js');
  const ws = await workspace();
  try {
    const src = join(ws.dir, 'src');
    await mkdir(src);
    await writeFile(join(src, 'file'), 'data\n');
    await ws.writePolicy(policyDoc(ws, { docs: { path: src } }));
    const run = (...extra: string[]) =>
      spawnSync(process.execPath, ['bin/snapctl.js', 'apply', ...ws.common('2026-03-01T03:00:00Z'), '--lock-file', ws.lockFile, ...extra], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
    const logAndState = run('--log-dir', '/proc/snapctl-no-such/log', '--state-dir', '/proc/snapctl-no-such/state');
    assert.equal(logAndState.signal, null, 'apply did not finish in 30 s');
    assert.equal(logAndState.status, 0, logAndState.stderr);
    assert.match(logAndState.stderr, /warning: cannot write the log \/proc\/snapctl-no-such\/log\/snapctl\.log \(ENOENT/);
    assert.match(logAndState.stderr, /could not record the run state: ENOENT/);
    const backup = run('--log-dir', ws.logDir, '--state-dir', ws.stateDir, '--backup-dir', '/proc/snapctl-no-such/backup', '--now', '2026-03-02T03:00:00Z');
    assert.equal(backup.signal, null, 'apply did not finish in 30 s');
    assert.equal(backup.status, 1, backup.stderr);
    assert.match(backup.stderr, /cannot create the backup directory \/proc\/snapctl-no-such\/backup\/h1: ENOENT/);
  } finally {
    await ws.cleanup();
  }
});
