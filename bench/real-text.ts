// Real text for the data set: source code, headers and documentation already
// installed on the machine, copied in a deterministic order. Synthetic text
// compresses unlike real text (zstd and gzip rank differently on it), so the
// compression figures are only meaningful on files like these.
import { closeSync, mkdirSync, openSync, readdirSync, readSync, statSync, copyFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

/** One place real text is taken from, and which of its files count as text. */
export interface TextSource {
  /** Absolute directory. */
  readonly root: string;
  /** Where its files go, relative to the destination (e.g. `usr/include`). */
  readonly as: string;
  readonly keep: (name: string) => boolean;
}

export interface SourceUse {
  readonly root: string;
  files: number;
  bytes: number;
}

const COMPRESSED = /\.(gz|bz2|xz|zst|lz4|lzma|z|zip|jar|png|jpe?g|gif|ico|pdf|woff2?|ttf|otf|so|a|o|pyc|mo|db)$/i;
const any = (name: string): boolean => !COMPRESSED.test(name);
const ext = (re: RegExp) => (name: string) => re.test(name);
/** A file this large is data, not the source/docs mix a volume holds by the thousand. */
const MAX_FILE = 4 << 20;

/** The sources, in the order they are listed; missing ones are skipped. */
export function textSources(checkout: string): TextSource[] {
  const sources: TextSource[] = [{ root: '/usr/include', as: 'usr/include', keep: any }];
  for (const base of ['/usr/lib', '/usr/share']) {
    for (const name of safeList(base).filter((n) => /^python3/.test(n) || (base === '/usr/share' && /^perl/.test(n)))) {
      sources.push({ root: join(base, name), as: join(base.slice(1), name), keep: name.startsWith('python3') ? ext(/\.py$/) : any });
    }
  }
  // Perl's compiled-in modules live under the multiarch directory (e.g. /usr/lib/x86_64-linux-gnu/perl).
  for (const arch of safeList('/usr/lib').filter((n) => /-linux-gnu/.test(n))) {
    for (const name of safeList(join('/usr/lib', arch)).filter((n) => /^perl/.test(n))) sources.push({ root: join('/usr/lib', arch, name), as: join('usr/lib', arch, name), keep: any });
  }
  for (const name of safeList('/usr/share').filter((n) => /^cmake-/.test(n))) sources.push({ root: join('/usr/share', name), as: join('usr/share', name), keep: any });
  const js = ext(/\.(js|mjs|cjs|ts|mts|cts|md|json)$/);
  sources.push(
    { root: '/usr/lib/node_modules', as: 'usr/lib/node_modules', keep: js },
    { root: '/usr/share/doc', as: 'usr/share/doc', keep: any },
    { root: '/usr/share/vim', as: 'usr/share/vim', keep: any },
    { root: '/usr/share/i18n', as: 'usr/share/i18n', keep: any },
    { root: join(checkout, 'node_modules'), as: 'checkout/node_modules', keep: js },
  );
  return sources.filter((s) => isDir(s.root));
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

/** Regular files under `dir` (symlinks neither followed nor copied), sorted by path, with their sizes. */
function listFiles(dir: string, keep: (name: string) => boolean): { path: string; size: number }[] {
  const out: { path: string; size: number }[] = [];
  const walk = (d: string): void => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && keep(e.name)) {
        const size = statSync(p).size;
        if (size > 0 && size <= MAX_FILE) out.push({ path: p, size });
      }
    }
  };
  walk(dir);
  return out;
}

const probe = Buffer.allocUnsafe(8192);

/** Text, as far as a NUL byte in the first 8 KiB tells (what grep and git use). */
function looksLikeText(path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const n = readSync(fd, probe, 0, probe.length, 0);
    return !probe.subarray(0, n).includes(0);
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Copies about `budget` bytes of real text into `dest`. Each source gets an
 * equal share of what is left (smallest sources first, so what one cannot
 * fill goes to the others); inside a source, files are taken in path order.
 * `onDir` is told of every directory created. Returns the use per source.
 */
export function copyRealText(sources: readonly TextSource[], dest: string, budget: number, onDir: () => void): SourceUse[] {
  const listed = sources.map((s) => ({ s, files: listFiles(s.root, s.keep) }));
  listed.sort((a, b) => total(a.files) - total(b.files) || (a.s.root < b.s.root ? -1 : 1));
  const made = new Set<string>();
  const uses: SourceUse[] = [];
  let left = budget;
  listed.forEach(({ s, files }, i) => {
    const share = left / (listed.length - i);
    const use: SourceUse = { root: s.root, files: 0, bytes: 0 };
    for (const f of files) {
      if (use.bytes >= share) break;
      if (!looksLikeText(f.path)) continue;
      const to = join(dest, s.as, relative(s.root, f.path));
      const dir = dirname(to);
      if (!made.has(dir)) {
        mkdirSync(dir, { recursive: true });
        for (let d = dir; d.length > dest.length && !made.has(d); d = dirname(d)) {
          made.add(d);
          onDir();
        }
      }
      copyFileSync(f.path, to);
      use.files++;
      use.bytes += f.size;
    }
    left -= use.bytes;
    uses.push(use);
  });
  return uses;
}

function total(files: readonly { size: number }[]): number {
  return files.reduce((s, f) => s + f.size, 0);
}
