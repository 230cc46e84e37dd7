// Every exit code snapctl uses, in one place (documented in README.md).
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
