// The size of a classic (COW) snapshot, from the policy's `snapshot.size` in
// lvcreate's -L/-l syntax. snapctl computes the bytes itself and passes
// `-L <bytes>b`, because lvcreate silently shrinks `%ORIGIN`/`%FREE` sizes
// and oversized COW areas instead of failing, and checks free space itself
// so the error can name both numbers.

export type SnapshotSize =
  | { readonly kind: 'bytes'; readonly bytes: number }
  | { readonly kind: 'percent'; readonly percent: number; readonly of: 'ORIGIN' | 'FREE' | 'VG' };

export type SizeResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

// lvcreate's input units: both cases are powers of 1024 (unlike the output
// `--units`, where capitals mean powers of 1000); `s` is a 512-byte sector.
const INPUT_UNITS: Record<string, number> = { b: 1, s: 512, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50, e: 2 ** 60 };

const SYNTAX = 'expected a size like 2G, 512M, 1.5g, 4096s or a percentage like 10%ORIGIN, 50%FREE, 100%VG';

/** Parses `10%ORIGIN`, `50%FREE`, `100%VG`, `2G`, `512M`, `1.5g`, `4096s`, `1048576b`. */
export function parseSnapshotSize(text: string): SizeResult<SnapshotSize> {
  const t = text.trim();
  const pct = /^(\d+(?:\.\d+)?)%(ORIGIN|FREE|VG)$/i.exec(t);
  if (pct) {
    const percent = Number(pct[1]);
    const of = pct[2]!.toUpperCase() as 'ORIGIN' | 'FREE' | 'VG';
    if (!(percent > 0 && percent <= 100)) return { ok: false, error: `snapshot size "${text}": the percentage must be above 0 and at most 100` };
    return { ok: true, value: { kind: 'percent', percent, of } };
  }
  const abs = /^(\d+(?:\.\d+)?)([bBsSkKmMgGtTpPeE])$/.exec(t);
  if (abs) {
    const bytes = Math.ceil(Number(abs[1]) * INPUT_UNITS[abs[2]!.toLowerCase()]!);
    if (!(bytes > 0)) return { ok: false, error: `snapshot size "${text}" must be above 0` };
    return { ok: true, value: { kind: 'bytes', bytes } };
  }
  // A bare number means MiB to `-L` but extents to `-l`: too easy to get wrong.
  if (/^\d+(?:\.\d+)?$/.test(t)) return { ok: false, error: `snapshot size "${text}" has no unit: ${SYNTAX}` };
  return { ok: false, error: `snapshot size "${text}" is not understood: ${SYNTAX}` };
}

export interface SizeBasis {
  readonly originBytes: number;
  readonly vgFreeBytes: number;
  /** Total VG size; only `N%VG` needs it. */
  readonly vgSizeBytes?: number;
  readonly extentBytes: number;
}

/** Bytes for the snapshot, rounded up to whole extents (as lvcreate does), at least one extent. */
export function snapshotBytes(size: SnapshotSize, basis: SizeBasis): SizeResult<number> {
  let raw: number;
  if (size.kind === 'bytes') raw = size.bytes;
  else if (size.of === 'ORIGIN') raw = (basis.originBytes * size.percent) / 100;
  else if (size.of === 'FREE') raw = (basis.vgFreeBytes * size.percent) / 100;
  else if (basis.vgSizeBytes === undefined) return { ok: false, error: 'the volume group size is unknown, so a %VG snapshot size cannot be computed' };
  else raw = (basis.vgSizeBytes * size.percent) / 100;
  const extent = basis.extentBytes > 0 ? basis.extentBytes : 1;
  return { ok: true, value: Math.max(1, Math.ceil(raw / extent)) * extent };
}

const HUMAN = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

/** 16777216 → "16.0 MiB" (one decimal, powers of 1024, like LVM's own messages). */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < HUMAN.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(1)} ${HUMAN[unit]}`;
}

export interface FreeSpaceCheck {
  readonly vg: string;
  /** The origin, as VG/LV. */
  readonly origin: string;
  readonly needBytes: number;
  readonly freeBytes: number;
  readonly extentBytes: number;
}

/** undefined when the snapshot fits, else the message naming free and needed space. */
export function checkFreeSpace(c: FreeSpaceCheck): string | undefined {
  if (c.needBytes <= c.freeBytes) return undefined;
  const extents = c.extentBytes > 0 ? Math.ceil(c.needBytes / c.extentBytes) : 0;
  return (
    `volume group ${c.vg} has ${formatBytes(c.freeBytes)} (${c.freeBytes} bytes) free, ` +
    `the snapshot of ${c.origin} needs ${formatBytes(c.needBytes)} (${c.needBytes} bytes, ` +
    `${extents} extents of ${formatBytes(c.extentBytes)})`
  );
}
