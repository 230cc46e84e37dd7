// The archive side: snapctl apply (whole process), the raw tar | zstd pipeline
// it wraps, py_snap's tarfile gzip, and every compression choice through
// snapctl's archive writer; each case repeated, the cases alternating.
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeArchive } from '../src/apply/archive-writer.js';
import { probeTar, tarCreateArgv } from '../src/apply/tar-command.js';
import type { Compression } from '../src/core/model.js';
import { run, runOk, shq } from './proc.js';
import { medianInterval, summarize, type MedianInterval, type Summary } from './stats.js';

export interface Sample {
  readonly seconds: number;
  /** Size of the archive produced. */
  readonly outBytes: number;
  readonly peakRssKiB?: number;
  readonly treeMaxRssKiB?: number;
}

export interface Case {
  readonly id: string;
  readonly label: string;
  /** Which data the case archives ("full", "text", "small"). */
  readonly data: string;
  /** Bytes of input (sum of file sizes), the throughput denominator for every case on this data. */
  readonly inputBytes: number;
  readonly run: () => Promise<Sample>;
}

export interface CaseResult {
  readonly id: string;
  readonly label: string;
  readonly data: string;
  readonly inputBytes: number;
  readonly seconds: Summary;
  /** MB/s (10^6 bytes) of input at the median time. */
  readonly mbPerSecond: number;
  readonly outBytes: number;
  /** input / archive size. */
  readonly compressionRatio: number;
  readonly peakRssKiB?: Summary;
  readonly treeMaxRssKiB?: Summary;
  readonly samples: readonly Sample[];
}

/** Two cases run back to back, round after round: `b`'s time over `a`'s, per round. */
export interface PairedResult {
  readonly data: string;
  readonly a: { readonly id: string; readonly label: string; readonly seconds: Summary };
  readonly b: { readonly id: string; readonly label: string; readonly seconds: Summary };
  /** b's seconds / a's seconds of the same round: a's throughput relative to b's. */
  readonly ratio: Summary;
  /** 95% confidence interval of the ratio's median (undefined under 6 rounds). */
  readonly ratioInterval?: MedianInterval;
  readonly rounds: ReadonlyArray<{ readonly aSeconds: number; readonly bSeconds: number; readonly aFirst: boolean }>;
}

const HOST = 'benchhost';
const BIN = join(import.meta.dirname, '..', '..', 'bin', 'snapctl.js');

/** GNU tar's arguments exactly as snapctl builds them, minus its progress checkpoints (snapctl's own cost). */
export async function rawTarArgv(src: string): Promise<string[]> {
  const args = tarCreateArgv(await probeTar(), src, []);
  return ['tar', ...args.filter((a) => !a.startsWith('--checkpoint'))];
}

function archiveIn(dir: string): number {
  const hostDir = join(dir, HOST);
  const name = readdirSync(hostDir).find((f) => f.includes('.tar') && !f.endsWith('.sha256'));
  if (name === undefined) throw new Error(`snapctl apply wrote no archive in ${hostDir}`);
  return statSync(join(hostDir, name)).size;
}

/** `snapctl apply` of a one-volume `path` policy, from a fresh backup directory each time. */
export function snapctlApplyCase(id: string, label: string, data: string, src: string, inputBytes: number, work: string): Case {
  const dir = join(work, id);
  mkdirSync(dir, { recursive: true });
  const policy = join(dir, 'policy.yaml');
  // The default compression: the policy names none.
  writeFileSync(policy, `version: 1\ntimezone: UTC\nhosts:\n  ${HOST}:\n    volumes:\n      vol:\n        path: ${JSON.stringify(src)}\n`);
  const backups = join(dir, 'backups');
  return {
    id,
    label,
    data,
    inputBytes,
    run: async () => {
      rmSync(backups, { recursive: true, force: true });
      rmSync(join(dir, 'state'), { recursive: true, force: true });
      const argv = [process.execPath, BIN, 'apply', '--policy', policy, '--host', HOST, '--backup-dir', backups, '--now', '2026-11-26T03:00:00Z'];
      argv.push('--log-dir', join(dir, 'log'), '--state-dir', join(dir, 'state'), '--lock-file', join(dir, 'lock'));
      const r = await runOk(argv, { memory: true });
      const outBytes = archiveIn(backups);
      rmSync(backups, { recursive: true, force: true });
      return {
        seconds: r.seconds,
        outBytes,
        ...(r.peakRssKiB !== undefined ? { peakRssKiB: r.peakRssKiB } : {}),
        ...(r.treeMaxRssKiB !== undefined ? { treeMaxRssKiB: r.treeMaxRssKiB } : {}),
      };
    },
  };
}

/** A shell pipeline writing `out`; the archive size is measured, then the file removed. */
export function shellCase(id: string, label: string, data: string, inputBytes: number, script: string, out: string): Case {
  return {
    id,
    label,
    data,
    inputBytes,
    run: async () => {
      rmSync(out, { force: true });
      const r = await runOk(['bash', '-c', `set -o pipefail; ${script}`]);
      const outBytes = statSync(out).size;
      rmSync(out, { force: true });
      return { seconds: r.seconds, outBytes };
    },
  };
}

/** The raw pipeline: snapctl's tar flags into the compressor, optionally with the archive fsynced like snapctl does. */
export async function rawCase(id: string, label: string, data: string, src: string, inputBytes: number, compressor: string, out: string, fsync: boolean): Promise<Case> {
  const tar = (await rawTarArgv(src)).map(shq).join(' ');
  return shellCase(id, label, data, inputBytes, `${tar} | ${compressor} > ${shq(out)}${fsync ? ` && sync ${shq(out)}` : ''}`, out);
}

const PY_SNAP = `import sys, tarfile
# py_snap: tarfile "w:gz" (gzip level 9, the default), one core, whole tree.
with tarfile.open(sys.argv[1], "w:gz") as t:
    t.add(sys.argv[2], arcname=".")
`;

/** What py_snap did: Python's tarfile with gzip at its default level 9. */
export function pySnapCase(id: string, label: string, data: string, src: string, inputBytes: number, out: string): Case {
  return shellCase(id, label, data, inputBytes, `python3 -c ${shq(PY_SNAP)} ${shq(out)} ${shq(src)}`, out);
}

/** One compression choice through snapctl's archive writer, in this process (tar, compressor, sha256, fsync, sidecar, rename). */
export function writerCase(id: string, label: string, data: string, src: string, inputBytes: number, compression: Compression, level: number | undefined, work: string): Case {
  const destDir = join(work, id);
  mkdirSync(destDir, { recursive: true });
  return {
    id,
    label,
    data,
    inputBytes,
    run: async () => {
      rmSync(destDir, { recursive: true, force: true });
      mkdirSync(destDir);
      const started = performance.now();
      const r = await writeArchive({
        sourceDir: src,
        destDir,
        finalName: `bench.tar${compression === 'none' ? '' : '.x'}`,
        compression,
        ...(level !== undefined ? { level } : {}),
        exclude: [],
        signal: new AbortController().signal,
      });
      const seconds = (performance.now() - started) / 1000;
      rmSync(destDir, { recursive: true, force: true });
      return { seconds, outBytes: r.bytes };
    },
  };
}

/** Runs every case `reps` times, alternating (1 2 3, 2 3 1, 3 1 2, …), so slow drift of the machine hits all alike. */
export async function measure(cases: readonly Case[], reps: number, log: (line: string) => void): Promise<CaseResult[]> {
  const samples = new Map<string, Sample[]>(cases.map((c) => [c.id, []]));
  for (let rep = 1; rep <= reps; rep++) {
    // Each round starts one case later (A B C D, B C D A, …): no case always
    // follows the same one (e.g. py_snap's minute of one busy core).
    const shift = (rep - 1) % cases.length;
    for (const c of [...cases.slice(shift), ...cases.slice(0, shift)]) {
      // Untimed: the previous case's archive (written, then deleted) must not be flushed or discarded on this one's time.
      await runOk(['sync']);
      const s = await c.run();
      samples.get(c.id)!.push(s);
      const rss = s.peakRssKiB !== undefined ? `, peak RSS ${(s.peakRssKiB / 1024).toFixed(1)} MiB` : '';
      log(`  [${rep}/${reps}] ${c.label} (${c.data}): ${s.seconds.toFixed(2)} s, ${(s.outBytes / 1e6).toFixed(1)} MB${rss}`);
    }
  }
  return cases.map((c) => {
    const ss = samples.get(c.id)!;
    const seconds = summarize(ss.map((s) => s.seconds));
    const outBytes = summarize(ss.map((s) => s.outBytes)).median;
    const rss = ss.flatMap((s) => (s.peakRssKiB !== undefined ? [s.peakRssKiB] : []));
    const tree = ss.flatMap((s) => (s.treeMaxRssKiB !== undefined ? [s.treeMaxRssKiB] : []));
    return {
      id: c.id,
      label: c.label,
      data: c.data,
      inputBytes: c.inputBytes,
      seconds,
      mbPerSecond: c.inputBytes / 1e6 / seconds.median,
      outBytes,
      compressionRatio: c.inputBytes / outBytes,
      ...(rss.length > 0 ? { peakRssKiB: summarize(rss) } : {}),
      ...(tree.length > 0 ? { treeMaxRssKiB: summarize(tree) } : {}),
      samples: ss,
    };
  });
}

/**
 * `a` and `b` back to back, `rounds` times, alternating which goes first;
 * the ratio is taken within each round and summarised over the rounds.
 * On a machine whose speed drifts by ±10% from one minute to the next, this
 * compares two runs seconds apart instead of medians of runs minutes apart;
 * single rounds still scatter (0.80-1.09 on the reference VM), hence many.
 */
export async function measurePaired(a: Case, b: Case, rounds: number, log: (line: string) => void): Promise<PairedResult> {
  const done: { aSeconds: number; bSeconds: number; aFirst: boolean }[] = [];
  for (let round = 1; round <= rounds; round++) {
    const aFirst = round % 2 === 1;
    const seconds = new Map<Case, number>();
    for (const c of aFirst ? [a, b] : [b, a]) {
      await runOk(['sync']);
      seconds.set(c, (await c.run()).seconds);
    }
    const r = { aSeconds: seconds.get(a)!, bSeconds: seconds.get(b)!, aFirst };
    done.push(r);
    log(`  [${round}/${rounds}] ${a.label}: ${r.aSeconds.toFixed(2)} s, ${b.label}: ${r.bSeconds.toFixed(2)} s, ratio ${(r.bSeconds / r.aSeconds).toFixed(3)}`);
  }
  const ratios = done.map((r) => r.bSeconds / r.aSeconds);
  const interval = medianInterval(ratios);
  return {
    data: a.data,
    a: { id: a.id, label: a.label, seconds: summarize(done.map((r) => r.aSeconds)) },
    b: { id: b.id, label: b.label, seconds: summarize(done.map((r) => r.bSeconds)) },
    ratio: summarize(ratios),
    ...(interval !== undefined ? { ratioInterval: interval } : {}),
    rounds: done,
  };
}

/** For callers that only need to know a tool exists. */
export async function hasTool(name: string): Promise<boolean> {
  const r = await run(['bash', '-c', `command -v ${shq(name)}`]);
  return r.code === 0;
}
