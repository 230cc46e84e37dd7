// Pre/post snapshot hooks: argv arrays run without a shell (a `;` or `$(…)`
// in an argument is just text), in order, each bounded by a timeout that
// kills its whole process group, with their output in the run log.
import { SnapctlError } from '../core/errors.js';
import { grouped } from '../core/describe.js';
import type { Hooks } from '../core/model.js';
import type { StepLog } from './source.js';
import { commandLine } from '../adapters/run-tool.js';
import { groupRunning } from '../adapters/process-group.js';
import type * as Execa from 'execa';

export type HookPhase = 'preSnapshot' | 'postSnapshot';

export interface HookOptions {
  readonly phase: HookPhase;
  readonly timeoutMs: number;
  /** Added to snapctl's own environment, e.g. SNAPCTL_VOLUME, SNAPCTL_HOST; SNAPCTL_PHASE is set here. */
  readonly env: Readonly<Record<string, string>>;
  readonly log: StepLog;
  /** Aborting kills the running hook's process group; no further hook starts. */
  readonly signal: AbortSignal;
  readonly cwd?: string;
  /** Between SIGTERM and SIGKILL of a timed-out or cancelled hook (default 5 s). */
  readonly killGraceMs?: number;
}

/** Output lines of a failed hook kept for the error detail. */
const TAIL_LINES = 10;
/**
 * Lines of each stream of a hook written to the log; the rest are counted.
 * A dump sent to stdout by mistake (`pg_dumpall` without `> file`) would
 * otherwise copy itself into the log, line by line, until /var fills up.
 */
export const LOGGED_LINES = 200;
const DEFAULT_KILL_GRACE_MS = 5000;
/**
 * How long output is still read after the hook's process exited (after a
 * timeout or an interrupt: once its process group is gone or SIGKILLed). A
 * process it left running in the background (`sh -c 'daemon &'`, or outside
 * the group: `setsid daemon &`) holds the pipes open; the hook's exit status
 * (or its timeout) decides, and that process is left alone.
 */
const OUTPUT_AFTER_EXIT_MS = 1000;

/** Run the hooks of one phase in order; throws SnapctlError('operation') at the first failure. */
export async function runHooks(hooks: readonly (readonly string[])[], opts: HookOptions): Promise<void> {
  for (const [i, argv] of hooks.entries()) {
    await runHook(argv, i + 1, opts);
  }
}

async function runHook(argv: readonly string[], n: number, opts: HookOptions): Promise<void> {
  const label = `${opts.phase} hook ${n} (\`${displayArgv(argv)}\`)`;
  const [file, ...args] = argv;
  if (file === undefined || file === '') throw new SnapctlError('input', `${label} is empty`);
  if (opts.signal.aborted) throw new SnapctlError('operation', `${label} not started: interrupted`);
  opts.log.info(`${opts.phase} hook ${n}: running ${displayArgv(argv)}`);
  const tail: string[] = [];
  const logged = { stdout: 0, stderr: 0 };
  let unlogged = 0;
  const keep = (stream: 'stdout' | 'stderr') =>
    // Lines go to the log as they come and are not buffered (a chatty hook keeps memory flat).
    function* (line: unknown) {
      const text = String(line);
      if (text.trim() === '') return;
      if (logged[stream] < LOGGED_LINES) {
        logged[stream]++;
        opts.log.info(`${opts.phase} hook ${n}${stream === 'stderr' ? ' (stderr)' : ''}: ${text}`);
      } else {
        unlogged++;
      }
      if (stream === 'stderr') {
        tail.push(text);
        if (tail.length > TAIL_LINES) tail.shift();
      }
      yield* [];
    };
  const { execa } = await loadExeca();
  const started = Date.now();
  const sub = execa(file, args, {
    shell: false,
    // Its own process group, so a timeout also kills what the hook started.
    detached: true,
    reject: false,
    stdin: 'ignore',
    stdout: keep('stdout'),
    stderr: keep('stderr'),
    env: { ...opts.env, SNAPCTL_PHASE: opts.phase },
    extendEnv: true,
    ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
  });
  let stopped: 'timeout' | 'interrupted' | undefined;
  let forceTimer: NodeJS.Timeout | undefined;
  let outputTimer: NodeJS.Timeout | undefined;
  let killed = false;
  let cutAfterKill: (() => void) | undefined;
  const cutOutput = (warning: string): void => {
    opts.log.warn(warning);
    sub.stdout?.destroy();
    sub.stderr?.destroy();
  };
  const stop = (why: 'timeout' | 'interrupted'): void => {
    if (stopped) return;
    stopped = why;
    killGroup(sub.pid, 'SIGTERM');
    forceTimer = setTimeout(() => {
      killed = true;
      killGroup(sub.pid, 'SIGKILL');
      cutAfterKill?.();
    }, opts.killGraceMs ?? DEFAULT_KILL_GRACE_MS);
  };
  const timer = setTimeout(() => stop('timeout'), opts.timeoutMs);
  const onAbort = (): void => stop('interrupted');
  opts.signal.addEventListener('abort', onAbort, { once: true });
  sub.once('exit', () => {
    clearTimeout(timer);
    if (!stopped) {
      outputTimer = setTimeout(() => cutOutput(`${label} exited, but a process it started still holds its output open: that output is not logged`), OUTPUT_AFTER_EXIT_MS);
      return;
    }
    // A process that left the group (setsid) escapes the kill and would hold
    // the pipes for as long as it runs; what is still in the group keeps its
    // grace and its SIGKILL before the output is cut.
    const how = stopped === 'timeout' ? 'timed out' : 'was interrupted';
    const cut = (): void =>
      cutOutput(`${label} ${how}, but a process it started outside its process group still holds its output open: that process is not killed and its output is not logged`);
    outputTimer = setTimeout(() => {
      if (killed || sub.pid === undefined || !groupRunning(sub.pid)) cut();
      else cutAfterKill = () => (outputTimer = setTimeout(cut, OUTPUT_AFTER_EXIT_MS));
    }, OUTPUT_AFTER_EXIT_MS);
  });
  const result = await sub;
  clearTimeout(timer);
  clearTimeout(forceTimer);
  clearTimeout(outputTimer);
  opts.signal.removeEventListener('abort', onAbort);
  if (unlogged > 0) opts.log.warn(`${opts.phase} hook ${n}: ${grouped(unlogged)} more lines of output not logged (only the first ${LOGGED_LINES} of stdout and of stderr are; send a dump to a file, not to stdout)`);

  const last = tail.length > 0 ? tail[tail.length - 1] : undefined;
  const detail = tail.length > 0 ? tail.join('\n') : undefined;
  if (stopped === 'timeout') throw new SnapctlError('operation', `${label} timed out after ${formatDuration(opts.timeoutMs)}`, detail);
  if (stopped === 'interrupted') throw new SnapctlError('operation', `${label} interrupted`, detail);
  if (result.code === 'ENOENT') throw new SnapctlError('operation', `${label} failed: command not found: ${file}`);
  if (result.exitCode === 0 && !result.failed) {
    opts.log.info(`${opts.phase} hook ${n}: ok (${formatDuration(Date.now() - started)})`);
    return;
  }
  const how =
    result.exitCode !== undefined ? `exit ${result.exitCode}` : result.signal ? `killed by ${result.signal}` : (result.shortMessage ?? 'failed');
  throw new SnapctlError('operation', `${label} failed: ${how}${last ? `: ${last}` : ''}`, detail);
}

/**
 * execa, loaded when the first hook runs: it adds ~14 MB to the RSS of every
 * apply otherwise, and the single-file build keeps it in a file of its own
 * (compiling it cost every command ~11 ms of start-up).
 */
async function loadExeca(): Promise<typeof Execa> {
  try {
    return await import('execa');
  } catch (err) {
    throw new SnapctlError(
      'operation',
      `cannot run hooks: execa did not load (${(err as Error).message})`,
      'the single-file build loads it from snapctl-execa.mjs beside snapctl.cjs: install both files in one directory, as the README shows',
    );
  }
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

export interface SnapshotHookOptions<X> extends Omit<HookOptions, 'phase' | 'timeoutMs'> {
  /**
   * Undo a successful take when postSnapshot then fails (release the
   * snapshot): the error is thrown, so the caller never sees the value.
   */
  readonly release?: (value: X) => Promise<void>;
}

/**
 * preSnapshot → take → postSnapshot, returning take's value or throwing the
 * first error. postSnapshot runs whenever the preSnapshot phase started, even
 * when a preSnapshot hook failed or timed out (it may have frozen the service
 * before failing; unfreezing a service that is not frozen is harmless,
 * leaving one frozen is not), when take failed, and after an interrupt (with
 * its own timeout, not cancelled by the signal). A failed preSnapshot skips
 * take: no snapshot is created.
 */
export async function withSnapshotHooks<X>(hooks: Hooks, take: () => Promise<X>, opts: SnapshotHookOptions<X>): Promise<X> {
  if (opts.signal.aborted) throw new SnapctlError('operation', 'interrupted before the snapshot');
  const common = { env: opts.env, log: opts.log, timeoutMs: hooks.timeoutMs, ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}) };
  const grace = opts.killGraceMs !== undefined ? { killGraceMs: opts.killGraceMs } : {};
  let taken: { value: X } | undefined;
  let firstError: { error: unknown } | undefined;
  try {
    await runHooks(hooks.preSnapshot, { ...common, ...grace, phase: 'preSnapshot', signal: opts.signal });
    taken = { value: await take() };
  } catch (error) {
    firstError = { error };
  }
  try {
    await runHooks(hooks.postSnapshot, { ...common, ...grace, phase: 'postSnapshot', signal: new AbortController().signal });
  } catch (error) {
    if (firstError) {
      opts.log.warn(`also: ${errorText(error)}`);
    } else {
      firstError = { error };
      if (taken && opts.release) {
        try {
          await opts.release(taken.value);
        } catch (releaseError) {
          opts.log.warn(`releasing after the failed postSnapshot hook: ${errorText(releaseError)}`);
        }
      }
    }
  }
  if (firstError) throw firstError.error;
  if (!taken) throw new Error('withSnapshotHooks: take neither returned nor threw (this is a bug)');
  return taken.value;
}

/** `mongo --eval 'db.fsyncLock()'`, shortened to fit an error line. */
export function displayArgv(argv: readonly string[], max = 60): string {
  const [file, ...args] = argv;
  const text = file === undefined ? '' : commandLine(file, args);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** 300000 → `5m`, 90000 → `1m30s`, 1500 → `1.5s`, 250 → `250ms`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(1))}s`;
  const total = Math.round(ms / 1000);
  const [h, m, s] = [Math.floor(total / 3600), Math.floor((total % 3600) / 60), total % 60];
  return `${h > 0 ? `${h}h` : ''}${m > 0 ? `${m}m` : ''}${s > 0 ? `${s}s` : ''}`;
}

function errorText(e: unknown): string {
  return e instanceof SnapctlError ? e.summary : e instanceof Error ? e.message : String(e);
}
