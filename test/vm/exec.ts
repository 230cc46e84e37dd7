// Child processes for the VM harness: one promise-returning runner that keeps
// stdout and stderr apart, and an error type for every harness failure so the
// suite entry can print it plainly and exit non-zero.
import { spawn } from 'node:child_process';
import type { SpawnOptions } from 'node:child_process';

/** A failure of the VM machinery itself (not of the command run inside). */
export class VmError extends Error {
  override readonly name: string = 'VmError';
  constructor(
    message: string,
    /** SIGINT/SIGTERM stopped the VM: not a failure to report, just an early end. */
    readonly interrupted = false,
  ) {
    super(message);
  }
}

/**
 * The guest's hang watch (init.sh) found a task stuck in uninterruptible sleep
 * in the kernel, printed its report and reset the guest: the job's own
 * outcome is unknown.
 */
export class VmKernelHang extends VmError {
  override readonly name = 'VmKernelHang';
}

export interface ExecResult {
  readonly code: number;
  readonly stdout: string;
  /** The same output undecoded, for binary data. */
  readonly stdoutBytes: Buffer;
  readonly stderr: string;
}

export interface ExecOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Bytes written to the child's stdin, then closed; the child need not read them all. */
  readonly input?: Buffer;
}

/** Runs a program to completion; a program that cannot start resolves with code 127. */
export function exec(file: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  return new Promise((resolve) => {
    const spawnOptions: SpawnOptions = { stdio: [options.input ? 'pipe' : 'ignore', 'pipe', 'pipe'] };
    if (options.cwd !== undefined) spawnOptions.cwd = options.cwd;
    if (options.env !== undefined) spawnOptions.env = options.env;
    const child = spawn(file, args, spawnOptions);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (e) => resolve({ code: 127, stdout: '', stdoutBytes: Buffer.alloc(0), stderr: `${file}: ${e.message}` }));
    child.on('close', (code, signal) => {
      const bytes = Buffer.concat(out);
      resolve({
        code: code ?? 128,
        stdout: bytes.toString('utf8'),
        stdoutBytes: bytes,
        stderr: Buffer.concat(err).toString('utf8') + (signal ? `\n(killed by ${signal})` : ''),
      });
    });
    if (options.input && child.stdin) {
      // A child may stop reading before the end and exit (xz --single-stream
      // leaves the bzImage trailer unread): EPIPE then is no failure, and its
      // exit status says whether it did its job. Unhandled, it would kill us.
      child.stdin.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code !== 'EPIPE') err.push(Buffer.from(`${file}: writing its input: ${e.message}\n`));
      });
      child.stdin.end(options.input);
    }
  });
}

/** Like exec, but a non-zero exit becomes a VmError naming the command and its stderr. */
export async function execOk(file: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  const result = await exec(file, args, options);
  if (result.code !== 0) {
    throw new VmError(`\`${[file, ...args].join(' ')}\` failed with exit ${result.code}:\n${(result.stderr || result.stdout).trim()}`);
  }
  return result;
}
