// contrib/snapctl.logrotate, run by the real logrotate against the run log
// as apply writes it: a rename rotation loses no line, neither of a run that
// still holds the old file open nor of the next run, and old logs get compressed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { gunzipSync } from 'node:zlib';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openRunLog } from '../../src/apply/logger.js';

const CONFIG = join(import.meta.dirname, '..', '..', '..', 'contrib', 'snapctl.logrotate');

function log(dir: string): ReturnType<typeof openRunLog> {
  return openRunLog({ dir, stdout: 'quiet', json: false, out: { write: () => true }, err: { write: () => true } });
}

test('contrib/snapctl.logrotate: rotation by rename keeps every line of a running and of the next apply; the rotation before is compressed', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'snapctl-logrotate-'));
  try {
    const logDir = join(dir, 'log');
    const shipped = await readFile(CONFIG, 'utf8');
    assert.ok(shipped.includes('/var/log/snapctl/snapctl.log {'), 'the config rotates the default log path');
    const config = join(dir, 'snapctl.logrotate');
    const ours = shipped.replace('/var/log/snapctl/snapctl.log {', `${join(logDir, 'snapctl.log')} {`);
    assert.ok(!ours.includes('/var/log/snapctl/snapctl.log {'), 'only the temporary log is rotated, never the real one');
    await writeFile(config, ours, { mode: 0o644 });
    const rotate = (): void => {
      const r = spawnSync('logrotate', ['--force', '--state', join(dir, 'state'), config], { encoding: 'utf8' });
      assert.equal(r.status, 0, `logrotate: ${r.error?.message ?? r.stderr}`);
    };

    const running = log(logDir);
    running.info('one');
    rotate();
    running.info('two'); // still writing through its descriptor: lands in snapctl.log.1
    running.close();
    const next = log(logDir);
    next.info('three');
    next.close();
    const text = (f: string): Promise<string> => readFile(join(logDir, f), 'utf8');
    assert.match(await text('snapctl.log.1'), /INFO {2}one\n.*INFO {2}two\n$/);
    assert.match(await text('snapctl.log'), /INFO {2}three\n$/);

    rotate();
    assert.deepEqual((await readdir(logDir)).sort(), ['snapctl.log', 'snapctl.log.1', 'snapctl.log.2.gz']);
    assert.match(gunzipSync(await readFile(join(logDir, 'snapctl.log.2.gz'))).toString(), /one\n.*two\n$/);
    assert.match(await text('snapctl.log.1'), /three\n$/);
    assert.equal(await text('snapctl.log'), '');
    assert.equal((await stat(join(logDir, 'snapctl.log'))).mode & 0o777, 0o640);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
