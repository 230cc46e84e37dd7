// snapctl schedule: print the systemd service + timer or the cron.d line that
// runs `snapctl apply` (the files in contrib/ are this output with defaults).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { SnapctlError } from '../../core/errors.js';
import type { Schedule } from '../../core/model.js';
import { longestRunGapMinutes, runCadenceMinutes } from '../../core/schedule.js';
import { formatDuration } from '../../core/time.js';
import { EXIT } from '../exit-codes.js';
import { nodeToName, UNIT_PATH } from '../unit-node.js';
import { COMMON_OPTIONS, parseCommandLine, type OptionTable } from '../options.js';

export const DEFAULT_POLICY = '/etc/snapctl/policy.yaml';
export const DEFAULT_ON_CALENDAR = 'hourly';

export const HELP = `NAME
    snapctl schedule - print the systemd units or the cron line that run apply

SYNOPSIS
    snapctl schedule --systemd [--unit service|timer] [--policy FILE]
                     [--on-calendar SPEC] [--bin PATH]
    snapctl schedule --cron [--policy FILE] [--on-calendar SPEC] [--bin PATH]

DESCRIPTION
    Prints, on stdout, the files that run \`snapctl apply --policy FILE\`
    periodically as root, with the policy and binary paths filled in. Nothing
    is installed; save the output yourself, e.g.

        snapctl schedule --systemd --unit service > /etc/systemd/system/snapctl.service
        snapctl schedule --systemd --unit timer > /etc/systemd/system/snapctl.timer
        systemctl daemon-reload && systemctl enable --now snapctl.timer

        snapctl schedule --cron > /etc/cron.d/snapctl

    The timer only decides how often apply looks; the policy's schedule
    decides what is due. Running hourly costs one plan when nothing is due,
    backs up each volume early in its period, and retries a failed volume
    an hour later. When the policy (read if it exists) has an \`every\`
    schedule whose periods start off the hour (every: 15m, 90m), the default
    runs at each of their starts instead: "*:0/15" (cron "*/15 * * * *"),
    "*:0/30". An --on-calendar that runs less often than the policy's
    shortest period gets a warning on stderr.

    Overlapping runs are harmless: a second apply finds the host lock held
    and exits 4 without doing anything (the service counts exit 4 as
    success; cron mails its one-line message).

OPTIONS
    --systemd
        Print snapctl.service and snapctl.timer (each starts with a comment
        naming where it goes).
    --unit service|timer
        With --systemd: print only that unit, ready to redirect into a file.
    --cron
        Print a file for /etc/cron.d.
    --policy FILE
        The policy apply reads (default ${DEFAULT_POLICY}).
    --on-calendar SPEC
        When to run, as a systemd OnCalendar= expression (default
        ${DEFAULT_ON_CALENDAR}, or "*:0/N" for a policy that needs runs every N
        minutes, see above). With --cron only minutely, hourly, daily, weekly,
        monthly, "*:0/N" (N dividing 60) and "*-*-* HH:MM[:SS]" are accepted
        (they have an exact cron equivalent).
    --bin PATH
        The snapctl executable to run (default: the one running now). An
        absolute path; for --systemd without quotes or backslashes (systemd
        refuses those in executable names).
        snapctl starts with "#!/usr/bin/env node", which runs the first node
        on the PATH cron and systemd give a job (/usr/local/sbin:/usr/local/bin:
        /usr/sbin:/usr/bin:/sbin:/bin). When that finds no node (node from nvm
        or under /opt) or one older than 20 (a distribution's), or PATH is not
        executable, the unit starts snapctl with the node running this command
        (ExecStart=/opt/node/bin/node /usr/local/bin/snapctl apply ...), says
        why in a comment, and a note on stderr says so too.
    -h, --help
        Show this help.

EXIT STATUS
    0   the files were printed
    1   the command line is wrong (neither or both of --systemd and --cron,
        a relative path, an --on-calendar with no cron equivalent)

EXAMPLES
    snapctl schedule --systemd --on-calendar '*-*-* 02:30:00'
    snapctl schedule --cron --bin /usr/local/bin/snapctl --policy /etc/snapctl
`;

export interface ScheduleOptions {
  /** Absolute path of the snapctl executable. */
  readonly bin: string;
  /** The node that runs \`bin\`, when the unit must name it (see nodeToName), and why. */
  readonly node?: { readonly path: string; readonly why: string };
  /** Absolute path of the policy file or directory. */
  readonly policy: string;
  /** A systemd OnCalendar= expression. */
  readonly onCalendar: string;
}

/** N of "*:0/N" (every N minutes from the hour) when N divides the hour, else undefined. */
function minuteStep(spec: string): number | undefined {
  const n = /^\*:0?0\/(\d+)$/.exec(spec)?.[1];
  return n !== undefined && Number(n) > 0 && 60 % Number(n) === 0 ? Number(n) : undefined;
}

/** Minutes between the runs of an OnCalendar expression this command knows, else undefined. */
export function calendarGapMinutes(onCalendar: string): number | undefined {
  const spec = onCalendar.trim();
  const known: Record<string, number> = { minutely: 1, hourly: 60, daily: 1440, weekly: 7 * 1440, monthly: 28 * 1440 };
  if (known[spec] !== undefined) return known[spec];
  return minuteStep(spec) ?? (CRON_DAILY_AT.test(spec) ? 1440 : undefined);
}

/** systemd's quoting for one ExecStart= word: plain when safe, else double-quoted with \\ and " escaped. */
function unitWord(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word.replace(/%/g, '%%');
  return `"${word.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%')}"`;
}

/** POSIX sh quoting for one word of the cron command; % is special to cron and is escaped. */
function shWord(word: string): string {
  const quoted = /^[A-Za-z0-9_@+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
  return quoted.replace(/%/g, '\\%');
}

/** What the unit runs: \`bin apply --policy P\`, after the node that runs bin when it must be named. */
function command(o: ScheduleOptions): string[] {
  return [...(o.node ? [o.node.path] : []), o.bin, 'apply', '--policy', o.policy];
}

function nodeComment(o: ScheduleOptions): string {
  return o.node ? `# node is named before snapctl: ${o.node.why}.\n` : '';
}

export function systemdService(o: ScheduleOptions): string {
  return `# /etc/systemd/system/snapctl.service
# Runs one \`snapctl apply\`; started by snapctl.timer.
[Unit]
Description=snapctl: snapshot backups as declared in ${o.policy.replace(/%/g, '%%')}
# LVM and the backup directory (local or network) must be up.
Wants=local-fs.target
After=local-fs.target remote-fs.target lvm2-monitor.service

[Service]
Type=oneshot
${nodeComment(o)}ExecStart=${command(o).map(unitWord).join(' ')}
# Backups yield to the real work of the machine.
Nice=10
# idle: disk time only when nobody else wants it. On a disk that is never idle
# this can make a run last long enough for the snapshot to fill up; use
# IOSchedulingClass=best-effort with IOSchedulingPriority=7 there instead.
IOSchedulingClass=idle
# Longest run allowed before systemd stops it (then apply cleans up as below).
TimeoutStartSec=6h
# On stop or timeout, SIGTERM goes to apply only (not to tar, lvcreate, mount):
# apply aborts its children itself, then unmounts and removes the snapshot and
# the partial archive. SIGKILL for everything only if that takes over 5 min.
KillMode=mixed
KillSignal=SIGTERM
TimeoutStopSec=5min
# Exit 4: another apply (e.g. one started by hand) holds the host lock; this
# run did nothing and the next one will catch up. Not a failure.
SuccessExitStatus=4
# Harmless restrictions only. No PrivateTmp, PrivateDevices, ProtectSystem,
# ProtectHome, ProtectKernel*, ReadOnlyPaths or MountFlags: they give the unit
# its own mount namespace or hide /dev, and then lvcreate/lvremove (udev, device
# mapper), mount and umount of the snapshot, or writing to the backup directory
# break, or a snapshot mount stays invisible to the host. Runs as root.
NoNewPrivileges=yes
`;
}

export function systemdTimer(o: ScheduleOptions): string {
  // The random delay spreads hosts but must stay well inside a run's period.
  const gap = calendarGapMinutes(o.onCalendar) ?? 60;
  const delay = gap >= 30 ? '10min' : `${gap * 20}s`;
  return `# /etc/systemd/system/snapctl.timer
# Enable with: systemctl enable --now snapctl.timer
[Unit]
Description=snapctl: run snapshot backups (${o.onCalendar.replace(/%/g, '%%')})

[Timer]
OnCalendar=${o.onCalendar}
# A run missed while the machine was off happens at the next boot.
Persistent=true
# Spread hosts that share a backup server or storage.
RandomizedDelaySec=${delay}
AccuracySec=${gap >= 5 ? '1min' : '1s'}
Unit=snapctl.service

[Install]
WantedBy=timers.target
`;
}

const CRON_DAILY_AT = /^\*-\*-\* (\d{1,2}):(\d{2})(?::(\d{2}))?$/;

/** The cron time fields equivalent to an OnCalendar expression, when there is an exact one. */
export function cronFields(onCalendar: string): string | undefined {
  const simple: Record<string, string> = { minutely: '* * * * *', hourly: '0 * * * *', daily: '0 0 * * *', weekly: '0 0 * * 1', monthly: '0 0 1 * *' };
  const known = simple[onCalendar.trim()];
  if (known !== undefined) return known;
  const n = minuteStep(onCalendar.trim());
  if (n !== undefined) return n === 1 ? '* * * * *' : n === 60 ? '0 * * * *' : `*/${n} * * * *`;
  const m = CRON_DAILY_AT.exec(onCalendar.trim());
  if (!m) return undefined;
  const hour = Number(m[1]);
  const minute = Number(m[2]);
  if (hour > 23 || minute > 59 || (m[3] !== undefined && m[3] !== '00')) return undefined;
  return `${minute} ${hour} * * *`;
}

/**
 * What the service's Nice= and IOSchedulingClass= do, for the cron job
 * (util-linux's ionice; both inherited by tar and the compressor). -t: where
 * the I/O class cannot be set (a restricted container), ionice still runs
 * apply instead of exiting; nice always does.
 */
const CRON_PRIORITY = ['nice', '-n', '10', 'ionice', '-c', '3', '-t'];

export function cronFile(o: ScheduleOptions): string {
  const fields = cronFields(o.onCalendar);
  if (fields === undefined) throw new SnapctlError('input', `--on-calendar "${o.onCalendar}" has no exact cron equivalent`, 'with --cron use minutely, hourly, daily, weekly, monthly, "*:0/N" (N dividing 60) or "*-*-* HH:MM"');
  return `# /etc/cron.d/snapctl
# Runs \`snapctl apply\` as root (${o.onCalendar}); the policy's schedule decides
# what is due, so a run with nothing due only plans and exits 0.
#
# stdout (the summary) goes to /dev/null; errors and warnings go to stderr,
# which cron mails to MAILTO. Everything is also in snapctl.log.
#
# No --lock-wait: if a run is still going when the next one starts (a slow
# archive, or an apply started by hand), the new one finds the host lock held
# and exits 4 at once without touching anything; cron mails that one line and
# the next run catches up. Waiting instead would only pile up runs.
#
# As the systemd service does, backups yield to the real work of the machine:
# nice 10, and the idle I/O class (disk time only when nobody else wants it).
# On a disk that is never idle this can make a run last long enough for the
# snapshot to fill up; use "ionice -c 2 -n 7 -t" there instead.
SHELL=/bin/sh
PATH=${UNIT_PATH}
${nodeComment(o)}${fields} root ${[...CRON_PRIORITY, ...command(o)].map(shWord).join(' ')} >/dev/null
`;
}

/** The schedules of every volume in the policy, or undefined when it does not exist (or, with a note on stderr, cannot be read). */
async function policySchedules(policy: string): Promise<Schedule[] | undefined> {
  const { loadPolicy } = await import('../../policy/load.js');
  const { allSchedules } = await import('../../policy/resolve.js');
  // Not written yet (units are often made first): the defaults apply, nothing to say.
  if (!existsSync(policy)) return undefined;
  try {
    return allSchedules(await loadPolicy(policy, { git: false }));
  } catch (err) {
    const why = err instanceof SnapctlError ? err.summary : String(err);
    process.stderr.write(`note: cannot read the schedules of ${policy} (${why.split('\n')[0] ?? why}); the timing below does not take them into account\n`);
    return undefined;
  }
}

function absolute(flag: string, path: string): string {
  if (!path.startsWith('/')) throw new SnapctlError('input', `${flag} "${path}" is not an absolute path`, 'systemd and cron run with / as the working directory');
  if (/[\n\r]/.test(path)) throw new SnapctlError('input', `${flag} contains a line break`);
  return path;
}

/** The options this command accepts (see parseCommandLine); the help test checks that --help documents each. */
export const OPTIONS = {
  systemd: { type: 'boolean', default: false },
  unit: { type: 'string' },
  cron: { type: 'boolean', default: false },
  policy: { type: 'string' },
  'on-calendar': { type: 'string' },
  bin: { type: 'string' },
  ...COMMON_OPTIONS,
} as const satisfies OptionTable;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(argv, OPTIONS, HELP);
  if (parsed === undefined) return EXIT.ok;
  const { values } = parsed;
  if (values.systemd === values.cron) throw new SnapctlError('input', 'give exactly one of --systemd and --cron', 'Run `snapctl schedule --help` for usage.');
  if (values.unit !== undefined && (!values.systemd || (values.unit !== 'service' && values.unit !== 'timer'))) {
    throw new SnapctlError('input', `--unit "${values.unit}": expected service or timer, with --systemd`);
  }
  const policy = absolute('--policy', values.policy ?? DEFAULT_POLICY);
  const given = values['on-calendar'];
  if (given !== undefined && (given.trim() === '' || /[\n\r]/.test(given))) throw new SnapctlError('input', '--on-calendar needs a one-line OnCalendar expression');
  const schedules = await policySchedules(policy);
  let onCalendar = given ?? DEFAULT_ON_CALENDAR;
  if (schedules !== undefined) {
    const cadence = runCadenceMinutes(schedules);
    if (given === undefined && cadence < 60) onCalendar = `*:0/${cadence}`;
    const gap = calendarGapMinutes(onCalendar);
    const needed = longestRunGapMinutes(schedules);
    if (gap !== undefined && gap > needed) {
      process.stderr.write(`warning: --on-calendar ${onCalendar} runs apply every ${formatDuration(gap * 60_000)}, but ${policy} has a schedule with periods of ${formatDuration(needed * 60_000)}: some of its periods would get no archive\n`);
    }
  }
  const bin = absolute('--bin', values.bin ?? resolve(process.argv[1] ?? 'snapctl'));
  const why = nodeToName(bin, process.execPath);
  const options: ScheduleOptions = { bin, policy, onCalendar, ...(why !== undefined ? { node: { path: process.execPath, why } } : {}) };
  for (const [what, path] of [['--bin', bin], ...(options.node ? [['node', options.node.path]] : [])] as const) {
    if (values.systemd && /["'\\\p{Cc}]/u.test(path)) {
      throw new SnapctlError('input', `${what} "${path}": systemd refuses executable paths containing quotes, backslashes or control characters`, 'use a symlink with a plain path');
    }
  }
  if (options.node) process.stderr.write(`note: the ${values.cron ? 'cron line' : 'service'} runs ${options.node.path} ${bin}: ${why}\n`);
  if (values.cron) process.stdout.write(cronFile(options));
  else if (values.unit === 'service') process.stdout.write(systemdService(options));
  else if (values.unit === 'timer') process.stdout.write(systemdTimer(options));
  else process.stdout.write(`${systemdService(options)}\n${systemdTimer(options)}`);
  return EXIT.ok;
}
