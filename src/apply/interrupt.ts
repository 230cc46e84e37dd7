// SIGINT/SIGTERM/SIGHUP during apply: turn the first signal into an aborted
// AbortSignal so running steps stop and their `finally` blocks (unmount,
// lvremove, removal of the partial archive) run to the end. Further signals
// must not cut that cleanup short, so they only say to wait (SIGKILL remains
// the operator's last resort, and the next run cleans up what it leaves).
// SIGHUP is the terminal going away under an apply started by hand (an ssh
// session dropped): by default node would die on the spot, leaving the
// snapshot mounted and tar and zstd writing a partial archive.
import { EXIT } from '../cli/exit-codes.js';
import { SnapctlError } from '../core/errors.js';

export type InterruptSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';

/** The exit code after an interrupted run has cleaned up: 128 + signal number. */
export const INTERRUPT_EXIT: Readonly<Record<InterruptSignal, number>> = { SIGINT: EXIT.sigint, SIGTERM: EXIT.sigterm, SIGHUP: EXIT.sighup };

export interface InterruptOutcome<T> {
  /** Set when fn resolved (it may resolve even after an interrupt). */
  readonly result?: T;
  /** The first signal received while fn ran. */
  readonly interrupted?: InterruptSignal;
}

export interface InterruptOptions {
  /** Where "cleanup in progress" notices go; stderr by default. */
  readonly notify?: (message: string) => void;
  /** What the first signal's notice says is happening, after "SIGINT received: "; apply's cleanup by default. */
  readonly stopping?: string;
}

/**
 * Run fn with SIGINT/SIGTERM/SIGHUP turned into `signal` being aborted. After an
 * interrupt, an error thrown by fn (the abort surfacing) is swallowed and the
 * outcome names the signal; without one, fn's error propagates unchanged.
 */
export async function withInterrupts<T>(
  fn: (signal: AbortSignal) => Promise<T>,
  opts: InterruptOptions = {},
): Promise<InterruptOutcome<T>> {
  const notify = opts.notify ?? ((m: string) => process.stderr.write(`${m}\n`));
  const controller = new AbortController();
  let interrupted: InterruptSignal | undefined;
  const onSignal = (sig: InterruptSignal): void => {
    if (interrupted === undefined) {
      interrupted = sig;
      notify(`${sig} received: ${opts.stopping ?? 'stopping, cleaning up snapshots and partial files'}`);
      controller.abort(new SnapctlError('operation', `interrupted by ${sig}`));
    } else {
      notify(`${sig} received: cleanup in progress, please wait`);
    }
  };
  const onInt = (): void => onSignal('SIGINT');
  const onTerm = (): void => onSignal('SIGTERM');
  const onHup = (): void => onSignal('SIGHUP');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  process.on('SIGHUP', onHup);
  try {
    const result = await fn(controller.signal);
    return interrupted === undefined ? { result } : { result, interrupted };
  } catch (err) {
    if (interrupted !== undefined) return { interrupted };
    throw err;
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
    process.off('SIGHUP', onHup);
  }
}
