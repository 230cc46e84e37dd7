import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyLvmError, LvmReportError, parseLvs, parseLvsReport, parseReportBytes, parseSnapshotState, parseVgs } from '../../src/adapters/lvm-parse.js';
import { fixture } from '../helpers/fake-bin.js';

test('vgs report with the B suffix (--units b) gives free and extent bytes', () => {
  assert.deepEqual(parseVgs(fixture('vgs-cycle.json')), [{ name: 'vg0', freeBytes: 545259520, extentBytes: 4194304 }]);
});

test('vgs report with --nosuffix parses the same numbers', () => {
  assert.deepEqual(parseVgs(fixture('vgs-nosuffix.json')), [{ name: 'vg0', freeBytes: 16777216, extentBytes: 4194304 }]);
});

test('vgs report with vg_size fills sizeBytes', () => {
  assert.deepEqual(parseVgs(fixture('vgs-thin-fill.json')), [{ name: 'vg0', freeBytes: 16777216, extentBytes: 4194304, sizeBytes: 1069547520 }]);
});

test('a full volume group reports 0 free bytes', () => {
  assert.equal(parseVgs(fixture('vgs-full.stdout'))[0]?.freeBytes, 0);
});

test('a missing volume group: empty report, stderr classified as vg-not-found', () => {
  assert.deepEqual(parseVgs(fixture('vgs-notfound.stdout')), []);
  const failure = classifyLvmError(fixture('vgs-notfound.stderr'));
  assert.equal(failure.kind, 'vg-not-found');
  assert.equal(failure.kind === 'vg-not-found' && failure.vg, 'nosuchvg');
});

test('lvs report: origin, classic snapshot with its percent, paths, no tags', () => {
  const lvs = parseLvs(fixture('lvs-cycle-snapshot.json'));
  assert.equal(lvs.length, 3);
  assert.deepEqual(lvs[0], {
    vg: 'vg0', name: 'lv_data', attr: 'owi-aos---', sizeBytes: 209715200, origin: '', tags: [],
    path: '/dev/vg0/lv_data', dmPath: '/dev/mapper/vg0-lv_data', pool: '',
  });
  assert.deepEqual(lvs[1], {
    vg: 'vg0', name: 'lv_data_snap', attr: 'swi-a-s---', sizeBytes: 20971520, origin: 'lv_data', percent: 0.06, tags: [],
    path: '/dev/vg0/lv_data_snap', dmPath: '/dev/mapper/vg0-lv_data_snap', pool: '',
  });
});

test('lvs report in human units (200.00m) still gives bytes and derived device paths', () => {
  const lvs = parseLvs(fixture('lvs-cycle-human.json'));
  assert.equal(lvs[0]?.sizeBytes, 200 * 2 ** 20);
  assert.equal(lvs[1]?.sizeBytes, 300 * 2 ** 20);
  assert.equal(lvs[0]?.path, '/dev/vg0/lv_data');
  assert.equal(lvs[0]?.dmPath, '/dev/mapper/vg0-lv_data');
});

test('thin LVs: pool, data_percent as percent, B-suffixed sizes', () => {
  const lvs = parseLvs(fixture('lvs-thin.stdout'));
  const snap = lvs.find((l) => l.name === 'thin_snap');
  assert.equal(snap?.attr, 'Vwi-a-tz-k');
  assert.equal(snap?.pool, 'tpool');
  assert.equal(snap?.origin, 'thin_lv');
  assert.equal(snap?.sizeBytes, 314572800);
  assert.equal(snap?.percent, 0);
  assert.equal(parseLvs(fixture('lvs-thin-active.json')).find((l) => l.name === 'thin_snap')?.percent, 1.85);
});

test('lv_tags: comma-separated string and json_std array', () => {
  const lvs = parseLvs(fixture('lvs-tagged.json'));
  assert.deepEqual(lvs.find((l) => l.name === 'snapctl_data_20261126T030000Z')?.tags, ['snapctl', 'snapctl_volume_data']);
  assert.deepEqual(lvs.find((l) => l.name === 'my-own_snap')?.tags, ['keep']);
  const std = '{"report":[{"lv":[{"lv_name":"a","vg_name":"v","lv_tags":["snapctl","x"]}]}]}';
  assert.deepEqual(parseLvs(std)[0]?.tags, ['snapctl', 'x']);
});

test('a missing LV: empty report, stderr classified as lv-not-found', () => {
  assert.deepEqual(parseLvs(fixture('lvs-notfound.stdout')), []);
  assert.deepEqual(classifyLvmError(fixture('lvs-notfound.stderr')), { kind: 'lv-not-found', lv: 'vg0/nonexistent', message: 'Failed to find logical volume "vg0/nonexistent"' });
});

test('an overflowed snapshot is invalid (attr I, 100%)', () => {
  assert.deepEqual(parseSnapshotState(fixture('lvs-overflow.json')), { attr: 'swi-I-s---', percent: 100, invalid: true });
});

test('a healthy classic snapshot is valid; a COW at 100% without the I flag is still invalid', () => {
  const row = (attr: string, pct: string): string => `{"report":[{"lv":[{"lv_attr":"${attr}","snap_percent":"${pct}","lv_snapshot_invalid":""}]}]}`;
  assert.deepEqual(parseSnapshotState(row('swi-a-s---', '0.06')), { attr: 'swi-a-s---', percent: 0.06, invalid: false });
  assert.equal(parseSnapshotState(row('swi-a-s---', '100.00'))?.invalid, true);
});

test('a thin snapshot at 100% data is not invalid (thin snapshots do not overflow)', () => {
  const s = '{"report":[{"lv":[{"lv_attr":"Vwi-a-tz-k","snap_percent":"","data_percent":"100.00","lv_snapshot_invalid":""}]}]}';
  assert.equal(parseSnapshotState(s)?.invalid, false);
});

test('a healthy thin snapshot as real lvs reports it (lv_snapshot_invalid "unknown") is not invalid', () => {
  // Captured from lvm2 2.03.16 on Debian 12: a thin snapshot just after lvcreate -s -kn.
  const s = '{"report":[{"lv":[{"lv_name":"tsnap", "lv_attr":"Vwi-a-tz--", "snap_percent":"0.00", "data_percent":"0.00", "lv_snapshot_invalid":"unknown"}]}]}';
  assert.deepEqual(parseSnapshotState(s), { attr: 'Vwi-a-tz--', percent: 0, invalid: false });
});

test('insufficient free space: VG, free and required extents', () => {
  assert.deepEqual(classifyLvmError(fixture('lvcreate-insufficient.stderr')), {
    kind: 'insufficient-space', vg: 'vg0', freeExtents: 4, requiredExtents: 13,
    message: 'Volume group "vg0" has insufficient free space (4 extents): 13 required.',
  });
});

test('missing origin, existing name, missing size, missing LV on lvremove', () => {
  assert.deepEqual(classifyLvmError(fixture('lvcreate-origin-notfound.stderr')), { kind: 'lv-not-found', lv: 'vg0/does_not_exist', message: 'Snapshot origin LV does_not_exist not found in Volume group vg0.' });
  assert.deepEqual(classifyLvmError(fixture('lvcreate-exists.stderr')), { kind: 'already-exists', lv: 'vg0/snap', message: 'Logical Volume "snap" already exists in volume group "vg0"' });
  assert.equal(classifyLvmError(fixture('lvcreate-nosize.stderr')).kind, 'size-required');
  assert.equal(classifyLvmError(fixture('lvremove-notfound.stderr')).kind, 'lv-not-found');
});

test('"contains a filesystem in use" and "in use" are in-use', () => {
  assert.deepEqual(classifyLvmError(fixture('lvremove-inuse.stderr')), {
    kind: 'in-use', lv: 'vg0/snapctl_data_20261126T030000Z', message: 'Logical volume vg0/snapctl_data_20261126T030000Z contains a filesystem in use.',
  });
  assert.equal(classifyLvmError(fixture('lvremove-inuse-open.stderr')).kind, 'in-use');
});

test('unknown errors keep their text; WARNING lines are dropped', () => {
  assert.deepEqual(classifyLvmError(fixture('lvcreate-reportformat.stderr')), {
    kind: 'other', message: "Option --reportformat is unsupported with snapshots.\nRun `lvcreate --help' for more information.",
  });
  assert.deepEqual(classifyLvmError(fixture('lvcreate-thin-snapshot.stderr')), { kind: 'other', message: '' });
});

test('report bytes: suffix, no suffix, empty', () => {
  assert.equal(parseReportBytes('545259520B'), 545259520);
  assert.equal(parseReportBytes('545259520'), 545259520);
  assert.equal(parseReportBytes('4.00m'), 4194304);
  assert.equal(parseReportBytes(''), undefined);
});

test('output that is not a JSON report is an LvmReportError', () => {
  assert.throws(() => parseLvs('  LV   VG   Attr\n'), LvmReportError);
  assert.throws(() => parseVgs('{"nope":1}'), LvmReportError);
});

test('a stray line before the JSON report does not break parsing', () => {
  assert.equal(parseVgs(`  WARNING: something\n${fixture('vgs-cycle.json')}`)[0]?.freeBytes, 545259520);
});

test('an lvs report with VG fields gives the LVs and each VG holding them once; one without them gives no VG', () => {
  const report = parseLvsReport(fixture('lvs-vgfields.json'));
  assert.deepEqual(report.vgs, [{ name: 'vg0', freeBytes: 4047503360, extentBytes: 4194304, sizeBytes: 4290772992 }]);
  assert.deepEqual(report.lvs, parseLvs(fixture('lvs-vgfields.json')));
  assert.deepEqual(report.lvs.map((l) => [l.name, l.sizeBytes, l.pool]), [['lv_data', 67108864, ''], ['lv_data_snap', 33554432, ''], ['lv_thin', 268435456, 'pool'], ['pool', 134217728, '']]);
  assert.deepEqual(parseLvsReport(fixture('lvs-cycle-snapshot.json')).vgs, []);
  assert.deepEqual(parseLvsReport(fixture('vgs-with-empty.json')), { lvs: [], vgs: [] });
});

test('vgs lists a VG without LVs, which no lvs row names', () => {
  assert.deepEqual(parseVgs(fixture('vgs-with-empty.json')).map((g) => g.name), ['vg0', 'vg_empty']);
});
