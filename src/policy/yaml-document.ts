// Parses one YAML policy file with js-yaml and remembers where each mapping
// key and sequence item starts, so every later error (schema, semantics) can
// name a line and column. js-yaml has no AST; its `listener` reports every
// node it composes (open/close), which is enough to rebuild key positions.
import { load, DEFAULT_SCHEMA, YAMLException } from 'js-yaml';
import type { State } from 'js-yaml';
import type { PathSegment, Position, Problem } from './problem.js';

/** Aliases may share nodes, but the expanded document may not exceed this many nodes (alias bombs). */
export const NODE_BUDGET = 100_000;

export interface YamlDocument {
  readonly value: unknown;
  /** Where the deepest existing prefix of `path` starts (a key, or a sequence item). */
  positionOf(path: readonly PathSegment[]): Position;
}

interface NodeRecord {
  readonly start: Position;
  readonly kind: string | null;
  readonly result: unknown;
  /** Set when this scalar is a mapping key (followed by `:` on its line). */
  readonly key?: string;
  readonly children: readonly NodeRecord[];
}

interface Frame {
  readonly start: Position;
  /** The node starts with `- ` or `[`: its children are sequence items. */
  readonly sequence: boolean;
  readonly alias: boolean;
  readonly children: NodeRecord[];
}

export type ParseResult = { readonly ok: true; readonly doc: YamlDocument } | { readonly ok: false; readonly problem: Problem };

export function parseYamlDocument(text: string, file: string): ParseResult {
  const stack: Frame[] = [{ start: { line: 1, column: 1 }, sequence: false, alias: false, children: [] }];
  let firstAlias: { position: Position; path: PathSegment[] } | undefined;

  const listener = (event: 'open' | 'close', state: State): void => {
    if (event === 'open') {
      const { position, char, next } = significantStart(state);
      const alias = char === '*';
      const sequence = char === '[' || (char === '-' && (next === ' ' || next === '\n' || next === '\r' || next === ''));
      stack.push({ start: position, sequence, alias, children: [] });
      if (alias && firstAlias === undefined) firstAlias = { position, path: stackPath(stack) };
      return;
    }
    const frame = stack.pop();
    const parent = stack[stack.length - 1];
    if (!frame || !parent) return;
    const kind = state.kind as string | null;
    const isKey = kind === 'scalar' && followedByColon(state.input, state.position) && !frame.alias;
    const record: NodeRecord = isKey
      ? { start: frame.start, kind, result: state.result as unknown, key: String(state.result), children: frame.children }
      : { start: frame.start, kind, result: state.result as unknown, children: unwrap(kind, state.result, frame.children) };
    parent.children.push(record);
  };

  let value: unknown;
  try {
    value = load(text, { filename: file, schema: DEFAULT_SCHEMA, listener });
  } catch (err) {
    if (!(err instanceof YAMLException)) throw err;
    return { ok: false, problem: yamlProblem(err, file, stack, text) };
  }

  const index = buildIndex(stack[0]?.children ?? []);
  const doc: YamlDocument = { value, positionOf: (path) => lookup(index, value, path) };

  const expansion = checkExpansion(value);
  if (expansion !== 'ok') {
    const where = firstAlias ?? { position: { line: 1, column: 1 }, path: [] };
    const summary =
      expansion === 'cycle'
        ? 'an alias refers to a node that contains it (a cycle); policies cannot be recursive'
        : `the document expands to more than ${NODE_BUDGET} nodes through aliases (an alias bomb?); refusing to read it`;
    return { ok: false, problem: { file, path: where.path, position: where.position, summary } };
  }
  return { ok: true, doc };
}

// Turns a js-yaml exception into a problem; duplicate keys name the key and its first line.
function yamlProblem(err: YAMLException, file: string, stack: readonly Frame[], text: string): Problem {
  // js-yaml gives no mark when a second document follows the first.
  const mark = err.mark as YAMLException['mark'] | undefined;
  if (!mark) {
    const line = secondDocumentLine(text);
    return {
      file,
      path: [],
      position: { line: line ?? 1, column: 1 },
      summary: `the file holds more than one YAML document${line === undefined ? '' : ` (the second starts on line ${line})`}`,
      detail: 'A policy file is one document; to split a policy, put each part in its own *.yaml file of a policy directory.',
    };
  }
  const position = { line: mark.line + 1, column: mark.column + 1 };
  const path = stackPath(stack);
  if (err.reason === 'duplicated mapping key') {
    const top = stack[stack.length - 1];
    const keys = (top?.children ?? []).filter((c) => c.key !== undefined);
    const duplicate = keys[keys.length - 1];
    const first = keys.find((c) => c.key === duplicate?.key);
    if (duplicate?.key !== undefined && first) {
      return {
        file,
        path: [...path, duplicate.key],
        position,
        summary: `duplicate key "${duplicate.key}" (first defined on line ${first.start.line})`,
        detail: 'Each key may appear once per mapping; merge the two entries.',
      };
    }
  }
  return { file, path, position, summary: `YAML syntax error: ${err.reason}` };
}

// The line where the second document of a stream starts: a `---` after content or
// after the first `---`, or whatever follows a `...` end marker.
function secondDocumentLine(text: string): number | undefined {
  const lines = text.split('\n');
  let started = false;
  let ended = false;
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').replace(/\r$/, '');
    if (/^---(?:[ \t]|$)/.test(line)) {
      if (started || ended) return i + 1;
      started = true;
    } else if (/^\.\.\.(?:[ \t]|$)/.test(line)) {
      ended = true;
    } else if (!/^\s*(?:#.*)?$/.test(line) && !line.startsWith('%')) {
      if (ended) return i + 1;
      started = true;
    }
  }
  return undefined;
}

// The key path of the innermost node being composed, rebuilt from the open frames.
function stackPath(stack: readonly Frame[]): PathSegment[] {
  const path: PathSegment[] = [];
  for (let i = 0; i + 1 < stack.length; i++) {
    const parent = stack[i];
    if (!parent) continue;
    const last = parent.children[parent.children.length - 1];
    if (last?.key !== undefined) path.push(last.key);
    else if (parent.sequence) path.push(parent.children.length);
  }
  return path;
}

// Where a node really starts: js-yaml opens some nodes before skipping blanks and comments.
function significantStart(state: State): { position: Position; char: string; next: string } {
  const input = state.input;
  let pos = state.position;
  let line = state.line;
  let lineStart = state.lineStart;
  while (pos < input.length) {
    const ch = input[pos];
    if (ch === ' ' || ch === '\t' || ch === '\r') pos++;
    else if (ch === '\n') {
      pos++;
      line++;
      lineStart = pos;
    } else if (ch === '#' && (pos === lineStart || input[pos - 1] === ' ' || input[pos - 1] === '\t')) {
      while (pos < input.length && input[pos] !== '\n') pos++;
    } else break;
  }
  // Look past an anchor or tag (`&base [`, `!!seq -`) to see what kind of node follows.
  let probe = pos;
  while (input[probe] === '&' || input[probe] === '!') {
    while (probe < input.length && !/\s/.test(input[probe] ?? '')) probe++;
    while (probe < input.length && /\s/.test(input[probe] ?? '')) probe++;
  }
  return { position: { line: line + 1, column: pos - lineStart + 1 }, char: input[probe] ?? '', next: input[probe + 1] ?? '' };
}

/**
 * The children of a collection node. A flow collection that starts on its own
 * line (a JSON document, `data:` then `{path: /x}` below it) is composed
 * inside the block node js-yaml opened there, as a candidate implicit key
 * that no `:` follows: the block node's only child is then the collection
 * itself, whose children are the keys and items. (An alias child has no kind.)
 */
function unwrap(kind: string | null, result: unknown, children: readonly NodeRecord[]): readonly NodeRecord[] {
  const only = children.length === 1 ? children[0] : undefined;
  return (kind === 'mapping' || kind === 'sequence') && only?.kind === kind && only.result === result ? only.children : children;
}

function followedByColon(input: string, from: number): boolean {
  let pos = from;
  while (input[pos] === ' ' || input[pos] === '\t') pos++;
  return input[pos] === ':';
}

interface Index {
  readonly keys: Map<object, Map<string, Position>>;
  readonly items: Map<object, Position[]>;
}

// Maps each mapping (by identity) to its keys' positions and each sequence to its items'.
function buildIndex(roots: readonly NodeRecord[]): Index {
  const index: Index = { keys: new Map(), items: new Map() };
  const visit = (node: NodeRecord): void => {
    const result = node.result;
    if (node.kind === 'mapping' && typeof result === 'object' && result !== null && !index.keys.has(result)) {
      const keys = new Map<string, Position>();
      for (const child of node.children) if (child.key !== undefined && !keys.has(child.key)) keys.set(child.key, child.start);
      index.keys.set(result, keys);
    } else if (node.kind === 'sequence' && Array.isArray(result) && !index.items.has(result)) {
      const items: Position[] = [];
      let i = 0;
      // `- ` with nothing after it adds a null item without composing a node: align by value.
      for (const child of node.children) {
        while (i < result.length && result[i] !== child.result) i++;
        if (i < result.length) items[i++] = child.start;
      }
      index.items.set(result, items);
    }
    node.children.forEach(visit);
  };
  roots.forEach(visit);
  return index;
}

function lookup(index: Index, root: unknown, path: readonly PathSegment[]): Position {
  let position: Position = { line: 1, column: 1 };
  let current = root;
  for (const seg of path) {
    if (typeof current !== 'object' || current === null) break;
    let found: Position | undefined;
    if (Array.isArray(current)) {
      found = typeof seg === 'number' ? index.items.get(current)?.[seg] : undefined;
    } else {
      const keys = index.keys.get(current);
      // Keys brought in by a merge (`<<: *base`) point at the merge key.
      found = keys?.get(String(seg)) ?? keys?.get('<<');
    }
    if (!found) break;
    position = found;
    current = (current as Record<string | number, unknown>)[seg];
  }
  return position;
}

// Walks the document as the validator will (aliases expanded), within the node budget.
function checkExpansion(root: unknown): 'ok' | 'cycle' | 'too-large' {
  let visited = 0;
  const ancestors = new Set<object>();
  const walk = (node: unknown): 'ok' | 'cycle' | 'too-large' => {
    if (++visited > NODE_BUDGET) return 'too-large';
    if (typeof node !== 'object' || node === null || node instanceof Date) return 'ok';
    if (ancestors.has(node)) return 'cycle';
    ancestors.add(node);
    for (const child of Object.values(node)) {
      const verdict = walk(child);
      if (verdict !== 'ok') return verdict;
    }
    ancestors.delete(node);
    return 'ok';
  };
  return walk(root);
}
