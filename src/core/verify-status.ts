// What verify concludes about each archive, and the one exit status for a run.

/**
 * - ok: the sha256 matches the sidecar (and, with --deep, it decompresses and lists to the end);
 * - corrupt: the sha256 differs from the sidecar, or the sidecar is unreadable or malformed;
 * - truncated: the sha256 matches (or there is no sidecar) but it does not decompress or list to the end;
 * - unverifiable: no sidecar to check against (py_snap's archives), and nothing else found wrong;
 * - unreadable: the archive file could not be read (an I/O error, permissions, not a file);
 * - deleted: the archive was gone by the time verify came to it (pruned by an apply meanwhile).
 */
export type VerifyStatus = 'ok' | 'corrupt' | 'truncated' | 'unverifiable' | 'unreadable' | 'deleted';

/** The status from the two checks: the checksum (undefined: no sidecar) and the deep listing (undefined: not run). */
export function verifyStatus(checksum: 'match' | 'mismatch' | 'bad-sidecar' | undefined, deepOk: boolean | undefined): VerifyStatus {
  if (checksum === 'mismatch' || checksum === 'bad-sidecar') return 'corrupt';
  if (deepOk === false) return 'truncated';
  return checksum === undefined ? 'unverifiable' : 'ok';
}

/** The worst status wins: damaged (corrupt, truncated or unreadable) over unverifiable over ok; an archive deleted meanwhile is none of them. */
export function verifyOutcome(statuses: readonly VerifyStatus[]): 'ok' | 'damaged' | 'unverifiable' {
  if (statuses.some((s) => s === 'corrupt' || s === 'truncated' || s === 'unreadable')) return 'damaged';
  return statuses.includes('unverifiable') ? 'unverifiable' : 'ok';
}
