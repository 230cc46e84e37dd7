// snapctl restore: pick an archive (a file, or a volume's newest / at a time),
// verify it, extract it safely into an empty directory, strip lock files.
import { readdir } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { counted } from '../../core/describe.js';
import { SnapctlError } from '../../core/errors.js';
import type { Compression, HostPolicy } from '../../core/model.js';
import { classifyBackupDir } from '../../core/naming.js';
import { compressionOfFile, parseInstant, pickArchive } from '../../core/restore-check.js';
import { quoteName } from '../../core/tar-listing.js';
import { formatBytes } from '../../core/snapshot-size.js';
import { checkVolume, readInventory } from '../../restore/inventory.js';
import { partialRestoreNote, restoreArchive, type RestoreResult } from '../../restore/restore.js';
import { withInterrupts, INTERRUPT_EXIT } from '../../apply/interrupt.js';
import { EXIT } from '../exit-codes.js';
import { loadContext } from '../policy-context.js';
import { COMMON_OPTIONS, TARGET_OPTIONS, parseCommandLine, type OptionTable } from '../options.js';

export const HELP = `NAME
    snapctl restore - verify an archive and extract it into a directory

SYNOPSIS
    snapctl restore ARCHIVE --to DIR [--strip-locks [--policy P [--volume NAME]]] [--force]
    snapctl restore --volume NAME --policy P [--at TIME] --to DIR [--strip-locks] [--force]
    snapctl restore ARCHIVE|--volume NAME ... --list

DESCRIPTION
    Restores one archive, snapctl's own or one py_snap left behind. The
    archive is ARCHIVE (a path to the file), or with --volume the newest
    archive of that volume in <backupDir>/<host>/ (with --at TIME: the newest
    one taken at or before TIME). When that archive is damaged, the error
    names the next older one and the --at that restores it.

    Before writing anything, restore reads the archive once and
      - checks its sha256 against the <archive>.sha256 sidecar and refuses a
        mismatch (an archive without a sidecar, as py_snap wrote them, is
        restored with a warning);
      - lists it as tar to the end (a truncated archive is refused);
      - refuses the whole archive if any member could be written outside DIR:
        absolute names, ".." components, names (or hard-link targets) that
        lead through a symlink the archive itself creates, or through a hard
        link to one.
    GNU tar's own protections stay on as a second line (no --absolute-names).

    It then runs "<decompressor> < ARCHIVE | tar -x" into DIR, keeping owners
    (by number), permissions, xattrs and ACLs (and SELinux labels where
    SELinux is enabled). DIR must not exist or be empty, unless --force.
    py_snap archives hold everything under one top-level directory (the base
    name of its -m mount point, snap_backup/ by default): restore detects it
    and strips it, so DIR receives the volume's contents either way.

    With --strip-locks, files matching the volume's lockFiles patterns in the
    policy (e.g. mongod.lock) are removed after extraction, so the service
    starts cleanly from the restored copy. Patterns are relative to the
    volume root; * and ? stay within one path component, ** spans any number.

    It prints the archive, whether it was verified, the number of files and
    their bytes, and the lock files removed.

OPTIONS
    ARCHIVE
        Path of the archive file (.tar, .tar.zst, .tar.gz, .tgz, .tar.xz).
    --volume NAME
        Restore the newest archive of this policy volume (needs --policy).
        With ARCHIVE: the volume whose lockFiles --strip-locks uses.
    --at TIME
        With --volume: the newest archive taken at or before TIME, in
        ISO-8601: with a zone (2026-11-26T03:00:00Z, 2026-11-26T04:00+01:00)
        that instant; without one (2026-11-26T04:00) wall-clock time in the
        policy's timezone; a date alone (2026-11-26) that whole day there.
    --to DIR
        Where to extract (required unless --list). Created if missing.
    --strip-locks
        Remove the volume's lockFiles after extraction (needs --policy).
    --force
        Extract into a non-empty DIR, replacing files the archive holds.
        Whatever DIR already contains (including symlinks) is trusted.
    --list
        Verify and list the members (mode, owner, size, name) on stdout;
        extract nothing. Names are quoted as \`tar -tv --quoting-style=c\`
        quotes them ("a\\nb"; bytes that are no UTF-8, as in a Latin-1 name,
        as octal: "caf\\351"), UTF-8 characters shown as they are. Which
        archive was listed, and whether its checksum was verified, goes to
        stderr.
    --policy FILE|DIR
        The policy (for --volume and --strip-locks).
    --host NAME
        The host whose archives to look at (default: this machine's hostname).
    --backup-dir DIR
        Look in DIR/<host>/ instead of the policy's backupDir.
    -h, --help
        Show this help.

EXIT STATUS
    0   restored (or listed)
    1   nothing written: bad flags or policy, no such archive, DIR not
        empty, checksum mismatch, truncated or unsafe archive; or the
        extraction itself failed (DIR may then hold a partial restore)
    129 130 143
        interrupted by SIGHUP, SIGINT or SIGTERM: tar and the decompressor
        are stopped before restore exits. It says whether extraction had
        begun (DIR may then hold a partial restore) or nothing was written
        (what DIR held, with --force, is as it was)
`;

interface Chosen {
  readonly path: string;
  readonly compression: Compression;
  readonly volume?: string;
}

/** The volume an archive file belongs to by its name, when the policy knows it. */
function volumeOfFile(policy: HostPolicy, file: string): string | undefined {
  return classifyBackupDir([file], policy.host, policy.volumes, policy.timezone).archives[0]?.volume;
}

/** The options this command accepts (see parseCommandLine); the help test checks that --help documents each. */
export const OPTIONS = {
  ...TARGET_OPTIONS,
  volume: { type: 'string' },
  at: { type: 'string' },
  to: { type: 'string' },
  'strip-locks': { type: 'boolean', default: false },
  force: { type: 'boolean', default: false },
  list: { type: 'boolean', default: false },
  ...COMMON_OPTIONS,
} as const satisfies OptionTable;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(argv, OPTIONS, HELP, true);
  if (parsed === undefined) return EXIT.ok;
  const { values, positionals } = parsed;
  if (positionals.length > 1) throw new SnapctlError('input', `one ARCHIVE at a time (got ${positionals.length})`);
  const file = positionals[0];
  if (file === undefined && values.volume === undefined) throw new SnapctlError('input', 'which archive? give ARCHIVE or --volume NAME');
  if (values.to === undefined && !values.list) throw new SnapctlError('input', '--to DIR is required', 'the directory to restore into (new or empty); or --list to only list the contents');
  if (values.at !== undefined && file !== undefined) throw new SnapctlError('input', '--at picks among a volume\'s archives: use it with --volume, not with ARCHIVE');

  const needsPolicy = file === undefined || values['strip-locks'];
  if (needsPolicy && values.policy === undefined) {
    throw new SnapctlError('input', `${file === undefined ? '--volume' : '--strip-locks'} needs --policy FILE|DIR`, 'the policy names the volumes, their backup directory and their lockFiles');
  }
  const ctx = values.policy === undefined ? undefined : await loadContext({ policy: values.policy, host: values.host, backupDir: values['backup-dir'], now: undefined });

  let chosen: Chosen;
  /** With --volume: how to restore the archive before the chosen one, should the chosen one be unusable. */
  let fallback: string | undefined;
  if (file !== undefined) {
    const compression = compressionOfFile(file);
    if (compression === undefined) throw new SnapctlError('input', `${file}: not an archive name (.tar, .tar.zst, .tar.gz, .tgz, .tar.xz)`);
    if (ctx) checkVolume(ctx.policy, values.volume);
    const volume = values.volume ?? (ctx ? volumeOfFile(ctx.policy, basename(file)) : undefined);
    chosen = { path: resolve(file), compression, ...(volume !== undefined ? { volume } : {}) };
  } else {
    const volume = values.volume!;
    const at = values.at === undefined ? undefined : parseInstant(values.at, ctx!.policy.timezone);
    if (values.at !== undefined && at === undefined) {
      throw new SnapctlError('input', `--at: "${values.at}" is not an ISO-8601 date or time`, 'expected e.g. 2026-11-26T03:00:00Z, 2026-11-26T04:00+01:00, 2026-11-26T04:00 (in the policy\'s timezone) or 2026-11-26 (that whole day)');
    }
    const inv = await readInventory(ctx!.policy, volume);
    const archive = pickArchive(inv.archives, volume, at?.ms);
    if (archive === undefined) {
      const when = at === undefined ? '' : ` at or before ${values.at}${at.meaning === undefined ? '' : ` (${at.meaning})`}`;
      throw new SnapctlError('input', `no archive of volume "${volume}"${when} in ${inv.dir}`);
    }
    chosen = { path: resolve(inv.dir, archive.file), compression: archive.compression, volume };
    const older = pickArchive(
      inv.archives.filter((a) => a !== archive),
      volume,
      archive.time,
    );
    if (older !== undefined) {
      const at = new Date(older.time).toISOString().replace('.000Z', 'Z');
      fallback = `The next older archive of volume "${volume}" is ${older.file}: restore it with --at ${at}`;
    }
  }

  let lockFiles: readonly string[] = [];
  if (values['strip-locks']) {
    const vol = ctx!.policy.volumes.find((v) => v.name === chosen.volume);
    if (vol === undefined) throw new SnapctlError('input', `--strip-locks: which volume is ${basename(chosen.path)}? pass --volume NAME`, 'its name is not one of the policy\'s archive names for this host');
    lockFiles = vol.lockFiles;
  }

  const target = values.to === undefined ? '' : resolve(values.to);
  /** Set once extraction began: how many entries the target held before it. */
  let extracting: number | undefined;
  const onExtract = (earlier: number): void => {
    extracting = earlier;
  };
  const outcome = await withInterrupts(
    (signal) =>
      restoreArchive({ archive: chosen.path, compression: chosen.compression, target, force: values.force, listOnly: values.list, lockFiles, signal, onExtract }).catch((err: unknown) => {
        // The archive itself is unusable (corrupt, truncated, unsafe): say which one to try next.
        if (fallback === undefined || !(err instanceof SnapctlError) || err.kind !== 'preflight') throw err;
        throw new SnapctlError(err.kind, err.summary, err.detail === undefined ? fallback : `${err.detail}\n${fallback}`);
      }),
    { stopping: 'stopping tar and the decompressor' },
  );
  if (outcome.interrupted !== undefined) {
    process.stderr.write(`restore interrupted by ${outcome.interrupted}${await leftBehind(target, extracting)}\n`);
    return INTERRUPT_EXIT[outcome.interrupted];
  }
  const result = outcome.result!;
  if (result.checksum === 'absent') {
    process.stderr.write(`warning: ${chosen.path} has no ${basename(chosen.path)}.sha256 sidecar (a py_snap archive?): not verified by checksum, only read as tar to the end\n`);
  }
  if (values.list) {
    // Which archive it was (--volume, --at chose it) and its verdict, apart from the member lines.
    process.stderr.write(`listed ${chosen.path}: ${result.checksum === 'match' ? 'checksum verified against its .sha256 sidecar' : 'no sidecar (not verified)'}; ${counted(result.files, 'file')}, ${formatBytes(result.bytes)}, ${counted(result.members.length, 'entry', 'entries')}\n`);
    process.stdout.write(renderList(result));
  } else {
    process.stdout.write(renderRestored(chosen.path, target, result, values['strip-locks']));
  }
  return EXIT.ok;
}

/**
 * What an interrupted restore left in the target, after "restore interrupted
 * by SIGINT". Before extraction began nothing was written: what the target
 * holds (with --force) is what it held. After, a target that was empty holds
 * only what tar wrote; one that was not holds the user's files among it.
 */
async function leftBehind(target: string, extracting: number | undefined): Promise<string> {
  const entries = target === '' ? 0 : await readdir(target).then((e) => e.length, () => 0);
  if (extracting === undefined) {
    return entries > 0 ? ` before extracting: nothing was written; the existing contents of ${target} were left as they were` : ' before extracting: nothing was written';
  }
  if (extracting > 0) return ` while extracting: ${partialRestoreNote(target, extracting)}; restore again with --force to complete it`;
  return entries > 0 ? ` while extracting: ${target} holds a partial restore; remove it, or restore again with --force` : ' as extraction began: nothing was extracted';
}

function renderList(r: RestoreResult): string {
  return r.members
    .map((m) => {
      const link = m.link !== undefined ? ` ${m.type === 'symlink' ? '->' : 'link to'} ${m.shown?.link ?? quoteName(m.link)}` : '';
      return `${m.mode} ${m.owner} ${String(m.size).padStart(12)} ${m.shown?.name ?? quoteName(m.name)}${link}\n`;
    })
    .join('');
}

function renderRestored(archive: string, target: string, r: RestoreResult, stripLocks: boolean): string {
  const lines = [
    `restored ${archive}`,
    `  into ${target}`,
    `  checksum: ${r.checksum === 'match' ? 'verified against its .sha256 sidecar' : 'no sidecar (not verified)'}`,
    `  ${counted(r.files, 'file')}, ${formatBytes(r.bytes)}, ${counted(r.members.length, 'entry', 'entries')}`,
  ];
  if (r.stripped !== undefined) lines.push(`  stripped the py_snap top-level directory ${r.stripped}/`);
  if (stripLocks) lines.push(r.removedLocks.length > 0 ? `  removed lock files: ${r.removedLocks.join(', ')}` : '  no lock files found');
  return `${lines.join('\n')}\n`;
}

