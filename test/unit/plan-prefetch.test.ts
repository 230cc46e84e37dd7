import { test } from 'node:test';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { cancelUnusedReads, lvmReadFor, prefetchForPlan } from '../../src/cli/plan-prefetch.js';
import { fakeBin, fixture } from '../helpers/fake-bin.js';
import type { FakeBin } from '../helpers/fake-bin.js';
import { isRunning, processOf, signal, waitFor } from '../helpers/procs.js';
import { startSnapctl } from '../helpers/snapctl-cli.js';

// observeLvm reads LVM only as root (CI runs as root).
const notRoot = process.getuid?.() !== 0 ? 'needs root: LVM state is read only as root' : false;

const LVM_POLICY = 'version: 1\ntimezone: UTC\nhosts:\n  h1:\n    volumes:\n      data:\n        lvm: vg0/lv_data\n';
const PATH_POLICY = 'version: 1\ntimezone: UTC\nhosts:\n  h1:\n    volumes:\n      etc:\n        path: /etc\n';

async function withFakes(fn: (bin: FakeBin, dir: string) => void | Promise<void>): Promise<void> {
  const bin = fakeBin({ lvs: { stdout: fixture('lvs-vgfields.json') } });
  bin.install();
  const dir = mkdtempSync(join(tmpdir(), 'snapctl-prefetch-'));
  try {
    await fn(bin, dir);
  } finally {
    cancelUnusedReads();
    await bin.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

const count = (bin: FakeBin, cmd: string): number => bin.argvOf(cmd).length;

test('plan prefetch: the lvs report starts from the command line, and plan takes it instead of starting its own', { skip: notRoot }, () =>
  withFakes(async (bin, dir) => {
    const policy = join(dir, 'p.yaml');
    writeFileSync(policy, LVM_POLICY);
    const started = prefetchForPlan(['--policy', policy, '--host', 'h1', '--backup-dir', join(dir, 'backup'), '--now', '2026-11-26T03:00:00Z']);
    assert.deepEqual(started, { listing: join(dir, 'backup', 'h1'), lvm: true });
    assert.deepEqual(prefetchForPlan(['--policy', policy]), { lvm: true }, 'a second call starts nothing more');
    const read = lvmReadFor(policy);
    assert.ok(read !== undefined);
    const state = await read.state;
    assert.equal(state.available, true);
    assert.equal(state.available && state.vgs[0]?.name, 'vg0');
    assert.equal(count(bin, 'lvs'), 1, 'one lvs in all');
    assert.equal(count(bin, 'vgs'), 0, 'lvs names the VG: no vgs');
    // Taken once: a later read is a new one.
    await lvmReadFor(policy)?.state;
    assert.equal(count(bin, 'lvs'), 2);
  }));

test('plan prefetch: nothing starts for --help, and no LVM report for a policy without an lvm: key', { skip: notRoot }, () =>
  withFakes((bin, dir) => {
    const lvm = join(dir, 'lvm.yaml');
    const path = join(dir, 'path.yaml');
    writeFileSync(lvm, LVM_POLICY);
    writeFileSync(path, PATH_POLICY);
    assert.deepEqual(prefetchForPlan(['--policy', lvm, '--backup-dir', dir, '--help']), { lvm: false });
    assert.deepEqual(prefetchForPlan(['-h', '--policy', lvm]), { lvm: false });
    assert.deepEqual(prefetchForPlan(['--policy', path, '--backup-dir', dir, '--host', 'h1']), { listing: join(dir, 'h1'), lvm: false });
    assert.equal(lvmReadFor(path), undefined);
    // Bad or missing arguments are plan's to refuse: the prefetch just finds nothing to start.
    assert.deepEqual(prefetchForPlan(['--policy']), { lvm: false });
    assert.deepEqual(prefetchForPlan(['--no-such-flag', '--policy', join(dir, 'missing.yaml')]), { lvm: false });
    assert.deepEqual(bin.calls(), []);
  }));

/** An lvs that records its pid and then waits a minute (exec: the pid is the sleep's). */
function slowReport(dir: string, name: string): { pid: () => number | undefined } {
  const pidFile = join(dir, `${name}.pid`);
  writeFileSync(join(dir, name), `#!/bin/sh\necho $$ > '${pidFile}'\nexec /bin/sleep 60\n`);
  chmodSync(join(dir, name), 0o755);
  return { pid: () => (existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : undefined) };
}

test('plan prefetch: a report nobody took is stopped by cancelUnusedReads', { skip: notRoot }, () =>
  withFakes(async (bin, dir) => {
    const lvs = slowReport(bin.dir, 'lvs');
    const policy = join(dir, 'p.yaml');
    writeFileSync(policy, LVM_POLICY);
    assert.equal(prefetchForPlan(['--policy', policy]).lvm, true);
    const pid = await waitFor('lvs to start', () => lvs.pid());
    const proc = processOf(pid);
    try {
      cancelUnusedReads();
      if (proc !== undefined) await waitFor(`pid ${pid} to end`, () => (isRunning(proc) ? undefined : true));
    } finally {
      if (processOf(pid) !== undefined) signal(pid, 'SIGKILL');
    }
  }));

test('snapctl plan with a bad flag stops the lvs it started from the command line, and exits', { skip: notRoot }, () =>
  withFakes(async (bin, dir) => {
    const lvs = slowReport(bin.dir, 'lvs');
    const policy = join(dir, 'p.yaml');
    writeFileSync(policy, LVM_POLICY);
    const cli = startSnapctl(['plan', '--policy', policy, '--no-such-flag']);
    // The report sleeps a minute: a run that waited for it would still be running when this gives up.
    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        cli.child.kill('SIGKILL');
        reject(new Error('snapctl plan still ran after 30 s: it waited for the lvs it no longer needed'));
      }, 30_000);
    });
    const r = await Promise.race([cli.done, hung]).finally(() => clearTimeout(timer));
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /Unknown option '--no-such-flag'/);
    // Its pid is known if it got as far as writing it before it was stopped.
    const pid = lvs.pid();
    const left = pid === undefined ? undefined : processOf(pid);
    if (pid !== undefined && left !== undefined && left.state !== 'Z') {
      signal(pid, 'SIGKILL');
      assert.fail(`lvs (pid ${pid}) still runs after snapctl exited`);
    }
  }));
