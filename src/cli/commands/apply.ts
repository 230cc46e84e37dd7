// snapctl apply [PLANFILE]: take the host lock, plan (or check a saved plan
// is still current), execute, record the run, print the summary.
import { readFile } from 'node:fs/promises';
import { danglingBackupDir, plan as computePlan, vanishedBackupDir } from '../../core/plan.js';
import { hostDir } from '../../core/naming.js';
import { inventoryFingerprint, parseSavedPlan, staleness, targetMismatch, type SavedPlan } from '../../core/saved-plan.js';
import { SnapctlError } from '../../core/errors.js';
import type { Plan } from '../../core/model.js';
import { observe } from '../../adapters/observe.js';
import { stateDirPort, systemObservePorts } from '../../adapters/system.js';
import { systemApplyPorts } from '../../adapters/system-apply.js';
import { commandLine } from '../../adapters/run-tool.js';
import { executePlan, type ApplyResult } from '../../apply/execute.js';
import { acquireLock, DEFAULT_LOCK_PATH } from '../../apply/lock.js';
import { probeTar } from '../../apply/tar-command.js';
import { openRunLog, DEFAULT_LOG_DIR } from '../../apply/logger.js';
import { withInterrupts, INTERRUPT_EXIT, type InterruptSignal } from '../../apply/interrupt.js';
import { DEFAULT_STATE_DIR } from '../../apply/state-file.js';
import { recordForMonitoring, refusedRuns, stateRuns } from '../../apply/run-record.js';
import { runHealthcheck, volumeHealthchecks } from '../../apply/healthcheck.js';
import { ttyProgress } from '../../apply/progress.js';
import { parseDuration } from '../../policy/duration.js';
import { renderApplySummary, applyErrorJson, applyJson } from '../../render/apply-summary.js';
import { EXIT, errorExitCode, flagError } from '../exit-codes.js';
import { loadContext } from '../policy-context.js';
import { COMMON_OPTIONS, TARGET_OPTIONS, parseCommandLine, type OptionTable } from '../options.js';

export const HELP = `NAME
    snapctl apply - take the backups that are due and prune expired ones

SYNOPSIS
    snapctl apply --policy FILE|DIR [options]
    snapctl apply PLANFILE [--policy FILE|DIR] [options]

DESCRIPTION
    Makes the backup directory match the policy. First removes leftovers
    of interrupted runs; then, for each volume that is due, takes a
    snapshot, mounts it read-only, archives it (tar + compressor, sha256
    sidecar, written as .partial and renamed only when complete and
    verified), unmounts and removes the snapshot, and only after that
    deletes the volume's expired archives. When the backup disk is full
    (ENOSPC, EDQUOT), it first deletes the archives the rules drop even
    without the new one and tries once more; any other failure deletes
    nothing. A volume that fails does not stop the others.

    Meant for a systemd timer or cron, as root (see \`snapctl schedule\`).
    One apply at a time per host: a second one exits 4 at once (or waits,
    with --lock-wait). SIGINT, SIGTERM or SIGHUP (the terminal of an apply
    started by hand went away) stops the run after cleaning up (unmount,
    remove the snapshot and the partial archive); a second signal does not
    cut that short.

    With PLANFILE (written by \`snapctl plan --out\`), applies exactly that
    plan, and refuses it ("Saved plan is stale") when the policy or the
    backup directory changed since, or when --host or --backup-dir names
    another host or backup directory than the plan was made for.

    Everything is logged to DIR/snapctl.log; warnings and errors also go to
    stderr. stdout gets the summary, and every step when it is a terminal
    (with a progress line per archive: bytes read, rate, ETA when known).

    Monitoring: the policy's \`healthcheck\` URLs (healthchecks.io style) are
    pinged with /start, then success or /fail (with the log tail), for the
    run and per volume; a failing ping is only a warning. --metrics-file
    writes a Prometheus textfile; \`snapctl status\` checks the result.

OPTIONS
    PLANFILE
        A saved plan to apply instead of planning now.
    --policy FILE|DIR
        The policy file or directory (required without PLANFILE; default
        with PLANFILE: the one the plan was made from).
    --host NAME
        Apply for this host of the policy (default: with PLANFILE the
        plan's, else this machine's hostname).
    --backup-dir DIR
        Use DIR instead of every backupDir of the policy (py_snap's -b).
        Default: with PLANFILE the plan's, else the policy's backupDir,
        else /backup.
    --now TIME
        Act as if it were TIME (for tests and simulations): ISO-8601 with a
        zone, or without one in the policy's timezone (a date alone: the
        start of that day); new archives are then named at TIME. Default:
        with PLANFILE made with --now, that time; else the real clock, and
        each new archive is named at the time its snapshot is taken (after
        its preSnapshot hooks), which is later than the name plan showed
        for a volume archived after others or a plan applied later.
    --json
        Print the result as one JSON document (with its exit code) instead
        of the summary; log lines then go to stderr only. Each volume has
        its status, its result (ok, skipped when not due, failed: also when
        it archived but a deletion or the snapshot release failed), when its
        work started and finished and when its archive was complete
        (archivedAt), archive, bytes, sha256, deleted archives, errors and,
        when there were any, warnings. A run that ends in an error instead
        (bad flags or policy, the lock held, a refused run, a bug) prints
        its exit code, the error and its detail (exitCode, error, detail);
        stderr still gets the error line.
    --log-dir DIR
        Where snapctl.log is written (default ${DEFAULT_LOG_DIR}).
    --state-dir DIR
        Where the per-volume run state read by \`snapctl status\` is kept
        (default ${DEFAULT_STATE_DIR}).
    --metrics-file PATH
        After the run, write a Prometheus textfile for node_exporter's
        textfile collector (e.g. /var/lib/node_exporter/textfile/snapctl.prom):
        per volume the last success and last run times, last run success,
        duration, newest archive size, snapshot usage peak, failure counter
        and archive count. Written atomically (temporary file + rename),
        mode 0644; covers every volume, also those this run did not touch.
        It describes this run also when the state file cannot be read or
        written, and when apply refuses to run once it holds the lock (the
        host directory vanished, a stale plan: every volume failed); not
        after bad flags or policy, nor when the lock is held (exit 4).
    --lock-file FILE
        The host lock (default ${DEFAULT_LOCK_PATH}).
    --lock-wait DURATION
        Wait up to DURATION (e.g. 10m, 1h) for another apply to finish
        instead of exiting 4 at once (default: do not wait). The plan is
        made once the lock is held, at that time.
    -v, --verbose
        Print every step on stdout (default when stdout is a terminal and
        --json is not given).
    --no-color
        Accepted for symmetry with the other commands; apply prints no
        colours.
    -h, --help
        Show this help.

ENVIRONMENT
    SNAPCTL_LVM_REPORT_TIMEOUT
        Seconds an LVM report (lvs) may take (default 300). One that gives no
        answer by then (a stuck device or LVM lock) is given up on, and
        each lvm volume fails before its snapshot while the other volumes
        go on; while it is still stuck, no other copy is started. lvcreate
        and lvremove are always waited for.

EXIT STATUS
    0     everything planned was done (or nothing was due)
    1     nothing was done: bad policy or flags, stale saved plan, or every
          planned action failed
    3     some actions failed, others were done (see the summary)
    4     another snapctl apply holds the lock
    70    internal error (a bug: please report it)
    129   interrupted by SIGHUP: its terminal went away (after cleaning up)
    130   interrupted by SIGINT (after cleaning up)
    143   interrupted by SIGTERM (after cleaning up)
    When stdout is closed early (| head), apply finishes its run and exits
    as above; only its output is lost (the run log keeps it).

EXAMPLES
    snapctl apply --policy /etc/snapctl/policy.yaml
    snapctl apply --policy /etc/snapctl --lock-wait 30m --json
    snapctl plan --policy policy.yaml --out /tmp/b.plan && snapctl apply /tmp/b.plan
`;

async function readSaved(file: string): Promise<SavedPlan> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new SnapctlError('input', `cannot read the saved plan ${file}: ${(err as Error).message}`);
  }
  return parseSavedPlan(text, file);
}

function exitCode(result: ApplyResult, interrupted: InterruptSignal | undefined): number {
  if (interrupted) return INTERRUPT_EXIT[interrupted];
  if (!result.failed) return EXIT.ok;
  return result.changed ? EXIT.partial : EXIT.error;
}

/** The options this command accepts (see parseCommandLine); the help test checks that --help documents each. */
export const OPTIONS = {
  ...TARGET_OPTIONS,
  now: { type: 'string' },
  json: { type: 'boolean', default: false },
  'log-dir': { type: 'string' },
  'state-dir': { type: 'string' },
  'lock-file': { type: 'string' },
  'lock-wait': { type: 'string' },
  'metrics-file': { type: 'string' },
  verbose: { type: 'boolean', short: 'v', default: false },
  ...COMMON_OPTIONS,
} as const satisfies OptionTable;

export async function run(argv: string[]): Promise<number> {
  try {
    return await applyCommand(argv);
  } catch (err) {
    // --json promises one document whatever happens: a run that ends in an error (bad input, the lock
    // held, a refused run) prints its exit code and the error; stderr still gets the error line.
    if (argv.includes('--json')) {
      const known = flagError(err, 'apply') ?? err;
      process.stdout.write(`${JSON.stringify(applyErrorJson(known, errorExitCode(known)), null, 2)}\n`);
    }
    throw err;
  }
}

async function applyCommand(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(argv, OPTIONS, HELP, true);
  if (parsed === undefined) return EXIT.ok;
  const { values, positionals } = parsed;
  if (positionals.length > 1) throw new SnapctlError('input', `apply takes at most one PLANFILE, got ${positionals.length}`);
  const planFile = positionals[0];
  const saved = planFile !== undefined ? await readSaved(planFile) : undefined;
  let lockWaitMs = 0;
  if (values['lock-wait'] !== undefined) {
    const ms = parseDuration(values['lock-wait']);
    if (ms === undefined) throw new SnapctlError('input', `--lock-wait: "${values['lock-wait']}" is not a duration`, 'expected e.g. 30m, 1h, 2h30m');
    lockWaitMs = ms;
  }

  // Checking which tar is installed is a child process of its own: run it while the policy loads.
  probeTar().catch(() => undefined); // an error is reported when an archive needs tar
  const ctx = await loadContext({
    policy: values.policy ?? saved?.request.policy,
    host: values.host ?? saved?.request.host,
    backupDir: values['backup-dir'] ?? saved?.request.backupDir,
    now: values.now ?? saved?.plan.now,
  });
  const mismatch = saved !== undefined ? targetMismatch(saved, ctx.policy.host, hostDir(ctx.policy)) : undefined;
  if (mismatch !== undefined) {
    throw new SnapctlError('input', `${planFile ?? 'PLANFILE'} cannot be applied here: ${mismatch}`, 'leave out --host and --backup-dir to apply it where it was made, or make a plan for this target with `snapctl plan --out`');
  }
  const log = openRunLog({
    ...(values['log-dir'] !== undefined ? { dir: values['log-dir'] } : {}),
    stdout: values.verbose || (process.stdout.isTTY && !values.json) ? 'verbose' : 'quiet',
    json: values.json,
  });
  try {
    const lock = await acquireLock(values['lock-file'] ?? DEFAULT_LOCK_PATH, { waitMs: lockWaitMs });
    // A simulation (--now, or a plan saved with one) runs at that time and names new archives after it. A real
    // run plans when it holds the lock (after --lock-wait, not when it started) and names each archive when its snapshot is taken.
    const simulated = values.now !== undefined || saved?.request.now !== undefined;
    const now = simulated ? ctx.now : Date.now();
    const healthcheck = runHealthcheck(ctx.policy.healthcheck, log);
    const stateDir = values['state-dir'] ?? DEFAULT_STATE_DIR;
    const target = { policy: ctx.policy, stateDir, metricsFile: values['metrics-file'] };
    const warn = (m: string): void => log.warn(m);
    const runStartedAt = new Date().toISOString();
    let recorded = false;
    try {
      await healthcheck.start();
      const { observed, files } = await observe(ctx.policy, { ...systemObservePorts, wroteArchivesTo: stateDirPort(stateDir) });
      if (observed.backupDirDanglingLink !== undefined) throw new SnapctlError('operation', danglingBackupDir(hostDir(ctx.policy), observed.backupDirDanglingLink));
      if (observed.backupDirVanished === true) throw new SnapctlError('operation', vanishedBackupDir(hostDir(ctx.policy)));
      let thePlan: Plan;
      if (saved) {
        const why = staleness(saved, ctx.source.hash, inventoryFingerprint(files, observed));
        if (why !== undefined) {
          throw new SnapctlError('stale-plan', `Saved plan is stale: ${why}`, `make it again and review it: ${planAgain(saved, planFile ?? 'PLANFILE')}`);
        }
        thePlan = saved.plan;
      } else {
        thePlan = computePlan(ctx.policy, observed, now);
      }
      const errors = thePlan.diagnostics.filter((d) => d.severity === 'error');
      for (const d of errors) log.warn(`${d.volume ? `${d.volume}: ` : ''}${d.message}`);
      const startedAt = new Date().toISOString();
      log.info(`apply for ${ctx.policy.host} started (plan at ${thePlan.now}: ${thePlan.actions.length} actions)`);
      // The progress line only for a person watching: never in cron, never into JSON.
      const hooks = { ...volumeHealthchecks(ctx.policy, log), ...(process.stdout.isTTY && !values.json ? ttyProgress(process.stdout) : {}) };
      const ports = systemApplyPorts(ctx.policy, simulated ? now : undefined);
      const outcome = await withInterrupts((signal) => executePlan(thePlan, ctx.policy, ports, log, signal, hooks), {
        notify: (m) => log.warn(m),
      });
      const result = outcome.result ?? { host: thePlan.host, now: thePlan.now, backupDir: thePlan.backupDir, cleanups: [], volumes: [], interrupted: true, changed: false, failed: true };
      const runs = stateRuns(result, startedAt, new Date().toISOString());
      const wrote = Object.values(runs).some((r) => r.archive !== undefined);
      recorded = true;
      await recordForMonitoring(runs, { ...target, archiveDir: wrote ? hostDir(ctx.policy) : undefined }, warn);
      const code = exitCode(result, outcome.interrupted);
      log.info(`apply finished with exit code ${code}`);
      const summary = renderApplySummary(result, outcome.interrupted);
      await healthcheck.finish(code === EXIT.ok, summary);
      if (values.json) process.stdout.write(`${JSON.stringify({ ...applyJson(result), exitCode: code }, null, 2)}\n`);
      else process.stdout.write(summary);
      return code;
    } catch (err) {
      // A run that could not even start its volumes (stale plan, unreadable backup directory) is a failed run,
      // for the state file and the metrics as for the healthcheck.
      if (!recorded) await recordForMonitoring(refusedRuns(ctx.policy, err, runStartedAt, new Date().toISOString()), target, warn);
      await healthcheck.finish(false, err instanceof SnapctlError ? err.summary : String(err));
      throw err;
    } finally {
      await lock.release();
    }
  } finally {
    log.close();
  }
}

/** The plan command that remakes a saved plan: the same policy, host, backup directory and --now. */
function planAgain(saved: SavedPlan, planFile: string): string {
  const { policy, host, backupDir, now } = saved.request;
  return commandLine('snapctl', ['plan', '--policy', policy, '--host', host, ...(backupDir !== undefined ? ['--backup-dir', backupDir] : []), ...(now !== undefined ? ['--now', now] : []), '--out', planFile]);
}
