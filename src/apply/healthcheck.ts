// healthchecks.io-style pings: `<url>/start` when work starts, `<url>` when it
// succeeded, `<url>/fail` with the log tail when it did not, for the whole run
// (top-level `healthcheck`) and per volume. A ping that fails (refused,
// timeout, HTTP error) is logged as a warning and nothing else: monitoring
// must never be the reason a backup fails or is reported as failed.
import type { Action, HostPolicy, Volume } from '../core/model.js';
import type { VolumeOutcome } from './execute.js';

export type PingKind = 'start' | 'success' | 'fail';

/** Lines and bytes of log tail sent with /fail (healthchecks.io keeps up to 100 kB; 10 kB reads well). */
export const TAIL_LINES = 50;
export const TAIL_BYTES = 10_240;

export interface PingOptions {
  /** Per attempt (default 10 s). */
  readonly timeoutMs?: number;
  /** Pause before the one retry (default 1 s). */
  readonly retryDelayMs?: number;
}

/** Where a ping goes: `/start` and `/fail` appended to the path, the query kept. */
export function pingUrl(base: string, kind: PingKind): string {
  const url = new URL(base);
  if (kind !== 'success') url.pathname = `${url.pathname.replace(/\/+$/, '')}/${kind}`;
  return url.toString();
}

/** The last `maxLines` lines, shortened from the front to at most `maxBytes` bytes of UTF-8. */
export function tailBody(lines: readonly string[], maxLines = TAIL_LINES, maxBytes = TAIL_BYTES): string {
  const kept = lines.slice(-maxLines);
  let text = kept.join('\n');
  while (Buffer.byteLength(text) > maxBytes && kept.length > 1) {
    kept.shift();
    text = kept.join('\n');
  }
  if (Buffer.byteLength(text) > maxBytes) text = Buffer.from(text).subarray(-maxBytes).toString('utf8').replace(/^\uFFFD+/, '');
  return text;
}

/** Why one attempt failed, or undefined when the server took the ping (2xx/3xx). */
async function attempt(url: string, body: string, timeoutMs: number): Promise<{ why: string; retry: boolean } | undefined> {
  try {
    const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'text/plain; charset=utf-8' }, signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
    // Free the connection; the answer's body ("OK") is not needed.
    await res.body?.cancel().catch(() => undefined);
    if (res.status < 400) return undefined;
    return { why: `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`, retry: res.status >= 500 || res.status === 429 };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const why = e.name === 'TimeoutError' ? `no answer within ${timeoutMs / 1000} s` : (e.cause?.code ?? e.cause?.message ?? e.message);
    return { why, retry: true };
  }
}

/** POST one ping, retrying once on a network error, timeout or 5xx; true when it was delivered. Never throws. */
export async function ping(base: string, kind: PingKind, body: string, warn: (message: string) => void, opts: PingOptions = {}): Promise<boolean> {
  let url: string;
  try {
    url = pingUrl(base, kind);
  } catch {
    warn(`healthcheck ping skipped: "${base}" is not a URL`);
    return false;
  }
  const timeoutMs = opts.timeoutMs ?? 10_000;
  let failure = await attempt(url, body, timeoutMs);
  if (failure?.retry) {
    await new Promise((resolve) => setTimeout(resolve, opts.retryDelayMs ?? 1000));
    failure = await attempt(url, body, timeoutMs);
  }
  if (failure === undefined) return true;
  warn(`healthcheck ping ${url} failed (${failure.why}); the backup result is not affected`);
  return false;
}

export interface HealthcheckLog {
  warn(message: string): void;
  /** The run log's last lines, oldest first. */
  tail(n: number): string[];
}

/**
 * The run-level check: /start at the beginning, then once (later calls are
 * ignored) success with `text` as body, or /fail with the log tail followed by `text`.
 */
export function runHealthcheck(url: string | undefined, log: HealthcheckLog, opts: PingOptions = {}): { start(): Promise<void>; finish(ok: boolean, text: string): Promise<void> } {
  let finished = false;
  return {
    async start() {
      if (url !== undefined) await ping(url, 'start', '', (m) => log.warn(m), opts);
    },
    async finish(ok, text) {
      if (url === undefined || finished) return;
      finished = true;
      const body = ok ? text : tailBody([...log.tail(TAIL_LINES), ...text.split('\n').filter((l) => l !== '')]);
      await ping(url, ok ? 'success' : 'fail', body, (m) => log.warn(m), opts);
    },
  };
}

/** A volume's lines from the run log (`<time> <LEVEL> <volume>: …`). */
function volumeLines(lines: readonly string[], volume: string): string[] {
  return lines.filter((line) => {
    const rest = line.replace(/^\S+ \S+\s+/, '');
    return rest.startsWith(`${volume}: `);
  });
}

function outcomeText(o: VolumeOutcome): string {
  if (o.status === 'created') return `created ${o.archive ?? ''} (${o.bytes ?? 0} bytes in ${((o.durationMs ?? 0) / 1000).toFixed(1)} s)${o.deleted.length > 0 ? `, deleted ${o.deleted.length} expired` : ''}`;
  return `up to date${o.deleted.length > 0 ? `, deleted ${o.deleted.length} expired` : ''}`;
}

/**
 * Per-volume pings around executePlan's work on each volume: /start before a
 * planned archive, then success (archived, or not due and nothing failed) or
 * /fail with that volume's log lines.
 */
export function volumeHealthchecks(policy: HostPolicy, log: HealthcheckLog, opts: PingOptions = {}): {
  volumeStart(volume: Volume, planned: readonly Action[]): Promise<void>;
  volumeDone(volume: Volume, outcome: VolumeOutcome): Promise<void>;
} {
  const urls = new Map(policy.volumes.flatMap((v) => (v.healthcheck !== undefined ? [[v.name, v.healthcheck] as const] : [])));
  const warn = (m: string): void => log.warn(m);
  return {
    async volumeStart(volume, planned) {
      const url = urls.get(volume.name);
      if (url !== undefined && planned.some((a) => a.type === 'create')) await ping(url, 'start', '', warn, opts);
    },
    async volumeDone(volume, outcome) {
      const url = urls.get(volume.name);
      if (url === undefined || outcome.status === 'not-run') return;
      const ok = (outcome.status === 'created' || outcome.status === 'up-to-date') && outcome.errors.length === 0;
      const body = ok ? outcomeText(outcome) : tailBody(volumeLines(log.tail(1000), volume.name));
      await ping(url, ok ? 'success' : 'fail', body, warn, opts);
    },
  };
}
