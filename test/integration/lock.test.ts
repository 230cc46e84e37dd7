import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { acquireLock } from '../../src/apply/lock.js';
import { SnapctlError } from '../../src/core/errors.js';

const lockModule = new URL('../../src/apply/lock.js', import.meta.url).href;

/** A separate node process that takes the lock, says "locked", and holds it until killed. */
async function holder(path: string): Promise<ChildProcess> {
  const script = `import { acquireLock } from ${JSON.stringify(lockModule)};
await acquireLock(${JSON.stringify(path)});
process.stdout.write('locked\\n');
setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8');
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      if (out.includes('locked\n')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`lock holder exited early with ${String(code)}`)));
  });
  return child;
}

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'snapctl-lock-'));
}

test('a second process is refused while another process holds the lock, naming its pid', async () => {
  const dir = await tempDir();
  const path = join(dir, 'apply.lock');
  const child = await holder(path);
  try {
    await assert.rejects(acquireLock(path), (err: unknown) => {
      assert.ok(err instanceof SnapctlError);
      assert.equal(err.kind, 'locked');
      assert.equal(err.summary, `another snapctl apply is running (lock ${path} held by pid ${String(child.pid)})`);
      return true;
    });
  } finally {
    child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
});

test('kill -9 of the holder frees the lock: no stale lock is left behind', async () => {
  const dir = await tempDir();
  const path = join(dir, 'apply.lock');
  const child = await holder(path);
  await assert.rejects(acquireLock(path), { kind: 'locked' });
  child.kill('SIGKILL');
  await once(child, 'exit');
  const lock = await acquireLock(path);
  assert.equal((await readFile(path, 'utf8')).trim(), String(process.pid));
  await lock.release();
  await rm(dir, { recursive: true, force: true });
});

test('the same file can be locked again after release(), and the shell flock(1) sees our lock', async () => {
  const dir = await tempDir();
  const path = join(dir, 'apply.lock');
  const lock = await acquireLock(path);
  const busy = spawn('flock', ['--nonblock', path, 'true'], { stdio: 'ignore' });
  const [busyCode] = (await once(busy, 'exit')) as [number];
  assert.equal(busyCode, 1, 'flock(1) on the same path must be refused while we hold it');
  await lock.release();
  await lock.release();
  const again = await acquireLock(path);
  await again.release();
  await rm(dir, { recursive: true, force: true });
});

test('waitMs waits for the holder to finish and then takes the lock', async () => {
  const dir = await tempDir();
  const path = join(dir, 'apply.lock');
  const child = await holder(path);
  let killed = false;
  setTimeout(() => {
    killed = true;
    child.kill('SIGKILL');
  }, 300);
  const lock = await acquireLock(path, { waitMs: 10_000 });
  assert.ok(killed, 'the lock was only granted after the holder died');
  await lock.release();
  await rm(dir, { recursive: true, force: true });
});

test('waitMs gives up with the locked error when the holder keeps the lock', async () => {
  const dir = await tempDir();
  const path = join(dir, 'apply.lock');
  const child = await holder(path);
  try {
    await assert.rejects(acquireLock(path, { waitMs: 300 }), { kind: 'locked' });
  } finally {
    child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
});

test('creates the missing parent directory with mode 0755', async () => {
  const dir = await tempDir();
  const path = join(dir, 'run', 'snapctl', 'apply.lock');
  const lock = await acquireLock(path);
  assert.equal((await stat(join(dir, 'run', 'snapctl'))).mode & 0o777, 0o755);
  await lock.release();
  await rm(dir, { recursive: true, force: true });
});

test('lockState sees a held lock (and its pid) through /proc/locks without taking it, and a missing file is not created', async () => {
  const { lockState } = await import('../../src/apply/lock-state.js');
  const dir = await tempDir();
  const path = join(dir, 'apply.lock');
  try {
    assert.deepEqual(await lockState(path), { held: false });
    await assert.rejects(stat(path), /ENOENT/, 'looking does not create the lock file');
    const child = await holder(path);
    try {
      const seen = await lockState(path);
      assert.ok(seen.held && seen.sinceMs !== undefined && Math.abs(seen.sinceMs - Date.now()) < 60_000, `since when the holder wrote its pid: ${JSON.stringify(seen)}`);
      assert.deepEqual(seen, { held: true, pid: child.pid, sinceMs: seen.sinceMs });
      // Looking never takes the lock, even for a moment: the holder is still the only one.
      assert.deepEqual(await lockState(path), seen);
    } finally {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
    assert.deepEqual(await lockState(path), { held: false });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
