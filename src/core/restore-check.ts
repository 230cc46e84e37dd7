// Pure decisions of restore: which archive, whether its member list is safe
// to extract, whether it has py_snap's top-level directory to strip, and
// which members are the volume's lock files.
import type { Archive, Compression } from './model.js';
import { components, type TarMember } from './tar-listing.js';
import { parseGivenTime, type GivenTime } from './time.js';

const EXTENSIONS: readonly (readonly [string, Compression])[] = [
  ['.tar.zst', 'zstd'],
  ['.tar.gz', 'gzip'],
  ['.tgz', 'gzip'],
  ['.tar.xz', 'xz'],
  ['.tar', 'none'],
];

/** The compression an archive file name says it has, or undefined when it is not a tar name. */
export function compressionOfFile(file: string): Compression | undefined {
  return EXTENSIONS.find(([ext]) => file.endsWith(ext))?.[1];
}

/**
 * The archive of `volume` to restore: the newest one, or with `at` the newest
 * taken at or before `at`. `archives` may be in any order.
 */
export function pickArchive(archives: readonly Archive[], volume: string, at?: number): Archive | undefined {
  let best: Archive | undefined;
  for (const a of archives) {
    if (a.volume !== volume || (at !== undefined && a.time > at)) continue;
    if (best === undefined || a.time > best.time || (a.time === best.time && a.file > best.file)) best = a;
  }
  return best;
}

/**
 * Why extracting these members could write outside the target directory
 * (empty when it cannot): absolute names, `..` components, names or hard-link
 * targets that lead through a symlink the archive itself created (or through
 * a hard link to one: tar links the symlink itself, so the link points where
 * it does), and hard links to absolute or `..` targets. Checked before
 * anything is written, so a bad archive is refused whole instead of half
 * extracted.
 */
export function unsafeMembers(members: readonly TarMember[]): string[] {
  const problems: string[] = [];
  /** Each symlink the archive creates, and each hard link to one, with the symlink it is (its own name for a symlink). */
  const symlinks = new Map<string, string>();
  const throughSymlink = (parts: readonly string[]): string | undefined => {
    for (let i = 1; i < parts.length; i++) {
      const prefix = parts.slice(0, i).join('/');
      const symlink = symlinks.get(prefix);
      if (symlink !== undefined) return symlink === prefix ? `the symlink "${prefix}" the archive creates` : `"${prefix}", a hard link the archive creates to the symlink "${symlink}"`;
    }
    return undefined;
  };
  const check = (what: string, name: string): string[] | undefined => {
    if (name.startsWith('/')) {
      problems.push(`${what} "${name}" is an absolute path`);
      return undefined;
    }
    const parts = components(name);
    if (parts.includes('..')) {
      problems.push(`${what} "${name}" contains a ".." component`);
      return undefined;
    }
    const via = throughSymlink(parts);
    if (via !== undefined) {
      problems.push(`${what} "${name}" leads through ${via}`);
      return undefined;
    }
    return parts;
  };
  for (const m of members) {
    const parts = check('member', m.name);
    const target = m.type === 'hardlink' && m.link !== undefined ? check(`hard link "${m.name}" to`, m.link) : undefined;
    if (parts === undefined) continue;
    // A hard link comes after its target, so a chain of hard links to a symlink is followed link by link.
    const symlink = m.type === 'symlink' ? parts.join('/') : target !== undefined ? symlinks.get(target.join('/')) : undefined;
    if (symlink !== undefined) symlinks.set(parts.join('/'), symlink);
  }
  return problems;
}

/**
 * How many leading components to strip so the volume root lands in the
 * target: snapctl archives hold `./…` (0); py_snap ones hold everything under
 * one directory, the base name of its mount point (`snap_backup/…`: 1).
 */
export function archiveLayout(members: readonly TarMember[]): { readonly strip: 0 } | { readonly strip: 1; readonly top: string } {
  let top: string | undefined;
  let topIsDir = false;
  for (const m of members) {
    if (m.name === '.' || m.name.startsWith('./')) return { strip: 0 };
    const parts = components(m.name);
    const first = parts[0];
    if (first === undefined) return { strip: 0 };
    if (top === undefined) top = first;
    else if (top !== first) return { strip: 0 };
    if (parts.length === 1) topIsDir ||= m.type === 'dir';
  }
  return top !== undefined && topIsDir ? { strip: 1, top } : { strip: 0 };
}

/** A lockFiles glob as a regular expression over a path relative to the volume root: `*`, `?` stay within a component, `**` spans any. */
export function lockPattern(glob: string): RegExp {
  let re = '';
  const parts = components(glob);
  for (const [i, part] of parts.entries()) {
    if (part === '**') {
      re += i === parts.length - 1 ? '.*' : '(?:[^/]+/)*';
      continue;
    }
    for (const ch of part) re += ch === '*' ? '[^/]*' : ch === '?' ? '[^/]' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    if (i < parts.length - 1) re += '/';
  }
  return new RegExp(`^${re}$`);
}

/** Paths (relative to the restored root, after stripping) of non-directory members matching any lockFiles pattern. */
export function lockFileMembers(members: readonly TarMember[], patterns: readonly string[], strip: number): string[] {
  const res = patterns.map(lockPattern);
  const found = new Set<string>();
  for (const m of members) {
    if (m.type === 'dir') continue;
    const rel = components(m.name).slice(strip).join('/');
    if (rel !== '' && res.some((re) => re.test(rel))) found.add(rel);
  }
  return [...found].sort();
}

/**
 * `--at`: an ISO-8601 time, a time without a zone read in the policy's
 * `timeZone`, a date alone meaning that whole day (see parseGivenTime).
 */
export function parseInstant(value: string, timeZone: string): GivenTime | undefined {
  return parseGivenTime(value, timeZone, 'end');
}
