// Writes one archive: GNU tar piped straight into the compressor (the two
// talk through a socket pair, Node never sees the uncompressed bytes), the
// compressor writing `<final>.partial` itself while node hashes the file by
// reading behind it into two reused buffers (no archive bytes pass through
// Node's streams, so memory stays flat), then fsync,
// sidecar, rename, directory fsync. A final name always means a complete
// archive; any failure or abort removes the partial and kills the children.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { open, rename, rm, statfs } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { createHash } from 'node:crypto';
import type { Compression } from '../core/model.js';
import { describeExit, watchChild, type ChildExit } from '../adapters/run-tool.js';
import { counted } from '../core/describe.js';
import { OutOfSpaceError, SnapctlError } from '../core/errors.js';
import { compressArgv, detectCompressorTools } from './compressors.js';
import { fsyncDir, tempNameFor, writeFileAtomic } from './fs-durable.js';
import { probeTar, tarCreateArgv } from './tar-command.js';

export interface ArchiveOptions {
  /** The directory whose contents become the archive's `./…` members. */
  readonly sourceDir: string;
  /** Where the archive is written; must exist. */
  readonly destDir: string;
  /** File name of the finished archive (no directory part). */
  readonly finalName: string;
  readonly compression: Compression;
  /** Compressor level; undefined = the compressor's default (compressors.ts). */
  readonly level?: number;
  /** GNU tar exclude patterns (see tar-command.ts for their semantics). */
  readonly exclude: readonly string[];
  /** Paths relative to sourceDir left out exactly as spelt (no wildcards): the backup directory when it lies inside. */
  readonly excludePaths?: readonly string[];
  /** Aborting kills tar and the compressor and removes the partial file. */
  readonly signal: AbortSignal;
  /** Uncompressed bytes tar has produced so far, about every 10 MB. */
  readonly onProgress?: (bytesIn: number) => void;
  /**
   * Runs once the data is complete and on disk, before the sidecar and the
   * final name exist; if it throws, the partial is removed and the error
   * propagates (a SnapctlError unchanged). Used to check the snapshot stayed valid.
   */
  readonly beforeCommit?: () => Promise<void>;
  /** Bytes written but not yet hashed before hashing catches up; default hashBacklogDefault(). */
  readonly hashBacklogBytes?: number;
}

/**
 * Hashing waits until this much of the archive is written before it reads
 * it: while tar and the compressor keep every core busy
 * (zstd -T0), hashing alongside them takes its CPU time from them, whereas
 * what is left when the compressor exits is hashed while the fsync waits on
 * the disk. Small enough to still be in the page cache when it is read
 * (1/16 of the memory), at most 256 MiB: a larger archive is hashed in
 * catch-up bursts of that size, each read right after it was written.
 */
function hashBacklogDefault(): number {
  return Math.min(256 << 20, Math.floor(totalmem() / 16));
}

export interface ArchiveResult {
  /** Absolute path of the finished archive. */
  readonly path: string;
  /** Size of the archive file. */
  readonly bytes: number;
  /** Hex sha256 of the archive file, also in `<path>.sha256`. */
  readonly sha256: string;
  readonly durationMs: number;
  /** tar's warnings (e.g. "file changed as we read it" on a live directory); the archive is kept. */
  readonly warnings: readonly string[];
}

/** GNU tar's closing line after errors it already printed: it says nothing of its own. */
const TAR_EPILOGUE = /^tar: Exiting with failure status due to previous errors$/;
/** The stderr lines describeExit puts in the summary. */
const SUMMARY_LINES = 3;

/**
 * A failed tool as one error: its exit and its last (up to 3) stderr lines in
 * the summary; the whole stderr tail as the detail only when the summary
 * leaves some of it out.
 */
function exitError(finalPath: string, name: string, exit: ChildExit, tail: readonly string[]): SnapctlError {
  const lines = tail.filter((l) => !TAR_EPILOGUE.test(l));
  const more = lines.length > SUMMARY_LINES ? `${counted(lines.length - SUMMARY_LINES, 'earlier line')} of ${name}'s errors:\n${lines.slice(0, -SUMMARY_LINES).join('\n')}` : undefined;
  return new SnapctlError('operation', `archive ${finalPath}: ${describeExit(name, exit, lines)}`, more);
}

const FULL = /: (No space left on device|Disk quota exceeded)\s*$/;
const FULL_CODES: Readonly<Record<string, 'ENOSPC' | 'EDQUOT'>> = { 'No space left on device': 'ENOSPC', 'Disk quota exceeded': 'EDQUOT' };

/**
 * A failed compressor's report of a full disk (zstd, gzip, xz and pigz end
 * the line with strerror): they read stdin, so no line names a file of the
 * volume.
 */
function compressorFull(exit: ChildExit, stderr: readonly string[]): 'ENOSPC' | 'EDQUOT' | undefined {
  return exit.code === 0 && exit.signal === null ? undefined : fullCode(stderr);
}

/** The code of the first of these lines that ends with a full disk's strerror. */
function fullCode(lines: readonly string[]): 'ENOSPC' | 'EDQUOT' | undefined {
  for (const line of lines) {
    const m = FULL.exec(line);
    if (m?.[1] !== undefined) return FULL_CODES[m[1]];
  }
  return undefined;
}

/**
 * tar writing the archive itself (compression none) on a full disk: only a
 * fatal exit and tar's lines about the archive, "-" (its stdout), count;
 * its other lines name the volume's files, and a file may be called "No
 * space left on device". GNU tar reports a short write to a full disk as
 * "-: Wrote only N of M bytes", which counts when the file system indeed
 * has less than 1 MiB left.
 */
async function tarFull(exit: ChildExit, stderr: readonly string[], destDir: string): Promise<'ENOSPC' | 'EDQUOT' | undefined> {
  if (exit.code !== 2 && exit.signal === null) return undefined;
  const own = stderr.filter((l) => l.startsWith('tar: -: '));
  const said = fullCode(own);
  if (said !== undefined) return said;
  if (!own.some((l) => /^tar: -: Wrote only \d+ of \d+ bytes$/.test(l))) return undefined;
  const fs = await statfs(destDir).catch(() => undefined);
  return fs !== undefined && fs.bfree * fs.bsize < 1 << 20 ? 'ENOSPC' : undefined;
}

function kill(child: ChildProcess | undefined): void {
  // SIGKILL: the output is being thrown away, neither tool has anything to clean up.
  if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** Writes `<destDir>/<finalName>` and its `.sha256` sidecar, or throws SnapctlError('operation') leaving nothing behind. */
export async function writeArchive(opts: ArchiveOptions): Promise<ArchiveResult> {
  const started = performance.now();
  const finalPath = join(opts.destDir, opts.finalName);
  const partialPath = `${finalPath}.partial`;
  const sidecarPath = `${finalPath}.sha256`;
  if (opts.signal.aborted) throw new SnapctlError('operation', `archive ${finalPath} not started: interrupted`);

  const [tarCaps, tools] = await Promise.all([probeTar(), detectCompressorTools()]);
  const tarArgs = tarCreateArgv(tarCaps, opts.sourceDir, opts.exclude, opts.excludePaths);
  const compressor = compressArgv(opts.compression, opts.level, tools);

  let tar: ChildProcess | undefined;
  let comp: ChildProcess | undefined;
  let file: FileHandle | undefined;
  let hasher: ReturnType<typeof hashBehind> | undefined;
  let synced: Promise<Error | undefined> | undefined;
  const onAbort = (): void => {
    kill(tar);
    kill(comp);
  };
  opts.signal.addEventListener('abort', onAbort, { once: true });
  try {
    // w+: the children write through their copy of the descriptor, we read it back with pread.
    file = await open(partialPath, 'w+', 0o600).catch((err: unknown) => {
      throw writeFailure(err, partialPath);
    });
    // LC_ALL=C: tar's messages are parsed (progress) and quoted in English in logs.
    tar = spawn('tar', tarArgs, { stdio: ['ignore', compressor === undefined ? file.fd : 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    const tarWatch = watchChild(tar, (line) => {
      const m = /^tar: W: (\d+) /.exec(line);
      if (m) opts.onProgress?.(Number(m[1]));
      return m !== null;
    });
    const tarExit = tarWatch.exit;
    let compWatch: ReturnType<typeof watchChild> | undefined;
    let compExit: Promise<ChildExit> | undefined;
    if (compressor !== undefined && tar.stdout) {
      comp = spawn(compressor[0], compressor.slice(1), { stdio: [tar.stdout, file.fd, 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
      compWatch = watchChild(comp);
      compExit = compWatch.exit;
      // The compressor holds its own copy of the pipe; ours must not read (and steal) any bytes.
      tar.stdout.destroy();
    }
    const writerExit = compExit ?? tarExit;
    hasher = hashBehind(file, writerExit, opts.hashBacklogBytes ?? hashBacklogDefault());
    const hashed = hasher.result.then(
      (r) => r,
      (err: unknown) => err as Error,
    );
    // The data is complete once the writer exits: flush it to disk while the
    // hash reads its last stretch (fsync applies to the file,
    // whichever descriptor asks). Nothing is committed before both are done.
    // Not after an abort or a failed writer: the partial is about to be removed.
    const handle = file;
    const complete = (exit: ChildExit): boolean => !opts.signal.aborted && exit.signal === null && (exit.code === 0 || exit.code === 1);
    synced = writerExit.then((exit) => (complete(exit) ? handle.sync() : undefined)).then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    const [te, ce, h, s] = await Promise.all([tarExit, compExit, hashed, synced]);
    hasher = undefined;

    if (opts.signal.aborted) throw new SnapctlError('operation', `archive ${finalPath} interrupted`);
    // The writer's own report of a full disk, in the same words as a failed write of ours.
    const full = compWatch !== undefined && ce !== undefined ? compressorFull(ce, compWatch.stderr()) : await tarFull(te, tarWatch.stderr(), opts.destDir);
    if (full !== undefined) throw writeFailure({ code: full }, partialPath);
    const compName = compressor?.[0] ?? '';
    if (ce !== undefined && (ce.code !== 0 || ce.signal !== null)) {
      throw exitError(finalPath, compName, ce, compWatch?.stderr() ?? []);
    }
    // GNU tar: 1 = some files changed while being read (a live directory); 2 = fatal.
    if (te.code !== 0 && te.code !== 1) {
      throw exitError(finalPath, 'tar', te, tarWatch.stderr());
    }
    if (h instanceof Error) throw writeFailure(h, partialPath);
    if (s instanceof Error) throw writeFailure(s, partialPath);
    const { sha256, bytes } = h;
    await file.close();
    file = undefined;
    await opts.beforeCommit?.();
    // sha256sum -c format: two spaces, the file name relative to the sidecar.
    await writeFileAtomic(sidecarPath, `${sha256}  ${opts.finalName}\n`, { tempPath: tempNameFor(sidecarPath), syncDir: false }).catch((err: unknown) => {
      throw writeFailure(err, sidecarPath);
    });
    await rename(partialPath, finalPath);
    await fsyncDir(opts.destDir);
    return { path: finalPath, bytes, sha256, durationMs: performance.now() - started, warnings: tarWatch.stderr() };
  } catch (err) {
    onAbort();
    // Hashing reads the descriptor: stop it before the descriptor is closed (and its number reused).
    await hasher?.stop();
    await synced;
    await file?.close().catch(() => undefined);
    await rm(partialPath, { force: true });
    await rm(tempNameFor(sidecarPath), { force: true });
    if (err instanceof SnapctlError) throw err;
    throw writeFailure(err, finalPath);
  } finally {
    opts.signal.removeEventListener('abort', onAbort);
  }
}

/**
 * The sha256 of the file as the writer child fills it (through its own
 * descriptor), computed on this thread, which has nothing else to do while
 * tar and the compressor run. It reads behind the writer with two reused 1 MiB buffers (the next
 * read runs in node's thread pool while this one is hashed), so memory stays
 * flat: it waits (looking at the size every 20 ms) until `backlog` bytes are
 * unread, reads until it has caught up, and waits again; once the writer
 * has exited, one last pass reads to the end. `stop` ends it early (abort)
 * and resolves once no read is in flight, so the descriptor can be closed.
 *
 * A worker thread at nice 19 did this before: starting one took 40-65 ms of
 * CPU, taken from tar and the compressor on a busy machine, and on a small
 * archive the sidecar waited for it (a 200-byte archive took 55 ms longer).
 */
function hashBehind(file: FileHandle, writerExit: Promise<ChildExit>, backlog: number): { result: Promise<{ sha256: string; bytes: number }>; stop: () => Promise<void> } {
  let writerDone = false;
  let stopped = false;
  let wake: (() => void) | undefined;
  const finish = (): void => {
    writerDone = true;
    wake?.();
  };
  void writerExit.then(finish, finish);
  const pause = (): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        wake = undefined;
        resolve();
      }, 20);
      wake = () => {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      };
    });
  const run = async (): Promise<{ sha256: string; bytes: number }> => {
    const hash = createHash('sha256');
    let current = Buffer.allocUnsafe(1 << 20);
    let spare = Buffer.allocUnsafe(1 << 20);
    let bytes = 0;
    for (;;) {
      if (stopped) throw new Error('hashing stopped');
      // Read the flag before reading the file: a writer that had exited by then has written everything this pass will see.
      const last = writerDone;
      if (!last && (await file.stat()).size - bytes < backlog) {
        await pause();
        continue;
      }
      // Catch up: hash one chunk while the next is being read.
      let n = (await file.read(current, 0, current.length, bytes)).bytesRead;
      while (n > 0 && !stopped) {
        const next = file.read(spare, 0, spare.length, bytes + n);
        hash.update(current.subarray(0, n));
        bytes += n;
        [current, spare] = [spare, current];
        n = (await next).bytesRead;
      }
      if (last && !stopped) return { sha256: hash.digest('hex'), bytes };
    }
  };
  const result = run();
  const stop = async (): Promise<void> => {
    stopped = true;
    wake?.();
    await result.then(
      () => undefined,
      () => undefined,
    );
  };
  return { result, stop };
}

function writeFailure(err: unknown, path: string): SnapctlError {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ENOSPC') return new OutOfSpaceError(`no space left on device (ENOSPC) writing ${path}`);
  if (e.code === 'EDQUOT') return new OutOfSpaceError(`disk quota exceeded (EDQUOT) writing ${path}`);
  return new SnapctlError('operation', `writing ${path} failed: ${e.message}`);
}
