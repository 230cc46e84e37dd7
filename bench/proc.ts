// Runs one command as a whole process and times it from spawn to exit; for
// snapctl, also its peak memory: VmHWM of the process itself (polled from
// /proc, monotonic, so the last reading is its peak) and GNU time's maximum
// RSS (the largest of the process and its children tar and the compressor).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir, userInfo } from 'node:os';

export const GNU_TIME = '/usr/bin/time';

/**
 * The environment every measured command gets: what cron gives a job
 * (HOME, LOGNAME, SHELL=/bin/sh; PATH is this shell's, so that the same
 * tools are found), which is where `snapctl apply` runs. Not the shell's
 * own: a variable such as NODE_EXTRA_CA_CERTS, set in some shells and CI
 * images, makes every node process read and parse a CA bundle before it
 * runs any code (about 50 ms on the reference machine), which apply never
 * uses. machine.ts measures node's start-up in both environments.
 */
export const CRON_ENV: NodeJS.ProcessEnv = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: process.env.HOME ?? userInfo().homedir,
  LOGNAME: userInfo().username,
  SHELL: '/bin/sh',
};

export interface RunResult {
  readonly seconds: number;
  readonly code: number | null;
  readonly stdoutBytes: number;
  readonly stderr: string;
  /** Peak RSS of the measured process alone, in KiB (only with `memory`). */
  readonly peakRssKiB?: number;
  /** GNU time's "Maximum resident set size": the process or its largest child, KiB. */
  readonly treeMaxRssKiB?: number;
  /** User + system CPU seconds of the process and its children (GNU time; only with `memory`). */
  readonly cpuSeconds?: number;
  /** Minor page faults of the process and its children (GNU time; only with `memory`): each is a page of memory touched for the first time. */
  readonly minorFaults?: number;
}

export interface RunOptions {
  /** Default: CRON_ENV. */
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Measure peak memory (wraps the command in GNU time). */
  readonly memory?: boolean;
}

/** Fails with a hint when GNU time is missing (Debian: the `time` package; the shell builtin cannot report memory). */
export function requireGnuTime(): void {
  if (!existsSync(GNU_TIME)) {
    throw new Error(`${GNU_TIME} is missing: the bench measures snapctl's peak RSS with GNU time.\n  Install it: apt-get install time`);
  }
}

function vmHwmKiB(pid: number): number | undefined {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

function firstChild(pid: number): number | undefined {
  try {
    const first = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ')[0];
    return first ? Number(first) : undefined;
  } catch {
    return undefined;
  }
}

let seq = 0;

export function run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const timeFile = join(tmpdir(), `snapctl-bench-time-${process.pid}-${seq++}`);
  const full = opts.memory ? [GNU_TIME, '-v', '-o', timeFile, ...argv] : [...argv];
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(full[0]!, full.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: opts.env ?? CRON_ENV, cwd: opts.cwd });
    let stdoutBytes = 0;
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdoutBytes += b.length));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-8000)));
    let peak: number | undefined;
    let target: number | undefined;
    // Every 50 ms: VmHWM only grows, and GNU time's figure bounds it from
    // above anyway; polling more often takes CPU from the run being measured.
    const poll = opts.memory
      ? setInterval(() => {
          target ??= firstChild(child.pid!);
          const hwm = target === undefined ? undefined : vmHwmKiB(target);
          if (hwm !== undefined) peak = Math.max(peak ?? 0, hwm);
        }, 50)
      : undefined;
    child.once('error', reject);
    child.once('close', (code) => {
      const seconds = (performance.now() - started) / 1000;
      if (poll) clearInterval(poll);
      let treeMaxRssKiB: number | undefined;
      let cpuSeconds: number | undefined;
      let minorFaults: number | undefined;
      if (opts.memory) {
        const text = existsSync(timeFile) ? readFileSync(timeFile, 'utf8') : '';
        const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(text);
        treeMaxRssKiB = m ? Number(m[1]) : undefined;
        const user = /User time \(seconds\): ([\d.]+)/.exec(text);
        const sys = /System time \(seconds\): ([\d.]+)/.exec(text);
        if (user && sys) cpuSeconds = Number(user[1]) + Number(sys[1]);
        const minor = /Minor \(reclaiming a frame\) page faults: (\d+)/.exec(text);
        minorFaults = minor ? Number(minor[1]) : undefined;
        rmSync(timeFile, { force: true });
      }
      resolve({
        seconds,
        code,
        stdoutBytes,
        stderr,
        ...(peak !== undefined ? { peakRssKiB: peak } : {}),
        ...(treeMaxRssKiB !== undefined ? { treeMaxRssKiB } : {}),
        ...(cpuSeconds !== undefined ? { cpuSeconds } : {}),
        ...(minorFaults !== undefined ? { minorFaults } : {}),
      });
    });
  });
}

/** Runs and throws with the command's stderr when it does not exit 0. */
export async function runOk(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const r = await run(argv, opts);
  if (r.code !== 0) throw new Error(`${argv.join(' ')} exited ${r.code}:\n${r.stderr}`);
  return r;
}

/** A POSIX shell word. */
export function shq(s: string): string {
  return /^[A-Za-z0-9_./=:,+@%-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
