import { test } from 'node:test';
import assert from 'node:assert/strict';
import { archiveName, classifyBackupDir, compressionExtension } from '../../src/core/naming.js';
import type { Volume } from '../../src/core/model.js';
import { testVolume } from '../helpers/volume.js';

function volume(name: string, legacyPrefix?: string): Volume {
  return testVolume(name, { kind: 'path', path: `/${name}` }, legacyPrefix !== undefined ? { legacyPrefix } : {});
}

const ZONE = 'Europe/Berlin';
const VOLUMES = [volume('data', 'db01_data'), volume('var_lib.mongo', 'db01_var_lib_mongo'), volume('var')];

test('archiveName writes <host>_<volume>.<UTC stamp>.tar<ext> at seconds precision', () => {
  const ms = Date.parse('2026-11-26T03:04:05.999Z');
  assert.equal(archiveName('db01', 'data', ms, 'zstd'), 'db01_data.20261126T030405Z.tar.zst');
  assert.equal(archiveName('db01', 'data', ms, 'gzip'), 'db01_data.20261126T030405Z.tar.gz');
  assert.equal(archiveName('db01', 'data', ms, 'xz'), 'db01_data.20261126T030405Z.tar.xz');
  assert.equal(archiveName('db01', 'data', ms, 'none'), 'db01_data.20261126T030405Z.tar');
  assert.equal(compressionExtension('none'), '');
});

test('classify round-trips archiveName for every compression and a volume with "_" and "."', () => {
  const ms = Date.parse('2026-11-26T03:04:05Z');
  for (const c of ['zstd', 'gzip', 'xz', 'none'] as const) {
    const file = archiveName('db01', 'var_lib.mongo', ms, c);
    const { archives, others } = classifyBackupDir([file], 'db01', VOLUMES, ZONE);
    assert.deepEqual(archives, [{ file, volume: 'var_lib.mongo', time: ms, format: 'snapctl', compression: c, hasSidecar: false }]);
    assert.deepEqual(others, []);
  }
});

test('a volume name that is a prefix of another does not steal its archives', () => {
  const file = archiveName('db01', 'var_lib.mongo', 0, 'zstd');
  const { archives } = classifyBackupDir([file, archiveName('db01', 'var', 0, 'zstd')], 'db01', VOLUMES, ZONE);
  assert.deepEqual(archives.map((a) => a.volume).sort(), ['var', 'var_lib.mongo']);
});

test('legacy py_snap names are adopted with their local (Berlin) timestamp', () => {
  const files = ['db01_data.2026-11-20:03:00:00.tar.gz', 'db01_var_lib_mongo.2026-07-01:03:00:00.tar'];
  const { archives, others } = classifyBackupDir(files, 'db01', VOLUMES, ZONE);
  assert.deepEqual(others, []);
  assert.deepEqual(archives, [
    { file: files[0], volume: 'data', time: Date.parse('2026-11-20T02:00:00Z'), format: 'legacy', compression: 'gzip', hasSidecar: false },
    { file: files[1], volume: 'var_lib.mongo', time: Date.parse('2026-07-01T01:00:00Z'), format: 'legacy', compression: 'none', hasSidecar: false },
  ]);
});

test('a legacy timestamp in the repeated autumn hour reads as the earlier instant', () => {
  const { archives } = classifyBackupDir(['db01_data.2026-10-25:02:30:00.tar.gz'], 'db01', VOLUMES, ZONE);
  assert.equal(archives[0]?.time, Date.parse('2026-10-25T00:30:00Z'));
});

test('hasSidecar follows <archive>.sha256, and that sidecar is not listed separately', () => {
  const a = 'db01_data.20261126T030000Z.tar.zst';
  const b = 'db01_data.20261125T030000Z.tar.zst';
  const { archives, others } = classifyBackupDir([a, `${a}.sha256`, b], 'db01', VOLUMES, ZONE);
  assert.deepEqual(archives.map((x) => [x.file, x.hasSidecar]), [[a, true], [b, false]]);
  assert.deepEqual(others, []);
});

test('partials and orphan sidecars of policy volumes are recognised with their volume', () => {
  const files = ['db01_data.20261126T030000Z.tar.zst.partial', 'db01_data.20261126T030000Z.tar.zst.sha256.partial', 'db01_var.20261120T030000Z.tar.sha256'];
  const { archives, others } = classifyBackupDir(files, 'db01', VOLUMES, ZONE);
  assert.deepEqual(archives, []);
  assert.deepEqual(others, [
    { file: files[0], kind: 'partial', volume: 'data' },
    { file: files[1], kind: 'partial', volume: 'data' },
    { file: files[2], kind: 'orphan-sidecar', volume: 'var' },
  ]);
});

test('everything not provably ours is unmanaged: foreign volumes, other hosts, bad dates, stray suffixes', () => {
  const files = [
    'db01_other.20261126T030000Z.tar.zst', // volume not in the policy
    'db02_data.20261126T030000Z.tar.zst', // another host
    'db01_data.20261341T030000Z.tar.zst', // month 13
    'db01_data.2026-02-30:03:00:00.tar.gz', // 30 February
    'db01_data.20261126T030000Z.tar.bz2',
    'db01_data.2026-11-20:03:00:00.tar.zst', // py_snap never wrote zstd
    'notes.txt',
    'notes.txt.sha256',
    'random.partial',
    'db01_other.20261126T030000Z.tar.zst.partial',
    'db01_other.20261126T030000Z.tar.zst.sha256',
  ];
  const { archives, others } = classifyBackupDir(files, 'db01', VOLUMES, ZONE);
  assert.deepEqual(archives, []);
  assert.deepEqual(others.map((o) => o.kind), files.map(() => 'unmanaged'));
  assert.deepEqual(others.map((o) => o.file), [...files].sort());
});

test('archives come newest first, equal times by file name, legacy and snapctl mixed', () => {
  const files = [
    'db01_data.2026-11-20:04:00:00.tar.gz', // 03:00Z
    'db01_data.20261120T030000Z.tar.zst',
    'db01_data.20261120T030000Z.tar.gz',
    'db01_data.20261121T030000Z.tar.zst',
  ];
  const { archives } = classifyBackupDir(files, 'db01', VOLUMES, ZONE);
  assert.deepEqual(archives.map((a) => a.file), [
    'db01_data.20261121T030000Z.tar.zst',
    'db01_data.2026-11-20:04:00:00.tar.gz',
    'db01_data.20261120T030000Z.tar.gz',
    'db01_data.20261120T030000Z.tar.zst',
  ]);
});

test('classifies 100,000 names (scale: no per-name quadratic work; speed is measured by npm run bench)', () => {
  const files: string[] = [];
  for (let i = 0; i < 50_000; i++) {
    const name = archiveName('db01', i % 2 === 0 ? 'data' : 'var_lib.mongo', Date.UTC(2015, 0, 1) + i * 3_600_000, 'zstd');
    files.push(name, `${name}.sha256`);
  }
  const { archives, others } = classifyBackupDir(files, 'db01', VOLUMES, ZONE);
  assert.equal(archives.length, 50_000);
  assert.equal(others.length, 0);
});

test('classifies 100,000 legacy names (local time) (scale: no per-name quadratic work; speed is measured by npm run bench)', () => {
  const files: string[] = [];
  for (let i = 0; i < 100_000; i++) {
    const d = new Date(Date.UTC(2015, 0, 1) + i * 3_600_000);
    const n = (v: number) => String(v).padStart(2, '0');
    files.push(`db01_data.${d.getUTCFullYear()}-${n(d.getUTCMonth() + 1)}-${n(d.getUTCDate())}:${n(d.getUTCHours())}:00:00.tar.gz`);
  }
  const { archives } = classifyBackupDir(files, 'db01', VOLUMES, ZONE);
  assert.equal(archives.length, 100_000);
});

test('classify gives the same result for any order of the listing (sorted pairs are only a fast path)', () => {
  const t = Date.parse('2026-11-20T03:00:00Z');
  const a = archiveName('db01', 'data', t, 'zstd');
  const b = archiveName('db01', 'data', t + 3_600_000, 'zstd');
  const c = archiveName('db01', 'var', t, 'gzip');
  const files = [
    a, `${a}.sha256`,
    b, `${b}.partial`, `${b}.sha256`, // the partial sits between an archive and its sidecar in sorted order
    c, // no sidecar
    `${archiveName('db01', 'data', t - 3_600_000, 'zstd')}.sha256`, // orphan sidecar
    'db01_data.2026-11-19:03:00:00.tar.gz', 'db01_data.2026-11-19:03:00:00.tar.gz.sha256',
    'notes.txt', 'notes.txt.sha256',
  ];
  const sorted = classifyBackupDir([...files].sort(), 'db01', VOLUMES, ZONE);
  assert.deepEqual(sorted.archives.map((x) => [x.file, x.hasSidecar]), [
    [b, true], [a, true], [c, false], ['db01_data.2026-11-19:03:00:00.tar.gz', true],
  ]);
  assert.deepEqual(sorted.others.map((o) => [o.file, o.kind]), [
    [`${archiveName('db01', 'data', t - 3_600_000, 'zstd')}.sha256`, 'orphan-sidecar'],
    [`${b}.partial`, 'partial'],
    ['notes.txt', 'unmanaged'],
    ['notes.txt.sha256', 'unmanaged'],
  ]);
  for (const order of [[...files].reverse(), [...files].sort().reverse(), files.filter((_, i) => i % 2 === 0).concat(files.filter((_, i) => i % 2 === 1))]) {
    assert.deepEqual(classifyBackupDir(order, 'db01', VOLUMES, ZONE), sorted);
  }
});
