import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeToName, UNIT_PATH } from '../../src/cli/unit-node.js';
import { unsupportedNode } from '../../src/cli/node-version.js';

const UNIT_PATH_DIRS = UNIT_PATH.split(':');

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'snapctl.js');

function snapctl(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const hasSystemdAnalyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' }).status === 0;

/** A temporary directory and a fake snapctl in it, under a directory name that needs quoting, that prints its argv. */
async function fakeBin(dirName: string): Promise<{ dir: string; bin: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'snapctl-schedule-'));
  const binDir = join(dir, dirName);
  await mkdir(binDir);
  const bin = join(binDir, 'snapctl');
  await writeFile(bin, '#!/bin/sh\nfor a in "$@"; do printf "<%s>" "$a"; done\necho\n');
  await chmod(bin, 0o755);
  return { dir, bin, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Runs `fn` in a new temporary directory, removed afterwards. */
async function inTempDir(prefix: string, fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('contrib/ holds exactly what `snapctl schedule` prints for /usr/local/bin/snapctl', async () => {
  const args = ['--bin', '/usr/local/bin/snapctl'];
  assert.equal(snapctl('schedule', '--systemd', '--unit', 'service', ...args).stdout, await readFile(join(ROOT, 'contrib/snapctl.service'), 'utf8'));
  assert.equal(snapctl('schedule', '--systemd', '--unit', 'timer', ...args).stdout, await readFile(join(ROOT, 'contrib/snapctl.timer'), 'utf8'));
  assert.equal(snapctl('schedule', '--cron', ...args).stdout, await readFile(join(ROOT, 'contrib/snapctl.cron'), 'utf8'));
});

test('the service is a oneshot apply of the given policy that lets apply clean up on stop', () => {
  const r = snapctl('schedule', '--systemd', '--unit', 'service', '--bin', '/usr/sbin/snapctl', '--policy', '/srv/policy.d');
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split('\n');
  for (const line of [
    'Type=oneshot',
    'ExecStart=/usr/sbin/snapctl apply --policy /srv/policy.d',
    'KillMode=mixed',
    'KillSignal=SIGTERM',
    'IOSchedulingClass=idle',
    'SuccessExitStatus=4',
  ]) {
    assert.ok(lines.includes(line), `missing ${line}`);
  }
  assert.ok(lines.some((l) => /^Nice=\d+$/.test(l)));
  assert.ok(lines.some((l) => /^TimeoutStartSec=\d+h$/.test(l)));
  for (const breaking of ['PrivateTmp=', 'PrivateDevices=', 'ProtectSystem=', 'ProtectHome=', 'MountFlags=', 'ReadOnlyPaths=']) {
    assert.ok(!lines.some((l) => l.startsWith(breaking)), `${breaking} would break mount/lvcreate`);
  }
});

test('a % in the policy path is escaped as %% in every line of the service, Description= included (systemd expands specifiers there too)', () => {
  const r = snapctl('schedule', '--systemd', '--unit', 'service', '--bin', '/usr/sbin/snapctl', '--policy', '/etc/snap%ctl/p.yaml');
  assert.equal(r.status, 0, r.stderr);
  const withPercent = r.stdout.split('\n').filter((l) => l.includes('%') && !l.startsWith('#'));
  assert.deepEqual(withPercent, ['Description=snapctl: snapshot backups as declared in /etc/snap%%ctl/p.yaml', 'ExecStart=/usr/sbin/snapctl apply --policy /etc/snap%%ctl/p.yaml']);
});

test('the timer fires on the given calendar, catches up after downtime and spreads hosts', () => {
  const r = snapctl('schedule', '--systemd', '--unit', 'timer', '--on-calendar', '*-*-* 02:30:00');
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split('\n');
  for (const line of ['OnCalendar=*-*-* 02:30:00', 'Persistent=true', 'Unit=snapctl.service', 'WantedBy=timers.target']) assert.ok(lines.includes(line), `missing ${line}`);
  assert.ok(lines.some((l) => /^RandomizedDelaySec=\d+min$/.test(l)));
});

test('--systemd without --unit prints the service, then the timer', () => {
  const r = snapctl('schedule', '--systemd', '--bin', '/usr/local/bin/snapctl');
  assert.equal(r.status, 0);
  const service = snapctl('schedule', '--systemd', '--unit', 'service', '--bin', '/usr/local/bin/snapctl').stdout;
  const timer = snapctl('schedule', '--systemd', '--unit', 'timer', '--bin', '/usr/local/bin/snapctl').stdout;
  assert.equal(r.stdout, `${service}\n${timer}`);
});

test('the default binary is the snapctl that is running, the default policy /etc/snapctl/policy.yaml', () => {
  const r = snapctl('schedule', '--cron');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^0 \\* \\* \\* \\* root nice -n 10 ionice -c 3 -t ${BIN.replace(/[.]/g, '\\.')} apply --policy /etc/snapctl/policy\\.yaml >/dev/null$`, 'm'));
});

test('systemd-analyze verify accepts both units, with a binary path that needs quoting', { skip: !hasSystemdAnalyze && 'systemd-analyze is not installed' }, async () => {
  const fake = await fakeBin('opt snap ctl');
  try {
    const units = join(fake.dir, 'units');
    await mkdir(units);
    const args = ['--bin', fake.bin, '--policy', '/etc/snapctl/policy.yaml'];
    await writeFile(join(units, 'snapctl.service'), snapctl('schedule', '--systemd', '--unit', 'service', ...args).stdout);
    await writeFile(join(units, 'snapctl.timer'), snapctl('schedule', '--systemd', '--unit', 'timer', ...args).stdout);
    const r = spawnSync('systemd-analyze', ['verify', join(units, 'snapctl.service'), join(units, 'snapctl.timer')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '', 'no warnings (unknown keys, bad values, missing executable)');
  } finally {
    await fake.cleanup();
  }
});

test('the cron command runs the binary with exactly the policy path, through /bin/sh quoting', async () => {
  const fake = await fakeBin("opt snap'ctl");
  try {
    const policy = "/etc/snap ctl/it's 100%.yaml";
    const r = snapctl('schedule', '--cron', '--bin', fake.bin, '--policy', policy);
    assert.equal(r.status, 0, r.stderr);
    const job = r.stdout.split('\n').find((l) => /^[^#\s]\S* \S+ \S+ \S+ \S+ root /.test(l));
    assert.ok(job, r.stdout);
    // cron turns unescaped % into newlines and un-escapes \%; then sh runs the rest.
    const command = job.split(' ').slice(6).join(' ').replace(/\\%/g, '%').replace(/ >\/dev\/null$/, '');
    assert.doesNotMatch(job.replace(/\\%/g, ''), /%/, 'every % is escaped for cron');
    const ran = spawnSync('/bin/sh', ['-c', command], { encoding: 'utf8' });
    assert.equal(ran.stdout, `<apply><--policy><${policy}>\n`, ran.stderr);
  } finally {
    await fake.cleanup();
  }
});

test('--on-calendar is translated to cron fields only when cron has the exact equivalent', () => {
  const fields = (spec: string): string | undefined => snapctl('schedule', '--cron', '--on-calendar', spec, '--bin', '/b').stdout.split('\n').find((l) => l.endsWith('>/dev/null'))?.split(' root ')[0];
  assert.equal(fields('hourly'), '0 * * * *');
  assert.equal(fields('daily'), '0 0 * * *');
  assert.equal(fields('weekly'), '0 0 * * 1');
  assert.equal(fields('monthly'), '0 0 1 * *');
  assert.equal(fields('*-*-* 02:30'), '30 2 * * *');
  assert.equal(fields('*-*-* 23:05:00'), '5 23 * * *');
  assert.equal(fields('minutely'), '* * * * *');
  assert.equal(fields('*:0/15'), '*/15 * * * *');
  assert.equal(fields('*:00/20'), '*/20 * * * *');
  assert.equal(fields('*:0/60'), '0 * * * *');
  for (const spec of ['*:0/7', '*:0/0', '*:5/15']) {
    const r = snapctl('schedule', '--cron', '--on-calendar', spec, '--bin', '/b');
    assert.equal(r.status, 1, spec);
    assert.match(r.stderr, /has no exact cron equivalent/, spec);
  }
  const refused = snapctl('schedule', '--cron', '--on-calendar', 'Mon..Fri 02:00');
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /^error: --on-calendar "Mon\.\.Fri 02:00" has no exact cron equivalent/);
});

test('the command line is refused with exit 1 when it is incomplete or wrong', () => {
  for (const [args, message] of [
    [[], /give exactly one of --systemd and --cron/],
    [['--systemd', '--cron'], /give exactly one of --systemd and --cron/],
    [['--cron', '--unit', 'timer'], /--unit "timer": expected service or timer, with --systemd/],
    [['--systemd', '--unit', 'socket'], /--unit "socket"/],
    [['--systemd', '--policy', 'policy.yaml'], /--policy "policy\.yaml" is not an absolute path/],
    [['--cron', '--bin', 'snapctl'], /--bin "snapctl" is not an absolute path/],
    [['--systemd', '--bin', "/opt/it's/snapctl"], /systemd refuses executable paths containing quotes, backslashes or control characters/],
    [['--cron', '--every', '1h'], /Unknown option '--every'/],
  ] as const) {
    const r = snapctl('schedule', ...args);
    assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stdout, '');
  }
});

test('a policy with every: 15m gets runs every 15 minutes by default, and an explicit hourly calendar gets a warning', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'snapctl-schedule-'));
  try {
    const policy = join(dir, 'policy.yaml');
    const write = (schedule: unknown): Promise<void> =>
      writeFile(policy, JSON.stringify({ version: 1, hosts: { db01: { volumes: { logs: { path: '/var/log', schedule }, data: { path: '/srv', schedule: 'daily' } } } } }));
    await write({ every: '15m' });
    const cron = snapctl('schedule', '--cron', '--policy', policy, '--bin', '/b');
    assert.equal(cron.status, 0, cron.stderr);
    assert.equal(cron.stderr, '');
    assert.match(cron.stdout, /^\*\/15 \* \* \* \* root nice -n 10 ionice -c 3 -t \/b apply --policy \S+ >\/dev\/null$/m);
    const timer = snapctl('schedule', '--systemd', '--unit', 'timer', '--policy', policy, '--bin', '/b');
    assert.equal(timer.status, 0, timer.stderr);
    const lines = timer.stdout.split('\n');
    for (const line of ['OnCalendar=*:0/15', 'RandomizedDelaySec=300s']) assert.ok(lines.includes(line), `missing ${line} in\n${timer.stdout}`);

    const hourly = snapctl('schedule', '--cron', '--policy', policy, '--bin', '/b', '--on-calendar', 'hourly');
    assert.equal(hourly.status, 0, hourly.stderr);
    assert.match(hourly.stdout, /^0 \* \* \* \* root /m);
    assert.match(hourly.stderr, /^warning: --on-calendar hourly runs apply every 1h, but \S+ has a schedule with periods of 15m: some of its periods would get no archive$/m);

    await write({ every: '90m' });
    assert.match(snapctl('schedule', '--cron', '--policy', policy, '--bin', '/b').stdout, /^\*\/30 \* \* \* \* root /m);
    await write('hourly');
    const plain = snapctl('schedule', '--cron', '--policy', policy, '--bin', '/b');
    assert.match(plain.stdout, /^0 \* \* \* \* root /m);
    assert.equal(plain.stderr, '');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('systemd-analyze verify accepts the timer of a policy with every: 15m', { skip: !hasSystemdAnalyze && 'systemd-analyze is not installed' }, async () => {
  const fake = await fakeBin('bin');
  try {
    const policy = join(fake.dir, 'policy.yaml');
    await writeFile(policy, JSON.stringify({ version: 1, hosts: { db01: { volumes: { logs: { path: '/var/log', schedule: { every: '15m' } } } } } }));
    const units = join(fake.dir, 'units');
    await mkdir(units);
    const args = ['--bin', fake.bin, '--policy', policy];
    await writeFile(join(units, 'snapctl.service'), snapctl('schedule', '--systemd', '--unit', 'service', ...args).stdout);
    await writeFile(join(units, 'snapctl.timer'), snapctl('schedule', '--systemd', '--unit', 'timer', ...args).stdout);
    const r = spawnSync('systemd-analyze', ['verify', join(units, 'snapctl.service'), join(units, 'snapctl.timer')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    const next = spawnSync('systemd-analyze', ['calendar', '--iterations=4', '*:0/15'], { encoding: 'utf8' });
    if (next.status === 0) assert.match(next.stdout, /:15:00|:30:00|:45:00|:00:00/);
  } finally {
    await fake.cleanup();
  }
});

const isRoot = process.getuid?.() === 0;
const hasUnshare = spawnSync('unshare', ['--version'], { encoding: 'utf8' }).status === 0;

test(
  'with no node on the PATH cron gives, the cron line starts snapctl with the node that wrote it, and it runs',
  { skip: (!isRoot || !hasUnshare) && 'needs root and unshare (a private mount namespace hides the system node)' },
  async () => {
    await inTempDir('snapctl-schedule-node-', async (dir) => {
      // A node of its own (nvm and /opt tarballs put node where cron does not look); every node on the unit's PATH hidden.
      const node = join(dir, 'node-20', 'bin', 'node');
      await mkdir(join(dir, 'node-20', 'bin'), { recursive: true });
      await copyFile(process.execPath, node);
      await chmod(node, 0o755);
      await mkdir(join(dir, 'src'));
      await writeFile(join(dir, 'src', 'f.txt'), 'data\n');
      const policy = join(dir, 'policy.yaml');
      await writeFile(policy, `version: 1\nhosts:\n  "*":\n    backupDir: ${dir}/backup\n    volumes:\n      data: { path: ${dir}/src, schedule: daily, retention: { keepLast: 2 } }\n`);
      await writeFile(join(dir, 'empty'), '');
      const hide = UNIT_PATH_DIRS.map((d) => `[ -e ${d}/node ] && mount --bind ${dir}/empty ${d}/node;`).join(' ');
      const inNamespace = (script: string): { status: number | null; stdout: string; stderr: string } => {
        const r = spawnSync('unshare', ['-m', '--propagation', 'private', '/bin/sh', '-c', `${hide} ${script}`], { encoding: 'utf8' });
        return { status: r.status, stdout: r.stdout, stderr: r.stderr };
      };
      const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
      const schedule = inNamespace(`${quote(node)} ${quote(BIN)} schedule --cron --policy ${quote(policy)} 2>&1`);
      assert.equal(schedule.status, 0, schedule.stdout + schedule.stderr);
      assert.match(schedule.stdout, /note: the cron line runs .*: its "#!\/usr\/bin\/env node" line finds no node on the unit's PATH/);
      const job = schedule.stdout.split('\n').find((l) => / root /.test(l) && !l.startsWith('#'));
      assert.ok(job, schedule.stdout);
      assert.ok(job.includes(` root nice -n 10 ionice -c 3 -t ${node} ${BIN} apply --policy ${policy} `), job);
      assert.match(schedule.stdout, /^# node is named before snapctl: /m);
      const command = job.split(' ').slice(6).join(' ').replace(/ >\/dev\/null$/, '');
      const cronEnv = `env -i SHELL=/bin/sh PATH=${UNIT_PATH_DIRS.join(':')} /bin/sh -c`;
      // What the line was before: snapctl alone, whose #! line finds no node there.
      const bare = inNamespace(`${cronEnv} ${quote(`${BIN} apply --policy ${policy}`)}`);
      assert.ok(bare.status === 126 || bare.status === 127, `without node named: exit ${bare.status} ${bare.stderr}`);
      const ran = inNamespace(`${cronEnv} ${quote(command)}`);
      assert.equal(ran.status, 0, ran.stdout + ran.stderr);
      const host = (await readdir(join(dir, 'backup')))[0] as string;
      assert.equal((await readdir(join(dir, 'backup', host))).filter((f) => f.endsWith('.tar.zst')).length, 1);
    });
  },
);

test('the service names node only when the #! line would not find one fit to run snapctl', async () => {
  await inTempDir('snapctl-node-to-name-', async (dir) => {
    const script = async (name: string, text: string, mode: number): Promise<string> => {
      const path = join(dir, name);
      await writeFile(path, text);
      await chmod(path, mode);
      return path;
    };
    const bin = await script('snapctl', '#!/usr/bin/env node\n', 0o755);
    const nodeDir = join(dir, 'nodes');
    await mkdir(join(nodeDir, 'old'), { recursive: true });
    await mkdir(join(nodeDir, 'new'));
    await script('nodes/old/node', '#!/bin/sh\necho v18.19.0\n', 0o755);
    await script('nodes/new/node', '#!/bin/sh\necho v22.1.0\n', 0o755);
    const here = dirname(process.execPath);
    assert.equal(nodeToName(bin, process.execPath, here), undefined, 'the #! line finds the node running now');
    assert.equal(nodeToName(bin, process.execPath, join(nodeDir, 'new')), undefined, 'another node, recent enough');
    assert.match(nodeToName(bin, process.execPath, `${dir}/none:${join(nodeDir, 'old')}:${join(nodeDir, 'new')}`) ?? '', /would run .*\/old\/node \(v18\.19\.0\), and snapctl needs node 20 or later/);
    assert.match(nodeToName(bin, process.execPath, `${dir}/none`) ?? '', /finds no node on the unit's PATH \(.*\/none\)/);
    assert.match(nodeToName(await script('plain', '#!/usr/bin/env node\n', 0o644), process.execPath, here) ?? '', /plain is not executable/);
    assert.equal(nodeToName(await script('wrapper', '#!/bin/sh\nexec node "$0.js" "$@"\n', 0o755), process.execPath, `${dir}/none`), undefined, 'a wrapper of its own');
    assert.equal(nodeToName(join(dir, 'not-installed-yet'), process.execPath, `${dir}/none`), undefined);
  });
});

test('an older node gets one line saying which node runs snapctl and what it needs, exit 1 (status: UNKNOWN, 3)', async () => {
  await inTempDir('snapctl-old-node-', async (dir) => {
    // Only the version node reports is changed: what snapctl checks before anything else.
    const preload = join(dir, 'node18.cjs');
    await writeFile(preload, "Object.defineProperty(process.versions, 'node', { value: '18.19.0' });\n");
    const r = spawnSync(process.execPath, ['--require', preload, BIN, 'plan', '--policy', join(ROOT, 'policies/example.yaml')], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^error: snapctl needs node 20 or later; this is node v18\.19\.0 \(.*\)\n {2}run it with a newer node: /);
    // status is a Nagios plugin: UNKNOWN (3) with its one line, not 1 (WARNING to Nagios).
    const check = spawnSync(process.execPath, ['--require', preload, BIN, 'status', '--policy', join(ROOT, 'policies/example.yaml')], { encoding: 'utf8' });
    assert.equal(check.status, 3);
    assert.equal(check.stdout, 'SNAPCTL UNKNOWN - snapctl needs node 20 or later; this is node v18.19.0\n');
    assert.equal(unsupportedNode('v20.0.0'), undefined);
    assert.equal(unsupportedNode('22.11.0'), undefined);
    assert.match(unsupportedNode('v12.22.12') ?? '', /this is node v12\.22\.12/);
  });
});

test('the cron job runs at nice 10 in the idle I/O class, as the service does, and tar and the compressor inherit both', async () => {
  await inTempDir('snapctl-schedule-prio-', async (dir) => {
    // A fake snapctl that reports its own priority and that of a child it starts.
    const bin = join(dir, 'snapctl');
    await writeFile(bin, '#!/bin/sh\necho "$(nice) $(ionice -p $$)"\nsh -c \'echo "$(nice) $(ionice -p $$)"\'\n');
    await chmod(bin, 0o755);
    const job = snapctl('schedule', '--cron', '--bin', bin).stdout.split('\n').find((l) => / root /.test(l) && !l.startsWith('#'));
    assert.ok(job);
    const command = job.split(' ').slice(6).join(' ').replace(/ >\/dev\/null$/, '');
    const base = Number(spawnSync('nice', { encoding: 'utf8' }).stdout.trim());
    const ran = spawnSync('/bin/sh', ['-c', command], { encoding: 'utf8' });
    assert.equal(ran.status, 0, ran.stderr);
    const expected = `${Math.min(base + 10, 19)} idle`;
    assert.deepEqual(ran.stdout.trim().split('\n'), [expected, expected]);
  });
});
