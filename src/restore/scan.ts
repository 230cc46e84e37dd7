// Reads an archive once: every chunk goes into sha256 and, when asked, into
// `decompressor | tar -t` running as child processes joined by a socket pair.
// Node holds one chunk at a time; the hash and the decompression overlap.
// tar's exit status alone does not tell a whole archive from one cut at a
// block boundary: the listing must also end with tar's end-of-archive line.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Writable } from 'node:stream';
import type { Compression } from '../core/model.js';
import { SnapctlError } from '../core/errors.js';
import { END_OF_ARCHIVE, END_OF_FILE, missingEndMarker, parseListingLine, splitBlockNumber, type BlockLine, type TarMember } from '../core/tar-listing.js';
import { decompressArgv } from '../apply/compressors.js';
import { describeExit, watchChild, type ChildExit } from '../adapters/run-tool.js';

export interface ScanOptions {
  /** Compute the sha256 of the file. */
  readonly hash: boolean;
  /** 'none': only read; 'check': decompress and list to /dev/null; 'members': also return the member list. */
  readonly list: 'none' | 'check' | 'members';
  /** Aborting it stops the read and kills the children; scanArchive then rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /** An open descriptor of `path` to read instead (from its start, by position: its offset stays where it was; left open). */
  readonly fd?: number;
}

export interface ScanResult {
  /** Bytes of the archive file read. */
  readonly bytes: number;
  readonly sha256?: string;
  /** With list 'members': every member in archive order. */
  readonly members?: readonly TarMember[];
  /** With list 'members': listing lines that were not member lines (a restore refuses these). */
  readonly unparsed?: readonly string[];
  /** Why the archive did not decompress and list as tar to its end; undefined when it did or was not listed. */
  readonly listFailure?: string;
}

/**
 * The `tar -t` argv reading the tar stream on stdin. --block-number makes tar
 * print the end-of-archive zero block (see END_OF_ARCHIVE), and C quoting
 * keeps a member's name from posing as that line. The member listing uses
 * --absolute-names so tar shows names and link targets as stored (otherwise
 * it prints hard-link targets with `/` and `../` already stripped, hiding
 * them from the safety check). It only lists: nothing is extracted with it.
 */
function tarListArgv(members: boolean): string[] {
  const always = ['-t', '--block-number', '--file=-', '--quoting-style=c'];
  return members ? [...always, '-v', '--absolute-names', '--numeric-owner', '--full-time'] : always;
}

/** Reads `path` once, hashing it and/or listing it as tar (see ScanOptions); throws SnapctlError only when the file cannot be read. */
export async function scanArchive(path: string, compression: Compression, opts: ScanOptions): Promise<ScanResult> {
  const hash = opts.hash ? createHash('sha256') : undefined;
  const env = { ...process.env, LC_ALL: 'C' };
  const children: { name: string; child: ChildProcess; exit: Promise<ChildExit>; stderr: () => string[] }[] = [];
  let sink: Writable | undefined;
  let members: TarMember[] | undefined;
  const unparsed: string[] = [];
  /** The last line tar listed: END_OF_ARCHIVE when it read the archive to its end. */
  let last: BlockLine | undefined;
  let listed: Promise<void> = Promise.resolve();

  if (opts.list !== 'none') {
    const dec = decompressArgv(compression);
    const tar = spawn('tar', tarListArgv(opts.list === 'members'), { stdio: ['pipe', 'pipe', 'pipe'], env });
    if (dec !== undefined) {
      const comp = spawn(dec[0], dec.slice(1), { stdio: ['pipe', tar.stdin, 'pipe'], env });
      // The decompressor holds its own copy of the pipe into tar.
      tar.stdin.destroy();
      children.push({ name: dec[0], child: comp, ...watchChild(comp) });
      sink = comp.stdin!;
    } else {
      sink = tar.stdin;
    }
    children.push({ name: 'tar', child: tar, ...watchChild(tar) });
    const found: TarMember[] | undefined = opts.list === 'members' ? [] : undefined;
    members = found;
    const lines = createInterface({ input: tar.stdout, crlfDelay: Infinity });
    lines.on('line', (line) => {
      const numbered = splitBlockNumber(line);
      last = numbered;
      if (!found || numbered?.rest === END_OF_ARCHIVE || numbered?.rest === END_OF_FILE) return;
      const m = numbered ? parseListingLine(numbered.rest) : undefined;
      if (m) found.push(m);
      else unparsed.push(line);
    });
    listed = once(lines, 'close').then(() => undefined);
  }

  // Once a child stops reading (it failed, or tar reached the end marker), keep hashing but stop feeding it.
  let sinkOpen = sink !== undefined;
  sink?.on('error', () => {
    sinkOpen = false;
  });
  const killAll = (): void => {
    for (const c of children) if (c.child.exitCode === null) c.child.kill('SIGKILL');
  };
  let bytes = 0;
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20, ...(opts.fd !== undefined ? { fd: opts.fd, autoClose: false, start: 0 } : {}) }) as AsyncIterable<Buffer>) {
      opts.signal?.throwIfAborted();
      hash?.update(chunk);
      bytes += chunk.length;
      if (sink && sinkOpen && !sink.write(chunk)) {
        // A decompressor that stops reading (hung, or stopped) must not hold an interrupt up.
        await drainedOrClosed(sink, opts.signal);
        opts.signal?.throwIfAborted();
      }
    }
  } catch (err) {
    killAll();
    if (opts.signal?.aborted === true) {
      await Promise.all(children.map((c) => c.exit));
      throw opts.signal.reason;
    }
    const e = err as NodeJS.ErrnoException;
    throw new SnapctlError('operation', `cannot read ${path}: ${e.code ?? e.message}`);
  } finally {
    if (sinkOpen) sink?.end();
  }
  // Every byte is read, but a decompressor or tar that never exits (hung) must not hold an interrupt up either.
  opts.signal?.addEventListener('abort', killAll, { once: true });
  if (opts.signal?.aborted === true) killAll();
  const exits = await Promise.all(children.map((c) => c.exit)).finally(() => opts.signal?.removeEventListener('abort', killAll));
  opts.signal?.throwIfAborted();
  await listed;
  let listFailure: string | undefined;
  for (const [i, c] of children.entries()) {
    const exit = exits[i]!;
    if (exit.code !== 0 || exit.signal !== null) {
      listFailure ??= describeExit(c.name, exit, c.stderr());
    }
  }
  if (opts.list !== 'none') listFailure ??= missingEndMarker(last);
  return {
    bytes,
    ...(hash ? { sha256: hash.digest('hex') } : {}),
    ...(members ? { members, unparsed } : {}),
    ...(listFailure !== undefined ? { listFailure } : {}),
  };
}

/**
 * Resolves when `stream` can take more, or will take nothing more, or
 * `signal` is aborted. Every listener goes once it fires: a race of two
 * `once()` left the loser's listeners behind, one pair per full pipe, so a
 * long archive piled up thousands of them on tar's stdin.
 */
function drainedOrClosed(stream: Writable, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('drain', done);
      stream.off('close', done);
      stream.off('error', done);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
    stream.on('error', done);
    signal?.addEventListener('abort', done, { once: true });
    if (signal?.aborted === true) done();
  });
}
