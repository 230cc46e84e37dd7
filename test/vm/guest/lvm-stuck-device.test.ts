// An LVM report stuck in the kernel. The volume group's only PV is a
// device-mapper table over the disk, and that table is suspended: every read
// of it waits until it is resumed, so the lvs report sleeps uninterruptibly
// in the scan and dies of no signal. With SNAPCTL_LVM_REPORT_TIMEOUT=3:
// - plan gives up on it, warns, and exits although it is still there;
// - it is recorded, so apply starts no other copy: it fails the lvm
//   volume at once and archives the path volume;
// - status names the stuck report;
// - once the table is resumed it ends, and the next plan reads LVM again.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { GUEST_DISK, must, run } from './vm-guest.js';
import { describe, lvmAndPathScenario, snapctl, timed, HOST, type Scenario } from './helpers/scenario.js';
import { lvmReportProcesses, type ReportProcess } from './helpers/lvm-world.js';

const VG = 'vg_dstate';
const TABLE = 'snapctl_test_pv';
const PV = `/dev/mapper/${TABLE}`;
const STUCK_DIR = '/run/snapctl-lvm';
let world: Scenario;

before(() => {
  // 64 MiB of the disk, 1 MiB in: the PV label is then on the table only, not also at the start of the disk.
  must('dmsetup', ['create', '--noudevsync', '--noudevrules', TABLE, '--table', `0 131072 linear ${GUEST_DISK} 2048`]);
  must('dmsetup', ['mknodes', TABLE]);
  must('pvcreate', ['-qq', '-y', PV]);
  must('vgcreate', ['-qq', VG, PV]);
  world = lvmAndPathScenario('stuck-device', `${VG}/lv_data`);
  process.env.SNAPCTL_LVM_REPORT_TIMEOUT = '3';
});
after(() => {
  run('dmsetup', ['resume', TABLE]);
  delete process.env.SNAPCTL_LVM_REPORT_TIMEOUT;
  run('vgremove', ['-qq', '-f', VG]);
  run('pvremove', ['-qq', PV]);
  run('dmsetup', ['remove', '--noudevsync', TABLE]);
  run('blkdiscard', ['-f', GUEST_DISK]);
  world.remove();
});

test('with the PV suspended, reports stuck in the kernel are given up on, recorded, not started again, and named by status', async () => {
  await timed('stuck device: a suspended PV', async () => {
    must('dmsetup', ['suspend', '--noudevsync', TABLE]);
    let stuck: ReportProcess[] = [];
    try {
      const planned = world.plan('2026-03-02T03:00:00Z');
      assert.equal(planned.run.code, 0, describe(planned.run));
      const warning = planned.json.diagnostics.find((d) => d.message.startsWith('LVM state not read'));
      assert.match(warning?.message ?? '', /\(lvs gave no answer in 3 s; a device or a lock it waits on may be stuck\)/, describe(planned.run));

      // plan has exited; its reports have not: in uninterruptible sleep (D), SIGTERM pending.
      stuck = lvmReportProcesses();
      assert.ok(stuck.length > 0 && stuck.every((p) => p.state.startsWith('D')), `stuck reports left behind: ${JSON.stringify(stuck)}\n${spawnSync('ps', ['-eo', 'pid,stat,wchan:32,comm,args'], { encoding: 'utf8' }).stdout}`);
      const recorded = readFileSync(join(STUCK_DIR, 'lvs'), 'utf8').split(' ');
      assert.ok(stuck.some((p) => p.pid === Number(recorded[0])), `the recorded lvs (${recorded[0]}) is one of them`);

      const applied = world.apply('2026-03-02T03:00:00Z');
      assert.equal(applied.run.code, 3, describe(applied.run));
      const byVolume = Object.fromEntries(applied.json.volumes.map((v) => [v.volume, v]));
      assert.equal(byVolume.docs?.status, 'created', describe(applied.run));
      assert.equal(byVolume.data?.status, 'failed', describe(applied.run));
      assert.match(byVolume.data?.errors.join('\n') ?? '', new RegExp(`lvs not run: an earlier lvs \\(pid ${recorded[0]}\\) has given no answer since`), describe(applied.run));
      assert.deepEqual(
        lvmReportProcesses().map((p) => p.pid).sort(),
        stuck.map((p) => p.pid).sort(),
        'apply started no other report',
      );

      const status = snapctl(['status', '--policy', world.policyFile, '--host', HOST, '--state-dir', join(world.dir, 'state'), '--lock-file', join(world.dir, 'apply.lock'), '--now', '2026-03-02T03:30:00Z']);
      assert.equal(status.code, 2, describe(status));
      assert.match(status.stdout.split('\n')[0] ?? '', new RegExp(`; lvs stuck since \\S+ \\(pid ${recorded[0]}\\) \\|`), describe(status));
    } finally {
      must('dmsetup', ['resume', '--noudevsync', TABLE]);
    }
    // Resumed: the stuck reports finish their read, then die of the SIGTERM they were sent.
    for (let i = 0; i < 100 && lvmReportProcesses().some((p) => stuck.some((s) => s.pid === p.pid)); i++) await sleep(100);
    assert.deepEqual(lvmReportProcesses(), [], 'the stuck reports ended once the device was back');
    const again = world.plan('2026-03-02T04:00:00Z');
    assert.equal(again.run.code, 0, describe(again.run));
    assert.equal(again.json.diagnostics.find((d) => d.message.startsWith('LVM state not read')), undefined, describe(again.run));
    assert.equal(existsSync(join(STUCK_DIR, 'lvs')), false, 'the record of the lvs that ended is gone');
  });
});
