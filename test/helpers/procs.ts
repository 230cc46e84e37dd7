// Looks at processes through /proc: a process's children, whether a given
// process (pid + start time, so a reused pid does not count) still runs, and
// processes whose command line carries a marker.
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Proc {
  readonly pid: number;
  readonly ppid: number;
  readonly comm: string;
  /** State letter from /proc/PID/stat (R, S, T, Z, …). */
  readonly state: string;
  /** Start time in clock ticks since boot: with pid, identifies the process. */
  readonly start: string;
}

function readStat(pid: number): Proc | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // comm is in parentheses and may itself hold spaces or parentheses.
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  const rest = text.slice(close + 2).split(' ');
  return { pid, comm: text.slice(open + 1, close), state: rest[0] ?? '?', ppid: Number(rest[1]), start: rest[19] ?? '' };
}

function pids(): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number);
}

/** The process `pid` now (undefined when there is none). */
export function processOf(pid: number): Proc | undefined {
  return readStat(pid);
}

/** Direct children of `pid`. */
export function childrenOf(pid: number): Proc[] {
  return pids()
    .map(readStat)
    .filter((p): p is Proc => p !== undefined && p.ppid === pid);
}

/** Whether this very process (not a later one with the same pid) still exists and is not a zombie. */
export function isRunning(p: Proc): boolean {
  const now = readStat(p.pid);
  return now !== undefined && now.start === p.start && now.state !== 'Z';
}

/** The argv of a process ([] when it is gone). */
export function argvOf(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, -1);
  } catch {
    return [];
  }
}

/** Live processes whose command line contains `marker`. */
export function processesMentioning(marker: string): Proc[] {
  const found: Proc[] = [];
  for (const pid of pids()) {
    if (pid === process.pid) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    const p = readStat(pid);
    if (p !== undefined && p.state !== 'Z' && cmdline.includes(marker)) found.push(p);
  }
  return found;
}

/** Polls `check` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs = 20_000, everyMs = 10): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Sends a signal, ignoring a process that is already gone. */
export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}
