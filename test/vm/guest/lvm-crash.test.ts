// Scenario 4: apply is killed with SIGKILL in the middle of tar, leaving a
// real snapshot, its mount and a .partial behind. The next plan shows all
// three as cleanup (~); the next apply removes them and makes a good archive.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createVolumeGroup, removeVolumeGroup } from './vm-guest.js';
import { makeVolume, mountsUnder, snapctlSnapshots, sync, writeRandom } from './helpers/lvm-world.js';
import { checkSidecar, describe, describeTree, extractArchive, scenario, startSnapctl, timed, type Scenario } from './helpers/scenario.js';
import { descendants, killTree } from './helpers/processes.js';

const VG = 'vg_crash';
let world: Scenario;

before(() => {
  createVolumeGroup(VG);
  world = scenario('crash');
});
after(() => {
  removeVolumeGroup(VG);
  world.remove();
});

const NOW = '2026-03-02T03:00:00Z';

test('kill -9 of apply during tar: the next plan lists snapshot, mount and .partial as cleanup, and the next apply removes them and writes a good archive', async () => {
  await timed('crash: kill -9 during tar, then recovery', async () => {
    const mnt = `/mnt/${VG}/data`;
    makeVolume(VG, 'lv_data', '256M', 'ext4', mnt);
    writeRandom(join(mnt, 'payload.bin'), 40);
    sync();
    const origin = describeTree(mnt);
    world.writePolicy({ data: { lvm: `${VG}/lv_data`, mount: mnt, compression: 'zstd', retention: { keepLast: 2 } } });

    const running = startSnapctl(world.applyArgv(NOW));
    // In the middle of tar: the .partial holds some MiB of the ~40 MiB archive.
    const partialBytes = (): number => {
      const name = world.files().find((f) => f.endsWith('.partial'));
      return name === undefined ? -1 : statSync(join(world.hostDir, name), { throwIfNoEntry: false })?.size ?? -1;
    };
    for (let i = 0; i < 1200 && partialBytes() < 2 << 20; i++) await sleep(100);
    const partial = world.files().find((f) => f.endsWith('.partial'));
    if (partial === undefined || partialBytes() < 2 << 20) {
      killTree(running.pid);
      assert.fail(`apply wrote no .partial of 2 MiB within 120 s\n${describe(await running.done)}`);
    }
    const tree = descendants(running.pid);
    assert.ok(tree.some((p) => p.comm === 'tar'), `tar is running under apply: ${tree.map((p) => p.comm).join(', ')}`);
    killTree(running.pid);
    const killed = await running.done;
    assert.match(killed.stderr, /killed by SIGKILL/);

    const leftovers = snapctlSnapshots(VG);
    assert.equal(leftovers.length, 1, 'the snapshot is left behind');
    const snapshot = leftovers[0]?.lv_name ?? '';
    assert.deepEqual(mountsUnder(world.mountRoot), [join(world.mountRoot, 'data')], 'its mount is left behind');
    assert.ok(world.files().includes(partial), 'the .partial is left behind');
    assert.ok(!world.files().some((f) => f.endsWith('.tar.zst')), 'no archive under a final name');

    const plan = world.plan(NOW);
    assert.equal(plan.run.code, 0, describe(plan.run));
    const cleanups = plan.json.actions.filter((a) => a.type === 'cleanup').map((a) => a.target);
    assert.deepEqual(
      cleanups.map((t) => t?.kind).sort(),
      ['file', 'lvm-snapshot', 'mount'],
      `cleanup of the snapshot, the mount and the partial\n${describe(plan.run)}`,
    );
    assert.ok(cleanups.some((t) => t?.kind === 'lvm-snapshot' && t.vg === VG && t.lv === snapshot));
    assert.ok(cleanups.some((t) => t?.kind === 'mount' && t.target === join(world.mountRoot, 'data')));
    assert.ok(cleanups.some((t) => t?.kind === 'file' && t.path === join(world.hostDir, partial)));
    assert.ok(plan.json.actions.some((a) => a.type === 'create' && a.volume === 'data'), 'and the archive is still due');
    const text = world.planText(NOW);
    assert.equal((text.stdout.match(/^\s*~ /gm) ?? []).length, 3, `the text plan shows three ~ lines\n${describe(text)}`);

    const { run, json } = world.apply(NOW);
    assert.equal(run.code, 0, describe(run));
    assert.equal(json.cleanups.length, 3);
    assert.ok(json.cleanups.every((c) => c.ok), describe(run));
    const archive = json.volumes[0]?.archive ?? '';
    assert.equal(json.volumes[0]?.status, 'created');
    assert.deepEqual(world.files(), [archive, `${archive}.sha256`], 'the partial is gone; a complete archive and its sidecar');
    assert.equal(checkSidecar(world.hostDir, archive).code, 0);
    const restored = extractArchive(join(world.hostDir, archive), join(world.dir, 'restore'));
    try {
      assert.deepEqual(describeTree(restored), origin, 'the new archive restores the origin');
    } finally {
      rmSync(restored, { recursive: true, force: true });
    }
    assert.deepEqual(snapctlSnapshots(VG), [], 'no snapshot left');
    assert.deepEqual(mountsUnder(world.mountRoot), [], 'no mount left');
    assert.deepEqual(readdirSync(world.mountRoot), [], 'no mount point directory left');
  });
});
