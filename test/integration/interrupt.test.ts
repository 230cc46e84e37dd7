import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INTERRUPT_EXIT, withInterrupts } from '../../src/apply/interrupt.js';

const interruptModule = new URL('../../src/apply/interrupt.js', import.meta.url).href;

/**
 * A node process that runs a 60 s step under withInterrupts; the step's
 * finally takes cleanupMs and then writes the marker file. It exits with
 * INTERRUPT_EXIT of the signal, or 0 when the step completed.
 */
function runner(marker: string, cleanupMs: number): { child: ChildProcess; output: Promise<{ code: number | null; stdout: string; stderr: string }>; waitFor: (text: string) => Promise<void> } {
  const script = `import { withInterrupts, INTERRUPT_EXIT } from ${JSON.stringify(interruptModule)};
import { setTimeout as sleep } from 'node:timers/promises';
import { writeFileSync } from 'node:fs';
const outcome = await withInterrupts(async (signal) => {
  try {
    process.stdout.write('ready\\n');
    await sleep(60_000, undefined, { signal });
    return 'completed';
  } finally {
    process.stdout.write('cleanup started\\n');
    await sleep(${cleanupMs});
    writeFileSync(${JSON.stringify(marker)}, 'cleaned up');
  }
});
process.exit(outcome.interrupted ? INTERRUPT_EXIT[outcome.interrupted] : 0);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiters: { text: string; resolve: () => void }[] = [];
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    for (const w of waiters) if (stdout.includes(w.text)) w.resolve();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const output = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
  const waitFor = (text: string): Promise<void> =>
    new Promise((resolve, reject) => {
      if (stdout.includes(text)) return resolve();
      waiters.push({ text, resolve });
      void output.then(() => reject(new Error(`process exited before printing "${text}"; stderr: ${stderr}`)));
    });
  return { child, output, waitFor };
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'snapctl-int-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('SIGTERM aborts the running step, its finally runs, and the process exits 143', () =>
  withDir(async (dir) => {
    const marker = join(dir, 'marker');
    const { child, output, waitFor } = runner(marker, 0);
    await waitFor('ready');
    child.kill('SIGTERM');
    const { code, stdout } = await output;
    assert.equal(code, 143);
    assert.match(stdout, /cleanup started/);
    assert.equal(await readFile(marker, 'utf8'), 'cleaned up');
  }));

for (const [sig, exit] of [['SIGINT', 130], ['SIGHUP', 129]] as const) {
  // SIGHUP: the terminal of an apply started by hand went away.
  test(`${sig} is reported as exit ${exit} after cleanup`, () =>
    withDir(async (dir) => {
      const marker = join(dir, 'marker');
      const { child, output, waitFor } = runner(marker, 0);
      await waitFor('ready');
      child.kill(sig);
      assert.equal((await output).code, exit);
      assert.equal(await readFile(marker, 'utf8'), 'cleaned up');
    }));
}

test('further signals during cleanup do not kill it; they say to wait, and the first signal sets the exit code', () =>
  withDir(async (dir) => {
    const marker = join(dir, 'marker');
    const { child, output, waitFor } = runner(marker, 700);
    await waitFor('ready');
    child.kill('SIGTERM');
    await waitFor('cleanup started');
    child.kill('SIGINT');
    child.kill('SIGTERM');
    const { code, stderr } = await output;
    assert.equal(code, 143);
    assert.equal(await readFile(marker, 'utf8'), 'cleaned up');
    assert.match(stderr, /SIGINT received: cleanup in progress, please wait/);
  }));

test('without a signal the result is returned and the handlers are removed afterwards', async () => {
  const count = (): number[] => ['SIGINT', 'SIGTERM', 'SIGHUP'].map((s) => process.listenerCount(s));
  const before = count();
  const outcome = await withInterrupts((signal) => Promise.resolve(signal.aborted ? 'aborted' : 'fine'));
  assert.deepEqual(outcome, { result: 'fine' });
  assert.deepEqual(count(), before);
});

test('without a signal an error thrown by the step propagates unchanged', async () => {
  const boom = new Error('tar failed');
  await assert.rejects(withInterrupts(() => Promise.reject(boom)), (err) => err === boom);
});

test('maps SIGINT to 130, SIGTERM to 143 and SIGHUP to 129', () => {
  assert.deepEqual(INTERRUPT_EXIT, { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 });
});
