import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function snapctl(...args: string[]): Run {
  const r = spawnSync(process.execPath, ['bin/snapctl.js', ...args], { cwd: ROOT, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'snapctl-init-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('init refuses a --host that cannot name a directory before reading the command line', () => {
  const r = snapctl('init', '--from-py-snap', 'py_snap.py', '--host', 'db01/x', '--vg', 'vg0');
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^error: invalid host name "db01\/x": expected a letter or digit/);
});

test('init --from-py-snap "py_snap.py" prints a policy with py_snap\'s defaults that validate accepts', async () => {
  await withDir(async (dir) => {
    const r = snapctl('init', '--from-py-snap', 'py_snap.py', '--host', 'db01', '--vg', 'vg0');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    const lines = r.stdout.split('\n').map((l) => l.replace(/\s+#.*$/, ''));
    for (const line of ['  db01:', '    backupDir: /backup', '      data:', '        lvm: vg0/lv_data', '        mount: /data', '        schedule: daily', '        compression: none', '          keepWithin: 3d', '          snapshot: vg0/lv_data_snap', '          mountPoint: /tmp/snap_backup', '          cleanup: false']) {
      assert.ok(lines.includes(line), `missing "${line}" in\n${r.stdout}`);
    }
    await writeFile(join(dir, 'policy.yaml'), r.stdout);
    const v = snapctl('validate', '--policy', join(dir, 'policy.yaml'));
    assert.equal(v.status, 0, v.stderr);
    assert.equal(v.stdout, `ok: ${join(dir, 'policy.yaml')} (1 host, 1 volume)\n`);
  });
});

test('a system crontab line gives a daily schedule from its time fields', () => {
  const r = snapctl('init', '--from-py-snap', '30 2 * * * root /usr/bin/python /opt/py_snap.py -c -f /var/lib/mongo', '--host', 'db01', '--vg', 'vg0');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^ {8}schedule: daily {4}# from the cron line "30 2 \* \* \*"$/m);
  assert.match(r.stdout, /^ {8}compression: gzip /m);
  assert.match(r.stdout, /^ {6}var_lib_mongo:$/m);
});

test('unknown options and missing values are refused with a clear message and exit 1', () => {
  for (const [line, message] of [
    ['py_snap.py -x', 'error: unknown py_snap option "-x"\n  py_snap.py knows -b -c -f -l -m -r -s -v --log-dir (and their long forms)\n'],
    ['py_snap.py -b', 'error: py_snap option -b needs a value\n'],
    ['py_snap.py -f /data -r', 'error: py_snap option -r needs a value\n'],
    ['py_snap.py --retention_days=soon', 'error: py_snap option --retention_days: "soon" is not a number of days from 1 to 36500\n'],
  ] as const) {
    const r = snapctl('init', '--from-py-snap', line, '--host', 'db01', '--vg', 'vg0');
    assert.equal(r.status, 1, line);
    assert.equal(r.stderr, message, line);
    assert.equal(r.stdout, '', line);
  }
});

test("init's own bad command lines exit 1 without a stack trace", () => {
  const missing = snapctl('init');
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /^error: --from-py-snap "COMMAND LINE" is required/);
  const unknown = snapctl('init', '--from-pysnap', 'py_snap.py');
  assert.equal(unknown.status, 1);
  assert.match(unknown.stderr, /^error: Unknown option '--from-pysnap'/);
  assert.doesNotMatch(unknown.stderr, /\n\s+at /);
  const emptyValue = snapctl('init', '--from-py-snap', '');
  assert.equal(emptyValue.status, 1);
  assert.match(emptyValue.stderr, /^error: --from-py-snap was given an empty value/);
  const blank = snapctl('init', '--from-py-snap', '   ');
  assert.equal(blank.status, 1);
  assert.match(blank.stderr, /^error: the py_snap command line is empty/);
});

test('a py_snap value the policy cannot hold is refused naming the option, its value and what was expected, not a temporary file', () => {
  for (const [line, vg, message] of [
    ['py_snap.py -b backup', 'vg0', 'error: py_snap option -b "backup" gives backupDir: expected an absolute path, found "backup"\n'],
    ['py_snap.py -m relative', 'vg0', 'error: py_snap option -m "relative" gives legacy.mountPoint: expected an absolute path, found "relative"\n'],
    ['py_snap.py --file-system=data', 'vg0', 'error: py_snap option -f "data" gives mount: expected an absolute path, found "data"\n'],
    [
      'py_snap.py -l lv/data',
      'vg0',
      'error: --vg "vg0" and py_snap option -l "lv/data" give lvm: expected VG/LV (e.g. vg0/lv_data), found "vg0/lv/data"\n',
    ],
    [
      'py_snap.py',
      'bad vg',
      'error: --vg "bad vg" and py_snap option -l "lv_data" (py_snap\'s default) give lvm: expected VG/LV (e.g. vg0/lv_data), found "bad vg/lv_data"\n' +
        '  --vg "bad vg" and py_snap option -s "lv_data_snap" (py_snap\'s default) give legacy.snapshot: expected VG/LV (e.g. vg0/lv_data_snap), found "bad vg/lv_data_snap"\n',
    ],
  ] as const) {
    const r = snapctl('init', '--from-py-snap', line, '--host', 'db01', '--vg', vg);
    assert.equal(r.status, 1, line);
    assert.equal(r.stderr, message, line);
    assert.equal(r.stdout, '', line);
  }
});

test('--out writes the file, and refuses to overwrite it without --force', async () => {
  await withDir(async (dir) => {
    const out = join(dir, 'policy.yaml');
    const first = snapctl('init', '--from-py-snap', 'py_snap.py', '--host', 'db01', '--vg', 'vg0', '--out', out);
    assert.equal(first.status, 0, first.stderr);
    assert.equal(first.stdout, '');
    assert.match(first.stderr, /^wrote .*policy\.yaml; check it with: snapctl plan --policy /);
    const written = await readFile(out, 'utf8');
    assert.match(written, /keepWithin: 3d/);

    const again = snapctl('init', '--from-py-snap', 'py_snap.py -r 9', '--host', 'db01', '--vg', 'vg0', '--out', out);
    assert.equal(again.status, 1);
    assert.equal(again.stderr, `error: ${out} exists\n  pass --force to overwrite it\n`);
    assert.equal(await readFile(out, 'utf8'), written, 'the existing file is untouched');

    const forced = snapctl('init', '--from-py-snap', 'py_snap.py -r 9', '--host', 'db01', '--vg', 'vg0', '--out', out, '--force');
    assert.equal(forced.status, 0, forced.stderr);
    assert.match(await readFile(out, 'utf8'), /keepWithin: 9d/);
  });
});

interface PlanJson {
  readonly actions: readonly { type: string; volume: string | null; archive: string }[];
  readonly kept: readonly { volume: string; archive: string; reasons: readonly string[] }[];
  readonly unmanaged: readonly string[];
}

test('adoption: plan on the generated policy counts every py_snap archive as kept or deleted, never unmanaged', async () => {
  await withDir(async (dir) => {
    const backup = join(dir, 'backup');
    const hostDir = join(backup, 'db01');
    await mkdir(hostDir, { recursive: true });
    // py_snap -c -f /var/lib/mongo, daily at 02:30 local time (UTC here, see below), 2026-11-15 … 2026-11-25.
    const legacy: string[] = [];
    for (let day = 15; day <= 25; day++) legacy.push(`db01_var_lib_mongo.2026-11-${day}:02:30:0${day === 25 ? 5 : 0}.tar.gz`);
    const strangers = ['db01_data.2026-11-25:02:30:00.tar.gz', 'notes.txt'];
    for (const name of [...legacy, ...strangers]) await writeFile(join(hostDir, name), 'x');

    const line = `30 2 * * * root /usr/bin/python /opt/py_snap.py -c -b ${backup} -f /var/lib/mongo -l lv_mongo -s mongo_snap`;
    const init = snapctl('init', '--from-py-snap', line, '--host', 'db01', '--vg', 'vg_db', '--out', join(dir, 'policy.yaml'));
    assert.equal(init.status, 0, init.stderr);
    // The generated policy counts in the system's zone, as py_snap named its archives: fix it to UTC
    // so the local-time names read the same on every machine (TZ no longer sets it).
    const generated = await readFile(join(dir, 'policy.yaml'), 'utf8');
    assert.match(generated, /^version: 1\n/m);
    await writeFile(join(dir, 'policy.yaml'), generated.replace(/^version: 1\n/m, 'version: 1\ntimezone: UTC\n'));

    const r = snapctl('plan', '--policy', join(dir, 'policy.yaml'), '--host', 'db01', '--now', '2026-11-26T01:00:00Z', '--json');
    assert.equal(r.status, 0, r.stderr);
    const plan = JSON.parse(r.stdout) as PlanJson;
    const kept = plan.kept.filter((k) => k.volume === 'var_lib_mongo').map((k) => k.archive);
    const deleted = plan.actions.filter((a) => a.type === 'delete' && a.volume === 'var_lib_mongo').map((a) => a.archive);

    assert.deepEqual([...kept, ...deleted].sort(), [...legacy].sort(), 'every py_snap archive is either kept or deleted');
    for (const a of legacy) assert.ok(!plan.unmanaged.includes(a), `${a} is adopted, not unmanaged`);
    // keepWithin 3d counts from the newest archive (11-25 02:30:05): 11-22 02:30:00 is just outside.
    assert.deepEqual(kept.sort(), legacy.slice(-3).sort());
    assert.deepEqual(deleted.sort(), legacy.slice(0, -3).sort());
    assert.deepEqual([...plan.unmanaged].sort(), strangers, 'archives of other file systems and other files stay unmanaged');
    // Today's (11-26) archive is due: the adopted ones count for the schedule, so it is the only create.
    assert.deepEqual(plan.actions.filter((a) => a.type === 'create').map((a) => a.volume), ['var_lib_mongo']);
    assert.deepEqual((await readdir(hostDir)).sort(), [...legacy, ...strangers].sort(), 'plan changed nothing');
  });
});
