// Archive file names: building snapctl's own and recognising everything in a
// backup directory from names alone (no stat), so 100,000 files stay cheap.
import { SnapctlError } from './errors.js';
import type { Archive, Compression, HostPolicy, OtherFile, Volume } from './model.js';
import { compactUtcAt, digits, formatCompactUtc, localToUtc, validFields } from './time.js';
import type { LocalParts } from './time.js';

/** `sha256sum`-format checksum file written next to each archive. */
export const SIDECAR_SUFFIX = '.sha256';
/** An archive (or sidecar) being written; renamed to its final name only when complete. */
export const PARTIAL_SUFFIX = '.partial';

/** Joins a directory and a name with one "/" (core code may not import node:path). */
export function joinPath(dir: string, name: string): string {
  return dir.endsWith('/') ? `${dir}${name}` : `${dir}/${name}`;
}

/** Linux's limit on a host name (HOST_NAME_MAX). */
export const MAX_HOST_NAME = 64;

/**
 * Refuses a host name that cannot name a host directory and start archive
 * names: it must be a letter or digit, then letters, digits, _ . -, without
 * "..", at most 64 characters. With volume names of at most 150 characters
 * (the schema's limit), the longest name written, an archive's sidecar while
 * it is written, stays within the 255 bytes of a file name.
 */
export function checkHostName(host: string): void {
  const problem = hostNameProblem(host);
  if (problem !== undefined) throw new SnapctlError('input', `invalid host name ${JSON.stringify(host)}: ${problem}`, "Pass --host NAME (the default is this machine's hostname).");
}

/** Why `host` cannot name a host (its directory, the start of its archive names), or undefined when it can. */
export function hostNameProblem(host: string): string | undefined {
  if (host.length === 0) return 'it is empty';
  if (host.length > MAX_HOST_NAME) return `it is ${host.length} characters long; at most ${MAX_HOST_NAME} are allowed`;
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(host)) return 'expected a letter or digit, then letters, digits, _ . - (it names a directory and starts archive names)';
  if (host.includes('..')) return 'it contains ".."';
  return undefined;
}

/** `<backupDir>/<host>`: where a host's archives live. */
export function hostDir(policy: Pick<HostPolicy, 'backupDir' | 'host'>): string {
  return joinPath(policy.backupDir, policy.host);
}

const EXTENSIONS: Readonly<Record<Compression, '' | '.zst' | '.gz' | '.xz'>> = { none: '', zstd: '.zst', gzip: '.gz', xz: '.xz' };

/** The file-name extension after `.tar` for a compression. */
export function compressionExtension(c: Compression): '' | '.zst' | '.gz' | '.xz' {
  return EXTENSIONS[c];
}

/** `<host>_<volume>.<YYYYMMDD>T<HHMMSS>Z.tar[.zst|.gz|.xz]`, time in UTC with seconds precision. */
export function archiveName(host: string, volume: string, ms: number, compression: Compression): string {
  return `${host}_${volume}.${formatCompactUtc(ms)}.tar${compressionExtension(compression)}`;
}

// Names are taken apart from the end, so a volume part containing "." or "_" is simply what precedes the stamp.
// Hand-rolled rather than regular expressions: this runs once per file in directories of up to 100,000 files.
const TAR_EXTENSIONS: readonly (readonly [string, Compression])[] = [['.tar', 'none'], ['.tar.zst', 'zstd'], ['.tar.gz', 'gzip'], ['.tar.xz', 'xz']];
/** ".20261126T030405Z" */
const SNAPCTL_STAMP_LENGTH = 17;
/** ".2026-11-20:03:00:00" (py_snap: strftime("%Y-%m-%d:%H:%M:%S"), local time) */
const LEGACY_STAMP_LENGTH = 20;

function tarExtension(file: string): readonly [string, Compression] | undefined {
  for (const entry of TAR_EXTENSIONS) if (file.endsWith(entry[0])) return entry;
  return undefined;
}

/** Local wall-clock fields of a legacy stamp ".YYYY-MM-DD:HH:MM:SS" starting at `at`, if well formed. */
function legacyStamp(file: string, at: number): Omit<LocalParts, 'weekday'> | undefined {
  if (file[at] !== '.' || file[at + 5] !== '-' || file[at + 8] !== '-' || file[at + 11] !== ':' || file[at + 14] !== ':' || file[at + 17] !== ':') return undefined;
  const year = digits(file, at + 1, at + 5);
  const month = digits(file, at + 6, at + 8);
  const day = digits(file, at + 9, at + 11);
  const hour = digits(file, at + 12, at + 14);
  const minute = digits(file, at + 15, at + 17);
  const second = digits(file, at + 18, at + 20);
  return validFields(year, month, day, hour, minute, second) === undefined ? undefined : { year, month, day, hour, minute, second };
}

/** A parser for one host's archive names, bound to the policy's volumes: the archive, or undefined when the name is none of theirs. */
function archiveParser(host: string, volumes: readonly Volume[], timeZone: string): (file: string, hasSidecar: boolean) => Archive | undefined {
  const names = [...new Set(volumes.map((v) => v.name))];
  const legacy = new Map<string, string>();
  for (const v of volumes) {
    if (v.legacyPrefix !== undefined && !legacy.has(v.legacyPrefix)) legacy.set(v.legacyPrefix, v.name);
  }
  const prefix = `${host}_`;
  /** The volume whose name is file[from, to), compared in place (a policy has a handful of volumes). */
  const volumeAt = (file: string, from: number, to: number): string | undefined => {
    for (const name of names) if (name.length === to - from && file.startsWith(name, from)) return name;
    return undefined;
  };
  return (file, hasSidecar) => {
    const extension = tarExtension(file);
    if (extension === undefined) return undefined;
    const [suffix, compression] = extension;
    const ownAt = file.length - suffix.length - SNAPCTL_STAMP_LENGTH;
    if (ownAt > prefix.length && file[ownAt] === '.' && file.startsWith(prefix)) {
      const time = compactUtcAt(file, ownAt + 1);
      if (time !== undefined) {
        const volume = volumeAt(file, prefix.length, ownAt);
        return volume === undefined ? undefined : { file, volume, time, format: 'snapctl', compression, hasSidecar };
      }
    }
    if (compression !== 'none' && compression !== 'gzip') return undefined;
    const legacyAt = file.length - suffix.length - LEGACY_STAMP_LENGTH;
    const volume = legacyAt > 0 ? legacy.get(file.slice(0, legacyAt)) : undefined;
    const fields = volume === undefined ? undefined : legacyStamp(file, legacyAt);
    if (volume === undefined || fields === undefined) return undefined;
    return { file, volume, time: localToUtc(fields, timeZone), format: 'legacy', compression, hasSidecar };
  };
}

/**
 * Sort a host directory's file names into complete archives of the policy's
 * volumes (snapctl and adopted py_snap names) and everything else.
 * Only names provably ours become cleanup candidates: a `.partial` or an
 * orphan `.sha256` counts as such only when the name under the suffix is an
 * archive name of a policy volume; anything else is 'unmanaged' (never touched).
 * Archives come newest first, equal times ordered by file name; others by file name.
 * The result does not depend on the order of `files`; a sorted listing (what
 * node's readdir gives) is merely faster.
 */
export function classifyBackupDir(
  files: readonly string[],
  host: string,
  volumes: readonly Volume[],
  timeZone: string,
): { archives: Archive[]; others: OtherFile[] } {
  const parse = archiveParser(host, volumes, timeZone);
  const archives: Archive[] = [];
  const others: OtherFile[] = [];
  const partials: string[] = [];
  const complete = (file: string, hasSidecar: boolean): void => {
    const archive = parse(file, hasSidecar);
    if (archive !== undefined) {
      archives.push(archive);
      return;
    }
    others.push({ file, kind: 'unmanaged' });
    if (hasSidecar) others.push({ file: file + SIDECAR_SUFFIX, kind: 'unmanaged' });
  };
  // In sorted order "X.sha256" comes right after "X" (unless, say, "X.partial"
  // sits between): such pairs need no lookup. Names whose partner is elsewhere
  // or missing meet in one map keyed by the archive's name (bit 1: the
  // archive is present, bit 2: its sidecar).
  const unpaired = new Map<string, number>();
  for (let i = 0; i < files.length; i++) {
    const file = files[i] as string;
    if (file.endsWith(SIDECAR_SUFFIX)) {
      const base = file.slice(0, -SIDECAR_SUFFIX.length);
      unpaired.set(base, (unpaired.get(base) ?? 0) | SIDECAR);
    } else if (file.endsWith(PARTIAL_SUFFIX)) {
      partials.push(file);
    } else {
      const next = files[i + 1];
      if (next !== undefined && next.length === file.length + SIDECAR_SUFFIX.length && next.endsWith(SIDECAR_SUFFIX) && next.startsWith(file)) {
        complete(file, true);
        i++;
      } else {
        unpaired.set(file, (unpaired.get(file) ?? 0) | ARCHIVE);
      }
    }
  }
  for (const [base, flags] of unpaired) {
    if ((flags & ARCHIVE) !== 0) {
      complete(base, (flags & SIDECAR) !== 0);
      continue;
    }
    // A sidecar without its archive: ours to clean up only when the name is an archive name of a policy volume.
    const archive = parse(base, false);
    const file = base + SIDECAR_SUFFIX;
    others.push(archive !== undefined ? { file, kind: 'orphan-sidecar', volume: archive.volume } : { file, kind: 'unmanaged' });
  }
  for (const file of partials) {
    const inner = file.slice(0, -PARTIAL_SUFFIX.length);
    const target = parse(inner.endsWith(SIDECAR_SUFFIX) ? inner.slice(0, -SIDECAR_SUFFIX.length) : inner, false);
    others.push(target !== undefined ? { file, kind: 'partial', volume: target.volume } : { file, kind: 'unmanaged' });
  }
  archives.sort((a, b) => b.time - a.time || compareNames(a.file, b.file));
  others.sort((a, b) => compareNames(a.file, b.file));
  return { archives, others };
}

const ARCHIVE = 1;
const SIDECAR = 2;

/** Code-unit order, independent of the locale (localeCompare is not). */
function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
