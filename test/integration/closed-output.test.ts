// When whoever reads snapctl's output goes away (`snapctl list | head`), a
// command that only reads stops quietly with 141, like a program killed by
// SIGPIPE; apply must finish its run all the same. The pipes here are real:
// the test closes its read ends before snapctl writes its first line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { listDir, policyDoc, ROOT, workspace, type Workspace } from '../helpers/snapctl-cli.js';

/** Runs snapctl with stdout and stderr pipes whose read ends are closed at once: how it ended. */
function withClosedOutput(args: readonly string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const child = spawn(process.execPath, ['bin/snapctl.js', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.destroy();
  child.stderr.destroy();
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
}

async function withArchives(): Promise<Workspace> {
  const ws = await workspace();
  const src = join(ws.dir, 'src');
  await mkdir(src);
  // Enough data that the archive is still being written when the first output line has failed.
  await writeFile(join(src, 'data'), Buffer.alloc(32 * 1024 * 1024, 'snapctl '));
  await ws.writePolicy(policyDoc(ws, { data: { path: src, schedule: 'hourly', retention: { keepLast: 2 } } }));
  return ws;
}

test('list, verify and plan stop with exit 141 (not an uncaught EPIPE) when their output is closed', async () => {
  const ws = await withArchives();
  try {
    const { spawnSync } = await import('node:child_process');
    for (const now of ['2026-11-20T01:00:00Z', '2026-11-20T02:00:00Z']) {
      const r = spawnSync(process.execPath, ['bin/snapctl.js', ...ws.applyArgs(now)], { cwd: ROOT, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
    }
    for (const args of [['list', ...ws.common()], ['verify', ...ws.common()], ['plan', ...ws.common('2026-11-20T03:00:00Z')]]) {
      const r = await withClosedOutput(args);
      assert.deepEqual(r, { code: 141, signal: null }, args[0]);
    }
  } finally {
    await ws.cleanup();
  }
});

test('apply whose stdout and stderr are closed finishes its run: archive, sidecar, prune, run log', async () => {
  const ws = await withArchives();
  try {
    for (const hour of ['01', '02', '03']) {
      const r = await withClosedOutput([...ws.applyArgs(`2026-11-20T${hour}:00:00Z`), '--verbose']);
      assert.deepEqual(r, { code: 0, signal: null }, `apply at ${hour}:00`);
    }
    // keepLast 2: the third run deleted the first archive.
    assert.deepEqual(await listDir(ws.hostDir), [
      'h1_data.20261120T020000Z.tar.zst',
      'h1_data.20261120T020000Z.tar.zst.sha256',
      'h1_data.20261120T030000Z.tar.zst',
      'h1_data.20261120T030000Z.tar.zst.sha256',
    ]);
    const log = await readFile(join(ws.logDir, 'snapctl.log'), 'utf8');
    assert.equal(log.match(/apply finished with exit code 0/g)?.length, 3, log);
    assert.match(log, /deleted h1_data\.20261120T010000Z\.tar\.zst/);
  } finally {
    await ws.cleanup();
  }
});

test('output that cannot be written (stdout on a full disk) is a one-line error and exit 1', async () => {
  const { spawnSync } = await import('node:child_process');
  const { openSync, closeSync } = await import('node:fs');
  const full = openSync('/dev/full', 'w');
  try {
    for (const args of [['--version'], ['validate', '--policy', 'policies/example.yaml']]) {
      const r = spawnSync(process.execPath, ['bin/snapctl.js', ...args], { cwd: ROOT, stdio: ['ignore', full, 'pipe'], encoding: 'utf8' });
      assert.equal(r.status, 1, args[0]);
      assert.equal(r.stderr, 'error: cannot write the output: ENOSPC: no space left on device, write\n', args[0]);
    }
  } finally {
    closeSync(full);
  }
});
