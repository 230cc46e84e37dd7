// Host-side tests of the VM harness's pure parts; the whole harness is
// exercised by `npm run test:lvm` itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newcArchive } from '../cpio.js';
import { exec, VmError, VmKernelHang } from '../exec.js';
import { jobOutput, jobScript, kernelHangReport, watchdogReport, withRerunOnKernelHang, type VmRun } from '../harness.js';
import { xzOffset } from '../kernel.js';
import { loadOrder, softPreDeps } from '../modules.js';
import { qemuArgs } from '../qemu.js';
import type { ModuleInfo } from '../modules.js';

test('newc archives unpack with cpio into the same directories, files, modes and symlinks', () => {
  const archive = newcArchive([
    { kind: 'dir', path: 'bin' },
    { kind: 'file', path: 'bin/tool', data: Buffer.from('#!/bin/sh\necho odd-length\n'), mode: 0o755 },
    { kind: 'symlink', path: 'bin/alias', target: 'tool' },
    { kind: 'file', path: 'empty', data: Buffer.alloc(0) },
  ]);
  assert.equal(archive.length % 4, 0);
  const dir = mkdtempSync(join(tmpdir(), 'cpio-test-'));
  try {
    execFileSync('busybox', ['cpio', '-id'], { cwd: dir, input: archive });
    assert.equal(readFileSync(join(dir, 'bin/tool'), 'utf8'), '#!/bin/sh\necho odd-length\n');
    assert.equal(statSync(join(dir, 'bin/tool')).mode & 0o777, 0o755);
    assert.equal(readlinkSync(join(dir, 'bin/alias')), 'tool');
    assert.equal(statSync(join(dir, 'empty')).size, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('newc archives carry character device numbers (the initramfs /dev/console)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cpio-test-'));
  try {
    execFileSync('busybox', ['cpio', '-id'], { cwd: dir, input: newcArchive([{ kind: 'dir', path: 'dev' }, { kind: 'char', path: 'dev/console', major: 5, minor: 1 }]) });
    const node = statSync(join(dir, 'dev/console'));
    assert.ok(node.isCharacterDevice());
    assert.equal(node.rdev, (5 << 8) | 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const mod = (depends: string[], softPre: string[] = []): ModuleInfo => ({ file: 'x.ko', depends, softPre });

test('module load order puts every dependency first, loads each module once and matches - and _', () => {
  const info = new Map([
    ['ext4', mod(['jbd2', 'mbcache'])],
    ['jbd2', mod([])],
    ['mbcache', mod([])],
    ['dm_snapshot', mod(['dm-mod', 'dm_bufio'])],
    ['dm_bufio', mod(['dm_mod'])],
    ['dm_mod', mod([])],
  ]);
  assert.deepEqual(loadOrder(['dm-snapshot', 'ext4', 'dm_mod'], info, new Set()), ['dm_mod', 'dm_bufio', 'dm_snapshot', 'jbd2', 'mbcache', 'ext4']);
});

test('module load order skips built-in modules and soft dependencies that name no module, but rejects missing hard ones', () => {
  const info = new Map([
    ['libcrc32c', mod([], ['crc32c'])],
    ['xfs', mod(['libcrc32c', 'virtio'])],
  ]);
  assert.deepEqual(loadOrder(['xfs'], info, new Set(['virtio'])), ['libcrc32c', 'xfs']);
  assert.throws(() => loadOrder(['xfs'], info, new Set()), (e: unknown) => e instanceof VmError && /virtio \(needed by xfs\)/.test(e.message));
});

test('softdep lines yield only the pre: names, without the crypto- prefix', () => {
  assert.deepEqual(softPreDeps(['pre: crypto-crc32c post: foo', 'pre: a b']), ['crc32c', 'a', 'b']);
  assert.deepEqual(softPreDeps(['post: foo']), []);
});

test('the xz stream is found after a bzImage-like prefix', () => {
  const xz = execFileSync('xz', ['-c'], { input: Buffer.from('kernel') });
  assert.equal(xzOffset(Buffer.concat([Buffer.alloc(517, 0x90), xz])), 517);
  assert.equal(xzOffset(Buffer.alloc(64)), -1);
});

test('a child that stops reading its input early is no failure: its exit status decides (xz --single-stream on a kernel)', async () => {
  // Far more than a pipe holds, so the write is still going when head exits.
  const input = Buffer.alloc(8 << 20, 0x61);
  const r = await exec('head', ['-c', '3'], { input });
  assert.equal(r.code, 0);
  assert.equal(r.stdout, 'aaa');
  const failed = await exec('sh', ['-c', 'head -c 1 >/dev/null; exit 3'], { input });
  assert.equal(failed.code, 3);
});

test('the job script passes environment values verbatim, quotes included, and runs in cwd', () => {
  const value = `it's "quoted" $HOME \`x\` \\ end`;
  const script = jobScript('printf "%s|%s" "$ODD" "$(pwd)"', { ODD: value }, '/usr');
  const r = spawnSync('/bin/sh', ['-c', script], { encoding: 'utf8', env: {} });
  assert.equal(r.stdout, `${value}|/usr`);
});

test('the job script refuses environment names the shell cannot export', () => {
  assert.throws(() => jobScript('true', { 'BAD-NAME': 'x' }, '/'), VmError);
});

test('job output is the console text between /init\'s markers, even when firmware left no newline', () => {
  const console = 'SeaBIOS\nBooting from ROM..vm-init: job start\nline 1\nline 2\nvm-init: job end, status 3\n[ 3.7] sysrq: Resetting\n';
  assert.equal(jobOutput(console), 'line 1\nline 2\n');
  assert.equal(jobOutput('kernel panic\n'), '');
});

test('the watchdog: its seconds go on the kernel command line only when asked, and a timed-out run reports its whole listing', () => {
  const config = { kernel: 'k', initramfs: 'i', jobDir: '/j', disk: '/d', accel: 'tcg' as const, memoryMiB: 1024 };
  const append = (args: string[]): string => args[args.indexOf('-append') + 1] ?? '';
  assert.doesNotMatch(append(qemuArgs(config)), /snapctl\.watchdog/);
  assert.match(append(qemuArgs({ ...config, watchdogS: 1140 })), / snapctl\.watchdog=1140$/);
  const console = ['vm-init: job start', 'some test output', 'vm-init: watchdog: the job still runs after 1140s', 'more output', 'vm-init: watchdog:   PID  PPID STAT', ''].join('\n');
  assert.equal(watchdogReport(console), '--- guest processes when the watchdog fired ---\nvm-init: watchdog: the job still runs after 1140s\nvm-init: watchdog:   PID  PPID STAT\n');
  assert.equal(watchdogReport('vm-init: job start\nno watchdog here\n'), '');
});

test('the hang watch: its seconds go on the kernel command line only when asked, and its report is every line it printed', () => {
  const config = { kernel: 'k', initramfs: 'i', jobDir: '/j', disk: '/d', accel: 'tcg' as const, memoryMiB: 1024 };
  const append = (args: string[]): string => args[args.indexOf('-append') + 1] ?? '';
  assert.doesNotMatch(append(qemuArgs(config)), /snapctl\.hung/);
  assert.match(append(qemuArgs({ ...config, hungTaskS: 5, watchdogS: 1140 })), / snapctl\.watchdog=1140 snapctl\.hung=5$/);
  const console = [
    'vm-init: job start',
    '✔ a test (1.2ms)',
    '[  364.1] INFO: task kworker/0:2:85 blocked for more than 120 seconds.',
    'vm-init: kernel hang: task 2163 (blkid -p /dev/vg/snap) has slept in D, in folio_wait_bit_common, without running for 120s',
    'vm-init: kernel hang: stack of 2163 (D): blkid -p /dev/vg/snap',
    'vm-init: kernel hang:   [<0>] folio_wait_bit_common+0x13d/0x380',
    '[  371.2] sysrq: Resetting',
    '',
  ].join('\n');
  assert.equal(
    kernelHangReport(console),
    'vm-init: kernel hang: task 2163 (blkid -p /dev/vg/snap) has slept in D, in folio_wait_bit_common, without running for 120s\nvm-init: kernel hang: stack of 2163 (D): blkid -p /dev/vg/snap\nvm-init: kernel hang:   [<0>] folio_wait_bit_common+0x13d/0x380\n',
  );
  assert.equal(kernelHangReport('vm-init: job start\nvm-init: job end, status 0\n'), '');
});

test('a kernel hang boots the job once more; a second hang, or any other failure, is thrown', async () => {
  const ran: VmRun = { exitCode: 0, output: '', durationMs: 1, bootMs: 1, accel: 'tcg' };
  const booting = (outcomes: Array<Error | VmRun>): { boot: () => Promise<VmRun>; boots: () => number } => {
    let n = 0;
    return {
      boot: () => {
        const next = outcomes[n++];
        if (next === undefined) return Promise.reject(new Error('booted more often than expected'));
        return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
      },
      boots: () => n,
    };
  };
  const hangs: string[] = [];
  const onHang = (h: VmKernelHang): void => void hangs.push(h.message);

  const once = booting([new VmKernelHang('the guest kernel hung: blkid'), ran]);
  assert.equal(await withRerunOnKernelHang(once.boot, onHang), ran);
  assert.equal(once.boots(), 2);
  assert.deepEqual(hangs, ['the guest kernel hung: blkid']);

  const twice = booting([new VmKernelHang('first'), new VmKernelHang('second')]);
  await assert.rejects(withRerunOnKernelHang(twice.boot, onHang), (e) => e instanceof VmKernelHang && e.message === 'second');
  assert.equal(twice.boots(), 2);

  const timeout = booting([new VmError('VM timed out after 1200s'), ran]);
  await assert.rejects(withRerunOnKernelHang(timeout.boot, onHang), /VM timed out/);
  assert.equal(timeout.boots(), 1);

  const fine = booting([{ ...ran, exitCode: 1 }, ran]);
  assert.equal((await withRerunOnKernelHang(fine.boot, onHang)).exitCode, 1, 'failed tests are a result, not a hang: no second boot');
  assert.equal(fine.boots(), 1);
  assert.deepEqual(hangs, ['the guest kernel hung: blkid', 'first']);
});
