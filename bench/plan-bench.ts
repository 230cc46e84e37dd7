// The plan side: whole-process time of `snapctl plan` over a backup directory
// of 100 and of 100,000 hourly archives (with their sidecars), of `plan` on the
// example policy, and of `snapctl --version`; alternating, repeated.
import { closeSync, mkdirSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { archiveName } from '../src/core/naming.js';
import { SIDECAR_SUFFIX } from '../src/core/naming.js';
import { runOk } from './proc.js';
import { summarize, type Summary } from './stats.js';

const HOST = 'benchhost';
const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'snapctl.js');
/** snapctl's calendar arithmetic as compiled, for the columnar floor below. */
const TIME_JS = pathToFileURL(join(ROOT, 'dist', 'src', 'core', 'time.js')).href;
/** snapctl's retention buckets as compiled, for the same. */
const RETENTION_JS = pathToFileURL(join(ROOT, 'dist', 'src', 'core', 'retention.js')).href;
const NOW = '2026-11-26T03:30:00Z';
const HOUR = 3_600_000;

/** A retention a real hourly volume might have: about 100 archives kept out of 100,000. */
const KEEP = { hourly: 48, daily: 14, weekly: 8, monthly: 24, yearly: 10 };
const ZONE = 'Europe/Berlin';
const POLICY = `version: 1
timezone: ${ZONE}
hosts:
  ${HOST}:
    volumes:
      data:
        path: /srv/data
        schedule: hourly
        compression: zstd
        retention:
          keepHourly: ${KEEP.hourly}
          keepDaily: ${KEEP.daily}
          keepWeekly: ${KEEP.weekly}
          keepMonthly: ${KEEP.monthly}
          keepYearly: ${KEEP.yearly}
`;

export interface PlanCaseResult {
  readonly id: string;
  readonly label: string;
  readonly seconds: Summary;
  /** User + system CPU time: less sensitive than wall time to other load on the machine. */
  readonly cpuSeconds: Summary;
  /** Bytes `plan` printed (the diff lists every archive). */
  readonly stdoutBytes: number;
  readonly samples: readonly number[];
  readonly peakRssKiB: Summary;
  /** Minor page faults: pages of memory the process touched for the first time. */
  readonly minorFaults: Summary;
}

export interface PlanBenchResult {
  readonly archivesSmall: number;
  readonly archivesLarge: number;
  readonly policy: string;
  readonly cases: readonly PlanCaseResult[];
}

/** A node program that reads a directory's names (node's fastest whole listing) and prints how many. */
const LIST_ONLY = "require('fs').readdir(process.argv[1], (err, names) => { if (err) throw err; process.stdout.write(names.length + '\\n'); })";

/**
 * What the two floor programs below share: the UTC instant in a snapctl
 * archive name (`….YYYYMMDDTHHMMSSZ.tar.<ext>`), and whether the next name
 * of the sorted listing is the archive's sidecar.
 */
const NAME_PARSING = `
const num = (s, from, len) => { let v = 0; for (let k = from; k < from + len; k++) v = v * 10 + s.charCodeAt(k) - 48; return v; };
const timeOf = (file) => {
  const at = file.lastIndexOf('.tar.') - 16;
  return Date.UTC(num(file, at, 4), num(file, at + 4, 2) - 1, num(file, at + 6, 2), num(file, at + 9, 2), num(file, at + 11, 2), num(file, at + 13, 2));
};
const isSidecarOf = (next, file) => next !== undefined && next.length === file.length + 7 && next.startsWith(file);
`;

/**
 * A node program that does the least any plan must do per archive, for
 * scale: it lists the directory, makes one object per archive (name, time
 * parsed from the name, sidecar or not), sorts them newest first, and makes
 * one delete action (name, path, sidecar path) for each but the newest 100.
 * No policy, retention rules, checks or output: what is left of `plan` when
 * the per-archive work is as small as one object each way.
 */
const PER_ARCHIVE_FLOOR = `${NAME_PARSING}
const dir = process.argv[1];
require('fs').readdir(dir, (err, names) => {
  if (err) throw err;
  const archives = [];
  for (let i = 0; i < names.length; i++) {
    const file = names[i];
    if (file.endsWith('.sha256')) continue;
    const hasSidecar = isSidecarOf(names[i + 1], file);
    if (hasSidecar) i++;
    archives.push({ file, time: timeOf(file), hasSidecar });
  }
  archives.sort((a, b) => b.time - a.time);
  const deletes = [];
  const prefix = dir + '/';
  for (let i = 100; i < archives.length; i++) {
    const a = archives[i];
    const path = prefix + a.file;
    deletes.push({ archive: a.file, path, sidecar: a.hasSidecar ? path + '.sha256' : undefined });
  }
  process.stdout.write(archives.length + ' archives, ' + deletes.length + ' to delete\\n');
});
`;

/**
 * The same listing with no object per archive or per deletion, for scale: the
 * names stay in readdir's array, everything else goes into typed arrays (the
 * time parsed from each name, sidecar or not; deletions as indices). It
 * applies POLICY's retention rules in its zone with snapctl's own wall clock
 * and retention buckets (time.js and retention.js, its second and third
 * arguments) and prints the kept archives and the first 40 deletions. What a plan made of columns would cost before its
 * policy, checks and renderer.
 */
const COLUMNAR_FLOOR = `${NAME_PARSING}
const [dir, timeJs, retentionJs] = process.argv.slice(1);
require('fs').readdir(dir, async (err, names) => {
  if (err) throw err;
  const { wallClock } = await import(timeJs);
  const { BUCKETS } = await import(retentionJs);
  const index = new Int32Array(names.length);
  const time = new Float64Array(names.length);
  const sidecar = new Uint8Array(names.length);
  let count = 0;
  for (let i = 0; i < names.length; i++) {
    const file = names[i];
    if (file.endsWith('.sha256')) continue;
    const hasSidecar = isSidecarOf(names[i + 1], file);
    index[count] = i;
    time[count] = timeOf(file);
    sidecar[count] = hasSidecar ? 1 : 0;
    count++;
    if (hasSidecar) i++;
  }
  const counts = ${JSON.stringify(KEEP)};
  const rules = BUCKETS.map(([name, bucketOf]) => ({ left: counts[name], bucketOf, last: NaN }));
  const kept = [];
  const deleted = new Int32Array(count);
  let deletions = 0;
  let rulesLeft = rules.length;
  // The names sort oldest first: walk them newest first.
  for (let k = count - 1; k >= 0; k--) {
    let keep = false;
    if (rulesLeft > 0) {
      const wall = wallClock(time[k], ${JSON.stringify(ZONE)});
      for (const rule of rules) {
        if (rule.left === 0) continue;
        const bucket = rule.bucketOf(wall);
        if (bucket !== rule.last) {
          rule.last = bucket;
          keep = true;
          if (--rule.left === 0) rulesLeft--;
        }
      }
    }
    if (keep || k === count - 1) kept.push(k);
    else deleted[deletions++] = k;
  }
  let out = '';
  for (const k of kept) out += '  = ' + names[index[k]] + '\\n';
  for (let j = 0; j < Math.min(40, deletions); j++) out += '  - ' + names[index[deleted[j]]] + (sidecar[deleted[j]] === 1 ? ' (+ sidecar)' : '') + '\\n';
  process.stdout.write(out + kept.length + ' kept, ' + deletions + ' to delete\\n');
});
`;

/** `<dir>/<host>/` with `n` empty archives, one an hour back from NOW, each with its (empty) sidecar. */
function backupDir(dir: string, n: number): string {
  rmSync(dir, { recursive: true, force: true });
  const host = join(dir, HOST);
  mkdirSync(host, { recursive: true });
  const newest = Date.parse(NOW) - HOUR / 2;
  for (let i = 0; i < n; i++) {
    const name = archiveName(HOST, 'data', newest - i * HOUR, 'zstd');
    closeSync(openSync(join(host, name), 'w'));
    closeSync(openSync(join(host, name + SIDECAR_SUFFIX), 'w'));
  }
  return dir;
}

export async function planBench(work: string, reps: number, small: number, large: number, log: (line: string) => void): Promise<PlanBenchResult> {
  mkdirSync(work, { recursive: true });
  const policy = join(work, 'hourly.yaml');
  writeFileSync(policy, POLICY);
  log(`creating ${small} and ${large} archives (+ sidecars) for the plan bench ...`);
  const smallDir = backupDir(join(work, `archives-${small}`), small);
  const largeDir = backupDir(join(work, `archives-${large}`), large);
  const emptyDir = backupDir(join(work, 'empty'), 0);
  const plan = (p: string, dir: string): string[] => [process.execPath, BIN, 'plan', '--policy', p, '--host', HOST, '--backup-dir', dir, '--now', NOW, '--no-color'];
  const cases: { id: string; label: string; argv: string[] }[] = [
    { id: 'version', label: 'snapctl --version', argv: [process.execPath, BIN, '--version'] },
    { id: 'plan-example', label: 'snapctl plan policies/example.yaml', argv: plan(join(ROOT, 'policies', 'example.yaml'), emptyDir) },
    { id: 'plan-small', label: `snapctl plan, ${small} archives`, argv: plan(policy, smallDir) },
    { id: 'plan-large', label: `snapctl plan, ${large} archives`, argv: plan(policy, largeDir) },
    // Not snapctl: the least any node program reading that directory pays (names only, one readdir), for scale.
    { id: 'list-large', label: `node: fs.readdir of the ${large}-archive directory alone`, argv: [process.execPath, '-e', LIST_ONLY, join(largeDir, HOST)] },
    // Not snapctl either: that listing plus one object per archive and one per deletion, nothing else.
    { id: 'floor-large', label: `node: that listing + an object per archive and per deletion`, argv: [process.execPath, '-e', PER_ARCHIVE_FLOOR, join(largeDir, HOST)] },
    // And with no object per archive or per deletion: typed arrays, snapctl's retention arithmetic, a short listing.
    { id: 'columns-large', label: `node: that listing + retention over typed arrays, no object per archive`, argv: [process.execPath, '-e', COLUMNAR_FLOOR, join(largeDir, HOST), TIME_JS, RETENTION_JS] },
  ];
  // One untimed round: loads node, the modules and the directories into the page cache.
  for (const c of cases) await runOk(c.argv);
  const samples = new Map<string, number[]>(cases.map((c) => [c.id, []]));
  const cpu = new Map<string, number[]>(cases.map((c) => [c.id, []]));
  const rss = new Map<string, number[]>(cases.map((c) => [c.id, []]));
  const faults = new Map<string, number[]>(cases.map((c) => [c.id, []]));
  const out = new Map<string, number>();
  for (let rep = 1; rep <= reps; rep++) {
    for (const c of cases) {
      const r = await runOk(c.argv, { memory: true });
      samples.get(c.id)!.push(r.seconds);
      cpu.get(c.id)!.push(r.cpuSeconds ?? NaN);
      rss.get(c.id)!.push(r.peakRssKiB ?? r.treeMaxRssKiB ?? NaN);
      faults.get(c.id)!.push(r.minorFaults ?? NaN);
      out.set(c.id, r.stdoutBytes);
    }
    log(`  [${rep}/${reps}] ${cases.map((c) => `${c.id} ${samples.get(c.id)!.at(-1)!.toFixed(3)} s`).join(', ')}`);
  }
  return {
    archivesSmall: small,
    archivesLarge: large,
    policy: POLICY,
    cases: cases.map((c) => ({ id: c.id, label: c.label, seconds: summarize(samples.get(c.id)!), cpuSeconds: summarize(cpu.get(c.id)!), peakRssKiB: summarize(rss.get(c.id)!), minorFaults: summarize(faults.get(c.id)!), stdoutBytes: out.get(c.id)!, samples: samples.get(c.id)! })),
  };
}
