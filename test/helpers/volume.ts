// A normalised Volume for tests that need one but care about few of its fields.
import type { HostPolicy, Source, Volume } from '../../src/core/model.js';

/** daily, no retention rules, zstd, 10%ORIGIN, no excludes, hooks or lock files, unless overridden. */
export function testVolume(name: string, source: Source, overrides: Partial<Volume> = {}): Volume {
  return {
    name,
    source,
    schedule: { kind: 'daily' },
    retention: {},
    compression: 'zstd',
    snapshotSize: '10%ORIGIN',
    exclude: [],
    hooks: { preSnapshot: [], postSnapshot: [], timeoutMs: 60_000 },
    lockFiles: [],
    ...overrides,
  };
}

/** Host h1 in UTC, archives under `<dir>/backup/h1`, snapshots mounted under `<dir>/run`. */
export function testHostPolicy(dir: string, volumes: readonly Volume[]): HostPolicy {
  return { host: 'h1', matchedBy: 'h1', backupDir: `${dir}/backup`, timezone: 'UTC', mountRoot: `${dir}/run`, volumes };
}
