// plan while an apply holds the host lock: /proc/locks parsing, and what the
// planner says (the lock itself is taken for real in test/integration/lock.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flockHeld } from '../../src/apply/lock-state.js';
import { plan } from '../../src/core/plan.js';
import type { Observed } from '../../src/core/model.js';
import { testHostPolicy, testVolume } from '../helpers/volume.js';

const LOCKS = [
  '1: POSIX  ADVISORY  WRITE 900 fe:00:2146532 0 EOF',
  '2: FLOCK  ADVISORY  WRITE 4242 08:03:131090 0 EOF',
  '2: -> FLOCK  ADVISORY  WRITE 4343 00:1a:77 0 EOF',
  '3: FLOCK  ADVISORY  READ 17 103:1f5:99 0 EOF',
].join('\n');

/** st_dev as glibc packs major and minor. */
const dev = (major: number, minor: number): number => Number(((BigInt(major) & 0xfffn) << 8n) | ((BigInt(major) & ~0xfffn) << 32n) | (BigInt(minor) & 0xffn) | ((BigInt(minor) & ~0xffn) << 12n));

test('flockHeld finds a flock by device and inode; POSIX locks and waiters do not count', () => {
  assert.equal(flockHeld(LOCKS, dev(8, 3), 131090), true);
  assert.equal(flockHeld(LOCKS, dev(8, 3), 131091), false, 'another inode');
  assert.equal(flockHeld(LOCKS, dev(8, 4), 131090), false, 'another device');
  assert.equal(flockHeld(LOCKS, dev(0xfe, 0), 2146532), false, 'a POSIX lock, not flock');
  assert.equal(flockHeld(LOCKS, dev(0, 0x1a), 77), false, 'a waiter does not hold it');
  assert.equal(flockHeld(LOCKS, dev(0x103, 0x1f5), 99), true, 'major and minor past 8 bits');
  assert.equal(flockHeld('', dev(8, 3), 131090), false);
});

function observed(extra: Partial<Observed>): Observed {
  return { archives: [], others: [], backupDirExists: true, lvm: { available: false, reason: 'no lvm volumes in the policy' }, mounts: [], btrfsLeftovers: [], ...extra };
}

test('plan warns that leftovers may be a running apply\'s work in progress, and notes a running apply otherwise', () => {
  const policy = testHostPolicy('/t', [testVolume('data', { kind: 'path', path: '/data' })]);
  const now = Date.parse('2026-11-26T03:00:00Z');
  const partial = { file: 'h1_data.20261126T030000Z.tar.zst.partial', kind: 'partial' as const, volume: 'data' };
  const withLeftover = plan(policy, observed({ others: [partial], applyRunning: { pid: 4242 } }), now);
  assert.deepEqual(withLeftover.actions.filter((a) => a.type === 'cleanup').map((a) => a.archive), [partial.file]);
  assert.deepEqual(withLeftover.diagnostics.filter((d) => d.message.startsWith('an apply')), [
    { severity: 'warning', message: "an apply is running now (pid 4242): the leftovers to clean up may be its work in progress, not an interrupted run's; plan again once it has finished" },
  ]);
  const clean = plan(policy, observed({ applyRunning: {} }), now);
  assert.deepEqual(clean.diagnostics.filter((d) => d.message.startsWith('an apply')), [{ severity: 'info', message: 'an apply is running now: this plan may be out of date once it has finished' }]);
  assert.ok(!plan(policy, observed({ others: [partial] }), now).diagnostics.some((d) => d.message.startsWith('an apply')));
});

test('plan says how long the running apply has been at it, unless planning for a time before it started', () => {
  const policy = testHostPolicy('/t', [testVolume('data', { kind: 'path', path: '/data' })]);
  const now = Date.parse('2026-11-26T03:00:00Z');
  const said = (running: NonNullable<Observed['applyRunning']>): string[] => plan(policy, observed({ applyRunning: running }), now).diagnostics.filter((d) => d.message.startsWith('an apply')).map((d) => d.message.replace(/:.*/, ''));
  assert.deepEqual(said({ pid: 4242, sinceMs: now - (14 * 3600 + 2 * 60) * 1000 }), ['an apply is running now (pid 4242, for 14h2m)']);
  assert.deepEqual(said({ sinceMs: now - 5000 }), ['an apply is running now (for 5s)']);
  assert.deepEqual(said({ pid: 4242, sinceMs: now + 60_000 }), ['an apply is running now (pid 4242)'], '--now before it started');
});
