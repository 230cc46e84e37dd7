// Runs a shell command as root inside a throwaway qemu VM that boots Debian's
// kernel (with device-mapper) over the host's own root filesystem, so the
// guest has the same node, lvm2 and checkout as the host. The VM gets a blank
// sparse disk as /dev/vda. Harness failures (no qemu, no boot, timeout) throw
// VmError; the command's own failure is just a non-zero exitCode.
import { access, constants, mkdir, mkdtemp, open, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { release, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { VmError, VmKernelHang } from './exec.js';
import { buildImage } from './image.js';
import type { VmImage } from './image.js';
import { ensurePackages } from './packages.js';
import { cacheDir } from './paths.js';
import { bootQemu } from './qemu.js';
import type { Accel } from './qemu.js';

export { ensurePackages } from './packages.js';
export { buildImage } from './image.js';
export type { VmImage } from './image.js';
export type { Accel } from './qemu.js';
export { VmError, VmKernelHang } from './exec.js';

export interface RunInVmOptions {
  /** Shell text run by /bin/sh inside the guest, as root, in `cwd`. */
  readonly command: string;
  /** Size of the blank /dev/vda (sparse: costs only what the guest writes). */
  readonly diskSizeBytes: number;
  /** Wall-clock limit for the whole VM, boot included. */
  readonly timeoutMs: number;
  /** Added to the guest's otherwise empty environment (PATH and HOME=/root are set). */
  readonly env?: Readonly<Record<string, string>>;
  /** Working directory inside the guest; defaults to /. Host paths are the same inside. */
  readonly cwd?: string;
  /** Guest RAM; the guest's writable layer (/tmp, /root, any write outside /dev/vda) lives in it. */
  readonly memoryMiB?: number;
  /** Receives the command's output line by line while it runs (boot messages excluded). */
  readonly onOutput?: (line: string) => void;
  /** Force an accelerator instead of probing. */
  readonly accel?: Accel;
  /** Seconds a task may sleep uninterruptibly (D) without running before the guest reports a kernel hang and resets (VmKernelHang); the guest's default, 300, when absent. */
  readonly hungTaskS?: number;
}

export interface VmRun {
  readonly exitCode: number;
  /** What the command printed (stdout and stderr interleaved, plus kernel errors printed meanwhile). */
  readonly output: string;
  /** qemu start to power-off. */
  readonly durationMs: number;
  /** qemu start to the moment /init started the command. */
  readonly bootMs: number;
  readonly accel: Accel;
}

// SeaBIOS leaves no newline before the guest's first line, so match line ends.
const JOB_START = 'vm-init: job start';
const isJobStart = (line: string): boolean => line.endsWith(JOB_START);
const JOB_END = /^vm-init: job end, status \d+$/;
const KERNEL_HANG = 'vm-init: kernel hang:';
const GUEST_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The script /init runs: environment, cwd, then the command. */
export function jobScript(command: string, env: Readonly<Record<string, string>>, cwd: string): string {
  // The host's node may live outside the standard PATH (nvm, /opt); the guest sees the same file.
  const path = [...new Set([dirname(process.execPath), ...GUEST_PATH])].join(':');
  const lines = ['export PATH=' + shellQuote(path), 'export HOME=/root', 'export LANG=C.UTF-8'];
  for (const [name, value] of Object.entries(env)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new VmError(`invalid environment variable name for the VM: ${JSON.stringify(name)}`);
    lines.push(`export ${name}=${shellQuote(value)}`);
  }
  // A working directory under the host's /tmp or /run is hidden by the guest's
  // fresh ones: show the host's copy there, writable through an overlay.
  const q = shellQuote(cwd);
  lines.push(
    `if [ ! -d ${q} ] && [ -d /run/vm-host${q} ]; then`,
    `  mkdir -p /run/vm-expose/upper /run/vm-expose/work ${q}`,
    `  mount -t overlay -o lowerdir=/run/vm-host${q},upperdir=/run/vm-expose/upper,workdir=/run/vm-expose/work overlay ${q} || exit 125`,
    'fi',
  );
  lines.push(`cd ${q} || exit 125`, command, '');
  return lines.join('\n');
}

/** The command's part of the console: between /init's start and end markers. */
export function jobOutput(consoleText: string): string {
  const lines = consoleText.split('\n');
  const start = lines.findIndex(isJobStart);
  if (start < 0) return '';
  const end = lines.findIndex((line, i) => i > start && JOB_END.test(line));
  return lines.slice(start + 1, end < 0 ? undefined : end).join('\n') + '\n';
}

/** The console lines that start with `prefix` (one of init.sh's reports), each with its newline. */
function linesStartingWith(console: string, prefix: string): string {
  return console
    .split('\n')
    .filter((l) => l.startsWith(prefix))
    .map((l) => `${l}\n`)
    .join('');
}

/** The guest's kernel hang report (init.sh's hang watch), whole, when it printed one. */
export function kernelHangReport(console: string): string {
  return linesStartingWith(console, KERNEL_HANG);
}

/** The guest watchdog's listing (init.sh), whole, when it printed one. */
export function watchdogReport(console: string): string {
  const lines = linesStartingWith(console, 'vm-init: watchdog');
  return lines ? `--- guest processes when the watchdog fired ---\n${lines}` : '';
}

function tail(text: string, lines = 60): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

let prepared: Promise<VmImage> | undefined;
/** Installs missing packages and builds (or finds cached) the image, once per process. */
export function prepareVm(log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): Promise<VmImage> {
  prepared ??= ensurePackages().then(() => buildImage(log));
  return prepared;
}

async function bootJob(image: VmImage, accel: Accel, options: RunInVmOptions): Promise<VmRun> {
  const scratch = await mkdtemp(join(tmpdir(), 'snapctl-vm-'));
  try {
    const jobDir = join(scratch, 'job');
    const disk = join(scratch, 'disk.img');
    await (await open(disk, 'w')).close();
    await truncate(disk, options.diskSizeBytes);
    await mkdir(jobDir);
    await writeFile(join(jobDir, 'job.sh'), jobScript(options.command, options.env ?? {}, options.cwd ?? '/'));

    let pending = '';
    let inJob = false;
    let bootMs = 0;
    const started = performance.now();
    const onConsole = (text: string): void => {
      pending += text;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (!inJob && isJobStart(line)) {
          inJob = true;
          bootMs = performance.now() - started;
        } else if (inJob && JOB_END.test(line)) inJob = false;
        else if (inJob) options.onOutput?.(line);
      }
    };
    const memoryMiB = options.memoryMiB ?? 1024;
    // A minute before the timeout the guest lists its processes and what each waits on: a hang shows where it is.
    const watchdogS = options.timeoutMs / 1000 - 60;
    const config = { kernel: image.kernel, initramfs: image.initramfs, jobDir, disk, accel, memoryMiB, ...(watchdogS >= 10 ? { watchdogS } : {}), ...(options.hungTaskS !== undefined ? { hungTaskS: options.hungTaskS } : {}) };
    const outcome = await bootQemu(config, options.timeoutMs, onConsole);
    const consoleTail = `${watchdogReport(outcome.console)}--- last console lines ---\n${tail(outcome.console)}${outcome.qemuStderr.trim() ? `\n--- qemu stderr ---\n${outcome.qemuStderr.trim()}` : ''}`;
    if (outcome.interrupted) throw new VmError('interrupted: the VM was killed', true);
    const hang = kernelHangReport(outcome.console);
    if (hang) throw new VmKernelHang(`the guest kernel hung (accel ${accel}; the VM reset itself ${Math.round(outcome.durationMs / 1000)}s after start): ${hang.split('\n')[0]?.slice(KERNEL_HANG.length + 1)}\n--- kernel hang report ---\n${hang}`);
    if (outcome.timedOut) throw new VmError(`VM timed out after ${Math.round(options.timeoutMs / 1000)}s (accel ${accel})\n${consoleTail}`);
    const status = await readFile(join(jobDir, 'status'), 'utf8').catch(() => undefined);
    if (status === undefined || !/^\d+\s*$/.test(status)) {
      const why = outcome.console.includes(JOB_START) ? 'the job started but no exit status came back' : 'the VM did not boot to the job';
      const qemuSaid = outcome.qemuStderr.trim().split('\n')[0];
      throw new VmError(`${why} (qemu ${outcome.qemuEnd}${qemuSaid ? `: ${qemuSaid}` : ''}; accel ${accel})\n${consoleTail}`);
    }
    return { exitCode: Number(status), output: jobOutput(outcome.console), durationMs: outcome.durationMs, bootMs, accel };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

async function kvmUsable(): Promise<boolean> {
  return access('/dev/kvm', constants.R_OK | constants.W_OK).then(
    () => true,
    () => false,
  );
}

/**
 * KVM only when a trial boot really completes: on nested hosts /dev/kvm can
 * exist while guests hang or qemu aborts. The verdict is cached per host
 * kernel and guest kernel; SNAPCTL_VM_ACCEL=kvm|tcg overrides it.
 */
async function chooseAccel(image: VmImage, log: (line: string) => void): Promise<Accel> {
  const forced = process.env.SNAPCTL_VM_ACCEL;
  if (forced === 'kvm' || forced === 'tcg') return forced;
  if (!(await kvmUsable())) return 'tcg';
  const key = `${release()} ${image.release}`;
  const cacheFile = join(cacheDir(), 'accel.json');
  const cached = await readFile(cacheFile, 'utf8')
    .then((t) => JSON.parse(t) as { key?: string; accel?: Accel })
    .catch(() => undefined);
  if (cached?.key === key && (cached.accel === 'kvm' || cached.accel === 'tcg')) return cached.accel;
  let accel: Accel = 'tcg';
  try {
    const probe = await bootJob(image, 'kvm', { command: 'exit 0', diskSizeBytes: 1 << 20, timeoutMs: 15_000 });
    if (probe.exitCode === 0) accel = 'kvm';
  } catch (e) {
    log(`vm: KVM trial boot failed, using TCG emulation (${(e as Error).message.split('\n')[0]})`);
  }
  await writeFile(cacheFile, `${JSON.stringify({ key, accel })}\n`).catch(() => {});
  return accel;
}

/** Boots a fresh VM, runs `options.command` inside as root, powers off and cleans up. */
export async function runInVm(options: RunInVmOptions, log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): Promise<VmRun> {
  const image = await prepareVm(log);
  const accel = options.accel ?? (await chooseAccel(image, log));
  return bootJob(image, accel, options);
}

/**
 * Runs `boot` and, when the guest kernel hung (VmKernelHang), once more:
 * a task stuck in the kernel (a lost I/O, a kernel deadlock) says nothing of
 * the job, whose outcome is then unknown rather than failed. `onHang` sees the
 * first hang before the second boot. Any other error, or a second hang, is thrown.
 */
export async function withRerunOnKernelHang(boot: () => Promise<VmRun>, onHang: (hang: VmKernelHang) => void): Promise<VmRun> {
  try {
    return await boot();
  } catch (e) {
    if (!(e instanceof VmKernelHang)) throw e;
    onHang(e);
    return boot();
  }
}
