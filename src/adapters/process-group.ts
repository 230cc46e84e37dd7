// Whether a process group still has members that can act, for a hook stopped
// by a timeout or an interrupt. kill(-pgid, 0) alone also counts zombies, and
// a member orphaned by the hook's death stays a zombie for as long as PID 1
// takes to reap it: seconds in some VMs, for ever under a PID 1 that never
// reaps (a container started without an init).
import { readdirSync, readFileSync } from 'node:fs';

/** Whether a process other than a zombie is in group `pgid`; without a readable /proc, whether any process is. */
export function groupRunning(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (err) {
    // EPERM: members run as another user (a setuid program); they are there.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return true;
  }
  return names.some((name) => /^\d+$/.test(name) && runningIn(name, pgid));
}

function runningIn(pid: string, pgid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  // The command name (field 2) is in parentheses and may hold spaces or parentheses itself; state, ppid and pgrp follow.
  const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return pgrp === String(pgid) && state !== 'Z' && state !== 'X';
}
