// snapctl plan: observe, plan, print the diff (or JSON); change nothing.
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { SnapctlError } from '../../core/errors.js';
import { observe, readsLvm } from '../../adapters/observe.js';
import { stateDirPort, systemObservePorts } from '../../adapters/system.js';
import { EXIT } from '../exit-codes.js';
import { loadContext } from '../policy-context.js';
import type { SavedPlan } from '../../core/saved-plan.js';
import type { RunningApply } from '../../core/model.js';
import { COMMON_OPTIONS, TARGET_OPTIONS, parseCommandLine, type OptionTable } from '../options.js';
import { lvmReadFor } from '../plan-prefetch.js';

/** What plan needs past the policy and the observation: loaded while the system is observed. */
function planModules() {
  return Promise.all([import('../../core/plan.js'), import('../../render/plan-text.js'), import('../../render/plan-json.js'), import('../palette.js')]);
}

export const HELP = `NAME
    snapctl plan - show what apply would do now, changing nothing

SYNOPSIS
    snapctl plan --policy FILE|DIR [--host NAME] [--backup-dir DIR] [--now TIME]
                 [--json] [--out PLANFILE] [--detailed-exitcode] [--verbose]
                 [--lock-file FILE] [--state-dir DIR] [--no-color]

DESCRIPTION
    Reads the policy and the host's backup directory (<backupDir>/<host>/)
    and prints what \`snapctl apply\` would do now, one line per action:
        +  an archive that is due under the volume's schedule
        -  an archive that has expired under the retention rules
        ~  a leftover of an interrupted run (partial archive, orphan
           sidecar, snapshot or mount) that would be cleaned up
        ?  a file that is no archive of the policy: never touched
    followed by diagnostics (e.g. LVM could not be checked, not enough free
    space in the volume group for the snapshot).

    Archives written by py_snap.py that match a volume's mount are adopted:
    they count for the schedule and the retention like snapctl's own.

    Nothing is changed. Root is not needed: without root (or without LVM)
    the plan says that it could not check LVM.

OPTIONS
    --policy FILE|DIR
        The policy file, or a directory of *.yaml/*.yml files read as one
        policy (required).
    --host NAME
        Plan for this host of the policy (default: this machine's hostname).
    --backup-dir DIR
        Use DIR instead of every backupDir of the policy; archives are in
        DIR/<host>/ (py_snap's -b). Default: the policy's backupDir, else
        /backup.
    --now TIME
        Plan as if it were TIME: an ISO-8601 instant with a zone
        (2026-11-26T03:00:00Z, 2026-11-26T04:00+01:00), or without one
        wall-clock time in the policy's timezone (2026-11-26T04:00; a date
        alone is the start of that day). Default: the current time.
    --json
        Print one JSON document (actions, reasons, diagnostics) instead of
        the diff.
    --lock-file PATH
        The host lock apply takes (default /run/snapctl/apply.lock). plan
        only looks, in /proc/locks, whether an apply holds it: its partial
        archive and snapshot would otherwise read as an interrupted run's
        leftovers.
    --state-dir DIR
        Where apply keeps its run state (default /var/lib/snapctl). plan
        reads it only when the host's backup directory is missing: if
        applies here wrote archives into it, it is not a first run but a
        file system not mounted, and plan says apply will refuse to run.
    --out PLANFILE
        Also save the plan to PLANFILE, for \`snapctl apply PLANFILE\`
        (which refuses it if the policy or backup directory changed since).
    --detailed-exitcode
        Exit 2 when there are changes and 0 when there are none (default:
        0 in both cases).
    -v, --verbose
        Also show why each archive is kept, and list every archive: without
        it, a run of more than 10 consecutive lines with the same mark and
        reason (a long history expiring at once) shows its first and last 3
        lines and a count.
    --no-color
        No colours (also when NO_COLOR is set or stdout is not a terminal).
    -h, --help
        Show this help.

ENVIRONMENT
    SNAPCTL_LVM_REPORT_TIMEOUT
        Seconds an LVM report (lvs) may take (default 300). One that gives no
        answer by then (a stuck device or LVM lock) is given up on, and the
        plan warns that LVM was not read; while it is still stuck, no other
        copy is started.

EXIT STATUS
    0   success (with --detailed-exitcode: success and no changes)
    1   error: bad policy or flags, unreadable backup directory, PLANFILE
        not writable
    2   with --detailed-exitcode: success, changes pending

EXAMPLES
    snapctl plan --policy /etc/snapctl/policy.yaml
    snapctl plan --policy /etc/snapctl --json | jq '.actions[] | .type'
    snapctl plan --policy policy.yaml --out /tmp/backup.plan && snapctl apply /tmp/backup.plan
    snapctl plan --policy policy.yaml --detailed-exitcode || echo "changes pending (or error)"
`;

/** The options this command accepts (see parseCommandLine); the help test checks that --help documents each. */
export const OPTIONS = {
  ...TARGET_OPTIONS,
  now: { type: 'string' },
  json: { type: 'boolean', default: false },
  out: { type: 'string' },
  'lock-file': { type: 'string' },
  'state-dir': { type: 'string' },
  'detailed-exitcode': { type: 'boolean', default: false },
  verbose: { type: 'boolean', short: 'v', default: false },
  ...COMMON_OPTIONS,
} as const satisfies OptionTable;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(argv, OPTIONS, HELP);
  if (parsed === undefined) return EXIT.ok;
  const { values } = parsed;
  // Observing waits on the system (a long history of 100,000 archives takes a
  // while to list; lvs and git are other processes), so it starts as early as
  // possible and the planner loads meanwhile: main has started the backup
  // directory's listing (with --backup-dir it is known before the policy is
  // read) and, when the policy's text names an lvm: key, the lvs report,
  // before this module loaded (cli/plan-prefetch.ts). plan takes that report.
  const earlyLvm = values.policy === undefined ? undefined : lvmReadFor(values.policy);
  const ctx = await loadContext({ policy: values.policy, host: values.host, backupDir: values['backup-dir'], now: values.now }).catch((err: unknown) => {
    earlyLvm?.cancel();
    throw err;
  });
  // Unused when this host has no LVM volume (another host's lvm:): stopped, not waited for (an LVM report can hang).
  if (earlyLvm !== undefined && !readsLvm(ctx.policy)) earlyLvm.cancel();
  const lockFile = values['lock-file'];
  const lvm = earlyLvm === undefined ? systemObservePorts.lvm : () => earlyLvm.state;
  const ports = { ...systemObservePorts, lvm, applyRunning: () => applyRunning(lockFile), wroteArchivesTo: stateDirPort(values['state-dir']) };
  const observing = Promise.all([observe(ctx.policy, ports), ctx.git()]);
  observing.catch(() => undefined); // awaited below, after the modules load: its failure must not count as unhandled meanwhile
  const [{ plan: computePlan }, { renderPlan }, { planJson }, { palette }] = await planModules();
  const [{ observed, files }, git] = await observing;
  const source = git ? { ...ctx.source, git } : ctx.source;
  const result = computePlan(ctx.policy, observed, ctx.now);

  if (values.out !== undefined) {
    const { inventoryFingerprint, SAVED_PLAN_FORMAT } = await import('../../core/saved-plan.js');
    const saved: SavedPlan = {
      format: SAVED_PLAN_FORMAT,
      version: 1,
      // Absolute paths: the plan may be applied from another directory (cron's is /).
      request: {
        policy: values.policy === undefined ? '' : resolve(values.policy),
        host: ctx.policy.host,
        ...(values['backup-dir'] !== undefined ? { backupDir: resolve(values['backup-dir']) } : {}),
        ...(values.now !== undefined ? { now: result.now } : {}),
      },
      policyHash: ctx.source.hash,
      ...(source.git ? { git: source.git } : {}),
      inventoryFingerprint: inventoryFingerprint(files, observed),
      plan: result,
    };
    try {
      await writeFile(values.out, `${JSON.stringify(saved, null, 2)}\n`);
    } catch (err) {
      throw new SnapctlError('input', `cannot write the plan to ${values.out}: ${(err as Error).message}`);
    }
  }

  if (values.json) process.stdout.write(`${JSON.stringify(planJson(result, source), null, 2)}\n`);
  else process.stdout.write(renderPlan({ plan: result, policy: ctx.policy, archives: observed.archives, source, verbose: values.verbose }, await palette(values['no-color'])));
  if (values.out !== undefined && !values.json) process.stdout.write(`Saved the plan to ${values.out}; apply it with: snapctl apply ${values.out}\n`);

  const changes = result.actions.length > 0;
  return values['detailed-exitcode'] && changes ? EXIT.changes : EXIT.ok;
}

/** The apply holding the host lock, if one does. */
async function applyRunning(lockFile: string | undefined): Promise<RunningApply | undefined> {
  const { runningApply } = await import('../../apply/lock-state.js');
  return runningApply(lockFile);
}
