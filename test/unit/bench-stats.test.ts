import { test } from 'node:test';
import assert from 'node:assert/strict';
import { medianInterval } from '../../bench/stats.js';

const ranks = (n: number): number[] => Array.from({ length: n }, (_, i) => n - i); // n … 1, unsorted on purpose

test('the median interval takes the order statistics of the binomial tables (95%)', () => {
  // Published 95% ranks for the median: n=6 → (1, 6), n=10 → (2, 9), n=21 → (6, 16), n=61 → (23, 39).
  for (const [n, lo, hi] of [
    [6, 1, 6],
    [10, 2, 9],
    [21, 6, 16],
    [61, 23, 39],
  ] as const) {
    const ci = medianInterval(ranks(n));
    assert.ok(ci, `n=${n}`);
    assert.equal(ci.low, lo, `n=${n} low`);
    assert.equal(ci.high, hi, `n=${n} high`);
    assert.ok(ci.coverage >= 0.95 && ci.coverage < 1, `n=${n} coverage ${ci.coverage}`);
  }
});

test('the coverage is exact: n=6 gives 1 − 2/64, n=21 gives 1 − 2·P(B ≤ 5)', () => {
  assert.equal(medianInterval(ranks(6))!.coverage, 1 - 2 / 64);
  let below5 = 0;
  let c = 1;
  for (let j = 0; j <= 5; j++) {
    below5 += c / 2 ** 21;
    c = (c * (21 - j)) / (j + 1);
  }
  assert.ok(Math.abs(medianInterval(ranks(21))!.coverage - (1 - 2 * below5)) < 1e-12);
});

test('too few samples for the confidence give no interval', () => {
  assert.equal(medianInterval(ranks(5)), undefined);
  assert.equal(medianInterval([]), undefined);
  assert.ok(medianInterval(ranks(5), 0.9) !== undefined); // 1 − 2/32 = 0.9375 ≥ 0.9
});
