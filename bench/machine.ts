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
