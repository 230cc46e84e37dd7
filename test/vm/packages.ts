// Host packages the VM needs. They come from Debian's archive with apt-get;
// a missing one that cannot be installed is an error, never a skipped suite.
import { exec, VmError } from './exec.js';

/** qemu boots the guest, busybox-static is the initramfs userland, kmod's modinfo orders the modules; the rest run inside the guest from the shared host root. */
export const VM_PACKAGES = ['qemu-system-x86', 'busybox-static', 'kmod', 'xz-utils', 'lvm2', 'thin-provisioning-tools', 'xfsprogs', 'e2fsprogs'] as const;

/** The subset of `packages` dpkg does not list as installed (one dpkg-query call). */
async function missingPackages(packages: readonly string[]): Promise<string[]> {
  const r = await exec('dpkg-query', ['-W', '-f=${Package} ${Status}\n', ...packages]);
  const installed = new Set(
    r.stdout
      .split('\n')
      .filter((line) => line.endsWith(' install ok installed'))
      .map((line) => line.split(' ')[0]),
  );
  return packages.filter((pkg) => !installed.has(pkg));
}

const APT_ENV = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };

/** Installs whichever VM_PACKAGES are missing (apt-get update only when a first install attempt fails). */
export async function ensurePackages(packages: readonly string[] = VM_PACKAGES): Promise<void> {
  const missing = await missingPackages(packages);
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    throw new VmError(`the LVM test VM needs these Debian packages, which are not installed: ${missing.join(' ')}\nInstall them as root: apt-get install -y ${missing.join(' ')}`);
  }
  process.stderr.write(`vm: installing ${missing.join(' ')}\n`);
  const install = ['install', '-y', '--no-install-recommends', ...missing];
  let result = await exec('apt-get', install, { env: APT_ENV });
  if (result.code !== 0) {
    const update = await exec('apt-get', ['update'], { env: APT_ENV });
    if (update.code !== 0) throw new VmError(`apt-get update failed (exit ${update.code}):\n${update.stderr.trim()}`);
    result = await exec('apt-get', install, { env: APT_ENV });
  }
  if (result.code !== 0) throw new VmError(`apt-get install ${missing.join(' ')} failed (exit ${result.code}):\n${result.stderr.trim()}`);
}
