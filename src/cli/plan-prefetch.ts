// What `plan` waits on from the system, started from its command line alone
// before the planner's modules load: the listing of the backup directory
// (when --backup-dir names it) and, when the policy's text names an lvm:
// key, the lvs report. It takes longer than loading snapctl; started here,
// it runs on the other core meanwhile. On the example policy this took
// 8-18 ms off a 0.23-0.29 s plan (medians of 41-81 paired runs) against
// starting them from the plan command, after its modules had loaded.
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { prefetchBackupDir } from '../adapters/backup-dir.js';
import { observeLvm } from '../adapters/lvm-adapter.js';
import type { LvmState } from '../core/model.js';
import { hostDir } from '../core/naming.js';
import { mayNameLvm } from '../policy/files.js';
import { TARGET_OPTIONS } from './options.js';

/** LVM state being read; `cancel` stops the report (its answer is no longer wanted). */
export interface LvmRead {
  readonly state: Promise<LvmState>;
  readonly cancel: () => void;
}

/**
 * What prefetchForPlan found for each --policy argument, until plan takes
 * it: the read it started, or undefined when the text names no lvm: key (so
 * that the text is not looked at again).
 */
const looked = new Map<string, LvmRead | undefined>();

/** What prefetchForPlan started: the directory being listed, and whether LVM state is being read. */
export interface Prefetched {
  readonly listing?: string;
  readonly lvm: boolean;
}

/**
 * Starts what `plan ARGS` will wait on. The arguments are looked at
 * leniently (plan itself refuses bad ones): a guess that is wrong costs a
 * listing or a report that nobody takes, which cancelUnusedReads stops.
 * Nothing starts for --help.
 */
export function prefetchForPlan(args: readonly string[]): Prefetched {
  const options = { ...TARGET_OPTIONS, help: { type: 'boolean', short: 'h' } } as const;
  const { values } = parseArgs({ args: [...args], options, strict: false, allowPositionals: true });
  if (values.help === true) return { lvm: false };
  const { policy, host } = values;
  const backupDir = values['backup-dir'];
  const listing = typeof backupDir === 'string' ? hostDir({ backupDir: resolve(backupDir), host: typeof host === 'string' ? host : hostname() }) : undefined;
  if (listing !== undefined) prefetchBackupDir(listing);
  if (typeof policy === 'string' && !looked.has(policy)) looked.set(policy, readLvmIfNamed(policy));
  return { ...(listing !== undefined ? { listing } : {}), lvm: typeof policy === 'string' && looked.get(policy) !== undefined };
}

/** The LVM read prefetchForPlan started for this --policy argument, or one started now if its text names lvm:; undefined if not. */
export function lvmReadFor(policy: string): LvmRead | undefined {
  if (!looked.has(policy)) return readLvmIfNamed(policy);
  const early = looked.get(policy);
  looked.delete(policy);
  return early;
}

/** Stops the reads nobody took (plan failed before it needed them): an LVM report can take long, and hang. */
export function cancelUnusedReads(): void {
  for (const read of looked.values()) read?.cancel();
  looked.clear();
}

/**
 * LVM state, being read, if the policy may have LVM volumes; else undefined.
 * The look at the text and the start of lvs are synchronous: the report is
 * running when this returns.
 */
function readLvmIfNamed(policy: string): LvmRead | undefined {
  if (!mayNameLvm(policy)) return undefined;
  const stop = new AbortController();
  const state = observeLvm({ signal: stop.signal });
  // Awaited only if observe asks for LVM state: a failure must not count as unhandled meanwhile.
  state.catch(() => undefined);
  return { state, cancel: () => stop.abort() };
}
