// What plan says in advance about an LVM volume from lvs: here the thin
// pool fill and an origin that is itself a snapshot (the golden plan
// fixtures cover the same on captured output).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lvmPreflight } from '../../src/core/lvm-preflight.js';
import type { LogicalVolume, LvmState } from '../../src/core/model.js';
import { testVolume } from '../helpers/volume.js';

function lv(name: string, attr: string, extra: Partial<LogicalVolume> = {}): LogicalVolume {
  return { vg: 'vg0', name, attr, sizeBytes: 1 << 30, origin: '', tags: [], path: `/dev/vg0/${name}`, dmPath: `/dev/mapper/vg0-${name}`, pool: '', ...extra };
}

function state(pool: Partial<LogicalVolume>): LvmState {
  return {
    available: true,
    vgs: [{ name: 'vg0', freeBytes: 1 << 30, extentBytes: 4 << 20 }],
    lvs: [lv('thin_lv', 'Vwi-aotz--', { pool: 'tpool' }), lv('tpool', 'twi-aotz--', pool), lv('snap', 'swi-a-s---', { origin: 'lv_data' }), lv('bad', 'Swi-I-s---', { origin: 'lv_data' })],
  };
}

const thin = testVolume('thin', { kind: 'lvm', vg: 'vg0', lv: 'thin_lv' });
const messages = (s: LvmState, v = thin): string[] => lvmPreflight(v, s).map((d) => `${d.severity}: ${d.message}`);

test('a thin pool 80% full or more, by data or metadata, is a warning naming which; below that, nothing', () => {
  assert.deepEqual(messages(state({ percent: 79.99, metadataPercent: 50 })), []);
  assert.deepEqual(messages(state({})), [], 'no percentages reported');
  assert.deepEqual(messages(state({ percent: 80, metadataPercent: 12 })), [
    'warning: thin pool vg0/tpool is full to data 80%: the snapshot adds to it while the origin changes, and a full pool stops writes to every thin volume in it (lvextend the pool)',
  ]);
  assert.deepEqual(messages(state({ percent: 95.5, metadataPercent: 88.1 })).map((m) => m.replace(/: the snapshot.*/, '')), ['warning: thin pool vg0/tpool is full to data 95.5%, metadata 88.1%']);
  assert.deepEqual(messages(state({ percent: 10, metadataPercent: 90 })).map((m) => m.replace(/: the snapshot.*/, '')), ['warning: thin pool vg0/tpool is full to metadata 90%']);
});

test('a VG that no lvs row names: the LV is missing, and the message says the report cannot tell an empty VG from an absent one', () => {
  assert.deepEqual(messages(state({}), testVolume('data', { kind: 'lvm', vg: 'vg9', lv: 'lv_data' })), [
    'error: logical volume vg9/lv_data not found: no logical volume of a volume group vg9 is listed (it holds none, or there is no such volume group; vgs lists them); apply will fail for this volume',
  ]);
  assert.deepEqual(messages(state({}), testVolume('data', { kind: 'lvm', vg: 'vg0', lv: 'lv_data' })), ['error: logical volume vg0/lv_data not found: apply will fail for this volume']);
});

test('an origin that is itself a snapshot, valid or invalid, is an error', () => {
  for (const name of ['snap', 'bad']) {
    assert.deepEqual(messages(state({}), testVolume('v', { kind: 'lvm', vg: 'vg0', lv: name })), [`error: vg0/${name} is itself a snapshot: name its origin instead; apply will fail for this volume`]);
  }
});

test('an origin that is not active (lv_attr "-wi-------", as lvs showed after lvchange -an) is an error; active ones and thin ones are not', () => {
  const base = state({});
  const s: LvmState = base.available ? { ...base, lvs: [...base.lvs, lv('off', '-wi-------'), lv('on', '-wi-ao----'), lv('thin_off', 'Vwi---tz--', { pool: 'tpool' })] } : base;
  assert.deepEqual(messages(s, testVolume('v', { kind: 'lvm', vg: 'vg0', lv: 'off' })), [
    'error: vg0/off is not active (lv_attr -wi-------): its snapshot would have no device to mount; activate it (lvchange -ay vg0/off); apply will fail for this volume',
  ]);
  assert.deepEqual(messages(s, testVolume('v', { kind: 'lvm', vg: 'vg0', lv: 'on' })), []);
  assert.deepEqual(messages(s, testVolume('v', { kind: 'lvm', vg: 'vg0', lv: 'thin_off' })).map((m) => m.replace(/ \(lv_attr.*/, '')), ['error: vg0/thin_off is not active']);
});

test('what blkid found on the origin: swap or a LUKS container is an error naming it, nothing recognised is an error, a file system or not looked is none', () => {
  const v = testVolume('v', { kind: 'lvm', vg: 'vg0', lv: 'thin_lv' });
  const withContent = (content: string | null | undefined): string[] => lvmPreflight(v, state({}), content).map((d) => `${d.severity}: ${d.message}`);
  assert.deepEqual(withContent('swap'), ['error: vg0/thin_lv holds a swap area (blkid: swap), not a file system: apply will fail for this volume']);
  assert.match(withContent('crypto_LUKS')[0] ?? '', /^error: vg0\/thin_lv holds an encrypted LUKS container/);
  assert.deepEqual(withContent(null), ['error: vg0/thin_lv holds no file system that blkid recognises: apply will fail for this volume']);
  assert.deepEqual(withContent('ext4'), []);
  assert.deepEqual(withContent(undefined), []);
});

test('an archive written onto the origin itself: an error when the newest archive alone would fill the snapshot, a warning from half of it, nothing without an estimate or for a thin origin', () => {
  // lv_data: 1 GiB; 10%ORIGIN is 104 MiB in whole 4 MiB extents.
  const base = state({});
  const s: LvmState = base.available ? { ...base, lvs: [...base.lvs, lv('lv_data', '-wi-ao----')] } : base;
  const v = { ...testVolume('data', { kind: 'lvm', vg: 'vg0', lv: 'lv_data' }), snapshotSize: '10%ORIGIN' };
  const said = (estimateBytes?: number, volume = v): string[] =>
    lvmPreflight(volume, s, 'ext4', { inside: 'backup', ...(estimateBytes !== undefined ? { estimateBytes } : {}) }).map((d) => `${d.severity}: ${d.message}`);
  const MiB = 1 << 20;
  assert.deepEqual(said(), [], 'no archive yet: no estimate');
  assert.deepEqual(said(51 * MiB), [], 'under half of the snapshot');
  assert.deepEqual(said(60 * MiB), [
    "warning: the backup directory lies on this volume's LV (./backup), so the snapshot also holds a copy of every block of the archive written there: an archive the size of the newest (60.0 MiB) takes 58% of the 104.0 MiB snapshot, leaving little for the origin's own changes before it overflows; put backupDir on another LV, or give snapshot.size more room",
  ]);
  assert.deepEqual(said(104 * MiB), [
    "error: the backup directory lies on this volume's LV (./backup), so the snapshot also holds a copy of every block of the archive written there: an archive the size of the newest (104.0 MiB) overflows the 104.0 MiB snapshot, and apply will discard it; put backupDir on another LV, or give snapshot.size more room",
  ]);
  assert.deepEqual(said(104 * MiB, { ...v, snapshotSize: '100%ORIGIN' }), [], 'room enough');
  assert.deepEqual(said(10 << 30, { ...v, source: { kind: 'lvm', vg: 'vg0', lv: 'thin_lv' } }), [], 'a thin snapshot has no COW area of its own');
});

test('an archive written onto a thin origin: a warning when it would fill the pool or take it past 80% (the pool may autoextend: not an error), nothing below', () => {
  const v = testVolume('thin', { kind: 'lvm', vg: 'vg0', lv: 'thin_lv' });
  const said = (percent: number | undefined, estimateBytes?: number): string[] =>
    lvmPreflight(v, state(percent === undefined ? {} : { percent }), 'ext4', { inside: 'backup', ...(estimateBytes !== undefined ? { estimateBytes } : {}) }).map((d) => `${d.severity}: ${d.message}`);
  const MiB = 1 << 20;
  // The pool: 1 GiB, half used, 512 MiB free.
  assert.deepEqual(said(50, 600 * MiB), [
    'warning: the backup directory lies on this thin volume (./backup), so each archive written there takes new blocks from thin pool vg0/tpool: an archive the size of the newest (600.0 MiB) fills its 512.0 MiB free unless the pool autoextends (thin_pool_autoextend_threshold in lvm.conf), and a full pool stops writes to every thin volume in it; put backupDir on an LV outside the pool, or lvextend the pool',
  ]);
  assert.deepEqual(said(50, 400 * MiB), [
    'warning: the backup directory lies on this thin volume (./backup), so each archive written there takes new blocks from thin pool vg0/tpool: an archive the size of the newest (400.0 MiB) takes it from 50% to about 89% full; put backupDir on an LV outside the pool, or lvextend the pool',
  ]);
  assert.deepEqual(said(50, 100 * MiB), [], 'to about 60%');
  assert.deepEqual(said(50), [], 'no archive yet');
  assert.deepEqual(said(undefined, 600 * MiB), [], 'pool fill not reported');
  assert.deepEqual(said(85, 10 * MiB).map((m) => m.replace(/ is full to.*/, '')), ['warning: thin pool vg0/tpool'], 'past 80% already: the pool warning alone');
  assert.match(said(95, 60 * MiB).join('\n'), /^warning: [^\n]*fills its 51\.2 MiB free unless[^\n]*$/, 'one warning, the archive\'s, not the fill warning too');
});

test('an origin holding a mounted btrfs whose snapshot the kernel will not mount is an error naming the btrfs volume to use instead', () => {
  const on = (refused: boolean, mount?: string): string[] =>
    lvmPreflight(testVolume('v', { kind: 'lvm', vg: 'vg0', lv: 'thin_lv' }, mount === undefined ? {} : { mount }), state({}), 'btrfs', undefined, refused).map((d) => `${d.severity}: ${d.message}`);
  assert.deepEqual(on(true, '/srv/data'), [
    'error: vg0/thin_lv holds a mounted btrfs, and this kernel cannot mount a block-level snapshot of a mounted btrfs: the snapshot has the same file system UUID (Linux 6.7 and later mount such a copy under a temporary one): apply will fail for this volume; archive it as a btrfs volume instead (btrfs: /srv/data): a native read-only snapshot, which needs no LVM snapshot space',
  ]);
  assert.match(on(true)[0] ?? '', /\(btrfs: its mount point\)/, 'no mount in the policy');
  assert.deepEqual(on(false), [], 'not mounted, or a kernel with temp-fsid');
});
