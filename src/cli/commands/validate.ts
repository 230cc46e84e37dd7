// snapctl validate: check a policy file or directory without touching anything.
import { counted } from '../../core/describe.js';
import { SnapctlError, formatError } from '../../core/errors.js';
import { EXIT } from '../exit-codes.js';
import { checkPolicy } from '../../policy/load.js';
import { toError } from '../../policy/problem.js';
import { COMMON_OPTIONS, parseCommandLine, type OptionTable } from '../options.js';

const HELP = `NAME
    snapctl validate - check a backup policy

SYNOPSIS
    snapctl validate --policy FILE|DIR

DESCRIPTION
    Reads the policy FILE, or every *.yaml and *.yml file of DIR (in name
    order, read as one policy), and checks its YAML syntax, its keys and
    values against the policy schema, time zones and durations, and that no
    host (nor timezone, defaults, healthcheck) is defined in two files.
    Nothing on the system is read or changed besides the policy files.

    For each valid file it prints "ok: FILE (N hosts, M volumes)" on stdout.
    Each problem is printed on stderr as one paragraph, all of them in one
    run, top to bottom:
        error: FILE:LINE:COLUMN: KEY.PATH: what is wrong

OPTIONS
    --policy FILE|DIR
        The policy file or directory to check (required).
    -h, --help
        Show this help.

EXIT STATUS
    0   the policy is valid
    1   the policy has problems, or the command line is wrong
`;

/** The options this command accepts (see parseCommandLine); the help test checks that --help documents each. */
export const OPTIONS = {
  policy: { type: 'string' },
  ...COMMON_OPTIONS,
} as const satisfies OptionTable;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(argv, OPTIONS, HELP);
  if (parsed === undefined) return EXIT.ok;
  const { values } = parsed;
  if (values.policy === undefined) {
    throw new SnapctlError('input', 'missing --policy FILE|DIR', 'Run `snapctl validate --help` for usage.');
  }

  const check = await checkPolicy(values.policy);
  const failed = new Set(check.problems.map((p) => p.file));
  for (const policy of check.documents) {
    if (failed.has(policy.file)) continue;
    const hosts = Object.values(policy.document.hosts);
    const volumes = hosts.reduce((n, host) => n + Object.keys(host?.volumes ?? {}).length, 0);
    process.stdout.write(`ok: ${policy.file} (${counted(hosts.length, 'host')}, ${counted(volumes, 'volume')})\n`);
  }
  for (const problem of check.problems) process.stderr.write(`${formatError(toError(problem))}\n`);
  return check.problems.length === 0 ? EXIT.ok : EXIT.error;
}
