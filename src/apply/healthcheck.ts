// healthchecks.io-style pings: `<url>/start` when work starts, `<url>` when it
// succeeded, `<url>/fail` with the log tail when it did not, for the whole run
// (top-level `healthcheck`) and per volume. A ping that fails (refused,
// timeout, HTTP error) is logged as a warning and nothing else: monitoring
// must never be the reason a backup fails or is reported as failed.
// A check's URL is a secret (its UUID or query token lets anyone ping it, and
// it may carry user:password@): logs only ever show it redacted.
import type { Action, HostPolicy, Volume } from '../core/model.js';
import { volumeResult, type VolumeOutcome } from './execute.js';

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

/**
 * How a ping is shown in a log line: scheme, host and the appended /start or
 * /fail, nothing of the check's path, query or user:password@. Which check it
 * was is said by the line's "of the run" or "of volume docs".
 */
export function shownUrl(base: string, kind: PingKind): string {
  const url = new URL(base);
  return `${url.protocol}//${url.host}/…${kind === 'success' ? '' : `/${kind}`}`;
}

/** A URL's user:password@ decoded for a Basic header (as curl sends it); a malformed %-escape is taken as written. */
function decoded(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

interface Request {
  /** The URL without user:password@: fetch refuses one that has it. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** The request for a ping: the URL's user:password@ becomes an HTTP Basic Authorization header. */
function pingRequest(base: string, kind: PingKind): Request {
  const url = new URL(pingUrl(base, kind));
  const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' };
  if (url.username !== '' || url.password !== '') {
    headers.authorization = `Basic ${Buffer.from(`${decoded(url.username)}:${decoded(url.password)}`).toString('base64')}`;
    url.username = '';
    url.password = '';
  }
  return { url: url.toString(), headers };
}

/** `text` (an error message) without the check's URL or its path and query, in case it quotes them. */
function scrubbed(text: string, base: string, request: Request): string {
  const url = new URL(request.url);
  const secrets = [base, new URL(base).href, request.url, `${url.pathname}${url.search}`].filter((s) => s.length > 1);
  return secrets.sort((a, b) => b.length - a.length).reduce((out, secret) => out.split(secret).join('…'), text);
}

/** Why one attempt failed, or undefined when the server took the ping (2xx/3xx). */
async function attempt(request: Request, body: string, timeoutMs: number): Promise<{ why: string; retry: boolean } | undefined> {
  try {
    const res = await fetch(request.url, { method: 'POST', body, headers: request.headers, signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
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

/**
 * POST one ping, retrying once on a network error, timeout or 5xx; true when
 * it was delivered. Never throws. `of` names the check's owner in the warning
 * ("the run", "volume docs").
 */
export async function ping(base: string, kind: PingKind, body: string, warn: (message: string) => void, opts: PingOptions & { readonly of?: string } = {}): Promise<boolean> {
  const whose = opts.of !== undefined ? ` of ${opts.of}` : '';
  let request: Request;
  let shown: string;
  try {
    request = pingRequest(base, kind);
    shown = shownUrl(base, kind);
  } catch {
    warn(`healthcheck ping${whose} skipped: its URL cannot be parsed`);
    return false;
  }
  const timeoutMs = opts.timeoutMs ?? 10_000;
  let failure = await attempt(request, body, timeoutMs);
  if (failure?.retry) {
    await new Promise((resolve) => setTimeout(resolve, opts.retryDelayMs ?? 1000));
    failure = await attempt(request, body, timeoutMs);
  }
  if (failure === undefined) return true;
  warn(`healthcheck ping${whose} to ${shown} failed (${scrubbed(failure.why, base, request)}); the backup result is not affected`);
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
      if (url !== undefined) await ping(url, 'start', '', (m) => log.warn(m), { ...opts, of: 'the run' });
    },
    async finish(ok, text) {
      if (url === undefined || finished) return;
      finished = true;
      const body = ok ? text : tailBody([...log.tail(TAIL_LINES), ...text.split('\n').filter((l) => l !== '')]);
      await ping(url, ok ? 'success' : 'fail', body, (m) => log.warn(m), { ...opts, of: 'the run' });
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

/** Whether a volume that ran went well: archived or not due, and nothing failed (see volumeResult). */
function succeeded(o: VolumeOutcome): boolean {
  const result = volumeResult(o);
  return result === 'ok' || result === 'skipped';
}

/** What makes two URLs the same check: parsed (case, default port), without trailing slashes on the path. */
function checkKey(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.pathname = parsed.pathname.replace(/\/+$/, '');
    return parsed.href;
  } catch {
    return url;
  }
}

/** A volume check and the volumes whose `healthcheck` is its URL, in the order apply runs them. */
interface VolumeCheck {
  readonly url: string;
  readonly volumes: string[];
  readonly outcomes: Map<string, VolumeOutcome>;
  /** A failed volume's log lines, taken when it ended: later volumes' lines may push them out of the log's tail. */
  readonly failedLines: string[];
  started: boolean;
  finished: boolean;
}

/** The volume checks of a host: one per URL, without the run's own (its pings already cover every volume). */
function volumeChecks(policy: HostPolicy): Map<string, VolumeCheck> {
  const runKey = policy.healthcheck !== undefined ? checkKey(policy.healthcheck) : undefined;
  const byKey = new Map<string, VolumeCheck>();
  const byVolume = new Map<string, VolumeCheck>();
  for (const volume of policy.volumes) {
    if (volume.healthcheck === undefined) continue;
    const key = checkKey(volume.healthcheck);
    if (key === runKey) continue;
    let check = byKey.get(key);
    if (check === undefined) {
      check = { url: volume.healthcheck, volumes: [], outcomes: new Map(), failedLines: [], started: false, finished: false };
      byKey.set(key, check);
    }
    check.volumes.push(volume.name);
    byVolume.set(volume.name, check);
  }
  return byVolume;
}

/**
 * Per-volume pings around executePlan's work on each volume: /start before
 * the first planned archive, then success (archived, or not due, and nothing
 * failed) or /fail with the log lines of the volumes that failed. Volumes
 * whose `healthcheck` is the same URL (one set in defaults) share one check:
 * one /start, then one success or /fail after the last of them, so that the
 * check is down when any of them failed. A volume whose URL is the run's
 * (top-level) check is not pinged on its own.
 */
export function volumeHealthchecks(policy: HostPolicy, log: HealthcheckLog, opts: PingOptions = {}): {
  volumeStart(volume: Volume, planned: readonly Action[]): Promise<void>;
  volumeDone(volume: Volume, outcome: VolumeOutcome): Promise<void>;
} {
  const checks = volumeChecks(policy);
  const warn = (m: string): void => log.warn(m);
  const of = (check: VolumeCheck): string => `${check.volumes.length === 1 ? 'volume' : 'volumes'} ${check.volumes.join(', ')}`;

  async function finish(check: VolumeCheck): Promise<void> {
    check.finished = true;
    const ran = check.volumes.flatMap((name) => {
      const o = check.outcomes.get(name);
      return o !== undefined && o.status !== 'not-run' ? [o] : [];
    });
    if (ran.length === 0 && !check.started) return;
    const notRun = check.volumes.filter((name) => !ran.some((o) => o.volume === name));
    const failed = ran.some((o) => !succeeded(o));
    const shared = check.volumes.length > 1;
    const okLines = ran.filter(succeeded).map((o) => (shared ? `${o.volume}: ${outcomeText(o)}` : outcomeText(o)));
    const ok = !failed && notRun.length === 0;
    // A shared check's /fail says first how the others went: the failures' lines are what the tail keeps when it is cut.
    const body = ok ? okLines.join('\n') : tailBody([...(shared ? okLines : []), ...check.failedLines, ...notRun.map((name) => `${name}: not run, apply was interrupted`)]);
    await ping(check.url, ok ? 'success' : 'fail', body, warn, { ...opts, of: of(check) });
  }

  return {
    async volumeStart(volume, planned) {
      const check = checks.get(volume.name);
      if (check === undefined || check.started || check.finished || !planned.some((a) => a.type === 'create')) return;
      check.started = true;
      await ping(check.url, 'start', '', warn, { ...opts, of: of(check) });
    },
    async volumeDone(volume, outcome) {
      const check = checks.get(volume.name);
      if (check !== undefined && !check.finished) {
        check.outcomes.set(volume.name, outcome);
        if (outcome.status !== 'not-run' && !succeeded(outcome)) check.failedLines.push(...volumeLines(log.tail(1000), volume.name).slice(-TAIL_LINES));
      }
      if (outcome.status === 'interrupted') {
        // No volume runs after this one: end every check that began, with /fail.
        for (const c of new Set(checks.values())) if (!c.finished && (c.started || c.outcomes.size > 0)) await finish(c);
      } else if (check !== undefined && !check.finished && check.volumes.at(-1) === volume.name) {
        await finish(check);
      }
    },
  };
}
