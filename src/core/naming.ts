// Archive file names: building snapctl's own and recognising everything in a
// backup directory from names alone (no stat), so 100,000 files stay cheap.
import type { Archive, Compression, OtherFile, Volume } from './model.js';
import { formatCompactUtc, localToUtc, parseCompactUtc, validFields } from './time.js';

/** `sha256sum`-format checksum file written next to each archive. */
export const SIDECAR_SUFFIX = '.sha256';
/** An archive (or sidecar) being written; renamed to its final name only when complete. */
export const PARTIAL_SUFFIX = '.partial';

const EXTENSIONS: Readonly<Record<Compression, '' | '.zst' | '.gz' | '.xz'>> = { none: '', zstd: '.zst', gzip: '.gz', xz: '.xz' };

/** The file-name extension after `.tar` for a compression. */
export function compressionExtension(c: Compression): '' | '.zst' | '.gz' | '.xz' {
  return EXTENSIONS[c];
}

/** `<host>_<volume>.<YYYYMMDD>T<HHMMSS>Z.tar[.zst|.gz|.xz]`, time in UTC with seconds precision. */
export function archiveName(host: string, volume: string, ms: number, compression: Compression): string {
  return `${host}_${volume}.${formatCompactUtc(ms)}.tar${compressionExtension(compression)}`;
}

// Anchored at the end so the volume part (which may contain "." and "_") is whatever precedes it.
const SNAPCTL_TAIL = /\.(\d{8}T\d{6}Z)\.tar(\.zst|\.gz|\.xz)?$/;
// py_snap: strftime("%Y-%m-%d:%H:%M:%S") in local time, tarfile "w" or "w:gz".
const LEGACY_TAIL = /\.(\d{4})-(\d{2})-(\d{2}):(\d{2}):(\d{2}):(\d{2})\.tar(\.gz)?$/;

const BY_EXTENSION: Readonly<Record<string, Compression>> = { '': 'none', '.zst': 'zstd', '.gz': 'gzip', '.xz': 'xz' };

type Parsed = Omit<Archive, 'hasSidecar'>;

/** A parser for one host's archive names, bound to the policy's volumes. */
function archiveParser(host: string, volumes: readonly Volume[], timeZone: string): (file: string) => Parsed | undefined {
  const names = new Set(volumes.map((v) => v.name));
  const legacy = new Map<string, string>();
  for (const v of volumes) {
    if (v.legacyPrefix !== undefined && !legacy.has(v.legacyPrefix)) legacy.set(v.legacyPrefix, v.name);
  }
  const prefix = `${host}_`;
  return (file) => {
    const own = SNAPCTL_TAIL.exec(file);
    if (own !== null && file.startsWith(prefix)) {
      const volume = file.slice(prefix.length, own.index);
      const time = parseCompactUtc(own[1] ?? '');
      if (!names.has(volume) || time === undefined) return undefined;
      return { file, volume, time, format: 'snapctl', compression: BY_EXTENSION[own[2] ?? ''] ?? 'none' };
    }
    const old = LEGACY_TAIL.exec(file);
    if (old === null) return undefined;
    const volume = legacy.get(file.slice(0, old.index));
    const [year, month, day, hour, minute, second] = old.slice(1, 7).map(Number);
    if (volume === undefined || year === undefined || month === undefined || day === undefined || hour === undefined || minute === undefined || second === undefined) return undefined;
    if (validFields(year, month, day, hour, minute, second) === undefined) return undefined;
    const time = localToUtc({ year, month, day, hour, minute, second }, timeZone);
    return { file, volume, time, format: 'legacy', compression: old[7] === undefined ? 'none' : 'gzip' };
  };
}

/**
 * Sort a host directory's file names into complete archives of the policy's
 * volumes (snapctl and adopted py_snap names) and everything else.
 * Only names provably ours become cleanup candidates: a `.partial` or an
 * orphan `.sha256` counts as such only when the name under the suffix is an
 * archive name of a policy volume; anything else is 'unmanaged' (never touched).
 * Archives come newest first, equal times ordered by file name; others by file name.
 */
export function classifyBackupDir(
  files: readonly string[],
  host: string,
  volumes: readonly Volume[],
  timeZone: string,
): { archives: Archive[]; others: OtherFile[] } {
  const parse = archiveParser(host, volumes, timeZone);
  const present = new Set(files);
  const archives: Archive[] = [];
  const others: OtherFile[] = [];
  for (const file of new Set(files)) {
    const archive = parse(file);
    if (archive !== undefined) {
      archives.push({ ...archive, hasSidecar: present.has(file + SIDECAR_SUFFIX) });
      continue;
    }
    const other = classifyOther(file, present, parse);
    if (other !== undefined) others.push(other);
  }
  archives.sort((a, b) => b.time - a.time || compareNames(a.file, b.file));
  others.sort((a, b) => compareNames(a.file, b.file));
  return { archives, others };
}

/** undefined for the sidecar of a present archive: it belongs to that archive. */
function classifyOther(file: string, present: ReadonlySet<string>, parse: (file: string) => Parsed | undefined): OtherFile | undefined {
  if (file.endsWith(PARTIAL_SUFFIX)) {
    const inner = file.slice(0, -PARTIAL_SUFFIX.length);
    const target = parse(inner.endsWith(SIDECAR_SUFFIX) ? inner.slice(0, -SIDECAR_SUFFIX.length) : inner);
    if (target !== undefined) return { file, kind: 'partial', volume: target.volume };
  } else if (file.endsWith(SIDECAR_SUFFIX)) {
    const archiveFile = file.slice(0, -SIDECAR_SUFFIX.length);
    const target = parse(archiveFile);
    if (target !== undefined) return present.has(archiveFile) ? undefined : { file, kind: 'orphan-sidecar', volume: target.volume };
  }
  return { file, kind: 'unmanaged' };
}

/** Code-unit order, independent of the locale (localeCompare is not). */
function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
