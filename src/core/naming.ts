// Archive file names: building snapctl's own and recognising everything in a backup directory.
import type { Archive, Compression, OtherFile, Volume } from './model.js';

export const SIDECAR_SUFFIX = '.sha256';
export const PARTIAL_SUFFIX = '.partial';

export function compressionExtension(_c: Compression): '' | '.zst' | '.gz' | '.xz' {
  throw new Error('not implemented');
}

export function archiveName(_host: string, _volume: string, _ms: number, _compression: Compression): string {
  throw new Error('not implemented');
}

export function classifyBackupDir(
  _files: readonly string[],
  _host: string,
  _volumes: readonly Volume[],
  _timeZone: string,
): { archives: Archive[]; others: OtherFile[] } {
  throw new Error('not implemented');
}
