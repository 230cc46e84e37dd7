// Resolves a loaded policy for one host: picks the host key (exact name, else
// the most specific glob), merges `defaults` under each volume (a volume's key
// replaces the default's value wholesale), applies snapctl's own defaults and
// converts durations, giving the HostPolicy that plan and apply work on.
import { resolve as resolvePath } from 'node:path';
import { SnapctlError } from '../core/errors.js';
import { checkHostName } from '../core/naming.js';
import { mountRootProblem } from '../core/lvm-leftovers.js';
import type { Compression, HostPolicy, LegacyLeftovers, Retention, Schedule, Source, Volume } from '../core/model.js';
import { isUtcZone } from '../core/time.js';
import { systemZone } from '../adapters/system-zone.js';
import type { EverySchedule, HostDocument, PolicyDocument, Retention as RetentionDocument, VolumeDefaults, VolumeDocument } from './policy-document.generated.js';
import { parseDuration } from './duration.js';
import { isGlob, matchHost } from './host-glob.js';
import type { LoadedPolicy, PolicyFile } from './load.js';

export const DEFAULTS = {
  backupDir: '/backup',
  mountRoot: '/run/snapctl',
  compression: 'zstd' as Compression,
  schedule: 'daily' as const,
  snapshotSize: '10%ORIGIN',
  hookTimeoutMs: 5 * 60_000,
} as const;

export interface ResolveOverrides {
  /** --backup-dir: replaces every backupDir; a relative path is taken from the working directory. */
  readonly backupDir?: string;
  /**
   * The zone used when the policy sets no `timezone`, a name the zone
   * database knows (default: the system's configured zone, read only then;
   * never the TZ environment variable: see systemZone).
   */
  readonly systemTimezone?: string;
}

export function resolveHost(loaded: LoadedPolicy, hostname: string, overrides: ResolveOverrides = {}): HostPolicy {
  checkHostName(hostname);
  const hosts = new Map<string, { host: HostDocument; file: PolicyFile }>();
  for (const file of loaded.documents) {
    for (const [key, host] of Object.entries(file.document.hosts)) if (host) hosts.set(key, { host, file });
  }
  const keys = [...hosts.keys()];
  const match = matchHost(keys, hostname);
  const policyName = loaded.documents.length === 1 ? (loaded.documents[0]?.file ?? '') : loaded.documents.map((d) => d.file).join(', ');
  if (match.kind === 'none') {
    const near = nearHostKey(keys, hostname);
    const hint = near === undefined ? '' : ` "${near}" differs only in ${near.toLowerCase() === hostname.toLowerCase() ? 'case' : 'the domain'}: pass --host ${near} (archives are named after it), or rename the key.`;
    throw new SnapctlError('input', `no host key in the policy matches "${hostname}"`, `Host keys: ${keys.join(', ')}.${hint || ' Add the host to the policy, or pass --host NAME.'}`, { file: policyName });
  }
  if (match.kind === 'ambiguous') {
    const [a, b] = match.keys;
    throw new SnapctlError('input', `host "${hostname}" matches two globs equally: "${a}" and "${b}"`, 'Add an exact entry for the host, or make one glob more specific.', { file: policyName });
  }
  const entry = hosts.get(match.key);
  if (!entry) throw new Error(`matched host key ${match.key} vanished`);
  const top = topLevel(loaded.documents.map((d) => d.document));
  const volumes = Object.entries(entry.host.volumes).flatMap(([name, doc]) => (doc ? [resolveVolume(name, doc, top.defaults ?? {}, hostname)] : []));
  const policy: HostPolicy = {
    host: hostname,
    matchedBy: match.key,
    backupDir: overrides.backupDir !== undefined ? resolvePath(overrides.backupDir) : (entry.host.backupDir ?? DEFAULTS.backupDir),
    timezone: canonicalZone(top.timezone ?? overrides.systemTimezone ?? systemZone()),
    mountRoot: entry.host.mountRoot ?? DEFAULTS.mountRoot,
    volumes,
  };
  // The policy's own pair was checked with the document; --backup-dir may still point inside the mount root.
  const rootProblem = mountRootProblem(policy.mountRoot, policy.backupDir);
  if (rootProblem !== undefined) throw new SnapctlError('input', `mountRoot ${policy.mountRoot} of host ${hostname} cannot be used: ${rootProblem}`, 'pass another --backup-dir, or set mountRoot', { file: policyName });
  return top.healthcheck !== undefined ? { ...policy, healthcheck: top.healthcheck } : policy;
}

/**
 * A host key that names this machine in other words: the same name in
 * another case (DB01, db01), or the short name of a fully qualified one
 * (db01 for db01.example.com, and the other way round). Matching stays
 * exact, because the host name is part of every archive's name.
 */
function nearHostKey(keys: readonly string[], hostname: string): string | undefined {
  const short = (name: string): string => name.toLowerCase().split('.')[0] ?? '';
  return keys.find((k) => k.toLowerCase() === hostname.toLowerCase()) ?? keys.find((k) => !isGlob(k) && short(k) === short(hostname));
}

/** The zone as the time zone database spells it ("utc" → "UTC", "Etc/UTC" → "UTC", "europe/berlin" → "Europe/Berlin"); load() or systemZone() checked that it exists. */
function canonicalZone(zone: string): string {
  // Intl's first use loads ICU's zone data (~15 ms, ~7 MB of every run): not for UTC, which needs none.
  if (isUtcZone(zone)) return 'UTC';
  return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
}

// timezone, defaults and healthcheck: load() guarantees each is set in at most one file.
function topLevel(docs: readonly PolicyDocument[]): Pick<PolicyDocument, 'timezone' | 'defaults' | 'healthcheck'> {
  const out: { timezone?: string; defaults?: VolumeDefaults; healthcheck?: string } = {};
  for (const doc of docs) {
    if (doc.timezone !== undefined) out.timezone = doc.timezone;
    if (doc.defaults !== undefined) out.defaults = doc.defaults;
    if (doc.healthcheck !== undefined) out.healthcheck = doc.healthcheck;
  }
  return out;
}

export function resolveVolume(name: string, doc: VolumeDocument, defaults: VolumeDefaults, host: string): Volume {
  const pick = <K extends keyof VolumeDefaults>(key: K): VolumeDefaults[K] => (doc[key] !== undefined ? doc[key] : defaults[key]);
  const source = toSource(doc);
  const hooks = pick('hooks') ?? {};
  const origin = doc.mount ?? (source.kind === 'path' ? source.path : undefined);
  const compressionLevel = pick('compressionLevel');
  const healthcheck = pick('healthcheck');
  const allowEmpty = pick('allowEmpty');
  return {
    name,
    source,
    ...(doc.mount !== undefined ? { mount: doc.mount } : {}),
    schedule: toSchedule(pick('schedule') ?? DEFAULTS.schedule),
    retention: toRetention(pick('retention') ?? {}),
    compression: pick('compression') ?? DEFAULTS.compression,
    ...(compressionLevel !== undefined ? { compressionLevel } : {}),
    snapshotSize: pick('snapshot')?.size ?? DEFAULTS.snapshotSize,
    exclude: pick('exclude') ?? [],
    hooks: {
      preSnapshot: hooks.preSnapshot ?? [],
      postSnapshot: hooks.postSnapshot ?? [],
      timeoutMs: hooks.timeout !== undefined ? durationMs(hooks.timeout) : DEFAULTS.hookTimeoutMs,
    },
    lockFiles: pick('lockFiles') ?? [],
    ...(allowEmpty === true ? { allowEmpty } : {}),
    ...(origin !== undefined ? { legacyPrefix: legacyPrefix(host, origin) } : {}),
    ...(healthcheck !== undefined ? { healthcheck } : {}),
    ...(doc.legacy !== undefined ? { legacy: toLegacy(doc.legacy) } : {}),
  };
}

/** The schedule of every volume of every host in the policy (defaults applied): what `schedule` sizes the timer for. */
export function allSchedules(loaded: LoadedPolicy): Schedule[] {
  const defaults = topLevel(loaded.documents.map((d) => d.document)).defaults ?? {};
  return loaded.documents.flatMap((d) =>
    Object.values(d.document.hosts).flatMap((host) => Object.values(host?.volumes ?? {}).map((v) => toSchedule(v?.schedule ?? defaults.schedule ?? DEFAULTS.schedule))),
  );
}

/** py_snap's archive name prefix: `<host><mount with every / replaced by _>` (`db01` + `/data` → `db01_data`). */
export function legacyPrefix(host: string, mount: string): string {
  return `${host}${mount.replace(/\//g, '_')}`;
}

function toSource(doc: VolumeDocument): Source {
  if (doc.lvm !== undefined) {
    const [vg = '', lv = ''] = doc.lvm.split('/');
    return { kind: 'lvm', vg, lv };
  }
  if (doc.btrfs !== undefined) return { kind: 'btrfs', subvolume: doc.btrfs };
  if (doc.path !== undefined) return { kind: 'path', path: doc.path };
  throw new Error('volume without a source passed validation');
}

function toSchedule(schedule: 'hourly' | 'daily' | 'weekly' | 'monthly' | EverySchedule): Schedule {
  return typeof schedule === 'string' ? { kind: schedule } : { kind: 'every', ms: durationMs(schedule.every) };
}

function toRetention(doc: RetentionDocument): Retention {
  return {
    ...(doc.keepLast !== undefined ? { last: doc.keepLast } : {}),
    ...(doc.keepHourly !== undefined ? { hourly: doc.keepHourly } : {}),
    ...(doc.keepDaily !== undefined ? { daily: doc.keepDaily } : {}),
    ...(doc.keepWeekly !== undefined ? { weekly: doc.keepWeekly } : {}),
    ...(doc.keepMonthly !== undefined ? { monthly: doc.keepMonthly } : {}),
    ...(doc.keepYearly !== undefined ? { yearly: doc.keepYearly } : {}),
    ...(doc.keepWithin !== undefined ? { withinMs: durationMs(doc.keepWithin), withinText: doc.keepWithin } : {}),
  };
}

function toLegacy(doc: NonNullable<VolumeDocument['legacy']>): LegacyLeftovers {
  const [vg = '', lv = ''] = doc.snapshot?.split('/') ?? [];
  return {
    ...(doc.snapshot !== undefined ? { snapshot: { vg, lv } } : {}),
    ...(doc.mountPoint !== undefined ? { mountPoint: doc.mountPoint } : {}),
    cleanup: doc.cleanup ?? false,
  };
}

function durationMs(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new Error(`duration ${text} passed validation but does not parse`);
  return ms;
}
