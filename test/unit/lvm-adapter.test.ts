import { test } from 'node:test';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { createLvmAdapter, observeLvm, reportTimeoutMs } from '../../src/adapters/lvm-adapter.js';
import { SnapctlError } from '../../src/core/errors.js';
import { LvmError } from '../../src/adapters/lvm-commands.js';
import { capturedReply, fakeBin, fixture } from '../helpers/fake-bin.js';
import type { FakeBin, FakeReply } from '../helpers/fake-bin.js';
import { isRunning, processOf, signal, waitFor } from '../helpers/procs.js';

async function withBin<T>(commands: Record<string, FakeReply | FakeReply[]>, fn: (bin: FakeBin) => Promise<T>): Promise<T> {
  const bin = fakeBin(commands);
  bin.install();
  try {
    return await fn(bin);
  } finally {
    await bin.cleanup();
  }
}

test('observeLvm reads LVs and the VGs holding them with one lvs report in bytes; no vgs', () =>
  withBin({ lvs: { stdout: fixture('lvs-vgfields.json') } }, async (bin) => {
    const state = await observeLvm({ isRoot: true });
    assert.equal(state.available, true);
    assert.deepEqual(state.available && state.vgs, [{ name: 'vg0', freeBytes: 4047503360, extentBytes: 4194304, sizeBytes: 4290772992 }]);
    assert.deepEqual(state.available && state.lvs.map((l) => l.name), ['lv_data', 'lv_data_snap', 'lv_thin', 'pool']);
    assert.deepEqual(bin.argvOf('lvs')[0], [
      '--reportformat', 'json', '-o', 'lv_name,vg_name,lv_path,lv_attr,lv_size,origin,snap_percent,data_percent,metadata_percent,pool_lv,lv_dm_path,lv_tags,vg_free,vg_extent_size,vg_size', '--units', 'b', '--nosuffix',
    ]);
    assert.deepEqual(bin.argvOf('vgs'), []);
  }));

test('observeLvm without lvm2 installed: unavailable with a reason, no exception', () =>
  withBin({}, async () => {
    const state = await observeLvm({ isRoot: true });
    assert.deepEqual(state, { available: false, reason: 'lvs not found (is lvm2 installed?)' });
  }));

test('observeLvm when not root: unavailable without running anything', () =>
  withBin({ lvs: { stdout: fixture('lvs-vgfields.json') } }, async (bin) => {
    assert.deepEqual(await observeLvm({ isRoot: false }), { available: false, reason: 'not running as root' });
    assert.deepEqual(bin.calls(), []);
  }));

test('observeLvm when lvs fails: unavailable with its message', () =>
  withBin({ lvs: { exitCode: 5, stderr: '  /run/lock/lvm/V_vg0:aux: open failed: Permission denied\n' } }, async () => {
    assert.deepEqual(await observeLvm({ isRoot: true }), { available: false, reason: '/run/lock/lvm/V_vg0:aux: open failed: Permission denied' });
  }));

/**
 * A stand-in for an LVM report stuck on a device: it counts its calls, then
 * ignores SIGTERM and sleeps; once `<dir>/<name>.answers` exists it prints
 * that file instead (the device came back). Absolute paths: PATH holds only the fakes.
 */
function stuckReportTool(dir: string, name: string): { pid: () => number; calls: () => number; answerWith: (stdout: string) => void } {
  const pidFile = join(dir, `${name}.pid`);
  const answers = join(dir, `${name}.answers`);
  const calls = join(dir, `${name}.calls`);
  writeFileSync(
    join(dir, name),
    `#!/bin/sh\necho >> '${calls}'\nif [ -e '${answers}' ]; then exec /bin/cat '${answers}'; fi\ntrap '' TERM\necho $$ > '${pidFile}'\nexec /bin/sleep 60\n`,
  );
  chmodSync(join(dir, name), 0o755);
  return {
    pid: () => Number(readFileSync(pidFile, 'utf8')),
    calls: () => (existsSync(calls) ? readFileSync(calls, 'utf8').length : 0),
    answerWith: (stdout) => writeFileSync(answers, stdout),
  };
}

/** SIGKILL, then wait until the process has ended (gone, or a zombie not yet reaped). */
async function killAndReap(pid: number): Promise<void> {
  const stuck = processOf(pid);
  signal(pid, 'SIGKILL');
  if (stuck !== undefined) await waitFor(`pid ${pid} to end`, () => (isRunning(stuck) ? undefined : true));
}

test('observeLvm when lvs never answers: unavailable once the report timeout passes, with the reason', () =>
  withBin({}, async (bin) => {
    const lvs = stuckReportTool(bin.dir, 'lvs');
    const stuckDir = join(bin.dir, 'stuck');
    try {
      const state = await observeLvm({ isRoot: true, commands: createLvmAdapter({ reportTimeoutMs: 300, stuckDir }) });
      assert.deepEqual(state, { available: false, reason: 'lvs gave no answer in 300 ms; a device or a lock it waits on may be stuck' });
      assert.match(readFileSync(join(stuckDir, 'lvs'), 'utf8'), new RegExp(`^${lvs.pid()} \\d+ \\d{4}-\\d\\d-\\d\\dT`), 'the stuck lvs is recorded');
    } finally {
      await killAndReap(lvs.pid());
    }
  }));

test('no report is started while an earlier one of the same tool is stuck; once it has gone, the next one runs', () =>
  withBin({}, async (bin) => {
    const lvs = stuckReportTool(bin.dir, 'lvs');
    const stuckDir = join(bin.dir, 'stuck');
    const adapter = createLvmAdapter({ reportTimeoutMs: 300, stuckDir });
    const failure = async (): Promise<LvmError> => {
      const e = await adapter.lvs().then(() => undefined, (err: unknown) => err);
      assert.ok(e instanceof LvmError, String(e));
      return e;
    };
    const stuckPid = await failure().then(() => lvs.pid());
    try {
      assert.equal(lvs.calls(), 1);
      const again = await failure();
      assert.match(again.detail ?? '', new RegExp(`lvs not run: an earlier lvs \\(pid ${stuckPid}\\) has given no answer since \\d{4}-.*; a device or a lock it waits on may be stuck$`));
      assert.equal(lvs.calls(), 1, 'no second lvs started');
    } finally {
      await killAndReap(stuckPid);
    }
    lvs.answerWith(fixture('lvs-vgfields.json'));
    assert.ok((await adapter.lvs()).lvs.length > 0, 'an lvs runs again, and answers');
    assert.equal(lvs.calls(), 2);
    assert.equal(existsSync(join(stuckDir, 'lvs')), false, 'the record of the process that ended is gone');
  }));

test('a snapshot state report that never answers fails with the reason after the report timeout', () =>
  withBin({}, async (bin) => {
    const lvs = stuckReportTool(bin.dir, 'lvs');
    try {
      await assert.rejects(createLvmAdapter({ reportTimeoutMs: 300, stuckDir: join(bin.dir, 'stuck') }).snapshotState('vg0', 's1'), (e: unknown) => {
        assert.ok(e instanceof LvmError);
        assert.equal(e.summary, 'reading the state of vg0/s1 failed');
        assert.match(e.detail ?? '', /^lvs .*vg0\/s1: lvs gave no answer in 300 ms; a device or a lock it waits on may be stuck$/);
        return true;
      });
    } finally {
      await killAndReap(lvs.pid());
    }
  }));

test('SNAPCTL_LVM_REPORT_TIMEOUT sets the report timeout in seconds; anything but a number above 0 is refused by name', () => {
  assert.equal(reportTimeoutMs({}), 300_000);
  assert.equal(reportTimeoutMs({ SNAPCTL_LVM_REPORT_TIMEOUT: '' }), 300_000);
  assert.equal(reportTimeoutMs({ SNAPCTL_LVM_REPORT_TIMEOUT: '900' }), 900_000);
  assert.equal(reportTimeoutMs({ SNAPCTL_LVM_REPORT_TIMEOUT: '2.5' }), 2_500);
  for (const bad of ['0', '-1', '5s', 'abc', '1e3', ' ']) {
    assert.throws(
      () => reportTimeoutMs({ SNAPCTL_LVM_REPORT_TIMEOUT: bad }),
      (e: unknown) => e instanceof SnapctlError && e.kind === 'input' && e.summary === `SNAPCTL_LVM_REPORT_TIMEOUT must be a number of seconds above 0, not "${bad}"`,
      bad,
    );
  }
});

test('classic snapshot: lvcreate -qq with -L in bytes and one --addtag per tag', () =>
  withBin({ lvcreate: { exitCode: 0 } }, async (bin) => {
    await createLvmAdapter().createSnapshot({ vg: 'vg0', origin: 'lv_data', name: 's1', sizeBytes: 20971520, thin: false, tags: ['snapctl', 'snapctl_volume_data'] });
    assert.deepEqual(bin.argvOf('lvcreate'), [['-qq', '--snapshot', '--name', 's1', '--size', '20971520b', '--addtag', 'snapctl', '--addtag', 'snapctl_volume_data', 'vg0/lv_data']]);
  }));

test('thin snapshot: no size, activation skip off (--setactivationskip n, i.e. -kn)', () =>
  withBin({ lvcreate: capturedReply('lvcreate-thin-snapshot') }, async (bin) => {
    await createLvmAdapter().createSnapshot({ vg: 'vg0', origin: 'thin_lv', name: 's1', thin: true, tags: ['snapctl'] });
    assert.deepEqual(bin.argvOf('lvcreate'), [['-qq', '--snapshot', '--name', 's1', '--setactivationskip', 'n', '--addtag', 'snapctl', 'vg0/thin_lv']]);
  }));

test('lvcreate failure is an LvmError carrying the classified failure', () =>
  withBin({ lvcreate: capturedReply('lvcreate-insufficient') }, async () => {
    await assert.rejects(
      createLvmAdapter().createSnapshot({ vg: 'vg0', origin: 'lv_data', name: 's1', sizeBytes: 52 * 2 ** 20, thin: false, tags: [] }),
      (e: unknown) => e instanceof LvmError && e.failure.kind === 'insufficient-space' && e.failure.requiredExtents === 13 && e.kind === 'operation',
    );
  }));

test('activate runs lvchange -ay -K', () =>
  withBin({ lvchange: { exitCode: 0 } }, async (bin) => {
    await createLvmAdapter().activate('vg0', 'thin_snap');
    assert.deepEqual(bin.argvOf('lvchange'), [['-ay', '-K', 'vg0/thin_snap']]);
  }));

test('remove retries while in use, settling udev between attempts', () =>
  withBin({ lvremove: [{ ...capturedReply('lvremove-inuse'), times: 2 }, capturedReply('lvremove-ok')], udevadm: { exitCode: 0 } }, async (bin) => {
    assert.equal(await createLvmAdapter({ removeRetryDelaysMs: [1, 1, 1] }).remove('vg0', 'snap'), 'removed');
    assert.deepEqual(bin.calls().map((c) => c.cmd), ['lvremove', 'udevadm', 'lvremove', 'udevadm', 'lvremove']);
    assert.deepEqual(bin.argvOf('lvremove')[0], ['-f', 'vg0/snap']);
  }));

test('remove gives up after its attempts and names them', () =>
  withBin({ lvremove: capturedReply('lvremove-inuse') }, async (bin) => {
    await assert.rejects(createLvmAdapter({ removeRetryDelaysMs: [1] }).remove('vg0', 'snap'), /removing vg0\/snap failed after 2 attempts/);
    assert.equal(bin.argvOf('lvremove').length, 2);
  }));

test('remove of a missing LV is "absent", not an error (idempotent cleanup)', () =>
  withBin({ lvremove: capturedReply('lvremove-notfound') }, async () => {
    assert.equal(await createLvmAdapter().remove('vg0', 'snap'), 'absent');
  }));

test('snapshotState reads attr and percent of one LV', () =>
  withBin({ lvs: { stdout: fixture('lvs-overflow.json') } }, async (bin) => {
    assert.deepEqual(await createLvmAdapter().snapshotState('vg0', 'small_snap'), { attr: 'swi-I-s---', percent: 100, invalid: true });
    assert.equal(bin.argvOf('lvs')[0]?.at(-1), 'vg0/small_snap');
  }));

test('snapshotState of a missing LV is an lv-not-found LvmError', () =>
  withBin({ lvs: capturedReply('lvs-notfound') }, async () => {
    await assert.rejects(createLvmAdapter().snapshotState('vg0', 'nonexistent'), (e: unknown) => e instanceof LvmError && e.failure.kind === 'lv-not-found');
  }));

test('observeLvm when lvs prints something that is not a report: unavailable, not a crash', () =>
  withBin({ vgs: { stdout: fixture('vgs-cycle.json') }, lvs: { stdout: '  LV   VG   Attr\n' } }, async () => {
    const state = await observeLvm({ isRoot: true });
    assert.equal(state.available, false);
    assert.match(state.available ? '' : state.reason, /lvs report/);
  }));
