// Drives the real CLI (`node bin/snapctl.js …`) as a child process against a
// throw-away workspace: a policy written by the test, and log, state and lock
// paths inside the workspace so tests never touch /var or /run and can run
// side by side.
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (tests run from dist/test/…). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface CliResult {
  /** Exit code, or null when killed by a signal. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Wall time from spawn to exit. */
  readonly ms: number;
}

export interface RunningCli {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly done: Promise<CliResult>;
}

/** Starts `snapctl ARGS` (from the repository root, or `cwd`; `env` added to the environment) without waiting for it. */
export function startSnapctl(args: readonly string[], cwd: string = ROOT, env: NodeJS.ProcessEnv = {}): RunningCli {
  const started = Date.now();
  const child = spawn(process.execPath, [join(ROOT, 'bin/snapctl.js'), ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const done = new Promise<CliResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr, ms: Date.now() - started }));
  });
  if (child.pid === undefined) throw new Error('could not start snapctl');
  return { child, pid: child.pid, done };
}

/** Runs `snapctl ARGS` to the end. */
export function snapctl(...args: string[]): Promise<CliResult> {
  return startSnapctl(args).done;
}

/** Runs `snapctl ARGS` to the end with these variables added to the environment (a PATH with fake tools first). */
export function snapctlWithEnv(env: NodeJS.ProcessEnv, ...args: string[]): Promise<CliResult> {
  return startSnapctl(args, ROOT, env).done;
}

export interface Workspace {
  /** The temporary directory holding everything below. */
  readonly dir: string;
  readonly policyFile: string;
  /** The policy's backupDir (archives go to `<backupRoot>/<host>/`). */
  readonly backupRoot: string;
  /** `<backupRoot>/<host>`: where archives appear. */
  readonly hostDir: string;
  readonly host: string;
  readonly logDir: string;
  readonly stateDir: string;
  readonly lockFile: string;
  /** (Re)writes the policy file (JSON is YAML). */
  writePolicy(doc: unknown): Promise<void>;
  /** `--policy … --host …` plus `--now` when given. */
  common(now?: string): string[];
  /** Arguments for `apply`: common ones plus log, state and lock inside the workspace. */
  applyArgs(now?: string): string[];
  cleanup(): Promise<void>;
}

export interface WorkspaceOptions {
  readonly host?: string;
  /** Where the backups go; default `<dir>/backup`. */
  readonly backupRoot?: string;
}

export async function workspace(opts: WorkspaceOptions = {}): Promise<Workspace> {
  const dir = await mkdtemp(join(tmpdir(), 'snapctl-apply-'));
  const host = opts.host ?? 'h1';
  const backupRoot = opts.backupRoot ?? join(dir, 'backup');
  const ws: Workspace = {
    dir,
    policyFile: join(dir, 'policy.yaml'),
    backupRoot,
    hostDir: join(backupRoot, host),
    host,
    logDir: join(dir, 'log'),
    stateDir: join(dir, 'state'),
    lockFile: join(dir, 'run', 'apply.lock'),
    writePolicy: (doc) => writeFile(join(dir, 'policy.yaml'), `${JSON.stringify(doc, null, 2)}\n`),
    common: (now) => ['--policy', join(dir, 'policy.yaml'), '--host', host, ...(now !== undefined ? ['--now', now] : [])],
    applyArgs: (now) => ['apply', ...ws.common(now), '--log-dir', ws.logDir, '--state-dir', ws.stateDir, '--lock-file', ws.lockFile],
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
  return ws;
}

/** A one-host policy document with the given volumes (timezone UTC). */
export function policyDoc(ws: Workspace, volumes: Record<string, unknown>, defaults: Record<string, unknown> = {}): unknown {
  return { version: 1, timezone: 'UTC', defaults, hosts: { [ws.host]: { backupDir: ws.backupRoot, volumes } } };
}

/** File names in a directory, sorted; [] when it does not exist. */
export async function listDir(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[])).sort();
}

/**
 * Applies at each time in turn (each must exit 0), then lists the members of
 * every uncompressed archive in `hostDir`, sorted: a backup directory the
 * archives leave out shows as no archive holding an earlier one.
 */
export async function applyAndList(ws: Workspace, hostDir: string, times: readonly string[]): Promise<string[][]> {
  for (const now of times) {
    const r = await snapctl(...ws.applyArgs(now));
    assert.equal(r.code, 0, describeRun(r));
  }
  const archives = (await listDir(hostDir)).filter((f) => f.endsWith('.tar'));
  assert.equal(archives.length, times.length);
  return archives.map((a) => execFileSync('tar', ['-tf', join(hostDir, a)], { encoding: 'utf8' }).split('\n').filter((l) => l !== '').sort());
}

/** name → sha256 of every file in a directory: "same bytes" in one deepEqual. */
export async function snapshotDir(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of await listDir(dir)) out[name] = createHash('sha256').update(await readFile(join(dir, name))).digest('hex');
  return out;
}

// ---------------------------------------------------------------- JSON views

export interface PlanJsonAction {
  readonly type: 'create' | 'delete' | 'cleanup';
  readonly volume?: string;
  readonly archive: string;
  readonly path: string;
  readonly sidecar?: string;
  readonly reason: string;
  readonly expiresAnyway?: true;
}

export interface PlanJson {
  readonly now: string;
  readonly backupDir: string;
  readonly actions: readonly PlanJsonAction[];
  readonly diagnostics: readonly { severity: string; volume?: string; message: string }[];
}

export interface ApplyJsonVolume {
  readonly volume: string;
  readonly status: string;
  readonly archive?: string;
  readonly deleted: readonly string[];
  readonly errors: readonly string[];
}

export interface ApplyJson {
  readonly cleanups: readonly { archive: string; ok: boolean }[];
  readonly volumes: readonly ApplyJsonVolume[];
  readonly exitCode: number;
}

export function parseJson<T>(r: CliResult, what: string): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`${what}: stdout is not JSON (exit ${String(r.code)}):\n${r.stdout}\n${r.stderr}`);
  }
}

/** For assertion messages: everything a failed run said. */
export function describeRun(r: CliResult): string {
  return `exit ${String(r.code)}${r.signal ? ` (${r.signal})` : ''}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
}
