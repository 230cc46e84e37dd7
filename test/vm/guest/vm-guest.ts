// Helpers for test files that run INSIDE the test VM (see run-lvm-suite.ts).
// Importing this module outside the VM throws: these tests wipe GUEST_DISK,
// which on a host may well be the system disk.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

function insideTestVm(): boolean {
  try {
    return readFileSync('/proc/cmdline', 'utf8').split(/\s+/).includes('snapctl.vm=1');
  } catch {
    return false;
  }
}

if (!insideTestVm()) {
  throw new Error('this test runs only inside the snapctl test VM (npm run test:lvm): it wipes the disk ' + (process.env.SNAPCTL_VM_DISK ?? '/dev/vda'));
}

/** The blank virtio disk the harness attached. */
export const GUEST_DISK = process.env.SNAPCTL_VM_DISK ?? '/dev/vda';

/** The checkout, at the same path as on the host (the guest's root is the host's). */
export const CHECKOUT = fileURLToPath(new URL('../../../../', import.meta.url)).replace(/\/$/, '');

/**
 * `node bin/snapctl.js` of this checkout: it loads build/snapctl.cjs, one
 * file (under emulation every file node loads through the 9p share costs
 * milliseconds; dist/src and node_modules are hundreds).
 */
export const SNAPCTL = [process.execPath, `${CHECKOUT}/bin/snapctl.js`] as const;

export interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program; never throws, so tests can assert on failures too. */
export function run(file: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Ran {
  const r = spawnSync(file, args, { encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: r.status ?? 128, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
}

/** Runs a program that must succeed, returning its stdout; a failure throws with the command and stderr. */
export function must(file: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): string {
  const r = run(file, args, env);
  if (r.code !== 0) throw new Error(`\`${[file, ...args].join(' ')}\` exited ${r.code}:\n${r.stderr || r.stdout}`);
  return r.stdout;
}

/** A volume group spanning the whole guest disk. One at a time: each test file creates its own and removes it in `after`. */
export function createVolumeGroup(name: string): void {
  must('pvcreate', ['-qq', '-y', GUEST_DISK]);
  must('vgcreate', ['-qq', name, GUEST_DISK]);
}

/**
 * Unmounts anything of the VG, removes it and discards the whole disk, so the
 * next file starts from zeroes (a new LV on the same extents would otherwise
 * find the old filesystem's signature and lvcreate would refuse to wipe it).
 */
export function removeVolumeGroup(name: string): void {
  const mounts = readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((line) => line.split(' '))
    .filter(([dev]) => dev?.startsWith(`/dev/mapper/${name.replace(/-/g, '--')}-`) || dev?.startsWith(`/dev/${name}/`))
    .map(([, mountpoint]) => mountpoint!)
    .reverse();
  for (const mountpoint of mounts) run('umount', ['-l', mountpoint]);
  must('vgremove', ['-qq', '-f', name]);
  must('pvremove', ['-qq', GUEST_DISK]);
  // virtio-blk discard punches holes in the sparse image: the disk reads as zeroes again.
  must('blkdiscard', ['-f', GUEST_DISK]);
}

/** Parsed `lvs --reportformat json` rows for a VG (units in bytes, no suffix). */
export function listLogicalVolumes(vg: string): Array<Record<string, string>> {
  const out = must('lvs', ['--reportformat', 'json', '--units', 'b', '--nosuffix', '-o', 'lv_name,vg_name,lv_attr,lv_size,origin', vg]);
  const parsed = JSON.parse(out) as { report: Array<{ lv: Array<Record<string, string>> }> };
  return parsed.report[0]?.lv ?? [];
}
