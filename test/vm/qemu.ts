// Starting qemu: the command line (pure, so it can be read in one place) and
// one boot with a hard timeout. Flags follow what was measured to boot fastest
// under emulation on 2-core hosts: 1 vCPU, ELF kernel via PVH, no firmware
// devices, uncompressed initramfs, serial console on stdout.
import { spawn } from 'node:child_process';

export type Accel = 'kvm' | 'tcg';

export interface QemuConfig {
  readonly kernel: string;
  readonly initramfs: string;
  /** Shared writable as 9p tag `job`. */
  readonly jobDir: string;
  /** Raw sparse image, the guest's /dev/vda. */
  readonly disk: string;
  readonly accel: Accel;
  readonly memoryMiB: number;
  /** Seconds after which the guest prints its processes if the job still runs (see init.sh); none when absent. */
  readonly watchdogS?: number;
  /** Seconds a task may sleep uninterruptibly (D) without running before the guest calls it a kernel hang and resets (see init.sh); the guest's default (300) when absent. */
  readonly hungTaskS?: number;
}

const KERNEL_CMDLINE = [
  'console=ttyS0',
  // Any panic (including /init dying) reboots at once, which -no-reboot turns into qemu exiting.
  'panic=-1',
  'oops=panic',
  'quiet',
  'loglevel=4',
  'acpi=off',
  'edd=off',
  'i8042.noaux',
  'i8042.nokbd',
  'i8042.nopnp',
  'tsc=reliable',
  'no_timer_check',
  // Marks the guest: guest tests refuse to touch disks anywhere else.
  'snapctl.vm=1',
].join(' ');

function kernelCmdline(c: QemuConfig): string {
  const seconds = (s: number): number => Math.max(1, Math.round(s));
  return [
    KERNEL_CMDLINE,
    ...(c.watchdogS === undefined ? [] : [`snapctl.watchdog=${seconds(c.watchdogS)}`]),
    ...(c.hungTaskS === undefined ? [] : [`snapctl.hung=${seconds(c.hungTaskS)}`]),
  ].join(' ');
}

/** The full qemu-system-x86_64 argument list; the host root is shared read-only as 9p tag `hostroot`. */
export function qemuArgs(c: QemuConfig): string[] {
  return [
    ...['-accel', c.accel, '-cpu', c.accel === 'kvm' ? 'host' : 'max', '-machine', 'pc', '-smp', '1', '-m', String(c.memoryMiB)],
    ...['-nodefaults', '-no-user-config', '-nographic', '-no-reboot', '-serial', 'stdio', '-monitor', 'none'],
    ...['-kernel', c.kernel, '-initrd', c.initramfs, '-append', kernelCmdline(c)],
    ...['-virtfs', 'local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap'],
    ...['-virtfs', `local,path=${c.jobDir},mount_tag=job,security_model=none,multidevs=remap`],
    ...['-drive', `file=${c.disk},if=virtio,format=raw,cache=unsafe,discard=unmap`],
  ];
}

export interface BootOutcome {
  /** How qemu ended: `exit 0`, `signal SIGABRT`, or `not started`. */
  readonly qemuEnd: string;
  /** Serial console text, `\r\n` folded to `\n`. */
  readonly console: string;
  readonly qemuStderr: string;
  readonly timedOut: boolean;
  /** SIGINT/SIGTERM reached this process while the VM ran. */
  readonly interrupted: boolean;
  readonly durationMs: number;
}

/** Runs qemu to completion, killing it after `timeoutMs`; `onConsole` sees console text as it arrives. */
export function bootQemu(config: QemuConfig, timeoutMs: number, onConsole: (text: string) => void = () => {}): Promise<BootOutcome> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn('qemu-system-x86_64', qemuArgs(config), { stdio: ['ignore', 'pipe', 'pipe'] });
    let consoleText = '';
    let stderr = '';
    let timedOut = false;
    let interrupted = false;
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      // SeaBIOS clears the screen with escape sequences; they only garble logs.
      // eslint-disable-next-line no-control-regex -- matching ESC is the point
      const text = chunk.replace(/\r|\x1b(\[[0-9;?]*[A-Za-z]|c)/g, '');
      consoleText += text;
      onConsole(text);
    });
    child.stderr.on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    const onSignal = (): void => {
      interrupted = true;
      child.kill('SIGKILL');
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const finish = (qemuEnd: string, extra = ''): void => {
      clearTimeout(timer);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve({ qemuEnd, console: consoleText, qemuStderr: stderr + extra, timedOut, interrupted, durationMs: performance.now() - started });
    };
    child.on('error', (e) => finish('not started', `cannot start qemu-system-x86_64: ${e.message}`));
    child.on('close', (code, signal) => finish(signal ? `signal ${signal}` : `exit ${code}`));
  });
}
