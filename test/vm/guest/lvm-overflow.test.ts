// Scenario 3: a small COW snapshot overflows while the archive is written
// (writes to the origin started by the postSnapshot hook). Whether tar trips
// over the invalid snapshot or finishes from cached pages and the snapshot
// check before the rename catches it, the archive must be discarded, the
// volume reported failed, the older archive kept although retention would
// have expired it, and the snapshot removed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createVolumeGroup, removeVolumeGroup } from './vm-guest.js';
import { makeVolume, mountsUnder, snapctlSnapshots, writeRandom } from './helpers/lvm-world.js';
import { checkSidecar, describe, scenario, timed, type Scenario } from './helpers/scenario.js';

const VG = 'vg_overflow';
let world: Scenario;

before(() => {
  createVolumeGroup(VG);
  world = scenario('overflow');
});
after(() => {
  removeVolumeGroup(VG);
  world.remove();
});

const mnt = `/mnt/${VG}/data`;
const volume = { lvm: `${VG}/lv_data`, mount: mnt, snapshot: { size: '8M' }, compression: 'zstd', retention: { keepLast: 1 } };
let older = '';

test('an 8M COW snapshot of a quiet origin is archived (the older archive the next tests must keep)', async () => {
  await timed('overflow: first archive', () => {
    makeVolume(VG, 'lv_data', '256M', 'ext4', mnt);
    // Enough incompressible data that tar runs for seconds under emulation.
    writeRandom(join(mnt, 'payload.bin'), 48);
    world.writePolicy({ data: volume });
    const first = world.apply('2026-03-01T03:00:00Z');
    assert.equal(first.run.code, 0, `a quiet origin fits in an 8M snapshot\n${describe(first.run)}`);
    older = first.json.volumes[0]?.archive ?? '';
    assert.deepEqual(world.files(), [older, `${older}.sha256`]);
  });
});

/** Runs apply at `now` with this postSnapshot hook, waits for the hook's background writer, and checks the failure. */
async function overflowedRun(now: string, hook: string, done: string): Promise<string> {
  world.writePolicy({ data: { ...volume, hooks: { postSnapshot: [['sh', '-c', hook]] } } });
  const { run, json } = world.apply(now);
  for (let i = 0; i < 600 && !existsSync(done); i++) await sleep(100);
  assert.ok(existsSync(done), 'the writer finished');

  assert.equal(run.code, 1, `nothing was done: exit 1\n${describe(run)}`);
  const outcome = json.volumes[0];
  assert.ok(outcome?.status === 'failed', describe(run));
  assert.deepEqual(outcome.deleted, [], 'a failed create deletes nothing');
  assert.deepEqual(world.files(), [older, `${older}.sha256`], 'no new archive, no .partial; the older archive is kept though keepLast 1 would expire it');
  assert.equal(checkSidecar(world.hostDir, older).code, 0, 'the older archive still verifies');
  assert.deepEqual(snapctlSnapshots(VG), [], 'the invalid snapshot was removed');
  assert.deepEqual(mountsUnder(world.mountRoot), [], 'and unmounted');
  return outcome.errors.join('\n');
}

test('overflow while tar reads: a writer started by postSnapshot fills the 8M COW mid-archive; whether tar fails on the invalid snapshot or the check after tar catches it, nothing is kept of it', async () => {
  await timed('overflow: snapshot invalidated while tar reads', async () => {
    const done = join(world.dir, 'writer-1-done');
    // In the background (the hook returns at once), a moment after tar starts:
    // 64 MiB of direct writes to the origin, far more than the 8 MiB COW area.
    const writer = `(sleep 1; dd if=/dev/urandom of=${mnt}/big bs=1M count=64 oflag=direct status=none; sync; touch ${done}) >/dev/null 2>&1 &`;
    const errors = await overflowedRun('2026-03-02T03:00:00Z', writer, done);
    process.stdout.write(`overflow while tar reads: the volume failed with: ${errors.replace(/\n/g, ' | ')}\n`);
    // Reads of an invalidated COW snapshot fail with EIO (tar exit 2), or tar
    // only sees a file shrink (exit 1) and the snapshot check catches it: both seen.
    assert.match(errors, /tar failed.*Input\/output error|overflowed/s);
  });
});

test('overflow after tar read everything: the archive is complete but the snapshot is invalid, so the check before the rename discards it', async () => {
  await timed('overflow: snapshot invalid once tar is done', async () => {
    const done = join(world.dir, 'writer-2-done');
    const snapshotMount = join(world.mountRoot, 'data');
    // Read the whole snapshot once (its pages stay cached, so tar will not
    // need the device; through a pipe, as GNU tar skips reading files for
    // /dev/null), then overflow the COW area before returning.
    const hook = `tar -cf - -C ${snapshotMount} . | wc -c >/dev/null && dd if=/dev/urandom of=${mnt}/big2 bs=1M count=32 oflag=direct status=none && sync && touch ${done}`;
    const errors = await overflowedRun('2026-03-03T03:00:00Z', hook, done);
    process.stdout.write(`overflow after tar: the volume failed with: ${errors.replace(/\n/g, ' | ')}\n`);
    assert.match(errors, /snapshot overflowed \(100% full, invalid\): the archive is inconsistent and was discarded/);
  });
});
