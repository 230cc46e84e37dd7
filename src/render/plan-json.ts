// The plan as one JSON document (`plan --json`), a stable machine interface.
import type { Plan, PolicySource } from '../core/model.js';

export function planJson(plan: Plan, source?: PolicySource): Record<string, unknown> {
  return {
    host: plan.host,
    now: plan.now,
    backupDir: plan.backupDir,
    ...(source ? { policy: { files: source.files, hash: source.hash, ...(source.git ? { git: source.git } : {}) } } : {}),
    actions: plan.actions.map((a) => ({
      type: a.type,
      volume: a.volume ?? null,
      archive: a.archive,
      path: a.path,
      reason: a.reason,
      ...(a.type === 'delete' && a.sidecar !== undefined ? { sidecar: a.sidecar } : {}),
      ...(a.type === 'delete' && a.expiresAnyway === true ? { expiresAnyway: true } : {}),
      ...(a.type === 'cleanup' ? { target: a.target, ...(a.legacy ? { legacy: true } : {}) } : {}),
    })),
    kept: plan.kept,
    unmanaged: plan.unmanaged,
    diagnostics: plan.diagnostics,
  };
}
