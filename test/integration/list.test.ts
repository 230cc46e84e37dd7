import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sizes } from '../../src/restore/inventory.js';
import type { InventoryRow } from '../../src/core/inventory-list.js';
import { makeFixture, snapctl, writePySnapArchive, type Fixture } from './restore-fixture.js';

const fixtures: Fixture[] = [];
after(async () => {
  for (const f of fixtures) await f.cleanup();
});

test('list --json: newest first with size, age, format, sidecar, kept-by reasons and what the next apply deletes', async () => {
  const f = await makeFixture('zstd', '{ keepLast: 2 }');
  fixtures.push(f);
  await mkdir(f.hostDir, { recursive: true });
  await writePySnapArchive(f.src, join(f.hostDir, `${f.legacyPrefix}.2026-11-19:03:00:00.tar.gz`), true);
  assert.equal(f.apply('2026-11-20T03:00:00Z').status, 0);
  const r = snapctl('list', ...f.flags, '--json', '--now', '2026-11-21T09:00:00Z');
  assert.equal(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as { host: string; now: string; archives: InventoryRow[] };
  assert.equal(doc.host, 'h1');
  assert.equal(doc.now, '2026-11-21T09:00:00.000Z');
  const [own, legacy] = doc.archives;
  assert.equal(doc.archives.length, 2);
  assert.deepEqual(
    { ...own!, sizeBytes: 0 },
    { volume: 'data', file: 'h1_data.20261120T030000Z.tar.zst', time: '2026-11-20T03:00:00.000Z', ageMs: 30 * 3600_000, age: '1d6h', sizeBytes: 0, format: 'snapctl', compression: 'zstd', sidecar: true, keptBy: ['last'], deleteNext: false },
  );
  assert.equal(own!.sizeBytes, (await stat(join(f.hostDir, own!.file))).size);
  // The next apply (due on the 21st) creates one: with keepLast 2 the py_snap archive goes.
  assert.equal(legacy!.format, 'legacy');
  assert.equal(legacy!.sidecar, false);
  assert.equal(legacy!.deleteNext, true);
  assert.deepEqual(legacy!.keptBy, []);
  assert.match(legacy!.deleteReason!, /^expired once the new archive is written; a py_snap archive$/);

  const plan = snapctl('plan', ...f.flags, '--json', '--now', '2026-11-21T09:00:00Z');
  assert.match(plan.stdout, new RegExp(`"archive": "${legacy!.file.replace(/\./g, '\\.')}"`));
});

test('list text marks DELETE NEXT; --volume filters; an empty or missing directory lists nothing with exit 0', async () => {
  const f = await makeFixture('zstd', '{ keepLast: 2 }');
  fixtures.push(f);
  const empty = snapctl('list', ...f.flags);
  assert.equal(empty.status, 0);
  assert.match(empty.stdout, /^no archives: .*backup\/h1 does not exist$/m);
  assert.equal(f.apply('2026-11-20T03:00:00Z').status, 0);
  assert.equal(f.apply('2026-11-21T03:00:00Z').status, 0);
  const r = snapctl('list', ...f.flags, '--volume', 'data', '--now', '2026-11-22T09:00:00Z');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^data +h1_data\.20261121T030000Z\.tar\.zst +1d6h +\S+ \S+ +snapctl +sha256 +kept: last$/m);
  assert.match(r.stdout, /^data +h1_data\.20261120T030000Z\.tar\.zst +2d6h +\S+ \S+ +snapctl +sha256 +DELETE NEXT$/m);
  assert.match(r.stdout, /2 archives in .*; the next apply deletes 1/);
  assert.equal(snapctl('list', ...f.flags, '--volume', 'nope').status, 1);
  await rm(f.hostDir, { recursive: true });
});

test('sizes: every file of a list longer than the stat calls kept in flight, undefined for one that vanished', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'snapctl-sizes-'));
  try {
    const files = Array.from({ length: 300 }, (_, i) => `f${i}`);
    for (const [i, f] of files.entries()) await writeFile(join(dir, f), Buffer.alloc(i));
    const got = await sizes(dir, [...files, 'gone']);
    assert.equal(got.size, 301);
    for (const [i, f] of files.entries()) assert.equal(got.get(f), i, f);
    assert.ok(got.has('gone'));
    assert.equal(got.get('gone'), undefined);
    assert.equal((await sizes(dir, [])).size, 0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
