import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openRunLog } from '../../src/apply/logger.js';
import type { RunLogOptions } from '../../src/apply/logger.js';

/** A clock that starts at 2026-11-26T03:00:01.123Z and advances 1 ms per call. */
function fakeClock(): () => Date {
  let ms = Date.UTC(2026, 10, 26, 3, 0, 1, 123);
  return () => new Date(ms++);
}

function sink(): { text: string; write(s: string): void } {
  return {
    text: '',
    write(s: string) {
      this.text += s;
    },
  };
}

async function withDir(fn: (dir: string) => void | Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'snapctl-log-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function open(dir: string, extra: Partial<RunLogOptions> = {}) {
  const out = sink();
  const err = sink();
  const log = openRunLog({ dir, stdout: 'quiet', json: false, clock: fakeClock(), out, err, ...extra });
  return { log, out, err };
}

test('writes one timestamped line per step with the level padded and the volume as context', () =>
  withDir(async (dir) => {
    const { log } = open(dir);
    log.info('apply started');
    const data = log.child('data');
    data.info('creating snapshot vg0/snapctl_data_20261126T030001Z');
    data.warn('snapshot 91% full');
    data.error('tar failed: exit 2');
    log.close();
    assert.equal(
      await readFile(join(dir, 'snapctl.log'), 'utf8'),
      [
        '2026-11-26T03:00:01.123Z INFO  apply started',
        '2026-11-26T03:00:01.124Z INFO  data: creating snapshot vg0/snapctl_data_20261126T030001Z',
        '2026-11-26T03:00:01.125Z WARN  data: snapshot 91% full',
        '2026-11-26T03:00:01.126Z ERROR data: tar failed: exit 2',
        '',
      ].join('\n'),
    );
  }));

test('appends to an existing log instead of replacing it', () =>
  withDir(async (dir) => {
    await writeFile(join(dir, 'snapctl.log'), 'earlier run\n');
    const { log } = open(dir);
    log.info('next run');
    log.close();
    assert.equal(await readFile(join(dir, 'snapctl.log'), 'utf8'), 'earlier run\n2026-11-26T03:00:01.123Z INFO  next run\n');
  }));

test('quiet mode prints nothing on stdout; warnings and errors also go to stderr', () =>
  withDir((dir) => {
    const { log, out, err } = open(dir);
    const data = log.child('data');
    data.info('creating snapshot');
    data.warn('snapshot 91% full');
    data.error('tar failed');
    log.close();
    assert.equal(out.text, '');
    assert.equal(err.text, 'warning: data: snapshot 91% full\nerror: data: tar failed\n');
  }));

test('verbose mode shows info lines on stdout, or on stderr when stdout carries --json', () =>
  withDir((dir) => {
    const verbose = open(dir, { stdout: 'verbose' });
    verbose.log.info('step');
    verbose.log.close();
    assert.equal(verbose.out.text, '2026-11-26T03:00:01.123Z INFO  step\n');
    const json = open(dir, { stdout: 'verbose', json: true });
    json.log.info('step');
    json.log.close();
    assert.equal(json.out.text, '');
    assert.equal(json.err.text, '2026-11-26T03:00:01.123Z INFO  step\n');
  }));

test('creates a missing log directory', () =>
  withDir(async (dir) => {
    const { log } = open(join(dir, 'var', 'log', 'snapctl'));
    log.info('hello');
    log.close();
    assert.match(await readFile(join(dir, 'var', 'log', 'snapctl', 'snapctl.log'), 'utf8'), /INFO {2}hello\n$/);
  }));

test('an unusable log directory falls back to stderr with one warning instead of failing', () =>
  withDir(async (dir) => {
    // A regular file where the directory should be fails even for root.
    const notADir = join(dir, 'blocked');
    await writeFile(notADir, '');
    await chmod(notADir, 0o444);
    const { log, out, err } = open(notADir);
    assert.equal(log.file, undefined);
    log.info('creating snapshot');
    log.child('data').warn('careful');
    log.close();
    const lines = err.text.split('\n');
    assert.match(lines[0]!, /^warning: cannot write the log .*blocked\/snapctl\.log .*logging to stderr instead$/);
    assert.deepEqual(lines.slice(1), ['2026-11-26T03:00:01.123Z INFO  creating snapshot', '2026-11-26T03:00:01.124Z WARN  data: careful', '']);
    assert.equal(out.text, '');
  }));

test('tail(n) returns the last n lines of this run only, oldest first', () =>
  withDir(async (dir) => {
    await writeFile(join(dir, 'snapctl.log'), 'an earlier run\n');
    const { log } = open(dir);
    log.info('one');
    log.child('data').info('two');
    log.warn('three');
    assert.deepEqual(log.tail(2), ['2026-11-26T03:00:01.124Z INFO  data: two', '2026-11-26T03:00:01.125Z WARN  three']);
    assert.equal(log.tail(10).length, 3);
    assert.deepEqual(log.tail(0), []);
    log.close();
  }));

test('a multi-line message becomes one log line per line, each with the context', () =>
  withDir((dir) => {
    const { log } = open(dir);
    log.child('db').info('hook output:\nline a\nline b');
    log.close();
    assert.deepEqual(log.tail(3), [
      '2026-11-26T03:00:01.123Z INFO  db: hook output:',
      '2026-11-26T03:00:01.124Z INFO  db: line a',
      '2026-11-26T03:00:01.125Z INFO  db: line b',
    ]);
  }));
