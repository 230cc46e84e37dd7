// snapctl list: the host's archives, newest first, with what retention and
// the next apply would do to each (by running the planner).
import { counted } from '../../core/describe.js';
import { plan as computePlan } from '../../core/plan.js';
import { inventoryRows, type InventoryRow } from '../../core/inventory-list.js';
import { formatBytes } from '../../core/snapshot-size.js';
import { archivesOnly, checkVolume, readInventory, sizes } from '../../restore/inventory.js';
import { EXIT } from '../exit-codes.js';
import { loadContext } from '../policy-context.js';
import { COMMON_OPTIONS, TARGET_OPTIONS, parseCommandLine, type OptionTable } from '../options.js';

export const HELP = `NAME
    snapctl list - the archives of a host, and what the next apply deletes

SYNOPSIS
    snapctl list --policy FILE|DIR [--volume NAME] [--json] [--now TIME]
                 [--host NAME] [--backup-dir DIR]

DESCRIPTION
    Lists the archives of the host's policy volumes in <backupDir>/<host>/
    (snapctl's own and adopted py_snap ones), newest first: volume, time,
    age, size, format (snapctl or legacy), whether the .sha256 sidecar is
    there, and the retention rules keeping it. Archives the next apply would
    delete (the planner's delete actions, as \`snapctl plan\` shows them) are
    marked "delete next". Reads names and sizes only; changes nothing.

OPTIONS
    --policy FILE|DIR
        The policy (required).
    --volume NAME
        Only this volume's archives.
    --json
        Print one JSON document: {"host", "dir", "now", "archives": [{volume,
        file, time, ageMs, age, sizeBytes, format, compression, sidecar,
        keptBy, deleteNext, deleteReason?}]}.
    --now TIME
        Compute ages and the next deletions as if it were TIME (ISO-8601;
        without a zone in the policy's timezone).
    --host NAME
        List this host's archives (default: this machine's hostname).
    --backup-dir DIR
        Look in DIR/<host>/ instead of the policy's backupDir.
    -h, --help
        Show this help.

EXIT STATUS
    0   listed (also when there are no archives)
    1   bad flags or policy, unreadable backup directory
`;

/** The options this command accepts (see parseCommandLine); the help test checks that --help documents each. */
export const OPTIONS = {
  ...TARGET_OPTIONS,
  volume: { type: 'string' },
  now: { type: 'string' },
  json: { type: 'boolean', default: false },
  ...COMMON_OPTIONS,
} as const satisfies OptionTable;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(argv, OPTIONS, HELP);
  if (parsed === undefined) return EXIT.ok;
  const { values } = parsed;
  const ctx = await loadContext({ policy: values.policy, host: values.host, backupDir: values['backup-dir'], now: values.now });
  checkVolume(ctx.policy, values.volume);
  // Retention runs per volume, but plan over all of them: the same plan apply would make.
  const inv = await readInventory(ctx.policy);
  const planned = computePlan(ctx.policy, archivesOnly(inv), ctx.now);
  const archives = values.volume === undefined ? inv.archives : inv.archives.filter((a) => a.volume === values.volume);
  const sized = await sizes(inv.dir, archives.map((a) => a.file));
  const rows = inventoryRows(archives, planned, (f) => sized.get(f), ctx.now);
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ host: ctx.policy.host, dir: inv.dir, now: new Date(ctx.now).toISOString(), archives: rows }, null, 2)}\n`);
  } else {
    process.stdout.write(inv.exists ? renderRows(inv.dir, rows) : `no archives: ${inv.dir} does not exist\n`);
  }
  return EXIT.ok;
}

function renderRows(dir: string, rows: readonly InventoryRow[]): string {
  if (rows.length === 0) return `no archives in ${dir}\n`;
  const table = rows.map((r) => [
    r.volume,
    r.file,
    r.age,
    r.sizeBytes === null ? '?' : formatBytes(r.sizeBytes),
    r.format,
    r.sidecar ? 'sha256' : 'no sidecar',
    r.deleteNext ? 'DELETE NEXT' : `kept: ${r.keptBy.join(', ')}`,
  ]);
  const head = ['VOLUME', 'ARCHIVE', 'AGE', 'SIZE', 'FORMAT', 'SIDECAR', 'RETENTION'];
  // Loops, not Math.max(...column) or [...lines]: spreading 100,000 rows as arguments overflows the stack.
  const widths = head.map((h) => h.length);
  for (const row of table) for (let i = 0; i < row.length; i++) widths[i] = Math.max(widths[i]!, row[i]!.length);
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  const lines = [line(head)];
  let deletes = 0;
  for (let i = 0; i < table.length; i++) {
    lines.push(line(table[i]!));
    if (rows[i]!.deleteNext) deletes++;
  }
  return `${lines.join('\n')}\n\n${counted(rows.length, 'archive')} in ${dir}; the next apply deletes ${deletes}\n`;
}
