// The run log of apply: one timestamped line per step appended to
// <dir>/snapctl.log, warnings and errors also on stderr, and nothing on stdout
// in quiet (cron) mode so cron mails only the summary and the errors.
// Logging never aborts a backup: an unwritable log falls back to stderr.
import { appendFileSync, closeSync, openSync } from 'node:fs';
import { makeDirs } from '../adapters/make-dirs.js';
import { join } from 'node:path';
import type { StepLog } from './source.js';

export const DEFAULT_LOG_DIR = '/var/log/snapctl';
export const LOG_FILE_NAME = 'snapctl.log';
/** Lines of this run kept in memory for tail() (a healthcheck /fail body, a summary). */
const TAIL_KEEP = 1000;

export type Level = 'INFO' | 'WARN' | 'ERROR';

export interface RunLog extends StepLog {
  error(message: string): void;
  /** The same log with `<context>: ` before every message (a volume name). */
  child(context: string): RunLog;
  /** The last n lines this run wrote, as they appear in the file, oldest first. */
  tail(n: number): string[];
  /** The file lines go to, or undefined once the log fell back to stderr. */
  readonly file: string | undefined;
  close(): void;
}

/** Where text goes; process.stdout/stderr by default, a buffer in tests. */
export interface TextSink {
  write(text: string): unknown;
}

export interface RunLogOptions {
  readonly dir?: string;
  /** quiet: stdout gets nothing from the log (cron). verbose: info lines too. */
  readonly stdout: 'quiet' | 'verbose';
  /** stdout is reserved for the JSON result: verbose lines go to stderr instead. */
  readonly json: boolean;
  readonly clock?: () => Date;
  readonly out?: TextSink;
  readonly err?: TextSink;
}

/** `2026-11-26T03:00:01.123Z INFO  data: creating snapshot …`: the one line format of the log file. */
export function formatLogLine(at: Date, level: Level, context: string | undefined, message: string): string {
  return `${at.toISOString()} ${level.padEnd(5)} ${context ? `${context}: ` : ''}${message}`;
}

interface Shared {
  fd: number | undefined;
  file: string | undefined;
  readonly lines: string[];
}

/** Open (append) the run log; never throws because of the log directory. */
export function openRunLog(opts: RunLogOptions): RunLog {
  const out = opts.out ?? process.stdout;
  const err = opts.err ?? process.stderr;
  const clock = opts.clock ?? (() => new Date());
  const dir = opts.dir ?? DEFAULT_LOG_DIR;
  const file = join(dir, LOG_FILE_NAME);
  const shared: Shared = { fd: undefined, file: undefined, lines: [] };
  try {
    makeDirs(dir, 0o755);
    shared.fd = openSync(file, 'a', 0o640);
    shared.file = file;
  } catch (e) {
    err.write(`warning: cannot write the log ${file} (${errorText(e)}); logging to stderr instead\n`);
  }
  const verboseSink = opts.stdout === 'verbose' ? (opts.json ? err : out) : undefined;

  const emit = (level: Level, context: string | undefined, message: string): void => {
    // A multi-line message (tool output) stays one entry per line in the file.
    for (const part of message.split(/\r?\n/)) {
      const line = formatLogLine(clock(), level, context, part);
      shared.lines.push(line);
      if (shared.lines.length > TAIL_KEEP) shared.lines.shift();
      const inFile = writeFile(shared, line, err);
      if (!inFile) err.write(`${line}\n`);
      else if (level !== 'INFO') err.write(`${level === 'WARN' ? 'warning' : 'error'}: ${context ? `${context}: ` : ''}${part}\n`);
      if (level === 'INFO' && inFile && verboseSink) verboseSink.write(`${line}\n`);
    }
  };

  const make = (context: string | undefined): RunLog => ({
    info: (m) => emit('INFO', context, m),
    warn: (m) => emit('WARN', context, m),
    error: (m) => emit('ERROR', context, m),
    child: (c) => make(context ? `${context}: ${c}` : c),
    tail: (n) => (n > 0 ? shared.lines.slice(-n) : []),
    get file() {
      return shared.file;
    },
    close() {
      if (shared.fd !== undefined) closeSync(shared.fd);
      shared.fd = undefined;
    },
  });
  return make(undefined);
}

/** Append one line; on failure (disk full, closed) switch to stderr for good, saying so once. */
function writeFile(shared: Shared, line: string, err: TextSink): boolean {
  if (shared.fd === undefined) return false;
  try {
    // Synchronous so lines are on disk in order even if the run is killed next.
    appendFileSync(shared.fd, `${line}\n`);
    return true;
  } catch (e) {
    err.write(`warning: cannot write the log ${String(shared.file)} (${errorText(e)}); logging to stderr instead\n`);
    try {
      closeSync(shared.fd);
    } catch {
      // Already unusable; nothing more to do.
    }
    shared.fd = undefined;
    shared.file = undefined;
    return false;
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
