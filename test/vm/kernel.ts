// The guest kernel: Debian's own linux-image package, downloaded and unpacked
// (never installed on the host, whose kernel has no device-mapper).
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exec, execOk, VmError } from './exec.js';

const APT_ENV = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };

const APT_LISTS = '/var/lib/apt/lists';

/** Changes whenever `apt-get update` rewrites the package lists. */
async function aptListsStamp(): Promise<string> {
  const names = (await readdir(APT_LISTS).catch(() => [] as string[])).filter((n) => n.includes('Packages'));
  const stamps = await Promise.all(names.map(async (n) => `${n}@${(await stat(join(APT_LISTS, n))).mtimeMs}`));
  return stamps.sort().join(' ');
}

/**
 * The `linux-image-<ver>-amd64` package that `linux-image-amd64` depends on.
 * apt-cache takes seconds where the binary cache is disabled (Debian's
 * container images), so the answer is remembered until the lists change.
 */
export async function currentKernelPackage(memo: string): Promise<string> {
  const stamp = await aptListsStamp();
  const remembered = await readFile(memo, 'utf8')
    .then((t) => JSON.parse(t) as { stamp?: string; pkg?: string })
    .catch(() => undefined);
  if (stamp && remembered?.stamp === stamp && remembered.pkg) return remembered.pkg;
  const pkg = await askApt();
  await writeFile(memo, `${JSON.stringify({ stamp: await aptListsStamp(), pkg })}\n`).catch(() => {});
  return pkg;
}

async function askApt(): Promise<string> {
  let r = await exec('apt-cache', ['depends', 'linux-image-amd64']);
  if (r.code !== 0 || !/Depends: linux-image-/.test(r.stdout)) {
    // A fresh container may have no package lists yet.
    await exec('apt-get', ['update'], { env: APT_ENV });
    r = await exec('apt-cache', ['depends', 'linux-image-amd64']);
  }
  const match = /Depends: (linux-image-[0-9][^\s]*-amd64)\b/.exec(r.stdout);
  if (!match?.[1]) throw new VmError(`cannot find the kernel package linux-image-amd64 depends on:\n${(r.stderr || r.stdout).trim()}`);
  return match[1];
}

/** `linux-image-6.1.0-56-amd64` → `6.1.0-56-amd64` (the folder name under /lib/modules). */
export function kernelRelease(pkg: string): string {
  return pkg.replace(/^linux-image-/, '');
}

/** Downloads the package into `debDir` (kept for rebuilds) and unpacks it into `into`. */
export async function fetchKernel(pkg: string, debDir: string, into: string): Promise<void> {
  await mkdir(debDir, { recursive: true });
  const existing = (await readdir(debDir)).find((f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb'));
  let deb = existing;
  if (!deb) {
    const r = await exec('apt-get', ['download', pkg], { cwd: debDir, env: APT_ENV });
    deb = (await readdir(debDir)).find((f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb'));
    if (r.code !== 0 || !deb) throw new VmError(`apt-get download ${pkg} failed (exit ${r.code}):\n${r.stderr.trim()}`);
  }
  await rm(into, { recursive: true, force: true });
  await mkdir(into, { recursive: true });
  await execOk('dpkg', ['-x', join(debDir, deb), into]);
}

const XZ_MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);
const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

/** Offset of the xz stream inside a bzImage, or -1. */
export function xzOffset(bzImage: Buffer): number {
  return bzImage.indexOf(XZ_MAGIC);
}

/** Writes the uncompressed ELF kernel: qemu boots it through its PVH note, skipping the slow emulated decompression. */
export async function extractVmlinux(vmlinuz: string, out: string): Promise<void> {
  const image = await readFile(vmlinuz);
  const offset = xzOffset(image);
  if (offset < 0) throw new VmError(`${vmlinuz}: no xz stream found (expected an xz-compressed Debian kernel)`);
  // --single-stream stops at the end of the xz data and ignores the bzImage trailer after it.
  const r = await exec('xz', ['-dc', '--single-stream'], { input: image.subarray(offset) });
  if (r.code !== 0) throw new VmError(`xz could not decompress the kernel in ${vmlinuz}:\n${r.stderr.trim()}`);
  const elf = r.stdoutBytes;
  if (!elf.subarray(0, 4).equals(ELF_MAGIC)) throw new VmError(`${vmlinuz}: the decompressed kernel is not an ELF file`);
  await writeFile(out, elf);
}
