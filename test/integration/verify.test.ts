import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Compression } from '../../src/core/model.js';
import { cutBeforeLastMember, makeFixture, snapctl, writePySnapArchive, type Fixture } from './restore-fixture.js';

const fixtures: Fixture[] = [];
after(async () => {
  for (const f of fixtures) await f.cleanup();
});
async function twoArchives(compression: Compression = 'zstd'): Promise<{ f: Fixture; older: string; newer: string }> {
  const f = await makeFixture(compression);
  fixtures.push(f);
  // Enough incompressible data that cutting the tail lands inside a member.
  execFileSync('dd', ['if=/dev/urandom', `of=${join(f.src, 'random')}`, 'bs=64k', 'count=16', 'status=none']);
  assert.equal(f.apply('2026-11-20T03:00:00Z').status, 0);
  assert.equal(f.apply('2026-11-21T03:00:00Z').status, 0);
  const names = (await readdir(f.hostDir)).filter((n) => !n.endsWith('.sha256')).sort();
  return { f, older: join(f.hostDir, names[0]!), newer: join(f.hostDir, names[1]!) };
}

interface Report {
  archives: { file: string; status: string; detail?: string; sha256?: string }[];
  summary: { ok: number; corrupt: number; truncated: number; unverifiable: number; unreadable: number; outcome: string };
}
const json = (stdout: string): Report => JSON.parse(stdout) as Report;

test('verify exits 0 and reports ok for intact archives, shallow and --deep', async () => {
  const { f } = await twoArchives();
  for (const deep of [[], ['--deep']]) {
    const r = snapctl('verify', ...f.flags, ...deep);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /2 archives in .*: 2 ok, 0 corrupt, 0 truncated, 0 unverifiable/);
  }
});

test('a flipped byte is reported corrupt with exit 2; the intact archive stays ok', async () => {
  const { f, older } = await twoArchives();
  const bytes = await readFile(older);
  const at = Math.floor(bytes.length / 2);
  bytes[at] = bytes[at]! ^ 0x01;
  await writeFile(older, bytes);
  const r = snapctl('verify', ...f.flags, '--json');
  assert.equal(r.status, 2);
  const report = json(r.stdout);
  assert.deepEqual(report.archives.map((a) => a.status), ['ok', 'corrupt']);
  assert.match(report.archives[1]!.detail!, /differs from the sidecar's/);
  assert.equal(report.summary.outcome, 'damaged');
});

test('an archive that cannot be read is reported unreadable (exit 2) and the archives after it are still checked', async () => {
  const { f, older, newer } = await twoArchives();
  // A directory under the newer archive's name: reading it fails (EISDIR) as a failing disk's EIO would; root reads past permissions.
  const bytes = await readFile(newer);
  await rm(newer);
  await mkdir(newer);
  try {
    const r = snapctl('verify', ...f.flags, '--json');
    assert.equal(r.status, 2, r.stderr);
    const report = json(r.stdout);
    assert.deepEqual(report.archives.map((a) => [a.file, a.status]), [[newer.split('/').pop(), 'unreadable'], [older.split('/').pop(), 'ok']]);
    assert.match(report.archives[0]!.detail!, /^cannot read .*: EISDIR$/);
    assert.equal(report.summary.unreadable, 1);
    assert.equal(report.summary.outcome, 'damaged');
    const text = snapctl('verify', ...f.flags);
    assert.match(text.stdout, /2 archives in .*: 1 ok, 0 corrupt, 0 truncated, 0 unverifiable, 1 unreadable\n$/);
  } finally {
    await rm(newer, { recursive: true });
    await writeFile(newer, bytes);
  }
});

for (const compression of ['zstd', 'none'] as const) {
  test(`a ${compression} archive cut short with its sidecar rewritten passes the checksum but --deep reports it truncated (exit 2)`, async () => {
    const { f, older } = await twoArchives(compression);
    const size = (await readFile(older)).length;
    await truncate(older, Math.floor(size * 0.6));
    // Rewrite the sidecar so only the deep check can tell.
    const sum = execFileSync('sha256sum', [older], { encoding: 'utf8' }).split(' ')[0]!;
    await writeFile(`${older}.sha256`, `${sum}  ${older.split('/').pop()!}\n`);
    const shallow = snapctl('verify', ...f.flags);
    assert.equal(shallow.status, 0, shallow.stdout);
    const deep = snapctl('verify', ...f.flags, '--deep', '--json');
    assert.equal(deep.status, 2);
    const report = json(deep.stdout);
    assert.deepEqual(report.archives.map((a) => a.status), ['ok', 'truncated']);
    assert.match(report.archives[1]!.detail!, /does not decompress and list to the end/);
  });
}

for (const compression of ['none', 'gzip', 'zstd'] as const) {
  test(`a ${compression} archive cut where a member starts (tar -t exits 0 on it), its sidecar rewritten, is reported truncated by --deep (exit 2)`, async () => {
    const { f, older } = await twoArchives(compression);
    await cutBeforeLastMember(older, compression);
    assert.equal(snapctl('verify', ...f.flags).status, 0, 'the checksum matches');
    const deep = snapctl('verify', ...f.flags, '--deep', '--json');
    assert.equal(deep.status, 2, deep.stdout);
    const report = json(deep.stdout);
    assert.deepEqual(report.archives.map((a) => a.status), ['ok', 'truncated']);
    assert.match(report.archives[1]!.detail!, /^does not decompress and list to the end: the tar data ends after \d+ blocks of 512 bytes without the end-of-archive marker/);
  });
}

test('a py_snap .tar cut where a member starts is truncated under --deep (exit 2), not merely unverifiable', async () => {
  const f = await makeFixture();
  fixtures.push(f);
  await mkdir(f.hostDir, { recursive: true });
  const archive = join(f.hostDir, `${f.legacyPrefix}.2026-11-19:03:00:00.tar`);
  await writePySnapArchive(f.src, archive, false);
  assert.equal(snapctl('verify', ...f.flags, '--deep').status, 3, 'whole, it lists to the end');
  await cutBeforeLastMember(archive, 'none');
  const deep = snapctl('verify', ...f.flags, '--deep', '--json');
  assert.equal(deep.status, 2, deep.stdout);
  assert.deepEqual(json(deep.stdout).archives.map((a) => a.status), ['truncated']);
});

test('py_snap archives without sidecar are unverifiable (exit 3); a cut one is truncated under --deep (exit 2)', async () => {
  const f = await makeFixture();
  fixtures.push(f);
  await mkdir(f.hostDir, { recursive: true });
  const good = join(f.hostDir, `${f.legacyPrefix}.2026-11-18:03:00:00.tar.gz`);
  await writePySnapArchive(f.src, good, true);
  const r = snapctl('verify', ...f.flags, '--json');
  assert.equal(r.status, 3);
  assert.deepEqual(json(r.stdout).archives.map((a) => a.status), ['unverifiable']);
  assert.equal(snapctl('verify', ...f.flags, '--deep').status, 3);

  const cut = join(f.hostDir, `${f.legacyPrefix}.2026-11-19:03:00:00.tar.gz`);
  const whole = await readFile(good);
  await writeFile(cut, whole.subarray(0, Math.floor(whole.length / 2)));
  const deep = snapctl('verify', ...f.flags, '--deep', '--json');
  assert.equal(deep.status, 2);
  assert.deepEqual(json(deep.stdout).archives.map((a) => a.status), ['truncated', 'unverifiable']);
});

test('verify --volume of an unknown volume is bad input (exit 1)', async () => {
  const { f } = await twoArchives();
  const r = snapctl('verify', ...f.flags, '--volume', 'nope');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /no volume "nope" for host h1/);
  const help = snapctl('verify', '--help');
  assert.equal(help.status, 0);
  assert.match(help.stdout, /^ {4}3 {3}none is damaged, but some are unverifiable/m);
});

test('verify of a host directory that does not exist (a backup disk not mounted) is an error, not "all ok"', async () => {
  const f = await makeFixture('zstd', '{ keepLast: 2 }');
  fixtures.push(f);
  const r = snapctl('verify', ...f.flags);
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^error: \S+\/h1 does not exist: no archive to verify\n {2}is the backup file system mounted\?/);
  assert.equal(snapctl('list', ...f.flags).stdout, `no archives: ${f.hostDir} does not exist\n`);
});

test('an archive pruned while verify ran (gone when its turn came) is reported deleted, not damaged', async () => {
  const { verifyArchive } = await import('../../src/restore/verify.js');
  const { verifyOutcome } = await import('../../src/core/verify-status.js');
  const { f, older } = await twoArchives();
  const file = older.slice(f.hostDir.length + 1);
  const archive = { file, volume: 'data', time: Date.parse('2026-11-20T03:00:00Z'), format: 'snapctl' as const, compression: 'zstd' as const, hasSidecar: true };
  // apply unlinks the archive, then its sidecar: verify may come between the two, or after both.
  await rm(older);
  for (const deep of [false, true]) assert.equal((await verifyArchive(f.hostDir, archive, deep)).status, 'deleted', `sidecar still there, deep ${deep}`);
  await rm(`${older}.sha256`);
  for (const deep of [false, true]) {
    const r = await verifyArchive(f.hostDir, archive, deep);
    assert.deepEqual([r.status, r.detail], ['deleted', 'deleted while verify ran (pruned by apply?)'], `both gone, deep ${deep}`);
  }
  assert.equal(verifyOutcome(['ok', 'deleted']), 'ok');
  // Through the CLI the listing no longer has it: the newer archive alone, ok.
  const r = snapctl('verify', ...f.flags, '--json');
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(json(r.stdout).archives.map((a) => a.status), ['ok']);
});
