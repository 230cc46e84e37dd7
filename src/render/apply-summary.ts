// What apply prints when it is done: one line per volume, for cron mail and
// terminals alike, and the same as JSON.
import type { ApplyResult } from '../apply/execute.js';
import { errorLine, SnapctlError } from '../core/errors.js';
import { formatBytes } from '../core/snapshot-size.js';

export function renderApplySummary(result: ApplyResult, interrupted?: string): string {
  const created = result.volumes.filter((v) => v.status === 'created').length;
  const deleted = result.volumes.reduce((n, v) => n + v.deleted.length, 0);
  const cleaned = result.cleanups.filter((c) => c.ok).length;
  const failed = result.volumes.filter((v) => v.status === 'failed' || v.errors.length > 0).length + result.cleanups.filter((c) => !c.ok).length;
  const lines = [
    `snapctl apply on ${result.host} at ${result.now}: ${created} created, ${deleted} deleted, ${cleaned} cleaned up, ${failed} failed${interrupted ? `; interrupted by ${interrupted}` : ''}`,
  ];
  const width = Math.max(0, ...result.volumes.map((v) => v.volume.length));
  for (const c of result.cleanups) if (!c.ok) lines.push(`  cleanup of ${c.archive} FAILED: ${c.error ?? 'unknown error'}`);
  for (const v of result.volumes) {
    const name = v.volume.padEnd(width);
    const gone = v.deleted.length > 0 ? `, deleted ${v.deleted.length} expired` : '';
    switch (v.status) {
      case 'created':
        lines.push(`  ${name}  created ${v.archive ?? ''} (${formatBytes(v.bytes ?? 0)} in ${((v.durationMs ?? 0) / 1000).toFixed(1)} s)${gone}`);
        break;
      case 'up-to-date':
        lines.push(`  ${name}  up to date${gone}`);
        break;
      case 'failed':
        // Only on a full disk: the archives the rules drop even without a new one, to make room for it.
        lines.push(`  ${name}  FAILED, ${v.deleted.length > 0 ? `deleted only the ${v.deleted.length} the rules drop anyway, to make room` : 'nothing deleted'}`);
        break;
      case 'interrupted':
        lines.push(`  ${name}  interrupted, cleaned up${gone}`);
        break;
      case 'not-run':
        lines.push(`  ${name}  not run (interrupted before it)`);
        break;
    }
    for (const e of v.errors) lines.push(`  ${' '.repeat(width)}    error: ${e}`);
  }
  return `${lines.join('\n')}\n`;
}

export function applyJson(result: ApplyResult): Record<string, unknown> {
  return { ...result };
}

/** The --json document of a run that ended in an error (bad input, lock held, refused, a bug): its exit code and the error. */
export function applyErrorJson(err: unknown, exitCode: number): Record<string, unknown> {
  if (err instanceof SnapctlError) return { exitCode, error: errorLine(err), ...(err.detail !== undefined ? { detail: err.detail } : {}) };
  return { exitCode, error: `internal error: ${err instanceof Error ? err.message : String(err)}` };
}
