// `npm run test:lvm`: boots the VM (see harness.ts) and runs every guest test
// file in it with node's test runner, against a blank disk at /dev/vda. The
// month of daily runs (lvm-daily-runs) takes as long as all the other files
// together, so it gets a VM of its own, booted side by side with the first:
// one single-vCPU VM per host core.
//
// Adding a test: create test/vm/guest/<name>.test.ts (node:test +
// node:assert/strict). Import the helpers from './vm-guest.js' (that import
// also refuses to run outside the VM). Each file creates its own volume group
// on GUEST_DISK in `before` and removes it in `after` (createVolumeGroup /
// removeVolumeGroup), since files run one after another on the same disk.
// Drive the CLI as `run(...SNAPCTL, 'plan', ...)`. Nothing to register: every
// dist/test/vm/guest/*.test.js is picked up.
//
// `node dist/test/vm/run-lvm-suite.js smoke thin` runs only the files whose
// name contains one of the words.
//
// Environment: SNAPCTL_VM_TIMEOUT_S (default 1200: a hang guard, not a
// budget; emulation on a busy host is several times slower; a minute before
// it, the guest lists its processes, what each waits in and their kernel
// stacks, and a timed-out run prints that listing), SNAPCTL_VM_ACCEL=kvm|tcg
// (skip the KVM probe), SNAPCTL_VM_CACHE (image cache, default .vm-cache/).
//
// A guest kernel hang (a task in uninterruptible sleep that has not run for
// 300 s: a lost I/O, a kernel deadlock) makes the guest print every stuck
// task's kernel stack and reset (init.sh). The outcome of that VM's tests is
// then unknown, so its files run once more in a fresh VM; the output keeps
// the hang report and the last line says which VM ran twice. A second hang
// fails the run.
// Exit status: the guest test run's, 1 when the VM itself fails, 130 when interrupted.
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { prepareVm, runInVm, VmError, withRerunOnKernelHang, type VmRun } from './harness.js';
import { REPO_ROOT } from './paths.js';

const GUEST_TESTS = join(REPO_ROOT, 'dist', 'test', 'vm', 'guest');

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function main(): Promise<number> {
  const only = process.argv.slice(2);
  const files = readdirSync(GUEST_TESTS)
    .filter((f) => f.endsWith('.test.js') && (only.length === 0 || only.some((word) => f.includes(word))))
    .sort()
    .map((f) => relative(REPO_ROOT, join(GUEST_TESTS, f)));
  if (files.length === 0) throw new VmError(`no guest test files${only.length ? ` matching ${only.join(' ')}` : ''} in ${GUEST_TESTS}: run \`npm run build\` first`);

  const t0 = performance.now();
  const image = await prepareVm(log);
  const imageMs = performance.now() - t0;
  log(`vm: image ${image.release} ${image.built ? `built in ${seconds(imageMs)}` : `from cache (${seconds(imageMs)})`}`);
  log(`vm: running ${files.length} guest test file(s): ${files.join(' ')}`);

  const timeoutMs = Number(process.env.SNAPCTL_VM_TIMEOUT_S ?? 1200) * 1000;
  const own = files.filter((f) => f.includes('lvm-daily-runs'));
  const rest = files.filter((f) => !own.includes(f));
  const groups = [rest, own].filter((g) => g.length > 0);
  const reruns: string[] = [];
  const results = await Promise.all(
    groups.map(async (group, i) => {
      const tag = groups.length > 1 ? `[vm${i + 1}] ` : '';
      const name = groups.length > 1 ? `vm${i + 1}` : 'the VM';
      const boot = (): Promise<VmRun> =>
        runInVm(
          {
            command: `node --test --test-concurrency=1 --test-reporter=spec ${group.join(' ')}`,
            cwd: REPO_ROOT,
            env: { NO_COLOR: '1', SNAPCTL_VM_DISK: '/dev/vda' },
            diskSizeBytes: 4 * 1024 ** 3,
            memoryMiB: 1536,
            timeoutMs,
            onOutput: (line) => log(`${tag}${line}`),
          },
          log,
        );
      const result = await withRerunOnKernelHang(boot, (hang) => {
        for (const line of hang.message.split('\n')) log(`${tag}vm: ${line}`);
        log(`${tag}vm: running ${name}'s ${group.length} test file(s) again in a fresh VM, once: the guest kernel hung, so their outcome is unknown`);
        reruns.push(name);
      });
      log(
        `${tag}vm: guest exit ${result.exitCode}; boot ${seconds(result.bootMs)}, tests ${seconds(result.durationMs - result.bootMs)}, ` +
          `VM total ${seconds(result.durationMs)} (accel ${result.accel})`,
      );
      return result.exitCode;
    }),
  );
  const failed = results.find((code) => code !== 0);
  const rerun = reruns.length > 0 ? ` (${reruns.join(' and ')} ran a second time: the guest kernel hung in the first)` : '';
  log(`vm: ${groups.length} VM(s), ${failed === undefined ? 'all guest tests passed' : `guest exit ${failed}`}${rerun}; whole run ${seconds(performance.now() - t0)}`);
  return failed ?? 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof VmError && e.interrupted) process.exit(130);
    process.stderr.write(e instanceof VmError ? `test:lvm FAILED: ${e.message}\n` : `test:lvm FAILED (harness bug): ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
