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

/** The rows of a volume's diff as two parallel arrays (no object per row: a long history has 100,000 of them). */
export interface Rows {
  readonly files: readonly string[];
  readonly marks: readonly Mark[];
}

/**
 * Longer edit scripts are not searched for: Myers' diff costs O(N·D), seconds
 * for the first plan over a long adopted history (100,000 archives, nearly
 * all expiring). Such a plan's `after` is `before` without the deletions plus
 * the new archives at the end, which is the edit script the diff would find.
 */
const MAX_DIFF_EDITS = 200;

/** The directory before (minus `deletes`, plus `creates` at the end) and after, as diff rows in time order. */
export function diffRows(before: readonly string[], deletes: Pick<ReadonlySet<string>, 'has' | 'size'>, creates: readonly string[], maxEdits = MAX_DIFF_EDITS): Rows {
  // Every deletion and creation is an edit: past the bound, skip the search altogether.
  if (deletes.size + creates.length <= maxEdits) {
    const after = [...before.filter((f) => !deletes.has(f)), ...creates];
    const parts = diffArrays([...before], after, { maxEditLength: maxEdits });
    if (parts !== undefined) {
      const files: string[] = [];
      const marks: Mark[] = [];
      for (const part of parts) {
        const mark = part.added ? '+' : part.removed ? '-' : ' ';
        for (const file of part.value) {
          files.push(file);
          marks.push(mark);
        }
      }
      return { files, marks };
    }
  }
  const marks: Mark[] = before.map((file) => (deletes.has(file) ? '-' : ' '));
  for (let i = 0; i < creates.length; i++) marks.push('+');
  return { files: [...before, ...creates], marks };
}

/** Runs longer than this are shortened to their first and last EDGE rows unless --verbose. */
const COLLAPSE_OVER = 10;
const EDGE = 3;

/** One volume: its archive list before and after, diffed, each line with its reason. */
function volumeSection(input: RenderInput, volumeName: string, p: Palette): string[] {
  const { plan } = input;
  const volume = input.policy.volumes.find((v) => v.name === volumeName);
  const mine = (a: { volume?: string }): boolean => a.volume === volumeName;
  const before = input.archives.filter(mine).sort((a, b) => a.time - b.time || (a.file < b.file ? -1 : a.file > b.file ? 1 : 0)).map((a) => a.file);
  const deletes = new Map<string, string>();
  const creates = new Map<string, string>();
  for (const a of plan.actions) {
    if (a.type === 'delete' && mine(a)) deletes.set(a.archive, a.reason);
    else if (a.type === 'create' && mine(a)) creates.set(a.archive, a.reason);
  }
  // Why each archive is kept is shown only with --verbose.
  const keptReasons = new Map(input.verbose ? plan.kept.filter(mine).map((k) => [k.archive, k.reasons]) : []);
  let width = 0;
  for (const f of before) width = Math.max(width, f.length);
  for (const f of creates.keys()) width = Math.max(width, f.length);

  const lines = [p.bold(`volume ${volumeName}`) + (volume ? p.dim(` (${describeVolume(volume)})`) : '')];
  for (const a of plan.actions) {
    if (a.type === 'cleanup' && mine(a)) lines.push(p.change(`  ~ ${a.archive.padEnd(width)}  (${a.reason})`));
  }
  const { files, marks } = diffRows(before, deletes, [...creates.keys()]);
  const reasonAt = (i: number): string => (marks[i] === '-' ? (deletes.get(files[i] as string) ?? '') : '');
  const draw = (i: number): string => {
    const file = files[i] as string;
    if (marks[i] === '+') return p.add(`  + ${file.padEnd(width)}  (${creates.get(file) ?? 'new'})`);
    if (marks[i] === '-') return p.remove(`  - ${file.padEnd(width)}  (${deletes.get(file) ?? 'removed'})`);
    const reasons = keptReasons.get(file);
    return input.verbose ? `    ${file.padEnd(width)}${reasons ? p.dim(`  kept: ${reasons.join(', ')}`) : ''}` : `    ${file}`;
  };
  // Runs of consecutive rows with the same mark and reason, [start, end).
  for (let start = 0, end = 0; start < files.length; start = end) {
    const mark = marks[start];
    const reason = reasonAt(start);
    end = start + 1;
    if (!input.verbose) while (end < files.length && marks[end] === mark && reasonAt(end) === reason) end++;
    if (input.verbose || end - start <= COLLAPSE_OVER || mark === '+') {
      for (let i = start; i < end; i++) lines.push(draw(i));
      continue;
    }
    const hidden = end - start - 2 * EDGE;
    for (let i = start; i < start + EDGE; i++) lines.push(draw(i));
    lines.push(mark === '-' ? p.remove(`  - … ${hidden.toLocaleString('en-US')} more to delete, same reason (--verbose lists every archive)`) : p.dim(`    … ${hidden.toLocaleString('en-US')} more unchanged`));
    for (let i = end - EDGE; i < end; i++) lines.push(draw(i));
  }
  if (before.length === 0 && creates.size === 0) lines.push(p.dim('    (no archives)'));
  return lines;
}

export function renderPlan(input: RenderInput, p: Palette = NO_COLORS): string {
  const { plan } = input;
  const out = [...header(input, p), ''];
  for (const volume of input.policy.volumes) {
    // Line by line: push(...lines) overflows the stack past about 100,000 lines (--verbose on a long history).
    for (const line of volumeSection(input, volume.name, p)) out.push(line);
    out.push('');
  }

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
