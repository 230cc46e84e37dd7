// Short human descriptions of policy pieces, shared by the plan's reasons
// and the rendered header.
import type { Mount, Retention, Source, Volume } from './model.js';
import { scheduleLabel } from './schedule.js';
import { formatDuration } from './time.js';

/**
 * An integer with commas between groups of three digits ("99,906"), as
 * toLocaleString('en-US') writes it, without Intl: its first use loads ICU's
 * number data, which took 21-23 ms, more than the rest of rendering a plan.
 */
export function grouped(n: number): string {
  const digits = String(Math.abs(Math.trunc(n)));
  let out = '';
  for (let end = digits.length; end > 0; end -= 3) out = digits.slice(Math.max(0, end - 3), end) + (out === '' ? '' : `,${out}`);
  return (n < 0 ? '-' : '') + out;
}

/** "1 file", "2 files"; `many` for irregular plurals ("entries"). */
export function counted(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function describeSource(source: Source): string {
  switch (source.kind) {
    case 'lvm':
      return `lvm ${source.vg}/${source.lv}`;
    case 'btrfs':
      return `btrfs ${source.subvolume}`;
    case 'path':
      return `path ${source.path}`;
  }
}

export function describeRetention(r: Retention): string {
  const parts: string[] = [];
  if (r.last !== undefined) parts.push(`last ${r.last}`);
  if (r.hourly !== undefined) parts.push(`hourly ${r.hourly}`);
  if (r.daily !== undefined) parts.push(`daily ${r.daily}`);
  if (r.weekly !== undefined) parts.push(`weekly ${r.weekly}`);
  if (r.monthly !== undefined) parts.push(`monthly ${r.monthly}`);
  if (r.yearly !== undefined) parts.push(`yearly ${r.yearly}`);
  if (r.withinMs !== undefined) parts.push(`within ${r.withinText ?? formatDuration(r.withinMs)}`);
  return parts.length > 0 ? `keep ${parts.join(', ')}` : 'keep everything';
}

export function describeVolume(v: Volume): string {
  return `${describeSource(v.source)}, ${scheduleLabel(v.schedule)}, ${v.compression}, ${describeRetention(v.retention)}`;
}

/** "a, b, c, d, e and 3 more". */
function firstFive(items: readonly string[]): string {
  return items.slice(0, 5).join(', ') + (items.length > 5 ? ` and ${items.length - 5} more` : '');
}

/** "nested subvolume(s) … are not in …": the same words for plan and apply. */
export function nestedSubvolumesMessage(nested: readonly string[]): string {
  const shown = firstFive(nested.map((p) => `./${p}`));
  return `${nested.length === 1 ? 'nested subvolume' : 'nested subvolumes'} ${shown} ${nested.length === 1 ? 'is' : 'are'} not in its snapshot (btrfs snapshots stop at subvolume boundaries), so not in its archives: one holding data to keep needs a volume of its own`;
}

/** "btrfs subvolume(s) … inside it are not archived": plan's and apply's words for a `path` volume. */
export function subvolumesInsideMessage(inside: readonly string[]): string {
  const one = inside.length === 1;
  const shown = firstFive(inside.map((p) => `./${p}`));
  return `${one ? 'a btrfs subvolume lies' : 'btrfs subvolumes lie'} inside it, and its archives stop at subvolume boundaries (each subvolume has a device number of its own, and tar --one-file-system stays on one): ${shown} ${one ? 'is' : 'are'} not archived, only ${one ? 'its empty directory' : 'their empty directories'}; one holding data to keep needs a volume of its own`;
}

/** The plan note on file systems mounted inside a volume's directory. */
export function mountsInsideMessage(mounts: readonly Mount[]): string {
  const shown = firstFive(mounts.map((m) => `${m.target} (${m.fstype})`));
  return `${mounts.length === 1 ? 'a file system is' : 'file systems are'} mounted inside it, and its archives stop at file system boundaries (tar --one-file-system): ${shown} ${mounts.length === 1 ? 'is' : 'are'} not archived; one holding data to keep needs a volume of its own`;
}
