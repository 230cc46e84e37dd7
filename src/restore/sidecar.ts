// Reads an archive's `.sha256` sidecar (`sha256sum` format: hash, two
// spaces, file name; or the BSD tag format `SHA256 (name) = hash` of
// `sha256sum --tag` and the BSDs' sha256, which `sha256sum -c` reads too)
// and compares it with a computed hash.
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
  const hash = /^([0-9a-fA-F]{64})[ \t]/.exec(text)?.[1] ?? /^SHA256 \(.*\) = ([0-9a-fA-F]{64})\s*$/m.exec(text)?.[1];
  return hash !== undefined ? { kind: 'present', sha256: hash.toLowerCase() } : { kind: 'malformed', reason: `${path} holds no sha256 hash (expected "<hash>  <name>" or "SHA256 (<name>) = <hash>")` };
}

/** The checksum verdict for verify-status.ts: undefined when there is no sidecar. */
export function checksumVerdict(sidecar: Sidecar, actual: string | undefined): 'match' | 'mismatch' | 'bad-sidecar' | undefined {
  if (sidecar.kind === 'absent') return undefined;
  if (sidecar.kind === 'malformed') return 'bad-sidecar';
  return sidecar.sha256 === actual ? 'match' : 'mismatch';
}
