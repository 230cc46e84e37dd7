// The age column of `snapctl list`: to the minute, in seconds under a minute.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inventoryRows } from '../../src/core/inventory-list.js';
import type { Archive, Plan } from '../../src/core/model.js';

const NOW = Date.parse('2026-11-26T03:00:00Z');
const EMPTY_PLAN: Plan = { host: 'h1', now: new Date(NOW).toISOString(), backupDir: '/backup/h1', actions: [], kept: [], unmanaged: [], diagnostics: [] };

function ageOf(ms: number): string {
  const archive: Archive = { file: 'a', volume: 'v', time: NOW - ms, format: 'snapctl', compression: 'zstd', hasSidecar: true };
  const [row] = inventoryRows([archive], EMPTY_PLAN, () => 0, NOW);
  assert.ok(row);
  assert.equal(row.ageMs, ms);
  return row.age;
}

test('list ages drop the seconds from a minute on, and give seconds under a minute', () => {
  const s = 1000;
  const m = 60 * s;
  const h = 60 * m;
  const d = 24 * h;
  assert.equal(ageOf(0), '0s');
  assert.equal(ageOf(45 * s), '45s');
  assert.equal(ageOf(59 * s + 999), '59s');
  assert.equal(ageOf(m), '1m');
  assert.equal(ageOf(45 * m + 30 * s), '45m');
  assert.equal(ageOf(30 * h), '1d6h');
  assert.equal(ageOf(9 * d + 3 * h + 59 * s), '1w2d3h');
});

test('an archive stamped in the future gets a negative age', () => {
  assert.equal(ageOf(-3_600_000), '-1h');
  assert.equal(ageOf(-20_000), '-20s');
});
