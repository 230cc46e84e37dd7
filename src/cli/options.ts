// How the commands read their arguments: the option tables they share, and
// one strict parse with the -h/--help exit. Each command exports its whole
// table as OPTIONS; the help test checks that --help documents every flag in it.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { SnapctlError } from '../core/errors.js';

export type OptionTable = NonNullable<ParseArgsConfig['options']>;

/** Every command takes these; `snapctl --help` documents --no-color once for all. */
export const COMMON_OPTIONS = {
  'no-color': { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies OptionTable;

/** Which policy, for which host, and where its archives are: the commands that read a backup directory. */
export const TARGET_OPTIONS = {
  policy: { type: 'string' },
  host: { type: 'string' },
  'backup-dir': { type: 'string' },
} as const satisfies OptionTable;

type Parsed<T extends OptionTable> = ReturnType<typeof parseArgs<{ args: string[]; options: T; strict: true; allowPositionals: boolean }>>;

/**
 * Reads a command's arguments with its OPTIONS table (strictly: node's
 * ERR_PARSE_ARGS_* errors for unknown or malformed flags, which main.ts
 * reports as bad input). With -h or --help, prints `help` and returns
 * undefined: the command then exits 0 without doing anything.
 * An empty value (`--backup-dir "$UNSET"`) is refused: no option or
 * argument of snapctl means anything when empty, and a path would
 * silently be the current directory.
 */
export function parseCommandLine<T extends OptionTable>(argv: string[], options: T, help: string, allowPositionals = false): Parsed<T> | undefined {
  const parsed = parseArgs({ args: argv, options, strict: true, allowPositionals });
  if ((parsed.values as { help?: boolean }).help === true) {
    process.stdout.write(help);
    return undefined;
  }
  for (const [name, value] of Object.entries(parsed.values)) {
    if (value === '' || (Array.isArray(value) && value.includes(''))) {
      throw new SnapctlError('input', `--${name} was given an empty value`, `give --${name} a value (is a shell variable unset?)`);
    }
  }
  if ((parsed.positionals as string[]).includes('')) throw new SnapctlError('input', 'an empty argument was given', 'remove it (is a shell variable unset?)');
  return parsed;
}
