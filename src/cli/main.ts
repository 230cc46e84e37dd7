// The CLI entry: pick the command, import only its module (start-up stays
// fast), run it, and map errors to exit codes in exactly this one place.
import { SnapctlError, formatError } from '../core/errors.js';
import { EXIT } from './exit-codes.js';
import type { CommandModule } from './command.js';

const COMMANDS: Record<string, () => Promise<CommandModule>> = {
  plan: () => import('./commands/plan.js'),
  apply: () => import('./commands/apply.js'),
  validate: () => import('./commands/validate.js'),
  restore: () => import('./commands/restore.js'),
  verify: () => import('./commands/verify.js'),
  list: () => import('./commands/list.js'),
  init: () => import('./commands/init.js'),
};

const VERSION = '0.1.0';

function usage(): string {
  return `usage: snapctl <command> [options]

Declarative snapshot backups for LVM, btrfs and plain directories.

Commands:
${Object.keys(COMMANDS)
  .map((name) => `  ${name}`)
  .join('\n')}

Run \`snapctl <command> --help\` for the options of a command.
Global options: --help, --version, --no-color.
`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
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
  const mod = await load();
  try {
    return await mod.run(rest);
  } catch (err) {
    throw flagError(err, name) ?? err;
  }
}

/** node:util parseArgs throws plain TypeErrors for bad flags: those are bad input, not bugs. */
function flagError(err: unknown, command: string): SnapctlError | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (!(err instanceof Error) || typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS_')) return undefined;
  return new SnapctlError('input', err.message, `run \`snapctl ${command} --help\` for its options`);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof SnapctlError) {
      process.stderr.write(`${formatError(err)}\n`);
      process.exitCode = err.kind === 'locked' ? EXIT.locked : EXIT.error;
      return;
    }
    const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
    process.stderr.write(
      `snapctl: internal error (this is a bug; please report it with the command line and this output):\n${text}\n`,
    );
    process.exitCode = EXIT.bug;
  },
);
