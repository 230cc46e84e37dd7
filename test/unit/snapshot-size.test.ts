import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkFreeSpace, formatBytes, parseSnapshotSize, snapshotBytes } from '../../src/core/snapshot-size.js';

const MiB = 2 ** 20;
const GiB = 2 ** 30;
// The captured VG: 4 MiB extents, 1020 MiB total; the origin lv_data is 200 MiB.
const basis = { originBytes: 200 * MiB, vgFreeBytes: 520 * MiB, vgSizeBytes: 1020 * MiB, extentBytes: 4 * MiB };

const table: readonly [string, number][] = [
  ['10%ORIGIN', 20 * MiB],
  ['11%ORIGIN', 24 * MiB], // 22 MiB rounds up to 6 extents
  ['100%ORIGIN', 200 * MiB],
  ['10%origin', 20 * MiB],
  ['50%FREE', 260 * MiB],
  ['100%FREE', 520 * MiB],
  ['10%VG', 104 * MiB], // 102 MiB → 26 extents
  ['50M', 52 * MiB], // what lvcreate calls "Rounding up size to full physical extent 52.00 MiB"
  ['512M', 512 * MiB],
  ['512m', 512 * MiB],
  ['2G', 2 * GiB],
  ['1.5g', 1.5 * GiB],
  ['4096s', 4 * MiB],
  ['8193s', 8 * MiB], // one sector past 4 MiB
  ['1b', 4 * MiB], // at least one extent
  ['1048576B', 4 * MiB],
  ['3K', 4 * MiB],
  ['1t', 2 ** 40],
];

for (const [text, bytes] of table) {
  test(`snapshot size ${text} → ${bytes} bytes (whole 4 MiB extents)`, () => {
    const parsed = parseSnapshotSize(text);
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
    const size = snapshotBytes(parsed.value, basis);
    assert.deepEqual(size, { ok: true, value: bytes });
    assert.equal(size.ok && size.value % basis.extentBytes, 0);
  });
}

for (const text of ['', '10', '10%', '0%ORIGIN', '150%FREE', '10%PVS', 'lots', '-1G', '2GB', '0M']) {
  test(`snapshot size "${text}" is refused with a message`, () => {
    const parsed = parseSnapshotSize(text);
    assert.equal(parsed.ok, false);
    assert.match(parsed.ok ? '' : parsed.error, /snapshot size/);
  });
}

test('a bare number is refused because -L and -l read it differently', () => {
  const parsed = parseSnapshotSize('512');
  assert.match(parsed.ok ? '' : parsed.error, /has no unit/);
});

test('%VG without a known VG size is an error, not a guess', () => {
  const parsed = parseSnapshotSize('10%VG');
  assert.ok(parsed.ok);
  const result = snapshotBytes(parsed.value, { originBytes: 1, vgFreeBytes: 1, extentBytes: 4 * MiB });
  assert.equal(result.ok, false);
});

test('free-space message names free and needed sizes in human units, bytes and extents', () => {
  assert.equal(
    checkFreeSpace({ vg: 'vg0', origin: 'vg0/lv_data', needBytes: 52 * MiB, freeBytes: 16 * MiB, extentBytes: 4 * MiB }),
    'volume group vg0 has 16.0 MiB (16777216 bytes) free, the snapshot of vg0/lv_data needs 52.0 MiB (54525952 bytes, 13 extents of 4.0 MiB)',
  );
});

test('no message when the snapshot fits exactly', () => {
  assert.equal(checkFreeSpace({ vg: 'vg0', origin: 'vg0/lv_data', needBytes: 16 * MiB, freeBytes: 16 * MiB, extentBytes: 4 * MiB }), undefined);
});

test('formatBytes uses powers of 1024 with one decimal', () => {
  assert.equal(formatBytes(0), '0 bytes');
  assert.equal(formatBytes(1023), '1023 bytes');
  assert.equal(formatBytes(4 * MiB), '4.0 MiB');
  assert.equal(formatBytes(1.5 * GiB), '1.5 GiB');
});
