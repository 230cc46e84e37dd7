// snapctl init --from-py-snap "<py_snap command line>": write the equivalent policy.
import { hostname, tmpdir } from 'node:os';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SnapctlError } from '../../core/errors.js';
import { parsePySnapCommand, pySnapFlag, PY_SNAP_DEFAULTS } from '../../core/py-snap-args.js';
import type { PySnapOptions } from '../../core/py-snap-args.js';
import { checkHostName } from '../../core/naming.js';
import { policyFromPySnap, pySnapSource } from '../../core/policy-from-py-snap.js';
import type { PySnapInput } from '../../core/policy-from-py-snap.js';
import { formatKeyPath } from '../../policy/problem.js';
import type { Problem } from '../../policy/problem.js';
import { EXIT } from '../exit-codes.js';
import { COMMON_OPTIONS, parseCommandLine, type OptionTable } from '../options.js';

export const HELP = `NAME
    snapctl init - write a policy equivalent to an existing py_snap setup

SYNOPSIS
    snapctl init --from-py-snap "COMMAND LINE" [--host NAME] [--vg NAME] [--out FILE [--force]]

DESCRIPTION
    Reads a py_snap.py command line, or a whole crontab line running it
    ("0 3 * * * /usr/bin/python /opt/py_snap.py -c -f /var/lib/mongo"), with
    py_snap's defaults for every flag it leaves out (-b /backup, -f /data,
    -l lv_data, -m /tmp/snap_backup, -r 3, -s lv_data_snap, no -c,
    --log-dir /var/log/py_snap), and prints the equivalent snapctl policy.
    Its archives in <backupDir>/<host>/ are then adopted by plan and apply.
    The policy is checked before it is printed or written: a value it cannot
    hold (a relative -m, a volume group name with a space) is refused, naming
    the py_snap option (or --vg, --host), its value and what was expected.

OPTIONS
    --from-py-snap LINE   the py_snap command or cron line (required)
    --host NAME           the host the policy is for (default: this machine's hostname)
    --vg NAME             the volume group of py_snap's -l volume (py_snap had no
                          flag for it; default: found with lvs, else vg0 with a warning)
    --out FILE            write the policy to FILE instead of stdout
    --force               overwrite FILE if it exists
    -h, --help            this help

EXIT STATUS
    0   the policy was written
    1   the command line could not be read, or FILE exists
`;

async function findVg(lv: string): Promise<{ vg: string; note: string }> {
  try {
    const { observeLvm } = await import('../../adapters/lvm-adapter.js');
    const state = await observeLvm();
    if (state.available) {
      const vgs = [...new Set(state.lvs.filter((l) => l.name === lv).map((l) => l.vg))];
      if (vgs.length === 1 && vgs[0] !== undefined) return { vg: vgs[0], note: `volume group found with lvs` };
      if (vgs.length > 1) return { vg: vgs[0] ?? 'vg0', note: `CHECK: ${lv} exists in ${vgs.join(', ')}; pass --vg` };
    }
  } catch {
    // LVM not available: fall through to the placeholder.
  }
  return { vg: 'vg0', note: `CHECK: volume group not found with lvs; vg0 is a guess, pass --vg` };
}

interface Inputs {
  readonly options: PySnapOptions;
  readonly host: string;
  readonly vg: string;
  readonly line: string;
  /** Whether --host and --vg were given (else: this machine's name, and the group lvs found or guessed). */
  readonly given: { readonly host: boolean; readonly vg: boolean };
}

/**
 * A problem of the generated policy as the option that caused it, its value
 * and what was expected: `py_snap option -m "relative" gives
 * legacy.mountPoint: expected an absolute path, found "relative"`.
 */
function optionProblem(problem: Problem, inputs: Inputs): string {
  const source = pySnapSource(problem.path);
  if (source === undefined) {
    const where = problem.path.length > 0 ? `'s ${formatKeyPath(problem.path)}` : '';
    return `the generated policy${where}: ${problem.summary} (no option sets this: this is a bug in snapctl init; please report it with the command line)`;
  }
  const names = source.inputs.map((input) => inputName(input, inputs));
  return `${names.join(' and ')} ${names.length > 1 ? 'give' : 'gives'} ${source.key}: ${problem.summary}`;
}

/** `py_snap option -l "lv_data" (py_snap's default)`, `--vg "bad vg"`, `the cron line "0 3 * * *"`. */
function inputName(input: PySnapInput, inputs: Inputs): string {
  if (input === 'host') return `${inputs.given.host ? '--host' : "this machine's hostname"} ${JSON.stringify(inputs.host)}`;
  if (input === 'vg') return `${inputs.given.vg ? '--vg' : 'the volume group'} ${JSON.stringify(inputs.vg)}`;
  if (input === 'cron') return `the cron line ${JSON.stringify(inputs.options.cron?.fields.join(' ') ?? inputs.line)}`;
  const value = inputs.options[input];
  return `py_snap option ${pySnapFlag(input)} ${JSON.stringify(String(value))}${value === PY_SNAP_DEFAULTS[input] ? " (py_snap's default)" : ''}`;
}

/** The options this command accepts (see parseCommandLine); the help test checks that --help documents each. */
export const OPTIONS = {
  'from-py-snap': { type: 'string' },
  host: { type: 'string' },
  vg: { type: 'string' },
  out: { type: 'string' },
  force: { type: 'boolean', default: false },
  ...COMMON_OPTIONS,
} as const satisfies OptionTable;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(argv, OPTIONS, HELP);
  if (parsed === undefined) return EXIT.ok;
  const { values } = parsed;
  const line = values['from-py-snap'];
  if (line === undefined) throw new SnapctlError('input', '--from-py-snap "COMMAND LINE" is required', 'e.g. snapctl init --from-py-snap "py_snap.py -c -f /data"');
  const host = values.host ?? hostname();
  checkHostName(host);
  const options = parsePySnapCommand(line);
  const vg = values.vg !== undefined ? { vg: values.vg, note: 'given with --vg' } : await findVg(options.logicalVolume);
  if (vg.note.startsWith('CHECK')) process.stderr.write(`warning: ${vg.note}\n`);
  const yaml = policyFromPySnap({ options, host, vg: vg.vg, vgNote: vg.note, commandLine: line });

  // Check what we generate with the same loader plan uses; its problems name the options, not this file.
  const dir = await mkdtemp(join(tmpdir(), 'snapctl-init-'));
  try {
    await writeFile(join(dir, 'policy.yaml'), yaml);
    const { checkPolicy } = await import('../../policy/load.js');
    const check = await checkPolicy(join(dir, 'policy.yaml'));
    const inputs: Inputs = { options, host, vg: vg.vg, line, given: { host: values.host !== undefined, vg: values.vg !== undefined } };
    const [first, ...more] = check.problems.map((p) => optionProblem(p, inputs));
    if (first !== undefined) throw new SnapctlError('input', first, more.length > 0 ? more.join('\n') : undefined);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }

  if (values.out === undefined) {
    process.stdout.write(yaml);
    return EXIT.ok;
  }
  try {
    await writeFile(values.out, yaml, { flag: values.force ? 'w' : 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new SnapctlError('input', `${values.out} exists`, 'pass --force to overwrite it');
    throw new SnapctlError('input', `cannot write ${values.out}: ${(err as Error).message}`);
  }
  process.stderr.write(`wrote ${values.out}; check it with: snapctl plan --policy ${values.out}\n`);
  return EXIT.ok;
}
