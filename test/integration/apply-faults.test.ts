// `snapctl apply` under faults, through the real CLI with real tar, zstd and
// signals: kill -9 and SIGTERM in the middle of an archive, a backup
// directory that fills up, a second concurrent apply, a failing hook, and one
// failing volume among good ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { withTmpfs } from '../helpers/loopfs.js';
import { argvOf, childrenOf, isRunning, processesMentioning, signal, waitFor, type Proc } from '../helpers/procs.js';
import {
  describeRun,
  listDir,
  parseJson,
  policyDoc,
  snapctl,
  snapshotDir,
  startSnapctl,
  workspace,
  type ApplyJson,
  type PlanJson,
  type RunningCli,
  type Workspace,
} from '../helpers/snapctl-cli.js';

async function withWorkspace(fn: (ws: Workspace) => Promise<void>, backupRoot?: string): Promise<void> {
  const ws = await workspace(backupRoot !== undefined ? { backupRoot } : {});
  try {
    await fn(ws);
  } finally {
    await ws.cleanup();
  }
}

const sizeOf = (path: string): Promise<number | undefined> => stat(path).then((s) => s.size, () => undefined);

/** A source big enough (incompressible) that archiving it takes a while. */
async function bigSource(ws: Workspace): Promise<string> {
  const src = join(ws.dir, 'src');
  await mkdir(src);
  randomFile(join(src, 'random.bin'), '128M');
  await writeFile(join(src, 'small.txt'), 'small\n');
  return src;
}

/** Random (incompressible) bytes; size as head -c takes it. */
function randomFile(path: string, size: string): void {
  execFileSync('sh', ['-c', 'head -c "$1" /dev/urandom > "$2"', 'random', size, path]);
}

interface Midway {
  readonly tar: Proc;
  /** snapctl's other children at that moment (the compressor). */
  readonly others: readonly Proc[];
  readonly partial: string;
}

/**
 * Catches apply in the middle of writing `archive`: stops its tar as soon as
 * it appears, then lets it run in short bursts until the `.partial` has
 * bytes. tar stays stopped (SIGSTOP), so the archive cannot finish however
 * slow or fast the machine is.
 */
async function stopMidArchive(run: RunningCli, hostDir: string, archive: string): Promise<Midway> {
  let exited = false;
  void run.done.then(() => (exited = true));
  const tar = await waitFor('snapctl to start tar', () => {
    if (exited) throw new Error('snapctl exited before it started tar');
    // The archiving tar, not the `tar --help` capability probe before it.
    return childrenOf(run.pid).find((p) => p.comm === 'tar' && argvOf(p.pid).includes('--create'));
  }, 30_000, 2);
  signal(tar.pid, 'SIGSTOP');
  const partial = join(hostDir, `${archive}.partial`);
  for (let i = 0; ; i++) {
    if (((await sizeOf(partial)) ?? 0) > 0) break;
    assert.ok(i < 500, 'the partial archive never got any bytes');
    signal(tar.pid, 'SIGCONT');
    await sleep(20);
    signal(tar.pid, 'SIGSTOP');
    await sleep(30);
  }
  assert.ok(!exited, 'snapctl is still writing the archive');
  const others = childrenOf(run.pid).filter((p) => p.pid !== tar.pid);
  return { tar, others, partial };
}

/** Never leave a stopped tar behind when an assertion fails half-way. */
function killAll(procs: readonly Proc[]): void {
  for (const p of procs) if (isRunning(p)) signal(p.pid, 'SIGKILL');
}

function lockIsFree(lockFile: string): boolean {
  return spawnSync('flock', ['--nonblock', '--conflict-exit-code', '75', lockFile, 'true']).status === 0;
}

const ARCHIVE_DAY1 = 'h1_big.20260301T030000Z.tar.zst';

/** apply of the big source (daily, keepLast 2) started at 2026-03-01T03:00Z: it writes ARCHIVE_DAY1. */
async function startBigApply(ws: Workspace): Promise<{ src: string; run: RunningCli }> {
  const src = await bigSource(ws);
  await ws.writePolicy(policyDoc(ws, { big: { path: src, schedule: 'daily', compression: 'zstd', retention: { keepLast: 2 } } }));
  return { src, run: startSnapctl(ws.applyArgs('2026-03-01T03:00:00Z')) };
}

test('kill -9 in the middle of an archive leaves a .partial that the next plan shows as a cleanup and the next apply removes before writing a good archive', async () => {
  await withWorkspace(async (ws) => {
    const { run } = await startBigApply(ws);
    let mid: Midway | undefined;
    try {
      mid = await stopMidArchive(run, ws.hostDir, ARCHIVE_DAY1);
      signal(run.pid, 'SIGKILL');
      const killed = await run.done;
      assert.equal(killed.signal, 'SIGKILL');
      // The orphaned tar and compressor die on their own once their reader is gone.
      signal(mid.tar.pid, 'SIGCONT');
      await waitFor('the orphaned tar and compressor to exit', () => ([mid!.tar, ...mid!.others].some(isRunning) ? undefined : true));
    } finally {
      killAll(mid ? [mid.tar, ...mid.others] : []);
    }
    assert.deepEqual(await listDir(ws.hostDir), [`${ARCHIVE_DAY1}.partial`]);

    const planRun = await snapctl('plan', ...ws.common('2026-03-01T04:00:00Z'), '--json');
    assert.equal(planRun.code, 0, describeRun(planRun));
    const plan = parseJson<PlanJson>(planRun, 'plan --json');
    assert.deepEqual(
      plan.actions.map((a) => [a.type, a.archive]),
      [
        ['cleanup', `${ARCHIVE_DAY1}.partial`],
        ['create', 'h1_big.20260301T040000Z.tar.zst'],
      ],
    );
    const text = await snapctl('plan', ...ws.common('2026-03-01T04:00:00Z'), '--no-color');
    assert.match(text.stdout, new RegExp(`~ .*${ARCHIVE_DAY1.replace(/\./g, '\\.')}\\.partial`));

    const recover = await snapctl(...ws.applyArgs('2026-03-01T04:00:00Z'));
    assert.equal(recover.code, 0, describeRun(recover));
    assert.match(recover.stdout, /1 created, 0 deleted, 1 cleaned up, 0 failed/);
    const good = 'h1_big.20260301T040000Z.tar.zst';
    assert.deepEqual(await listDir(ws.hostDir), [good, `${good}.sha256`]);
    execFileSync('sha256sum', ['-c', '--quiet', `${good}.sha256`], { cwd: ws.hostDir });
    const listed = execFileSync('bash', ['-o', 'pipefail', '-c', 'zstd -dc "$1" | tar -tv', 'list', join(ws.hostDir, good)], { encoding: 'utf8' });
    assert.match(listed, / 134217728 .* \.\/random\.bin$/m);
  });
});

// SIGHUP: an apply started by hand whose ssh session dropped.
for (const [sig, exit] of [['SIGTERM', 143], ['SIGHUP', 129]] as const) {
  test(`${sig} in the middle of an archive exits ${exit} promptly, kills tar and the compressor, removes the .partial and frees the lock`, async () => {
    await withWorkspace(async (ws) => {
      const { src, run } = await startBigApply(ws);
      let mid: Midway | undefined;
      try {
        mid = await stopMidArchive(run, ws.hostDir, ARCHIVE_DAY1);
        assert.deepEqual(mid.others.map((p) => p.comm), ['zstd'], 'snapctl runs tar | zstd');
        assert.equal(lockIsFree(ws.lockFile), false, 'the running apply holds the lock');
        signal(run.pid, sig);
        // Let tar go on: only snapctl's own cleanup may stop the archive now.
        signal(mid.tar.pid, 'SIGCONT');
        const r = await Promise.race([run.done, sleep(20_000).then(() => undefined)]);
        assert.ok(r !== undefined, `apply exits within 20 s of ${sig}`);
        assert.equal(r.code, exit, describeRun(r));
        assert.equal(r.signal, null);
        assert.match(r.stdout + r.stderr, new RegExp(sig));
        const leftovers = [mid.tar, ...mid.others].filter(isRunning);
        assert.deepEqual(leftovers, [], 'tar and zstd are gone when apply has exited');
        assert.deepEqual(processesMentioning(src), [], 'no process is still reading the source');
      } finally {
        killAll(mid ? [mid.tar, ...mid.others] : []);
        signal(run.pid, 'SIGKILL');
      }
      assert.deepEqual(await listDir(ws.hostDir), [], 'no .partial, no sidecar, no archive');
      assert.ok(lockIsFree(ws.lockFile), 'the lock is free again');
      assert.match(await readFile(join(ws.logDir, 'snapctl.log'), 'utf8'), new RegExp(sig));
    });
  });
}

test('when the backup directory fills up (ENOSPC on a 1 MiB tmpfs) the volume fails, no .partial stays, and the archive the rules keep keeps its bytes; only the one they drop even without a new archive is gone', async () => {
  await withTmpfs('1m', async (tmpfs) => {
    await withWorkspace(async (ws) => {
      const src = join(ws.dir, 'src');
      await mkdir(src);
      await writeFile(join(src, 'note.txt'), 'small\n');
      await ws.writePolicy(policyDoc(ws, { docs: { path: src, schedule: 'daily', compression: 'zstd', retention: { keepLast: 1 } } }));
      for (const now of ['2026-03-01T03:00:00Z', '2026-03-02T03:00:00Z']) {
        const r = await snapctl(...ws.applyArgs(now));
        assert.equal(r.code, 0, describeRun(r));
      }
      const old = await snapshotDir(ws.hostDir);
      assert.equal(Object.keys(old).length, 4);
      // 4 MiB that zstd cannot shrink: cannot fit in what is left of 1 MiB.
      randomFile(join(src, 'random.bin'), '4M');

      // Pinned first: keepLast 1 drops 03-01 whether or not 03-03 is written: the room apply may make.
      const plan = parseJson<PlanJson>(await snapctl('plan', ...ws.common('2026-03-03T03:00:00Z'), '--json'), 'plan --json');
      assert.deepEqual(
        plan.actions.map((a) => [a.type, a.archive, a.expiresAnyway ?? false]),
        [
          ['create', 'h1_docs.20260303T030000Z.tar.zst', false],
          ['delete', 'h1_docs.20260301T030000Z.tar.zst', true],
        ],
      );
      const r = await snapctl(...ws.applyArgs('2026-03-03T03:00:00Z'));
      assert.equal(r.code, 3, describeRun(r));
      assert.match(r.stdout + r.stderr, /ENOSPC/);
      assert.match(r.stdout, /docs +FAILED, deleted only the 1 the rules drop anyway, to make room/);
      const kept = Object.fromEntries(Object.entries(old).filter(([name]) => name.startsWith('h1_docs.20260302T030000Z')));
      assert.equal(Object.keys(kept).length, 2);
      assert.deepEqual(await snapshotDir(ws.hostDir), kept, 'the kept archive and sidecar unchanged, no .partial');
    }, tmpfs);
  });
});

test('a full backup disk is not a dead end: on ENOSPC apply deletes what the rules drop even without the new archive and writes it on a second try', async () => {
  // Room for two archives of 1.3 MB, not three. Deleting only after a written archive (as before) failed with ENOSPC every day from the third on.
  await withTmpfs('3m', async (tmpfs) => {
    await withWorkspace(async (ws) => {
      const src = join(ws.dir, 'src');
      await mkdir(src);
      randomFile(join(src, 'random.bin'), '1300K');
      await ws.writePolicy(policyDoc(ws, { docs: { path: src, schedule: 'daily', compression: 'zstd', retention: { keepLast: 1 } } }));
      for (const day of ['01', '02', '03', '04']) {
        const r = await snapctl(...ws.applyArgs(`2026-03-${day}T03:00:00Z`), '--json');
        assert.equal(r.code, 0, describeRun(r));
        const docs = parseJson<ApplyJson>(r, 'apply --json').volumes[0];
        assert.equal(docs?.status, 'created', `03-${day}`);
        if (day >= '03') {
          assert.deepEqual(docs?.deleted, [`h1_docs.202603${day === '03' ? '01' : '02'}T030000Z.tar.zst`]);
          assert.match(r.stderr, /no space left on device \(ENOSPC\) writing .*: deleting the 1 archive the rules drop even without a new one, then trying once more/);
        }
      }
      // keepLast 1, and the newest complete archive outlives the run that writes the next one.
      assert.deepEqual(await listDir(ws.hostDir), ['03', '04'].flatMap((d) => [`h1_docs.202603${d}T030000Z.tar.zst`, `h1_docs.202603${d}T030000Z.tar.zst.sha256`]));
      execFileSync('sha256sum', ['-c', '--quiet', 'h1_docs.20260304T030000Z.tar.zst.sha256'], { cwd: ws.hostDir });
    }, tmpfs);
  });
});

test('a second apply while one holds the lock exits at once with code 4 naming the lock; with --lock-wait it waits and then succeeds', async () => {
  await withWorkspace(async (ws) => {
    const src = join(ws.dir, 'src');
    await mkdir(src);
    await writeFile(join(src, 'f'), 'data\n');
    await ws.writePolicy(
      policyDoc(ws, { docs: { path: src, schedule: 'daily', compression: 'zstd', retention: { keepLast: 5 }, hooks: { preSnapshot: [['sleep', '4']] } } }),
    );
    const first = startSnapctl(ws.applyArgs('2026-03-01T03:00:00Z'));
    let firstDone = false;
    void first.done.then(() => (firstDone = true));
    try {
      // The holder writes its pid into the lock file once it has the lock.
      await waitFor('the first apply to hold the lock', async () => ((await readFile(ws.lockFile, 'utf8').catch(() => '')) === `${first.pid}\n` ? true : undefined));

      const refused = await snapctl(...ws.applyArgs('2026-03-01T03:00:00Z'));
      assert.equal(refused.code, 4, describeRun(refused));
      assert.ok(ws.lockFile.length > 0 && refused.stderr.includes(ws.lockFile), `names the lock file: ${refused.stderr}`);
      assert.match(refused.stderr, new RegExp(`pid ${first.pid}`));
      assert.equal(firstDone, false, 'refused while the first was still running, without waiting for it');

      const waiter = startSnapctl([...ws.applyArgs('2026-03-02T03:00:00Z'), '--lock-wait', '1m']);
      let waiterDoneFirst = false;
      void waiter.done.then(() => {
        if (!firstDone) waiterDoneFirst = true;
      });
      const a = await first.done;
      assert.equal(a.code, 0, describeRun(a));
      const b = await waiter.done;
      assert.equal(b.code, 0, describeRun(b));
      assert.equal(waiterDoneFirst, false, 'the waiting apply finished only after the holder');
      assert.deepEqual(await listDir(ws.hostDir), [
        'h1_docs.20260301T030000Z.tar.zst',
        'h1_docs.20260301T030000Z.tar.zst.sha256',
        'h1_docs.20260302T030000Z.tar.zst',
        'h1_docs.20260302T030000Z.tar.zst.sha256',
      ]);
    } finally {
      signal(first.pid, 'SIGKILL');
    }
  });
});

test('apply --json prints one document with the exit code and the error when it ends in one (bad input, lock held, refused run), and stderr keeps the error line', async () => {
  await withWorkspace(async (ws) => {
    const src = join(ws.dir, 'src');
    await mkdir(src);
    await writeFile(join(src, 'f'), 'data\n');
    await ws.writePolicy(policyDoc(ws, { docs: { path: src, schedule: 'daily', compression: 'zstd' } }));
    const applyJson = async (now: string, ...extra: string[]): Promise<{ code: number | null; doc: Record<string, unknown>; stderr: string }> => {
      const r = await snapctl(...ws.applyArgs(now), '--json', ...extra);
      return { code: r.code, doc: parseJson<Record<string, unknown>>(r, 'apply --json'), stderr: r.stderr };
    };

    const badFlag = await applyJson('2026-03-01T03:00:00Z', '--lock-wait', 'soon');
    assert.equal(badFlag.code, 1);
    assert.deepEqual(badFlag.doc, { exitCode: 1, error: '--lock-wait: "soon" is not a duration', detail: 'expected e.g. 30m, 1h, 2h30m' });
    assert.match(badFlag.stderr, /^error: --lock-wait: "soon" is not a duration$/m);
    const unknown = await applyJson('2026-03-01T03:00:00Z', '--frobnicate');
    assert.equal(unknown.code, 1);
    assert.deepEqual([unknown.doc.exitCode, unknown.doc.detail], [1, 'run `snapctl apply --help` for its options']);
    assert.match(String(unknown.doc.error), /--frobnicate/);

    await mkdir(dirname(ws.lockFile), { recursive: true });
    // One process that holds the lock (flock on its own fd, then exec sleep): killing it frees the lock.
    const holder = spawn('sh', ['-c', 'exec 9>>"$1" && flock 9 && exec sleep 60', 'hold', ws.lockFile], { stdio: 'ignore' });
    try {
      await waitFor('the lock to be held', () => (lockIsFree(ws.lockFile) ? undefined : true));
      const locked = await applyJson('2026-03-01T03:00:00Z');
      assert.equal(locked.code, 4);
      assert.equal(locked.doc.exitCode, 4);
      assert.match(String(locked.doc.error), new RegExp(`^another snapctl apply is running \\(lock ${ws.lockFile.replace(/[/.]/g, '\\$&')} held`));
      assert.match(locked.stderr, /^error: another snapctl apply is running/m);
    } finally {
      holder.kill('SIGKILL');
      await once(holder, 'exit');
    }

    assert.equal((await applyJson('2026-03-01T03:00:00Z')).doc.exitCode, 0);
    await rename(ws.hostDir, `${ws.hostDir}.off`);
    const refused = await applyJson('2026-03-02T03:00:00Z');
    assert.equal(refused.code, 1);
    assert.equal(refused.doc.exitCode, 1);
    assert.match(String(refused.doc.error), /h1 is missing, but earlier applies on this machine wrote archives there/);
    assert.match(refused.stderr, /^error: .*h1 is missing/m);
  });
});

test('on the real clock, an apply that waited for the lock plans at the time it got it: the archive the holder just made is not "after now"', async () => {
  await withWorkspace(async (ws) => {
    const src = join(ws.dir, 'src');
    await mkdir(src);
    await writeFile(join(src, 'f'), 'data\n');
    await ws.writePolicy(policyDoc(ws, { docs: { path: src, schedule: 'daily', compression: 'zstd', hooks: { preSnapshot: [['sleep', '3']] } } }));
    const realClock = ['apply', '--policy', ws.policyFile, '--host', ws.host, '--log-dir', ws.logDir, '--state-dir', ws.stateDir, '--lock-file', ws.lockFile, '--json'];
    const first = startSnapctl(realClock);
    try {
      await waitFor('the first apply to hold the lock', async () => ((await readFile(ws.lockFile, 'utf8').catch(() => '')) === `${first.pid}\n` ? true : undefined));
      const waiter = await snapctl(...realClock, '--lock-wait', '1m');
      const a = await first.done;
      assert.equal(a.code, 0, describeRun(a));
      assert.equal(waiter.code, 0, describeRun(waiter));
      const made = (JSON.parse(a.stdout) as { volumes: { archive?: string }[] }).volumes[0]?.archive ?? '';
      const stamp = /\.(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z\./.exec(made);
      assert.ok(stamp, `the first apply made an archive: ${a.stdout}`);
      const madeAt = Date.UTC(Number(stamp[1]), Number(stamp[2]) - 1, Number(stamp[3]), Number(stamp[4]), Number(stamp[5]), Number(stamp[6]));
      const plannedAt = Date.parse((JSON.parse(waiter.stdout) as { now: string }).now);
      assert.ok(plannedAt >= madeAt, `the waiter planned at ${new Date(plannedAt).toISOString()}, before the archive of ${made}`);
    } finally {
      signal(first.pid, 'SIGKILL');
    }
  });
});

test('a failing preSnapshot hook creates no archive, deletes nothing of that volume, still runs postSnapshot, and apply exits 1', async () => {
  await withWorkspace(async (ws) => {
    const src = join(ws.dir, 'src');
    await mkdir(src);
    await writeFile(join(src, 'f'), 'data\n');
    // keepLast 1: 03-01 expires even without 03-03, yet a failure that is not a full disk deletes nothing.
    const volume = { path: src, schedule: 'daily', compression: 'zstd', retention: { keepLast: 1 } };
    await ws.writePolicy(policyDoc(ws, { docs: volume }));
    for (const now of ['2026-03-01T03:00:00Z', '2026-03-02T03:00:00Z']) assert.equal((await snapctl(...ws.applyArgs(now))).code, 0);
    const old = await snapshotDir(ws.hostDir);

    const marker = join(ws.dir, 'post-ran');
    await ws.writePolicy(policyDoc(ws, { docs: { ...volume, hooks: { preSnapshot: [['false']], postSnapshot: [['touch', marker]] } } }));
    const r = await snapctl(...ws.applyArgs('2026-03-03T03:00:00Z'));
    assert.equal(r.code, 1, describeRun(r));
    assert.match(r.stdout + r.stderr, /preSnapshot/);
    assert.deepEqual(await snapshotDir(ws.hostDir), old, 'no new archive, 03-01 not deleted');
    assert.ok((await sizeOf(marker)) !== undefined, 'postSnapshot ran');
  });
});

test('with two volumes, one whose source is missing fails while the other is archived and pruned: exit 3, the failed volume keeps all its archives', async () => {
  await withWorkspace(async (ws) => {
    const good = join(ws.dir, 'good');
    const gone = join(ws.dir, 'gone');
    for (const dir of [good, gone]) {
      await mkdir(dir);
      await writeFile(join(dir, 'f'), `${dir}\n`);
    }
    const retention = { keepLast: 1 };
    await ws.writePolicy(
      policyDoc(ws, {
        good: { path: good, schedule: 'daily', compression: 'zstd', retention },
        gone: { path: gone, schedule: 'daily', compression: 'zstd', retention },
      }),
    );
    for (const now of ['2026-03-01T03:00:00Z', '2026-03-02T03:00:00Z']) assert.equal((await snapctl(...ws.applyArgs(now))).code, 0);
    const gonesArchives = await snapshotDir(ws.hostDir);
    for (const name of Object.keys(gonesArchives)) if (!name.startsWith('h1_gone.')) delete gonesArchives[name];
    assert.equal(Object.keys(gonesArchives).length, 4);
    await rm(gone, { recursive: true });

    const r = await snapctl(...ws.applyArgs('2026-03-03T03:00:00Z'), '--json');
    assert.equal(r.code, 3, describeRun(r));
    const result = parseJson<{ volumes: { volume: string; status: string; archive?: string; deleted: string[] }[] }>(r, 'apply --json');
    assert.deepEqual(
      result.volumes.map((v) => [v.volume, v.status, v.archive, v.deleted]),
      [
        ['good', 'created', 'h1_good.20260303T030000Z.tar.zst', ['h1_good.20260301T030000Z.tar.zst']],
        ['gone', 'failed', undefined, []],
      ],
    );
    const after = await snapshotDir(ws.hostDir);
    assert.deepEqual(
      Object.keys(after).filter((n) => n.startsWith('h1_good.')),
      ['h1_good.20260302T030000Z.tar.zst', 'h1_good.20260302T030000Z.tar.zst.sha256', 'h1_good.20260303T030000Z.tar.zst', 'h1_good.20260303T030000Z.tar.zst.sha256'],
    );
    execFileSync('sha256sum', ['-c', '--quiet', 'h1_good.20260303T030000Z.tar.zst.sha256'], { cwd: ws.hostDir });
    assert.deepEqual(Object.fromEntries(Object.entries(after).filter(([n]) => n.startsWith('h1_gone.'))), gonesArchives);
  });
});

test('a backup directory that cannot be created fails each volume with one clear error before any snapshot, not the run with an internal error', async () => {
  await withTmpfs('1m', async (fs) => {
    // A read-only file system: mkdir fails with EROFS, as it would with EACCES for another user.
    execFileSync('mount', ['-o', 'remount,ro', fs]);
    await withWorkspace(async (ws) => {
      const src = join(ws.dir, 'src');
      await mkdir(src);
      await writeFile(join(src, 'f'), 'f\n');
      await ws.writePolicy(policyDoc(ws, { docs: { path: src, schedule: 'daily' } }));
      const r = await snapctl(...ws.applyArgs('2026-03-01T03:00:00Z'), '--json');
      assert.equal(r.code, 1, describeRun(r));
      const result = parseJson<{ volumes: { volume: string; status: string; errors: string[] }[] }>(r, 'apply --json');
      assert.deepEqual(result.volumes.map((v) => [v.volume, v.status]), [['docs', 'failed']]);
      assert.match(result.volumes[0]!.errors[0]!, new RegExp(`^cannot create the backup directory ${ws.hostDir.replace(/[/.]/g, '\\$&')}: EROFS: read-only file system, mkdir '${join(fs, 'backup').replace(/[/.]/g, '\\$&')}'$`));
      assert.doesNotMatch(r.stderr, /internal error/);
    }, join(fs, 'backup'));
  });
});

test('a lock file that cannot be created is a preflight error naming it and the way out (exit 1), not an internal error', async () => {
  await withWorkspace(async (ws) => {
    await writeFile(join(ws.dir, 'file'), '');
    await ws.writePolicy(policyDoc(ws, { docs: { path: ws.dir, schedule: 'daily' } }));
    const lock = join(ws.dir, 'file', 'apply.lock');
    const r = await snapctl(...ws.applyArgs('2026-03-01T03:00:00Z'), '--lock-file', lock);
    assert.equal(r.code, 1, describeRun(r));
    assert.match(r.stderr, new RegExp(`^error: cannot create the host lock ${lock.replace(/[/.]/g, '\\$&')}: E[A-Z]+\\n {2}apply runs as root; to try it as another user, give --lock-file`, 'm'));
    assert.deepEqual(await listDir(ws.backupRoot), [], 'nothing was done');
  });
});

test('a lock file on a read-only file system gets the way out for that, not the advice for another user', async () => {
  await withTmpfs('1m', async (fs) => {
    execFileSync('mount', ['-o', 'remount,ro', fs]);
    await withWorkspace(async (ws) => {
      await ws.writePolicy(policyDoc(ws, { docs: { path: ws.dir, schedule: 'daily' } }));
      const lock = join(fs, 'snapctl', 'apply.lock');
      const r = await snapctl(...ws.applyArgs('2026-03-01T03:00:00Z'), '--lock-file', lock);
      assert.equal(r.code, 1, describeRun(r));
      assert.match(r.stderr, new RegExp(`^error: cannot create the host lock ${lock.replace(/[/.]/g, '\\$&')}: read-only file system \\(EROFS\\)\\n {2}give --lock-file a path on a writable file system`, 'm'));
      assert.doesNotMatch(r.stderr, /another user/);
      assert.deepEqual(await listDir(ws.backupRoot), [], 'nothing was done');
    });
  });
});
