// The engine's observer hooks (what healthcheck pings and the progress line
// hang on): called in order around a real archive of a path volume, and a
// hook that throws or rejects is a logged warning, never a failed backup.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Observed } from '../../src/core/model.js';
import { plan } from '../../src/core/plan.js';
import { executePlan } from '../../src/apply/execute.js';
import { openRunLog } from '../../src/apply/logger.js';
import { systemApplyPorts } from '../../src/adapters/system-apply.js';
import { testHostPolicy, testVolume } from '../helpers/volume.js';

test('hooks see volumeStart, archiveStart, progress, archiveEnd, volumeDone in order; throwing hooks only warn', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'snapctl-hooks-'));
  try {
    const src = join(dir, 'src');
    await mkdir(src);
    await writeFile(join(src, 'big'), Buffer.alloc(12 * 1024 * 1024, 7));
    const policy = testHostPolicy(dir, [testVolume('docs', { kind: 'path', path: src }, { retention: { last: 2 }, compression: 'none' })]);
    const observed: Observed = { archives: [], others: [], backupDirExists: false, lvm: { available: false, reason: 'none' }, mounts: [], btrfsLeftovers: [] };
    const thePlan = plan(policy, observed, Date.parse('2026-03-01T03:00:00Z'));
    let err = '';
    const log = openRunLog({ dir: join(dir, 'log'), stdout: 'quiet', json: false, out: { write: () => true }, err: { write: (t: string) => (err += t) } });
    const events: string[] = [];
    const result = await executePlan(thePlan, policy, systemApplyPorts(policy), log, new AbortController().signal, {
      volumeStart: (v, planned) => {
        events.push(`volumeStart ${v.name} ${planned.map((a) => a.type).join(',')}`);
        return Promise.reject(new Error('ping exploded'));
      },
      archiveStart: (v, sourceDir) => {
        events.push(`archiveStart ${v} ${sourceDir === src}`);
        throw new Error('draw exploded');
      },
      archiveProgress: (v, bytes) => {
        if (!events.includes(`archiveProgress ${v}`)) events.push(`archiveProgress ${v}`);
        assert.ok(bytes > 0);
        throw new Error('progress exploded');
      },
      archiveEnd: (v) => {
        events.push(`archiveEnd ${v}`);
      },
      volumeDone: (v, outcome) => {
        events.push(`volumeDone ${v.name} ${outcome.status}`);
        throw new Error('done exploded');
      },
    });
    log.close();
    assert.deepEqual(events, ['volumeStart docs create', 'archiveStart docs true', 'archiveProgress docs', 'archiveEnd docs', 'volumeDone docs created']);
    assert.equal(result.failed, false);
    assert.equal(result.volumes[0]?.status, 'created');
    for (const what of ['ping', 'draw', 'progress', 'done']) assert.match(err, new RegExp(`warning: (docs: )?monitoring hook failed: ${what} exploded`));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
