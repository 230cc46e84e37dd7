// The planner and the renderer on a history longer than a function call may
// take as arguments (about 120,000 in V8): nothing may spread such lists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { plan } from '../../src/core/plan.js';
import { archiveName, classifyBackupDir } from '../../src/core/naming.js';
import { renderPlan } from '../../src/render/plan-text.js';
import type { HostPolicy } from '../../src/core/model.js';
import { testVolume } from '../helpers/volume.js';

const HOUR = 3_600_000;
const NOW = Date.parse('2026-11-26T03:30:00Z');
const COUNT = 200_000;

test(`plan and render ${COUNT.toLocaleString('en-US')} expiring archives (each with a sidecar)`, () => {
  const volume = testVolume('data', { kind: 'path', path: '/srv/data' }, { schedule: { kind: 'hourly' }, retention: { daily: 3 }, compression: 'zstd' });
  const policy: HostPolicy = { host: 'h', matchedBy: 'h', backupDir: '/backup', timezone: 'UTC', mountRoot: '/run/snapctl', volumes: [volume] };
  const files: string[] = [];
  for (let i = 0; i < COUNT; i++) {
    const name = archiveName('h', 'data', NOW - HOUR / 2 - i * HOUR, 'zstd');
    files.push(name, `${name}.sha256`);
  }
  const { archives, others } = classifyBackupDir(files, 'h', policy.volumes, 'UTC');
  assert.equal(archives.length, COUNT);
  const result = plan(policy, { archives, others, backupDirExists: true, lvm: { available: false, reason: 'no lvm volumes in the policy' }, mounts: [], btrfsLeftovers: [] }, NOW);
  const deletes = result.actions.filter((a) => a.type === 'delete');
  assert.equal(deletes.length, COUNT - 3);
  assert.equal(result.kept.length, 3);
  assert.ok(deletes.every((a) => a.type === 'delete' && a.sidecar === `${a.path}.sha256`));
  const text = renderPlan({ plan: result, policy, archives });
  assert.match(text, /… [0-9,]{7} more to delete, same reason/);
  assert.match(text, /Plan: 0 to create, 199997 to delete, 0 to clean up\./);
  const verbose = renderPlan({ plan: result, policy, archives, verbose: true });
  assert.equal(verbose.split('\n').filter((l) => l.startsWith('  - h_data.')).length, COUNT - 3);
});
