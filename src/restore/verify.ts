// verify: each archive read once, hashed against its sidecar and, with
// deep, decompressed and listed as tar to the end on the way.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Archive } from '../core/model.js';
import { verifyStatus, type VerifyStatus } from '../core/verify-status.js';
import { SnapctlError } from '../core/errors.js';
import { scanArchive } from './scan.js';
import { checksumVerdict, readSidecar } from './sidecar.js';

export interface VerifyResult {
  readonly volume: string;
  readonly file: string;
  readonly status: VerifyStatus;
  readonly bytes: number;
  /** The computed hash (undefined when the file was only listed). */
  readonly sha256?: string;
  /** What is wrong, for anything but ok. */
  readonly detail?: string;
  readonly durationMs: number;
}

/** Verifies one archive in `dir`; never throws for a damaged archive, only reports it. */
export async function verifyArchive(dir: string, archive: Archive, deep: boolean, clock: () => number = () => performance.now()): Promise<VerifyResult> {
  const started = clock();
  const path = join(dir, archive.file);
  const sidecar = await readSidecar(path);
  // A long verify and an hourly apply overlap: what apply pruned meanwhile is gone, not damaged.
  const deleted = (): VerifyResult => ({ volume: archive.volume, file: archive.file, status: 'deleted', bytes: 0, detail: 'deleted while verify ran (pruned by apply?)', durationMs: clock() - started });
  if (sidecar.kind === 'absent' && !deep) {
    // Nothing to compare with and no listing asked for: do not read the file.
    const bytes = await stat(path).then((s) => s.size, (err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? undefined : 0));
    if (bytes === undefined) return deleted();
    return { volume: archive.volume, file: archive.file, status: 'unverifiable', bytes, detail: `no ${archive.file}.sha256 sidecar`, durationMs: clock() - started };
  }
  let scan;
  try {
    scan = await scanArchive(path, archive.compression, { hash: sidecar.kind !== 'absent', list: deep ? 'check' : 'none' });
  } catch (err) {
    // One archive that cannot be read (a failing disk, permissions) must not stop the check of the others.
    if (!(err instanceof SnapctlError)) throw err;
    if (await stat(path).then(() => false, (e: NodeJS.ErrnoException) => e.code === 'ENOENT')) return deleted();
    return { volume: archive.volume, file: archive.file, status: 'unreadable', bytes: 0, detail: err.summary, durationMs: clock() - started };
  }
  const verdict = checksumVerdict(sidecar, scan.sha256);
  // A mismatch already condemns the archive; a listing failure then adds nothing.
  const status = verifyStatus(verdict, deep ? scan.listFailure === undefined : undefined);
  const detail =
    status === 'corrupt'
      ? sidecar.kind === 'malformed'
        ? sidecar.reason
        : `sha256 ${scan.sha256 ?? '?'} differs from the sidecar's ${sidecar.kind === 'present' ? sidecar.sha256 : '?'}`
      : status === 'truncated'
        ? `does not decompress and list to the end: ${scan.listFailure ?? ''}`
        : status === 'unverifiable'
          ? `no ${archive.file}.sha256 sidecar${deep ? ' (lists fine as tar)' : ''}`
          : undefined;
  return {
    volume: archive.volume,
    file: archive.file,
    status,
    bytes: scan.bytes,
    ...(scan.sha256 !== undefined ? { sha256: scan.sha256 } : {}),
    ...(detail !== undefined ? { detail } : {}),
    durationMs: clock() - started,
  };
}

/**
 * Archives checked at once. A small archive is mostly waiting: opening and
 * reading it and its sidecar are a dozen trips to node's thread pool, so
 * one at a time a long history of small archives took ~0.8 ms each.
 */
const AT_ONCE = 4;
/** An archive at least this large is read while no other large one is: one disk, read in long runs. */
const LARGE_BYTES = 64 * 1024 * 1024;

export interface VerifyScheduling {
  readonly atOnce: number;
  readonly largeBytes: number;
  /** The size of a file, 0 when it cannot be read (the check then says why). */
  readonly size: (path: string) => Promise<number>;
  readonly check: (dir: string, archive: Archive, deep: boolean) => Promise<VerifyResult>;
}

const SCHEDULING: VerifyScheduling = {
  atOnce: AT_ONCE,
  largeBytes: LARGE_BYTES,
  size: (path) => stat(path).then((s) => s.size, () => 0),
  check: (dir, archive, deep) => verifyArchive(dir, archive, deep),
};

/**
 * verifyArchive over `archives`, a few at a time, at most one large one.
 * `onResult` sees the results in the order of `archives` (the first as soon
 * as it is known, each next one once those before it are), and so does the
 * returned list.
 */
export async function verifyInOrder(
  dir: string,
  archives: readonly Archive[],
  deep: boolean,
  onResult: (r: VerifyResult) => void,
  how: VerifyScheduling = SCHEDULING,
): Promise<VerifyResult[]> {
  const results: (VerifyResult | undefined)[] = new Array<VerifyResult | undefined>(archives.length);
  let next = 0;
  let shown = 0;
  /** Settles when the large archive being read (if any) is done. */
  let large: Promise<void> = Promise.resolve();
  const one = async (i: number): Promise<void> => {
    const archive = archives[i] as Archive;
    if ((await how.size(join(dir, archive.file))) >= how.largeBytes) {
      const before = large;
      let done = (): void => undefined;
      large = new Promise<void>((resolve) => {
        done = resolve;
      });
      await before;
      try {
        results[i] = await how.check(dir, archive, deep);
      } finally {
        done();
      }
    } else {
      results[i] = await how.check(dir, archive, deep);
    }
    for (; shown < results.length && results[shown] !== undefined; shown++) onResult(results[shown] as VerifyResult);
  };
  // A check that throws (a bug, not a damaged archive) ends the run: the other lanes start nothing new.
  let failed = false;
  const lane = async (): Promise<void> => {
    try {
      while (!failed && next < archives.length) await one(next++);
    } catch (err) {
      failed = true;
      throw err;
    }
  };
  await Promise.all(Array.from({ length: Math.min(how.atOnce, archives.length) }, lane));
  return results as VerifyResult[];
}
