// The CLI entry: pick the command, import only its module (start-up stays
// fast), run it, and map errors to exit codes in exactly this one place.
import { SnapctlError, formatError } from '../core/errors.js';
import { EXIT, errorExitCode, flagError } from './exit-codes.js';
import type { CommandModule } from './command.js';
import { withSystemDirs } from './system-path.js';
import { unsupportedNode } from './node-version.js';

const COMMANDS: Record<string, () => Promise<CommandModule>> = {
  plan: () => import('./commands/plan.js'),
  apply: () => import('./commands/apply.js'),
  validate: () => import('./commands/validate.js'),
  restore: () => import('./commands/restore.js'),
  verify: () => import('./commands/verify.js'),
  list: () => import('./commands/list.js'),
  init: () => import('./commands/init.js'),
  status: () => import('./commands/status.js'),
  schedule: () => import('./commands/schedule.js'),
};

const VERSION = '0.1.0';

/** One line per command for `snapctl --help` (a command missing here fails the help test). */
const SUMMARIES: Record<string, string> = {
  plan: 'show what apply would do now (archives due, expired, leftovers); change nothing',
  apply: 'take the snapshots and archives that are due, then prune expired ones',
  validate: 'check a policy file or directory',
  restore: 'verify an archive and extract it into an empty directory',
  verify: 'check archives against their sha256 sidecars (--deep: decompress to the end)',
  list: 'list the archives, newest first, with why each is kept',
  status: 'newest archive and last run per volume, with Nagios exit codes',
  init: 'write the policy equivalent to an existing py_snap.py cron line',
  schedule: 'print the systemd service and timer, or the cron.d line, that run apply',
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  return `NAME
    snapctl - declarative snapshot backups for LVM, btrfs and plain directories

SYNOPSIS
    snapctl <command> [options]
    snapctl --help | --version

DESCRIPTION
    A YAML policy declares the volumes of each host, how often each is
    archived and how long archives are kept. \`snapctl plan\` shows the
    difference between the policy and the backup directory; \`snapctl apply\`
    (as root, from a systemd timer or cron) makes it so: snapshot, mount
    read-only, tar and compress, verify, unmount, remove the snapshot, prune.

COMMANDS
${Object.keys(COMMANDS)
  .map((name) => `    ${name.padEnd(width)}   ${SUMMARIES[name] ?? ''}`.trimEnd())
  .join('\n')}

    \`snapctl <command> --help\` describes every option of a command.

OPTIONS
    -h, --help      this help
    -V, --version   print the version
    --no-color      accepted by every command: no colours (also when NO_COLOR
                    is set or stdout is not a terminal)

EXIT STATUS
    0     success
    1     error, nothing was done: bad command line or policy, stale saved
          plan; apply: every planned action failed
    2     plan --detailed-exitcode: changes pending;
          verify: a corrupt, truncated or unreadable archive was found
    3     apply: some actions failed, others were done;
          verify: no damaged archive, but some cannot be checked (no sidecar)
    4     apply: another apply holds the host lock
    70    internal error (a bug: please report it)
    129   apply: its terminal went away (SIGHUP), after cleaning up
    130   interrupted by SIGINT (apply cleans up first)
    141   output closed early (e.g. piped into head): the command stopped
          there; apply carries on and only its output is lost
    143   interrupted by SIGTERM (apply cleans up first)
    status follows the Nagios convention instead: 0 OK, 1 WARNING,
    2 CRITICAL, 3 UNKNOWN.
`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const tooOld = unsupportedNode(process.versions.node);
  if (tooOld !== undefined) {
    process.stderr.write(`error: ${tooOld} (${process.execPath})\n  run it with a newer node: /path/to/node ${process.argv[1] ?? 'snapctl'} ... (\`snapctl schedule\` run that way writes units that start snapctl with that node)\n`);
    if (name !== 'status') return EXIT.error;
    // A monitoring system reads status's first line and exit code: the check could not be made.
    const { STATUS_EXIT, unknownLine } = await import('../core/status.js');
    process.stdout.write(`${unknownLine(tooOld)}\n`);
    return STATUS_EXIT.UNKNOWN;
  }
  onClosedOutput(name ?? '');
  process.env['PATH'] = withSystemDirs(process.env['PATH']);
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name === undefined ? EXIT.error : EXIT.ok;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write(`snapctl ${VERSION}\n`);
    return EXIT.ok;
  }
  const load = COMMANDS[name];
  if (!load) {
    process.stderr.write(`error: unknown command "${name}"\n\n${usage()}`);
    return EXIT.error;
  }
  // plan's observing waits on other processes: they start before its modules load.
  const prefetch = name === 'plan' ? await import('./plan-prefetch.js') : undefined;
  prefetch?.prefetchForPlan(rest);
  try {
    const mod = await load();
    return await mod.run(rest);
  } catch (err) {
    throw flagError(err, name) ?? err;
  } finally {
    prefetch?.cancelUnusedReads();
  }
}

/**
 * When the reader of stdout or stderr goes away (`snapctl list | head`),
 * node does not die of SIGPIPE as a C program would: the write fails with
 * EPIPE, by default an uncaught error with a stack trace. Every command but
 * apply stops there, quietly, with the status a shell gives a program
 * killed by SIGPIPE; any other failure to write (stdout on a full disk) is
 * a one-line error, exit 1. apply carries on and its further output is
 * dropped (the run log keeps every line): stopping halfway could leave a
 * snapshot mounted.
 */
function onClosedOutput(command: string): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (command === 'apply') return;
      if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') process.exit(EXIT.closedOutput);
      if (stream === process.stdout) process.stderr.write(`error: cannot write the output: ${err.message}\n`);
      process.exit(EXIT.error);
    });
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof SnapctlError) {
      process.stderr.write(`${formatError(err)}\n`);
      process.exitCode = errorExitCode(err);
      return;
    }
    const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
    process.stderr.write(
      `snapctl: internal error (this is a bug; please report it with the command line and this output):\n${text}\n`,
    );
    process.exitCode = errorExitCode(err);
  },
);
