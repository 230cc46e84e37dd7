// verifyInOrder's scheduling with stand-in checks (verify itself runs on real
// archives in test/integration/verify.test.ts): results in the archives'
// order whatever order the checks finish in, a few at a time, never two
// large archives at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Archive } from '../../src/core/model.js';
import { verifyInOrder, type VerifyResult } from '../../src/restore/verify.js';

const archive = (file: string): Archive => ({ file, volume: 'data', time: 0, format: 'snapctl', compression: 'zstd', hasSidecar: true });
const result = (a: Archive): VerifyResult => ({ volume: a.volume, file: a.file, status: 'ok', bytes: 0, durationMs: 0 });

/** Stand-in checks that take `delays[file]` ms and record how many (and how many large ones) ran at once. */
function recorder(sizes: Record<string, number>, delays: Record<string, number>) {
  let running = 0;
  let runningLarge = 0;
  const seen = { most: 0, mostLarge: 0, finished: [] as string[] };
  return {
    seen,
    how: {
      atOnce: 3,
      largeBytes: 100,
      size: (path: string) => Promise.resolve(sizes[path.slice('/d/'.length)] ?? 0),
      check: async (_dir: string, a: Archive) => {
        const large = (sizes[a.file] ?? 0) >= 100;
        running++;
        if (large) runningLarge++;
        seen.most = Math.max(seen.most, running);
        seen.mostLarge = Math.max(seen.mostLarge, runningLarge);
        await sleep(delays[a.file] ?? 1);
        running--;
        if (large) runningLarge--;
        seen.finished.push(a.file);
        return result(a);
      },
    },
  };
}

test('verifyInOrder reports in the archives order while later ones finish first, 3 at a time', async () => {
  const archives = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map(archive);
  const r = recorder({}, { a: 40, b: 5, c: 5, d: 1, e: 1, f: 1, g: 1 });
  const shown: string[] = [];
  const results = await verifyInOrder('/d', archives, false, (x) => shown.push(x.file), r.how);
  assert.deepEqual(shown, ['a', 'b', 'c', 'd', 'e', 'f', 'g']);
  assert.deepEqual(results.map((x) => x.file), shown);
  assert.notEqual(r.seen.finished[0], 'a', 'the slow first check finished after others');
  assert.equal(r.seen.most, 3);
});

test('verifyInOrder never reads two large archives at once, but reads small ones beside a large one', async () => {
  const archives = ['big1', 'small1', 'big2', 'small2', 'big3', 'small3'].map(archive);
  const r = recorder({ big1: 500, big2: 500, big3: 100 }, { big1: 20, big2: 20, big3: 20, small1: 2, small2: 2, small3: 2 });
  const shown: string[] = [];
  await verifyInOrder('/d', archives, false, (x) => shown.push(x.file), r.how);
  assert.deepEqual(shown, ['big1', 'small1', 'big2', 'small2', 'big3', 'small3']);
  assert.equal(r.seen.mostLarge, 1);
  assert.ok(r.seen.most >= 2, 'small archives were checked while a large one was');
});

test('verifyInOrder with no archives reports nothing', async () => {
  const r = recorder({}, {});
  assert.deepEqual(await verifyInOrder('/d', [], true, () => assert.fail('no result expected'), r.how), []);
});

test('verifyInOrder: a check that throws ends the run, and no further check starts', async () => {
  const archives = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map(archive);
  const started: string[] = [];
  const how = {
    atOnce: 2,
    largeBytes: 100,
    size: () => Promise.resolve(0),
    check: async (_dir: string, a: Archive) => {
      started.push(a.file);
      await sleep(a.file === 'b' ? 1 : 10);
      if (a.file === 'b') throw new Error('bug');
      return result(a);
    },
  };
  await assert.rejects(verifyInOrder('/d', archives, false, () => undefined, how), /bug/);
  await sleep(50);
  assert.deepEqual(started, ['a', 'b'], 'nothing started after the failure');
});
