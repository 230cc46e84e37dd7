// Named planner behaviours around the archive being created in this run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { plan } from '../../src/core/plan.js';
import { archiveName, classifyBackupDir } from '../../src/core/naming.js';
import { applyRetention } from '../../src/core/retention.js';
import type { HostPolicy, Observed, Retention } from '../../src/core/model.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-11-26T03:00:00Z');

function setup(retention: Retention, lastGood: number): { policy: HostPolicy; observed: Observed } {
  const policy: HostPolicy = {
    host: 'db01',
    matchedBy: 'db01',
    backupDir: '/backup',
    timezone: 'UTC',
    mountRoot: '/run/snapctl',
    volumes: [{
      name: 'data', source: { kind: 'path', path: '/data' }, schedule: { kind: 'daily' }, retention, compression: 'zstd',
      snapshotSize: '10%ORIGIN', exclude: [], hooks: { preSnapshot: [], postSnapshot: [], timeoutMs: 1000 }, lockFiles: [],
    }],
  };
  const files = Array.from({ length: 10 }, (_, i) => archiveName('db01', 'data', lastGood - i * DAY, 'zstd'));
  const { archives, others } = classifyBackupDir(files, 'db01', policy.volumes, 'UTC');
  return { policy, observed: { archives, others, backupDirExists: true, lvm: { available: false, reason: 'no lvm volumes in the policy' }, mounts: [], btrfsLeftovers: [] } };
}

const deleted = (p: ReturnType<typeof plan>): string[] => p.actions.filter((a) => a.type === 'delete').map((a) => a.archive);

test('keepLast 1 with a due volume keeps the newest complete archive until the new one exists', () => {
  const { policy, observed } = setup({ last: 1 }, NOW - DAY);
  const result = plan(policy, observed, NOW);
  const newest = archiveName('db01', 'data', NOW - DAY, 'zstd');
  assert.ok(!deleted(result).includes(newest));
  assert.deepEqual(result.kept, [{ volume: 'data', archive: newest, reasons: ['newest complete archive'] }]);
  assert.equal(deleted(result).length, 9);
});

test('keepWithin counts from the newest complete archive, not from the archive planned at now', () => {
  const { policy, observed } = setup({ withinMs: 3 * DAY, withinText: '3d' }, NOW - 8 * DAY);
  const result = plan(policy, observed, NOW);
  assert.equal(result.actions[0]?.type, 'create');
  // Strictly newer than (newest − 3d): the newest and the two days before it.
  assert.deepEqual(result.kept.map((k) => [k.archive, k.reasons]), [0, 1, 2].map((i) => [archiveName('db01', 'data', NOW - (8 + i) * DAY, 'zstd'), ['within 3d']]));
});

test('keepLast counts the planned archive, so after apply exactly n remain', () => {
  const { policy, observed } = setup({ last: 3 }, NOW - DAY);
  const result = plan(policy, observed, NOW);
  assert.equal(result.kept.length, 2);
  assert.equal(deleted(result).length, 8);
});

test('while archives are dated after now nothing of that volume is deleted, and a warning names the newest', () => {
  // Ten daily archives, the newest two days ahead of now (a clock set back, or --now before them).
  const { policy, observed } = setup({ last: 2 }, NOW + 2 * DAY);
  const result = plan(policy, observed, NOW);
  const ahead = [archiveName('db01', 'data', NOW + 2 * DAY, 'zstd'), archiveName('db01', 'data', NOW + DAY, 'zstd')];
  // The rules keep the two "newest"; the other eight, today's data among them, are held, not deleted.
  assert.deepEqual(deleted(result), []);
  assert.deepEqual(result.actions, [], 'today is covered by the archive dated now: nothing to create either');
  assert.deepEqual(result.kept.slice(0, 2).map((k) => k.archive), ahead);
  assert.equal(result.kept.length, 10);
  assert.deepEqual(result.kept.slice(2).map((k) => k.reasons), Array.from({ length: 8 }, () => ['deletion held: archives dated after now']));
  const warnings = result.diagnostics.filter((d) => d.severity === 'warning' && d.volume === 'data' && d.message.includes('dated after now'));
  assert.deepEqual(warnings.map((d) => d.message), [
    `2 archives are dated after now (newest ${ahead[0]}): was the clock set back, or is --now before them? No archive of this volume is deleted until now passes them (remove them by hand if their dates are wrong)`,
  ]);
  // Without them, no such warning.
  const past = setup({ last: 2 }, NOW - DAY);
  assert.ok(!plan(past.policy, past.observed, NOW).diagnostics.some((d) => d.message.includes('dated after now')));
});

test('a warning when the backup file system has less room than the due volumes\' newest archives; none when it has room or nothing is due', () => {
  const { policy, observed } = setup({ last: 3 }, NOW - DAY);
  const warning = (free: number | undefined, sizes: Record<string, number> | undefined, now = NOW): string[] =>
    plan(policy, { ...observed, ...(free !== undefined ? { backupFreeBytes: free } : {}), ...(sizes !== undefined ? { newestArchiveBytes: sizes } : {}) }, now)
      .diagnostics.filter((d) => d.message.includes('may run out of space'))
      .map((d) => `${d.severity}: ${d.message}`);
  const gib = 1024 ** 3;
  assert.deepEqual(warning(2 * gib, { data: 3 * gib }), [
    'warning: /backup/db01 has 2.0 GiB free, but the new archives will take about 3.0 GiB (the size of each volume\'s newest archive): apply may run out of space; then it deletes the 7 archives the rules drop anyway and tries once more',
  ]);
  assert.deepEqual(warning(4 * gib, { data: 3 * gib }), [], 'room enough');
  assert.deepEqual(warning(2 * gib, { data: 3 * gib }, NOW - DAY + 3600_000), [], 'not due: nothing to write');
  assert.deepEqual(warning(undefined, { data: 3 * gib }), [], 'free space unknown');
  assert.deepEqual(warning(2 * gib, {}), [], 'no archive to estimate from');
});

test('deletions the rules make even without the new archive are marked expiresAnyway; what only the new archive pushes out is not', () => {
  // keepLast 3 over ten daily archives: seven expire anyway, the third newest only once the new one exists.
  const { policy, observed } = setup({ last: 3 }, NOW - DAY);
  const result = plan(policy, observed, NOW);
  const deletes = result.actions.filter((a) => a.type === 'delete');
  const third = archiveName('db01', 'data', NOW - 3 * DAY, 'zstd');
  assert.deepEqual(deletes.filter((a) => a.expiresAnyway !== true).map((a) => [a.archive, a.reason]), [[third, 'expired once the new archive is written']]);
  assert.equal(deletes.filter((a) => a.expiresAnyway === true).length, 7);
  // Newest first, as the renderer expects.
  assert.deepEqual(deletes.map((a) => a.archive), [...deletes.map((a) => a.archive)].sort().reverse());
  // Not due: nothing is created, so nothing is marked.
  const idle = plan(policy, observed, NOW - DAY + 3_600_000);
  assert.ok(idle.actions.every((a) => a.type !== 'create' && !(a.type === 'delete' && a.expiresAnyway === true)));
});

test('the two retention passes delete exactly what one pass over the archives and the planned one would, on random histories and rules', () => {
  let seed = 7;
  const random = (n: number): number => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed % n;
  };
  const HOUR = 3_600_000;
  for (let round = 0; round < 300; round++) {
    const rules: Retention = {};
    const pick = (): number | undefined => (random(3) === 0 ? undefined : 1 + random(6));
    const r = { last: pick(), hourly: pick(), daily: pick(), weekly: pick(), monthly: pick(), yearly: pick() };
    for (const [k, v] of Object.entries(r)) if (v !== undefined) (rules as Record<string, number>)[k] = v;
    if (random(3) === 0) Object.assign(rules, { withinMs: (1 + random(72)) * HOUR, withinText: 'w' });
    const { policy } = setup(rules, NOW - DAY);
    // Up to 60 archives spread over up to three years before now, some at equal times.
    const times = Array.from({ length: random(60) }, () => NOW - HOUR - random(3 * 365 * 24) * HOUR);
    const files = [...new Set(times.map((t) => archiveName('db01', 'data', t, 'zstd')))];
    const { archives, others } = classifyBackupDir(files, 'db01', policy.volumes, 'UTC');
    const observed: Observed = { archives, others, backupDirExists: true, lvm: { available: false, reason: 'no lvm volumes in the policy' }, mounts: [], btrfsLeftovers: [] };
    const result = plan(policy, observed, NOW);
    const due = result.actions.some((a) => a.type === 'create');
    // The reference: one pass over the archives plus the planned one (keepWithin from the newest complete archive).
    const newest = archives.reduce((m, a) => Math.max(m, a.time), -Infinity);
    const widened = due && rules.withinMs !== undefined && archives.length > 0 ? { ...rules, withinMs: rules.withinMs + (NOW - newest) } : rules;
    const items = due ? [...archives, { time: NOW, file: 'planned' }] : archives;
    const { remove } = applyRetention(items, widened, 'UTC');
    const expected = remove.filter((i) => i.file !== 'planned' && i.time !== newest).map((i) => i.file).sort();
    assert.deepEqual(deleted(result).sort(), expected, `round ${round}: ${JSON.stringify(rules)}, ${files.length} archives`);
    const kept = new Set(result.kept.map((k) => k.archive));
    assert.ok(archives.every((a) => kept.has(a.file) !== deleted(result).includes(a.file)), `round ${round}: every archive kept or deleted, once`);
  }
});
