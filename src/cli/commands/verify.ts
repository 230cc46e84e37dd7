// snapctl verify: every archive of the host's volumes against its sidecar
// (and with --deep, decompressed and listed to the end); the exit code says
// whether anything is damaged or merely unverifiable.
import { counted } from '../../core/describe.js';
import { SnapctlError } from '../../core/errors.js';
import { verifyOutcome } from '../../core/verify-status.js';
import { formatBytes } from '../../core/snapshot-size.js';
import { readInventory } from '../../restore/inventory.js';
import { verifyInOrder, type VerifyResult } from '../../restore/verify.js';
import { EXIT } from '../exit-codes.js';
import { loadContext } from '../policy-context.js';
import { COMMON_OPTIONS, TARGET_OPTIONS, parseCommandLine, type OptionTable } from '../options.js';

export const HELP = `NAME
    snapctl verify - check archives against their checksums

SYNOPSIS
    snapctl verify --policy FILE|DIR [--volume NAME] [--deep] [--json]
                   [--host NAME] [--backup-dir DIR]

DESCRIPTION
    Checks every archive of the host's policy volumes in <backupDir>/<host>/
    (snapctl's own and adopted py_snap ones), newest first. Each archive is
    read once, streamed through sha256 and compared with its .sha256
    sidecar; with --deep the same read also feeds "<decompressor> | tar -t",
    which must reach the end of the archive. Each archive is reported as:
      ok            the checksum matches (and with --deep it lists to the end)
      corrupt       the checksum differs from the sidecar (or the sidecar is
                    unreadable or malformed)
      truncated     the checksum matches or there is no sidecar, but it does
                    not decompress or list as tar to the end (--deep only)
      unverifiable  no sidecar to check against (py_snap wrote none); with
                    --deep it did list to the end
      unreadable    the file could not be read (an I/O error, permissions);
                    the others are still checked
      deleted       the archive was gone when its turn came (an apply
                    pruned it meanwhile): reported, not counted as damage
    An archive whose sidecar was rewritten after it was cut short passes the
    checksum; only --deep finds it.

    Up to 4 archives are checked at once (small ones are mostly waiting on
    the file system), but never two of 64 MiB or more: a disk is read in
    long runs. Lines still come out newest first.

OPTIONS
    --policy FILE|DIR
        The policy naming the host's volumes and backup directory (required).
    --volume NAME
        Only this volume's archives.
    --deep
        Also decompress and list every archive as tar to the end.
    --json
        Print one JSON document: {"archives": [...], "summary": {...}}.
    --host NAME
        Verify this host's archives (default: this machine's hostname).
    --backup-dir DIR
        Look in DIR/<host>/ instead of the policy's backupDir.
    -h, --help
        Show this help.

EXIT STATUS
    0   every archive is ok (or the directory holds none)
    1   bad flags or policy, a backup directory that is missing or
        unreadable
    2   at least one archive is corrupt, truncated or unreadable
    3   none is damaged, but some are unverifiable (no sidecar)
`;

/** The options this command accepts (see parseCommandLine); the help test checks that --help documents each. */
export const OPTIONS = {
  ...TARGET_OPTIONS,
  volume: { type: 'string' },
  deep: { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
  ...COMMON_OPTIONS,
} as const satisfies OptionTable;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(argv, OPTIONS, HELP);
  if (parsed === undefined) return EXIT.ok;
  const { values } = parsed;
  const ctx = await loadContext({ policy: values.policy, host: values.host, backupDir: values['backup-dir'], now: undefined });
  const inv = await readInventory(ctx.policy, values.volume);
  // Nothing to check is not "all good": a backup file system that is not mounted looks just like this.
  if (!inv.exists) throw new SnapctlError('operation', `${inv.dir} does not exist: no archive to verify`, 'is the backup file system mounted? (before the first apply, there is nothing to verify yet)');
  const started = performance.now();
  const results = await verifyInOrder(inv.dir, inv.archives, values.deep, (r) => {
    if (!values.json) process.stdout.write(renderLine(r));
  });
  const seconds = (performance.now() - started) / 1000;
  const outcome = verifyOutcome(results.map((r) => r.status));
  const counts = { ok: 0, corrupt: 0, truncated: 0, unverifiable: 0, unreadable: 0, deleted: 0 };
  for (const r of results) counts[r.status]++;
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ host: ctx.policy.host, dir: inv.dir, deep: values.deep, archives: results, summary: { ...counts, outcome } }, null, 2)}\n`);
  } else {
    const bytes = results.reduce((s, r) => s + r.bytes, 0);
    process.stdout.write(
      `${counted(results.length, 'archive')} in ${inv.dir} (${formatBytes(bytes)} in ${seconds.toFixed(1)} s${values.deep ? ', deep' : ''}): ` +
        `${counts.ok} ok, ${counts.corrupt} corrupt, ${counts.truncated} truncated, ${counts.unverifiable} unverifiable` +
        `${counts.unreadable > 0 ? `, ${counts.unreadable} unreadable` : ''}${counts.deleted > 0 ? `, ${counts.deleted} deleted meanwhile` : ''}\n`,
    );
  }
  return outcome === 'damaged' ? EXIT.damaged : outcome === 'unverifiable' ? EXIT.unverifiable : EXIT.ok;
}

function renderLine(r: VerifyResult): string {
  return `${r.status.padEnd(12)} ${r.file}${r.detail !== undefined ? `: ${r.detail}` : ''}\n`;
}
