import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const repo = process.cwd();

// build/snapctl.mjs is written by scripts/build.mjs, which `npm test` runs first.
test('the single-file build runs with a plain node and no node_modules', () => {
  const dir = mkdtempSync(join(tmpdir(), 'snapctl-bundle-'));
  try {
    const file = join(dir, 'snapctl.mjs');
    copyFileSync(join(repo, 'build', 'snapctl.mjs'), file);
    const version = execFileSync(process.execPath, [file, '--version'], { cwd: dir, encoding: 'utf8' });
    assert.match(version, /^snapctl \d+\.\d+\.\d+\n$/);
    const plan = execFileSync(
      process.execPath,
      [file, 'plan', '--policy', join(repo, 'policies', 'example.yaml'), '--backup-dir', join(repo, 'fixtures', 'backups'), '--host', 'db01', '--now', '2026-11-26T03:00:00Z', '--json'],
      { cwd: dir, encoding: 'utf8' },
    );
    const doc = JSON.parse(plan) as { host: string; actions: { type: string }[] };
    assert.equal(doc.host, 'db01');
    assert.ok(doc.actions.some((a) => a.type === 'create'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
