// Pure parsers for LVM's JSON reports and stderr messages. Kept apart from
// the adapter that runs the commands so they can be tested on captured real
// outputs (fixtures/lvm/) without device-mapper.
import type { LogicalVolume, VolumeGroup } from '../core/model.js';

/**
 * The fields snapctl asks `lvs` for. The VG fields repeat on each LV's row
 * (vg_size makes `N%VG` sizes computable): one report, one scan of the
 * devices, gives the LVs and the VGs that hold them. A VG without any LV has
 * no row: snapctl has nothing to snapshot in it.
 */
export const LVS_FIELDS = 'lv_name,vg_name,lv_path,lv_attr,lv_size,origin,snap_percent,data_percent,metadata_percent,pool_lv,lv_dm_path,lv_tags,vg_free,vg_extent_size,vg_size';

type Row = Record<string, unknown>;

/** Thrown when a report is not the JSON LVM prints (a different lvm2, a wrapper script). */
export class LvmReportError extends Error {
  override readonly name = 'LvmReportError';
}

// LVM's own output units: lowercase are powers of 1024 (`200.00m`), what
// `lvs` prints without `--units b`; tolerated so a human-unit report still parses.
const OUTPUT_UNITS: Record<string, number> = { b: 1, s: 512, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50, e: 2 ** 60 };

/** "545259520B", "545259520", "200.00m" → bytes; "" → undefined. */
export function parseReportBytes(text: string): number | undefined {
  const m = /^\s*<?(\d+(?:\.\d+)?)\s*([bBsSkKmMgGtTpPeE]?)\s*$/.exec(text);
  if (!m) return undefined;
  const unit = (m[2] ?? '').toLowerCase() || 'b';
  return Math.round(Number(m[1]) * (OUTPUT_UNITS[unit] ?? 1));
}

/** "0.06" → 0.06; "" → undefined. */
export function parsePercent(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)%?\s*$/.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** `lv_tags`: a comma-separated string in `--reportformat json`, an array in `json_std`. */
export function parseTags(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((t): t is string => typeof t === 'string' && t !== '');
  if (typeof value !== 'string') return [];
  return value.split(',').map((t) => t.trim()).filter((t) => t !== '');
}

function str(row: Row, key: string): string {
  const v = row[key];
  return typeof v === 'string' ? v : '';
}

/** The rows of `report[0][kind]` (LVM prints one report object per command). */
function reportRows(stdout: string, kind: 'vg' | 'lv'): Row[] {
  let doc: unknown;
  // Tolerates stray lines around the report (a warning some lvm2 builds print on stdout).
  const start = stdout.indexOf('{');
  const end = stdout.lastIndexOf('}');
  try {
    doc = JSON.parse(start >= 0 && end > start ? stdout.slice(start, end + 1) : stdout);
  } catch (e) {
    throw new LvmReportError(`${kind}s report is not JSON: ${(e as Error).message}`);
  }
  const reports = (doc as { report?: unknown }).report;
  if (!Array.isArray(reports)) throw new LvmReportError(`${kind}s report has no "report" list`);
  const rows: Row[] = [];
  for (const report of reports as unknown[]) {
    const list = (report as Record<string, unknown> | null)?.[kind];
    if (!Array.isArray(list)) continue;
    for (const row of list as unknown[]) if (row && typeof row === 'object') rows.push(row as Row);
  }
  return rows;
}

/** A `vgs` report (the captures in fixtures/lvm/; snapctl itself reads VGs from the rows of lvs). */
export function parseVgs(stdout: string): VolumeGroup[] {
  return reportRows(stdout, 'vg').map(vgOf);
}

function vgOf(row: Row): VolumeGroup {
  const size = parseReportBytes(str(row, 'vg_size'));
  return {
    name: str(row, 'vg_name'),
    freeBytes: parseReportBytes(str(row, 'vg_free')) ?? 0,
    extentBytes: parseReportBytes(str(row, 'vg_extent_size')) ?? 0,
    ...(size !== undefined ? { sizeBytes: size } : {}),
  };
}

/** Escapes a VG/LV name the way device-mapper names do (`-` doubled). */
export function dmName(vg: string, lv: string): string {
  return `${vg.replace(/-/g, '--')}-${lv.replace(/-/g, '--')}`;
}

export function parseLvs(stdout: string): LogicalVolume[] {
  return reportRows(stdout, 'lv').map(lvOf);
}

/** An `lvs` report with LVS_FIELDS: the LVs, and the VGs their rows describe (each once, in report order). */
export interface LvsReport {
  readonly lvs: LogicalVolume[];
  /** The VGs that hold an LV; none from rows without vg_free and vg_extent_size. */
  readonly vgs: VolumeGroup[];
}

export function parseLvsReport(stdout: string): LvsReport {
  const rows = reportRows(stdout, 'lv');
  const vgs = new Map<string, VolumeGroup>();
  for (const row of rows) {
    const name = str(row, 'vg_name');
    if (name !== '' && !vgs.has(name) && str(row, 'vg_free') !== '' && str(row, 'vg_extent_size') !== '') vgs.set(name, vgOf(row));
  }
  return { lvs: rows.map(lvOf), vgs: [...vgs.values()] };
}

function lvOf(row: Row): LogicalVolume {
  const vg = str(row, 'vg_name');
  const name = str(row, 'lv_name');
  // Classic snapshots report fill in snap_percent, thin LVs in data_percent.
  const percent = parsePercent(str(row, 'snap_percent')) ?? parsePercent(str(row, 'data_percent'));
  const metadataPercent = parsePercent(str(row, 'metadata_percent'));
  return {
    vg,
    name,
    attr: str(row, 'lv_attr'),
    sizeBytes: parseReportBytes(str(row, 'lv_size')) ?? 0,
    origin: str(row, 'origin'),
    ...(metadataPercent !== undefined ? { metadataPercent } : {}),
    ...(percent !== undefined ? { percent } : {}),
    tags: parseTags(row['lv_tags']),
    path: str(row, 'lv_path') || (vg && name ? `/dev/${vg}/${name}` : ''),
    dmPath: str(row, 'lv_dm_path') || (vg && name ? `/dev/mapper/${dmName(vg, name)}` : ''),
    pool: str(row, 'pool_lv'),
  };
}

/** What an LVM command's failure means, read from its stderr. */
export type LvmFailure =
  | { readonly kind: 'vg-not-found'; readonly vg: string; readonly message: string }
  | { readonly kind: 'lv-not-found'; readonly lv: string; readonly message: string }
  | { readonly kind: 'insufficient-space'; readonly vg: string; readonly freeExtents: number; readonly requiredExtents: number; readonly message: string }
  | { readonly kind: 'already-exists'; readonly lv: string; readonly message: string }
  | { readonly kind: 'in-use'; readonly lv: string; readonly message: string }
  | { readonly kind: 'size-required'; readonly message: string }
  | { readonly kind: 'other'; readonly message: string };

/** stderr without LVM's indentation, blank lines and WARNING lines (thin pool over-provisioning etc.). */
export function errorLines(stderr: string): string[] {
  return stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^WARNING:/.test(l));
}

const PATTERNS: readonly ((line: string) => LvmFailure | undefined)[] = [
  (l) => {
    const m = /^Volume group "([^"]+)" has insufficient free space \((\d+) extents\): (\d+) required\./.exec(l);
    return m ? { kind: 'insufficient-space', vg: m[1]!, freeExtents: Number(m[2]), requiredExtents: Number(m[3]), message: l } : undefined;
  },
  (l) => {
    const m = /^Volume group "([^"]+)" not found/.exec(l);
    return m ? { kind: 'vg-not-found', vg: m[1]!, message: l } : undefined;
  },
  (l) => {
    const m = /^Snapshot origin LV (\S+) not found in Volume group (\S+?)\.?$/.exec(l);
    return m ? { kind: 'lv-not-found', lv: `${m[2]}/${m[1]}`, message: l } : undefined;
  },
  (l) => {
    const m = /^Failed to find logical volume "([^"]+)"/.exec(l);
    return m ? { kind: 'lv-not-found', lv: m[1]!, message: l } : undefined;
  },
  (l) => {
    const m = /^Logical [Vv]olume "([^"]+)" already exists in volume group "([^"]+)"/.exec(l);
    return m ? { kind: 'already-exists', lv: `${m[2]}/${m[1]}`, message: l } : undefined;
  },
  (l) => {
    const m = /^Logical volume (\S+) contains a filesystem in use\./.exec(l) ?? /^Logical volume (\S+) in use\./.exec(l) ?? /^Can't remove open logical volume "([^"]+)"/.exec(l);
    return m ? { kind: 'in-use', lv: m[1]!, message: l } : undefined;
  },
  (l) => (/^Please specify either size or extents with snapshots\./.test(l) ? { kind: 'size-required', message: l } : undefined),
];

/** Classifies a failed LVM command by its stderr (the first line that matches a known message). */
export function classifyLvmError(stderr: string): LvmFailure {
  const lines = errorLines(stderr);
  for (const line of lines) {
    for (const pattern of PATTERNS) {
      const failure = pattern(line);
      if (failure) return failure;
    }
  }
  return { kind: 'other', message: lines.join('\n') };
}

/** The state of one snapshot from `lvs -o lv_attr,snap_percent,data_percent,lv_snapshot_invalid`. */
export function parseSnapshotState(stdout: string): { attr: string; percent?: number; invalid: boolean } | undefined {
  const row = reportRows(stdout, 'lv')[0];
  if (!row) return undefined;
  const attr = str(row, 'lv_attr');
  const classic = attr.startsWith('s');
  const percent = parsePercent(str(row, 'snap_percent')) ?? parsePercent(str(row, 'data_percent'));
  // Only a COW snapshot overflows; a thin snapshot at 100% is merely fully
  // rewritten, and a full pool fails the origin's writes, not the snapshot.
  // lvs reports lv_snapshot_invalid as "unknown" for thin LVs: only a COW
  // snapshot's "snapshot invalid" counts.
  const flag = str(row, 'lv_snapshot_invalid');
  const invalid = attr.charAt(4) === 'I' || (classic && flag !== '' && flag !== 'unknown') || (classic && percent !== undefined && percent >= 100);
  return { attr, ...(percent !== undefined ? { percent } : {}), invalid };
}
