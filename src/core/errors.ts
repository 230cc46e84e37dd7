// Errors are values: a one-line summary, an optional detail paragraph, and
// (for policy errors) where in which file. The CLI entry is the only place
// that maps them to exit codes and prints them.

export type ErrorKind =
  /** Bad input: policy, flags, saved plan. Exit 1, nothing touched. */
  | 'input'
  /** A check before any change failed (free space, missing tool). Exit 1. */
  | 'preflight'
  /** A saved plan no longer matches the system or policy. Exit 1. */
  | 'stale-plan'
  /** Another apply holds the host lock. */
  | 'locked'
  /** An operation on the system failed. */
  | 'operation';

export interface SourceLocation {
  readonly file: string;
  /** 1-based. */
  readonly line?: number;
  /** 1-based. */
  readonly column?: number;
}

export class SnapctlError extends Error {
  override readonly name = 'SnapctlError';
  constructor(
    readonly kind: ErrorKind,
    readonly summary: string,
    readonly detail?: string,
    readonly location?: SourceLocation,
    /** Policy key path like `hosts.db01.volumes.data.retention.keepDaily`. */
    readonly keyPath?: string,
  ) {
    super(summary);
  }
}

/** A write failed for lack of room (ENOSPC, EDQUOT): apply can make room with the archives the rules drop anyway and try once more. */
export class OutOfSpaceError extends SnapctlError {
  constructor(summary: string) {
    super('operation', summary);
  }
}

/** `file:line:col: key: summary`: the error on one line, with where it is when known (status's UNKNOWN line is this). */
export function errorLine(err: SnapctlError): string {
  const where = err.location
    ? `${err.location.file}${err.location.line !== undefined ? `:${err.location.line}` : ''}${err.location.column !== undefined ? `:${err.location.column}` : ''}: `
    : '';
  const key = err.keyPath ? `${err.keyPath}: ` : '';
  return `${where}${key}${err.summary}`;
}

/** Render `error: file:line:col: key: summary` plus detail, the one format every bad-input error uses. */
export function formatError(err: SnapctlError): string {
  return `error: ${errorLine(err)}${err.detail ? `\n  ${err.detail.replace(/\n/g, '\n  ')}` : ''}`;
}
