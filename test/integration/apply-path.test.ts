// `snapctl apply` end to end on a `path` volume, through the real CLI: the
// archive restores with plain tools, a second run changes nothing, a month of
// daily cron runs ends with exactly what the retention keeps, every plan
// announces exactly what the apply after it does, and saved plans are
// applied as they are or refused when stale.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmod, chown, lstat, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeTree } from '../helpers/tree.js';
import { makeSampleTree } from '../helpers/sample-tree.js';
import {
  applyAndList,
  describeRun,
  ROOT,
  listDir,
  parseJson,
  policyDoc,
  snapctl,
  startSnapctl,
  snapshotDir,
  workspace,
  type ApplyJson,
  type CliResult,
  type PlanJson,
  type Workspace,
} from '../helpers/snapctl-cli.js';

async function withWorkspace(fn: (ws: Workspace) => Promise<void>): Promise<void> {
  const ws = await workspace();
  try {
    await fn(ws);
  } finally {
    await ws.cleanup();
  }
}

/** A source directory <ws>/src holding one file, and (unless `policy` is false) a policy with one `docs` path volume on it; returns the directory. */
async function docsSource(ws: Workspace, policy = true): Promise<string> {
  const src = join(ws.dir, 'src');
  await mkdir(src, { recursive: true });
  await writeFile(join(src, 'f'), 'data\n');
  if (policy) await ws.writePolicy(policyDoc(ws, { docs: { path: src } }));
  return src;
}

/** Extracts with nothing but `zstd -dc A | tar -x -C DIR`, as an operator would. */
async function extractZstd(archive: string): Promise<string> {
  const out = await mkdtemp(join(tmpdir(), 'snapctl-restore-'));
  execFileSync('bash', ['-o', 'pipefail', '-c', 'zstd -dc "$1" | tar -x -C "$2"', 'extract', archive, out]);
  return out;
}

/** A directory listing with sizes and mtimes: "nothing changed" means this is identical. */
async function listing(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of await listDir(dir)) {
    const st = await lstat(join(dir, name));
    out[name] = `${st.size} ${st.mtimeMs} ${st.ino}`;
  }
  return out;
}

test('apply archives a path volume so that plain zstd|tar restores the same tree, the sidecar passes sha256sum -c, --json names the archive, and a second run in the same day changes nothing', async () => {
  await withWorkspace(async (ws) => {
    const src = join(ws.dir, 'src');
    await mkdir(src);
    await makeSampleTree(src);
    await ws.writePolicy(policyDoc(ws, { docs: { path: src, schedule: 'daily', compression: 'zstd', retention: { keepLast: 3 } } }));

    const first = await snapctl(...ws.applyArgs('2026-03-01T03:00:00Z'), '--json');
    assert.equal(first.code, 0, describeRun(first));
    const json = parseJson<ApplyJson & { host: string }>(first, 'apply --json');
    const archive = 'h1_docs.20260301T030000Z.tar.zst';
    assert.equal(json.exitCode, 0);
    assert.equal(json.host, 'h1');
    assert.deepEqual(
      json.volumes.map((v) => [v.volume, v.status, v.archive]),
      [['docs', 'created', archive]],
    );
    assert.deepEqual(await listDir(ws.hostDir), [archive, `${archive}.sha256`]);

    assert.match(execFileSync('sha256sum', ['-c', `${archive}.sha256`], { cwd: ws.hostDir, encoding: 'utf8' }), new RegExp(`^${archive.replace(/\./g, '\\.')}: OK$`, 'm'));

    const restored = await extractZstd(join(ws.hostDir, archive));
    try {
      const want = await describeTree(src);
      assert.ok(Object.keys(want).length > 20, 'the sample tree is not empty');
      assert.deepEqual(await describeTree(restored), want);
    } finally {
      await rm(restored, { recursive: true, force: true });
    }

    const before = await listing(ws.hostDir);
    const again = await snapctl(...ws.applyArgs('2026-03-01T21:30:00Z'));
    assert.equal(again.code, 0, describeRun(again));
    assert.match(again.stdout, /0 created, 0 deleted, 0 cleaned up, 0 failed/);
    assert.match(again.stdout, /docs\s+up to date/);
    assert.deepEqual(await listing(ws.hostDir), before);
    const againJson = await snapctl(...ws.applyArgs('2026-03-01T22:00:00Z'), '--json');
    assert.equal(againJson.code, 0, describeRun(againJson));
    assert.deepEqual(
      parseJson<ApplyJson>(againJson, 'apply --json').volumes.map((v) => [v.volume, v.status, v.deleted.length]),
      [['docs', 'up-to-date', 0]],
    );
    assert.deepEqual(await listing(ws.hostDir), before);
  });
});

/** The files a plan says it will create and delete (archives with their sidecars). */
function announced(plan: PlanJson): { created: string[]; deleted: string[] } {
  const created = plan.actions.filter((a) => a.type === 'create').flatMap((a) => [a.archive, `${a.archive}.sha256`]);
  const deleted = plan.actions.filter((a) => a.type === 'delete').flatMap((a) => [a.archive, ...(a.sidecar !== undefined ? [`${a.archive}.sha256`] : [])]);
  return { created: created.sort(), deleted: deleted.sort() };
}

test('30 days of daily cron runs (plus repeats within a day) end with exactly the archives keepLast 2 / keepDaily 5 / keepWeekly 2 keeps, and every plan lists exactly what the next apply creates and deletes', async () => {
  await withWorkspace(async (ws) => {
    const src = join(ws.dir, 'src');
    await mkdir(src);
    await ws.writePolicy(
      policyDoc(ws, { docs: { path: src, schedule: 'daily', compression: 'zstd', retention: { keepLast: 2, keepDaily: 5, keepWeekly: 2 } } }),
    );
    // 30 days, Saturday 2026-02-28 to Sunday 2026-03-29, at 03:00 UTC; some
    // days also run again in the afternoon (a second cron entry, a manual run).
    const runs: string[] = [];
    for (let day = 0; day < 30; day++) {
      const date = new Date(Date.UTC(2026, 1, 28 + day, 3, 0, 0));
      runs.push(date.toISOString().replace('.000Z', 'Z'));
      if ([3, 10, 22, 29].includes(day)) runs.push(new Date(date.getTime() + 12 * 3600_000).toISOString().replace('.000Z', 'Z'));
    }
    assert.equal(runs[0], '2026-02-28T03:00:00Z');
    assert.equal(runs.at(-1), '2026-03-29T15:00:00Z');

    for (const now of runs) {
      await writeFile(join(src, 'today.txt'), `data as of ${now}\n`);
      const planRun = await snapctl('plan', ...ws.common(now), '--json');
      assert.equal(planRun.code, 0, describeRun(planRun));
      const plan = parseJson<PlanJson>(planRun, 'plan --json');
      const before = await listDir(ws.hostDir);

      const applyRun = await snapctl(...ws.applyArgs(now), '--json');
      assert.equal(applyRun.code, 0, `${now}: ${describeRun(applyRun)}`);
      const result = parseJson<ApplyJson>(applyRun, 'apply --json');
      const after = await listDir(ws.hostDir);

      const added = after.filter((f) => !before.includes(f)).sort();
      const removed = before.filter((f) => !after.includes(f)).sort();
      const want = announced(plan);
      assert.deepEqual({ added, removed }, { added: want.created, removed: want.deleted }, `${now}: the files apply changed are the ones plan announced`);
      const docs = result.volumes.find((v) => v.volume === 'docs');
      assert.ok(docs, `${now}: apply reports the volume`);
      assert.deepEqual(
        { created: docs.archive !== undefined ? [docs.archive] : [], deleted: [...docs.deleted].sort() },
        {
          created: plan.actions.filter((a) => a.type === 'create').map((a) => a.archive),
          deleted: plan.actions.filter((a) => a.type === 'delete').map((a) => a.archive).sort(),
        },
        `${now}: apply --json reports what the plan announced`,
      );
      // A repeat within the same day is never due and expires nothing.
      if (now.endsWith('T15:00:00Z')) assert.deepEqual(plan.actions, [], `${now}: a same-day repeat changes nothing`);
      else assert.equal(plan.actions.filter((a) => a.type === 'create').length, 1, `${now}: a new day is due`);
    }

    // What the rules keep after the last run (2026-03-29, a Sunday), one
    // archive per day from 02-28 to 03-29, buckets in UTC, ISO weeks from Monday:
    //   keepLast 2    → 03-29, 03-28
    //   keepDaily 5   → the newest of each of the 5 newest days: 03-29 … 03-25
    //   keepWeekly 2  → the newest of the 2 newest weeks: week 03-23…03-29 → 03-29,
    //                   week 03-16…03-22 → 03-22 (kept by this rule alone)
    // Earlier runs never deleted 03-22: from 03-23 on it was the newest of the
    // previous week, and before that the newest archive overall. (apply never
    // deletes the previous newest archive in the run that creates the next;
    // keepLast 2 keeps it anyway, so that rule changes nothing here.)
    const kept = ['20260322', '20260325', '20260326', '20260327', '20260328', '20260329'].map((d) => `h1_docs.${d}T030000Z.tar.zst`);
    assert.deepEqual(await listDir(ws.hostDir), kept.flatMap((a) => [a, `${a}.sha256`]).sort());
    for (const a of kept) execFileSync('sha256sum', ['-c', '--quiet', `${a}.sha256`], { cwd: ws.hostDir });
    // The newest archive holds the newest data.
    const restored = await extractZstd(join(ws.hostDir, kept.at(-1) ?? ''));
    try {
      assert.equal(await readFile(join(restored, 'today.txt'), 'utf8'), 'data as of 2026-03-29T03:00:00Z\n');
    } finally {
      await rm(restored, { recursive: true, force: true });
    }
  });
});

test('a saved plan is applied exactly; a saved plan made before a new file appeared or the policy changed is refused as stale, one given another --host or --backup-dir is refused, and neither changes anything', async () => {
  await withWorkspace(async (ws) => {
    const src = await docsSource(ws, false);
    const doc = policyDoc(ws, { docs: { path: src, schedule: 'daily', compression: 'zstd', retention: { keepLast: 1 } } });
    await ws.writePolicy(doc);
    for (const now of ['2026-03-01T03:00:00Z', '2026-03-02T03:00:00Z']) {
      const r = await snapctl(...ws.applyArgs(now));
      assert.equal(r.code, 0, describeRun(r));
    }

    // Applied as saved: the plan file alone says which policy, host and time.
    // (apply never deletes the newest complete archive in the run that
    // creates the next one, so keepLast 1 leaves 03-02 until 03-04.)
    const planFile = join(ws.dir, 'day3.plan');
    const saved = await snapctl('plan', ...ws.common('2026-03-03T03:00:00Z'), '--out', planFile);
    assert.equal(saved.code, 0, describeRun(saved));
    const savedActions = (JSON.parse(await readFile(planFile, 'utf8')) as { plan: PlanJson }).plan.actions.map((a) => `${a.type} ${a.archive}`);
    assert.deepEqual(savedActions, ['create h1_docs.20260303T030000Z.tar.zst', 'delete h1_docs.20260301T030000Z.tar.zst']);
    const applied = await snapctl('apply', planFile, '--log-dir', ws.logDir, '--state-dir', ws.stateDir, '--lock-file', ws.lockFile);
    assert.equal(applied.code, 0, describeRun(applied));
    assert.deepEqual(await listDir(ws.hostDir), [
      'h1_docs.20260302T030000Z.tar.zst',
      'h1_docs.20260302T030000Z.tar.zst.sha256',
      'h1_docs.20260303T030000Z.tar.zst',
      'h1_docs.20260303T030000Z.tar.zst.sha256',
    ]);

    // Stale: a file appeared in the backup directory after the plan was made.
    const stale1 = join(ws.dir, 'day4.plan');
    assert.equal((await snapctl('plan', ...ws.common('2026-03-04T03:00:00Z'), '--out', stale1)).code, 0);
    await writeFile(join(ws.hostDir, 'h1_docs.20260302T120000Z.tar.zst'), 'copied in by hand\n');
    const before1 = await snapshotDir(ws.hostDir);
    const refused1 = await snapctl('apply', stale1, '--log-dir', ws.logDir, '--state-dir', ws.stateDir, '--lock-file', ws.lockFile);
    assert.equal(refused1.code, 1, describeRun(refused1));
    assert.match(refused1.stderr, /Saved plan is stale/);
    // The hint is the command that remakes it: the saved plan's policy, host and backup directory.
    assert.match(refused1.stderr, /make it again and review it: snapctl plan --policy \S+ --host h1 (--backup-dir \S+ )?--now 2026-03-04T03:00:00.000Z --out \S*day4\.plan\n/);
    assert.deepEqual(await snapshotDir(ws.hostDir), before1);
    await rm(join(ws.hostDir, 'h1_docs.20260302T120000Z.tar.zst'));

    // Stale: the policy changed after the plan was made.
    const stale2 = join(ws.dir, 'day4b.plan');
    assert.equal((await snapctl('plan', ...ws.common('2026-03-04T03:00:00Z'), '--out', stale2)).code, 0);
    await ws.writePolicy(policyDoc(ws, { docs: { path: src, schedule: 'daily', compression: 'zstd', retention: { keepLast: 5 } } }));
    const before2 = await snapshotDir(ws.hostDir);
    const refused2 = await snapctl('apply', stale2, '--log-dir', ws.logDir, '--state-dir', ws.stateDir, '--lock-file', ws.lockFile);
    assert.equal(refused2.code, 1, describeRun(refused2));
    assert.match(refused2.stderr, /Saved plan is stale: the policy changed/);
    assert.deepEqual(await snapshotDir(ws.hostDir), before2);

    // Another host or backup directory on the command line than the plan's: refused before anything is read or written.
    const twoHosts = policyDoc(ws, { docs: { path: src, schedule: 'daily', compression: 'zstd', retention: { keepLast: 5 } } }) as { hosts: Record<string, unknown> };
    twoHosts.hosts['h2'] = twoHosts.hosts[ws.host];
    await ws.writePolicy(twoHosts);
    const current = join(ws.dir, 'day4c.plan');
    assert.equal((await snapctl('plan', ...ws.common('2026-03-04T03:00:00Z'), '--out', current)).code, 0);
    const elsewhere = join(ws.dir, 'elsewhere');
    const locked = ['--log-dir', ws.logDir, '--state-dir', ws.stateDir, '--lock-file', ws.lockFile];
    const before3 = await snapshotDir(ws.hostDir);
    const otherDir = await snapctl('apply', current, '--backup-dir', elsewhere, ...locked);
    assert.equal(otherDir.code, 1, describeRun(otherDir));
    assert.match(otherDir.stderr, new RegExp(`day4c\\.plan cannot be applied here: it was made for the backup directory ${ws.hostDir}, not ${join(elsewhere, ws.host)}\n`));
    const otherHost = await snapctl('apply', current, '--host', 'h2', ...locked);
    assert.equal(otherHost.code, 1, describeRun(otherHost));
    assert.match(otherHost.stderr, new RegExp(`day4c\\.plan cannot be applied here: it was made for host ${ws.host}, not h2\\n`));
    assert.deepEqual(await snapshotDir(ws.hostDir), before3);
    assert.deepEqual(await listDir(elsewhere), []);
    assert.deepEqual(await listDir(join(ws.backupRoot, 'h2')), []);
    // The same flags naming the plan's own host and directory are no mismatch.
    const same = await snapctl('apply', current, '--host', ws.host, '--backup-dir', ws.backupRoot, ...locked);
    assert.equal(same.code, 0, describeRun(same));
  });
});

test('a file system mounted inside a path volume is a plan note, and the archive indeed stops at it; the backup directory\'s own mount is not named', async () => {
  await withWorkspace(async (ws) => {
    const src = await docsSource(ws, false);
    const inner = join(src, 'inner');
    const backups = join(src, 'backups');
    await mkdir(inner);
    await mkdir(backups);
    const loops: string[] = [];
    const mounted: string[] = [];
    try {
      for (const [name, at] of [['inner.img', inner], ['backups.img', backups]] as const) {
        const image = join(ws.dir, name);
        execFileSync('truncate', ['-s', '16M', image]);
        execFileSync('mkfs.ext4', ['-q', '-F', image]);
        const loop = execFileSync('losetup', ['--find', '--show', image], { encoding: 'utf8' }).trim();
        loops.push(loop);
        execFileSync('mount', [loop, at]);
        mounted.push(at);
      }
      await writeFile(join(inner, 'on-inner.txt'), 'elsewhere\n');
      const doc = policyDoc(ws, { docs: { path: src } }) as { hosts: Record<string, { backupDir: string }> };
      for (const host of Object.values(doc.hosts)) host.backupDir = backups;
      await ws.writePolicy(doc);
      const plan = await snapctl('plan', ...ws.common('2026-03-01T03:00:00Z'), '--no-color');
      assert.equal(plan.code, 0, describeRun(plan));
      assert.deepEqual(plan.stdout.split('\n').filter((l) => l.includes('mounted inside')), [
        `Note: docs: a file system is mounted inside it, and its archives stop at file system boundaries (tar --one-file-system): ${inner} (ext4) is not archived; one holding data to keep needs a volume of its own`,
      ]);
      const applied = await snapctl(...ws.applyArgs('2026-03-01T03:00:00Z'));
      assert.equal(applied.code, 0, describeRun(applied));
      const members = execFileSync('bash', ['-o', 'pipefail', '-c', `zstd -dc '${join(backups, ws.host, 'h1_docs.20260301T030000Z.tar.zst')}' | tar -t`], { encoding: 'utf8' }).split('\n').filter((l) => l !== '').sort();
      assert.deepEqual(members, ['./', './f', './inner/']);
      // Once the inner file system is a volume of its own, the note goes.
      const both = policyDoc(ws, { docs: { path: src }, inner: { path: inner } }) as { hosts: Record<string, { backupDir: string }> };
      for (const host of Object.values(both.hosts)) host.backupDir = backups;
      await ws.writePolicy(both);
      const again = await snapctl('plan', ...ws.common('2026-03-02T03:00:00Z'), '--no-color');
      assert.equal(again.code, 0, describeRun(again));
      assert.doesNotMatch(again.stdout, /mounted inside/);
    } finally {
      for (const at of mounted.reverse()) execFileSync('umount', [at]);
      for (const loop of loops) execFileSync('losetup', ['-d', loop]);
    }
  });
});

test('a backup directory behind a symbolic link to nothing (the disk it points to not mounted): plan shows an Error, apply refuses and writes nothing', async () => {
  await withWorkspace(async (ws) => {
    await docsSource(ws);
    const nas = join(ws.dir, 'nas');
    await mkdir(nas);
    await symlink(join(nas, 'backup'), ws.backupRoot);
    const expected = `${ws.hostDir} is missing: ${ws.backupRoot} is a symbolic link to ${join(nas, 'backup')}, which does not exist (is its file system mounted?); apply refuses to run until it resolves`;
    const plan = await snapctl('plan', ...ws.common('2026-03-01T03:00:00Z'), '--no-color');
    assert.equal(plan.code, 0, describeRun(plan));
    assert.ok(plan.stdout.split('\n').includes(`Error: ${expected}`), plan.stdout);
    assert.doesNotMatch(plan.stdout, /apply will create it/);
    const applied = await snapctl(...ws.applyArgs('2026-03-01T03:00:00Z'));
    assert.equal(applied.code, 1, describeRun(applied));
    assert.ok(applied.stderr.includes(expected), applied.stderr);
    assert.deepEqual(await listDir(nas), []);
    const status = await snapctl('status', ...ws.common('2026-03-01T04:00:00Z'), '--state-dir', ws.stateDir);
    assert.equal(status.code, 2, describeRun(status));
    assert.ok(status.stdout.startsWith(`SNAPCTL CRITICAL - docs: ${ws.hostDir} is missing: ${ws.backupRoot} is a symbolic link to ${join(nas, 'backup')}, which does not exist (not mounted?) |`), status.stdout);
  });
});

test('a corrupt state file does not stop the backups: apply archives, leaves the file as it found it and says what to do', async () => {
  await withWorkspace(async (ws) => {
    await docsSource(ws);
    await mkdir(ws.stateDir, { recursive: true });
    await writeFile(join(ws.stateDir, 'state.json'), '{"version":1,"volumes":');
    const r = await snapctl(...ws.applyArgs('2026-03-01T03:00:00Z'));
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stderr, /could not record the run state: state file .*state\.json is corrupt: not JSON .*; move it aside; apply writes a fresh one/);
    assert.equal(await readFile(join(ws.stateDir, 'state.json'), 'utf8'), '{"version":1,"volumes":');
    assert.deepEqual(await listDir(ws.hostDir), ['h1_docs.20260301T030000Z.tar.zst', 'h1_docs.20260301T030000Z.tar.zst.sha256']);
  });
});

test('a plan saved with a relative --policy applies from another directory (cron runs in /)', async () => {
  await withWorkspace(async (ws) => {
    await docsSource(ws);
    const planFile = join(ws.dir, 'saved.plan');
    const saved = await startSnapctl(['plan', '--policy', 'policy.yaml', '--host', ws.host, '--out', planFile], ws.dir).done;
    assert.equal(saved.code, 0, describeRun(saved));
    const applied = await startSnapctl(['apply', planFile, '--log-dir', ws.logDir, '--state-dir', ws.stateDir, '--lock-file', ws.lockFile], '/').done;
    assert.equal(applied.code, 0, describeRun(applied));
    assert.equal((await listDir(ws.hostDir)).filter((f) => f.endsWith('.tar.zst')).length, 1);
  });
});

test('a source file system that is not mounted (an empty mount point) fails the volume: no archive written, none deleted; allowEmpty: true archives it', async () => {
  await withWorkspace(async (ws) => {
    const src = join(ws.dir, 'src');
    await mkdir(src);
    const mounted = (): boolean => spawnSync('mountpoint', ['-q', src]).status === 0;
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', src]);
    try {
      await writeFile(join(src, 'data.txt'), 'the only copy\n');
      await ws.writePolicy(policyDoc(ws, { docs: { path: src, schedule: 'daily', retention: { keepLast: 1 } } }));
      for (const now of ['2026-03-01T03:00:00Z', '2026-03-02T03:00:00Z']) {
        const r = await snapctl(...ws.applyArgs(now));
        assert.equal(r.code, 0, describeRun(r));
      }
      const kept = await listDir(ws.hostDir);
      // keepLast 1 counts the archives found before a run: both days' archives and sidecars are here.
      // 03-01 expires whether or not a new archive is written, yet a failing run deletes nothing.
      assert.equal(kept.length, 4, kept.join(' '));

      execFileSync('umount', [src]);
      assert.equal(mounted(), false);
      const plan = await snapctl('plan', ...ws.common('2026-03-03T03:00:00Z'), '--no-color');
      assert.equal(plan.code, 0, describeRun(plan));
      assert.match(plan.stdout, /^Error: docs: path \S+ is an empty directory \(a file system not mounted\?\): apply will fail for this volume and delete none of its archives; allowEmpty: true archives it anyway$/m);
      for (const now of ['2026-03-03T03:00:00Z', '2026-03-04T03:00:00Z']) {
        const r = await snapctl(...ws.applyArgs(now), '--json');
        assert.equal(r.code, 1, describeRun(r));
        const docs = parseJson<ApplyJson>(r, 'apply --json').volumes.find((v) => v.volume === 'docs');
        assert.equal(docs?.status, 'failed');
        assert.deepEqual(docs?.deleted, []);
        assert.match(docs?.errors.join('\n') ?? '', /path \S+ is empty \(a file system not mounted\?\): no archive written \(set allowEmpty: true on the volume to archive an empty source\)/);
        assert.deepEqual(await listDir(ws.hostDir), kept, `${now}: the archives of the mounted file system are untouched`);
      }

      await ws.writePolicy(policyDoc(ws, { docs: { path: src, schedule: 'daily', retention: { keepLast: 1 }, allowEmpty: true } }));
      const r = await snapctl(...ws.applyArgs('2026-03-04T03:00:00Z'));
      assert.equal(r.code, 0, describeRun(r));
      const after = await listDir(ws.hostDir);
      assert.ok(after.some((f) => f.includes('20260304T030000Z')), after.join(' '));
    } finally {
      if (mounted()) execFileSync('umount', [src]);
    }
  });
});

test('a backup file system that is not mounted any more (the host directory gone) makes plan say so and apply refuse, writing nothing; mkdir starts afresh', async () => {
  await withWorkspace(async (ws) => {
    const src = join(ws.dir, 'src');
    await mkdir(src);
    await writeFile(join(src, 'data.txt'), 'data\n');
    await mkdir(ws.backupRoot, { recursive: true });
    const mounted = (): boolean => spawnSync('mountpoint', ['-q', ws.backupRoot]).status === 0;
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', ws.backupRoot]);
    try {
      await ws.writePolicy(policyDoc(ws, { docs: { path: src, schedule: 'daily' } }));
      const first = await snapctl(...ws.applyArgs('2026-03-01T03:00:00Z'));
      assert.equal(first.code, 0, describeRun(first));
      assert.equal((await listDir(ws.hostDir)).length, 2);

      execFileSync('umount', [ws.backupRoot]);
      assert.deepEqual(await listDir(ws.backupRoot), [], 'the bare mount point');
      const plan = await snapctl('plan', ...ws.common('2026-03-02T03:00:00Z'), '--state-dir', ws.stateDir, '--no-color');
      assert.equal(plan.code, 0, describeRun(plan));
      const notice = `${ws.hostDir} is missing, but earlier applies on this machine wrote archives there: is its file system mounted? apply refuses to run until it is back (to start afresh there, create it: mkdir -m 700 ${ws.hostDir})`;
      assert.ok(plan.stdout.split('\n').includes(`Error: ${notice}`), plan.stdout);
      const refused = await snapctl(...ws.applyArgs('2026-03-02T03:00:00Z'));
      assert.equal(refused.code, 1, describeRun(refused));
      assert.ok(refused.stderr.includes(`error: ${notice}`), refused.stderr);
      assert.deepEqual(await listDir(ws.backupRoot), [], 'nothing written under the mount point');
      const status = await snapctl('status', ...ws.common('2026-03-02T03:00:00Z'), '--state-dir', ws.stateDir);
      assert.equal(status.code, 2, describeRun(status));
      assert.match(status.stdout, new RegExp(`^SNAPCTL CRITICAL - docs: ${ws.hostDir.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is missing, though archives were written there \\(not mounted\\?\\)`));

      // Another state directory has no such memory: there it is a first run, as before.
      const fresh = await snapctl('plan', ...ws.common('2026-03-02T03:00:00Z'), '--state-dir', join(ws.dir, 'other-state'), '--no-color');
      assert.match(fresh.stdout, /^Note: \S+ does not exist yet; apply will create it$/m);

      await mkdir(ws.hostDir, { mode: 0o700 });
      const afresh = await snapctl(...ws.applyArgs('2026-03-02T03:00:00Z'));
      assert.equal(afresh.code, 0, describeRun(afresh));
      assert.equal((await listDir(ws.hostDir)).length, 2);
    } finally {
      if (mounted()) execFileSync('umount', [ws.backupRoot]);
    }
  });
});

test('a backup directory inside the volume is left out of its archives: no archive holds an earlier one or itself, and plan says so', async () => {
  await withWorkspace(async (ws) => {
    const src = join(ws.dir, 'src');
    await mkdir(src);
    await writeFile(join(src, 'data.txt'), 'data\n');
    const backupRoot = join(src, 'backup');
    await ws.writePolicy({ version: 1, timezone: 'UTC', hosts: { [ws.host]: { backupDir: backupRoot, volumes: { root: { path: src, schedule: 'daily' } } } } });
    const plan = await snapctl('plan', ...ws.common('2026-03-01T03:00:00Z'), '--no-color');
    assert.equal(plan.code, 0, describeRun(plan));
    assert.match(plan.stdout, new RegExp(`^Note: root: the backup directory ${backupRoot.replace(/[/.]/g, '\\$&')} lies inside this volume: \\./backup is left out of its archives$`, 'm'));
    for (const now of ['2026-03-01T03:00:00Z', '2026-03-02T03:00:00Z']) {
      const r = await snapctl(...ws.applyArgs(now));
      assert.equal(r.code, 0, describeRun(r));
    }
    const archives = (await listDir(join(backupRoot, ws.host))).filter((f) => f.endsWith('.tar.zst'));
    assert.equal(archives.length, 2);
    for (const a of archives) {
      const members = execFileSync('bash', ['-o', 'pipefail', '-c', 'zstd -dc "$1" | tar -t', 'list', join(backupRoot, ws.host, a)], { encoding: 'utf8' });
      assert.deepEqual(members.split('\n').filter((l) => l !== '').sort(), ['./', './data.txt'], a);
    }
  });
});

test('a backup directory that is the volume\'s own directory: its host directory is left out of the archives, and plan says so', async () => {
  await withWorkspace(async (ws) => {
    const src = join(ws.dir, 'src');
    await mkdir(src);
    await writeFile(join(src, 'data.txt'), 'data\n');
    await ws.writePolicy({ version: 1, timezone: 'UTC', hosts: { [ws.host]: { backupDir: src, volumes: { root: { path: src, schedule: 'daily', compression: 'none' } } } } });
    const plan = await snapctl('plan', ...ws.common('2026-03-01T03:00:00Z'), '--no-color');
    assert.equal(plan.code, 0, describeRun(plan));
    assert.match(plan.stdout, new RegExp(`^Note: root: the backup directory ${src.replace(/[/.]/g, '\\$&')} lies inside this volume: \\./${ws.host} is left out of its archives$`, 'm'));
    for (const now of ['2026-03-01T03:00:00Z', '2026-03-02T03:00:00Z']) {
      const r = await snapctl(...ws.applyArgs(now));
      assert.equal(r.code, 0, describeRun(r));
      assert.equal(r.stderr, '', 'no "file changed as we read it" about its own partial');
    }
    const archives = (await listDir(join(src, ws.host))).filter((f) => f.endsWith('.tar'));
    assert.equal(archives.length, 2);
    for (const a of archives) {
      const members = execFileSync('tar', ['-tf', join(src, ws.host, a)], { encoding: 'utf8' });
      assert.deepEqual(members.split('\n').filter((l) => l !== '').sort(), ['./', './data.txt'], a);
    }
  });
});

test('the backup directory is placed through symlinks: one reached by a link from outside the volume is left out, a link inside the volume pointing elsewhere is archived as a link', async () => {
  await withWorkspace(async (ws) => {
    const src = join(ws.dir, 'src');
    await mkdir(join(src, 'srv-backup'), { recursive: true });
    await writeFile(join(src, 'data.txt'), 'data\n');
    // /backup -> /srv/backup, with /srv the volume.
    const viaLink = join(ws.dir, 'backup-link');
    await symlink(join(src, 'srv-backup'), viaLink);
    await ws.writePolicy({ version: 1, timezone: 'UTC', hosts: { [ws.host]: { backupDir: viaLink, volumes: { root: { path: src, schedule: 'daily' } } } } });
    const plan = await snapctl('plan', ...ws.common('2026-03-01T03:00:00Z'), '--no-color');
    assert.match(plan.stdout, /^Note: root: the backup directory \S+ lies inside this volume: \.\/srv-backup is left out of its archives$/m, describeRun(plan));
    for (const now of ['2026-03-01T03:00:00Z', '2026-03-02T03:00:00Z']) {
      const r = await snapctl(...ws.applyArgs(now));
      assert.equal(r.code, 0, describeRun(r));
    }
    const hostDir = join(src, 'srv-backup', ws.host);
    const archives = (await listDir(hostDir)).filter((f) => f.endsWith('.tar.zst'));
    assert.equal(archives.length, 2);
    for (const a of archives) {
      const members = execFileSync('bash', ['-o', 'pipefail', '-c', 'zstd -dc "$1" | tar -t', 'list', join(hostDir, a)], { encoding: 'utf8' });
      assert.deepEqual(members.split('\n').filter((l) => l !== '').sort(), ['./', './data.txt'], a);
    }

    // A backupDir spelt inside the volume that is a link to elsewhere: nothing of the volume is left out.
    const elsewhere = join(ws.dir, 'elsewhere');
    await mkdir(elsewhere);
    const src2 = join(ws.dir, 'src2');
    await mkdir(src2);
    await writeFile(join(src2, 'data.txt'), 'data\n');
    await symlink(elsewhere, join(src2, 'backup'));
    await ws.writePolicy({ version: 1, timezone: 'UTC', hosts: { [ws.host]: { backupDir: join(src2, 'backup'), volumes: { two: { path: src2, schedule: 'daily' } } } } });
    const plan2 = await snapctl('plan', ...ws.common('2026-03-01T03:00:00Z'), '--no-color');
    assert.doesNotMatch(plan2.stdout, /lies inside this volume/, plan2.stdout);
    const r = await snapctl(...ws.applyArgs('2026-03-01T03:00:00Z'));
    assert.equal(r.code, 0, describeRun(r));
    const [archive] = (await listDir(join(elsewhere, ws.host))).filter((f) => f.endsWith('.tar.zst'));
    assert.ok(archive);
    const members = execFileSync('bash', ['-o', 'pipefail', '-c', 'zstd -dc "$1" | tar -t', 'list', join(elsewhere, ws.host, archive)], { encoding: 'utf8' });
    assert.deepEqual(members.split('\n').filter((l) => l !== '').sort(), ['./', './backup', './data.txt']);
  });
});

test('the backup directory is placed by its file system: reached through a bind mount of a directory inside the volume it is left out, and the volume reached through a bind mount of the backup directory leaves out its host directory', async () => {
  await withWorkspace(async (ws) => {
    const image = join(ws.dir, 'fs.img');
    const mnt = join(ws.dir, 'mnt');
    const bind = join(ws.dir, 'bind');
    await mkdir(mnt);
    await mkdir(bind);
    execFileSync('truncate', ['-s', '16M', image]);
    execFileSync('mkfs.ext4', ['-q', '-F', image]);
    const loop = execFileSync('losetup', ['--find', '--show', image], { encoding: 'utf8' }).trim();
    const mounted: string[] = [];
    try {
      execFileSync('mount', [loop, mnt]);
      mounted.push(mnt);
      const src = join(mnt, 'src');
      await mkdir(join(src, 'backup'), { recursive: true });
      await writeFile(join(src, 'data.txt'), 'data\n');

      // /srv/backup bind-mounted on /backup, with /srv the volume.
      execFileSync('mount', ['--bind', join(src, 'backup'), bind]);
      mounted.push(bind);
      await ws.writePolicy({ version: 1, timezone: 'UTC', hosts: { [ws.host]: { backupDir: bind, volumes: { root: { path: src, schedule: 'daily', compression: 'none' } } } } });
      const plan = await snapctl('plan', ...ws.common('2026-03-01T03:00:00Z'), '--no-color');
      assert.equal(plan.code, 0, describeRun(plan));
      assert.match(plan.stdout, new RegExp(`^Note: root: the backup directory ${bind.replace(/[/.]/g, '\\$&')} lies inside this volume: \\./backup is left out of its archives$`, 'm'));
      assert.deepEqual(await applyAndList(ws, join(bind, ws.host), ['2026-03-01T03:00:00Z', '2026-03-02T03:00:00Z', '2026-03-03T03:00:00Z']), [
        ['./', './data.txt'],
        ['./', './data.txt'],
        ['./', './data.txt'],
      ]);
      execFileSync('umount', [bind]);
      mounted.pop();
      await rm(join(src, 'backup', ws.host), { recursive: true });

      // The volume is a bind mount of the backup directory itself: its host directory is left out.
      execFileSync('mount', ['--bind', src, bind]);
      mounted.push(bind);
      await ws.writePolicy({ version: 1, timezone: 'UTC', hosts: { [ws.host]: { backupDir: src, volumes: { root: { path: bind, schedule: 'daily', compression: 'none' } } } } });
      const same = await snapctl('plan', ...ws.common('2026-03-01T03:00:00Z'), '--no-color');
      assert.equal(same.code, 0, describeRun(same));
      assert.match(same.stdout, new RegExp(`^Note: root: the backup directory ${src.replace(/[/.]/g, '\\$&')} lies inside this volume: \\./${ws.host} is left out of its archives$`, 'm'));
      assert.deepEqual(await applyAndList(ws, join(src, ws.host), ['2026-03-01T03:00:00Z', '2026-03-02T03:00:00Z']), [
        ['./', './backup/', './data.txt'],
        ['./', './backup/', './data.txt'],
      ]);
    } finally {
      for (const at of mounted.reverse()) execFileSync('umount', [at]);
      execFileSync('losetup', ['-d', loop]);
    }
  });
});

test('the host directory apply creates is private (0700, archives 0600); a monitoring user it was opened to with a group and 0750 can run status, and apply keeps that mode', async () => {
  await withWorkspace(async (ws) => {
    await docsSource(ws);
    const first = await snapctl(...ws.applyArgs('2026-03-01T03:00:00Z'));
    assert.equal(first.code, 0, describeRun(first));
    const mode = async (path: string): Promise<number> => (await stat(path)).mode & 0o7777;
    assert.equal(await mode(ws.backupRoot), 0o700);
    assert.equal(await mode(ws.hostDir), 0o700);
    assert.equal(await mode(join(ws.hostDir, 'h1_docs.20260301T030000Z.tar.zst')), 0o600);

    // nobody:nogroup (65534), as a Nagios check would run.
    await chmod(ws.dir, 0o755);
    const status = (): ReturnType<typeof spawnSync> =>
      spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, 'bin/snapctl.js', 'status', ...ws.common('2026-03-01T04:00:00Z'), '--state-dir', ws.stateDir], {
        cwd: ROOT,
        encoding: 'utf8',
      });
    const refused = status();
    assert.equal(refused.status, 3, String(refused.stdout));
    assert.match(String(refused.stdout), /^SNAPCTL UNKNOWN - cannot read backup directory .*: permission denied/);
    assert.match(String(refused.stderr), /chgrp nagios \S+ && chmod 0750 /);

    await chmod(ws.backupRoot, 0o711);
    await chown(ws.hostDir, 0, 65534);
    await chmod(ws.hostDir, 0o750);
    const second = await snapctl(...ws.applyArgs('2026-03-02T03:00:00Z'));
    assert.equal(second.code, 0, describeRun(second));
    assert.equal(await mode(ws.hostDir), 0o750, 'apply keeps the mode the operator gave');
    assert.equal((await stat(ws.hostDir)).gid, 65534);
    assert.equal(await mode(join(ws.hostDir, 'h1_docs.20260302T030000Z.tar.zst')), 0o600);
    const ok = status();
    assert.equal(ok.status, 0, `${String(ok.stdout)}${String(ok.stderr)}`);
    assert.match(String(ok.stdout), /^SNAPCTL OK - 1 volume ok/);
  });
});

test('a new archive is named after the time its snapshot is taken: after a slow preSnapshot hook, and when a saved plan is applied later; a simulation (--now) keeps its fixed time', async () => {
  await withWorkspace(async (ws) => {
    const src = await docsSource(ws, false);
    await ws.writePolicy(policyDoc(ws, { docs: { path: src, schedule: 'hourly', hooks: { preSnapshot: [['sleep', '1.2']] } } }));
    const stampOf = (name: string | undefined): number => {
      const m = /\.(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z\.tar\.zst$/.exec(name ?? '');
      assert.ok(m, `an archive name: ${String(name)}`);
      const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
      return Date.UTC(y, mo - 1, d, h, mi, s);
    };
    // Names have whole seconds: a snapshot taken at least 1.2 s after t is named no earlier than t + 1.2 s rounded down.
    const secondOf = (ms: number): number => Math.floor(ms / 1000) * 1000;
    const createdBy = (r: CliResult): string | undefined => parseJson<ApplyJson>(r, 'apply --json').volumes[0]?.archive;

    // A real run: the run starts (and plans) at t0, the snapshot follows the 1.2 s hook.
    const t0 = Date.now();
    const run = await snapctl(...ws.applyArgs(), '--json');
    const t1 = Date.now();
    assert.equal(run.code, 0, describeRun(run));
    const taken = stampOf(createdBy(run));
    assert.ok(taken >= secondOf(t0 + 1200) && taken <= t1, `named ${new Date(taken).toISOString()}, run from ${new Date(t0).toISOString()} to ${new Date(t1).toISOString()}`);
    assert.ok(taken > Date.parse(parseJson<{ now: string }>(run, 'apply --json').now), 'later than the plan the run made at its start');

    // A saved plan applied later: named when applied, not when planned.
    await rm(ws.hostDir, { recursive: true });
    await mkdir(ws.hostDir);
    const planFile = join(ws.dir, 'saved.plan');
    assert.equal((await snapctl('plan', ...ws.common(), '--out', planFile)).code, 0);
    const planned = (JSON.parse(await readFile(planFile, 'utf8')) as { plan: PlanJson }).plan.actions.find((a) => a.type === 'create')?.archive;
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const t2 = Date.now();
    const applied = await snapctl('apply', planFile, '--log-dir', ws.logDir, '--state-dir', ws.stateDir, '--lock-file', ws.lockFile, '--json');
    assert.equal(applied.code, 0, describeRun(applied));
    assert.ok(stampOf(createdBy(applied)) >= secondOf(t2 + 1200), `${String(createdBy(applied))} against the planned ${String(planned)}`);
    assert.ok(stampOf(createdBy(applied)) > stampOf(planned));
    assert.deepEqual(await listDir(ws.hostDir), [createdBy(applied), `${createdBy(applied)}.sha256`]);

    // A simulation keeps the time it was given, hook or not.
    const simulated = await snapctl(...ws.applyArgs('2030-01-01T05:00:00Z'), '--json');
    assert.equal(simulated.code, 0, describeRun(simulated));
    assert.equal(createdBy(simulated), 'h1_docs.20300101T050000Z.tar.zst');
  });
});

test('a file system mounted under the mount root that is not a snapctl snapshot is no leftover: plan lists nothing to clean up and apply leaves it mounted; a --backup-dir inside the mount root is refused', async () => {
  await withWorkspace(async (ws) => {
    const src = await docsSource(ws, false);
    const root = join(ws.dir, 'mounts');
    const foreign = join(root, 'scratch');
    await mkdir(foreign, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', foreign]);
    try {
      await writeFile(join(foreign, 'keep.txt'), 'not snapctl\'s\n');
      const doc = policyDoc(ws, { docs: { path: src } }) as { hosts: Record<string, { mountRoot?: string }> };
      for (const host of Object.values(doc.hosts)) host.mountRoot = root;
      await ws.writePolicy(doc);
      const plan = await snapctl('plan', ...ws.common('2026-03-01T03:00:00Z'), '--json');
      assert.equal(plan.code, 0, describeRun(plan));
      assert.deepEqual((JSON.parse(plan.stdout) as { actions: { type: string }[] }).actions.map((a) => a.type), ['create']);
      const applied = await snapctl(...ws.applyArgs('2026-03-01T03:00:00Z'));
      assert.equal(applied.code, 0, describeRun(applied));
      assert.match(applied.stdout, / 0 cleaned up/);
      assert.equal(execFileSync('findmnt', ['-n', '-o', 'FSTYPE', '--mountpoint', foreign], { encoding: 'utf8' }).trim(), 'tmpfs');
      assert.equal(await readFile(join(foreign, 'keep.txt'), 'utf8'), 'not snapctl\'s\n');

      const inside = await snapctl('plan', ...ws.common('2026-03-02T03:00:00Z'), '--backup-dir', join(root, 'backup'));
      assert.equal(inside.code, 1, describeRun(inside));
      assert.match(inside.stderr, new RegExp(`mountRoot ${root} of host ${ws.host} cannot be used: the backup directory ${join(root, 'backup')} is inside it`));
    } finally {
      execFileSync('umount', [foreign]);
    }
  });
});
