// `snapctl status` through the real CLI: each Nagios exit code with its first
// line, the state file's last run, --warn/--crit, --json, and UNKNOWN for
// everything that keeps the check from being made.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function snapctl(...args: string[]): Run {
  const r = spawnSync(process.execPath, ['bin/snapctl.js', ...args], { cwd: ROOT, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const show = (r: Run): string => `exit ${String(r.code)}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;

interface Ws {
  readonly dir: string;
  readonly hostDir: string;
  readonly stateDir: string;
  args(now: string, ...extra: string[]): string[];
}

/** A policy with a daily `data` and an hourly `logs` volume, and the given archive names present. */
async function withWs(archives: string[], fn: (ws: Ws) => Promise<void> | void): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'snapctl-status-'));
  try {
    const hostDir = join(dir, 'backup', 'h1');
    await mkdir(hostDir, { recursive: true });
    for (const a of archives) await writeFile(join(hostDir, a), '');
    const doc = {
      version: 1,
      timezone: 'UTC',
      hosts: { h1: { backupDir: join(dir, 'backup'), volumes: { data: { path: '/srv/data', schedule: 'daily' }, logs: { path: '/srv/logs', schedule: 'hourly' } } } },
    };
    await writeFile(join(dir, 'policy.yaml'), JSON.stringify(doc));
    const stateDir = join(dir, 'state');
    await fn({ dir, hostDir, stateDir, args: (now, ...extra) => ['status', '--policy', join(dir, 'policy.yaml'), '--host', 'h1', '--state-dir', stateDir, '--now', now, ...extra] });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const fresh = ['h1_data.20260301T030000Z.tar.zst', 'h1_data.20260301T030000Z.tar.zst.sha256', 'h1_logs.20260301T040000Z.tar.zst'];

test('status exits 0 with "SNAPCTL OK" and perfdata when every newest archive is within its thresholds', () =>
  withWs(fresh, (ws) => {
    const r = snapctl(...ws.args('2026-03-01T04:30:00Z'));
    assert.equal(r.code, 0, show(r));
    assert.equal(
      r.stdout.split('\n')[0],
      'SNAPCTL OK - 2 volumes ok | data_age=5400s;129600;216000;0 data_archives=1;;;0 logs_age=1800s;5400;9000;0 logs_archives=1;;;0',
    );
    assert.match(r.stdout, /^data: OK - newest archive is 1h30m old$/m);
    assert.match(r.stdout, /^ {2}2026-03-01 is covered; last run: none recorded$/m);
  }));

test('status exits 1 WARNING when an hourly volume is 1.5 periods old, and 2 CRITICAL after 2.5', () =>
  withWs(fresh, (ws) => {
    const warn = snapctl(...ws.args('2026-03-01T05:31:00Z'));
    assert.equal(warn.code, 1, show(warn));
    assert.match(warn.stdout, /^SNAPCTL WARNING - logs: newest archive is 1h31m old \(warning after 1h30m\); 1 volume ok \| /);
    const crit = snapctl(...ws.args('2026-03-01T06:31:00Z'));
    assert.equal(crit.code, 2, show(crit));
    assert.match(crit.stdout, /^SNAPCTL CRITICAL - logs: newest archive is 2h31m old \(critical after 2h30m\); 1 volume ok \| /);
  }));

test('status exits 2 CRITICAL when a volume has no archive at all', () =>
  withWs(['h1_data.20260301T030000Z.tar.zst'], (ws) => {
    const r = snapctl(...ws.args('2026-03-01T03:10:00Z'));
    assert.equal(r.code, 2, show(r));
    assert.match(r.stdout, /^SNAPCTL CRITICAL - logs: no archive; 1 volume ok \| .* logs_age=U;5400;9000;0 logs_archives=0;;;0$/m);
  }));

test('--warn and --crit override the schedule-based thresholds for every volume', () =>
  withWs(fresh, (ws) => {
    const now = '2026-03-01T04:30:00Z';
    const warn = snapctl(...ws.args(now, '--warn', '1h', '--crit', '2h'));
    assert.equal(warn.code, 1, show(warn));
    assert.match(warn.stdout, /^SNAPCTL WARNING - data: newest archive is 1h30m old \(warning after 1h\); 1 volume ok \| data_age=5400s;3600;7200;0 /);
    const crit = snapctl(...ws.args(now, '--warn', '30m', '--crit', '1h'));
    assert.equal(crit.code, 2, show(crit));
    assert.match(crit.stdout, /^SNAPCTL CRITICAL - data: newest archive is 1h30m old \(critical after 1h\)/);
  }));

test('--warn or --crit alone that would put some volume\'s warning at or past its critical threshold is UNKNOWN, naming the volume and the default', () =>
  withWs(fresh, (ws) => {
    const now = '2026-03-01T04:30:00Z';
    // The hourly logs volume's default critical threshold is 2h30m; the daily data volume's 2d12h is fine.
    const warn = snapctl(...ws.args(now, '--warn', '3h'));
    assert.equal(warn.code, 3, show(warn));
    assert.equal(
      warn.stdout,
      'SNAPCTL UNKNOWN - volume logs: warning after 3h (--warn) is not shorter than critical after 2h30m (the default, 2.5 x its 1h period); give a --crit longer than 3h\n',
    );
    assert.match(warn.stderr, /^error: volume logs: .*\n {2}.* from OK straight to CRITICAL$/m);
    // Equal is refused too: WARNING could never be reached.
    assert.equal(snapctl(...ws.args(now, '--warn', '2h30m')).code, 3);
    assert.equal(snapctl(...ws.args(now, '--warn', '2h29m')).code, 0);

    const crit = snapctl(...ws.args(now, '--crit', '1h', '--json'));
    assert.equal(crit.code, 3, show(crit));
    const doc = JSON.parse(crit.stdout) as { level: string; summary: string };
    assert.equal(doc.level, 'UNKNOWN');
    assert.equal(
      doc.summary,
      'SNAPCTL UNKNOWN - volume data: warning after 1d12h (the default, 1.5 x its 1d period) is not shorter than critical after 1h (--crit); the same for volume logs; give a --warn shorter than 1h',
    );
    // Longer than every default warning threshold (1d12h for data): the check is made.
    assert.equal(snapctl(...ws.args(now, '--crit', '1d13h')).code, 0);
  }));

test('archives dated after now are not counted, and the reason says how many there are even when an older one is the newest', () =>
  withWs(
    ['h1_data.20261101T030000Z.tar.zst', 'h1_data.20261101T030000Z.tar.zst.sha256', 'h1_data.20261110T030000Z.tar.zst', 'h1_data.20261110T030000Z.tar.zst.sha256', 'h1_logs.20261106T113000Z.tar.zst'],
    (ws) => {
      const r = snapctl(...ws.args('2026-11-06T12:00:00Z'));
      assert.equal(r.code, 2, show(r));
      assert.match(r.stdout, /^SNAPCTL CRITICAL - data: newest archive is 5d9h old \(critical after 2d12h\); 1 dated after now \(clock set back, or --now before it\); 1 volume ok \| data_age=464400s;129600;216000;0 data_archives=1;;;0 /);
      assert.match(r.stdout, /^ {2}newest h1_data\.20261101T030000Z\.tar\.zst /m);
    },
  ));

test('a failed last run in the state file makes a due volume WARNING and is shown with its message', () =>
  withWs(fresh, async (ws) => {
    await mkdir(ws.stateDir);
    const failed = { startedAt: '2026-03-02T03:00:00.000Z', finishedAt: '2026-03-02T03:00:02.000Z', result: 'failed', message: 'tar failed (exit 2)' };
    await writeFile(join(ws.stateDir, 'state.json'), JSON.stringify({ version: 1, volumes: { data: { last: failed, failures: 3 } } }));
    const r = snapctl(...ws.args('2026-03-02T03:05:00Z', '--warn', '2d', '--crit', '3d'));
    assert.equal(r.code, 1, show(r));
    assert.match(r.stdout, /^SNAPCTL WARNING - data: 2026-03-02 is due and the last run failed; last run failed at 2026-03-02T03:00:02.000Z: tar failed \(exit 2\); 1 volume ok \| /);
    assert.match(r.stdout, /last run: failed at 2026-03-02T03:00:02.000Z \(tar failed \(exit 2\)\); 3 failed runs recorded$/m);
  }));

test('--json prints one document with the level and exit code, and exits the same', () =>
  withWs(['h1_data.20260301T030000Z.tar.zst'], (ws) => {
    const r = snapctl(...ws.args('2026-03-01T03:10:00Z', '--json'));
    assert.equal(r.code, 2, show(r));
    const doc = JSON.parse(r.stdout) as { level: string; exitCode: number; summary: string; volumes: { volume: string; level: string; newest: unknown }[] };
    assert.equal(doc.level, 'CRITICAL');
    assert.equal(doc.exitCode, 2);
    assert.match(doc.summary, /^SNAPCTL CRITICAL - logs: no archive/);
    assert.deepEqual(doc.volumes.map((v) => [v.volume, v.level, v.newest === null]), [['data', 'OK', false], ['logs', 'CRITICAL', true]]);
  }));

test('status exits 3 UNKNOWN with a one-line reason for a corrupt state file, a missing policy and bad flags', () =>
  withWs(fresh, async (ws) => {
    await mkdir(ws.stateDir);
    await writeFile(join(ws.stateDir, 'state.json'), '{"version": 1, "volumes": ');
    const corrupt = snapctl(...ws.args('2026-03-01T04:30:00Z'));
    assert.equal(corrupt.code, 3, show(corrupt));
    assert.match(corrupt.stdout, /^SNAPCTL UNKNOWN - state file .*state\.json is corrupt: not JSON/);
    assert.equal(corrupt.stdout.split('\n').length, 2, 'one line only');

    const missing = snapctl('status', '--policy', join(ws.dir, 'nope.yaml'), '--host', 'h1', '--state-dir', ws.stateDir);
    assert.equal(missing.code, 3, show(missing));
    assert.equal(missing.stdout, `SNAPCTL UNKNOWN - ${join(ws.dir, 'nope.yaml')}: no such file or directory\n`, 'the file that is missing');

    const noPolicy = snapctl('status');
    assert.equal(noPolicy.code, 3, show(noPolicy));
    assert.match(noPolicy.stdout, /^SNAPCTL UNKNOWN - --policy FILE\/DIR is required$/m);

    const badWarn = snapctl(...ws.args('2026-03-01T04:30:00Z', '--warn', 'soon'));
    assert.equal(badWarn.code, 3, show(badWarn));
    assert.match(badWarn.stdout, /^SNAPCTL UNKNOWN - --warn: "soon" is not a duration$/m);
    const zeroCrit = snapctl(...ws.args('2026-03-01T04:30:00Z', '--crit', '0m'));
    assert.equal(zeroCrit.code, 3, show(zeroCrit));
    assert.match(zeroCrit.stdout, /^SNAPCTL UNKNOWN - --crit: "0m" is not a duration above zero$/m);

    const inverted = snapctl(...ws.args('2026-03-01T04:30:00Z', '--warn', '2d', '--crit', '1d'));
    assert.equal(inverted.code, 3, show(inverted));

    const unknownFlag = snapctl('status', '--frobnicate', '--json');
    assert.equal(unknownFlag.code, 3, show(unknownFlag));
    assert.equal((JSON.parse(unknownFlag.stdout) as { level: string }).level, 'UNKNOWN');
  }));

test('a policy error\'s UNKNOWN line says in which file, at which line and key, as the error: line on stderr does', () =>
  withWs(fresh, async (ws) => {
    const policy = join(ws.dir, 'dup.yaml');
    await writeFile(policy, ['version: 1', 'hosts:', '  h1:', `    backupDir: ${join(ws.dir, 'backup')}`, '    volumes:', '      data:', '        path: /srv/data', '        path: /srv/other', '        schedule: daily', ''].join('\n'));
    const where = `${policy}:8:9: hosts.h1.volumes.data.path: duplicate key "path" (first defined on line 7)`;
    const r = snapctl('status', '--policy', policy, '--host', 'h1', '--state-dir', ws.stateDir);
    assert.equal(r.code, 3, show(r));
    assert.equal(r.stdout, `SNAPCTL UNKNOWN - ${where}\n`);
    assert.ok(r.stderr.startsWith(`error: ${where}\n  `), r.stderr);
    const json = snapctl('status', '--policy', policy, '--host', 'h1', '--state-dir', ws.stateDir, '--json');
    assert.equal(json.code, 3, show(json));
    assert.deepEqual(JSON.parse(json.stdout), { level: 'UNKNOWN', exitCode: 3, summary: `SNAPCTL UNKNOWN - ${where}`, error: where });
  }));

test('status --help reads like a man page and documents the thresholds and every exit status', () => {
  const r = snapctl('status', '--help');
  assert.equal(r.code, 0);
  for (const section of ['NAME', 'SYNOPSIS', 'DESCRIPTION', 'OPTIONS', 'EXIT STATUS']) assert.match(r.stdout, new RegExp(`^${section}$`, 'm'));
  for (const flag of ['--policy', '--host', '--backup-dir', '--state-dir', '--warn', '--crit', '--now', '--json']) assert.ok(r.stdout.includes(flag), flag);
  assert.match(r.stdout, /1\.5 x/);
  assert.match(r.stdout, /2\.5 x/);
  for (const code of ['0   OK', '1   WARNING', '2   CRITICAL', '3   UNKNOWN']) assert.ok(r.stdout.includes(code), code);
});

test('while an apply holds the host lock, the summary ends with how long it has been running and its pid, and --json has them', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'snapctl-status-running-'));
  try {
    await mkdir(join(dir, 'src'));
    await writeFile(join(dir, 'src', 'f'), 'f\n');
    // A preSnapshot hook that does not return: an apply stuck before its snapshot.
    const doc = { version: 1, timezone: 'UTC', hosts: { h1: { backupDir: join(dir, 'backup'), volumes: { data: { path: join(dir, 'src'), schedule: 'daily', hooks: { preSnapshot: [['sleep', '60']] } } } } } };
    const policy = join(dir, 'policy.yaml');
    await writeFile(policy, JSON.stringify(doc));
    const lock = join(dir, 'apply.lock');
    const common = ['--policy', policy, '--host', 'h1', '--state-dir', join(dir, 'state')];
    const status = (): Run => snapctl('status', ...common, '--lock-file', lock);
    assert.doesNotMatch(status().stdout, /apply running/, 'no apply yet');
    const apply = spawn(process.execPath, ['bin/snapctl.js', 'apply', ...common, '--log-dir', join(dir, 'log'), '--lock-file', lock], { cwd: ROOT, stdio: 'ignore' });
    try {
      const holder = async (): Promise<string> => readFile(lock, 'utf8').catch(() => '');
      for (let i = 0; i < 200 && (await holder()).trim() !== String(apply.pid); i++) await sleep(50);
      await sleep(1100);
      const r = status();
      assert.equal(r.code, 2, show(r));
      assert.match(r.stdout.split('\n')[0] ?? '', new RegExp(`^SNAPCTL CRITICAL - data: no archive; apply running for [1-9]\\d*s \\(pid ${apply.pid}\\) \\| `));
      const json = JSON.parse(snapctl('status', ...common, '--lock-file', lock, '--json').stdout) as { applyRunning: { pid: number; since: string } | null };
      assert.equal(json.applyRunning?.pid, apply.pid);
      assert.ok(Math.abs(Date.parse(json.applyRunning?.since ?? '') - Date.now()) < 60_000, json.applyRunning?.since);
    } finally {
      apply.kill('SIGTERM');
      await once(apply, 'exit');
    }
    assert.doesNotMatch(status().stdout, /apply running/, 'not once it has exited');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
