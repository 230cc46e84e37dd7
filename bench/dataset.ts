// The benchmark's data set, built under a directory with the mix a real volume
// has: many small text files (real ones copied from the machine, synthetic
// ones from a seed only for what the machine lacks), a few big logs,
// incompressible data, a sparse image, a deep tree; its composition reported.
import { createCipheriv, createHash } from 'node:crypto';
import { closeSync, existsSync, ftruncateSync, mkdirSync, openSync, lstatSync, readdirSync, readFileSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Rng } from './prng.js';
import { copyRealText, textSources, type SourceUse } from './real-text.js';
import { LogWriter, textFile, word, type TextKind } from './text.js';

const MiB = 1 << 20;
/** Bumped whenever the generator's output changes, so a kept data set is not reused across versions. */
const GENERATOR_VERSION = 3;

export interface Part {
  readonly name: string;
  readonly description: string;
  /** Relative to the tree root. */
  readonly dir: string;
  files: number;
  dirs: number;
  /** Sum of file sizes (apparent). */
  bytes: number;
  /** Blocks on disk (a sparse file's holes take none). */
  allocated: number;
}

export interface Dataset {
  readonly generatorVersion: number;
  readonly seed: number;
  readonly requestedBytes: number;
  /** What gets archived. */
  readonly tree: string;
  /** The text-only subset (small files, logs, deep tree) inside `tree`. */
  readonly textTree: string;
  readonly parts: readonly Part[];
  readonly totalFiles: number;
  readonly totalBytes: number;
  readonly textBytes: number;
  /** The real text files only (no synthetic fill), inside `tree`. */
  readonly realTextTree: string;
  /** Where the real text came from, bytes per source. */
  readonly realSources: readonly SourceUse[];
  readonly generateSeconds: number;
}

/** Share of the requested size per part (the sparse file's apparent size counts, its data is 1/64 of it). */
const SHARES = { small: 0.35, logs: 0.3, deep: 0.05, random: 0.25, sparse: 0.05 } as const;

function part(name: string, dir: string, description: string): Part {
  return { name, dir, description, files: 0, dirs: 0, bytes: 0, allocated: 0 };
}

function mkdir(p: Part, path: string): void {
  if (existsSync(path)) return;
  mkdirSync(path, { recursive: true });
  p.dirs++;
}

function put(p: Part, path: string, data: string | Buffer): void {
  writeFileSync(path, data);
  p.files++;
  p.bytes += Buffer.byteLength(data);
}

const KINDS: readonly TextKind[] = ['ts', 'ts', 'ts', 'c', 'c', 'py', 'py', 'md', 'conf'];

/** Many small source-like files in a project-like tree of short-lived directories. */
function smallFiles(rng: Rng, root: string, target: number, p: Part): void {
  let dir = root;
  let left = 0;
  let n = 0;
  while (p.bytes < target) {
    if (left-- <= 0) {
      const depth = rng.range(1, 4);
      const segs = [`proj${rng.int(12)}`];
      for (let i = 1; i < depth; i++) segs.push(`${word(rng)}${rng.int(50)}`);
      dir = join(root, ...segs);
      mkdir(p, dir);
      left = rng.range(5, 40);
    }
    // Log-normal sizes: median ~4 KB, a long tail up to 256 KB, like a source tree or /etc.
    const size = Math.min(256 * 1024, Math.max(64, Math.round(Math.exp(8.3 + 1.1 * rng.normal()))));
    const kind = rng.pick(KINDS);
    put(p, join(dir, `f${n++}.${kind}`), textFile(rng, kind, size));
  }
}

/** A few large, very compressible service logs. */
function logs(rng: Rng, root: string, target: number, p: Part): void {
  mkdir(p, root);
  const count = Math.max(2, Math.min(6, Math.round(target / (64 * MiB))));
  for (let i = 0; i < count; i++) {
    const path = join(root, `service${i}.log`);
    const fd = openSync(path, 'w');
    const writer = new LogWriter(rng.fork(i), Date.UTC(2025, 0, 1) + i * 86_400_000);
    let bytes = 0;
    const size = Math.ceil(target / count);
    while (bytes < size) {
      const chunk = Buffer.from(writer.chunk(Math.min(MiB, size - bytes)));
      writeSync(fd, chunk);
      bytes += chunk.length;
    }
    closeSync(fd);
    p.files++;
    p.bytes += bytes;
  }
}

/** Chains of nested directories 40–120 levels deep, a few small files at every level. */
function deepTree(rng: Rng, root: string, target: number, p: Part): void {
  let chain = 0;
  while (p.bytes < target) {
    let dir = join(root, `chain${chain++}`);
    const depth = rng.range(40, 120);
    for (let level = 0; level < depth && p.bytes < target; level++) {
      dir = join(dir, `level${level}`);
      mkdir(p, dir);
      for (let i = rng.range(1, 3); i > 0; i--) put(p, join(dir, `n${i}.conf`), textFile(rng, 'conf', rng.range(200, 4000)));
    }
  }
}

/** Incompressible bytes: AES-CTR keystream from the seed (fast and deterministic). */
function randomFiles(rng: Rng, root: string, target: number, p: Part): void {
  mkdir(p, root);
  const key = Buffer.alloc(16);
  const iv = Buffer.alloc(16);
  for (let i = 0; i < 4; i++) {
    key.writeUInt32LE(rng.u32(), i * 4);
    iv.writeUInt32LE(rng.u32(), i * 4);
  }
  const cipher = createCipheriv('aes-128-ctr', key, iv);
  const zeros = Buffer.alloc(MiB);
  let n = 0;
  while (p.bytes < target) {
    const size = Math.min(target - p.bytes, rng.range(8, 64) * MiB);
    const fd = openSync(join(root, `blob${n++}.bin`), 'w');
    for (let done = 0; done < size; done += MiB) writeSync(fd, cipher.update(zeros.subarray(0, Math.min(MiB, size - done))));
    closeSync(fd);
    p.files++;
    p.bytes += size;
  }
}

/** A disk-image-like sparse file: 128 KiB of data every 8 MiB, holes in between. */
function sparseFile(rng: Rng, root: string, target: number, p: Part): void {
  mkdir(p, root);
  const size = Math.max(8 * MiB, Math.round(target / MiB) * MiB);
  const fd = openSync(join(root, 'disk.img'), 'w');
  const writer = new LogWriter(rng, Date.UTC(2024, 5, 1));
  for (let at = 0; at < size; at += 8 * MiB) writeSync(fd, Buffer.from(writer.chunk(128 * 1024)).subarray(0, 128 * 1024), 0, 128 * 1024, at);
  ftruncateSync(fd, size);
  closeSync(fd);
  p.files++;
  p.bytes += size;
}

function allocated(path: string): number {
  let total = 0;
  const st = lstatSync(path);
  if (st.isDirectory()) {
    for (const e of readdirSync(path)) total += allocated(join(path, e));
  } else total += st.blocks * 512;
  return total;
}

/** Generates the data set under `dir` (or reuses the one already there for the same seed, size and generator). */
export function ensureDataset(dir: string, requestedBytes: number, seed: number, log: (line: string) => void): Dataset {
  const manifest = join(dir, 'dataset.json');
  if (existsSync(manifest)) {
    const old = JSON.parse(readFileSync(manifest, 'utf8')) as Dataset;
    if (old.generatorVersion === GENERATOR_VERSION && old.seed === seed && old.requestedBytes === requestedBytes && old.tree === join(dir, 'tree')) {
      log(`reusing the data set in ${dir}`);
      return old;
    }
  }
  rmSync(dir, { recursive: true, force: true });
  const tree = join(dir, 'tree');
  const text = join(tree, 'text');
  mkdirSync(text, { recursive: true });
  const started = performance.now();
  const rng = new Rng(seed);
  const parts = [
    part('real text files', 'text/real', 'copied from the machine: headers, Python/Perl modules, docs, node_modules (sorted paths)'),
    part('synthetic text', 'text/src', 'generated source-like files, only for what the real text lacks'),
    part('large logs', 'text/logs', 'a few large service logs (nginx access lines and daemon messages)'),
    part('deep tree', 'text/deep', 'chains of 40-120 nested directories, small config files at each level'),
    part('random data', 'binary', 'incompressible (AES-CTR keystream), 8-64 MiB files'),
    part('sparse file', 'sparse', 'disk image: 128 KiB of text every 8 MiB, holes between'),
  ] as const;
  const [pReal, pSmall, pLogs, pDeep, pRandom, pSparse] = parts;
  const at = (p: Part): string => join(tree, p.dir);
  log(`generating ${(requestedBytes / MiB).toFixed(0)} MiB of data (seed ${seed}) in ${tree} ...`);
  const realSources = copyRealText(textSources(join(import.meta.dirname, '..', '..')), at(pReal), requestedBytes * SHARES.small, () => pReal.dirs++);
  for (const u of realSources) {
    pReal.files += u.files;
    pReal.bytes += u.bytes;
  }
  smallFiles(rng.fork(1), at(pSmall), requestedBytes * SHARES.small - pReal.bytes, pSmall);
  const realMb = (pReal.bytes / MiB).toFixed(1);
  log(`small text files: ${realMb} MiB real (${pReal.files} files: ${realSources.map((u) => `${u.root} ${(u.bytes / MiB).toFixed(1)}`).join(', ')}), ${(pSmall.bytes / MiB).toFixed(1)} MiB synthetic`);
  logs(rng.fork(2), at(pLogs), requestedBytes * SHARES.logs, pLogs);
  deepTree(rng.fork(3), at(pDeep), requestedBytes * SHARES.deep, pDeep);
  randomFiles(rng.fork(4), at(pRandom), requestedBytes * SHARES.random, pRandom);
  sparseFile(rng.fork(5), at(pSparse), requestedBytes * SHARES.sparse, pSparse);
  for (const p of parts) p.allocated = existsSync(at(p)) ? allocated(at(p)) : 0;
  const sum = (f: (p: Part) => number, ps: readonly Part[] = parts): number => ps.reduce((s, p) => s + f(p), 0);
  const ds: Dataset = {
    generatorVersion: GENERATOR_VERSION,
    seed,
    requestedBytes,
    tree,
    textTree: text,
    parts,
    totalFiles: sum((p) => p.files),
    totalBytes: sum((p) => p.bytes),
    textBytes: sum((p) => p.bytes, [pReal, pSmall, pLogs, pDeep]),
    realTextTree: at(pReal),
    realSources,
    generateSeconds: (performance.now() - started) / 1000,
  };
  writeFileSync(manifest, `${JSON.stringify(ds, null, 2)}\n`);
  return ds;
}

/**
 * The untimed read pass: reads every file once so that every measured command
 * starts with the same warm page cache; returns a sha256 over names, sizes and
 * contents (equal fingerprints = the same data set).
 */
export function warmAndFingerprint(root: string): string {
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(4 * MiB);
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = join(dir, e.name);
      if (e.isDirectory()) {
        hash.update(`d ${relative(root, path)}\n`);
        walk(path);
        continue;
      }
      hash.update(`f ${relative(root, path)}\n`);
      const fd = openSync(path, 'r');
      for (let n = readSync(fd, buf); n > 0; n = readSync(fd, buf)) hash.update(buf.subarray(0, n));
      closeSync(fd);
    }
  };
  walk(root);
  return hash.digest('hex');
}
