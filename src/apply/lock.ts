// One apply per host. The lock is flock(2) on an open file description that
// only this process holds, so the kernel drops it when the process dies in any
// way (kill -9 included): a crashed run never leaves a stale lock behind.
//
// Node has no flock binding, so the flock(1) utility takes the lock on our
// descriptor (passed as its fd 3); flock(2) locks belong to the open file
// description, which stays open in this process after flock(1) exits. Node
// opens files with O_CLOEXEC, so no other child ever inherits the lock.
// (An abstract unix socket would also be kernel-released, but it lives in the
// network namespace rather than the file system, and operators could not
// take the same lock with `flock /run/snapctl/apply.lock …` during maintenance.)
import { constants } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { dirname } from 'node:path';
import { SnapctlError } from '../core/errors.js';
import { makeDirs } from '../adapters/make-dirs.js';
import { DEFAULT_LOCK_PATH, readHolder } from './lock-state.js';

export { DEFAULT_LOCK_PATH } from './lock-state.js';

export interface Lock {
  readonly path: string;
  /** Release the lock (closes the descriptor). Idempotent. */
  release(): Promise<void>;
}

export interface LockOptions {
  /** Keep trying this long before giving up (default 0: refuse at once). */
  readonly waitMs?: number;
}

/** flock(1) exits with this when the lock is held by someone else (or the wait ran out). */
const CONFLICT_EXIT = 75;

/** Take the host lock or throw SnapctlError('locked') naming the holder's pid. */
export async function acquireLock(path: string = DEFAULT_LOCK_PATH, opts: LockOptions = {}): Promise<Lock> {
  try {
    makeDirs(dirname(path), 0o755);
  } catch (err) {
    throw lockFileError(path, err);
  }
  const deadline = Date.now() + Math.max(0, opts.waitMs ?? 0);
  for (;;) {
    const fh = await open(path, constants.O_RDWR | constants.O_CREAT, 0o644).catch((err: unknown) => {
      throw lockFileError(path, err);
    });
    let locked = false;
    try {
      locked = await flockFd(fh, Math.max(0, deadline - Date.now()));
      // Someone may have replaced the file between our open and flock; a lock
      // on an unlinked inode excludes nobody, so take it again on the new one.
      if (locked && !(await sameFile(fh, path))) {
        await fh.close();
        continue;
      }
    } catch (err) {
      await fh.close();
      throw err;
    }
    if (!locked) {
      await fh.close();
      const holder = await readHolder(path);
      throw new SnapctlError(
        'locked',
        `another snapctl apply is running (lock ${path} held by ${holder === undefined ? 'an unknown process' : `pid ${holder}`})`,
        opts.waitMs ? `waited ${opts.waitMs} ms for it to finish` : undefined,
      );
    }
    await fh.truncate(0);
    await fh.write(`${process.pid}\n`, 0);
    return lockHandle(path, fh);
  }
}

/** The lock file (or its directory) cannot be created or opened: nothing was done yet. */
function lockFileError(path: string, err: unknown): SnapctlError {
  const e = err as NodeJS.ErrnoException;
  const denied = e.code === 'EACCES' || e.code === 'EPERM';
  if (e.code === 'EROFS') {
    return new SnapctlError('preflight', `cannot create the host lock ${path}: read-only file system (EROFS)`, 'give --lock-file a path on a writable file system (the default, /run/snapctl/, is on the tmpfs /run)');
  }
  return new SnapctlError(
    'preflight',
    `cannot create the host lock ${path}: ${denied ? `permission denied (${e.code})` : (e.code ?? e.message)}`,
    'apply runs as root; to try it as another user, give --lock-file (and --log-dir, --state-dir) paths that user can write',
  );
}

/** Run flock(1) on our descriptor; true when the lock was taken. */
function flockFd(fh: FileHandle, waitMs: number): Promise<boolean> {
  const args = waitMs > 0 ? ['--exclusive', '--wait', (waitMs / 1000).toFixed(3)] : ['--exclusive', '--nonblock'];
  return new Promise((resolve, reject) => {
    const child = spawn('flock', [...args, '--conflict-exit-code', String(CONFLICT_EXIT), '3'], {
      stdio: ['ignore', 'ignore', 'pipe', fh.fd],
    });
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (err) =>
      reject(new SnapctlError('preflight', `cannot run flock(1) to take the host lock: ${err.message}`, 'install util-linux')),
    );
    child.on('close', (code) => {
      if (code === 0) resolve(true);
      else if (code === CONFLICT_EXIT) resolve(false);
      else reject(new SnapctlError('operation', `flock(1) failed with exit ${String(code)}: ${stderr.trim()}`));
    });
  });
}

async function sameFile(fh: FileHandle, path: string): Promise<boolean> {
  try {
    const [a, b] = await Promise.all([fh.stat(), stat(path)]);
    return a.ino === b.ino && a.dev === b.dev;
  } catch {
    return false;
  }
}

function lockHandle(path: string, fh: FileHandle): Lock {
  let released = false;
  return {
    path,
    async release() {
      if (released) return;
      released = true;
      // The file stays: unlinking it would let a waiter and a newcomer lock two
      // different inodes. Emptying it keeps a refusal from naming a dead pid.
      try {
        await fh.truncate(0);
      } finally {
        await fh.close();
      }
    },
  };
}
