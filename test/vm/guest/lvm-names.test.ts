// Hyphens in VG, LV and volume names, as distribution installers make them
// (ubuntu-vg/ubuntu-lv): device mapper doubles each hyphen in its names
// (/dev/mapper/vg--names-lv--data), and /proc/self/mountinfo shows those.
// Apply archives such an origin, with the backup directory inside its mount
// left out (plan says so before the directory exists), and after a kill -9
// during tar the next plan and apply find and remove the snapshot and its
// mount. The snapshot is as large as the origin: the archive is written onto
// the origin while the snapshot lives, and each of its blocks is copied; with
// 10% of the origin, plan predicts the overflow and apply's error says why.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createVolumeGroup, must, removeVolumeGroup } from './vm-guest.js';
import { makeVolume, mountsUnder, snapctlSnapshots, sync, unmountQuietly, writeRandom } from './helpers/lvm-world.js';
import { archiveMembers, checkSidecar, describe, HOST, snapctl, startSnapctl, timed } from './helpers/scenario.js';
import { killTree } from './helpers/processes.js';

const VG = 'vg-names';
const MNT = `/mnt/${VG}/lv-data`;
const DIR = `/tmp/snapctl-vm-names`;

before(() => {
  createVolumeGroup(VG);
  mkdirSync(DIR, { recursive: true });
});
after(() => {
  unmountQuietly(MNT);
  removeVolumeGroup(VG);
  rmSync(DIR, { recursive: true, force: true });
});

test('hyphenated VG, LV and volume names: archived with the backup directory inside the origin left out, and recovered after kill -9', async () => {
  await timed('names: hyphens in VG, LV and volume names', async () => {
    makeVolume(VG, 'lv-data', '256M', 'ext4', MNT);
    writeRandom(join(MNT, 'payload.bin'), 40);
    writeFileSync(join(MNT, 'small.txt'), 'small\n');
    sync();
    // The backup directory lives on the origin itself: only its device number says so.
    const backupRoot = join(MNT, 'backups');
    const mountRoot = join(DIR, 'mnt');
    const policyFile = join(DIR, 'policy.yaml');
    const hostDir = join(backupRoot, HOST);
    const writePolicy = (snapshotSize: string): void =>
      writeFileSync(
        policyFile,
        JSON.stringify({ version: 1, timezone: 'UTC', hosts: { [HOST]: { backupDir: backupRoot, mountRoot, volumes: { 'my-data': { lvm: `${VG}/lv-data`, snapshot: { size: snapshotSize }, retention: { keepLast: 2 } } } } } }),
      );
    writePolicy('100%ORIGIN');
    const common = (now: string): string[] => ['--policy', policyFile, '--host', HOST, '--now', now];
    const applyArgv = (now: string): string[] => ['apply', ...common(now), '--log-dir', join(DIR, 'log'), '--state-dir', join(DIR, 'state'), '--lock-file', join(DIR, 'apply.lock'), '--json'];
    const files = (): string[] => readdirSync(hostDir).sort();

    const plan = snapctl(['plan', ...common('2026-03-01T03:00:00Z'), '--json']);
    assert.equal(plan.code, 0, describe(plan));
    const planned = JSON.parse(plan.stdout) as { actions: { type: string; volume: string }[]; diagnostics: { severity: string; message: string }[] };
    assert.deepEqual(planned.diagnostics.filter((d) => d.severity === 'error'), [], describe(plan));
    // Before the first apply has made it, too: where it will be made counts.
    assert.ok(planned.diagnostics.some((d) => /lies inside this volume: \.\/backups is left out/.test(d.message)), describe(plan));

    const first = snapctl(applyArgv('2026-03-01T03:00:00Z'));
    assert.equal(first.code, 0, describe(first));
    const [archive] = files().filter((f) => f.endsWith('.tar.zst'));
    assert.ok(archive, describe(first));
    assert.match(archive, /^vmhost_my-data\.20260301T030000Z\.tar\.zst$/);
    assert.equal(checkSidecar(hostDir, archive).code, 0);
    assert.deepEqual(archiveMembers(join(hostDir, archive)), ['lost+found', 'payload.bin', 'small.txt'], 'no ./backups in the archive');
    assert.deepEqual(snapctlSnapshots(VG), []);
    assert.deepEqual(mountsUnder(mountRoot), []);

    // kill -9 in the middle of tar: the snapshot (vg--names-lv--data… in device mapper) and its mount stay behind.
    const running = startSnapctl(applyArgv('2026-03-02T03:00:00Z'));
    const partialBytes = (): number => {
      const name = files().find((f) => f.endsWith('.partial'));
      return name === undefined ? -1 : (statSync(join(hostDir, name), { throwIfNoEntry: false })?.size ?? -1);
    };
    for (let i = 0; i < 1200 && partialBytes() < 2 << 20; i++) await sleep(100);
    killTree(running.pid);
    const killed = await running.done;
    assert.match(killed.stderr, /killed by SIGKILL/, describe(killed));
    assert.equal(snapctlSnapshots(VG).length, 1, 'the snapshot is left behind');
    assert.deepEqual(mountsUnder(mountRoot), [join(mountRoot, 'my-data')], 'its mount is left behind');
    const mapper = must('findmnt', ['-n', '-o', 'SOURCE', join(mountRoot, 'my-data')]).trim();
    assert.match(mapper, /^\/dev\/mapper\/vg--names-/, 'the mount shows the device mapper name');

    const again = snapctl(['plan', ...common('2026-03-02T03:00:00Z'), '--json']);
    assert.equal(again.code, 0, describe(again));
    const cleanups = (JSON.parse(again.stdout) as { actions: { type: string; target?: { kind: string } }[] }).actions.filter((a) => a.type === 'cleanup').map((a) => a.target?.kind);
    assert.deepEqual(cleanups.sort(), ['file', 'lvm-snapshot', 'mount'], describe(again));

    const recovered = snapctl(applyArgv('2026-03-02T03:00:00Z'));
    assert.equal(recovered.code, 0, describe(recovered));
    assert.deepEqual(snapctlSnapshots(VG), [], 'no snapshot left');
    assert.deepEqual(mountsUnder(mountRoot), [], 'no mount left');
    const kept = ['vmhost_my-data.20260301T030000Z.tar.zst', 'vmhost_my-data.20260302T030000Z.tar.zst'];
    assert.deepEqual(
      files().filter((f) => !f.endsWith('.sha256')),
      kept,
    );

    // A snapshot of 10% of the 256 MiB origin (28 MiB in whole 4 MiB extents) cannot hold a copy of a ~40 MiB archive written onto the origin.
    writePolicy('10%ORIGIN');
    const small = snapctl(['plan', ...common('2026-03-03T03:00:00Z'), '--json']);
    assert.equal(small.code, 0, describe(small));
    const predicted = (JSON.parse(small.stdout) as { diagnostics: { severity: string; message: string }[] }).diagnostics.filter((d) => d.severity === 'error').map((d) => d.message);
    assert.equal(predicted.length, 1, describe(small));
    assert.match(predicted[0] ?? '', /the backup directory lies on this volume's LV \(\.\/backups\), .*: an archive the size of the newest \(40\.\d MiB\) overflows the 28\.0 MiB snapshot, and apply will discard it/);
    const overflowed = snapctl(applyArgv('2026-03-03T03:00:00Z'));
    assert.equal(overflowed.code, 1, describe(overflowed));
    assert.match(overflowed.stderr, /snapshot overflowed .*\(the backup directory lies on this volume's LV \(\.\/backups\): the snapshot also had to hold a copy of every block of the archive written there/, describe(overflowed));
    assert.deepEqual(files().filter((f) => !f.endsWith('.sha256')), kept, 'nothing written, nothing deleted');
    assert.deepEqual(snapctlSnapshots(VG), [], 'no snapshot left');
  });
});
