// Reads a policy file, or every *.yaml / *.yml of a directory (sorted), and
// checks it: YAML, schema, semantics, and across files (a host, timezone,
// defaults or healthcheck defined in two files). All problems are collected,
// so `validate` can list every one of them.
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { SnapctlError } from '../core/errors.js';
import type { PolicySource } from '../core/model.js';
import { gitInfo } from '../adapters/git.js';
import type { PolicyDocument, VolumeDefaults } from './policy-document.generated.js';
import { COMPRESSORS } from '../apply/compressors.js';
import { DEFAULTS } from './resolve.js';
import { parseYamlDocument } from './yaml-document.js';
import type { YamlDocument } from './yaml-document.js';
import { checkSchema } from './schema-errors.js';
import type { AcceptedDocument } from './accepted-parts.js';
import { checkSemantics, hostPathExclude } from './semantics.js';
import { fsProblem, listPolicyFiles, MAX_POLICY_BYTES } from './files.js';
import { compareProblems, toError } from './problem.js';
import type { PathSegment, Problem } from './problem.js';

export interface PolicyFile {
  /** The file as the user named it (for messages). */
  readonly file: string;
  /** Absolute path. */
  readonly path: string;
  readonly document: PolicyDocument;
  /** The parsed YAML, to point later errors at lines. */
  readonly yaml: YamlDocument;
}

/** What the checks across files look at: a file that passed its own checks, or what the schema accepted of one. */
interface CheckedParts {
  readonly file: string;
  readonly document: AcceptedDocument;
  readonly yaml: YamlDocument;
}

export interface LoadedPolicy {
  readonly documents: readonly PolicyFile[];
  readonly source: PolicySource;
}

export interface PolicyCheck {
  /** Every file looked at, in order (as named for messages). */
  readonly files: readonly string[];
  /** The files that passed every check on their own. */
  readonly documents: readonly PolicyFile[];
  /** Sorted by file, line, column. */
  readonly problems: readonly Problem[];
  /** The bytes read, by absolute path (for the policy hash). */
  readonly bytes: ReadonlyMap<string, Buffer>;
}

/** A policy that failed its checks: `problems` holds one error per problem; the error itself is the first. */
export class PolicyInvalid extends SnapctlError {
  readonly problems: readonly SnapctlError[];
  constructor(problems: readonly SnapctlError[]) {
    const first = problems[0] ?? new SnapctlError('input', 'invalid policy');
    const more = problems.length > 1 ? `(${problems.length - 1} more problem${problems.length > 2 ? 's' : ''} in the policy; \`snapctl validate\` lists them all.)` : undefined;
    super('input', first.summary, [first.detail, more].filter((s) => s !== undefined).join('\n') || undefined, first.location, first.keyPath);
    this.problems = problems;
  }
}

/** Reads and checks a policy; throws PolicyInvalid listing every problem. */
export async function loadPolicy(fileOrDir: string, options: { readonly git?: boolean } = {}): Promise<LoadedPolicy> {
  const check = await checkPolicy(fileOrDir);
  if (check.problems.length > 0) throw new PolicyInvalid(check.problems.map(toError));
  const paths = check.documents.map((d) => d.path);
  const hash = createHash('sha256');
  for (const path of paths) {
    const bytes = check.bytes.get(path) ?? Buffer.alloc(0);
    hash.update(`${basename(path)}\0${bytes.length}\0`).update(bytes);
  }
  const git = options.git === false ? undefined : await gitInfo(paths);
  const source: PolicySource = git ? { files: paths, hash: hash.digest('hex'), git } : { files: paths, hash: hash.digest('hex') };
  return { documents: check.documents, source };
}

/** Every check of loadPolicy, returning the problems instead of throwing. */
export async function checkPolicy(fileOrDir: string): Promise<PolicyCheck> {
  const listed = listPolicyFiles(fileOrDir);
  if ('problem' in listed) return { files: [], documents: [], problems: [listed.problem], bytes: new Map() };
  const problems: Problem[] = [];
  const documents: PolicyFile[] = [];
  const parts: CheckedParts[] = [];
  const bytes = new Map<string, Buffer>();
  for (const file of listed.files) {
    const result = await checkFile(file);
    if ('problems' in result) {
      problems.push(...result.problems);
      if (result.accepted) parts.push(result.accepted);
    } else {
      documents.push(result.policy);
      parts.push(result.policy);
      bytes.set(result.policy.path, result.bytes);
    }
  }
  problems.push(...crossFileProblems(parts), ...compressionLevelProblems(parts), ...hostPathExcludeProblems(parts));
  problems.sort(compareProblems);
  return { files: listed.files, documents, problems, bytes };
}

async function checkFile(file: string): Promise<{ policy: PolicyFile; bytes: Buffer } | { problems: Problem[]; accepted?: CheckedParts }> {
  const fail = (summary: string, detail?: string): { problems: Problem[] } => ({
    problems: [detail === undefined ? { file, path: [], summary } : { file, path: [], summary, detail }],
  });
  const info = await stat(file).catch((err: NodeJS.ErrnoException) => err);
  if (info instanceof Error) return fail(fsProblem(info, false));
  if (info.isDirectory()) return fail('expected a file, found a directory');
  if (!info.isFile()) return fail('expected a policy file, found a special file');
  if (info.size > MAX_POLICY_BYTES) return fail(`the file is larger than ${MAX_POLICY_BYTES} bytes; refusing to read it as a policy`);
  const bytes = await readFile(file).catch((err: NodeJS.ErrnoException) => err);
  if (bytes instanceof Error) return fail(fsProblem(bytes, false));
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return fail('the file is not valid UTF-8 text');
  }

  const parsed = parseYamlDocument(text, file);
  if (!parsed.ok) return { problems: [parsed.problem] };
  const yaml = parsed.doc;
  if (yaml.value === undefined || yaml.value === null) {
    return fail('the file is empty', 'Expected a policy: `version: 1` and `hosts:` with at least one host.');
  }
  // The semantic checks also run on what the schema accepted of a document it refused, so one run reports every problem.
  const schema = checkSchema(yaml.value);
  const accepted = schema.ok ? schema.document : schema.accepted;
  const issues = [...(schema.ok ? [] : schema.issues), ...(accepted === undefined ? [] : checkSemantics(accepted))];
  if (issues.length > 0 || !schema.ok) {
    const problems = issues.map((issue) => {
      const problem: Problem = { file, path: issue.path, position: yaml.positionOf(issue.path), summary: issue.summary };
      return issue.detail === undefined ? problem : { ...problem, detail: issue.detail };
    });
    return accepted === undefined ? { problems } : { problems, accepted: { file, document: accepted, yaml } };
  }
  return { policy: { file, path: resolve(file), document: schema.document, yaml }, bytes };
}

/**
 * A compressionLevel the volume's compressor does not take (gzip 12), once
 * defaults are merged under the volume: the combination may span two keys,
 * or two files of a policy directory. Checked here, not at apply time, where
 * it would fail the volume on every run. A level in defaults is ignored by
 * the volumes without compression; one written on such a volume is refused.
 */
function compressionLevelProblems(documents: readonly CheckedParts[]): Problem[] {
  const defaults = defaultsFile(documents)?.document.defaults ?? {};
  const problems: Problem[] = [];
  const check = (policy: CheckedParts, path: PathSegment[], own: VolumeDefaults, inherited: VolumeDefaults): void => {
    const compression = own.compression ?? inherited.compression ?? DEFAULTS.compression;
    const level = own.compressionLevel ?? inherited.compressionLevel;
    if (level === undefined) return;
    const { minLevel, maxLevel } = COMPRESSORS[compression];
    const from = own.compressionLevel !== undefined ? '' : ' (compressionLevel from defaults)';
    let summary: string | undefined;
    if (minLevel === undefined || maxLevel === undefined) {
      if (own.compressionLevel !== undefined) summary = `compression none takes no level, found compressionLevel ${level}`;
    } else if (level < minLevel || level > maxLevel) {
      summary = `${compression} takes levels ${minLevel} to ${maxLevel}, found ${level}${from}`;
    }
    if (summary === undefined) return;
    const at = own.compressionLevel !== undefined ? [...path, 'compressionLevel'] : own.compression !== undefined ? [...path, 'compression'] : path;
    problems.push({ file: policy.file, path: at, position: policy.yaml.positionOf(at), summary });
  };
  for (const policy of documents) {
    if (policy.document.defaults) check(policy, ['defaults'], policy.document.defaults, {});
    for (const [hostKey, host] of Object.entries(policy.document.hosts ?? {})) {
      for (const [name, volume] of Object.entries(host?.volumes ?? {})) {
        // A volume that sets neither key has the defaults' pair, checked above.
        if (volume && (volume.compression !== undefined || volume.compressionLevel !== undefined)) check(policy, ['hosts', hostKey, 'volumes', name], volume, defaults);
      }
    }
  }
  return problems;
}

/** The file of a policy (directory) that holds `defaults`: crossFileProblems lets only one. */
function defaultsFile(documents: readonly CheckedParts[]): CheckedParts | undefined {
  return documents.find((d) => d.document.defaults !== undefined);
}

/**
 * Excludes written as host paths under a volume's own directory (see
 * hostPathExclude), its own or from defaults, which may sit in another file
 * of a policy directory: the problem points at the pattern where it is written.
 */
function hostPathExcludeProblems(documents: readonly CheckedParts[]): Problem[] {
  const withDefaults = defaultsFile(documents);
  const problems: Problem[] = [];
  for (const policy of documents) {
    for (const [hostKey, host] of Object.entries(policy.document.hosts ?? {})) {
      for (const [name, volume] of Object.entries(host?.volumes ?? {})) {
        if (!volume) continue;
        const root = volume.path ?? volume.btrfs ?? volume.mount;
        if (root === undefined) continue;
        const own = volume.exclude !== undefined;
        const at = own ? policy : withDefaults;
        (volume.exclude ?? withDefaults?.document.defaults?.exclude ?? []).forEach((pattern, i) => {
          const why = hostPathExclude(pattern, root, own ? undefined : name);
          if (why === undefined || at === undefined) return;
          const path = own ? ['hosts', hostKey, 'volumes', name, 'exclude', i] : ['defaults', 'exclude', i];
          problems.push({ file: at.file, path, position: at.yaml.positionOf(path), ...why });
        });
      }
    }
  }
  return problems;
}

// Within a directory each host key and each top-level setting lives in one file.
function crossFileProblems(documents: readonly CheckedParts[]): Problem[] {
  const problems: Problem[] = [];
  const firstSeen = new Map<string, CheckedParts>();
  const where = (policy: CheckedParts, path: string[]): string => {
    const p = policy.yaml.positionOf(path);
    return `${policy.file}:${p.line}:${p.column}`;
  };
  for (const policy of documents) {
    const doc = policy.document;
    const keys: string[][] = [
      ...(['timezone', 'defaults', 'healthcheck'] as const).filter((k) => doc[k] !== undefined).map((k) => [k]),
      ...Object.keys(doc.hosts ?? {}).map((host) => ['hosts', host]),
    ];
    for (const path of keys) {
      const id = path.join('\0');
      const earlier = firstSeen.get(id);
      if (!earlier) {
        firstSeen.set(id, policy);
        continue;
      }
      const what = path[0] === 'hosts' ? `host "${path[1] ?? ''}"` : `"${path[0] ?? ''}"`;
      problems.push({
        file: policy.file,
        path,
        position: policy.yaml.positionOf(path),
        summary: `${what} is also defined in ${where(earlier, path)}`,
        detail: 'In a policy directory, each host and each of timezone, defaults and healthcheck may be defined in one file only.',
      });
    }
  }
  return problems;
}
