// parseArgs option tables the commands share. Each command exports its whole
// table as OPTIONS; the help test checks that --help documents every flag in it.
import type { ParseArgsConfig } from 'node:util';

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
