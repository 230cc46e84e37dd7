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
  if (sidecar.kind === 'absent' && !deep) {
    // Nothing to compare with and no listing asked for: do not read the file.
    const bytes = await stat(path).then((s) => s.size, () => 0);
    return { volume: archive.volume, file: archive.file, status: 'unverifiable', bytes, detail: `no ${archive.file}.sha256 sidecar`, durationMs: clock() - started };
  }
  let scan;
  try {
    scan = await scanArchive(path, archive.compression, { hash: sidecar.kind !== 'absent', list: deep ? 'check' : 'none' });
  } catch (err) {
    // One archive that cannot be read (a failing disk, permissions) must not stop the check of the others.
    if (!(err instanceof SnapctlError)) throw err;
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
