// LVM reports given up on (see LVM_REPORT_TIMEOUT_MS), one record per tool
// under /run, so that no run starts another copy while the first one is still
// stuck. Whatever keeps a report waiting (a device whose I/O never returns, a
// lock held by a stuck command) keeps the next one waiting too: without the
// record, every run from cron would leave one more stuck process behind.
import { readFileSync, rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Runtime state only: tmpfs, gone at the next boot, with the processes it names. */
export const STUCK_REPORTS_DIR = '/run/snapctl-lvm';

export interface StuckReport {
  readonly pid: number;
  /** When it was given up on (ISO 8601). */
  readonly since: string;
}

/** Field 22 of /proc/<pid>/stat, when the process started (clock ticks after boot); undefined once it has ended (a zombie too). */
function startTicks(pid: number): string | undefined {
  const stat = readOrUndefined(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  // The command name (field 2) is in parentheses and may hold spaces or parentheses itself; the state (field 3) follows.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[0] === 'Z' || fields[0] === 'X' ? undefined : fields[19];
}

/**
 * The recorded stuck `tool` if that very process (pid and start time) still
 * runs; undefined otherwise, and a record of a process that ended is removed.
 * Synchronous (two small reads on /run and /proc), so that a report can be
 * started at once, without a turn of the event loop in between: plan starts
 * its lvs report before the rest of snapctl has loaded.
 */
export function stuckReport(dir: string, tool: string): StuckReport | undefined {
  const file = join(dir, tool);
  const text = readOrUndefined(file);
  if (text === undefined) return undefined;
  const [pid, ticks, since] = text.trim().split(' ');
  const n = Number(pid);
  if (Number.isInteger(n) && n > 0 && ticks !== undefined && since !== undefined && startTicks(n) === ticks) return { pid: n, since };
  try {
    rmSync(file, { force: true });
  } catch {
    // not root, or /run read-only: the record stays, and names a process that has ended
  }
  return undefined;
}

function readOrUndefined(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Records `pid` as a stuck `tool`. Best effort: without a writable /run, each run gives up on its own reports only. */
export async function recordStuckReport(dir: string, tool: string, pid: number, now: Date = new Date()): Promise<void> {
  const ticks = startTicks(pid);
  if (ticks === undefined) return; // it ended after all
  try {
    // Readable by all, for `snapctl status` run by a monitoring user: it holds a pid and a time.
    await mkdir(dir, { recursive: true, mode: 0o755 });
    await writeFile(join(dir, tool), `${pid} ${ticks} ${now.toISOString()}\n`);
  } catch {
    // not root, or /run read-only
  }
}
