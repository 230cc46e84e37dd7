// Looking at the host lock without taking it (plan, to say that an apply is
// running): no child process here, so plan never loads that machinery.
import { readFile, stat } from 'node:fs/promises';
import { deviceNumbers } from '../adapters/mountinfo.js';
import type { RunningApply } from '../core/model.js';

export const DEFAULT_LOCK_PATH = '/run/snapctl/apply.lock';

/** The pid the holder wrote into the lock file, if it got that far. */
export async function readHolder(path: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt((await readFile(path, 'utf8')).trim(), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether someone holds the host lock, the pid the holder wrote into it, and
 * when it did (the file's mtime: apply writes its pid right after taking the lock).
 */
export type LockState = { readonly held: false } | ({ readonly held: true } & RunningApply);

/**
 * Whether an apply holds the lock at `path`, without taking it (plan must
 * not get in apply's way even for a moment): the kernel lists every flock
 * in /proc/locks by device and inode. Not held when the file does not
 * exist or /proc cannot be read.
 */
export async function lockState(path: string = DEFAULT_LOCK_PATH): Promise<LockState> {
  try {
    const [st, locks] = await Promise.all([stat(path), readFile('/proc/locks', 'utf8')]);
    if (!flockHeld(locks, st.dev, st.ino)) return { held: false };
    const pid = await readHolder(path);
    if (pid === undefined) return { held: true };
    // Written after the listing above: stat again for the write's time.
    const written = await stat(path).catch(() => undefined);
    return written === undefined ? { held: true, pid } : { held: true, pid, sinceMs: written.mtimeMs };
  } catch {
    return { held: false };
  }
}

/** The apply holding the lock at `path` (pid, since when), or undefined when none does: what plan and status show. */
export async function runningApply(path: string = DEFAULT_LOCK_PATH): Promise<RunningApply | undefined> {
  const state = await lockState(path);
  if (!state.held) return undefined;
  return { ...(state.pid !== undefined ? { pid: state.pid } : {}), ...(state.sinceMs !== undefined ? { sinceMs: state.sinceMs } : {}) };
}

/**
 * Whether /proc/locks (lines like "1: FLOCK  ADVISORY  WRITE 4711 fd:01:131090 0 EOF")
 * has a flock on the file with this st_dev and st_ino. The kernel prints the
 * device as major:minor in hex; st_dev packs them the glibc way.
 */
export function flockHeld(procLocks: string, dev: number, ino: number): boolean {
  const { major, minor } = deviceNumbers(BigInt(dev));
  for (const line of procLocks.split('\n')) {
    const fields = line.trim().split(/\s+/);
    // "->" marks a waiter (blocked, not holding): its fields are shifted by one.
    if (fields[1] !== 'FLOCK') continue;
    const [maj, min, inode] = (fields[5] ?? '').split(':');
    if (maj === undefined || min === undefined || inode === undefined) continue;
    if (BigInt(`0x${maj}`) === major && BigInt(`0x${min}`) === minor && inode === String(ino)) return true;
  }
  return false;
}
