// Runs a system tool and hands back its streams and status as a value, so
// callers decide what a non-zero exit means (LVM's exit 5 is often expected).
// node:child_process rather than execa: plan runs only lvs and reads mounts, and
// loading execa's ~150 modules cost plan more start-up time than everything else.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';

export interface ToolResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  /** The tool is not installed (spawn ENOENT). */
  readonly missing: boolean;
  /** The tool gave no answer within `timeoutMs`: it was sent SIGTERM and is no longer waited for. */
  readonly timedOut?: boolean;
  /** With `timedOut`: the process given up on, which may still run. */
  readonly pid?: number;
}

export interface RunToolOptions {
  /** Stops the tool (SIGTERM) when aborted: for read-only reports whose answer is no longer wanted. */
  readonly signal?: AbortSignal;
  /**
   * Gives up on the tool after this long: SIGTERM, and no more waiting for
   * it. A process stuck on an unresponsive device sleeps in the kernel until
   * the I/O returns and dies of no signal before that. For read-only reports
   * only: a command that changes something is never abandoned halfway.
   */
  readonly timeoutMs?: number;
}

export function runTool(file: string, args: readonly string[], env: Readonly<Record<string, string>> = {}, options: RunToolOptions = {}): Promise<ToolResult> {
  return new Promise((resolve) => {
    // LC_ALL=C: the error mapping reads English messages.
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C', ...env }, ...(options.signal !== undefined ? { signal: options.signal } : {}) });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            child.kill('SIGTERM');
            // Let the process exit without it: its pipes closed, its handle no longer holding the event loop.
            child.stdout.destroy();
            child.stderr.destroy();
            child.unref();
            const waited = options.timeoutMs as number;
            const span = waited >= 1000 ? `${Math.round(waited / 1000)} s` : `${waited} ms`;
            resolve({ exitCode: 124, stdout: '', stderr: `${file} gave no answer in ${span}; a device or a lock it waits on may be stuck`, missing: false, timedOut: true, ...(child.pid !== undefined ? { pid: child.pid } : {}) });
          }, options.timeoutMs);
    // 'error' without 'close' when the program cannot be started at all.
    child.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const missing = e.code === 'ENOENT';
      resolve({ exitCode: missing ? 127 : 1, stdout: '', stderr: missing ? `${file}: command not found` : e.name === 'AbortError' ? `${file}: stopped` : '', missing });
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ exitCode: code ?? 1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), missing: false });
    });
  });
}

/** `file args…` for logs and error details. */
export function commandLine(file: string, args: readonly string[]): string {
  return [file, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** `udevadm settle` when udev is there (device nodes of a new LV appear asynchronously); a no-op otherwise. */
export async function udevSettle(): Promise<void> {
  await runTool('udevadm', ['settle', '--timeout=30']);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** How a child process ended (code 127: it could not be started). */
export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** "zstd failed (exit 1): <last stderr lines>". */
export function describeExit(name: string, exit: ChildExit, tail: readonly string[]): string {
  const how = exit.code === 127 ? 'was not found' : exit.signal ? `was killed by ${exit.signal}` : `failed (exit ${exit.code})`;
  const last = tail.slice(-3).join('; ');
  return `${name} ${how}${last ? `: ${last}` : ''}`;
}

/** A child being waited for, with the tail of its stderr. */
export interface WatchedChild {
  /** Resolves when the child exits (code 127: it could not be started, 126: it could not be run). */
  readonly exit: Promise<ChildExit>;
  /** Its last ~4,000 bytes of stderr as whole lines, without empty lines and those `consume` took. */
  stderr(): string[];
}

/** Waits for `child` and keeps the tail of its stderr; `consume` sees each line first and returns true to drop it (progress lines). */
export function watchChild(child: ChildProcess, consume?: (line: string) => boolean): WatchedChild {
  let kept = '';
  let pending = '';
  const keep = (line: string): void => {
    if (line === '' || consume?.(line) === true) return;
    kept = (kept + line + '\n').slice(-4000);
  };
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (pending + chunk).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) keep(line);
  });
  const exit = new Promise<ChildExit>((resolve) => {
    // 'error' without 'close' happens when the program cannot be started at all.
    child.once('error', (err) => resolve({ code: (err as NodeJS.ErrnoException).code === 'ENOENT' ? 127 : 126, signal: null }));
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  const stderr = (): string[] => {
    keep(pending);
    pending = '';
    return kept.split('\n').filter((l) => l !== '');
  };
  return { exit, stderr };
}
