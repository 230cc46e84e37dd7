import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function snapctl(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['bin/snapctl.js', ...args], { cwd: ROOT, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('validate prints ok with host and volume counts and exits 0 for a valid policy', () => {
  const r = snapctl('validate', '--policy', 'policies/example.yaml');
  assert.equal(r.status, 0);
  assert.equal(r.stdout, 'ok: policies/example.yaml (1 host, 2 volumes)\n');
  assert.equal(r.stderr, '');
});

test('validate on a directory prints one ok line per file', () => {
  const r = snapctl('validate', '--policy', 'fixtures/policies/dir-ok');
  assert.equal(r.status, 0);
  assert.equal(r.stdout, 'ok: fixtures/policies/dir-ok/10-db.yaml (1 host, 1 volume)\nok: fixtures/policies/dir-ok/20-web.yml (1 host, 1 volume)\n');
});

test('validate prints each problem as file:line:column: key: message, no stack trace, and exits 1', () => {
  const r = snapctl('validate', '--policy', 'fixtures/policies/bad/unknown-key-typo.yaml');
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.equal(
    r.stderr,
    'error: fixtures/policies/bad/unknown-key-typo.yaml:7:9: hosts.db01.volumes.data.retension: unknown key "retension" (did you mean "retention"?)\n' +
      '  Allowed here: lvm, btrfs, path, mount, legacy, schedule, retention, compression, compressionLevel, snapshot, exclude, hooks, lockFiles, allowEmpty, healthcheck.\n',
  );
});

test('validate lists the semantic problems of a file together with its schema problems, in one run', () => {
  const r = snapctl('validate', '--policy', 'fixtures/policies/bad/schema-and-semantics.yaml');
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.deepEqual(
    r.stderr.split('\n').filter((line) => line.startsWith('error: ')).map((line) => line.split(': ').slice(1, 3).join(': ')),
    [
      'fixtures/policies/bad/schema-and-semantics.yaml:2:1: timezone',
      'fixtures/policies/bad/schema-and-semantics.yaml:8:22: hosts.db01.volumes.data.retention.keepLast',
      'fixtures/policies/bad/schema-and-semantics.yaml:9:18: hosts.db01.volumes.data.hooks.timeout',
      'fixtures/policies/bad/schema-and-semantics.yaml:10:19: hosts.db01.volumes.data.exclude[0]',
    ],
  );
});

test('validate refuses an alias bomb quickly with exit 1', () => {
  const started = Date.now();
  const r = snapctl('validate', '--policy', 'fixtures/policies/bad/billion-laughs.yaml');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /alias bomb/);
  assert.ok(Date.now() - started < 3000);
});

test('validate reports a missing file and a missing --policy with exit 1', () => {
  const missing = snapctl('validate', '--policy', 'no/such/policy.yaml');
  assert.equal(missing.status, 1);
  assert.equal(missing.stderr, 'error: no/such/policy.yaml: no such file or directory\n');
  const noFlag = snapctl('validate');
  assert.equal(noFlag.status, 1);
  assert.match(noFlag.stderr, /^error: missing --policy FILE\|DIR/);
  const unknownFlag = snapctl('validate', '--polcy', 'x');
  assert.equal(unknownFlag.status, 1);
  assert.doesNotMatch(unknownFlag.stderr, /\n\s+at /, 'no stack trace');
});

test('validate --help reads like a man page and exits 0', () => {
  const r = snapctl('validate', '--help');
  assert.equal(r.status, 0);
  for (const section of ['NAME', 'SYNOPSIS', 'DESCRIPTION', 'OPTIONS', 'EXIT STATUS']) assert.match(r.stdout, new RegExp(`^${section}$`, 'm'));
});
