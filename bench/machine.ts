// What the figures were measured on: cores, memory, kernel, node and the
// versions of the tools the archive cases run.
import { execFileSync, spawnSync } from 'node:child_process';
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { CRON_ENV } from './proc.js';
import { summarize } from './stats.js';

export interface MachineInfo {
  readonly date: string;
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly kernel: string;
  readonly node: string;
  readonly snapctlCommit: string;
  readonly tools: Readonly<Record<string, string>>;
  /** 1-minute load average when the run started: other work on the machine skews every figure. */
  readonly loadAverage: number;
  readonly nodeStartup: NodeStartup;
  /** Microseconds to touch a page of fresh memory for the first time (a minor page fault), median of 3 in a node process of its own. */
  readonly pageFaultMicros: number;
}

/** `node -e 0` from spawn to exit, median of alternating runs, in the measured commands' environment and in this shell's. */
export interface NodeStartup {
  readonly cronEnvMs: number;
  readonly shellEnvMs: number;
  /** NODE_* variables of this shell's environment (they are what makes the difference, if any). */
  readonly shellNodeVariables: readonly string[];
}

function nodeStartup(runs = 15): NodeStartup {
  const times: Record<'cron' | 'shell', number[]> = { cron: [], shell: [] };
  for (let i = 0; i < runs; i++) {
    for (const which of i % 2 === 0 ? (['cron', 'shell'] as const) : (['shell', 'cron'] as const)) {
      const started = performance.now();
      spawnSync(process.execPath, ['-e', '0'], { env: which === 'cron' ? CRON_ENV : process.env, stdio: 'ignore' });
      times[which].push(performance.now() - started);
    }
  }
  return {
    cronEnvMs: Math.round(summarize(times.cron).median),
    shellEnvMs: Math.round(summarize(times.shell).median),
    shellNodeVariables: Object.keys(process.env).filter((k) => k.startsWith('NODE_')).sort(),
  };
}

/**
 * What a page of memory costs the first time a process touches it: 64 MiB
 * from malloc (mapped, not yet touched), one byte written per 4 KiB page.
 * Commands that build large heaps pay this for each new page; it is ~0.1–0.5
 * µs on bare metal and can be many times that in a virtual machine.
 */
function pageFaultMicros(runs = 3): number {
  const program =
    'const pages = 16384; const b = Buffer.allocUnsafeSlow(pages * 4096); const t = process.hrtime.bigint(); ' +
    'for (let i = 0; i < b.length; i += 4096) b[i] = 1; process.stdout.write(String(Number(process.hrtime.bigint() - t) / pages / 1000));';
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const r = spawnSync(process.execPath, ['-e', program], { env: CRON_ENV, encoding: 'utf8' });
    const us = Number(r.stdout);
    if (r.status === 0 && Number.isFinite(us)) samples.push(us);
  }
  return samples.length > 0 ? Math.round(summarize(samples).median * 100) / 100 : NaN;
}

function firstLine(argv: readonly string[]): string {
  try {
    // Some tools (pigz, python3 of old) print their version on stderr.
    const out = execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return out.split('\n')[0]!.trim();
  } catch (err) {
    const e = err as { stderr?: string };
    return e.stderr?.split('\n')[0]?.trim() || 'not found';
  }
}

export function machineInfo(): MachineInfo {
  const root = join(import.meta.dirname, '..', '..');
  const commit = firstLine(['git', '-C', root, 'rev-parse', '--short', 'HEAD']);
  const dirty = firstLine(['git', '-C', root, 'status', '--porcelain', '--untracked-files=no', '--', 'src']) !== '';
  return {
    date: new Date().toISOString(),
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    snapctlCommit: `${commit}${dirty ? ' (src/ modified)' : ''}`,
    loadAverage: Math.round(loadavg()[0]! * 100) / 100,
    nodeStartup: nodeStartup(),
    pageFaultMicros: pageFaultMicros(),
    tools: {
      tar: firstLine(['tar', '--version']),
      zstd: firstLine(['zstd', '--version']),
      gzip: firstLine(['gzip', '--version']),
      pigz: firstLine(['pigz', '--version']),
      xz: firstLine(['xz', '--version']),
      python3: firstLine(['python3', '--version']),
    },
  };
}
