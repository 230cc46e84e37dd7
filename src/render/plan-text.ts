// Draws a plan as a terraform-style diff of the backup directory. Pure: the
// colours come in as functions, so tests render without a terminal.
import { diffArrays } from 'diff';
import type { Action, Archive, DeleteAction, HostPolicy, Plan, PolicySource } from '../core/model.js';
import { describeVolume, grouped } from '../core/describe.js';

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

/**
 * The rows of a volume's diff, read by index: a long history has 100,000 of
 * them, and the direct marking below makes no array or object per row.
 */
export interface Rows {
  readonly length: number;
  readonly file: (row: number) => string;
  readonly mark: (row: number) => Mark;
  /** Where a row other than '+' stands in `before`. */
  readonly beforeIndex: (row: number) => number;
}

/**
 * Longer edit scripts are not searched for: Myers' diff costs O(N·D), seconds
 * for the first plan over a long adopted history (100,000 archives, nearly
 * all expiring). Such a plan's `after` is `before` without the deletions plus
 * the new archives at the end, which is the edit script the diff would find.
 */
const MAX_DIFF_EDITS = 200;

/**
 * The directory before (minus the archives for which `deleted` holds, plus
 * `creates` at the end) and after, as diff rows in time order.
 */
export function diffRows(before: readonly string[], deleted: (index: number) => boolean, creates: readonly string[], maxEdits = MAX_DIFF_EDITS): Rows {
  let deletions = 0;
  for (let i = 0; i < before.length; i++) if (deleted(i)) deletions++;
  // Every deletion and creation is an edit: past the bound, skip the search altogether.
  if (deletions + creates.length <= maxEdits) {
    const after = [...before.filter((_, i) => !deleted(i)), ...creates];
    const parts = diffArrays([...before], after, { maxEditLength: maxEdits });
    if (parts !== undefined) {
      const files: string[] = [];
      const marks: Mark[] = [];
      const indexes: number[] = [];
      let fromBefore = 0;
      for (const part of parts) {
        const mark = part.added ? '+' : part.removed ? '-' : ' ';
        for (const file of part.value) {
          files.push(file);
          marks.push(mark);
          indexes.push(mark === '+' ? -1 : fromBefore++);
        }
      }
      return { length: files.length, file: (r) => files[r] as string, mark: (r) => marks[r] as Mark, beforeIndex: (r) => indexes[r] as number };
    }
  }
  const n = before.length;
  return {
    length: n + creates.length,
    file: (r) => (r < n ? before[r] : creates[r - n]) as string,
    mark: (r) => (r >= n ? '+' : deleted(r) ? '-' : ' '),
    beforeIndex: (r) => (r < n ? r : -1),
  };
}

/** The index of the first deletion of `volume` in `actions` at or after `from` (actions.length if none). */
function nextDeletion(actions: readonly Action[], volume: string, from: number): number {
  let i = from;
  while (i < actions.length) {
    const a = actions[i] as Action;
    if (a.type === 'delete' && a.volume === volume) break;
    i++;
  }
  return i;
}

/**
 * Why each archive of `before` (oldest first) is deleted, or undefined where
 * it stays. Without a lookup table in the usual case (a hash map of 100,000
 * names costs more than the rest of the rendering): the planner lists a
 * volume's deletions newest first, so they are matched from the newest end.
 */
function deletionReasons(before: readonly string[], actions: readonly Action[], volume: string): (string | undefined)[] {
  const reasons = new Array<string | undefined>(before.length).fill(undefined);
  let next = nextDeletion(actions, volume, 0);
  for (let i = before.length - 1; i >= 0 && next < actions.length; i--) {
    const deletion = actions[next] as DeleteAction;
    if (before[i] === deletion.archive) {
      reasons[i] = deletion.reason;
      next = nextDeletion(actions, volume, next + 1);
    }
  }
  if (next === actions.length) return reasons;
  // Listed in another order (archives with equal times): look each one up.
  const byFile = new Map<string, string>();
  for (const a of actions) if (a.type === 'delete' && a.volume === volume) byFile.set(a.archive, a.reason);
  return before.map((file) => byFile.get(file));
}

/**
 * The volume's archive names by time, equal times by file name. Observed
 * archives come newest first: without equal times, that list read backwards
 * is the order, with no comparison called for each of 100,000.
 */
function namesOldestFirst(archives: readonly Archive[], volume: string): string[] {
  const names: string[] = [];
  let previous = -Infinity;
  for (let i = archives.length - 1; i >= 0; i--) {
    const a = archives[i] as Archive;
    if (a.volume !== volume) continue;
    if (a.time <= previous) {
      const mine = archives.filter((m) => m.volume === volume);
      return mine.sort((x, y) => x.time - y.time || (x.file < y.file ? -1 : x.file > y.file ? 1 : 0)).map((m) => m.file);
    }
    previous = a.time;
    names.push(a.file);
  }
  return names;
}

/** Runs longer than this are shortened to their first and last EDGE rows unless --verbose. */
const COLLAPSE_OVER = 10;
const EDGE = 3;

/** One volume: its archive list before and after, diffed, each line with its reason. */
function volumeSection(input: RenderInput, volumeName: string, p: Palette): string[] {
  const { plan } = input;
  const volume = input.policy.volumes.find((v) => v.name === volumeName);
  const mine = (a: { volume?: string }): boolean => a.volume === volumeName;
  const before = namesOldestFirst(input.archives, volumeName);
  const deleteReasons = deletionReasons(before, plan.actions, volumeName);
  const creates = new Map<string, string>();
  for (const a of plan.actions) if (a.type === 'create' && mine(a)) creates.set(a.archive, a.reason);
  // Why each archive is kept is shown only with --verbose.
  const keptReasons = new Map(input.verbose ? plan.kept.filter(mine).map((k) => [k.archive, k.reasons]) : []);
  let width = 0;
  for (const f of before) width = Math.max(width, f.length);
  for (const f of creates.keys()) width = Math.max(width, f.length);

  const lines = [p.bold(`volume ${volumeName}`) + (volume ? p.dim(` (${describeVolume(volume)})`) : '')];
  for (const a of plan.actions) {
    if (a.type === 'cleanup' && mine(a)) lines.push(p.change(`  ~ ${a.archive.padEnd(width)}  (${a.reason})`));
  }
  const rows = diffRows(before, (i) => deleteReasons[i] !== undefined, [...creates.keys()]);
  // The reason on each row: why a '+' archive comes or a '-' one goes; '' for those that stay.
  const reasonAt = (r: number): string => {
    const mark = rows.mark(r);
    if (mark === '+') return creates.get(rows.file(r)) ?? 'new';
    return mark === '-' ? (deleteReasons[rows.beforeIndex(r)] ?? 'removed') : '';
  };
  const draw = (r: number): string => {
    const file = rows.file(r);
    const mark = rows.mark(r);
    if (mark === '+') return p.add(`  + ${file.padEnd(width)}  (${reasonAt(r)})`);
    if (mark === '-') return p.remove(`  - ${file.padEnd(width)}  (${reasonAt(r)})`);
    const reasons = keptReasons.get(file);
    return input.verbose ? `    ${file.padEnd(width)}${reasons ? p.dim(`  kept: ${reasons.join(', ')}`) : ''}` : `    ${file}`;
  };
  // Runs of consecutive rows with the same mark and reason, [start, end).
  for (let start = 0, end = 0; start < rows.length; start = end) {
    const mark = rows.mark(start);
    const reason = reasonAt(start);
    end = start + 1;
    if (!input.verbose) while (end < rows.length && rows.mark(end) === mark && reasonAt(end) === reason) end++;
    if (input.verbose || end - start <= COLLAPSE_OVER || mark === '+') {
      for (let i = start; i < end; i++) lines.push(draw(i));
      continue;
    }
    const hidden = end - start - 2 * EDGE;
    for (let i = start; i < start + EDGE; i++) lines.push(draw(i));
    lines.push(mark === '-' ? p.remove(`  - … ${grouped(hidden)} more to delete, same reason (--verbose lists every archive)`) : p.dim(`    … ${grouped(hidden)} more unchanged`));
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
    out.push(p.bold('not in the policy (left untouched)'));
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
