// The plan side: whole-process time of `snapctl plan` over a backup directory
// of 100 and of 100,000 hourly archives (with their sidecars), of `plan` on the
// example policy, and of `snapctl --version`; alternating, repeated.
import { closeSync, mkdirSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { archiveName } from '../src/core/naming.js';
import { SIDECAR_SUFFIX } from '../src/core/naming.js';
import { runOk } from './proc.js';
import { summarize, type Summary } from './stats.js';

const HOST = 'benchhost';
const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'snapctl.js');
const NOW = '2026-11-26T03:30:00Z';
const HOUR = 3_600_000;

/** A retention a real hourly volume might have: about 100 archives kept out of 100,000. */
const POLICY = `version: 1
timezone: Europe/Berlin
hosts:
  ${HOST}:
    volumes:
      data:
        path: /srv/data
        schedule: hourly
        compression: zstd
        retention:
          keepHourly: 48
          keepDaily: 14
          keepWeekly: 8
          keepMonthly: 24
          keepYearly: 10
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
 * A node program that does the least any plan must do per archive, for
 * scale: it lists the directory, makes one object per archive (name, time
 * parsed from the name, sidecar or not), sorts them newest first, and makes
 * one delete action (name, path, sidecar path) for each but the newest 100.
 * No policy, retention rules, checks or output: what is left of `plan` when
 * the per-archive work is as small as one object each way.
 */
const PER_ARCHIVE_FLOOR = `
const dir = process.argv[1];
const num = (s, from, len) => { let v = 0; for (let k = from; k < from + len; k++) v = v * 10 + s.charCodeAt(k) - 48; return v; };
require('fs').readdir(dir, (err, names) => {
  if (err) throw err;
  const archives = [];
  for (let i = 0; i < names.length; i++) {
    const file = names[i];
    if (file.endsWith('.sha256')) continue;
    const next = names[i + 1];
    const hasSidecar = next !== undefined && next.length === file.length + 7 && next.startsWith(file);
    if (hasSidecar) i++;
    const at = file.lastIndexOf('.tar.') - 16;
    archives.push({ file, time: Date.UTC(num(file, at, 4), num(file, at + 4, 2) - 1, num(file, at + 6, 2), num(file, at + 9, 2), num(file, at + 11, 2), num(file, at + 13, 2)), hasSidecar });
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
