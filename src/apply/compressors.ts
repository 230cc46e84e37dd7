// The compressor table: how each compression is run to write an archive and
// to read one back, so restore and verify use the same tools as apply.
import { accessSync, constants } from 'node:fs';
import { availableParallelism } from 'node:os';
import { delimiter, join } from 'node:path';
import type { Compression } from '../core/model.js';

export interface CompressorSpec {
  /** File name extension including the dot after `.tar` ("" for none). */
  readonly extension: string;
  /** Level used when the policy sets none. */
  readonly defaultLevel: number | undefined;
  /** The levels a policy may set (validate refuses others); undefined: the compressor takes no level. */
  readonly minLevel: number | undefined;
  readonly maxLevel: number | undefined;
  /** Whether the tool we run uses every core. */
  readonly multithreaded: boolean;
}

export const COMPRESSORS: Readonly<Record<Compression, CompressorSpec>> = {
  zstd: { extension: '.zst', defaultLevel: 3, minLevel: 1, maxLevel: 19, multithreaded: true },
  gzip: { extension: '.gz', defaultLevel: 6, minLevel: 1, maxLevel: 9, multithreaded: true },
  xz: { extension: '.xz', defaultLevel: 6, minLevel: 1, maxLevel: 9, multithreaded: true },
  none: { extension: '', defaultLevel: undefined, minLevel: undefined, maxLevel: undefined, multithreaded: false },
};

/** A program and its arguments. */
export type Argv = readonly [string, ...string[]];

export interface CompressorTools {
  /** Whether `pigz` is on PATH (parallel gzip, byte-compatible with gunzip). */
  readonly pigz: boolean;
  /** Cores to hand to tools that take an explicit count. */
  readonly cores: number;
}

/** The compressor command reading tar on stdin and writing the archive on stdout. */
export function compressArgv(c: Compression, level: number | undefined, tools: CompressorTools): Argv | undefined {
  const lvl = level ?? COMPRESSORS[c].defaultLevel;
  switch (c) {
    case 'zstd':
      // -q: no progress on stderr, whose tail we keep for error messages.
      return ['zstd', '-q', '-T0', `-${lvl}`, '-c'];
    case 'gzip':
      return tools.pigz ? ['pigz', '-p', String(tools.cores), `-${lvl}`, '-c'] : ['gzip', `-${lvl}`, '-c'];
    case 'xz':
      return ['xz', '-T0', `-${lvl}`, '-c'];
    case 'none':
      return undefined;
  }
}

/** The command reading an archive on stdin and writing tar on stdout (restore, verify). */
export function decompressArgv(c: Compression): Argv | undefined {
  switch (c) {
    case 'zstd':
      return ['zstd', '-q', '-d', '-c'];
    case 'gzip':
      // gzip -d is single-threaded anyway; pigz only speeds up compression.
      return ['gzip', '-d', '-c'];
    case 'xz':
      return ['xz', '-T0', '-d', '-c'];
    case 'none':
      return undefined;
  }
}

/**
 * Whether `name` is an executable file in one of PATH's directories. A few
 * access(2) calls, synchronously: one trip to node's thread pool for each
 * directory took longer than the rest of planning a small backup directory.
 */
export function onPath(name: string, path = process.env['PATH'] ?? ''): boolean {
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

let detected: Promise<CompressorTools> | undefined;

/** Looks for pigz once per process (PATH does not change during a run). */
export function detectCompressorTools(): Promise<CompressorTools> {
  detected ??= Promise.resolve({ pigz: onPath('pigz'), cores: availableParallelism() });
  return detected;
}
