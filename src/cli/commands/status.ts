// snapctl status: a Nagios/Icinga plugin. Reads the policy, the backup
// directory (names only) and the run state apply keeps, and says whether
// every volume's newest archive is fresh enough. Exits 0/1/2/3 (OK, WARNING,
// CRITICAL, UNKNOWN) and never changes anything.
import { SnapctlError, errorLine, formatError } from '../../core/errors.js';
import { classifyBackupDir, hostDir } from '../../core/naming.js';
import { danglingDescription } from '../../core/plan.js';
import { evaluateStatus, invertedThresholds, renderStatus, statusJson, STATUS_EXIT, unknownLine, withStuckLvmReports, type StatusOptions, type StuckLvmReport } from '../../core/status.js';
import type { HostPolicy } from '../../core/model.js';
import { danglingLink, listBackupDir } from '../../adapters/backup-dir.js';
import { readsLvm } from '../../adapters/observe.js';
import { readState, DEFAULT_STATE_DIR } from '../../apply/state-file.js';
import { runningApply } from '../../apply/lock-state.js';
import { STUCK_REPORTS_DIR, stuckReport } from '../../adapters/stuck-reports.js';
import { parseDuration } from '../../policy/duration.js';
import { EXIT } from '../exit-codes.js';
import { loadContext } from '../policy-context.js';
import { COMMON_OPTIONS, TARGET_OPTIONS, parseCommandLine, type OptionTable } from '../options.js';

export const HELP = `NAME
    snapctl status - check that every volume has a recent enough archive

SYNOPSIS
    snapctl status --policy FILE|DIR [--host NAME] [--backup-dir DIR]
                   [--state-dir DIR] [--lock-file PATH] [--warn DURATION]
                   [--crit DURATION] [--now TIME] [--json]

DESCRIPTION
    For each volume of the host, finds the newest complete archive in
    <backupDir>/<host>/ (by name, as plan does) and compares its age with
    the volume's schedule, and reads the last run apply recorded in the
    state file. Changes nothing; needs only read access. It follows the
    Nagios plugin conventions, so it plugs into Nagios, Icinga, Naemon,
    Checkmk (as a local check through its exit code) or Sensu as it is.

    A volume is
      CRITICAL  when it has no archive at all, or its newest archive is
                older than the critical threshold (default 2.5 x the
                schedule's period);
      WARNING   when its newest archive is older than the warning
                threshold (default 1.5 x the period), or when the last run
                of the volume failed and no archive was made after it (the
                current period has no archive yet, or the run could not
                delete an expired archive or release its snapshot);
      OK        otherwise.
    Periods count as: hourly 1h, daily 24h, weekly 7d, monthly 31d,
    every: N its length. So a daily volume is WARNING after 36h and
    CRITICAL after 60h without a new archive. Archives dated after now
    (--now, or a clock set back) are not counted; the volume's reason says
    how many there are. The overall level is the worst volume's.

    Output: the first line is the plugin summary with performance data,
        SNAPCTL OK - 2 volumes ok | data_age=3600s;129600;216000;0 data_archives=7;;;0 ...
    (<volume>_age is the newest archive's age in seconds, with the warning
    and critical thresholds; U when there is no archive), then a few lines
    per volume: reason, thresholds, newest archive, last run. While an
    apply holds the host lock, the summary ends (before the "|") with
    "; apply running for 14h2m (pid 4711)": a slow archive, or one hung on
    a device. The level does not change. While an lvs report that plan or
    apply gave up on (SNAPCTL_LVM_REPORT_TIMEOUT) still runs, stuck on a
    device or lock, the summary ends with "; lvs stuck since <time> (pid
    N)" and the level is at least WARNING: the lvm volumes fail until it
    ends.

OPTIONS
    --policy FILE|DIR
        The policy file or directory (required).
    --host NAME
        Check this host's volumes (default: this machine's hostname).
    --backup-dir DIR
        Use DIR instead of every backupDir in the policy (py_snap's -b).
    --state-dir DIR
        Where apply keeps its run state, state.json (default
        ${DEFAULT_STATE_DIR}). A missing file means no run recorded yet.
    --lock-file PATH
        The host lock apply takes (default /run/snapctl/apply.lock), only
        looked at in /proc/locks, never taken: whether an apply is running,
        and since when.
    --warn DURATION
        WARNING when the newest archive is older than DURATION, for every
        volume, instead of 1.5 x its period (e.g. 30h, 2d, 1w2d).
    --crit DURATION
        CRITICAL when the newest archive is older than DURATION, for every
        volume, instead of 2.5 x its period.
        The warning threshold must be shorter than the critical one for
        every volume, or the check is UNKNOWN: with both flags, --warn must
        be shorter; --warn alone must be shorter than each volume's default
        critical threshold (--warn 3h fails with an hourly volume: its
        default is 2h30m), and --crit alone longer than each default
        warning threshold. The first line then names the volume, both
        thresholds and which one is the default; give the other flag too.
    --now TIME
        Check as if it were TIME (ISO-8601; without a zone in the policy's
        timezone; for tests and what-ifs).
    --json
        Print one JSON document (level, exitCode, summary, and per volume
        level, reason, thresholds in seconds, newest archive, last run)
        instead of the text. The exit code is the same.
    -h, --help
        Show this help.

EXIT STATUS
    0   OK: every volume has a recent enough archive
    1   WARNING: some volume's archive is getting old, or its last run
        failed and no archive was made since
    2   CRITICAL: some volume has no archive, or a too old one
    3   UNKNOWN: the check could not be made (bad flags, unreadable policy
        or backup directory, corrupt state file); the first line says why,
        and for a policy error in which file, at which line and key
`;

interface StatusFlags {
  readonly policy?: string | undefined;
  readonly host?: string | undefined;
  readonly 'backup-dir'?: string | undefined;
  readonly 'state-dir'?: string | undefined;
  readonly 'lock-file'?: string | undefined;
  readonly warn?: string | undefined;
  readonly crit?: string | undefined;
  readonly now?: string | undefined;
  readonly json?: boolean | undefined;
  readonly help?: boolean | undefined;
}

function duration(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  if (ms === undefined || ms === 0) throw new SnapctlError('input', `--${flag}: "${text}" is not ${ms === 0 ? 'a duration above zero' : 'a duration'}`, 'expected e.g. 30h, 2d, 1w2d');
  return ms;
}

function thresholds(values: StatusFlags): StatusOptions {
  const warnMs = duration('warn', values.warn);
  const critMs = duration('crit', values.crit);
  if (warnMs !== undefined && critMs !== undefined && warnMs >= critMs) {
    throw new SnapctlError('input', `--warn (${values.warn ?? ''}) must be shorter than --crit (${values.crit ?? ''})`);
  }
  return { ...(warnMs !== undefined ? { warnMs } : {}), ...(critMs !== undefined ? { critMs } : {}) };
}

/** The lvs reports that plan or apply gave up on and that still run, when the host has lvm volumes. */
function stuckLvmReports(policy: HostPolicy): StuckLvmReport[] {
  if (!readsLvm(policy)) return [];
  const stuck = stuckReport(STUCK_REPORTS_DIR, 'lvs');
  return stuck !== undefined ? [{ tool: 'lvs', ...stuck }] : [];
}

async function check(values: StatusFlags): Promise<number> {
  const opts = thresholds(values);
  const ctx = await loadContext({ policy: values.policy, host: values.host, backupDir: values['backup-dir'], now: values.now });
  if (ctx.policy.volumes.length === 0) throw new SnapctlError('input', `host ${ctx.policy.host} has no volumes in the policy`);
  const inverted = invertedThresholds(ctx.policy.volumes, opts);
  if (inverted !== undefined) throw new SnapctlError('input', inverted, 'a warning threshold not shorter than the critical one never fires: the volume would go from OK straight to CRITICAL');
  const dir = hostDir(ctx.policy);
  const [listing, state, running] = await Promise.all([listBackupDir(dir), readState(values['state-dir'] ?? DEFAULT_STATE_DIR), runningApply(values['lock-file'])]);
  const { archives } = classifyBackupDir(listing.files, ctx.policy.host, ctx.policy.volumes, ctx.policy.timezone);
  const health = evaluateStatus(ctx.policy, archives, state.volumes, ctx.now, opts);
  const evaluated = withStuckLvmReports(running !== undefined ? { ...health, applyRunning: running } : health, stuckLvmReports(ctx.policy));
  // Gone although archives were written there, or behind a link to nothing: every volume's history is out of reach.
  const dangling = listing.exists ? undefined : await danglingLink(dir);
  const gone = dangling !== undefined
    ? `${danglingDescription(dir, dangling)} (not mounted?)`
    : !listing.exists && state.archiveDirs?.includes(dir) === true
      ? `${dir} is missing, though archives were written there (not mounted?)`
      : undefined;
  const report = gone !== undefined ? { ...evaluated, level: 'CRITICAL' as const, volumes: evaluated.volumes.map((v) => ({ ...v, level: 'CRITICAL' as const, reason: gone })) } : evaluated;
  process.stdout.write(values.json ? `${JSON.stringify(statusJson(report), null, 2)}\n` : renderStatus(report));
  return STATUS_EXIT[report.level];
}

/** The options this command accepts (see parseCommandLine); the help test checks that --help documents each. */
export const OPTIONS = {
  ...TARGET_OPTIONS,
  'state-dir': { type: 'string' },
  'lock-file': { type: 'string' },
  warn: { type: 'string' },
  crit: { type: 'string' },
  now: { type: 'string' },
  json: { type: 'boolean', default: false },
  ...COMMON_OPTIONS,
} as const satisfies OptionTable;

// A monitoring system reads the exit code and the first line, so every failure
// becomes UNKNOWN (3) here rather than snapctl's usual exit 1 from main.ts.
export async function run(argv: string[]): Promise<number> {
  let json = argv.includes('--json');
  try {
    const parsed = parseCommandLine(argv, OPTIONS, HELP);
    if (parsed === undefined) return EXIT.ok;
    const { values } = parsed;
    json = values.json;
    return await check(values);
  } catch (err) {
    const known = err instanceof SnapctlError;
    // Nagios shows the first line only: it says where in which file, as the other commands' `error:` lines do.
    const summary = known ? errorLine(err) : err instanceof Error ? err.message : String(err);
    if (json) {
      process.stdout.write(`${JSON.stringify({ level: 'UNKNOWN', exitCode: STATUS_EXIT.UNKNOWN, summary: unknownLine(summary), error: summary }, null, 2)}\n`);
    } else {
      process.stdout.write(`${unknownLine(summary)}\n`);
    }
    if (known) process.stderr.write(`${formatError(err)}\n`);
    else if (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS')) process.stderr.write(`error: ${summary}\n  run \`snapctl status --help\` for its options\n`);
    else process.stderr.write(`snapctl: internal error (this is a bug; please report it with the command line and this output):\n${err instanceof Error ? (err.stack ?? summary) : summary}\n`);
    return STATUS_EXIT.UNKNOWN;
  }
}
