// Real scratch filesystems for integration tests: a loop-mounted btrfs image
// and a size-limited tmpfs. Missing tools fail the test loudly, never skip it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function sh(file: string, args: readonly string[], input?: string): string {
  return execFileSync(file, args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], ...(input !== undefined ? { input } : {}) });
}

function haveTool(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Unmounts, retrying briefly (a just-finished child may still hold the mount), then lazily. */
function unmount(dir: string): void {
  for (let i = 0; i < 10; i++) {
    try {
      execFileSync('umount', [dir], { stdio: 'ignore' });
      return;
    } catch {
      execFileSync('sleep', ['0.2']);
    }
  }
  execFileSync('umount', ['-l', dir], { stdio: 'ignore' });
}

/** Runs `fn` with a fresh btrfs filesystem (256 MiB image, loop-mounted) at the given mount point. */
export async function withLoopBtrfs<T>(fn: (mnt: string, image: string) => Promise<T>): Promise<T> {
  assert.ok(haveTool('mkfs.btrfs'), 'mkfs.btrfs is missing: install btrfs-progs to run the btrfs tests');
  const base = await mkdtemp(join(tmpdir(), 'snapctl-btrfs-'));
  const image = join(base, 'fs.img');
  const mnt = join(base, 'mnt');
  await mkdir(mnt);
  sh('truncate', ['-s', '256M', image]);
  sh('mkfs.btrfs', ['-q', '-f', image]);
  sh('mount', ['-o', 'loop', image, mnt]);
  try {
    return await fn(mnt, image);
  } finally {
    unmount(mnt);
    await rm(base, { recursive: true, force: true });
  }
}

/** Runs `fn` with a tmpfs of `size` (mount -o size=…) mounted on a fresh directory. */
export async function withTmpfs<T>(size: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'snapctl-tmpfs-'));
  sh('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  try {
    return await fn(dir);
  } finally {
    unmount(dir);
    await rm(dir, { recursive: true, force: true });
  }
}
