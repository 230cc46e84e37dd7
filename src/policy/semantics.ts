// Checks the schema cannot express: time zones exist, durations are above
// zero and within bounds, schedules are whole minutes, host globs are well
// formed, a mount root is a directory of its own, excludes leave something
// to archive. Runs on what the schema accepted of a document (all of it, when
// it is valid).
import type { VolumeDefaults, VolumeDocument } from './policy-document.generated.js';
import type { AcceptedDocument } from './accepted-parts.js';
import { excludesEverything } from '../core/exclude.js';
import { mountRootProblem } from '../core/lvm-leftovers.js';
import { hostNameProblem } from '../core/naming.js';
import { isValidTimeZone, MINUTE_MS } from '../core/time.js';
import { parseDuration } from './duration.js';
import { DEFAULTS } from './resolve.js';
import { globToRegExp, isGlob } from './host-glob.js';
import type { SchemaIssue } from './schema-errors.js';
import type { PathSegment } from './problem.js';

export function checkSemantics(doc: AcceptedDocument): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  if (doc.timezone !== undefined && !isValidTimeZone(doc.timezone)) {
    issues.push({ path: ['timezone'], summary: `unknown time zone "${doc.timezone}"`, detail: 'Expected an IANA time zone name such as Europe/Berlin, America/New_York or UTC.' });
  }
  if (doc.defaults) issues.push(...durationIssues(['defaults'], doc.defaults), ...hookIssues(['defaults'], doc.defaults), ...excludeIssues(['defaults'], doc.defaults));
  for (const [hostKey, host] of Object.entries(doc.hosts ?? {})) {
    if (!host) continue;
    if (isGlob(hostKey) && !globToRegExp(hostKey)) {
      issues.push({ path: ['hosts', hostKey], summary: `malformed host glob "${hostKey}"`, detail: 'A [ must be closed by ] and enclose at least one character.' });
    }
    const nameProblem = isGlob(hostKey) ? undefined : hostNameProblem(hostKey);
    if (nameProblem !== undefined) issues.push({ path: ['hosts', hostKey], summary: `invalid host name "${hostKey}": ${nameProblem}` });
    const rootProblem = host.mountRoot !== undefined ? mountRootProblem(host.mountRoot, host.backupDir ?? DEFAULTS.backupDir) : undefined;
    if (rootProblem !== undefined) issues.push({ path: ['hosts', hostKey, 'mountRoot'], summary: `cannot be used: ${rootProblem}` });
    for (const [name, volume] of Object.entries(host.volumes ?? {})) {
      if (!volume) continue;
      const base = ['hosts', hostKey, 'volumes', name];
      issues.push(...durationIssues(base, volume), ...hookIssues(base, volume), ...excludeIssues(base, volume));
    }
  }
  return issues;
}

/** An exclude pattern that would leave out the whole volume (`.*` matches the root, "."). */
function excludeIssues(base: readonly PathSegment[], settings: VolumeDefaults | VolumeDocument): SchemaIssue[] {
  return (settings.exclude ?? []).flatMap((pattern, i): SchemaIssue[] => {
    const why = excludesEverything(pattern);
    return why === undefined ? [] : [{ path: [...base, 'exclude', i], summary: `"${pattern}" would leave out the whole volume: ${why}` }];
  });
}

/**
 * Why an absolute exclude under the volume's own directory `root`
 * (`/var/lib/docker` for `path: /var/lib`) is refused: written as a path on
 * the host, but patterns start at the volume root, so tar would look for
 * ./var/lib/docker and archive ./docker. `./var/lib/docker` still says "that
 * path inside the volume". `inherited`: the volume that takes the pattern
 * from defaults. undefined when the pattern is fine. Checked in load.ts, where
 * defaults from another file of a policy directory are merged in.
 */
export function hostPathExclude(pattern: string, root: string, inherited?: string): { summary: string; detail: string } | undefined {
  const dir = root.replace(/\/+$/, '');
  if (dir === '' || !pattern.startsWith(`${dir}/`)) return undefined;
  const inside = pattern.slice(dir.length);
  return {
    summary: `"${pattern}" is a path under ${inherited === undefined ? "the volume's own directory" : `the directory of volume ${inherited}`}, ${dir}, but exclude patterns start at the volume root: tar would look for .${pattern} and archive .${inside}`,
    detail: `Write "${inside}" to leave out ${pattern}; or ".${pattern}" if it means ${pattern.slice(1)} inside the volume.`,
  };
}

/** A hook whose program name is empty: the schema takes any list of strings. */
function hookIssues(base: readonly PathSegment[], settings: VolumeDefaults | VolumeDocument): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  for (const phase of ['preSnapshot', 'postSnapshot'] as const) {
    (settings.hooks?.[phase] ?? []).forEach((argv, i) => {
      if (argv[0] !== undefined && argv[0].trim() === '') issues.push({ path: [...base, 'hooks', phase, i, 0], summary: 'expected a program name, found an empty string' });
    });
  }
  return issues;
}

interface Longest {
  readonly ms: number;
  readonly text: string;
}
/** Longer than any backup period or retention means anything: 100 years. */
const CENTURY: Longest = { ms: 5218 * 7 * 24 * 3600_000, text: '5218w (100 years)' };
/** A hook's timer is a node timer, which holds at most 2^31-1 ms (24 days 20 hours). */
const LONGEST_HOOK: Longest = { ms: 24 * 24 * 3600_000, text: '24d' };

/** Durations of zero, and those longer than their field can mean (or than node can count). */
function durationIssues(base: readonly PathSegment[], settings: VolumeDefaults | VolumeDocument): SchemaIssue[] {
  const fields: [PathSegment[], string | undefined, Longest][] = [
    [['schedule', 'every'], typeof settings.schedule === 'object' ? settings.schedule.every : undefined, CENTURY],
    [['retention', 'keepWithin'], settings.retention?.keepWithin, CENTURY],
    [['hooks', 'timeout'], settings.hooks?.timeout, LONGEST_HOOK],
  ];
  const issues: SchemaIssue[] = [];
  for (const [path, text, longest] of fields) {
    if (text === undefined) continue;
    const ms = parseDuration(text);
    if (ms === 0) issues.push({ path: [...base, ...path], summary: `expected a duration above zero, found "${text}"` });
    if (ms === undefined || ms > longest.ms) issues.push({ path: [...base, ...path], summary: `expected a duration of at most ${longest.text}, found "${text}"` });
  }
  const every = typeof settings.schedule === 'object' ? settings.schedule.every : undefined;
  const everyMs = every === undefined ? undefined : parseDuration(every);
  if (everyMs !== undefined && everyMs > 0 && everyMs % MINUTE_MS !== 0) {
    issues.push({
      path: [...base, 'schedule', 'every'],
      summary: `expected a whole number of minutes, found "${every ?? ''}"`,
      detail: 'apply runs from a timer or cron at most once a minute, and periods start on the minute: use 1m or more, in whole minutes.',
    });
  }
  return issues;
}
