// Progress of the archive being written, for a person at a terminal: one line
// rewritten in place (bytes read, rate, ETA when the size is cheaply known).
// The line is built by a pure function; writing it is a thin layer that apply
// only installs when stdout is a TTY (in cron nothing of this runs).
import { stat, statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import { formatBytes } from '../core/snapshot-size.js';

export interface ProgressSnapshot {
  readonly volume: string;
  /** Uncompressed bytes tar has read so far. */
  readonly bytes: number;
  readonly elapsedMs: number;
  /** Expected total (used bytes of the snapshot's file system), when known. */
  readonly totalBytes?: number;
}

/** "1:05:09", "4:07": an ETA that reads at a glance. */
export function formatEta(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** `data: 1.2 GiB read, 85.3 MiB/s, 45%, ETA 0:12`; no rate in the first half second, no ETA without a total. */
export function formatProgress(p: ProgressSnapshot): string {
  const parts = [`${p.volume}: ${formatBytes(p.bytes)} read`];
  const rate = p.elapsedMs >= 500 ? (p.bytes * 1000) / p.elapsedMs : undefined;
  if (rate !== undefined) parts.push(`${formatBytes(Math.round(rate))}/s`);
  if (p.totalBytes !== undefined && p.totalBytes > 0) {
    // tar reads more than `df` counts (headers) or less (sparse files): never claim done before it is.
    const fraction = Math.min(p.bytes / p.totalBytes, 0.99);
    parts.push(`${Math.floor(fraction * 100)}%`);
    if (rate !== undefined && rate > 0) parts.push(`ETA ${formatEta((Math.max(p.totalBytes - p.bytes, 0) * 1000) / rate)}`);
  }
  return parts.join(', ');
}

/**
 * Used bytes of the file system mounted at `dir`, or undefined when `dir` is
 * not a mount point (a `path` volume inside a larger file system: df would
 * count everything else too) or cannot be read.
 */
export async function usedBytesOfMount(dir: string): Promise<number | undefined> {
  try {
    const [self, parent] = await Promise.all([stat(dir), stat(dirname(dir))]);
    const isMountPoint = self.dev !== parent.dev || self.ino === parent.ino;
    if (!isMountPoint) return undefined;
    const fs = await statfs(dir);
    return (fs.blocks - fs.bfree) * fs.bsize;
  } catch {
    return undefined;
  }
}

export interface TtyLike {
  write(text: string): unknown;
  readonly columns?: number;
}

export interface ProgressHooks {
  archiveStart(volume: string, sourceDir: string): void;
  archiveProgress(volume: string, bytesIn: number): void;
  archiveEnd(volume: string): void;
}

/** Draws the progress line on `out` (a TTY): rewritten at most every `everyMs`, erased when the archive ends. */
export function ttyProgress(out: TtyLike, clock: () => number = Date.now, everyMs = 200): ProgressHooks {
  let started = 0;
  let drawnAt = -Infinity;
  let shown = false;
  let total: number | undefined;
  // The size lookup is asynchronous: a late answer must not land on the next archive.
  let generation = 0;
  const draw = (line: string): void => {
    const width = Math.max((out.columns ?? 80) - 1, 20);
    out.write(`\r${line.length > width ? line.slice(0, width) : line}\x1b[K`);
    shown = true;
  };
  return {
    archiveStart(_volume, sourceDir) {
      started = clock();
      drawnAt = -Infinity;
      total = undefined;
      const mine = ++generation;
      void usedBytesOfMount(sourceDir).then((n) => {
        if (mine === generation) total = n;
      });
    },
    archiveProgress(volume, bytesIn) {
      const now = clock();
      if (now - drawnAt < everyMs) return;
      drawnAt = now;
      draw(formatProgress({ volume, bytes: bytesIn, elapsedMs: now - started, ...(total !== undefined ? { totalBytes: total } : {}) }));
    },
    archiveEnd() {
      if (shown) out.write('\r\x1b[K');
      shown = false;
    },
  };
}
