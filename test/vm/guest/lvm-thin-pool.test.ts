// A backup directory on a thin origin: every archive written there takes new
// blocks from the thin pool, and a full pool stops writes to every thin
// volume in it. Plan warns when the next archive (the size of the newest)
// would take the pool past 80%, or fill it (a warning too: lvm.conf may let
// the pool autoextend).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createVolumeGroup, must, removeVolumeGroup } from './vm-guest.js';
import { makeThinVolume, sync, unmountQuietly, writeRandom } from './helpers/lvm-world.js';
import { describe, HOST, snapctl, timed } from './helpers/scenario.js';

const VG = 'vg_thinfill';
const MNT = `/mnt/${VG}/data`;
const DIR = '/tmp/snapctl-vm-thinfill';

before(() => createVolumeGroup(VG));
after(() => {
  unmountQuietly(MNT);
  removeVolumeGroup(VG);
  rmSync(DIR, { recursive: true, force: true });
});

interface PlanJson {
  readonly diagnostics: ReadonlyArray<{ readonly severity: string; readonly message: string }>;
}

test('backup directory on a thin origin: plan warns when the next archive takes the pool past 80%, and when it would fill it', async () => {
  await timed('thin pool: archives written onto the thin origin', () => {
    makeThinVolume(VG, 'pool', '160M', 'lv_data', '256M', 'ext4', MNT);
    writeRandom(join(MNT, 'payload.bin'), 40);
    sync();
    const backupRoot = join(MNT, 'backups');
    const policyFile = join(DIR, 'policy.yaml');
    mkdirSync(DIR, { recursive: true });
    writeFileSync(policyFile, JSON.stringify({ version: 1, timezone: 'UTC', hosts: { [HOST]: { backupDir: backupRoot, mountRoot: join(DIR, 'mnt'), volumes: { data: { lvm: `${VG}/lv_data`, retention: { keepLast: 3 } } } } } }));
    const common = (now: string): string[] => ['--policy', policyFile, '--host', HOST, '--now', now];
    const plan = (now: string): { text: string; diagnostics: PlanJson['diagnostics'] } => {
      const r = snapctl(['plan', ...common(now), '--json']);
      assert.equal(r.code, 0, describe(r));
      return { text: describe(r), diagnostics: (JSON.parse(r.stdout) as PlanJson).diagnostics };
    };
    const poolPercent = (): number => Number(must('lvs', ['--noheadings', '-o', 'data_percent', `${VG}/pool`]).trim());

    assert.deepEqual(plan('2026-03-01T03:00:00Z').diagnostics.filter((d) => d.severity !== 'info'), [], 'no archive yet: nothing to estimate');
    const first = snapctl(['apply', ...common('2026-03-01T03:00:00Z'), '--log-dir', join(DIR, 'log'), '--state-dir', join(DIR, 'state'), '--lock-file', join(DIR, 'apply.lock')]);
    assert.equal(first.code, 0, describe(first));
    sync();
    const used = poolPercent();
    assert.ok(used > 55 && used < 80, `pool ${used}% full after the first archive`);

    const next = plan('2026-03-02T03:00:00Z');
    const warned = next.diagnostics.filter((d) => d.severity === 'warning' && /thin pool/.test(d.message));
    assert.equal(warned.length, 1, next.text);
    assert.match(warned[0]?.message ?? '', new RegExp(`^the backup directory lies on this thin volume \\(\\./backups\\), so each archive written there takes new blocks from thin pool ${VG}/pool: an archive the size of the newest \\(40\\.\\d MiB\\) takes it from [\\d.]+% to about \\d+% full`));

    // More data on the origin: the pool now has less free than one archive takes.
    writeRandom(join(MNT, 'more.bin'), 24);
    sync();
    const full = plan('2026-03-02T03:00:00Z');
    const filled = full.diagnostics.filter((d) => /thin pool/.test(d.message));
    assert.deepEqual(filled.map((d) => d.severity), ['warning'], full.text);
    assert.match(filled[0]?.message ?? '', /an archive the size of the newest \(40\.\d MiB\) fills its [\d.]+ MiB free unless the pool autoextends \(thin_pool_autoextend_threshold in lvm\.conf\), and a full pool stops writes to every thin volume in it/);
  });
});

