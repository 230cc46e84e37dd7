// `snapctl apply` end to end on a btrfs volume, through the real CLI, on a
// loop-mounted btrfs image: the archive holds the subvolume as it was at the
// instant of the snapshot, the snapshot is gone afterwards, a crashed run's
// snapshot shows in plan as a cleanup and the next apply removes it (and no
// subvolume that only has its name), a failing preSnapshot hook takes no
// snapshot at all, a backup directory inside the subvolume is left out
// however either is mounted, and subvolumes left out of an archive are
// warned about.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fakeBin } from '../helpers/fake-bin.js';
import { sh, withLoopBtrfs } from '../helpers/loopfs.js';
import { describeTree } from '../helpers/tree.js';
import { makeSampleTree } from '../helpers/sample-tree.js';
import { applyAndList, describeRun, listDir, parseJson, policyDoc, snapctl, snapctlWithEnv, workspace, type PlanJson, type Workspace } from '../helpers/snapctl-cli.js';

async function withBtrfsWorkspace(fn: (ws: Workspace, mnt: string, sub: string) => Promise<void>): Promise<void> {
  await withLoopBtrfs(async (mnt) => {
    const ws = await workspace();
    try {
      const sub = join(mnt, 'data');
      sh('btrfs', ['subvolume', 'create', sub]);
      await fn(ws, mnt, sub);
    } finally {
      await ws.cleanup();
    }
  });
}

/** Subvolumes under `mnt` by path, as btrfs itself lists them. */
function subvolumes(mnt: string): string[] {
  return sh('btrfs', ['subvolume', 'list', '-o', mnt])
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.replace(/^.* path /, ''))
    .sort();
}

async function extractZstd(archive: string): Promise<string> {
  const out = await mkdtemp(join(tmpdir(), 'snapctl-restore-'));
  execFileSync('bash', ['-o', 'pipefail', '-c', 'zstd -dc "$1" | tar -x -C "$2"', 'extract', archive, out]);
  return out;
}

/** A hook that records `ls -a DIR` into OUT: it sees whether a snapshot exists at that moment. */
const recordListing = (dir: string, out: string): string[] => ['sh', '-c', 'ls -a "$1" > "$2"', 'record', dir, out];

/** Plan's note that vol's archives leave out ./INSIDE because BACKUPDIR lies inside it. */
const leftOutNote = (backupDir: string, inside: string): RegExp => new RegExp(`^Note: vol: the backup directory ${backupDir.replace(/[/.]/g, '\\$&')} lies inside this volume: \\./${inside} is left out of its archives$`, 'm');

test('apply on a btrfs subvolume archives it as it was at the snapshot (changes made by postSnapshot are not in it) and leaves no snapshot behind', async () => {
  await withBtrfsWorkspace(async (ws, mnt, sub) => {
    await makeSampleTree(sub);
    await writeFile(join(sub, 'state.txt'), 'before the snapshot\n');
    const atSnapshot = await describeTree(sub);
    const seen = join(ws.dir, 'seen-by-post');
    await ws.writePolicy(
      policyDoc(ws, {
        vol: {
          btrfs: sub,
          schedule: 'daily',
          compression: 'zstd',
          retention: { keepLast: 2 },
          hooks: {
            // Runs after the snapshot and before the archive: the live subvolume changes, the snapshot must not.
            postSnapshot: [recordListing(mnt, seen), ['sh', '-c', 'echo after > "$1/state.txt" && touch "$1/added-after"', 'change', sub]],
          },
        },
      }),
    );

    const r = await snapctl(...ws.applyArgs('2026-03-01T03:00:00Z'), '--json');
    assert.equal(r.code, 0, describeRun(r));
    const archive = 'h1_vol.20260301T030000Z.tar.zst';
    assert.deepEqual(
      parseJson<{ volumes: { volume: string; status: string; archive?: string }[] }>(r, 'apply --json').volumes.map((v) => [v.volume, v.status, v.archive]),
      [['vol', 'created', archive]],
    );
    assert.match(await readFile(seen, 'utf8'), /^\.snapctl-vol-20260301T030000Z$/m, 'the snapshot existed while the hooks ran');
    assert.equal(await readFile(join(sub, 'state.txt'), 'utf8'), 'after\n', 'the hook changed the live subvolume');

    assert.deepEqual(await listDir(ws.hostDir), [archive, `${archive}.sha256`]);
    execFileSync('sha256sum', ['-c', '--quiet', `${archive}.sha256`], { cwd: ws.hostDir });
    const restored = await extractZstd(join(ws.hostDir, archive));
    try {
      assert.deepEqual(await describeTree(restored), atSnapshot);
    } finally {
      await rm(restored, { recursive: true, force: true });
    }
    assert.deepEqual((await listDir(mnt)).filter((n) => n.startsWith('.snapctl-')), []);
    assert.deepEqual(subvolumes(mnt), ['data']);
  });
});

test('a read-only .snapctl-<volume>-<stamp> snapshot of the volume left by a crashed run shows in plan as a ~ cleanup and the next apply deletes it; subvolumes and directories only named so stay', async () => {
  await withBtrfsWorkspace(async (ws, mnt, sub) => {
    await writeFile(join(sub, 'f'), 'data\n');
    const leftover = join(mnt, '.snapctl-vol-20260228T030000Z');
    sh('btrfs', ['subvolume', 'snapshot', '-r', sub, leftover]);
    // Named like a leftover but not a subvolume: not snapctl's, never touched.
    const impostor = join(mnt, '.snapctl-vol-20260227T030000Z');
    await mkdir(impostor);
    await writeFile(join(impostor, 'keep-me'), 'mine\n');
    // A writable subvolume so named, holding data: never a snapshot of snapctl's.
    const writable = join(mnt, '.snapctl-vol-20260226T030000Z');
    sh('btrfs', ['subvolume', 'create', writable]);
    await writeFile(join(writable, 'f'), 'precious\n');
    // A read-only snapshot so named, but of another subvolume.
    sh('btrfs', ['subvolume', 'create', join(mnt, 'other')]);
    const ofOther = join(mnt, '.snapctl-vol-20260225T030000Z');
    sh('btrfs', ['subvolume', 'snapshot', '-r', join(mnt, 'other'), ofOther]);
    await ws.writePolicy(policyDoc(ws, { vol: { btrfs: sub, schedule: 'daily', compression: 'zstd', retention: { keepLast: 2 } } }));

    const planRun = await snapctl('plan', ...ws.common('2026-03-01T03:00:00Z'), '--json');
    assert.equal(planRun.code, 0, describeRun(planRun));
    assert.deepEqual(
      parseJson<PlanJson>(planRun, 'plan --json').actions.map((a) => [a.type, a.type === 'cleanup' ? `${a.path}: ${a.reason}` : a.archive]),
      [
        ['cleanup', `${leftover}: btrfs snapshot left by an interrupted run`],
        ['create', 'h1_vol.20260301T030000Z.tar.zst'],
      ],
    );
    const text = await snapctl('plan', ...ws.common('2026-03-01T03:00:00Z'), '--no-color');
    assert.match(text.stdout, /^\s*~ .*\.snapctl-vol-20260228T030000Z/m);
    assert.doesNotMatch(text.stdout, /2026022[567]T030000Z/);

    const r = await snapctl(...ws.applyArgs('2026-03-01T03:00:00Z'));
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, /1 created, 0 deleted, 1 cleaned up, 0 failed/);
    assert.deepEqual(subvolumes(mnt), ['.snapctl-vol-20260225T030000Z', '.snapctl-vol-20260226T030000Z', 'data', 'other']);
    assert.deepEqual((await listDir(mnt)).filter((n) => n.startsWith('.snapctl-')), ['.snapctl-vol-20260225T030000Z', '.snapctl-vol-20260226T030000Z', '.snapctl-vol-20260227T030000Z']);
    assert.equal(await readFile(join(impostor, 'keep-me'), 'utf8'), 'mine\n');
    assert.equal(await readFile(join(writable, 'f'), 'utf8'), 'precious\n');
    assert.deepEqual(await listDir(ws.hostDir), ['h1_vol.20260301T030000Z.tar.zst', 'h1_vol.20260301T030000Z.tar.zst.sha256']);

    const again = await snapctl('plan', ...ws.common('2026-03-01T04:00:00Z'), '--json');
    assert.deepEqual(parseJson<PlanJson>(again, 'plan --json').actions, [], 'nothing left to clean up or create');
  });
});

test('the snapshot of an apply killed (SIGKILL) after taking it is a ~ cleanup in the next plan, and the next apply deletes it', async () => {
  await withBtrfsWorkspace(async (ws, mnt, sub) => {
    await writeFile(join(sub, 'f'), 'data\n');
    // postSnapshot runs once the snapshot exists: its shell kills apply (its parent) outright, so no finally runs.
    await ws.writePolicy(policyDoc(ws, { vol: { btrfs: sub, schedule: 'daily', compression: 'zstd', retention: { keepLast: 2 }, hooks: { postSnapshot: [['sh', '-c', 'kill -KILL "$PPID"']] } } }));
    const killed = await snapctl(...ws.applyArgs('2026-03-01T03:00:00Z'));
    assert.equal(killed.signal, 'SIGKILL', describeRun(killed));
    const leftover = join(mnt, '.snapctl-vol-20260301T030000Z');
    assert.deepEqual(subvolumes(mnt), ['.snapctl-vol-20260301T030000Z', 'data']);

    await ws.writePolicy(policyDoc(ws, { vol: { btrfs: sub, schedule: 'daily', compression: 'zstd', retention: { keepLast: 2 } } }));
    const planRun = await snapctl('plan', ...ws.common('2026-03-01T04:00:00Z'), '--json');
    assert.equal(planRun.code, 0, describeRun(planRun));
    assert.deepEqual(
      parseJson<PlanJson>(planRun, 'plan --json').actions.filter((a) => a.type === 'cleanup').map((a) => [a.path, a.reason]),
      [[leftover, 'btrfs snapshot left by an interrupted run']],
    );
    const r = await snapctl(...ws.applyArgs('2026-03-01T04:00:00Z'));
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, /1 created, 0 deleted, 1 cleaned up, 0 failed/);
    assert.deepEqual(subvolumes(mnt), ['data']);
  });
});

test('a plan made where subvolumes cannot be read (as a user) lists every subvolume named like a leftover as unchecked; applied as root, that saved plan is stale and deletes nothing', async () => {
  await withBtrfsWorkspace(async (ws, mnt, sub) => {
    await writeFile(join(sub, 'f'), 'data\n');
    const leftover = join(mnt, '.snapctl-vol-20260228T030000Z');
    sh('btrfs', ['subvolume', 'snapshot', '-r', sub, leftover]);
    const writable = join(mnt, '.snapctl-vol-20260226T030000Z');
    sh('btrfs', ['subvolume', 'create', writable]);
    await writeFile(join(writable, 'f'), 'precious\n');
    await ws.writePolicy(policyDoc(ws, { vol: { btrfs: sub, schedule: 'daily', compression: 'zstd', retention: { keepLast: 2 } } }));
    // What btrfs-progs answers a user: no subvolume UUIDs, no flags, no listing.
    const fake = fakeBin({ btrfs: { stderr: 'ERROR: Could not search B-tree: Operation not permitted\n', exitCode: 1 } });
    try {
      const planFile = join(ws.dir, 'user.plan');
      const planRun = await snapctlWithEnv({ PATH: `${fake.dir}:/usr/sbin:/usr/bin:/sbin:/bin` }, 'plan', ...ws.common('2026-03-01T03:00:00Z'), '--out', planFile);
      assert.equal(planRun.code, 0, describeRun(planRun));
      const unchecked = 'named like a btrfs snapshot left by an interrupted run (not checked: reading subvolumes needs root and btrfs-progs)';
      assert.deepEqual(
        (JSON.parse(await readFile(planFile, 'utf8')) as { plan: PlanJson }).plan.actions.filter((a) => a.type === 'cleanup').map((a) => [a.path, a.reason]),
        [
          [writable, unchecked],
          [leftover, unchecked],
        ],
      );
      const applied = await snapctl('apply', planFile, '--log-dir', ws.logDir, '--state-dir', ws.stateDir, '--lock-file', ws.lockFile);
      assert.equal(applied.code, 1, describeRun(applied));
      assert.match(applied.stderr, /Saved plan is stale/);
      assert.deepEqual(subvolumes(mnt), ['.snapctl-vol-20260226T030000Z', '.snapctl-vol-20260228T030000Z', 'data']);
      assert.equal(await readFile(join(writable, 'f'), 'utf8'), 'precious\n');
    } finally {
      await fake.cleanup();
    }
  });
});

test('a failing preSnapshot hook on a btrfs volume takes no snapshot, still runs postSnapshot, and writes no archive', async () => {
  await withBtrfsWorkspace(async (ws, mnt, sub) => {
    await writeFile(join(sub, 'f'), 'data\n');
    const seen = join(ws.dir, 'seen-by-post');
    await ws.writePolicy(
      policyDoc(ws, {
        vol: { btrfs: sub, schedule: 'daily', compression: 'zstd', retention: { keepLast: 2 }, hooks: { preSnapshot: [['false']], postSnapshot: [recordListing(mnt, seen)] } },
      }),
    );
    const r = await snapctl(...ws.applyArgs('2026-03-01T03:00:00Z'));
    assert.equal(r.code, 1, describeRun(r));
    assert.match(r.stdout + r.stderr, /preSnapshot/);
    const listing = await readFile(seen, 'utf8');
    assert.match(listing, /^data$/m, 'postSnapshot ran and listed the filesystem');
    assert.doesNotMatch(listing, /\.snapctl-/, 'no snapshot existed when postSnapshot ran');
    assert.deepEqual(subvolumes(mnt), ['data']);
    assert.deepEqual((await listDir(ws.hostDir)).filter((n) => n.includes('.tar')), []);
  });
});

test('plan shows an Error for a btrfs volume whose directory is not a subvolume (a plain directory on btrfs, a directory elsewhere), none for a subvolume', async () => {
  await withBtrfsWorkspace(async (ws, mnt, sub) => {
    await writeFile(join(sub, 'data.txt'), 'data\n');
    const plainOnBtrfs = join(mnt, 'plain');
    await mkdir(plainOnBtrfs);
    await writeFile(join(plainOnBtrfs, 'data.txt'), 'data\n');
    const elsewhere = join(ws.dir, 'elsewhere');
    await mkdir(elsewhere);
    await writeFile(join(elsewhere, 'data.txt'), 'data\n');
    await ws.writePolicy(policyDoc(ws, { sub: { btrfs: sub }, plain: { btrfs: plainOnBtrfs }, other: { btrfs: elsewhere } }));
    const r = await snapctl('plan', ...ws.common('2026-03-01T03:00:00Z'), '--no-color');
    assert.equal(r.code, 0, describeRun(r));
    assert.deepEqual(
      r.stdout.split('\n').filter((l) => l.startsWith('Error: ')),
      [
        `Error: plain: btrfs ${plainOnBtrfs} is not a btrfs subvolume: apply will fail for this volume`,
        `Error: other: btrfs ${elsewhere} is not a btrfs subvolume: apply will fail for this volume`,
      ],
    );
    // What plan announced is what apply does: the subvolume is archived, the other two fail.
    const applied = await snapctl(...ws.applyArgs('2026-03-01T03:00:00Z'));
    assert.equal(applied.code, 3, describeRun(applied));
    assert.match(applied.stdout, /^ {2}plain +FAILED/m);
    assert.match(applied.stdout, /^ {2}other +FAILED/m);
    assert.match(applied.stdout, /^ {2}sub +created /m);
  });
});

test('a subvolume nested in a btrfs volume is a plan warning and an apply warning (its files are in no archive), unless the policy archives it as a volume of its own', async () => {
  await withBtrfsWorkspace(async (ws, _mnt, sub) => {
    await writeFile(join(sub, 'outer.txt'), 'outer\n');
    sh('btrfs', ['subvolume', 'create', join(sub, 'db')]);
    await writeFile(join(sub, 'db/inner.txt'), 'inner\n');
    const warning = 'nested subvolume ./db is not in its snapshot (btrfs snapshots stop at subvolume boundaries), so not in its archives: one holding data to keep needs a volume of its own';
    await ws.writePolicy(policyDoc(ws, { sub: { btrfs: sub } }));
    const r = await snapctl('plan', ...ws.common('2026-03-01T03:00:00Z'), '--no-color');
    assert.equal(r.code, 0, describeRun(r));
    assert.deepEqual(r.stdout.split('\n').filter((l) => l.includes('nested subvolume')), [`Warning: sub: ${warning}`]);
    const applied = await snapctl(...ws.applyArgs('2026-03-01T03:00:00Z'), '--json');
    assert.equal(applied.code, 0, describeRun(applied));
    assert.match(applied.stderr, new RegExp(`^warning: sub: ${sub}: ${warning.replace(/[.()]/g, '\\$&')}$`, 'm'));
    assert.deepEqual((JSON.parse(applied.stdout) as { volumes: { warnings?: string[] }[] }).volumes.map((v) => v.warnings), [[`${sub}: ${warning}`]]);
    const out = await extractZstd(join(ws.hostDir, 'h1_sub.20260301T030000Z.tar.zst'));
    try {
      assert.deepEqual(await readdir(join(out, 'db')), [], 'the archive holds the nested subvolume as an empty directory');
    } finally {
      await rm(out, { recursive: true, force: true });
    }
    await ws.writePolicy(policyDoc(ws, { sub: { btrfs: sub }, db: { btrfs: join(sub, 'db') } }));
    const both = await snapctl('plan', ...ws.common('2026-03-02T03:00:00Z'), '--no-color');
    assert.equal(both.code, 0, describeRun(both));
    assert.doesNotMatch(both.stdout, /nested subvolume/);
    const bothApplied = await snapctl(...ws.applyArgs('2026-03-02T03:00:00Z'));
    assert.equal(bothApplied.code, 0, describeRun(bothApplied));
    assert.doesNotMatch(bothApplied.stderr, /nested subvolume/);
    assert.match(bothApplied.stdout, /^ {2}db +created /m);
  });
});

test('a backup directory inside the subvolume reached through a bind mount is left out of its archives, and plan says so', async () => {
  await withBtrfsWorkspace(async (ws, _mnt, sub) => {
    await writeFile(join(sub, 'data.txt'), 'data\n');
    await mkdir(join(sub, 'bk'));
    const bind = join(ws.dir, 'bkbind');
    await mkdir(bind);
    sh('mount', ['--bind', join(sub, 'bk'), bind]);
    try {
      await ws.writePolicy({ version: 1, timezone: 'UTC', hosts: { [ws.host]: { backupDir: bind, volumes: { vol: { btrfs: sub, schedule: 'hourly', compression: 'none' } } } } });
      const plan = await snapctl('plan', ...ws.common('2026-11-01T00:00:00Z'), '--no-color');
      assert.equal(plan.code, 0, describeRun(plan));
      assert.match(plan.stdout, leftOutNote(bind, 'bk'));
      assert.deepEqual(await applyAndList(ws, join(bind, ws.host), ['2026-11-01T00:00:00Z', '2026-11-01T01:00:00Z', '2026-11-01T02:00:00Z']), [
        ['./', './data.txt'],
        ['./', './data.txt'],
        ['./', './data.txt'],
      ]);
    } finally {
      sh('umount', [bind]);
    }
  });
});

test('a btrfs volume mounted with subvol= holding the backup directory reached through the top-level mount leaves it out of its archives, and plan says so', async () => {
  await withBtrfsWorkspace(async (ws, mnt, sub) => {
    await writeFile(join(sub, 'data.txt'), 'data\n');
    const backupDir = join(sub, 'bk');
    const vol = join(ws.dir, 'vol');
    await mkdir(vol);
    sh('mount', ['-o', 'subvol=data', sh('findmnt', ['-n', '-o', 'SOURCE', mnt]).trim(), vol]);
    try {
      await ws.writePolicy({ version: 1, timezone: 'UTC', hosts: { [ws.host]: { backupDir, volumes: { vol: { btrfs: vol, schedule: 'hourly', compression: 'none' } } } } });
      const plan = await snapctl('plan', ...ws.common('2026-11-01T00:00:00Z'), '--no-color');
      assert.equal(plan.code, 0, describeRun(plan));
      assert.match(plan.stdout, leftOutNote(backupDir, 'bk'));
      assert.deepEqual(await applyAndList(ws, join(backupDir, ws.host), ['2026-11-01T00:00:00Z', '2026-11-01T01:00:00Z', '2026-11-01T02:00:00Z']), [
        ['./', './data.txt'],
        ['./', './data.txt'],
        ['./', './data.txt'],
      ]);
    } finally {
      sh('umount', [vol]);
    }
  });
});

test('btrfs subvolumes inside a path volume are a plan warning and an apply warning (tar --one-file-system archives their empty directories), unless the policy archives them as volumes of their own', async () => {
  await withBtrfsWorkspace(async (ws, mnt, sub) => {
    await writeFile(join(sub, 'a'), 'x\n');
    await writeFile(join(mnt, 'top.txt'), 'top\n');
    // A plain directory without subvolumes: nothing to say about it.
    const plain = join(ws.dir, 'plain');
    await mkdir(plain);
    await writeFile(join(plain, 'f'), 'f\n');
    const warning = 'a btrfs subvolume lies inside it, and its archives stop at subvolume boundaries (each subvolume has a device number of its own, and tar --one-file-system stays on one): ./data is not archived, only its empty directory; one holding data to keep needs a volume of its own';
    await ws.writePolicy(policyDoc(ws, { v: { path: mnt }, plain: { path: plain } }));
    const r = await snapctl('plan', ...ws.common('2026-03-01T03:00:00Z'), '--no-color');
    assert.equal(r.code, 0, describeRun(r));
    assert.deepEqual(r.stdout.split('\n').filter((l) => l.includes('subvolume')), [`Warning: v: ${warning}`]);
    const applied = await snapctl(...ws.applyArgs('2026-03-01T03:00:00Z'), '--json');
    assert.equal(applied.code, 0, describeRun(applied));
    assert.deepEqual(applied.stderr.split('\n').filter((l) => l.includes('subvolume')), [`warning: v: ${mnt}: ${warning}`]);
    assert.deepEqual((JSON.parse(applied.stdout) as { volumes: { volume: string; warnings?: string[] }[] }).volumes.map((v) => [v.volume, (v.warnings ?? []).filter((w) => w.includes('subvolume'))]), [
      ['v', [`${mnt}: ${warning}`]],
      ['plain', []],
    ]);
    const out = await extractZstd(join(ws.hostDir, 'h1_v.20260301T030000Z.tar.zst'));
    try {
      assert.deepEqual((await readdir(out)).sort(), ['data', 'top.txt']);
      assert.deepEqual(await readdir(join(out, 'data')), [], 'the archive holds the subvolume as an empty directory');
    } finally {
      await rm(out, { recursive: true, force: true });
    }
    await ws.writePolicy(policyDoc(ws, { v: { path: mnt }, plain: { path: plain }, data: { btrfs: sub } }));
    const both = await snapctl('plan', ...ws.common('2026-03-02T03:00:00Z'), '--no-color');
    assert.equal(both.code, 0, describeRun(both));
    assert.doesNotMatch(both.stdout, /subvolume/);
    const bothApplied = await snapctl(...ws.applyArgs('2026-03-02T03:00:00Z'));
    assert.equal(bothApplied.code, 0, describeRun(bothApplied));
    assert.doesNotMatch(bothApplied.stderr, /subvolume/);
    assert.match(bothApplied.stdout, /^ {2}data +created /m);
  });
});
