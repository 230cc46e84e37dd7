// Backup directories for the restore, verify and list tests: archives made
// by the real `snapctl apply` on a path volume, and py_snap-layout archives
// made with python3's tarfile exactly as py_snap made them.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, chmod, link, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Compression } from '../../src/core/model.js';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function snapctl(...args: string[]): Run {
  const r = spawnSync(process.execPath, ['bin/snapctl.js', ...args], { cwd: ROOT, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export interface Fixture {
  readonly root: string;
  /** The path volume's directory. */
  readonly src: string;
  readonly policy: string;
  /** <backupDir>/h1 */
  readonly hostDir: string;
  /** --policy P --host h1 */
  readonly flags: readonly string[];
  /** py_snap's archive name prefix for the volume: h1 + path with / as _. */
  readonly legacyPrefix: string;
  apply(now: string): Run;
  cleanup(): Promise<void>;
}

/** A tree with owners, modes, links, odd names, an xattr and a mongod.lock. */
export async function makeTree(src: string): Promise<void> {
  await mkdir(join(src, 'db/journal'), { recursive: true });
  await writeFile(join(src, 'db/collection-1.wt'), 'x'.repeat(100_000));
  await writeFile(join(src, 'db/journal/WiredTigerLog.1'), 'journal\n');
  await writeFile(join(src, 'mongod.lock'), '4242\n');
  await writeFile(join(src, 'db/mongod.pid'), '4242\n');
  await symlink('db/collection-1.wt', join(src, 'link'));
  await symlink('/etc/hostname', join(src, 'abs-link'));
  await link(join(src, 'db/collection-1.wt'), join(src, 'hard'));
  await writeFile(join(src, 'new\nline "quoted" -> x'), 'odd\n');
  await writeFile(join(src, 'owned'), 'owned\n');
  execFileSync('chown', ['1234:2345', join(src, 'owned')]);
  await writeFile(join(src, 'setuid'), '#!/bin/sh\n');
  await chmod(join(src, 'setuid'), 0o4750);
  await mkdir(join(src, 'private'));
  await chmod(join(src, 'private'), 0o700);
  execFileSync('setfattr', ['-n', 'user.snapctl', '-v', 'kept', join(src, 'owned')]);
}

export async function makeFixture(compression: Compression = 'zstd', retention = '{ keepLast: 10 }'): Promise<Fixture> {
  const root = await mkdtemp(join(tmpdir(), 'snapctl-restore-'));
  const src = join(root, 'data');
  await mkdir(src);
  await makeTree(src);
  const policy = join(root, 'policy.yaml');
  await writeFile(
    policy,
    `version: 1
timezone: UTC
hosts:
  h1:
    backupDir: ${root}/backup
    volumes:
      data:
        path: ${src}
        schedule: daily
        compression: ${compression}
        retention: ${retention}
        lockFiles: [mongod.lock, "**/*.pid"]
`,
  );
  const flags = ['--policy', policy, '--host', 'h1'];
  return {
    root,
    src,
    policy,
    hostDir: join(root, 'backup/h1'),
    flags,
    legacyPrefix: `h1${src.replaceAll('/', '_')}`,
    apply: (now) => snapctl('apply', ...flags, '--now', now, '--log-dir', join(root, 'log'), '--state-dir', join(root, 'state'), '--lock-file', join(root, 'lock')),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

/**
 * Writes `out` as py_snap did: the tree copied to `<parent>/<mountName>`
 * (its -m mount point), then from that parent `tarfile.open(out, "w:gz")`
 * (or "w" without -c) adding the mount's base name, in Python 2.7's GNU format.
 */
export async function writePySnapArchive(tree: string, out: string, gzip: boolean, mountName = 'snap_backup'): Promise<void> {
  const parent = await mkdtemp(join(tmpdir(), 'snapctl-pysnap-'));
  try {
    execFileSync('cp', ['-a', tree, join(parent, mountName)]);
    const script = `import os, sys, tarfile
os.chdir(sys.argv[1])
t = tarfile.open(sys.argv[2], "w:gz" if sys.argv[3] == "1" else "w", format=tarfile.GNU_FORMAT)
t.add(sys.argv[4])
t.close()
`;
    execFileSync('python3', ['-c', script, parent, out, gzip ? '1' : '0', mountName]);
  } finally {
    await rm(parent, { recursive: true, force: true });
  }
}

/**
 * Cuts `archive` where its last member's header starts, as a copy stopped at
 * a 512-byte boundary (or by a full disk) leaves it, and compresses the
 * shorter tar data again as before: the members before it are whole and
 * `tar -t` exits 0. A sidecar is rewritten to match, so only the listing can
 * tell. Returns the name of the member cut off, as tar lists it.
 */
export async function cutBeforeLastMember(archive: string, compression: Compression): Promise<string> {
  const tool = compression === 'none' ? undefined : { zstd: 'zstd', gzip: 'gzip', xz: 'xz' }[compression];
  const whole = await readFile(archive);
  const data = tool ? execFileSync(tool, ['-q', '-d', '-c'], { input: whole, maxBuffer: 1 << 30 }) : whole;
  // The last line is the end-of-archive zero block, the one before it the last member.
  const lines = execFileSync('tar', ['-t', '--block-number', '--file=-'], { input: data, encoding: 'utf8', maxBuffer: 1 << 30 }).trimEnd().split('\n');
  const last = /^block (\d+): (.*)$/.exec(lines.at(-2) ?? '');
  if (last === null || lines.at(-1)?.endsWith('** Block of NULs **') !== true) throw new Error(`unexpected listing of ${archive}: ${lines.slice(-2).join(' / ')}`);
  const cut = data.subarray(0, Number(last[1]) * 512);
  const bytes = tool ? execFileSync(tool, ['-q', '-c'], { input: cut, maxBuffer: 1 << 30 }) : cut;
  await writeFile(archive, bytes);
  const sidecar = `${archive}.sha256`;
  if (await access(sidecar).then(() => true, () => false)) {
    await writeFile(sidecar, `${createHash('sha256').update(bytes).digest('hex')}  ${basename(archive)}\n`);
  }
  return last[2]!;
}
