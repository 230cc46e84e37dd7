// `npm run bench`: generates the data set, measures the archive side and the
// plan side, prints the tables and the targets, writes bench/results.json.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { COMPRESSORS, detectCompressorTools } from '../src/apply/compressors.js';
import { measure, measurePaired, pySnapCase, rawCase, rawTarArgv, snapctlApplyCase, writerCase, type Case, type CaseResult, type PairedResult } from './archive-bench.js';
import { ensureDataset, warmAndFingerprint, type Dataset } from './dataset.js';
import { machineInfo } from './machine.js';
import { planBench, type PlanBenchResult } from './plan-bench.js';
import { requireGnuTime } from './proc.js';
import { archiveTable, datasetTable, machineLine, pairedTable, planTable, targets, targetTable } from './report.js';

const HELP = `usage: npm run bench -- [options]

Generates a data set and measures snapctl apply against the raw tar | zstd
pipeline and py_snap's tarfile gzip, every compression choice, and
snapctl plan at 100 and 100,000 archives. Prints the tables and the targets;
writes bench/results.json.

Options:
  --size SIZE          data set size (default 1G; e.g. 256M for a quick run)
  --matrix-size SIZE   second, smaller data set: the compression choices run
                       on its real text files (35% of it) and it gives the
                       second RSS figure (default: a quarter of --size, at
                       most 64M: zstd -19 and xz -6 run at ~2 MB/s here)
  --reps N             repetitions of each archive case (default 3, at least 3)
  --pairs N            rounds of snapctl apply and the raw pipeline + fsync
                       back to back, per data set, for the overhead ratio
                       (default 21, at least 3)
  --plan-reps N        repetitions of each plan case (default 7, at least 5)
  --plan-archives N    archives in the large plan directory (default 100000)
  --seed N             data set seed (default 1)
  --dir DIR            work in DIR and keep it (the data set is reused by the
                       next run with the same size and seed); default: a
                       temporary directory, removed at the end
  --only archive|plan|paired
                       run one side only; paired: only the rounds of snapctl
                       apply and raw + sync back to back (the overhead ratio),
                       on the full data set and its text subset
  -h, --help           this help
`;

function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?$/i.exec(text.trim());
  if (!m) throw new Error(`--size: cannot read "${text}" (e.g. 1G, 256M, 512MiB)`);
  const exp = ' KMGT'.indexOf((m[2] || ' ').toUpperCase());
  return Math.round(Number(m[1]) * 1024 ** exp);
}

function count(text: string, name: string, min: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name}: need an integer ≥ ${min}, got "${text}"`);
  return n;
}

const log = (line: string): void => void process.stderr.write(`${line}\n`);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      size: { type: 'string', default: '1G' },
      'matrix-size': { type: 'string' },
      reps: { type: 'string', default: '3' },
      pairs: { type: 'string', default: '21' },
      'plan-reps': { type: 'string', default: '7' },
      'plan-archives': { type: 'string', default: '100000' },
      seed: { type: 'string', default: '1' },
      dir: { type: 'string' },
      only: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const size = parseSize(values.size);
  const matrixSize = values['matrix-size'] !== undefined ? parseSize(values['matrix-size']) : Math.min(Math.round(size / 4), 64 * 2 ** 20);
  const reps = count(values.reps, '--reps', 3);
  const pairs = count(values.pairs, '--pairs', 3);
  const planReps = count(values['plan-reps'], '--plan-reps', 5);
  const planArchives = count(values['plan-archives'], '--plan-archives', 101);
  const seed = count(values.seed, '--seed', 0);
  const only = values.only;
  if (only !== undefined && only !== 'archive' && only !== 'plan' && only !== 'paired') throw new Error('--only: archive, plan or paired');
  requireGnuTime();

  const work = values.dir ?? mkdtempSync(join(tmpdir(), 'snapctl-bench-'));
  mkdirSync(work, { recursive: true });
  const machine = machineInfo();
  log(`snapctl bench in ${work}\n${machineLine(machine)}`);

  const archive: CaseResult[] = [];
  const paired: PairedResult[] = [];
  let datasets: Record<string, Dataset & { fingerprint: string }> = {};
  let rawTar: string[] = [];
  let plan: PlanBenchResult | undefined;
  try {
    if (only !== 'plan') {
      const full = ensureDataset(join(work, 'data-full'), size, seed, log);
      // --only paired needs neither the small data set nor the cases measured in it.
      const small = only === 'paired' ? undefined : ensureDataset(join(work, 'data-small'), matrixSize, seed, log);
      log('untimed read pass over the data sets (warms the page cache, fingerprints the data) ...');
      datasets = { full: { ...full, fingerprint: warmAndFingerprint(full.tree) } };
      if (small) datasets['small'] = { ...small, fingerprint: warmAndFingerprint(small.tree) };
      log(datasetTable('full data set', full));
      if (small) log(datasetTable('small data set', small));
      rawTar = await rawTarArgv('SRC');
      const out = join(work, 'out');
      mkdirSync(out, { recursive: true });
      const zstd = 'zstd -q -T0 -3 -c';

      const sideBySide = async (data: 'full' | 'text', src: string, bytes: number): Promise<Case[]> => [
        snapctlApplyCase(`apply-${data}`, 'snapctl apply (default: zstd -3 -T0), whole CLI', data, src, bytes, join(work, 'apply')),
        await rawCase(`raw-${data}`, 'raw: tar | zstd -T0 -3 > out', data, src, bytes, zstd, join(out, `raw-${data}.tar.zst`), false),
        await rawCase(`rawsync-${data}`, 'raw: tar | zstd -T0 -3 > out && sync out', data, src, bytes, zstd, join(out, `rawsync-${data}.tar.zst`), true),
        pySnapCase(`py-${data}`, 'py_snap: python3 tarfile w:gz (level 9)', data, src, bytes, join(out, `py-${data}.tar.gz`)),
      ];
      for (const [data, src, bytes] of [
        ['full', full.tree, full.totalBytes],
        ['text', full.textTree, full.textBytes],
      ] as const) {
        const what = data === 'full' ? 'full data set' : 'text subset';
        warmAndFingerprint(src);
        const cases = await sideBySide(data, src, bytes);
        if (only !== 'paired') {
          log(`\n${what}: ${reps} rounds, cases alternating`);
          archive.push(...(await measure(cases, reps, log)));
        }
        log(`\n${what}: ${pairs} rounds of snapctl apply and raw + sync back to back`);
        paired.push(await measurePaired(cases.find((c) => c.id === `apply-${data}`)!, cases.find((c) => c.id === `rawsync-${data}`)!, pairs, log));
      }

      if (small !== undefined) {
        const tools = await detectCompressorTools();
        // The compression choices on real text only: that is where they differ (random data is stored, logs compress ~10x by any).
        const real = small.parts.find((p) => p.dir === 'text/real')!.bytes;
        const w = (compression: 'zstd' | 'gzip' | 'xz' | 'none', level: number | undefined, label: string): Case =>
          writerCase(`w-${compression}${level !== undefined ? `-${level}` : ''}`, label, 'real', small.realTextTree, real, compression, level, join(work, 'writer'));
        const matrix: Case[] = [
          snapctlApplyCase('apply-small', 'snapctl apply (default: zstd -3 -T0), whole CLI', 'small', small.tree, small.totalBytes, join(work, 'apply')),
          snapctlApplyCase('apply-real', 'snapctl apply (default: zstd -3 -T0), whole CLI', 'real', small.realTextTree, real, join(work, 'apply')),
          await rawCase('raw-real', 'raw: tar | zstd -T0 -3 > out', 'real', small.realTextTree, real, zstd, join(out, 'raw-real.tar.zst'), false),
          w('zstd', 1, 'writer: zstd -1 -T0'),
          w('zstd', 3, 'writer: zstd -3 -T0 (default)'),
          w('zstd', 6, 'writer: zstd -6 -T0'),
          w('zstd', 9, 'writer: zstd -9 -T0'),
          w('zstd', 19, 'writer: zstd -19 -T0'),
          w('gzip', COMPRESSORS.gzip.defaultLevel, tools.pigz ? `writer: gzip -6 (pigz -p ${tools.cores})` : 'writer: gzip -6'),
          await rawCase('gzip1-6', 'raw: tar | gzip -6 (one core)', 'real', small.realTextTree, real, 'gzip -6', join(out, 'g.tar.gz'), false),
          w('xz', COMPRESSORS.xz.defaultLevel, 'writer: xz -6 -T0'),
          w('none', undefined, 'writer: none (tar only)'),
          pySnapCase('py-real', 'py_snap: python3 tarfile w:gz (level 9)', 'real', small.realTextTree, real, join(out, 'py-real.tar.gz')),
        ];
        log(`\ncompression choices on the small data set's real text: ${reps} rounds, cases alternating`);
        warmAndFingerprint(small.tree);
        archive.push(...(await measure(matrix, reps, log)));
      }
    }
    if (only !== 'archive' && only !== 'paired') {
      log(`\nplan side: ${planReps} rounds, cases alternating`);
      plan = await planBench(join(work, 'plan'), planReps, 100, planArchives, log);
    }
  } finally {
    if (values.dir === undefined) rmSync(work, { recursive: true, force: true });
  }

  const ts = targets(archive, paired, plan);
  const sections: string[] = [];
  const group = (data: string): CaseResult[] => archive.filter((r) => r.data === data);
  if (archive.length > 0) {
    sections.push(`Full data set (${(datasets['full']!.totalBytes / 1e6).toFixed(0)} MB, ${datasets['full']!.totalFiles} files), median of ${reps}:\n${archiveTable(group('full'))}`);
    sections.push(`Text subset (${(datasets['full']!.textBytes / 1e6).toFixed(0)} MB), median of ${reps}:\n${archiveTable(group('text'))}`);
  }
  if (paired.length > 0) sections.push(`snapctl apply against the raw pipeline + fsync, back to back, ${pairs} rounds:\n${pairedTable(paired)}`);
  const sm = datasets['small'];
  if (archive.length > 0 && sm !== undefined) {
    sections.push(`Small data set (${(sm.totalBytes / 1e6).toFixed(0)} MB, same mix), median of ${reps}:\n${archiveTable(group('small'))}`);
    const realBytes = sm.parts.find((p) => p.dir === 'text/real')!.bytes;
    sections.push(`Compression choices on real text (the small data set's ${(realBytes / 1e6).toFixed(1)} MB of real text files), median of ${reps}:\n${archiveTable(group('real'))}`);
  }
  if (plan) sections.push(`Plan side, median of ${planReps}:\n${planTable(plan)}`);
  sections.push(`Targets:\n${targetTable(ts)}`);
  process.stdout.write(`\n${machineLine(machine)}\n\n${sections.join('\n\n')}\n`);

  const resultsFile = join(import.meta.dirname, '..', '..', 'bench', 'results.json');
  const results = { machine, options: { size, matrixSize, reps, pairs, planReps, planArchives, seed }, rawTarArgv: rawTar, datasets, archive, paired, plan, targets: ts };
  writeFileSync(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
  log(`\nwrote ${resultsFile}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
