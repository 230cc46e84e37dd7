// A problem found in a policy file: where (file, key path, and the line and
// column the key path leads to) and what was expected. Turned into
// SnapctlError values, one paragraph each, by toError().
import { SnapctlError } from '../core/errors.js';

/** One step of a key path: a mapping key or a sequence index. */
export type PathSegment = string | number;

/** 1-based position in a file. */
export interface Position {
  readonly line: number;
  readonly column: number;
}

export interface Problem {
  /** The file as the user named it (relative paths stay relative). */
  readonly file: string;
  readonly path: readonly PathSegment[];
  readonly position?: Position;
  readonly summary: string;
  readonly detail?: string;
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `hosts.db01.volumes.data.exclude[2]`; keys with dots or glob characters are quoted: `hosts["db*"]`. */
export function formatKeyPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (PLAIN_KEY.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

export function toError(problem: Problem): SnapctlError {
  const location = problem.position
    ? { file: problem.file, line: problem.position.line, column: problem.position.column }
    : { file: problem.file };
  const keyPath = problem.path.length > 0 ? formatKeyPath(problem.path) : undefined;
  return new SnapctlError('input', problem.summary, problem.detail, location, keyPath);
}

/** Orders problems by file, then line and column, so output reads top to bottom. */
export function compareProblems(a: Problem, b: Problem): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  return (a.position?.line ?? 0) - (b.position?.line ?? 0) || (a.position?.column ?? 0) - (b.position?.column ?? 0);
}

/** Describes a parsed YAML value for "found …" in messages. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing (null)';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Date) return `a date (${value.toISOString().slice(0, 10)})`;
  if (typeof value === 'object') return 'a mapping';
  return typeof value;
}

/** The candidate closest to `word` (edit distance ≤ 2, or equal ignoring case), for "did you mean". */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = candidate.toLowerCase() === word.toLowerCase() ? 0 : editDistance(word, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.min(2, Math.max(1, Math.floor(word.length / 3))) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}
