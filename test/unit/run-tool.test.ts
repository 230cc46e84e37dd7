// runTool's timeout, with real processes: a tool that never answers and
// ignores SIGTERM, as one stuck on an unresponsive device does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isRunning, processOf, signal } from '../helpers/procs.js';

const RUN_TOOL = fileURLToPath(new URL('../../src/adapters/run-tool.js', import.meta.url));

/** A program that writes its pid to `pidFile` and sleeps `seconds`, ignoring SIGTERM. */
function stuckTool(dir: string, pidFile: string, seconds: number): string {
  const path = join(dir, 'stuck');
  writeFileSync(path, `#!/bin/sh\ntrap '' TERM\necho $$ > '${pidFile}'\nexec /bin/sleep ${seconds}\n`);
  chmodSync(path, 0o755);
  return path;
}

test('a tool that gives no answer in timeoutMs is no longer waited for, and does not keep node from exiting', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'snapctl-run-tool-'));
  const pidFile = join(dir, 'pid');
  t.after(() => {
    if (existsSync(pidFile)) signal(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  const tool = stuckTool(dir, pidFile, 60);
  const program = `
    import { runTool } from ${JSON.stringify(RUN_TOOL)};
    const stuck = await runTool(${JSON.stringify(tool)}, [], {}, { timeoutMs: 300 });
    const quick = await runTool('/bin/echo', ['hi'], {}, { timeoutMs: 600000 });
    process.stdout.write(JSON.stringify({ stuck, quick }));
  `;
  // The bound only detects a hang: the stuck tool sleeps 60 s, the quick one's timer is 600 s.
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', program], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.error, undefined, 'node exited without waiting for the stuck tool or the quick one’s timer');
  assert.equal(r.status, 0, r.stderr);
  const { stuck, quick } = JSON.parse(r.stdout) as { stuck: Record<string, unknown>; quick: Record<string, unknown> };
  const pid = Number(readFileSync(pidFile, 'utf8'));
  assert.deepEqual(stuck, {
    exitCode: 124,
    stdout: '',
    stderr: `${tool} gave no answer in 300 ms; a device or a lock it waits on may be stuck`,
    missing: false,
    timedOut: true,
    pid,
  });
  assert.deepEqual(quick, { exitCode: 0, stdout: 'hi\n', stderr: '', missing: false });
  // It was sent SIGTERM, which it ignores: still running, as a process in uninterruptible sleep would be.
  const left = processOf(pid);
  assert.ok(left !== undefined && isRunning(left), 'the stuck tool outlived the node process that gave up on it');
});
