// The printed report: the data set, each group of measurements, and the
// targets of the performance issue as ratios measured in this run (✓/✗).
import type { CaseResult, PairedResult } from './archive-bench.js';
import type { Dataset } from './dataset.js';
import type { MachineInfo } from './machine.js';
import type { PlanBenchResult } from './plan-bench.js';
import type { MedianInterval } from './stats.js';

export interface Target {
  readonly name: string;
  readonly measured: string;
  readonly target: string;
  readonly met: boolean;
}

const MiB = 2 ** 20;
const mb = (bytes: number): string => (bytes / 1e6).toFixed(1);
const s = (x: number): string => (x < 1 ? x.toFixed(3) : x.toFixed(2));
const rssMb = (kib: number): string => ((kib * 1024) / 1e6).toFixed(1);

/** Left-aligned first column, the others right-aligned, as a Markdown table (readable as plain text too). */
export function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  // A `|` inside a cell (tar | zstd) would end the cell in Markdown.
  const esc = (c: string): string => c.replace(/\|/g, '\\|');
  const widths = head.map((h, i) => Math.max(esc(h).length, ...rows.map((r) => esc(r[i] ?? '').length)));
  const line = (raw: readonly string[]): string => `| ${raw.map(esc).map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(head), rule, ...rows.map(line)].join('\n');
}

export function datasetTable(name: string, ds: Dataset): string {
  const rows = ds.parts.map((p) => [p.name, String(p.files), String(p.dirs), (p.bytes / MiB).toFixed(1), (p.allocated / MiB).toFixed(1), p.description]);
  rows.push(['total', String(ds.totalFiles), '', (ds.totalBytes / MiB).toFixed(1), '', `text subset: ${(ds.textBytes / MiB).toFixed(1)} MiB`]);
  return `${name} (seed ${ds.seed}, ${ds.tree}):\n${table(['part', 'files', 'dirs', 'MiB', 'MiB on disk', 'what'], rows)}`;
}

export function archiveTable(results: readonly CaseResult[]): string {
  const rows = results.map((r) => [
    r.label,
    s(r.seconds.median),
    `${s(r.seconds.min)}–${s(r.seconds.max)}`,
    r.mbPerSecond.toFixed(1),
    mb(r.outBytes),
    r.compressionRatio.toFixed(2),
    r.peakRssKiB ? `${rssMb(r.peakRssKiB.max)} / ${rssMb(r.treeMaxRssKiB?.max ?? 0)}` : '',
  ]);
  return table(['case', 'median s', 'min–max s', 'MB/s in', 'archive MB', 'ratio', 'peak RSS MB (snapctl / tree)'], rows);
}

/** "0.909–0.952": a confidence interval of a ratio. */
function intervalText(i: MedianInterval): string {
  return `${i.low.toFixed(3)}–${i.high.toFixed(3)}`;
}

export function pairedTable(results: readonly PairedResult[]): string {
  const rows = results.map((p) => [
    p.data === 'full' ? 'full data set' : p.data === 'text' ? 'text subset' : p.data,
    `${s(p.a.seconds.median)} (${s(p.a.seconds.min)}–${s(p.a.seconds.max)})`,
    `${s(p.b.seconds.median)} (${s(p.b.seconds.min)}–${s(p.b.seconds.max)})`,
    `${p.ratio.median.toFixed(3)}×`,
    p.ratioInterval ? intervalText(p.ratioInterval) : 'n/a',
    `${p.ratio.min.toFixed(3)}–${p.ratio.max.toFixed(3)}`,
    String(p.ratio.n),
  ]);
  return table(['data', 'snapctl apply s', 'raw + sync s', 'throughput ratio, median of rounds', '95% CI of the median', 'min–max', 'rounds'], rows);
}

export function planTable(plan: PlanBenchResult): string {
  const rows = plan.cases.map((c) => [
    c.label,
    s(c.seconds.median),
    `${s(c.seconds.min)}–${s(c.seconds.max)}`,
    s(c.cpuSeconds.median),
    String(c.seconds.n),
    (c.stdoutBytes / 1e3).toFixed(1),
    rssMb(c.peakRssKiB.max),
    Number.isFinite(c.minorFaults.median) ? String(Math.round(c.minorFaults.median)) : 'n/a',
  ]);
  return table(['command (whole process)', 'median s', 'min–max s', 'CPU s (user+sys)', 'runs', 'output kB', 'peak RSS MB', 'page faults'], rows);
}

function get(results: readonly CaseResult[], id: string): CaseResult | undefined {
  return results.find((r) => r.id === id);
}

/** The issue's targets, each a ratio or bound measured in this run. */
export function targets(archive: readonly CaseResult[], paired: readonly PairedResult[], plan: PlanBenchResult | undefined): Target[] {
  const out: Target[] = [];
  const speed = (name: string, fast: string, slow: string, min: number): void => {
    const a = get(archive, fast);
    const b = get(archive, slow);
    if (!a || !b) return;
    const ratio = b.seconds.median / a.seconds.median;
    out.push({ name, measured: `${ratio.toFixed(3)}×`, target: `≥ ${min}×`, met: ratio >= min });
  };
  for (const p of paired) {
    const what = p.data === 'full' ? 'full set' : 'text subset';
    out.push({ name: `apply vs raw tar|zstd -3 + fsync, throughput (${what}, ${p.ratio.n} rounds back to back)`, measured: `${p.ratio.median.toFixed(3)}×${p.ratioInterval ? ` (95% CI ${intervalText(p.ratioInterval)})` : ''}`, target: '≥ 0.95×', met: p.ratio.median >= 0.95 });
  }
  speed('apply (default zstd) vs py_snap tarfile w:gz, speed (text subset)', 'apply-text', 'py-text', 4);
  const at = get(archive, 'apply-text');
  const pt = get(archive, 'py-text');
  if (at && pt) {
    out.push({ name: 'apply archive size vs py_snap (text subset)', measured: `${mb(at.outBytes)} vs ${mb(pt.outBytes)} MB (${((at.outBytes / pt.outBytes) * 100).toFixed(0)}%)`, target: '< 100%', met: at.outBytes < pt.outBytes });
  }
  const ar = get(archive, 'apply-real');
  const pr = get(archive, 'py-real');
  if (ar && pr) {
    speed('apply (default zstd) vs py_snap tarfile w:gz, speed (real text)', 'apply-real', 'py-real', 4);
    out.push({ name: 'apply archive size vs py_snap (real text)', measured: `${mb(ar.outBytes)} vs ${mb(pr.outBytes)} MB (${((ar.outBytes / pr.outBytes) * 100).toFixed(0)}%)`, target: '< 100%', met: ar.outBytes < pr.outBytes });
  }
  for (const [id, what] of [
    ['apply-full', 'full set'],
    ['apply-small', 'small set'],
  ] as const) {
    const r = get(archive, id);
    if (r?.peakRssKiB) {
      const peak = (r.peakRssKiB.max * 1024) / 1e6;
      out.push({ name: `snapctl apply peak RSS, ${what} (${mb(r.inputBytes)} MB)`, measured: `${peak.toFixed(1)} MB`, target: '< 100 MB', met: peak < 100 });
    }
  }
  if (plan) {
    const c = (id: string): number => plan.cases.find((x) => x.id === id)!.seconds.median;
    out.push({ name: 'snapctl plan on policies/example.yaml', measured: `${s(c('plan-example'))} s`, target: '< 0.25 s', met: c('plan-example') < 0.25 });
    const ratio = c('plan-large') / c('plan-small');
    // For scale: listing that directory alone, in a node process of its own, against the same plan of 100.
    const has = (id: string): boolean => plan.cases.some((x) => x.id === id);
    const floors = [
      ...(has('list-large') ? [`listing the directory alone: ${(c('list-large') / c('plan-small')).toFixed(2)}×`] : []),
      ...(has('floor-large') ? [`with an object per archive and per deletion: ${(c('floor-large') / c('plan-small')).toFixed(2)}×`] : []),
      ...(has('columns-large') ? [`with no object per archive: ${(c('columns-large') / c('plan-small')).toFixed(2)}×`] : []),
    ];
    const floor = floors.length > 0 ? ` (${floors.join('; ')})` : '';
    out.push({ name: `plan ${plan.archivesLarge} archives / plan ${plan.archivesSmall}`, measured: `${ratio.toFixed(2)}×${floor}`, target: '≤ 4×', met: ratio <= 4 });
  }
  return out;
}

export function targetTable(ts: readonly Target[]): string {
  return table(['target', 'measured', 'goal', ''], ts.map((t) => [t.name, t.measured, t.target, t.met ? '✓' : '✗']));
}

export function machineLine(m: MachineInfo): string {
  const st = m.nodeStartup;
  const shell = st.shellNodeVariables.length > 0 ? `, ${st.shellEnvMs} ms in this shell's (with ${st.shellNodeVariables.join(', ')})` : '';
  return (
    `${m.date.slice(0, 10)}, ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Linux ${m.kernel}, node ${m.node}, load average ${m.loadAverage} at start, snapctl ${m.snapctlCommit}; ` +
    `commands run in cron's environment (node -e 0: ${st.cronEnvMs} ms${shell}); first touch of a page of memory: ${m.pageFaultMicros} µs; ${Object.values(m.tools).join('; ')}`
  );
}
