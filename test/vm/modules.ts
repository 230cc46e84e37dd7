// Kernel modules the guest loads from its initramfs, in dependency order.
// Debian's package ships no modules.dep, so each module's `depends=` and
// `softdep=pre:` are read with modinfo and the list is sorted here.
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { execOk, VmError } from './exec.js';

/**
 * virtio disk + 9p (the shared host root), overlay (its writable layer),
 * device-mapper with classic and thin snapshots, ext4, XFS, btrfs and loop.
 * crc32c_generic is listed because it is only a soft dependency (by alias) of
 * libcrc32c and ext4, which fail to load without it.
 */
export const GUEST_MODULES = [
  'virtio_pci',
  'virtio_blk',
  '9pnet_virtio',
  '9p',
  'overlay',
  'crc32c_generic',
  'dm-mod',
  'dm-snapshot',
  'dm-thin-pool',
  'ext4',
  'xfs',
  'btrfs',
  'loop',
] as const;

/** Module names treat `-` and `_` alike. */
export function moduleKey(name: string): string {
  return name.replace(/-/g, '_');
}

export interface ModuleInfo {
  readonly file: string;
  readonly depends: readonly string[];
  /** Soft pre-dependencies; may name aliases (`crc32c`) that match no file and are then ignored. */
  readonly softPre: readonly string[];
}

/** Depth-first order that puts every dependency before its dependants; unknown hard dependencies are errors. */
export function loadOrder(wanted: readonly string[], info: ReadonlyMap<string, ModuleInfo>, builtin: ReadonlySet<string>): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, soft: boolean, chain: readonly string[]): void => {
    const key = moduleKey(name);
    if (builtin.has(key) || state.get(key) === 'done') return;
    if (state.get(key) === 'visiting') throw new VmError(`module dependency cycle: ${[...chain, name].join(' → ')}`);
    const mod = info.get(key);
    if (!mod) {
      if (soft) return;
      throw new VmError(`kernel module ${name} (needed by ${chain.join(' → ') || 'the VM'}) is neither a .ko file nor built in`);
    }
    state.set(key, 'visiting');
    for (const dep of mod.softPre) visit(dep, true, [...chain, name]);
    for (const dep of mod.depends) visit(dep, false, [...chain, name]);
    state.set(key, 'done');
    order.push(key);
  };
  for (const name of wanted) visit(name, false, []);
  return order;
}

async function listKoFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.ko')).map((e) => join(e.parentPath, e.name));
}

async function modinfo(field: string, file: string): Promise<string[]> {
  const r = await execOk('modinfo', ['-F', field, file]);
  return r.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
}

/** Parses `softdep` values like `pre: crc32c post: foo` into the pre names. */
export function softPreDeps(lines: readonly string[]): string[] {
  const pre: string[] = [];
  for (const line of lines) {
    let inPre = false;
    for (const word of line.split(/\s+/)) {
      if (word.endsWith(':')) inPre = word === 'pre:';
      else if (inPre && word) pre.push(word.replace(/^crypto-/, ''));
    }
  }
  return pre;
}

/** Resolves GUEST_MODULES (plus dependencies) under an unpacked kernel package to .ko paths in load order. */
export async function resolveModules(kernelRoot: string, release: string, wanted: readonly string[] = GUEST_MODULES): Promise<string[]> {
  const modDir = join(kernelRoot, 'lib', 'modules', release);
  const files = new Map<string, string>();
  for (const file of await listKoFiles(join(modDir, 'kernel'))) files.set(moduleKey(basename(file, '.ko')), file);
  const builtinText = await readFile(join(modDir, 'modules.builtin'), 'utf8').catch(() => '');
  const builtin = new Set(builtinText.split('\n').filter(Boolean).map((l) => moduleKey(basename(l, '.ko'))));

  // modinfo is slow-ish per call, so read only the modules reachable from `wanted`.
  const info = new Map<string, ModuleInfo>();
  const pending = [...wanted];
  while (pending.length > 0) {
    const key = moduleKey(pending.pop()!);
    const file = files.get(key);
    if (info.has(key) || !file) continue;
    const depends = (await modinfo('depends', file)).flatMap((l) => l.split(',')).filter(Boolean);
    const softPre = softPreDeps(await modinfo('softdep', file));
    info.set(key, { file, depends, softPre });
    pending.push(...depends, ...softPre);
  }
  return loadOrder(wanted, info, builtin).map((key) => info.get(key)!.file);
}
