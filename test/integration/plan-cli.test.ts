// `snapctl plan` end to end: the real binary on fixture backup directories
// (fixtures/plans/<case>/files.txt materialised as empty files in a temp dir).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fakeBin, fixture } from '../helpers/fake-bin.js';
import { REPO_ROOT } from '../helpers/golden.js';
import { systemZone } from '../../src/adapters/system-zone.js';
import { parseGivenTime } from '../../src/core/time.js';

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function snapctl(args: readonly string[], env: NodeJS.ProcessEnv = {}): Run {
  const result = spawnSync(process.execPath, ['bin/snapctl.js', ...args], { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '', ...env } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A temp backup dir holding <host>/ with the case's files (empty), and the case's policy path. */
function materialise(name: string): { root: string; policy: string; now: string; host: string } {
  const dir = join(REPO_ROOT, 'fixtures', 'plans', name);
  const spec = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as { host: string; now: string };
  const root = mkdtempSync(join(tmpdir(), `snapctl-plan-${name}-`));
  mkdirSync(join(root, spec.host));
  for (const file of readFileSync(join(dir, 'files.txt'), 'utf8').split('\n')) {
    if (file !== '') writeFileSync(join(root, spec.host, file), '');
  }
  return { root, policy: join(dir, 'policy.yaml'), now: spec.now, host: spec.host };
}

function planArgs(c: { root: string; policy: string; now: string; host: string }, ...extra: string[]): string[] {
  return ['plan', '--policy', c.policy, '--backup-dir', c.root, '--host', c.host, '--now', c.now, ...extra];
}

/** Names, sizes and mtimes of everything under `dir`, to prove nothing changed. */
function snapshotTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    const st = statSync(d);
    out[d] = `dir ${st.mtimeMs}`;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else {
        const s = statSync(p);
        out[p] = `${s.size} ${s.mtimeMs}`;
      }
    }
  };
  walk(dir);
  return out;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[/;

test('the README example runs exactly as documented: exit 0 and the summary line', () => {
  const r = snapctl(['plan', '--policy', 'policies/example.yaml', '--backup-dir', 'fixtures/backups', '--host', 'db01', '--now', '2026-11-26T03:00:00Z']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^Plan: 2 to create, 41 to delete, 2 to clean up\.$/m);
  assert.ok(r.stdout.endsWith('to clean up.\n'));
});

test('a --host that is not a plain host name is refused by plan and apply, and apply writes nothing', () => {
  const root = mkdtempSync(join(tmpdir(), 'snapctl-plan-host-'));
  try {
    const backups = join(root, 'backups');
    mkdirSync(backups);
    for (const command of ['plan', 'apply']) {
      const applyOnly = command === 'apply' ? ['--log-dir', join(root, 'log'), '--state-dir', join(root, 'state')] : [];
      const r = snapctl([command, '--policy', 'policies/example.yaml', '--backup-dir', backups, '--host', '../escape', '--lock-file', join(root, 'lock'), ...applyOnly]);
      assert.equal(r.status, 1, `${command}: ${r.stderr}`);
      assert.match(r.stderr, /^error: invalid host name "\.\.\/escape": expected a letter or digit/m, command);
      assert.deepEqual(readdirSync(root).sort(), ['backups'], command);
      assert.deepEqual(readdirSync(backups), [], command);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

/** A temporary directory with `backups/` in it, a 1 MiB tmpfs, for the duration of `fn`. */
function withSmallBackupFs(fn: (root: string, backups: string) => void): void {
  const root = mkdtempSync(join(tmpdir(), 'snapctl-plan-fs-'));
  const backups = join(root, 'backups');
  mkdirSync(backups);
  assert.equal(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', backups]).status, 0);
  try {
    fn(root, backups);
  } finally {
    spawnSync('umount', [backups]);
    rmSync(root, { recursive: true, force: true });
  }
}

test('a backup directory on a read-only mount is an Error of the plan', () => {
  withSmallBackupFs((_root, backups) => {
    mkdirSync(join(backups, 'db01'));
    assert.equal(spawnSync('mount', ['-o', 'remount,ro', backups]).status, 0);
    const r = snapctl(['plan', '--policy', 'policies/example.yaml', '--backup-dir', backups, '--host', 'db01', '--now', '2026-11-26T03:00:00Z']);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.stdout.split('\n').includes(`Error: ${join(backups, 'db01')} is on a read-only mount: apply can write no archive and delete none`), r.stdout);
    spawnSync('mount', ['-o', 'remount,rw', backups]);
    assert.doesNotMatch(snapctl(['plan', '--policy', 'policies/example.yaml', '--backup-dir', backups, '--host', 'db01', '--now', '2026-11-26T03:00:00Z']).stdout, /read-only mount/);
  });
});

test('plan warns when the backup file system has less room than the newest archive of a due volume', () => {
  withSmallBackupFs((root, backups) => {
    mkdirSync(join(root, 'src'));
    writeFileSync(join(root, 'src', 'f'), 'data');
    const policy = join(root, 'policy.yaml');
    writeFileSync(policy, JSON.stringify({ version: 1, timezone: 'UTC', hosts: { h1: { backupDir: backups, volumes: { docs: { path: join(root, 'src') } } } } }));
    mkdirSync(join(backups, 'h1'));
    // 8 MiB by its size, none of it allocated: the tmpfs keeps its 1 MiB free.
    spawnSync('truncate', ['-s', '8M', join(backups, 'h1', 'h1_docs.20260301T030000Z.tar.zst')]);
    const plan = (now: string): string => snapctl(['plan', '--policy', policy, '--host', 'h1', '--now', now]).stdout;
    assert.match(plan('2026-03-02T03:00:00Z'), /^Warning: \S+ has 1\.0 MiB free, but the new archives will take about 8\.0 MiB \(the size of each volume's newest archive\): apply may run out of space/m);
    assert.doesNotMatch(plan('2026-03-01T04:00:00Z'), /may run out of space/, 'nothing due');
  });
});

test('plan exits 0 and prints the diff with its summary line', (t) => {
  const c = materialise('within-failed-week');
  t.after(() => rmSync(c.root, { recursive: true, force: true }));
  const r = snapctl(planArgs(c));
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^ {2}\+ db01_data\.20261126T030000Z\.tar\.zst {2}\(no archive in 2026-11-26 \(daily\)\)$/m);
  assert.match(r.stdout, /^ {2}- db01_data\.20261101T030000Z\.tar\.zst {2}\(expired: no retention rule keeps it\)$/m);
  assert.match(r.stdout, /^Plan: 1 to create, 15 to delete, 0 to clean up\.$/m);
});

test('--detailed-exitcode: 2 with changes pending, 0 without', (t) => {
  const changes = materialise('within-failed-week');
  const none = materialise('idempotent');
  t.after(() => {
    rmSync(changes.root, { recursive: true, force: true });
    rmSync(none.root, { recursive: true, force: true });
  });
  assert.equal(snapctl(planArgs(changes, '--detailed-exitcode')).status, 2);
  const r = snapctl(planArgs(none, '--detailed-exitcode'));
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^Plan: 0 to create, 0 to delete, 0 to clean up\.$/m);
  assert.equal(snapctl(planArgs(changes)).status, 0, 'without the flag, changes still exit 0');
});

test('--json prints one JSON document with the documented fields', (t) => {
  const c = materialise('mixed');
  t.after(() => rmSync(c.root, { recursive: true, force: true }));
  const r = snapctl(planArgs(c, '--json'));
  assert.equal(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as Record<string, unknown>;
  assert.equal(doc['host'], 'db01');
  assert.equal(doc['now'], '2026-11-26T03:00:00.000Z');
  assert.equal(doc['backupDir'], join(c.root, 'db01'));
  const actions = doc['actions'] as Record<string, unknown>[];
  assert.deepEqual([...new Set(actions.map((a) => a['type']))].sort(), ['cleanup', 'create', 'delete']);
  for (const a of actions) {
    for (const key of ['type', 'volume', 'archive', 'path', 'reason']) assert.ok(key in a, `action without ${key}: ${JSON.stringify(a)}`);
    assert.equal(typeof a['reason'], 'string');
  }
  const kept = doc['kept'] as Record<string, unknown>[];
  assert.ok(kept.length > 0);
  for (const k of kept) assert.deepEqual(Object.keys(k).sort(), ['archive', 'reasons', 'volume']);
  assert.ok((doc['unmanaged'] as string[]).includes('db01_www.20261120T030000Z.tar.zst'));
  assert.ok(Array.isArray(doc['diagnostics']));
  assert.ok(!ANSI.test(r.stdout));
});

test('no colour codes when stdout is not a terminal, with NO_COLOR, or with --no-color; colours on a terminal otherwise', (t) => {
  const c = materialise('within-failed-week');
  t.after(() => rmSync(c.root, { recursive: true, force: true }));
  assert.ok(!ANSI.test(snapctl(planArgs(c)).stdout), 'piped stdout');
  // `script` gives the command a pseudo-terminal.
  const onTty = (env: NodeJS.ProcessEnv, ...extra: string[]): string => {
    const cmd = [process.execPath, 'bin/snapctl.js', ...planArgs(c, ...extra)].map((a) => `'${a}'`).join(' ');
    const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '', ...env } });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  };
  assert.ok(ANSI.test(onTty({})), 'a terminal gets colours');
  assert.ok(!ANSI.test(onTty({ NO_COLOR: '1' })), 'NO_COLOR');
  assert.ok(!ANSI.test(onTty({}, '--no-color')), '--no-color');
});

test('--out writes a saved plan matching the printed plan', (t) => {
  const c = materialise('mixed');
  const outDir = mkdtempSync(join(tmpdir(), 'snapctl-out-'));
  const out = join(outDir, 'plan.json');
  t.after(() => {
    rmSync(c.root, { recursive: true, force: true });
    rmSync(outDir, { recursive: true, force: true });
  });
  const r = snapctl(planArgs(c, '--out', out));
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`Saved the plan to ${out}`));
  const saved = JSON.parse(readFileSync(out, 'utf8')) as { format: string; version: number; policyHash: string; inventoryFingerprint: string; plan: { actions: unknown[]; host: string } };
  assert.equal(saved.format, 'snapctl-plan');
  assert.equal(saved.version, 1);
  assert.match(saved.policyHash, /^[0-9a-f]{64}$/);
  assert.match(saved.inventoryFingerprint, /^[0-9a-f]{64}$/);
  assert.equal(saved.plan.host, 'db01');
  const printed = JSON.parse(snapctl(planArgs(c, '--json')).stdout) as { actions: unknown[] };
  assert.equal(saved.plan.actions.length, printed.actions.length);
});

test('plan never writes into the backup directory', (t) => {
  const c = materialise('mixed');
  t.after(() => rmSync(c.root, { recursive: true, force: true }));
  const before = snapshotTree(c.root);
  const outDir = mkdtempSync(join(tmpdir(), 'snapctl-out-'));
  t.after(() => rmSync(outDir, { recursive: true, force: true }));
  const out = join(outDir, 'plan.json');
  for (const extra of [[], ['--json'], ['--verbose'], ['--detailed-exitcode'], ['--out', out]]) {
    const r = snapctl(planArgs(c, ...extra));
    assert.ok(r.status === 0 || r.status === 2, r.stderr);
  }
  assert.deepEqual(snapshotTree(c.root), before);
});

test('a first run on a missing host directory plans creates and does not create the directory', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'snapctl-plan-first-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const r = snapctl(['plan', '--policy', join(REPO_ROOT, 'fixtures/plans/first-run/policy.yaml'), '--backup-dir', root, '--host', 'db01', '--now', '2026-11-26T03:00:00Z']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /does not exist yet; apply will create it/);
  assert.match(r.stdout, /^Plan: 2 to create, 0 to delete, 0 to clean up\.$/m);
  assert.deepEqual(readdirSync(root), []);
});

test('--now without a zone is wall-clock time in the policy timezone, not the shell\'s', () => {
  const args = ['plan', '--policy', 'policies/multi-host.yaml', '--backup-dir', 'fixtures/backups', '--host', 'db01', '--now', '2026-11-26T04:30'];
  for (const TZ of ['UTC', 'America/New_York']) {
    const r = snapctl(args, { TZ });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^snapctl plan for host db01 at 2026-11-26T03:30:00\.000Z$/m, TZ);
  }
});

test('a policy without timezone counts in the system\'s zone whatever TZ the shell has: list --json and plan --json do not change with TZ', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'snapctl-plan-tz-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'src', 'f'), 'x');
  mkdirSync(join(dir, 'backup', 'h1'), { recursive: true });
  // py_snap named its archives in local time: which instant each is depends on the zone.
  for (const day of ['22', '23', '24']) writeFileSync(join(dir, 'backup', 'h1', `h1_data.2026-11-${day}:03:00:00.tar.gz`), '');
  const policy = join(dir, 'policy.yaml');
  writeFileSync(policy, JSON.stringify({ version: 1, hosts: { h1: { backupDir: join(dir, 'backup'), volumes: { data: { path: join(dir, 'src'), mount: '/data', schedule: 'daily', retention: { keepDaily: 2 } } } } } }));
  const outputs = (command: string): string[] =>
    [undefined, 'America/New_York', 'Asia/Tokyo'].map((TZ) => {
      const r = snapctl([command, '--policy', policy, '--host', 'h1', '--now', '2026-11-24T12:00', '--json'], { TZ });
      assert.equal(r.status, 0, `${command} under TZ=${TZ}: ${r.stderr}`);
      return r.stdout;
    });
  for (const command of ['list', 'plan']) {
    const [unset, newYork, tokyo] = outputs(command);
    assert.equal(newYork, unset, `${command} under TZ=America/New_York`);
    assert.equal(tokyo, unset, `${command} under TZ=Asia/Tokyo`);
  }
  // And the zone is the one the system's files name.
  const zone = systemZone();
  const at = (local: string): string => new Date(parseGivenTime(local, zone)!.ms).toISOString();
  const list = JSON.parse(outputs('list')[0]!) as { now: string; archives: { file: string; time: string }[] };
  assert.equal(list.now, at('2026-11-24T12:00'), zone);
  assert.equal(list.archives.find((a) => a.file === 'h1_data.2026-11-24:03:00:00.tar.gz')?.time, at('2026-11-24T03:00'), zone);
});

test('a bad --now is an input error: exit 1, a clear message, no stack trace', () => {
  const r = snapctl(['plan', '--policy', 'policies/example.yaml', '--backup-dir', 'fixtures/backups', '--host', 'db01', '--now', 'yesterday']);
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^error: --now: "yesterday" is not an ISO-8601 date or time\n/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});

test('a --backup-dir that is a file: exit 1, "is not a directory"', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'snapctl-plan-file-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const file = join(root, 'backup');
  writeFileSync(file, 'not a directory\n');
  const r = snapctl(['plan', '--policy', 'policies/example.yaml', '--backup-dir', file, '--host', 'db01', '--now', '2026-11-26T03:00:00Z']);
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^error: backup directory .*\/backup\/db01 is not a directory\n/);
  assert.doesNotMatch(r.stderr, /internal error|\n\s+at /);
});

test('a backup directory the system cannot read (a symlink loop here; a dead NFS mount alike) is an error in its words: exit 1, no "internal error"', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'snapctl-plan-loop-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const loop = join(root, 'loop');
  symlinkSync('loop', loop);
  for (const command of ['plan', 'list', 'verify']) {
    const r = snapctl([command, '--policy', 'policies/example.yaml', '--backup-dir', loop, '--host', 'db01', ...(command === 'verify' ? [] : ['--now', '2026-11-26T03:00:00Z'])]);
    assert.equal(r.status, 1, `${command}: ${r.stderr}`);
    assert.equal(r.stderr, `error: cannot read backup directory ${loop}/db01: too many symbolic links encountered (ELOOP)\n`, command);
  }
});

test('an unknown flag: exit 1 naming the flag, no "internal error", no stack trace', () => {
  const r = snapctl(['plan', '--policy', 'policies/example.yaml', '--bogus']);
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^error: Unknown option '--bogus'\n {2}run `snapctl plan --help` for its options\n$/);
});

test('a flag missing its value: exit 1 with a clear message', () => {
  const r = snapctl(['plan', '--policy']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^error: Option '--policy <value>' argument missing\n/);
});

test('plan reports a path volume whose directory is missing, a file or empty (without allowEmpty) as an error of that volume, and leaves a present one alone', () => {
  const dir = mkdtempSync(join(tmpdir(), 'snapctl-plan-sources-'));
  try {
    mkdirSync(join(dir, 'present'));
    writeFileSync(join(dir, 'present', '.hidden'), '');
    mkdirSync(join(dir, 'empty'));
    writeFileSync(join(dir, 'a-file'), '');
    const policy = join(dir, 'policy.yaml');
    const volumes = {
      gone: { path: join(dir, 'gone') },
      file: { path: join(dir, 'a-file') },
      here: { path: join(dir, 'present') },
      empty: { path: join(dir, 'empty') },
      spool: { path: join(dir, 'empty'), allowEmpty: true },
    };
    writeFileSync(policy, JSON.stringify({ version: 1, timezone: 'UTC', hosts: { h1: { backupDir: join(dir, 'backup'), volumes } } }));
    const r = snapctl(['plan', '--policy', policy, '--host', 'h1', '--now', '2026-03-01T03:00:00Z']);
    assert.equal(r.status, 0, r.stderr);
    const errors = r.stdout.split('\n').filter((l) => l.startsWith('Error: '));
    assert.deepEqual(errors, [
      `Error: gone: path ${join(dir, 'gone')} does not exist: apply will fail for this volume`,
      `Error: file: path ${join(dir, 'a-file')} is not a directory: apply will fail for this volume`,
      `Error: empty: path ${join(dir, 'empty')} is an empty directory (a file system not mounted?): apply will fail for this volume and delete none of its archives; allowEmpty: true archives it anyway`,
    ]);
    assert.match(r.stdout, /^Plan: 5 to create, 0 to delete, 0 to clean up\.$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('plan run by a user who may not look into a path volume reports no error for it (apply runs as root, which can)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'snapctl-plan-unreadable-'));
  try {
    chmodSync(dir, 0o755);
    mkdirSync(join(dir, 'secret'), { mode: 0o700 });
    mkdirSync(join(dir, 'secret', 'data'));
    writeFileSync(join(dir, 'secret', 'data', 'f'), '');
    const policy = join(dir, 'policy.json');
    const volumes = { s: { path: join(dir, 'secret', 'data') }, gone: { path: join(dir, 'gone') } };
    writeFileSync(policy, JSON.stringify({ version: 1, timezone: 'UTC', hosts: { h1: { backupDir: join(dir, 'backup'), volumes } } }), { mode: 0o644 });
    const args = ['plan', '--policy', policy, '--host', 'h1', '--now', '2026-03-01T03:00:00Z'];
    const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, 'bin/snapctl.js', ...args], { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '' } });
    assert.equal(r.status, 0, r.stderr);
    const errors = r.stdout.split('\n').filter((l) => l.startsWith('Error: '));
    assert.deepEqual(errors, [`Error: gone: path ${join(dir, 'gone')} does not exist: apply will fail for this volume`]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("under cron's PATH (/usr/bin:/bin) plan still finds the LVM tools in /usr/sbin", { skip: existsSync('/usr/sbin/vgs') ? false : 'lvm2 is not installed in /usr/sbin' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'snapctl-plan-cron-path-'));
  try {
    const r = snapctl(['plan', '--policy', 'policies/example.yaml', '--backup-dir', dir, '--host', 'db01', '--now', '2026-11-26T03:00:00Z'], { PATH: '/usr/bin:/bin' });
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /not found \(is lvm2 installed\?\)/);
    assert.match(r.stdout, /^(Error|Warning): data: /m, 'lvs ran and its answer was judged');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('while an apply holds the lock, plan warns that the leftovers may be its work in progress (it only looks, in /proc/locks)', async () => {
  const c = materialise('mixed');
  const lock = join(c.root, 'apply.lock');
  writeFileSync(lock, '');
  const { spawn } = await import('node:child_process');
  // flock(1) holds the lock the way apply does (an exclusive flock on the file) while it sleeps.
  // --no-fork: sleep itself holds it, so killing it frees the lock.
  const holder = spawn('flock', ['--exclusive', '--no-fork', lock, 'sleep', '30'], { stdio: 'ignore' });
  try {
    for (let i = 0; i < 100 && !readFileSync('/proc/locks', 'utf8').includes(` ${String(statSync(lock).ino)} `); i++) await new Promise((r) => setTimeout(r, 50));
    const held = snapctl(planArgs(c, '--lock-file', lock));
    assert.equal(held.status, 0, held.stderr);
    assert.match(held.stdout, /^ {2}~ .*\.partial {2}\(incomplete archive of an interrupted run\)$/m);
    assert.match(held.stdout, /^Warning: an apply is running now: the leftovers to clean up may be its work in progress, not an interrupted run's; plan again once it has finished$/m);
  } finally {
    holder.kill('SIGKILL');
  }
  await new Promise((r) => holder.once('exit', r));
  const free = snapctl(planArgs(c, '--lock-file', lock));
  assert.doesNotMatch(free.stdout, /an apply is running/);
  rmSync(c.root, { recursive: true, force: true });
});

test('plan names a program apply needs that is not installed (tar, the compressor) as an error of each due volume', () => {
  // The first-run case has no backup directory yet: every volume is due.
  const c = { root: mkdtempSync(join(tmpdir(), 'snapctl-plan-')), policy: join(REPO_ROOT, 'fixtures', 'plans', 'first-run', 'policy.yaml'), now: '2026-11-26T03:00:00Z', host: 'db01' };
  try {
    // zstd made absent in a private mount namespace: /dev/null bound over every copy of it on the
    // system's PATH (snapctl appends those directories to any PATH). etc uses the default, zstd; www uses gzip.
    const copies = [...new Set(['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'].filter((d) => existsSync(join(d, 'zstd'))).map((d) => realpathSync(join(d, 'zstd'))))];
    assert.ok(copies.length > 0, 'zstd is installed');
    const hide = copies.map((p) => `mount --bind /dev/null '${p}' && `).join('');
    const r = spawnSync('unshare', ['-m', 'sh', '-c', `${hide}exec "$@"`, 'sh', process.execPath, 'bin/snapctl.js', ...planArgs(c)], { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '' } });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.split('\n').filter((l) => l.includes('not installed')), ['Error: etc: zstd is not installed (not found on PATH): apply will fail for this volume']);
    const full = snapctl(planArgs(c));
    assert.doesNotMatch(full.stdout, /not installed/);
  } finally {
    rmSync(c.root, { recursive: true, force: true });
  }
});

test('plan reads LVM state with one lvs report when the host has LVM volumes, and not at all for a policy without lvm:', { skip: process.getuid?.() === 0 ? false : 'plan reads LVM state only as root' }, async () => {
  const fake = fakeBin({ vgs: { stdout: fixture('vgs-with-empty.json') }, lvs: { stdout: fixture('lvs-vgfields.json') } });
  const dir = mkdtempSync(join(tmpdir(), 'snapctl-plan-early-lvm-'));
  const plan = (policy: object, host: string): Run => {
    writeFileSync(join(dir, 'policy.yaml'), JSON.stringify({ version: 1, timezone: 'UTC', hosts: policy }));
    writeFileSync(join(fake.dir, 'calls.jsonl'), '');
    return snapctl(['plan', '--policy', join(dir, 'policy.yaml'), '--backup-dir', join(dir, 'backup'), '--host', host, '--now', '2026-11-26T03:00:00Z'], { PATH: `${fake.dir}:/usr/sbin:/usr/bin:/sbin:/bin` });
  };
  const lvmCalls = (): string[] => fake.calls().map((c) => c.cmd).sort();
  try {
    // Read before the policy is parsed (its text names lvm:), and that answer used: not read again.
    const withLvm = plan({ h1: { volumes: { data: { lvm: 'vg0/lv_data', mount: '/data' } } } }, 'h1');
    assert.equal(withLvm.status, 0, withLvm.stderr);
    assert.deepEqual(lvmCalls(), ['lvs'], 'one lvs: its rows name vg0 too');
    assert.doesNotMatch(withLvm.stdout, /LVM state not read|not found/);
    // The report was read: it holds a snapshot tagged by an interrupted run.
    assert.match(withLvm.stdout, /^ {2}~ vg0\/lv_data_snap /m);
    assert.match(withLvm.stdout, /^Plan: 1 to create, 0 to delete, 1 to clean up\.$/m);
    // A VG that holds no LV has no row in lvs (vgs would list it): plan says what the report shows, runs no second report.
    for (const vg of ['vg_empty', 'vg9']) {
      const missing = plan({ h1: { volumes: { data: { lvm: `${vg}/lv_data`, mount: '/data' } } } }, 'h1');
      assert.equal(missing.status, 0, missing.stderr);
      assert.deepEqual(lvmCalls(), ['lvs']);
      assert.ok(
        missing.stdout.includes(`\nError: data: logical volume ${vg}/lv_data not found: no logical volume of a volume group ${vg} is listed (it holds none, or there is no such volume group; vgs lists them); apply will fail for this volume\n`),
        missing.stdout,
      );
    }
    const alone = plan({ h2: { volumes: { data: { path: dir } } } }, 'h2');
    assert.equal(alone.status, 0, alone.stderr);
    assert.deepEqual(lvmCalls(), [], 'no lvm: in the policy, no LVM command');
  } finally {
    await fake.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("another host's lvm: starts the reports early, and plan stops them instead of waiting (an LVM report can hang)", { skip: process.getuid?.() === 0 ? false : 'plan reads LVM state only as root' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'snapctl-plan-hung-lvm-'));
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  // vgs and lvs that never answer: each notes its pid and sleeps in its place.
  for (const tool of ['vgs', 'lvs']) {
    writeFileSync(join(bin, tool), `#!/bin/sh\necho $$ >> ${join(dir, 'pids')}\nexec sleep 600\n`);
    chmodSync(join(bin, tool), 0o755);
  }
  const run = (hosts: object): Run => {
    writeFileSync(join(dir, 'policy.yaml'), JSON.stringify({ version: 1, timezone: 'UTC', hosts }));
    // The timeout only turns a hang into a failure; plan takes well under a second.
    const r = spawnSync(process.execPath, ['bin/snapctl.js', 'plan', '--policy', join(dir, 'policy.yaml'), '--backup-dir', join(dir, 'backup'), '--host', 'h2', '--now', '2026-11-26T03:00:00Z'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, NO_COLOR: '', PATH: `${bin}:/usr/sbin:/usr/bin:/sbin:/bin` },
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  try {
    const h2 = { volumes: { data: { path: dir } } };
    const withOther = run({ h1: { volumes: { data: { lvm: 'vg0/lv_data', mount: '/data' } } }, h2 });
    assert.equal(withOther.status, 0, `plan did not finish: ${withOther.stderr}`);
    const pids = existsSync(join(dir, 'pids')) ? readFileSync(join(dir, 'pids'), 'utf8').split('\n').filter((l) => l !== '').map(Number) : [];
    for (const pid of pids) assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' }, `report ${pid} is still running`);
    const alone = run({ h2 });
    assert.equal(withOther.stdout, alone.stdout, 'the same plan as without the other host');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('plan on a policy directory holding a FIFO named *.yaml refuses it, without waiting on it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'snapctl-plan-fifo-'));
  try {
    spawnSync('mkfifo', [join(dir, 'a.yaml')]);
    writeFileSync(join(dir, 'b.yaml'), JSON.stringify({ version: 1, timezone: 'UTC', hosts: { h1: { volumes: { data: { lvm: 'vg0/lv_data', mount: '/data' } } } } }));
    // The timeout only turns a hang into a failure; plan takes well under a second.
    const r = spawnSync(process.execPath, ['bin/snapctl.js', 'plan', '--policy', dir, '--host', 'h1'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000, env: { ...process.env, NO_COLOR: '' } });
    assert.equal(r.status, 1, `plan did not finish with an error: ${r.stderr}`);
    assert.match(r.stderr, /a\.yaml.*expected a policy file, found a special file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
