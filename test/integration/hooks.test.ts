import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { displayArgv, formatDuration, LOGGED_LINES, runHooks, withSnapshotHooks } from '../../src/apply/hooks.js';
import type { HookOptions } from '../../src/apply/hooks.js';
import type { Hooks } from '../../src/core/model.js';
import { SnapctlError } from '../../src/core/errors.js';

function collectingLog(): { lines: string[]; info(m: string): void; warn(m: string): void } {
  const lines: string[] = [];
  return { lines, info: (m) => lines.push(`INFO ${m}`), warn: (m) => lines.push(`WARN ${m}`) };
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'snapctl-hooks-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function options(extra: Partial<HookOptions> = {}): HookOptions & { log: ReturnType<typeof collectingLog> } {
  const log = collectingLog();
  return { phase: 'preSnapshot', timeoutMs: 10_000, env: { SNAPCTL_VOLUME: 'data', SNAPCTL_HOST: 'db01' }, log, signal: new AbortController().signal, ...extra } as HookOptions & {
    log: ReturnType<typeof collectingLog>;
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('runs the hooks in order with SNAPCTL_VOLUME, SNAPCTL_HOST and SNAPCTL_PHASE in the environment', () =>
  withDir(async (dir) => {
    const out = join(dir, 'out');
    await runHooks(
      [
        ['sh', '-c', 'echo "1 $SNAPCTL_PHASE $SNAPCTL_VOLUME $SNAPCTL_HOST" >> "$0"', out],
        ['sh', '-c', 'echo 2 >> "$0"', out],
      ],
      options(),
    );
    assert.equal(await readFile(out, 'utf8'), '1 preSnapshot data db01\n2\n');
  }));

test('never uses a shell: `;` and `$(...)` in an argument are passed literally', () =>
  withDir(async (dir) => {
    const opts = options({ cwd: dir });
    await runHooks([['printf', '%s\\n', 'x; touch injected', '$(touch substituted)', '`touch backtick`']], opts);
    assert.deepEqual(await readdir(dir), []);
    assert.deepEqual(
      opts.log.lines.filter((l) => l.startsWith('INFO preSnapshot hook 1: ') && !/running|ok \(/.test(l)),
      ['INFO preSnapshot hook 1: x; touch injected', 'INFO preSnapshot hook 1: $(touch substituted)', 'INFO preSnapshot hook 1: `touch backtick`'],
    );
  }));

test('stops at the first failing hook and reports its exit code and the last stderr line', () =>
  withDir(async (dir) => {
    const marker = join(dir, 'second-ran');
    const opts = options();
    await assert.rejects(
      runHooks(
        [
          ['sh', '-c', 'echo starting; echo "first line" >&2; echo "not master" >&2; exit 3'],
          ['touch', marker],
        ],
        opts,
      ),
      (err: unknown) => {
        assert.ok(err instanceof SnapctlError);
        assert.equal(err.kind, 'operation');
        assert.equal(err.summary, "preSnapshot hook 1 (`sh -c 'echo starting; echo \"first line\" >&2; echo \"not mast…`) failed: exit 3: not master");
        assert.equal(err.detail, 'first line\nnot master');
        return true;
      },
    );
    await assert.rejects(readFile(marker), { code: 'ENOENT' });
    assert.ok(opts.log.lines.includes('INFO preSnapshot hook 1: starting'));
    assert.ok(opts.log.lines.includes('INFO preSnapshot hook 1 (stderr): not master'));
  }));

test('a timeout kills a `sleep 60` hook promptly and says so', { timeout: 30_000 }, async () => {
  await assert.rejects(runHooks([['sleep', '60']], options({ timeoutMs: 300 })), {
    summary: 'preSnapshot hook 1 (`sleep 60`) timed out after 300ms',
  });
});

test('a timeout kills the whole process group, including what the hook started', { timeout: 30_000 }, async () => {
  const opts = options({ timeoutMs: 500, phase: 'postSnapshot' });
  await assert.rejects(runHooks([['sh', '-c', 'sleep 61 & echo "child $!"; wait']], opts), {
    summary: "postSnapshot hook 1 (`sh -c 'sleep 61 & echo \"child $!\"; wait'`) timed out after 500ms",
  });
  const line = opts.log.lines.find((l) => l.startsWith('INFO postSnapshot hook 1: child '));
  assert.ok(line, `the hook printed its background child's pid: ${opts.log.lines.join(' | ')}`);
  const pid = Number(line.split(' ').pop());
  for (let i = 0; i < 40 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(isAlive(pid), false, `background sleep ${pid} must be killed with its hook`);
});

test('a hook that exits leaving a background process holding its output succeeds by its exit status; the process is left running', { timeout: 30_000 }, async () => {
  const opts = options({ timeoutMs: 20_000 });
  await runHooks([['sh', '-c', 'sleep 15 & echo "child $!"; exit 0'], ['sh', '-c', 'echo second']], opts);
  const line = opts.log.lines.find((l) => l.startsWith('INFO preSnapshot hook 1: child '));
  assert.ok(line, opts.log.lines.join(' | '));
  const pid = Number(line.split(' ').pop());
  try {
    assert.ok(opts.log.lines.includes("WARN preSnapshot hook 1 (`sh -c 'sleep 15 & echo \"child $!\"; exit 0'`) exited, but a process it started still holds its output open: that output is not logged"), opts.log.lines.join(' | '));
    assert.ok(opts.log.lines.includes('INFO preSnapshot hook 2: second'), 'the next hook ran');
    assert.equal(isAlive(pid), true, 'a service the hook started in the background is not killed');
  } finally {
    process.kill(pid, 'SIGKILL');
  }
  // Failure is still failure when the output stays open.
  const failing = options({ timeoutMs: 20_000 });
  await assert.rejects(runHooks([['sh', '-c', 'sleep 15 & echo "child $!"; exit 3']], failing), /preSnapshot hook 1 .* failed: exit 3/);
  const other = failing.log.lines.find((l) => l.startsWith('INFO preSnapshot hook 1: child '));
  if (other !== undefined) process.kill(Number(other.split(' ').pop()), 'SIGKILL');
});

/** The pid a hook printed as `<what> <pid>`, or undefined. */
function printedPid(log: readonly string[], prefix: string, what: string): number | undefined {
  const line = log.find((l) => l.startsWith(`INFO ${prefix}: ${what} `));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

/** Whether `pid` still runs: not once it is a zombie, which PID 1 may take seconds to reap. */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]$/.test(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? '');
  } catch {
    return false;
  }
}

function killIfAlive(pid: number | undefined): void {
  if (pid !== undefined && isAlive(pid)) process.kill(pid, 'SIGKILL');
}

test('a hook that times out while a process it moved out of its process group (setsid) holds its output returns soon after its kill, not when that process ends', { timeout: 30_000 }, async (t) => {
  const opts = options({ timeoutMs: 1000 });
  const controller = new AbortController();
  const interrupted = options({ signal: controller.signal, phase: 'postSnapshot' });
  t.after(() => {
    killIfAlive(printedPid(opts.log.lines, 'preSnapshot hook 1', 'child'));
    killIfAlive(printedPid(interrupted.log.lines, 'postSnapshot hook 1', 'child'));
  });
  // `sleep 60` is a session of its own: killing the hook's group misses it, and it keeps the pipes open.
  const argv = ['sh', '-c', 'setsid sleep 60 & echo "child $!"; sleep 100'];
  let started = Date.now();
  await assert.rejects(runHooks([argv], opts), { summary: "preSnapshot hook 1 (`sh -c 'setsid sleep 60 & echo \"child $!\"; sleep 100'`) timed out after 1s" });
  assert.ok(Date.now() - started < 20_000, `returned after ${Date.now() - started} ms, long before the 60 s sleep ends`);
  assert.ok(opts.log.lines.includes("WARN preSnapshot hook 1 (`sh -c 'setsid sleep 60 & echo \"child $!\"; sleep 100'`) timed out, but a process it started outside its process group still holds its output open: that process is not killed and its output is not logged"), opts.log.lines.join(' | '));
  const pid = printedPid(opts.log.lines, 'preSnapshot hook 1', 'child');
  assert.ok(pid !== undefined && isAlive(pid), `the setsid process is left running: ${opts.log.lines.join(' | ')}`);

  // An interrupt stops waiting for that output in the same way.
  started = Date.now();
  setTimeout(() => controller.abort(), 1000);
  await assert.rejects(runHooks([argv], interrupted), { summary: "postSnapshot hook 1 (`sh -c 'setsid sleep 60 & echo \"child $!\"; sleep 100'`) interrupted" });
  assert.ok(Date.now() - started < 20_000, `returned after ${Date.now() - started} ms`);
});

test('while a setsid process holds a timed-out hook\'s output, a process in the hook\'s group that ignores SIGTERM is still killed with SIGKILL after the grace period', { timeout: 30_000 }, async (t) => {
  const opts = options({ timeoutMs: 1000, killGraceMs: 1500 });
  t.after(() => ['child', 'stubborn'].forEach((what) => killIfAlive(printedPid(opts.log.lines, 'preSnapshot hook 1', what))));
  const script = 'setsid sleep 60 & echo "child $!"; (trap "" TERM; exec sleep 62) & echo "stubborn $!"; wait';
  const started = Date.now();
  await assert.rejects(runHooks([['sh', '-c', script]], opts), /timed out after 1s/);
  assert.ok(Date.now() - started < 20_000, `returned after ${Date.now() - started} ms`);
  const stubborn = printedPid(opts.log.lines, 'preSnapshot hook 1', 'stubborn');
  assert.ok(stubborn !== undefined, opts.log.lines.join(' | '));
  for (let i = 0; i < 40 && running(stubborn); i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(running(stubborn), false, `sleep ${stubborn}, in the hook's group and deaf to SIGTERM, must be killed after the grace period`);
  const child = printedPid(opts.log.lines, 'preSnapshot hook 1', 'child');
  assert.ok(child !== undefined && isAlive(child), 'the setsid process is left running');
});

test('a hook that ignores SIGTERM is killed with SIGKILL after the grace period', { timeout: 30_000 }, async () => {
  await assert.rejects(runHooks([['sh', '-c', "trap '' TERM; sleep 60"]], options({ timeoutMs: 200, killGraceMs: 300 })), /timed out after 200ms/);
});

test('aborting the signal kills the running hook and starts no further hook', { timeout: 30_000 }, () =>
  withDir(async (dir) => {
    const marker = join(dir, 'second-ran');
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    await assert.rejects(runHooks([['sleep', '60'], ['touch', marker]], options({ signal: controller.signal })), {
      summary: 'preSnapshot hook 1 (`sleep 60`) interrupted',
    });
    await assert.rejects(readFile(marker), { code: 'ENOENT' });
  }));

test('a missing command is reported as not found', async () => {
  await assert.rejects(runHooks([['snapctl-no-such-command', '--x']], options()), {
    summary: 'preSnapshot hook 1 (`snapctl-no-such-command --x`) failed: command not found: snapctl-no-such-command',
  });
});

function hooks(dir: string, pre: string[][] = [['sh', '-c', `echo pre >> ${dir}/order`]]): Hooks {
  return { preSnapshot: pre, postSnapshot: [['sh', '-c', `echo post >> ${dir}/order`]], timeoutMs: 10_000 };
}

test('withSnapshotHooks runs pre, take, post in that order and returns what take returned', () =>
  withDir(async (dir) => {
    const { log, env, signal } = options();
    const value = await withSnapshotHooks(
      hooks(dir),
      async () => {
        await readFile(join(dir, 'order'));
        return 'snapshot';
      },
      { log, env, signal },
    );
    assert.equal(value, 'snapshot');
    assert.equal(await readFile(join(dir, 'order'), 'utf8'), 'pre\npost\n');
  }));

test('postSnapshot runs even when take throws, and the take error is what is thrown', () =>
  withDir(async (dir) => {
    const { log, env, signal } = options();
    const boom = new SnapctlError('operation', 'lvcreate failed');
    await assert.rejects(
      withSnapshotHooks(hooks(dir), () => Promise.reject(boom), { log, env, signal }),
      (err) => err === boom,
    );
    assert.equal(await readFile(join(dir, 'order'), 'utf8'), 'pre\npost\n');
  }));

test('a failing preSnapshot hook skips take (no snapshot) but still runs postSnapshot', () =>
  withDir(async (dir) => {
    const { log, env, signal } = options();
    let taken = false;
    await assert.rejects(
      withSnapshotHooks(
        hooks(dir, [
          ['sh', '-c', `echo pre >> ${dir}/order`],
          ['false'],
        ]),
        () => {
          taken = true;
          return Promise.resolve('snapshot');
        },
        { log, env, signal },
      ),
      { summary: 'preSnapshot hook 2 (`false`) failed: exit 1' },
    );
    assert.equal(taken, false);
    assert.equal(await readFile(join(dir, 'order'), 'utf8'), 'pre\npost\n');
  }));

test('a failing postSnapshot after a good take releases what take returned and throws the post error', async () => {
  const { log, env, signal } = options();
  const released: string[] = [];
  await assert.rejects(
    withSnapshotHooks(
      { preSnapshot: [], postSnapshot: [['sh', '-c', 'echo "unlock failed" >&2; exit 2']], timeoutMs: 10_000 },
      () => Promise.resolve('snap-1'),
      { log, env, signal, release: (v) => Promise.resolve(void released.push(v)) },
    ),
    { summary: "postSnapshot hook 1 (`sh -c 'echo \"unlock failed\" >&2; exit 2'`) failed: exit 2: unlock failed" },
  );
  assert.deepEqual(released, ['snap-1']);
});

test('an interrupt during take does not cancel postSnapshot', () =>
  withDir(async (dir) => {
    const { log, env } = options();
    const controller = new AbortController();
    await assert.rejects(
      withSnapshotHooks(
        hooks(dir),
        () => {
          controller.abort();
          return Promise.reject(new SnapctlError('operation', 'interrupted by SIGTERM'));
        },
        { log, env, signal: controller.signal },
      ),
      { summary: 'interrupted by SIGTERM' },
    );
    assert.equal(await readFile(join(dir, 'order'), 'utf8'), 'pre\npost\n');
  }));

test('nothing runs when the run was interrupted before the hooks started', () =>
  withDir(async (dir) => {
    const { log, env } = options();
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(withSnapshotHooks(hooks(dir), () => Promise.resolve('x'), { log, env, signal: controller.signal }));
    await assert.rejects(readFile(join(dir, 'order')), { code: 'ENOENT' });
  }));

test('formats durations and argv for messages', () => {
  assert.deepEqual([300_000, 90_000, 1500, 250, 3_600_000, 60_000].map(formatDuration), ['5m', '1m30s', '1.5s', '250ms', '1h', '1m']);
  assert.equal(displayArgv(['mongo', '--eval', 'db.fsyncLock()']), "mongo --eval 'db.fsyncLock()'");
});

test('a hook pouring out output logs the first LOGGED_LINES lines of each stream and counts the rest; its last stderr lines still explain a failure', async () => {
  const opts = options();
  // 100,000 lines on stdout (a dump sent to stdout by mistake), 500 on stderr, then a failure.
  const script = 'seq 1 100000; i=0; while [ $i -lt 500 ]; do i=$((i+1)); echo "err $i" >&2; done; exit 3';
  await assert.rejects(runHooks([['sh', '-c', script]], opts), (err: unknown) => {
    assert.ok(err instanceof SnapctlError);
    assert.match(err.summary, /failed/);
    assert.match(err.detail ?? '', /err 500$/, 'the last stderr line is in the detail');
    return true;
  });
  const out = opts.log.lines.filter((l) => /^INFO preSnapshot hook 1: \d+$/.test(l));
  const err = opts.log.lines.filter((l) => /^INFO preSnapshot hook 1 \(stderr\): err \d+$/.test(l));
  assert.equal(out.length, LOGGED_LINES);
  assert.equal(out[0], 'INFO preSnapshot hook 1: 1');
  assert.equal(err.length, LOGGED_LINES);
  assert.ok(opts.log.lines.includes(`WARN preSnapshot hook 1: ${(100_000 + 500 - 2 * LOGGED_LINES).toLocaleString('en-US')} more lines of output not logged (only the first ${LOGGED_LINES} of stdout and of stderr are; send a dump to a file, not to stdout)`), opts.log.lines.slice(-3).join('\n'));
  assert.ok(opts.log.lines.length < 2 * LOGGED_LINES + 10, `${opts.log.lines.length} log lines`);
});
