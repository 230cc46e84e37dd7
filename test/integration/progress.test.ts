// The progress line: its text from a pure function, the TTY drawing through
// a fake terminal, and for real: `apply` under `script` (a pseudo-terminal)
// shows it, the same apply with stdout on a pipe (cron) does not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatEta, formatProgress, ttyProgress, usedBytesOfMount } from '../../src/apply/progress.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MiB = 1024 * 1024;

test('the progress text: bytes read, then the rate after half a second, then percent and ETA when the total is known', () => {
  assert.equal(formatProgress({ volume: 'data', bytes: 10 * MiB, elapsedMs: 100 }), 'data: 10.0 MiB read');
  assert.equal(formatProgress({ volume: 'data', bytes: 100 * MiB, elapsedMs: 2000 }), 'data: 100.0 MiB read, 50.0 MiB/s');
  assert.equal(formatProgress({ volume: 'data', bytes: 100 * MiB, elapsedMs: 2000, totalBytes: 400 * MiB }), 'data: 100.0 MiB read, 50.0 MiB/s, 25%, ETA 0:06');
  assert.equal(formatProgress({ volume: 'data', bytes: 500 * MiB, elapsedMs: 2000, totalBytes: 400 * MiB }), 'data: 500.0 MiB read, 250.0 MiB/s, 99%, ETA 0:00', 'past the estimate: never 100% before the end');
  assert.equal(formatEta(59_400), '0:59');
  assert.equal(formatEta(3_909_000), '1:05:09');
});

test('on a terminal the line is rewritten in place at most every 200 ms, cut to the width, and erased when the archive ends', () => {
  let written = '';
  let now = 1000;
  const p = ttyProgress({ write: (t: string) => (written += t), columns: 30 }, () => now);
  p.archiveStart('data', '/nonexistent-dir');
  now += 1000;
  p.archiveProgress('data', 10 * MiB);
  now += 100;
  p.archiveProgress('data', 20 * MiB);
  now += 150;
  p.archiveProgress('data', 30 * MiB);
  p.archiveEnd('data');
  assert.equal(written, `\rdata: 10.0 MiB read, 10.0 MiB\x1b[K\rdata: 30.0 MiB read, 24.0 MiB\x1b[K\r\x1b[K`);
});

test('the expected size comes from statfs only for a mount point', async () => {
  const used = await usedBytesOfMount('/');
  assert.ok(used !== undefined && used > 0, 'the root file system is a mount point');
  const dir = await mkdtemp(join(tmpdir(), 'snapctl-progress-'));
  try {
    assert.equal(await usedBytesOfMount(dir), undefined, 'a plain directory: df would count the whole file system');
    assert.equal(await usedBytesOfMount(join(dir, 'missing')), undefined);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('apply on a terminal shows the progress line for the archive; with stdout on a pipe (cron) it does not', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'snapctl-progress-'));
  try {
    const src = join(dir, 'src');
    await mkdir(src);
    await writeFile(join(src, 'big.bin'), randomBytes(32 * MiB));
    const policy = { version: 1, timezone: 'UTC', hosts: { h1: { backupDir: join(dir, 'backup'), volumes: { docs: { path: src, schedule: 'daily', compression: 'none' } } } } };
    await writeFile(join(dir, 'policy.yaml'), JSON.stringify(policy));
    const args = (now: string, tag: string): string[] => [
      'bin/snapctl.js', 'apply', '--policy', join(dir, 'policy.yaml'), '--host', 'h1', '--now', now,
      '--log-dir', join(dir, `log-${tag}`), '--state-dir', join(dir, `state-${tag}`), '--lock-file', join(dir, 'lock'),
    ];
    const quote = (s: string): string => `'${s.replace(/'/g, "'\\''")}'`;
    const command = [process.execPath, ...args('2026-03-01T03:00:00Z', 'tty')].map(quote).join(' ');
    const tty = spawnSync('script', ['-qec', command, '/dev/null'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, COLUMNS: '120' } });
    assert.equal(tty.status, 0, `${tty.stdout}\n${tty.stderr}`);
    const drawn = /\rdocs: \d+\.\d MiB read[^\r\n]*/.exec(tty.stdout);
    assert.ok(drawn, `a progress line drawn in place:\n${tty.stdout}`);
    assert.ok(drawn[0].endsWith('\x1b[K'), 'the rest of the terminal line is cleared');
    const erased = tty.stdout.indexOf('\r\x1b[K', drawn.index);
    assert.ok(erased > 0 && erased < tty.stdout.indexOf('wrote h1_docs.20260301T030000Z.tar'), 'erased before the next log line');

    const piped = spawnSync(process.execPath, args('2026-03-02T03:00:00Z', 'pipe'), { cwd: ROOT, encoding: 'utf8' });
    assert.equal(piped.status, 0, `${piped.stdout}\n${piped.stderr}`);
    assert.match(piped.stdout, /1 created/);
    assert.doesNotMatch(piped.stdout + piped.stderr, / read|\r/, 'nothing but the summary in cron');
    assert.ok(!(piped.stdout + piped.stderr).includes('\x1b'), 'no terminal control sequences');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
