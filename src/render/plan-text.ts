// Draws a plan as a terraform-style diff of the backup directory. Pure: the
// colours come in as functions, so tests render without a terminal.
import { diffArrays } from 'diff';
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

type Mark = '+' | '-' | ' ';

interface Row {
  readonly mark: Mark;
  readonly file: string;
}

/**
 * Longer edit scripts are not searched for: Myers' diff costs O(N·D), seconds
 * for the first plan over a long adopted history (100,000 archives, nearly
 * all expiring). Such a plan's `after` is `before` without the deletions plus
 * the new archives at the end, which is the edit script the diff would find.
 */
const MAX_DIFF_EDITS = 200;

/** The directory before (minus `deletes`, plus `creates` at the end) and after, as diff rows in time order. */
export function diffRows(before: readonly string[], deletes: Pick<ReadonlySet<string>, 'has' | 'size'>, creates: readonly string[], maxEdits = MAX_DIFF_EDITS): Row[] {
  // Every deletion and creation is an edit: past the bound, skip the search altogether.
  if (deletes.size + creates.length <= maxEdits) {
    const after = [...before.filter((f) => !deletes.has(f)), ...creates];
    const parts = diffArrays([...before], after, { maxEditLength: maxEdits });
    if (parts !== undefined) {
      return parts.flatMap((part) => part.value.map((file): Row => ({ mark: part.added ? '+' : part.removed ? '-' : ' ', file })));
    }
  }
  return [...before.map((file): Row => ({ mark: deletes.has(file) ? '-' : ' ', file })), ...creates.map((file): Row => ({ mark: '+', file }))];
}

/** Runs longer than this are shortened to their first and last EDGE rows unless --verbose. */
const COLLAPSE_OVER = 10;
const EDGE = 3;

/** Groups consecutive rows with the same mark and reason, for collapsing long runs. */
function runs(rows: readonly Row[], reasonOf: (row: Row) => string): Row[][] {
  const out: Row[][] = [];
  let mark: Mark | undefined;
  let reason = '';
  for (const row of rows) {
    const why = reasonOf(row);
    const current = out[out.length - 1];
    if (current !== undefined && row.mark === mark && why === reason) current.push(row);
    else out.push([row]);
    mark = row.mark;
    reason = why;
  }
  return out;
}

/** One volume: its archive list before and after, diffed, each line with its reason. */
function volumeSection(input: RenderInput, volumeName: string, p: Palette): string[] {
  const { plan } = input;
  const volume = input.policy.volumes.find((v) => v.name === volumeName);
  const mine = (a: { volume?: string }): boolean => a.volume === volumeName;
  const before = input.archives.filter(mine).sort((a, b) => a.time - b.time || (a.file < b.file ? -1 : a.file > b.file ? 1 : 0)).map((a) => a.file);
  const deletes = new Map(plan.actions.filter((a) => a.type === 'delete' && mine(a)).map((a) => [a.archive, a.reason]));
  const creates = new Map(plan.actions.filter((a) => a.type === 'create' && mine(a)).map((a) => [a.archive, a.reason]));
  // Why each archive is kept is shown only with --verbose.
  const keptReasons = new Map(input.verbose ? plan.kept.filter(mine).map((k) => [k.archive, k.reasons]) : []);
  let width = 0;
  for (const f of before) width = Math.max(width, f.length);
  for (const f of creates.keys()) width = Math.max(width, f.length);

  const lines = [p.bold(`volume ${volumeName}`) + (volume ? p.dim(` (${describeVolume(volume)})`) : '')];
  for (const a of plan.actions) {
    if (a.type === 'cleanup' && mine(a)) lines.push(p.change(`  ~ ${a.archive.padEnd(width)}  (${a.reason})`));
  }
  const draw = (row: Row): string => {
    if (row.mark === '+') return p.add(`  + ${row.file.padEnd(width)}  (${creates.get(row.file) ?? 'new'})`);
    if (row.mark === '-') return p.remove(`  - ${row.file.padEnd(width)}  (${deletes.get(row.file) ?? 'removed'})`);
    const reasons = keptReasons.get(row.file);
    return input.verbose ? `    ${row.file.padEnd(width)}${reasons ? p.dim(`  kept: ${reasons.join(', ')}`) : ''}` : `    ${row.file}`;
  };
  const rows = diffRows(before, deletes, [...creates.keys()]);
  const reasonOf = (row: Row): string => (row.mark === '-' ? (deletes.get(row.file) ?? '') : '');
  for (const run of input.verbose ? [rows] : runs(rows, reasonOf)) {
    if (input.verbose || run.length <= COLLAPSE_OVER || run[0]?.mark === '+') {
      for (const row of run) lines.push(draw(row));
      continue;
    }
    const hidden = run.length - 2 * EDGE;
    const mark = run[0]?.mark ?? ' ';
    for (const row of run.slice(0, EDGE)) lines.push(draw(row));
    const what = mark === '-' ? p.remove(`  - … ${hidden.toLocaleString('en-US')} more to delete, same reason (--verbose lists every archive)`) : p.dim(`    … ${hidden.toLocaleString('en-US')} more unchanged`);
    lines.push(what);
    for (const row of run.slice(-EDGE)) lines.push(draw(row));
  }
  if (before.length === 0 && creates.size === 0) lines.push(p.dim('    (no archives)'));
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
