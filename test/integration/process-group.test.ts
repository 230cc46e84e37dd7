// groupRunning against real processes: kill(-pgid, 0) also finds a zombie,
// and a timed-out hook must not wait out its kill grace for one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { groupRunning } from '../../src/adapters/process-group.js';

function state(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

test('a group left with only a zombie nobody reaps is not running; a group with a live process is', { timeout: 30_000 }, async (t) => {
  // The shell becomes `sleep 60`, which never reaps its child: `setsid sleep 0.1`, a group of its own, stays a zombie.
  const parent = spawn('sh', ['-c', 'setsid sleep 0.1 & echo $!; exec sleep 60'], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
  t.after(() => parent.kill('SIGKILL'));
  const [chunk] = (await once(parent.stdout, 'data')) as [Buffer];
  parent.stdout.destroy();
  const zombie = Number(chunk.toString().trim());
  for (let i = 0; i < 100 && state(zombie) !== 'Z'; i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(state(zombie), 'Z', `sleep ${zombie} is a zombie`);
  assert.doesNotThrow(() => process.kill(-zombie, 0), 'kill() still finds its group');
  assert.equal(groupRunning(zombie), false);
  assert.equal(groupRunning(parent.pid!), true);
});
