// Every exit code snapctl uses, in one place (documented in README.md), and
// which one an error a command throws ends in.
import { SnapctlError } from '../core/errors.js';

export const EXIT = {
  ok: 0,
  /** Bad input, preflight failure, stale plan: nothing was done. */
  error: 1,
  /** plan --detailed-exitcode: changes pending. */
  changes: 2,
  /** apply: some actions failed, others were done. */
  partial: 3,
  /** apply: another apply holds the host lock. */
  locked: 4,
  /** verify: a corrupt (checksum mismatch) or truncated archive was found. */
  damaged: 2,
  /** verify: no archive is damaged, but some have no sidecar to check against (py_snap's). */
  unverifiable: 3,
  /** An unexpected internal error (a bug). */
  bug: 70,
  /** apply interrupted by SIGHUP (its terminal went away), after cleaning up. */
  sighup: 129,
  sigint: 130,
  /** The reader of stdout went away (`snapctl list | head`): what a shell reports for a program killed by SIGPIPE. */
  closedOutput: 141,
  sigterm: 143,
} as const;

/** node:util parseArgs throws plain TypeErrors for bad flags: those are bad input, not bugs. */
export function flagError(err: unknown, command: string): SnapctlError | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (!(err instanceof Error) || typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS_')) return undefined;
  return new SnapctlError('input', err.message, `run \`snapctl ${command} --help\` for its options`);
}

/** The exit code of an error a command throws (after flagError): the CLI entry exits with it, apply --json reports it. */
export function errorExitCode(err: unknown): number {
  if (err instanceof SnapctlError) return err.kind === 'locked' ? EXIT.locked : EXIT.error;
  return EXIT.bug;
}
