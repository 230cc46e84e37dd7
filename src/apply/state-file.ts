// What apply remembers between runs, per volume: the last run's result and
// the last successful one (status and the metrics file read it). A missing
// file is a fresh host; a corrupt one is an error that says how to recover,
// never silently reset (that would hide a failing backup from status).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SnapctlError } from '../core/errors.js';
import { writeFileAtomic } from './fs-durable.js';
import { makeDirs } from '../adapters/make-dirs.js';

export const DEFAULT_STATE_DIR = '/var/lib/snapctl';
export const STATE_FILE_NAME = 'state.json';
export const STATE_VERSION = 1;

export type RunResult = 'ok' | 'failed' | 'skipped';

export interface VolumeRun {
  /** When this volume's part of the run began, ISO 8601 UTC. */
  readonly startedAt: string;
  /** When it ended (after its archive and deletions), ISO 8601 UTC; in `lastOk`, when its archive was complete. */
  readonly finishedAt: string;
  /** 'failed' whenever something failed, also after its archive was written (a deletion, the snapshot release). */
  readonly result: RunResult;
  /** Why it failed or was skipped (one line). */
  readonly message?: string;
  /** File name of the archive written, when one was (a failed run may have written one). */
  readonly archive?: string;
  /** When that archive was complete under its final name, ISO 8601 UTC (not in `lastOk`: its finishedAt is this). */
  readonly archivedAt?: string;
  /** Size of that archive in bytes. */
  readonly bytes?: number;
  readonly durationMs?: number;
  /** Highest COW usage of the snapshot seen (0–100), LVM classic snapshots only. */
  readonly snapshotPeakPercent?: number;
}

export interface VolumeState {
  readonly last: VolumeRun;
  /**
   * The last successful archive: the last run that wrote one, with result
   * 'ok' and without the message of a step that failed after it (may be
   * `last` itself).
   */
  readonly lastOk?: VolumeRun;
  /** Runs with result 'failed' since the state file was created (a Prometheus counter). */
  readonly failures?: number;
}

export interface RunState {
  readonly version: typeof STATE_VERSION;
  /** Keyed by volume name. */
  readonly volumes: Readonly<Record<string, VolumeState>>;
  /**
   * Host directories (<backupDir>/<host>) applies on this machine have written
   * archives into, most recent first, at most MAX_ARCHIVE_DIRS: one of them
   * missing later is a file system not mounted, not a first run.
   */
  readonly archiveDirs?: readonly string[];
}

const MAX_ARCHIVE_DIRS = 16;

export function emptyState(): RunState {
  return { version: STATE_VERSION, volumes: {} };
}

export function stateFilePath(dir: string = DEFAULT_STATE_DIR): string {
  return join(dir, STATE_FILE_NAME);
}

/** The state after `volume` ran: `last` is replaced, `lastOk` only by a run that wrote an archive, `failures` counts failed runs. */
export function recordRun(state: RunState, volume: string, run: VolumeRun): RunState {
  const previous = state.volumes[volume];
  const lastOk = run.archive !== undefined ? archiveRecord(run) : previous?.lastOk;
  const failures = (previous?.failures ?? 0) + (run.result === 'failed' ? 1 : 0);
  const entry: VolumeState = { last: run, ...(lastOk ? { lastOk } : {}), ...(failures > 0 ? { failures } : {}) };
  return { ...state, version: STATE_VERSION, volumes: { ...state.volumes, [volume]: entry } };
}

/**
 * A run that wrote an archive, as its successful archive: finished when the
 * archive was complete (not after the deletions that followed), and what
 * failed after it (a deletion, the release) is the run's, not the archive's.
 */
function archiveRecord(run: VolumeRun): VolumeRun {
  const { message: _failedLater, archivedAt, ...archived } = run;
  return { ...archived, result: 'ok', finishedAt: archivedAt ?? run.finishedAt };
}

/** The state with `dir` first among the directories archives were written into. */
export function recordArchiveDir(state: RunState, dir: string): RunState {
  const archiveDirs = [dir, ...(state.archiveDirs ?? []).filter((d) => d !== dir)].slice(0, MAX_ARCHIVE_DIRS);
  return { ...state, archiveDirs };
}

/**
 * Whether applies on this machine have written archives into `dir` (its
 * state says so). An unreadable or corrupt state counts as no: this only
 * guards against writing into an unmounted directory, and apply reports the
 * state's problem itself.
 */
export async function wroteArchivesTo(dir: string, stateDir: string = DEFAULT_STATE_DIR): Promise<boolean> {
  const state = await readState(stateDir).catch(() => undefined);
  return state?.archiveDirs?.includes(dir) === true;
}

/** Read the state; a missing file (or directory) is the empty state. */
export async function readState(dir: string = DEFAULT_STATE_DIR): Promise<RunState> {
  const file = stateFilePath(dir);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyState();
    throw new SnapctlError('operation', `cannot read the state file ${file}: ${(err as Error).message}`);
  }
  return parseState(text, file);
}

/** Write the whole state atomically (creating the directory). */
export async function writeState(state: RunState, dir: string = DEFAULT_STATE_DIR): Promise<void> {
  makeDirs(dir, 0o755);
  await writeFileAtomic(stateFilePath(dir), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o644 });
}

/** The state with these volumes' runs recorded (and the directory archives went to, if any did). */
export function recordRunsIn(state: RunState, runs: Readonly<Record<string, VolumeRun>>, archiveDir?: string): RunState {
  let next = state;
  for (const [volume, run] of Object.entries(runs)) next = recordRun(next, volume, run);
  return archiveDir !== undefined ? recordArchiveDir(next, archiveDir) : next;
}

/** Parse and check the file's JSON; throws SnapctlError('input') naming what is wrong and where. */
export function parseState(text: string, file: string): RunState {
  const corrupt = (why: string): SnapctlError =>
    new SnapctlError('input', `state file ${file} is corrupt: ${why}`, 'move it aside; apply writes a fresh one on its next run (status then knows only runs from then on)');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw corrupt(`not JSON (${(err as Error).message})`);
  }
  if (!isObject(doc)) throw corrupt('expected a JSON object');
  if (typeof doc.version === 'number' && doc.version > STATE_VERSION) {
    throw new SnapctlError('input', `state file ${file} was written by a newer snapctl (version ${doc.version}; this one reads ${STATE_VERSION})`);
  }
  if (doc.version !== STATE_VERSION) throw corrupt(`"version" must be ${STATE_VERSION}`);
  if (!isObject(doc.volumes)) throw corrupt('"volumes" must be an object');
  const volumes: Record<string, VolumeState> = {};
  for (const [name, value] of Object.entries(doc.volumes)) {
    if (!isObject(value)) throw corrupt(`volumes.${name} must be an object`);
    const last = checkRun(value.last, `volumes.${name}.last`, corrupt);
    const f = value.failures;
    if (f !== undefined && (typeof f !== 'number' || !Number.isSafeInteger(f) || f < 0)) throw corrupt(`volumes.${name}.failures must be a non-negative integer`);
    volumes[name] = {
      last,
      ...(value.lastOk !== undefined ? { lastOk: checkRun(value.lastOk, `volumes.${name}.lastOk`, corrupt) } : {}),
      ...(typeof f === 'number' && f > 0 ? { failures: f } : {}),
    };
  }
  const dirs = doc.archiveDirs;
  if (dirs !== undefined && (!Array.isArray(dirs) || !dirs.every((d) => typeof d === 'string'))) throw corrupt('"archiveDirs" must be a list of strings');
  return dirs === undefined ? { version: STATE_VERSION, volumes } : { version: STATE_VERSION, volumes, archiveDirs: dirs };
}

function checkRun(value: unknown, at: string, corrupt: (why: string) => SnapctlError): VolumeRun {
  if (!isObject(value)) throw corrupt(`${at} must be an object`);
  for (const key of ['startedAt', 'finishedAt', 'archivedAt'] as const) {
    const v = value[key];
    if (key === 'archivedAt' && v === undefined) continue;
    if (typeof v !== 'string' || Number.isNaN(Date.parse(v))) throw corrupt(`${at}.${key} must be an ISO date string`);
  }
  if (value.result !== 'ok' && value.result !== 'failed' && value.result !== 'skipped') throw corrupt(`${at}.result must be "ok", "failed" or "skipped"`);
  for (const key of ['message', 'archive'] as const) {
    if (value[key] !== undefined && typeof value[key] !== 'string') throw corrupt(`${at}.${key} must be a string`);
  }
  for (const key of ['bytes', 'durationMs', 'snapshotPeakPercent'] as const) {
    const v = value[key];
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v < 0)) throw corrupt(`${at}.${key} must be a non-negative number`);
  }
  // Rebuilt field by field so unknown keys are dropped and the type is exact.
  const run: { -readonly [K in keyof VolumeRun]: VolumeRun[K] } = {
    startedAt: value.startedAt as string,
    finishedAt: value.finishedAt as string,
    result: value.result,
  };
  if (typeof value.message === 'string') run.message = value.message;
  if (typeof value.archive === 'string') run.archive = value.archive;
  if (typeof value.archivedAt === 'string') run.archivedAt = value.archivedAt;
  if (typeof value.bytes === 'number') run.bytes = value.bytes;
  if (typeof value.durationMs === 'number') run.durationMs = value.durationMs;
  if (typeof value.snapshotPeakPercent === 'number') run.snapshotPeakPercent = value.snapshotPeakPercent;
  return run;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
