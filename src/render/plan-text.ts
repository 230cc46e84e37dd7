// Draws a plan as a terraform-style diff of the backup directory. Pure: the
// colours come in as functions, so tests render without a terminal.
import type { Action, Archive, HostPolicy, Plan, PolicySource } from '../core/model.js';
import { describeVolume } from '../core/describe.js';

export interface Palette {
  readonly add: (s: string) => string;
  readonly remove: (s: string) => string;
  readonly change: (s: string) => string;
  readonly warn: (s: string) => string;
  readonly error: (s: string) => string;
  readonly bold: (s: string) => string;
  readonly dim: (s: string) => string;
}

const identity = (s: string): string => s;
export const NO_COLORS: Palette = { add: identity, remove: identity, change: identity, warn: identity, error: identity, bold: identity, dim: identity };

export interface RenderInput {
  readonly plan: Plan;
  readonly policy: HostPolicy;
  /** The archives observed (to draw what stays, in time order). */
  readonly archives: readonly Archive[];
  readonly source?: PolicySource;
  readonly verbose?: boolean;
}

export function countActions(actions: readonly Action[]): { create: number; delete: number; cleanup: number } {
  const counts = { create: 0, delete: 0, cleanup: 0 };
  for (const a of actions) counts[a.type] += 1;
  return counts;
}

export function summaryLine(actions: readonly Action[]): string {
  const c = countActions(actions);
  return `Plan: ${c.create} to create, ${c.delete} to delete, ${c.cleanup} to clean up.`;
}

function header(input: RenderInput, p: Palette): string[] {
  const { plan, source } = input;
  const lines = [p.bold(`snapctl plan for host ${plan.host} at ${plan.now}`)];
  if (source) {
    const git = source.git ? ` (git ${source.git.commit.slice(0, 12)}${source.git.dirty ? ', uncommitted changes' : ''})` : '';
    lines.push(`policy: ${source.files.join(', ')}${git}`);
  }
  lines.push(`backup directory: ${plan.backupDir}`);
  return lines;
}

/** One volume: its archive list before and after, diffed, each line with its reason. */
function volumeSection(input: RenderInput, volumeName: string, p: Palette): string[] {
  const { plan } = input;
  const volume = input.policy.volumes.find((v) => v.name === volumeName);
  const mine = (a: { volume?: string }): boolean => a.volume === volumeName;
  const before = input.archives.filter(mine).slice().sort((a, b) => a.time - b.time || a.file.localeCompare(b.file)).map((a) => a.file);
  const deletes = new Map(plan.actions.filter((a) => a.type === 'delete' && mine(a)).map((a) => [a.archive, a.reason]));
  const creates = plan.actions.filter((a) => a.type === 'create' && mine(a));
  const after = [...before.filter((f) => !deletes.has(f)), ...creates.map((a) => a.archive)];
  const keptReasons = new Map(plan.kept.filter(mine).map((k) => [k.archive, k.reasons]));
  const createReasons = new Map(creates.map((a) => [a.archive, a.reason]));
  const width = Math.max(0, ...after.map((f) => f.length), ...before.map((f) => f.length));

  const lines = [p.bold(`volume ${volumeName}`) + (volume ? p.dim(` (${describeVolume(volume)})`) : '')];
  for (const a of plan.actions) {
    if (a.type === 'cleanup' && mine(a)) lines.push(p.change(`  ~ ${a.archive.padEnd(width)}  (${a.reason})`));
  }
  // `after` is `before` minus the deletions plus the creations at the end, so
  // each line's mark is known directly; a generic diff (Myers, from the `diff`
  // package) took seconds over a directory of 100,000 archives.
  for (const file of before) {
    if (deletes.has(file)) {
      lines.push(p.remove(`  - ${file.padEnd(width)}  (${deletes.get(file) ?? 'removed'})`));
    } else {
      const reasons = keptReasons.get(file);
      const why = input.verbose && reasons ? p.dim(`  kept: ${reasons.join(', ')}`) : '';
      lines.push(`    ${input.verbose ? file.padEnd(width) : file}${why}`);
    }
  }
  for (const a of creates) lines.push(p.add(`  + ${a.archive.padEnd(width)}  (${createReasons.get(a.archive) ?? 'new'})`));
  if (before.length === 0 && creates.length === 0) lines.push(p.dim('    (no archives)'));
  return lines;
}

export function renderPlan(input: RenderInput, p: Palette = NO_COLORS): string {
  const { plan } = input;
  const out = [...header(input, p), ''];
  for (const volume of input.policy.volumes) out.push(...volumeSection(input, volume.name, p), '');

  const strays = plan.actions.filter((a) => a.type === 'cleanup' && (a.volume === undefined || !input.policy.volumes.some((v) => v.name === a.volume)));
  if (strays.length > 0) {
    out.push(p.bold('leftovers of interrupted runs'));
    for (const a of strays) out.push(p.change(`  ~ ${a.archive}  (${a.reason})`));
    out.push('');
  }
  if (plan.unmanaged.length > 0) {
    out.push(p.bold('not managed by snapctl (left untouched)'));
    for (const f of plan.unmanaged) out.push(p.dim(`  ? ${f}`));
    out.push('');
  }
  for (const d of plan.diagnostics) {
    const where = d.volume ? `${d.volume}: ` : '';
    if (d.severity === 'error') out.push(p.error(`Error: ${where}${d.message}`));
    else if (d.severity === 'warning') out.push(p.warn(`Warning: ${where}${d.message}`));
    else out.push(p.dim(`Note: ${where}${d.message}`));
  }
  if (plan.diagnostics.length > 0) out.push('');
  out.push(p.bold(summaryLine(plan.actions)));
  return `${out.join('\n')}\n`;
}
