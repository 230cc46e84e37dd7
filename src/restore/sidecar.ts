// Reads an archive's `.sha256` sidecar (`sha256sum` format: hash, two
// spaces, file name) and compares it with a computed hash.
import { readFile } from 'node:fs/promises';
import { SIDECAR_SUFFIX } from '../core/naming.js';

export type Sidecar =
  | { readonly kind: 'absent' }
  | { readonly kind: 'present'; readonly sha256: string }
  | { readonly kind: 'malformed'; readonly reason: string };

export async function readSidecar(archivePath: string): Promise<Sidecar> {
  const path = archivePath + SIDECAR_SUFFIX;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'absent' };
    return { kind: 'malformed', reason: `cannot read ${path}: ${code ?? String(err)}` };
  }
  const m = /^([0-9a-fA-F]{64})[ \t]/.exec(text);
  return m ? { kind: 'present', sha256: m[1]!.toLowerCase() } : { kind: 'malformed', reason: `${path} does not start with a sha256 hash` };
}

/** The checksum verdict for verify-status.ts: undefined when there is no sidecar. */
export function checksumVerdict(sidecar: Sidecar, actual: string | undefined): 'match' | 'mismatch' | 'bad-sidecar' | undefined {
  if (sidecar.kind === 'absent') return undefined;
  if (sidecar.kind === 'malformed') return 'bad-sidecar';
  return sidecar.sha256 === actual ? 'match' : 'mismatch';
}
