import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StepLog, TakeContext } from '../../src/apply/source.js';
import { createLvmAdapter } from '../../src/adapters/lvm-adapter.js';
import { cleanupLvmLeftover, createLvmSource, OVERFLOW_REASON } from '../../src/adapters/lvm-source.js';
import { SnapctlError } from '../../src/core/errors.js';
import type { Volume } from '../../src/core/model.js';
import { capturedReply, fakeBin, fixture } from '../helpers/fake-bin.js';
import { testVolume } from '../helpers/volume.js';
import type { FakeBin, FakeReply } from '../helpers/fake-bin.js';

const STAMP = '20261126T030000Z';
const SNAP = `snapctl_data_${STAMP}`;

function volume(lv: string, snapshotSize = '10%ORIGIN'): Volume {
  return testVolume('data', { kind: 'lvm', vg: 'vg0', lv }, { retention: { daily: 7 }, snapshotSize });
}

/**
 * What lvs prints with snapctl's VG columns, from two captures of one moment:
 * the captured lvs rows, each with vg_free, vg_extent_size and vg_size of
 * its VG from the captured vgs report (lvs-vgfields.json shows lvs printing
 * the very values vgs does). The older captures predate those columns.
 */
function lvsWithVg(lvsFixture: string, vgsFixture = 'vgs-cycle.json'): string {
  const vgs = new Map((JSON.parse(fixture(vgsFixture)) as { report: { vg: Record<string, string>[] }[] }).report[0]!.vg.map((row) => [row['vg_name'], row]));
  const doc = JSON.parse(fixture(lvsFixture)) as { report: { lv: Record<string, string>[] }[] };
  for (const row of doc.report[0]!.lv) {
    const vg = vgs.get(row['vg_name']);
    if (vg !== undefined) for (const key of ['vg_free', 'vg_extent_size', 'vg_size']) if (vg[key] !== undefined) row[key] = vg[key];
  }
  return JSON.stringify(doc);
}

/** A captured lvs report with one more row (the snapshot lvcreate just made). */
function withRow(report: string, row: Record<string, string>): string {
  const doc = JSON.parse(report) as { report: { lv: Record<string, string>[] }[] };
  doc.report[0]!.lv.push(row);
  return JSON.stringify(doc);
}

const classicSnapRow = {
  lv_name: SNAP, vg_name: 'vg0', lv_path: `/dev/vg0/${SNAP}`, lv_attr: 'swi-a-s---', lv_size: '20971520', origin: 'lv_data',
  snap_percent: '0.00', data_percent: '0.00', pool_lv: '', lv_dm_path: `/dev/mapper/vg0-${SNAP}`, lv_tags: 'snapctl,snapctl_volume_data',
};
const stateReply = (attr: string, pct: string): FakeReply => ({
  match: `vg0/${SNAP}$`,
  stdout: `{"report":[{"lv":[{"lv_name":"${SNAP}","lv_attr":"${attr}","snap_percent":"${pct}","data_percent":"${pct}","lv_snapshot_invalid":""}]}]}`,
});

/** lvs: state queries for the snapshot, `before` full listings, then listings that include the snapshot. */
function lvsReplies(before: number, listing: string, row: Record<string, string>, state: FakeReply): FakeReply[] {
  return [state, { stdout: listing, times: before }, { stdout: withRow(listing, row) }];
}

interface Rig {
  bin: FakeBin;
  root: string;
  ctx: TakeContext;
  logs: string[];
  done(): Promise<void>;
}

async function rig(commands: Record<string, FakeReply | FakeReply[]>): Promise<Rig> {
  const root = join(await mkdtemp(join(tmpdir(), 'snapctl-lvmsrc-')), 'mnt');
  const logs: string[] = [];
  const log: StepLog = { info: (m) => logs.push(`info ${m}`), warn: (m) => logs.push(`warn ${m}`) };
  const bin = fakeBin(commands);
  bin.install();
  return {
    bin, root, logs,
    ctx: { host: 'db01', mountRoot: root, runStamp: STAMP, log, signal: new AbortController().signal },
    async done() {
      await bin.cleanup();
      await rm(join(root, '..'), { recursive: true, force: true });
    },
  };
}

// btrfsCopyRefused: not asked of this machine's kernel (a test below says what happens when it refuses).
const fast = { lvm: createLvmAdapter({ removeRetryDelaysMs: [1, 1, 1] }), unmount: { retryDelaysMs: [1] }, btrfsCopyRefused: () => Promise.resolve(false) };

const common = {
  lvcreate: { exitCode: 0 },
  blkid: { stdout: 'ext4\n' },
  mount: { exitCode: 0 },
  umount: { exitCode: 0 },
  udevadm: { exitCode: 0 },
  lvremove: capturedReply('lvremove-ok'),
};

test('classic snapshot: sized in bytes, tagged, mounted ro,noload under the private root, verified, released', async () => {
  const r = await rig({ ...common, lvs: lvsReplies(2, lvsWithVg('lvs-cycle-snapshot.json'), classicSnapRow, stateReply('swi-a-s---', '3.10')) });
  try {
    const source = createLvmSource(fast);
    await source.preflight(volume('lv_data'), r.ctx);
    const prepared = await source.take(volume('lv_data'), r.ctx);
    const target = join(r.root, 'data');
    assert.equal(prepared.dir, target);
    assert.deepEqual(r.bin.argvOf('lvcreate'), [
      ['-qq', '--snapshot', '--name', SNAP, '--size', '20971520b', '--addtag', 'snapctl', '--addtag', 'snapctl_volume_data', 'vg0/lv_data'],
    ]);
    assert.deepEqual(r.bin.argvOf('blkid'), [['-p', '-o', 'value', '-s', 'TYPE', `/dev/vg0/${SNAP}`]]);
    assert.deepEqual(r.bin.argvOf('mount'), [['-t', 'ext4', '-o', 'ro,noload', `/dev/vg0/${SNAP}`, target]]);
    assert.equal((await stat(r.root)).mode & 0o777, 0o700);
    assert.equal(prepared.usagePercent?.(), undefined, 'no usage before verify()');
    assert.equal(await prepared.verify(), undefined);
    assert.equal(prepared.usagePercent?.(), 3.1, 'COW usage seen by verify() is reported for status and metrics');
    await prepared.release();
    const order = r.bin.calls().map((c) => c.cmd);
    // preflight and take each read one lvs report (its rows name the VG too): no vgs.
    assert.deepEqual(order, ['lvs', 'lvs', 'lvcreate', 'lvs', 'udevadm', 'blkid', 'mount', 'lvs', 'umount', 'lvremove']);
    assert.deepEqual(r.bin.argvOf('lvremove'), [['-f', `vg0/${SNAP}`]]);
    await prepared.release();
    assert.equal(r.bin.argvOf('lvremove').length, 1, 'a second release does nothing');
    assert.ok(r.logs.some((l) => l.startsWith(`info creating classic 20.0 MiB snapshot vg0/${SNAP}`)));
  } finally {
    await r.done();
  }
});

test('the lvs report as captured with the VG columns: the snapshot is sized from the row of its origin', async () => {
  const r = await rig({ ...common, lvs: lvsReplies(2, fixture('lvs-vgfields.json'), classicSnapRow, stateReply('swi-a-s---', '0.00')) });
  try {
    const source = createLvmSource(fast);
    await source.preflight(volume('lv_data'), r.ctx);
    const prepared = await source.take(volume('lv_data'), r.ctx);
    // 10% of the 64 MiB origin, in whole extents of 4 MiB (vg_extent_size from the lvs row).
    assert.deepEqual(r.bin.argvOf('lvcreate'), [['-qq', '--snapshot', '--name', SNAP, '--size', '8388608b', '--addtag', 'snapctl', '--addtag', 'snapctl_volume_data', 'vg0/lv_data']]);
    await prepared.release();
  } finally {
    await r.done();
  }
});

test('a VG that no lvs row names (one without LVs, or none of that name): preflight says so, names the VGs holding LVs, and creates nothing', async () => {
  const r = await rig({ ...common, lvs: { stdout: fixture('lvs-vgfields.json') } });
  try {
    const source = createLvmSource(fast);
    const inVg = (vg: string): Volume => testVolume('data', { kind: 'lvm', vg, lv: 'lv_data' }, { retention: { daily: 7 }, snapshotSize: '10%ORIGIN' });
    for (const vg of ['vg_empty', 'vg9']) {
      await assert.rejects(source.preflight(inVg(vg), r.ctx), (e: unknown) =>
        e instanceof SnapctlError && e.kind === 'preflight' && e.summary === `logical volume ${vg}/lv_data not found (volume data)` &&
        e.detail === `no logical volume of a volume group ${vg} is listed (it holds none, or there is no such volume group; vgs lists them); volume groups holding logical volumes: vg0`);
    }
    assert.deepEqual(r.bin.calls().map((c) => c.cmd), ['lvs', 'lvs']);
    assert.deepEqual(r.bin.argvOf('lvcreate'), []);
  } finally {
    await r.done();
  }
});

test('XFS snapshot is mounted with nouuid,norecovery', async () => {
  const r = await rig({ ...common, blkid: { stdout: 'xfs\n' }, lvs: lvsReplies(1, lvsWithVg('lvs-cycle-snapshot.json'), classicSnapRow, stateReply('swi-a-s---', '0.00')) });
  try {
    await createLvmSource(fast).take(volume('lv_data'), r.ctx);
    assert.equal(r.bin.argvOf('mount')[0]?.[3], 'ro,nouuid,norecovery');
  } finally {
    await r.done();
  }
});

const thinSnapRow = (attr: string): Record<string, string> => ({
  lv_name: SNAP, vg_name: 'vg0', lv_path: `/dev/vg0/${SNAP}`, lv_attr: attr, lv_size: '524288000', origin: 'thin_lv',
  snap_percent: '', data_percent: '3.54', pool_lv: 'tpool', lv_dm_path: `/dev/mapper/vg0-${SNAP}`, lv_tags: 'snapctl,snapctl_volume_data',
});

test('thin origin: thin snapshot without a size, created active, no free-space check', async () => {
  // vgs-full: a VG with no free extent must not stop a thin snapshot.
  const r = await rig({ ...common, lvs: lvsReplies(1, lvsWithVg('lvs-thin-full.json', 'vgs-full.stdout'), thinSnapRow('Vwi-a-tz-k'), stateReply('Vwi-aotz-k', '100.00')) });
  try {
    const prepared = await createLvmSource(fast).take(volume('thin_lv', '1G'), r.ctx);
    assert.deepEqual(r.bin.argvOf('lvcreate'), [
      ['-qq', '--snapshot', '--name', SNAP, '--setactivationskip', 'n', '--addtag', 'snapctl', '--addtag', 'snapctl_volume_data', 'vg0/thin_lv'],
    ]);
    assert.deepEqual(r.bin.argvOf('lvchange'), [], 'already active: no lvchange');
    assert.equal(await prepared.verify(), undefined, 'a thin snapshot at 100% data is not an overflow');
    assert.equal(prepared.usagePercent?.(), undefined, 'thin data% is not COW usage');
    await prepared.release();
  } finally {
    await r.done();
  }
});

test('thin snapshot left inactive (activation skip) is activated with lvchange -ay -K before mounting', async () => {
  const r = await rig({ ...common, lvchange: { exitCode: 0 }, lvs: lvsReplies(1, lvsWithVg('lvs-thin-full.json', 'vgs-full.stdout'), thinSnapRow('Vwi---tz-k'), stateReply('Vwi-aotz-k', '1.85')) });
  try {
    await createLvmSource(fast).take(volume('thin_lv'), r.ctx);
    assert.deepEqual(r.bin.argvOf('lvchange'), [['-ay', '-K', `vg0/${SNAP}`]]);
    const order = r.bin.calls().map((c) => c.cmd);
    assert.ok(order.indexOf('lvchange') < order.indexOf('mount'));
  } finally {
    await r.done();
  }
});

test('overflowed snapshot: verify() returns the reason to discard the archive', async () => {
  const overflow: FakeReply = { match: `vg0/${SNAP}$`, stdout: fixture('lvs-overflow.json') };
  const r = await rig({ ...common, lvs: lvsReplies(1, lvsWithVg('lvs-cycle-snapshot.json'), classicSnapRow, overflow) });
  try {
    const prepared = await createLvmSource(fast).take(volume('lv_data'), r.ctx);
    assert.equal(await prepared.verify(), OVERFLOW_REASON);
    assert.match(OVERFLOW_REASON, /^snapshot overflowed \(100% full, invalid\)/);
    await prepared.release();
    assert.equal(r.bin.argvOf('lvremove').length, 1);
  } finally {
    await r.done();
  }
});

test('release retries lvremove on "in use" and then succeeds', async () => {
  const r = await rig({
    ...common,
    lvremove: [{ ...capturedReply('lvremove-inuse'), times: 1 }, capturedReply('lvremove-ok')],
    lvs: lvsReplies(1, lvsWithVg('lvs-cycle-snapshot.json'), classicSnapRow, stateReply('swi-a-s---', '1.00')),
  });
  try {
    const prepared = await createLvmSource(fast).take(volume('lv_data'), r.ctx);
    await prepared.release();
    assert.equal(r.bin.argvOf('lvremove').length, 2);
    assert.ok(r.logs.includes(`info removed snapshot vg0/${SNAP}`));
  } finally {
    await r.done();
  }
});

test('release still removes the snapshot when unmounting fails, then reports the failure', async () => {
  const r = await rig({
    ...common,
    umount: { exitCode: 32, stderr: 'umount: /x: must be superuser to unmount.\n' },
    lvremove: capturedReply('lvremove-inuse'),
    lvs: lvsReplies(1, lvsWithVg('lvs-cycle-snapshot.json'), classicSnapRow, stateReply('swi-a-s---', '1.00')),
  });
  try {
    const prepared = await createLvmSource(fast).take(volume('lv_data'), r.ctx);
    await assert.rejects(prepared.release(), (e: unknown) => e instanceof SnapctlError && /unmounting .* failed/.test(e.detail ?? '') && /removing vg0\/snapctl_data/.test(e.detail ?? ''));
    assert.ok(r.bin.argvOf('lvremove').length >= 1, 'lvremove was tried although umount failed');
  } finally {
    await r.done();
  }
});

test('mount failure: the snapshot is removed before the error propagates', async () => {
  const err = 'mount: /mnt/snap: wrong fs type, bad option, bad superblock on /dev/mapper/vg0-lv_xfs_snap, missing codepage or helper program, or other error.\n';
  const r = await rig({ ...common, mount: { exitCode: 32, stderr: err }, lvs: lvsReplies(1, lvsWithVg('lvs-cycle-snapshot.json'), classicSnapRow, stateReply('swi-a-s---', '0.00')) });
  try {
    await assert.rejects(createLvmSource(fast).take(volume('lv_data'), r.ctx), /mounting .* read-only on .* failed/);
    const order = r.bin.calls().map((c) => c.cmd);
    assert.deepEqual(order.slice(-2), ['mount', 'lvremove']);
    assert.deepEqual(r.bin.argvOf('lvremove'), [['-f', `vg0/${SNAP}`]]);
    assert.ok(r.logs.includes(`info undo: remove vg0/${SNAP}`));
  } finally {
    await r.done();
  }
});

test('no filesystem on the snapshot: removed, error names the device', async () => {
  const r = await rig({ ...common, blkid: { exitCode: 2 }, lvs: lvsReplies(1, lvsWithVg('lvs-cycle-snapshot.json'), classicSnapRow, stateReply('swi-a-s---', '0.00')) });
  try {
    await assert.rejects(createLvmSource(fast).take(volume('lv_data'), r.ctx), /no filesystem found on snapshot \/dev\/vg0\/snapctl_data/);
    assert.equal(r.bin.argvOf('lvremove').length, 1);
    assert.equal(r.bin.argvOf('mount').length, 0);
  } finally {
    await r.done();
  }
});

test('insufficient free space: preflight names both numbers, and nothing is created', async () => {
  const r = await rig({ ...common, lvs: { stdout: lvsWithVg('lvs-cycle-snapshot.json', 'vgs-thin-fill.json') } });
  try {
    const source = createLvmSource(fast);
    const expected = 'volume group vg0 has 16.0 MiB (16777216 bytes) free, the snapshot of vg0/lv_data needs 52.0 MiB (54525952 bytes, 13 extents of 4.0 MiB)';
    await assert.rejects(source.preflight(volume('lv_data', '50M'), r.ctx), (e: unknown) => e instanceof SnapctlError && e.kind === 'preflight' && e.summary === expected);
    await assert.rejects(source.take(volume('lv_data', '50M'), r.ctx), (e: unknown) => e instanceof SnapctlError && e.summary === expected);
    assert.deepEqual(r.bin.argvOf('lvcreate'), []);
  } finally {
    await r.done();
  }
});

test('an origin holding a mounted btrfs whose snapshot the kernel will not mount: preflight refuses, naming the btrfs volume to use instead, and nothing is created', async () => {
  const r = await rig({ ...common, lvs: { stdout: lvsWithVg('lvs-cycle-snapshot.json') } });
  try {
    const asked: string[] = [];
    const refusedFor = (answer: boolean) => (device: string): Promise<boolean> => {
      asked.push(device);
      return Promise.resolve(answer);
    };
    const data = testVolume('data', { kind: 'lvm', vg: 'vg0', lv: 'lv_data' }, { retention: { daily: 7 }, snapshotSize: '10%ORIGIN', mount: '/srv/data' });
    const refused = (e: unknown): boolean =>
      e instanceof SnapctlError &&
      e.kind === 'preflight' &&
      e.summary.startsWith('vg0/lv_data holds a mounted btrfs, and this kernel cannot mount a block-level snapshot of a mounted btrfs') &&
      e.summary.endsWith('(volume data)') &&
      e.detail === 'archive it as a btrfs volume instead (btrfs: /srv/data): a native read-only snapshot, which needs no LVM snapshot space; nothing was created';
    const refusing = createLvmSource({ ...fast, btrfsCopyRefused: refusedFor(true) });
    await assert.rejects(refusing.preflight(data, r.ctx), refused);
    await assert.rejects(refusing.take(data, r.ctx), refused);
    assert.deepEqual(r.bin.argvOf('lvcreate'), []);
    assert.deepEqual(asked, ['/dev/vg0/lv_data', '/dev/vg0/lv_data'], 'asked about the origin');
    await createLvmSource({ ...fast, btrfsCopyRefused: refusedFor(false) }).preflight(data, r.ctx);
  } finally {
    await r.done();
  }
});

test('missing origin: preflight error lists the LVs of the volume group', async () => {
  const r = await rig({ ...common, lvs: { stdout: lvsWithVg('lvs-cycle-snapshot.json') } });
  try {
    await assert.rejects(createLvmSource(fast).preflight(volume('lv_nope'), r.ctx), (e: unknown) =>
      e instanceof SnapctlError && e.summary === 'logical volume vg0/lv_nope not found (volume data)' && e.detail === 'logical volumes in vg0: lv_data, lv_data_snap, lv_xfs');
  } finally {
    await r.done();
  }
});

test('an unparseable snapshot.size is an input error on the policy key', async () => {
  const r = await rig({ ...common, lvs: { stdout: lvsWithVg('lvs-cycle-snapshot.json') } });
  try {
    await assert.rejects(createLvmSource(fast).preflight(volume('lv_data', 'lots'), r.ctx), (e: unknown) =>
      e instanceof SnapctlError && e.kind === 'input' && e.keyPath === 'volumes.data.snapshot.size');
  } finally {
    await r.done();
  }
});

test('leftover cleanup removes a tagged snapshot but refuses an untagged one', async () => {
  const r = await rig({ lvs: { stdout: lvsWithVg('lvs-tagged.json') }, lvremove: capturedReply('lvremove-ok') });
  try {
    await cleanupLvmLeftover({ kind: 'lvm-snapshot', vg: 'vg0', lv: SNAP }, r.ctx.log, fast);
    assert.deepEqual(r.bin.argvOf('lvremove'), [['-f', `vg0/${SNAP}`]]);
    await assert.rejects(cleanupLvmLeftover({ kind: 'lvm-snapshot', vg: 'vg0', lv: 'my-own_snap' }, r.ctx.log, fast), /refusing to remove vg0\/my-own_snap/);
    await assert.rejects(cleanupLvmLeftover({ kind: 'lvm-snapshot', vg: 'vg0', lv: 'lv_data' }, r.ctx.log, { ...fast, legacy: true }), /not a snapshot/);
    await cleanupLvmLeftover({ kind: 'lvm-snapshot', vg: 'vg0', lv: 'lv_data_snap' }, r.ctx.log, { ...fast, legacy: true });
    assert.deepEqual(r.bin.argvOf('lvremove'), [['-f', `vg0/${SNAP}`], ['-f', 'vg0/lv_data_snap']]);
  } finally {
    await r.done();
  }
});
