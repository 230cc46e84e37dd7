// The bootable image: an uncompressed kernel plus an initramfs of busybox,
// the modules and our /init. Cached per kernel release and per content hash
// of everything that goes into the initramfs, so editing init.sh rebuilds.
import { createHash } from 'node:crypto';
import { access, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { newcArchive } from './cpio.js';
import type { CpioEntry } from './cpio.js';
import { VmError } from './exec.js';
import { currentKernelPackage, extractVmlinux, fetchKernel, kernelRelease } from './kernel.js';
import { GUEST_MODULES, resolveModules } from './modules.js';
import { cacheDir, INIT_SCRIPT } from './paths.js';

export interface VmImage {
  /** ELF vmlinux, booted directly by qemu. */
  readonly kernel: string;
  /** Uncompressed newc cpio (boots faster under emulation than a compressed one). */
  readonly initramfs: string;
  readonly release: string;
  /** True when this call built it, false when it came from the cache. */
  readonly built: boolean;
}

const BUSYBOX = '/bin/busybox';
/** Bump when the layout of the initramfs changes in code rather than in init.sh. */
const LAYOUT_VERSION = '1';

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

async function imageKey(): Promise<string> {
  const hash = createHash('sha256');
  hash.update(LAYOUT_VERSION);
  hash.update(await readFile(INIT_SCRIPT));
  hash.update(GUEST_MODULES.join(','));
  hash.update(await readFile(BUSYBOX).catch(() => Buffer.alloc(0)));
  return hash.digest('hex').slice(0, 12);
}

/** The initramfs contents: busybox, /dev/console (so /init has a stdout), the modules and their load order, /init. */
async function initramfsEntries(moduleFiles: readonly string[]): Promise<CpioEntry[]> {
  const busybox = await readFile(BUSYBOX).catch(() => {
    throw new VmError(`${BUSYBOX} is missing: install busybox-static`);
  });
  const entries: CpioEntry[] = ['bin', 'dev', 'proc', 'sys', 'mnt', 'newroot', 'lib', 'lib/modules'].map((path) => ({ kind: 'dir', path }));
  entries.push({ kind: 'char', path: 'dev/console', major: 5, minor: 1 });
  entries.push({ kind: 'file', path: 'bin/busybox', data: busybox, mode: 0o755 });
  const names: string[] = [];
  for (const file of moduleFiles) {
    names.push(basename(file));
    entries.push({ kind: 'file', path: `lib/modules/${basename(file)}`, data: await readFile(file) });
  }
  entries.push({ kind: 'file', path: 'lib/modules/load-order', data: Buffer.from(`${names.join('\n')}\n`) });
  entries.push({ kind: 'file', path: 'init', data: await readFile(INIT_SCRIPT), mode: 0o755 });
  return entries;
}

/** Returns the cached image for today's Debian kernel, building it (download, unpack, extract) when absent. */
export async function buildImage(log: (line: string) => void = () => {}): Promise<VmImage> {
  const root = cacheDir();
  await mkdir(root, { recursive: true });
  const pkg = await currentKernelPackage(join(root, 'kernel-package.json'));
  const release = kernelRelease(pkg);
  const key = await imageKey();
  const imagesDir = join(root, 'images');
  const dir = join(imagesDir, `${release}-${key}`);
  const image = { kernel: join(dir, 'vmlinux'), initramfs: join(dir, 'initramfs.cpio'), release };
  if (await exists(join(dir, 'ready'))) return { ...image, built: false };

  log(`vm: building the guest image for ${release} in ${dir}`);
  const work = join(root, `build-${process.pid}`);
  const unpacked = join(work, 'pkg');
  try {
    await fetchKernel(pkg, join(root, 'debs'), unpacked);
    await mkdir(join(work, 'out'), { recursive: true });
    await extractVmlinux(join(unpacked, 'boot', `vmlinuz-${release}`), join(work, 'out', 'vmlinux'));
    const modules = await resolveModules(unpacked, release);
    await writeFile(join(work, 'out', 'initramfs.cpio'), newcArchive(await initramfsEntries(modules)));
    await writeFile(join(work, 'out', 'ready'), `${pkg}\n${modules.map((m) => basename(m)).join(' ')}\n`);
    await mkdir(imagesDir, { recursive: true });
    await rm(dir, { recursive: true, force: true });
    await rename(join(work, 'out'), dir);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  // Older images and kernel packages are dead weight once a new one is built.
  for (const old of await readdir(imagesDir)) if (join(imagesDir, old) !== dir) await rm(join(imagesDir, old), { recursive: true, force: true });
  for (const deb of await readdir(join(root, 'debs'))) if (!deb.startsWith(`${pkg}_`)) await rm(join(root, 'debs', deb), { force: true });
  return { ...image, built: true };
}
