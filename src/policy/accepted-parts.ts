// What the schema accepted of a document it refused: the document less every
// value it rejected. The semantic checks run on it in the same pass as the
// schema, so validate lists a bad time zone together with a bad count rather
// than after the count is fixed.
import type { HostDocument, PolicyDocument, VolumesDocument } from './policy-document.generated.js';
import type { AjvError } from './policy-validator.js';

/**
 * A document less the values the schema rejected. Every value left has its
 * schema type, but a required key may be missing (`hosts`, a host's
 * `volumes`), a mapping may be empty and a volume may have no source or two.
 * A valid PolicyDocument is one.
 */
export interface AcceptedDocument extends Omit<PolicyDocument, 'version' | 'hosts'> {
  readonly hosts?: { readonly [key: string]: AcceptedHost | undefined };
}
export interface AcceptedHost extends Omit<HostDocument, 'volumes'> {
  readonly volumes?: VolumesDocument;
}

/**
 * Keys checked together: the mount root against the backup directory, the
 * level against the compressor, excludes against the volume's directory
 * (path, btrfs or mount). One rejected leaves the others of its group out
 * too, so no check pairs an accepted value with a default or another key
 * standing in for the rejected one.
 */
const CHECKED_TOGETHER: readonly (readonly string[])[] = [
  ['backupDir', 'mountRoot'],
  ['compression', 'compressionLevel'],
  ['path', 'btrfs', 'mount'],
];
/** The mappings whose keys are settings (defaults, a host, a volume), not names chosen by the user. */
const SETTINGS = /^\/defaults$|^\/hosts\/[^/]+(?:\/volumes\/[^/]+)?$/;

/** undefined when the schema rejected the document as a whole (not a mapping). */
export function acceptedParts(root: unknown, errors: readonly AjvError[]): AcceptedDocument | undefined {
  const rejected = new Set(errors.flatMap((error) => rejectedPointer(error, root) ?? []));
  if (rejected.has('')) return undefined;
  const copy = (node: unknown, pointer: string): unknown => {
    if (typeof node !== 'object' || node === null) return node;
    if (Array.isArray(node)) return node.map((item: unknown, i) => copy(item, `${pointer}/${i}`));
    const entries = Object.entries(node);
    const out = new Set(entries.map(([key]) => key).filter((key) => rejected.has(`${pointer}/${escapeKey(key)}`)));
    if (SETTINGS.test(pointer)) for (const group of CHECKED_TOGETHER) if (group.some((key) => out.has(key))) group.forEach((key) => out.add(key));
    return Object.fromEntries(entries.filter(([key]) => !out.has(key)).map(([key, value]) => [key, copy(value, `${pointer}/${escapeKey(key)}`)]));
  };
  return copy(root, '') as AcceptedDocument;
}

/**
 * The JSON pointer of the value an error rejects, or undefined for errors
 * about what a mapping holds or lacks (a required key, at least one entry, the
 * volume's one source): the mapping itself keeps its type. An unknown key or a
 * bad key name rejects that key. A list with a rejected item is rejected as a
 * whole, so no list is left with holes.
 */
function rejectedPointer(error: AjvError, root: unknown): string | undefined {
  if (['required', 'minProperties', 'propertyNames', 'if'].includes(error.keyword)) return undefined;
  if (error.keyword === 'false schema' && error.schemaPath.endsWith('/else/false schema')) return undefined;
  const key = error.keyword === 'additionalProperties' ? String(error.params['additionalProperty']) : error.propertyName;
  const pointer = key === undefined ? error.instancePath : `${error.instancePath}/${escapeKey(key)}`;
  let node = root;
  let at = '';
  for (const raw of pointer.split('/').slice(1)) {
    if (Array.isArray(node)) return at;
    at += `/${raw}`;
    node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[unescapeKey(raw)] : undefined;
  }
  return at;
}

function escapeKey(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

function unescapeKey(raw: string): string {
  return raw.replace(/~1/g, '/').replace(/~0/g, '~');
}
