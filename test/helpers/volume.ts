// A normalised Volume for tests that need one but care about few of its fields.
import type { Source, Volume } from '../../src/core/model.js';

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
