// Checks a parsed document against the precompiled schema validator and says
// what is wrong in words a sysadmin reads without knowing JSON Schema.
import { validatePolicy } from './policy-validator.js';
import type { AjvError } from './policy-validator.js';
import type { PolicyDocument } from './policy-document.generated.js';
import { acceptedParts } from './accepted-parts.js';
import type { AcceptedDocument } from './accepted-parts.js';
import { closest, describeValue } from './problem.js';
import type { PathSegment } from './problem.js';

/** A schema violation at a key path (positions are added by the caller). */
export interface SchemaIssue {
  readonly path: readonly PathSegment[];
  readonly summary: string;
  readonly detail?: string;
}

/** `accepted`: what the semantic checks may still look at in a refused document. */
export type SchemaResult =
  | { readonly ok: true; readonly document: PolicyDocument }
  | { readonly ok: false; readonly issues: readonly SchemaIssue[]; readonly accepted: AcceptedDocument | undefined };

export function checkSchema(value: unknown): SchemaResult {
  if (validatePolicy(value)) return { ok: true, document: value };
  const errors = validatePolicy.errors ?? [];
  return { ok: false, issues: translate(errors, value), accepted: acceptedParts(value, errors) };
}

// Branch mismatches of an anyOf (a string where an object was possible…) are
// reported once, by the anyOf itself.
const BRANCH_KEYWORDS = new Set(['type', 'enum', 'const']);

export function translate(errors: readonly AjvError[], root: unknown): SchemaIssue[] {
  const anyOfPaths = new Set(errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath));
  const issues: SchemaIssue[] = [];
  const seen = new Set<string>();
  for (const error of errors) {
    if (anyOfPaths.has(error.instancePath) && BRANCH_KEYWORDS.has(error.keyword)) continue;
    const issue = translateOne(error, root);
    if (!issue) continue;
    const id = `${issue.path.join('\u0000')}\u0001${issue.summary}`;
    if (seen.has(id)) continue;
    seen.add(id);
    issues.push(issue);
  }
  return issues;
}

function translateOne(error: AjvError, root: unknown): SchemaIssue | undefined {
  const path = pointerToPath(error.instancePath, root);
  const schema = error.parentSchema ?? {};
  const expected = typeof schema['expected'] === 'string' ? schema['expected'] : undefined;
  const found = describeValue(error.data);
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(error.params['additionalProperty']);
      const allowed = Object.keys((schema['properties'] as Record<string, unknown> | undefined) ?? {});
      const suggestion = closest(key, allowed);
      return {
        path: [...path, key],
        summary: `unknown key "${key}"${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`,
        detail: `Allowed here: ${allowed.join(', ')}.`,
      };
    }
    case 'required':
      return { path, summary: `missing key "${String(error.params['missingProperty'])}"` };
    case 'const':
      if (path.length === 1 && path[0] === 'version') {
        return { path, summary: `unsupported policy version ${found}: this snapctl reads version 1` };
      }
      return { path, summary: `expected ${JSON.stringify(error.params['allowedValue'])}, found ${found}` };
    case 'enum': {
      const allowed = (error.params['allowedValues'] as unknown[]).map(String);
      const suggestion = typeof error.data === 'string' ? closest(error.data, allowed) : undefined;
      return { path, summary: `expected one of ${allowed.join(', ')}, found ${found}${suggestion ? ` (did you mean "${suggestion}"?)` : ''}` };
    }
    case 'anyOf': {
      const options = ((schema['anyOf'] as { enum?: unknown[] }[] | undefined) ?? []).flatMap((b) => b.enum ?? []).map(String);
      const suggestion = typeof error.data === 'string' ? closest(error.data, options) : undefined;
      // An object is matched against the object branch; its own errors say what is wrong.
      if (typeof error.data === 'object' && error.data !== null && !Array.isArray(error.data)) return undefined;
      return { path, summary: `expected ${expected ?? 'another value'}, found ${found}${suggestion ? ` (did you mean "${suggestion}"?)` : ''}` };
    }
    case 'if':
      return sourceIssue(path, error);
    case 'false schema':
      return undefined;
    case 'minProperties': {
      const what = path[path.length - 1] === 'hosts' ? 'host' : path[path.length - 1] === 'volumes' ? 'volume' : 'entry';
      return { path, summary: `expected at least one ${what}, found none` };
    }
    case 'minItems':
      return { path, summary: `expected ${expected ?? 'a non-empty list'}, found an empty list` };
    case 'propertyNames':
      return undefined;
    case 'type':
      return { path, summary: `expected ${expected ?? typeWords(error.params['type'])}, found ${found}` };
    default: {
      if (error.propertyName !== undefined) {
        return { path: [...path, error.propertyName], summary: `invalid name "${error.propertyName}": expected ${expected ?? 'a valid name'}` };
      }
      return { path, summary: `expected ${expected ?? error.message ?? 'another value'}, found ${found}` };
    }
  }
}

// The volume's if/else rule: exactly one source.
function sourceIssue(path: readonly PathSegment[], error: AjvError): SchemaIssue {
  const branches = ((error.parentSchema?.['if'] as { oneOf?: { required?: string[] }[] } | undefined)?.oneOf ?? []).flatMap((b) => b.required ?? []);
  const data = (typeof error.data === 'object' && error.data !== null ? error.data : {}) as Record<string, unknown>;
  const present = branches.filter((key) => key in data);
  const list = `${branches.slice(0, -1).join(', ')} or ${branches[branches.length - 1] ?? ''}`;
  if (present.length === 0) return { path, summary: `no source: a volume needs exactly one of ${list}` };
  return { path, summary: `${present.length} sources (${present.join(', ')}): a volume needs exactly one of ${list}` };
}

function typeWords(type: unknown): string {
  const words: Record<string, string> = {
    object: 'a mapping',
    array: 'a list',
    string: 'a string',
    integer: 'an integer',
    number: 'a number',
    boolean: 'true or false',
  };
  return String(type).split(',').map((t) => words[t] ?? t).join(' or ');
}

// JSON pointer → key path; numeric steps into arrays become indices.
function pointerToPath(pointer: string, root: unknown): PathSegment[] {
  if (pointer === '') return [];
  const path: PathSegment[] = [];
  let current = root;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const seg: PathSegment = Array.isArray(current) ? Number(key) : key;
    path.push(seg);
    current = typeof current === 'object' && current !== null ? (current as Record<string | number, unknown>)[seg] : undefined;
  }
  return path;
}
