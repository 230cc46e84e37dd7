import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const repo = process.cwd();

// build/snapctl.cjs is written by scripts/build.mjs, which `npm test` runs first.
test('the single-file build runs with a plain node and no node_modules', () => {
  const dir = mkdtempSync(join(tmpdir(), 'snapctl-bundle-'));
  try {
    const file = join(dir, 'snapctl.cjs');
    copyFileSync(join(repo, 'build', 'snapctl.cjs'), file);
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

test('the single-file build is ASCII, so node reads it into a one-byte string (a two-byte one took 5-11 ms instead of ~2.5 at every start)', () => {
  const bytes = readFileSync(join(repo, 'build', 'snapctl.cjs'));
  const at = bytes.findIndex((b) => b > 0x7f);
  assert.equal(at, -1, `byte ${at}: ${bytes.subarray(Math.max(0, at - 40), at + 40).toString('utf8')}`);
});

/** apply of one path volume whose preSnapshot hook creates `marker`, run with the given snapctl file. */
function applyWithHook(snapctl: string, dir: string, marker: string): { status: number | null; output: string; archives: string[] } {
  const src = join(dir, 'src');
  mkdirSync(src, { recursive: true });
  writeFileSync(join(src, 'file.txt'), 'data\n');
  const policy = join(dir, 'policy.yaml');
  writeFileSync(
    policy,
    ['version: 1', 'timezone: UTC', 'hosts:', '  h1:', '    volumes:', '      docs:', `        path: ${JSON.stringify(src)}`, '        hooks:', `          preSnapshot: [["touch", ${JSON.stringify(marker)}]]`, ''].join('\n'),
  );
  const backups = join(dir, 'backups');
  const r = spawnSync(
    process.execPath,
    [snapctl, 'apply', '--policy', policy, '--host', 'h1', '--backup-dir', backups, '--now', '2026-11-26T03:00:00Z', '--log-dir', join(dir, 'log'), '--state-dir', join(dir, 'state'), '--lock-file', join(dir, 'lock')],
    { cwd: dir, encoding: 'utf8' },
  );
  const hostDir = join(backups, 'h1');
  return { status: r.status, output: r.stdout + r.stderr, archives: existsSync(hostDir) ? readdirSync(hostDir).filter((f) => f.endsWith('.tar.zst')) : [] };
}

test('installed as the README says (both build files in one directory, a symlink on PATH), hooks run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'snapctl-bundle-'));
  try {
    const lib = join(dir, 'lib');
    mkdirSync(lib);
    for (const f of ['snapctl.cjs', 'snapctl-execa.mjs']) copyFileSync(join(repo, 'build', f), join(lib, f));
    const link = join(dir, 'snapctl');
    symlinkSync(join(lib, 'snapctl.cjs'), link);
    const marker = join(dir, 'hook-ran');
    const r = applyWithHook(link, dir, marker);
    assert.equal(r.status, 0, r.output);
    assert.ok(existsSync(marker), 'the preSnapshot hook ran');
    assert.equal(r.archives.length, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the single-file build without snapctl-execa.mjs beside it fails a hook with a message naming the missing file, and archives nothing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'snapctl-bundle-'));
  try {
    const file = join(dir, 'snapctl.cjs');
    copyFileSync(join(repo, 'build', 'snapctl.cjs'), file);
    const marker = join(dir, 'hook-ran');
    const r = applyWithHook(file, dir, marker);
    assert.equal(r.status, 1, r.output);
    assert.match(r.output, /cannot run hooks: execa did not load/);
    assert.match(r.output, /snapctl-execa\.mjs/);
    assert.equal(existsSync(marker), false);
    assert.deepEqual(r.archives, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
