// Restores one archive into a directory: checksum and member list first
// (one read), refuse anything unsafe or damaged before writing a byte, then
// `decompressor < archive | tar -x` into the target, then the lock files.
import { spawn, type ChildProcess } from 'node:child_process';
import { open, lstat, readdir, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Compression } from '../core/model.js';
import { counted } from '../core/describe.js';
import { SnapctlError } from '../core/errors.js';
import { archiveLayout, lockFileMembers, unsafeMembers } from '../core/restore-check.js';
import type { TarMember } from '../core/tar-listing.js';
import { decompressArgv } from '../apply/compressors.js';
import { probeTar, type TarCapabilities } from '../apply/tar-command.js';
import { describeExit, watchChild } from '../adapters/run-tool.js';
import { scanArchive } from './scan.js';
import { checksumVerdict, readSidecar, type Sidecar } from './sidecar.js';
import { makeDirs } from '../adapters/make-dirs.js';

export interface RestoreRequest {
  /** Path of the archive file. */
  readonly archive: string;
  readonly compression: Compression;
  /** Target directory: must not exist or be empty (unless force). Unused with listOnly. */
  readonly target: string;
  readonly force: boolean;
  /** Only check and list the members; extract nothing. */
  readonly listOnly: boolean;
  /** lockFiles globs to delete after extraction (restore --strip-locks); empty: none. */
  readonly lockFiles: readonly string[];
  /**
   * Aborting it stops the read or the extraction: the children are stopped
   * and waited for (they must not go on writing after restore has exited),
   * and restoreArchive rejects with the signal's reason.
   */
  readonly signal?: AbortSignal;
  /**
   * Called once every check has passed and the target exists, just before
   * tar starts writing into it: until then nothing has been written (but the
   * target directory, when it was missing).
   * `earlier` is how many entries the target held (0: new or empty).
   */
  readonly onExtract?: (earlier: number) => void;
}

export interface RestoreResult {
  /** 'match': verified against its sidecar; 'absent': a legacy archive without one. */
  readonly checksum: 'match' | 'absent';
  /** The top-level directory stripped (py_snap's `snap_backup`), if any. */
  readonly stripped?: string;
  readonly members: readonly TarMember[];
  /** Regular files (hard links not counted twice) and their bytes. */
  readonly files: number;
  readonly bytes: number;
  /** Lock files removed after extraction, relative to the target. */
  readonly removedLocks: readonly string[];
}

/**
 * Throws SnapctlError('input') unless `dir` is absent or an empty directory
 * (or force and a directory); returns how many entries it holds.
 */
async function checkTarget(dir: string, force: boolean): Promise<number> {
  let entries: string[];
  try {
    const st = await lstat(dir);
    if (!st.isDirectory()) throw new SnapctlError('input', `--to ${dir} exists and is not a directory`);
    entries = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  if (entries.length > 0 && !force) {
    throw new SnapctlError('input', `--to ${dir} is not empty (${counted(entries.length, 'entry', 'entries')})`, 'restore into a new or empty directory, or pass --force to extract over what is there');
  }
  return entries.length;
}

/**
 * What the target may hold once an extraction has begun and stopped short.
 * A target that held files before (--force) is not to be removed: they are
 * the user's, among whatever tar replaced or added.
 */
export function partialRestoreNote(target: string, earlier: number): string {
  return earlier === 0 ? `${target} may hold a partial restore` : `${target} may now hold part of the archive over what it held before`;
}

/** GNU tar -x argv: owners by number, modes, xattrs, ACLs (SELinux labels where enabled); never --absolute-names. */
export function tarExtractArgv(caps: TarCapabilities, target: string, strip: number): string[] {
  return [
    '-x',
    '--file=-',
    `--directory=${target}`,
    '--numeric-owner',
    '--same-owner',
    '--same-permissions',
    ...(caps.xattrs ? ['--xattrs', '--xattrs-include=*'] : []),
    ...(caps.acls ? ['--acls'] : []),
    ...(caps.selinux ? ['--selinux'] : []),
    ...(strip > 0 ? [`--strip-components=${strip}`] : []),
  ];
}

/** Extracts from `file`, whose offset is at its start, into a target that held `earlier` entries. */
async function extract(req: RestoreRequest, file: FileHandle, strip: number, earlier: number): Promise<void> {
  const caps = await probeTar();
  const env = { ...process.env, LC_ALL: 'C' };
  const dec = decompressArgv(req.compression);
  const tar = spawn('tar', tarExtractArgv(caps, req.target, strip), { stdio: [dec ? 'pipe' : file.fd, 'ignore', 'pipe'], env });
  const tarWatch = watchChild(tar);
  let decWatch: ReturnType<typeof watchChild> | undefined;
  const running: ChildProcess[] = [tar];
  if (dec) {
    const comp = spawn(dec[0], dec.slice(1), { stdio: [file.fd, tar.stdin!, 'pipe'], env });
    tar.stdin!.destroy();
    decWatch = watchChild(comp);
    running.push(comp);
  }
  // The children read the archive themselves: without this they would go
  // on extracting after an interrupted restore has exited.
  const stop = (): void => {
    for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  };
  req.signal?.addEventListener('abort', stop, { once: true });
  if (req.signal?.aborted === true) stop();
  const [te, de] = await Promise.all([tarWatch.exit, decWatch?.exit]).finally(() => req.signal?.removeEventListener('abort', stop));
  req.signal?.throwIfAborted();
  const failed = de !== undefined && (de.code !== 0 || de.signal !== null) ? describeExit(dec![0], de, decWatch!.stderr()) : undefined;
  if (failed !== undefined || te.code !== 0 || te.signal !== null) {
    throw new SnapctlError('operation', `extracting ${req.archive} into ${req.target} failed: ${failed ?? describeExit('tar', te, tarWatch.stderr())}`, partialRestoreNote(req.target, earlier));
  }
}

/** Removes the restored lock files (never following symlinks: rm unlinks the link itself). */
async function stripLocks(target: string, rels: readonly string[]): Promise<string[]> {
  const removed: string[] = [];
  for (const rel of rels) {
    const path = join(target, rel);
    const exists = await lstat(path).then(
      (st) => !st.isDirectory(),
      () => false,
    );
    if (!exists) continue;
    await rm(path, { force: true });
    removed.push(rel);
  }
  return removed;
}

/**
 * Verify, check, extract, strip locks; throws SnapctlError and writes nothing
 * when a check fails. The archive is opened once: what is extracted is what
 * was verified, even if apply prunes (unlinks) the file in between.
 */
export async function restoreArchive(req: RestoreRequest): Promise<RestoreResult> {
  const sidecar = await readSidecar(req.archive);
  if (sidecar.kind === 'malformed') throw new SnapctlError('preflight', `cannot verify ${req.archive}: ${sidecar.reason}`);
  const earlier = req.listOnly ? 0 : await checkTarget(req.target, req.force);
  const file = await open(req.archive, 'r').catch((err: NodeJS.ErrnoException) => {
    throw new SnapctlError('input', `cannot open ${req.archive}: ${err.code === 'ENOENT' ? 'no such file' : (err.code ?? err.message)}`);
  });
  try {
    return await verifiedRestore(req, sidecar, file, earlier);
  } finally {
    await file.close();
  }
}

async function verifiedRestore(req: RestoreRequest, sidecar: Sidecar, file: FileHandle, earlier: number): Promise<RestoreResult> {
  const scan = await scanArchive(req.archive, req.compression, { hash: sidecar.kind === 'present', list: 'members', fd: file.fd, ...(req.signal ? { signal: req.signal } : {}) });
  if (checksumVerdict(sidecar, scan.sha256) === 'mismatch') {
    throw new SnapctlError('preflight', `${req.archive} does not match its checksum: refusing to restore it`, `sha256 is ${scan.sha256}, the sidecar says ${sidecar.kind === 'present' ? sidecar.sha256 : ''}; the archive is corrupt`);
  }
  if (scan.listFailure !== undefined) {
    throw new SnapctlError('preflight', `${req.archive} does not read as a complete tar archive: refusing to restore it`, scan.listFailure);
  }
  const members = scan.members ?? [];
  const problems = [...unsafeMembers(members), ...(scan.unparsed ?? []).map((l) => `unrecognised listing line: ${l}`)];
  if (problems.length > 0) {
    throw new SnapctlError('preflight', `${req.archive} has members that would be written outside the target: refusing to restore it`, problems.slice(0, 10).join('\n') + (problems.length > 10 ? `\n… and ${problems.length - 10} more` : ''));
  }
  const layout = archiveLayout(members);
  const files = members.filter((m) => m.type === 'file');
  const result = {
    checksum: sidecar.kind === 'present' ? ('match' as const) : ('absent' as const),
    ...(layout.strip === 1 ? { stripped: layout.top } : {}),
    members,
    files: files.length,
    bytes: files.reduce((sum, m) => sum + m.size, 0),
  };
  if (req.listOnly) return { ...result, removedLocks: [] };

  req.signal?.throwIfAborted();
  try {
    makeDirs(req.target);
  } catch (err) {
    throw new SnapctlError('input', `cannot create the target directory ${req.target}: ${(err as Error).message}`, 'give --to a directory that can be created (or exists empty)');
  }
  req.onExtract?.(earlier);
  await extract(req, file, layout.strip, earlier);
  const removedLocks = await stripLocks(req.target, lockFileMembers(members, req.lockFiles, layout.strip));
  return { ...result, removedLocks };
}
