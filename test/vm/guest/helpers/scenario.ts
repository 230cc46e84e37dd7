// One scenario's world outside LVM: a policy written by the test, a backup
// directory, a private mount root, and the log/state/lock paths of apply,
// all under one directory of the guest, plus the real snapctl CLI run
// against them and the outside checks of what it produced.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SNAPCTL, type Ran } from '../vm-guest.js';

export const HOST = 'vmhost';

export interface Scenario {
  readonly dir: string;
  readonly policyFile: string;
  /** The policy's backupDir; archives land in `hostDir`. */
  readonly backupRoot: string;
  readonly hostDir: string;
  /** The policy's private mount root for snapshots. */
  readonly mountRoot: string;
  /** Writes a one-host policy (timezone UTC) with these volumes. */
  writePolicy(volumes: Record<string, unknown>): void;
  /** `snapctl plan --json` at `now`; parsed, with the run for messages. */
  plan(now: string): { run: Ran; json: PlanJson };
  /** `snapctl plan` (text) at `now`. */
  planText(now: string): Ran;
  /** `snapctl apply --json` at `now`; parsed, with the run for messages. */
  apply(now: string): { run: Ran; json: ApplyJson };
  /** `snapctl apply` (text summary) at `now`. */
  applyText(now: string): Ran;
  /** argv (after node) of `apply` at `now`, for starting it in the background. */
  applyArgv(now: string, json?: boolean): string[];
  /** Sorted file names in the host's backup directory. */
  files(): string[];
  remove(): void;
}

export interface PlanJson {
  readonly actions: ReadonlyArray<{
    readonly type: 'create' | 'delete' | 'cleanup';
    readonly volume: string | null;
    readonly archive: string;
    readonly path: string;
    readonly reason: string;
    readonly target?: { readonly kind: string; readonly path?: string; readonly target?: string; readonly vg?: string; readonly lv?: string };
  }>;
  readonly diagnostics: ReadonlyArray<{ readonly severity: string; readonly volume?: string; readonly message: string }>;
}

export interface ApplyJson {
  readonly cleanups: ReadonlyArray<{ readonly archive: string; readonly ok: boolean; readonly error?: string }>;
  readonly volumes: ReadonlyArray<{ readonly volume: string; readonly status: string; readonly archive?: string; readonly deleted: readonly string[]; readonly errors: readonly string[] }>;
  readonly exitCode: number;
}

/** Runs the checkout's CLI (bin/snapctl.js: the single-file build) with a colourless environment. */
export function snapctl(args: readonly string[]): Ran {
  const [node, script] = SNAPCTL;
  const r = spawnSync(node, [script, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', LVM_SUPPRESS_FD_WARNINGS: '1' } });
  return { code: r.status ?? 128, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
}

/** Starts the CLI without waiting (its own process group, so a test can kill it and its children). */
export function startSnapctl(args: readonly string[]): { pid: number; done: Promise<Ran> } {
  const [node, script] = SNAPCTL;
  const child = spawn(node, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, NO_COLOR: '1', LVM_SUPPRESS_FD_WARNINGS: '1' } });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  if (child.pid === undefined) throw new Error('could not start snapctl');
  const done = new Promise<Ran>((resolve) => child.once('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr: stderr + (signal ? `\n(killed by ${signal})` : '') })));
  return { pid: child.pid, done };
}

/** Everything a run said, for assertion messages. */
export function describe(r: Ran): string {
  return `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

function parse<T>(r: Ran, what: string): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`${what}: stdout is not JSON\n${describe(r)}`);
  }
}

export function scenario(name: string): Scenario {
  const dir = mkdtempSync(`/tmp/snapctl-vm-${name}-`);
  const backupRoot = join(dir, 'backup');
  const mountRoot = join(dir, 'mnt');
  const policyFile = join(dir, 'policy.yaml');
  const common = (now: string): string[] => ['--policy', policyFile, '--host', HOST, '--now', now];
  const applyArgv = (now: string, json = true): string[] => [
    'apply',
    ...common(now),
    '--log-dir',
    join(dir, 'log'),
    '--state-dir',
    join(dir, 'state'),
    '--lock-file',
    join(dir, 'apply.lock'),
    ...(json ? ['--json'] : []),
  ];
  const hostDir = join(backupRoot, HOST);
  return {
    dir,
    policyFile,
    backupRoot,
    hostDir,
    mountRoot,
    writePolicy(volumes) {
      const doc = { version: 1, timezone: 'UTC', hosts: { [HOST]: { backupDir: backupRoot, mountRoot, volumes } } };
      writeFileSync(policyFile, `${JSON.stringify(doc, null, 2)}\n`);
    },
    plan(now) {
      const r = snapctl(['plan', ...common(now), '--json']);
      return { run: r, json: parse<PlanJson>(r, 'plan --json') };
    },
    planText: (now) => snapctl(['plan', ...common(now)]),
    apply(now) {
      const r = snapctl(applyArgv(now));
      return { run: r, json: parse<ApplyJson>(r, 'apply --json') };
    },
    applyText: (now) => snapctl(applyArgv(now, false)),
    applyArgv,
    files: () => (existsSync(hostDir) ? readdirSync(hostDir).sort() : []),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * A scenario whose policy has an lvm volume `data` (`vgLv`) and a path
 * volume `docs` (a directory of its own holding one file): what apply can
 * still archive when the lvm one fails.
 */
export function lvmAndPathScenario(name: string, vgLv: string): Scenario {
  const world = scenario(name);
  mkdirSync(join(world.dir, 'docs'));
  writeFileSync(join(world.dir, 'docs', 'notes.txt'), 'notes\n');
  world.writePolicy({
    data: { lvm: vgLv, compression: 'zstd', retention: { keepLast: 5 } },
    docs: { path: join(world.dir, 'docs'), compression: 'zstd', retention: { keepLast: 5 } },
  });
  return world;
}

// ---------------------------------------------------------------- archives

/** Member names of a zstd tar archive, read with plain `zstd -dc A | tar -t`. */
export function archiveMembers(archive: string): string[] {
  const r = spawnSync('bash', ['-o', 'pipefail', '-c', 'zstd -dc -- "$1" | tar -t', 'list', archive], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`zstd -dc ${archive} | tar -t exited ${r.status}: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter((m) => m !== '' && m !== './')
    .map((m) => m.replace(/^\.\//, '').replace(/\/$/, ''))
    .sort();
}

/** Extracts with plain `zstd -dc A | tar -x` into a new directory and returns it. */
export function extractArchive(archive: string, under: string): string {
  mkdirSync(under, { recursive: true });
  const out = mkdtempSync(join(under, 'restore-'));
  const r = spawnSync('bash', ['-o', 'pipefail', '-c', 'zstd -dc -- "$1" | tar -x --numeric-owner -C "$2"', 'extract', archive, out], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`zstd -dc ${archive} | tar -x exited ${r.status}: ${r.stderr}`);
  return out;
}

/** `sha256sum -c <archive>.sha256` run in the archive's directory; returns its output. */
export function checkSidecar(dir: string, archive: string): Ran {
  const r = spawnSync('sha256sum', ['-c', `${archive}.sha256`], { cwd: dir, encoding: 'utf8' });
  return { code: r.status ?? 128, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/**
 * path → type, mode, owner and content (sha256 for files, target for links)
 * of everything under `root`: two trees are the same data when these are
 * deepEqual. mtimes are left out (directories' change as the test writes).
 */
export function describeTree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const path = rel === '' ? name : `${rel}/${name}`;
      const st = lstatSync(join(root, path));
      const owner = `${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`;
      if (st.isSymbolicLink()) out[path] = `link ${owner} -> ${readlinkSync(join(root, path))}`;
      else if (st.isDirectory()) {
        out[path] = `dir ${owner}`;
        walk(path);
      } else if (st.isFile()) out[path] = `file ${owner} ${st.size} ${createHash('sha256').update(readFileSync(join(root, path))).digest('hex')}`;
      else out[path] = `other ${owner}`;
    }
  };
  walk('');
  return out;
}

// ---------------------------------------------------------------- timing

/** Prints how long a scenario took, in the suite's output. */
export async function timed<T>(label: string, fn: () => T | Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await fn();
  } finally {
    process.stdout.write(`scenario time: ${label}: ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  }
}
