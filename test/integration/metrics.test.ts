// The node_exporter textfile: parsed back with a small exposition-format
// parser after real applies on path volumes, names checked against the
// Prometheus rules, values against the run, and every policy volume present.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderMetrics } from '../../src/apply/metrics.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

interface Exposition {
  readonly help: Map<string, string>;
  readonly type: Map<string, string>;
  readonly samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Parses the text exposition format strictly enough to catch what node_exporter would reject. */
function parseExposition(text: string): Exposition {
  assert.ok(text.endsWith('\n'), 'the file ends with a newline');
  const help = new Map<string, string>();
  const type = new Map<string, string>();
  const samples: Sample[] = [];
  const seen = new Set<string>();
  for (const line of text.slice(0, -1).split('\n')) {
    const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta as unknown as [string, string, string, string];
      assert.match(name, METRIC_NAME, `metric name ${name}`);
      const map = kind === 'HELP' ? help : type;
      assert.ok(!map.has(name), `one ${kind} line per metric: ${name}`);
      assert.ok(!samples.some((s) => s.name === name), `${kind} of ${name} comes before its samples`);
      if (kind === 'TYPE') assert.ok(['counter', 'gauge', 'untyped', 'summary', 'histogram'].includes(rest), `type ${rest}`);
      map.set(name, rest);
      continue;
    }
    assert.ok(!line.startsWith('#'), `no other comment lines: ${line}`);
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\} (\S+)$/.exec(line);
    assert.ok(m, `sample line: ${line}`);
    const [, name, labelText, valueText] = m as unknown as [string, string, string, string];
    const labels: Record<string, string> = {};
    const labelRe = /([^=,]+)="((?:[^"\\]|\\.)*)"(,|$)/gy;
    let consumed = 0;
    for (let lm = labelRe.exec(labelText); lm; lm = labelRe.exec(labelText)) {
      const [whole, key, value] = lm as unknown as [string, string, string];
      assert.match(key, LABEL_NAME);
      labels[key] = value.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
      consumed += whole.length;
    }
    assert.equal(consumed, labelText.length, `labels parse completely: ${labelText}`);
    const value = Number(valueText);
    assert.ok(!Number.isNaN(value), `numeric value: ${valueText}`);
    const key = `${name}${JSON.stringify(labels)}`;
    assert.ok(!seen.has(key), `no duplicate series: ${key}`);
    seen.add(key);
    assert.ok(type.has(name), `TYPE before the samples of ${name}`);
    samples.push({ name, labels, value });
  }
  return { help, type, samples };
}

function value(e: Exposition, name: string, volume: string): number | undefined {
  return e.samples.find((s) => s.name === name && s.labels.volume === volume)?.value;
}

function apply(dir: string, now: string, ...extra: string[]): { code: number | null; out: string; stdout: string } {
  const r = spawnSync(
    process.execPath,
    ['bin/snapctl.js', 'apply', '--policy', join(dir, 'policy.yaml'), '--host', 'h1', '--now', now, '--log-dir', join(dir, 'log'), '--state-dir', join(dir, 'state'), '--lock-file', join(dir, 'apply.lock'), '--metrics-file', join(dir, 'textfile', 'snapctl.prom'), ...extra],
    { cwd: ROOT, encoding: 'utf8' },
  );
  return { code: r.status, out: `${r.stdout}\n${r.stderr}`, stdout: r.stdout };
}

function status(dir: string, now: string): { code: number | null; stdout: string } {
  const r = spawnSync(process.execPath, ['bin/snapctl.js', 'status', '--policy', join(dir, 'policy.yaml'), '--host', 'h1', '--now', now, '--state-dir', join(dir, 'state'), '--lock-file', join(dir, 'apply.lock')], { cwd: ROOT, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout };
}

interface StateRun {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly archivedAt?: string;
  readonly result: string;
  readonly message?: string;
  readonly archive?: string;
}

async function volumeState(dir: string, volume: string): Promise<{ last: StateRun; lastOk?: StateRun; failures?: number } | undefined> {
  const doc = JSON.parse(await readFile(join(dir, 'state', 'state.json'), 'utf8')) as { volumes: Record<string, { last: StateRun; lastOk?: StateRun; failures?: number }> };
  return doc.volumes[volume];
}

/** Runs `fn` in a new temporary directory, removed afterwards. */
async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'snapctl-metrics-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A workspace with two path volumes, `a` (keepLast 1) and `b`, each with one file; the policy in policy.yaml. */
async function twoVolumes(dir: string, extra: Record<string, Record<string, unknown>> = {}): Promise<void> {
  const volumes: Record<string, unknown> = {};
  for (const name of ['a', 'b']) {
    await mkdir(join(dir, 'src', name), { recursive: true });
    await writeFile(join(dir, 'src', name, 'f'), `${name}\n`);
    volumes[name] = { path: join(dir, 'src', name), schedule: 'daily', ...(name === 'a' ? { retention: { keepLast: 1 } } : {}), ...extra[name] };
  }
  await mkdir(join(dir, 'textfile'), { recursive: true });
  await writeFile(join(dir, 'policy.yaml'), JSON.stringify({ version: 1, timezone: 'UTC', hosts: { h1: { backupDir: join(dir, 'backup'), volumes } } }));
}

test('after a real apply the metrics file parses back, follows the naming rules and describes every volume', () =>
  withDir(async (dir) => {
    const docs = join(dir, 'docs');
    await mkdir(docs);
    await writeFile(join(docs, 'a.txt'), 'x'.repeat(100_000));
    await mkdir(join(dir, 'textfile'));
    const policy = {
      version: 1,
      timezone: 'UTC',
      hosts: { h1: { backupDir: join(dir, 'backup'), volumes: { docs: { path: docs, schedule: 'daily' }, gone: { path: join(dir, 'missing'), schedule: 'daily' } } } },
    };
    await writeFile(join(dir, 'policy.yaml'), JSON.stringify(policy));
    const before = Date.now() / 1000;

    const first = apply(dir, '2026-03-01T03:00:00Z');
    assert.equal(first.code, 3, first.out);
    const file = join(dir, 'textfile', 'snapctl.prom');
    assert.equal((await stat(file)).mode & 0o777, 0o644);
    assert.deepEqual(await readdir(join(dir, 'textfile')), ['snapctl.prom'], 'no temporary file left behind');
    const e1 = parseExposition(await readFile(file, 'utf8'));

    const families = [
      ['snapctl_last_success_timestamp_seconds', 'gauge'],
      ['snapctl_last_run_timestamp_seconds', 'gauge'],
      ['snapctl_last_run_success', 'gauge'],
      ['snapctl_last_duration_seconds', 'gauge'],
      ['snapctl_archive_size_bytes', 'gauge'],
      ['snapctl_snapshot_usage_peak_percent', 'gauge'],
      ['snapctl_failures_total', 'counter'],
      ['snapctl_archives', 'gauge'],
    ];
    assert.deepEqual([...e1.type.entries()], families);
    for (const [name] of families) assert.ok((e1.help.get(name!) ?? '').length > 10, `HELP for ${name}`);
    for (const [name, type] of e1.type) {
      assert.ok(name.startsWith('snapctl_'), 'one namespace');
      assert.equal(name.endsWith('_total'), type === 'counter', `${name}: _total exactly on counters`);
    }
    for (const s of e1.samples) assert.equal(s.labels.host, 'h1');

    const archive = join(dir, 'backup', 'h1', 'h1_docs.20260301T030000Z.tar.zst');
    assert.equal(value(e1, 'snapctl_archive_size_bytes', 'docs'), (await stat(archive)).size);
    assert.equal(value(e1, 'snapctl_archives', 'docs'), 1);
    assert.equal(value(e1, 'snapctl_archives', 'gone'), 0);
    assert.equal(value(e1, 'snapctl_last_run_success', 'docs'), 1);
    assert.equal(value(e1, 'snapctl_last_run_success', 'gone'), 0);
    assert.equal(value(e1, 'snapctl_failures_total', 'docs'), 0);
    assert.equal(value(e1, 'snapctl_failures_total', 'gone'), 1);
    assert.equal(value(e1, 'snapctl_last_success_timestamp_seconds', 'gone'), undefined, 'never succeeded: no sample rather than a fake 0');
    assert.equal(value(e1, 'snapctl_archive_size_bytes', 'gone'), undefined);
    const success = value(e1, 'snapctl_last_success_timestamp_seconds', 'docs') ?? 0;
    assert.ok(success >= before - 1 && success <= Date.now() / 1000 + 1, `last success is this run's time (${success})`);
    assert.ok((value(e1, 'snapctl_last_duration_seconds', 'docs') ?? -1) >= 0);

    // Same day again: docs is not due (not run), gone fails again; docs still described from the state file.
    const second = apply(dir, '2026-03-01T05:00:00Z');
    assert.equal(second.code, 1, second.out);
    const e2 = parseExposition(await readFile(file, 'utf8'));
    assert.equal(value(e2, 'snapctl_failures_total', 'gone'), 2, 'the counter grows across runs');
    assert.equal(value(e2, 'snapctl_last_success_timestamp_seconds', 'docs'), success, 'docs keeps its last success');
    assert.equal(value(e2, 'snapctl_archive_size_bytes', 'docs'), (await stat(archive)).size);
    assert.equal(value(e2, 'snapctl_last_run_success', 'docs'), 1, 'not due is not a failure');
  }));

test('a volume whose expired archive cannot be deleted is a failed run in the state, the metrics, status and --json, while its new archive is its last success', () =>
  withDir(async (dir) => {
    await twoVolumes(dir);
    // A directory named like an archive of 11-20: keepLast 1 expires it, and unlink fails with EISDIR.
    await mkdir(join(dir, 'backup', 'h1', 'h1_a.20261120T100000Z.tar'), { recursive: true });
    await writeFile(join(dir, 'backup', 'h1', 'h1_a.20261120T100000Z.tar', 'x'), '');
    assert.equal(apply(dir, '2026-11-21T10:00:00Z').code, 0);

    const archived = apply(dir, '2026-11-22T10:00:00Z', '--json');
    assert.equal(archived.code, 3, archived.out);
    const made = 'h1_a.20261122T100000Z.tar.zst';
    const json = JSON.parse(archived.stdout) as { volumes: { volume: string; status: string; result: string; archive?: string }[] };
    assert.deepEqual(json.volumes.map((v) => [v.volume, v.status, v.result, v.archive]), [['a', 'created', 'failed', made], ['b', 'created', 'ok', 'h1_b.20261122T100000Z.tar.zst']]);
    const a = await volumeState(dir, 'a');
    assert.equal(a?.last.result, 'failed');
    assert.match(a?.last.message ?? '', /^delete h1_a\.20261120T100000Z\.tar: EISDIR/);
    assert.equal(a?.failures, 1);
    assert.equal(a?.lastOk?.archive, made, 'the archive it wrote is its last success');
    assert.equal(a?.lastOk?.result, 'ok');
    assert.equal(a?.lastOk?.message, undefined);
    const e1 = parseExposition(await readFile(join(dir, 'textfile', 'snapctl.prom'), 'utf8'));
    assert.equal(value(e1, 'snapctl_last_run_success', 'a'), 0);
    assert.equal(value(e1, 'snapctl_failures_total', 'a'), 1);
    assert.equal(value(e1, 'snapctl_last_success_timestamp_seconds', 'a'), Date.parse(a?.lastOk?.finishedAt ?? '') / 1000);
    assert.equal(value(e1, 'snapctl_last_run_success', 'b'), 1);
    assert.equal(value(e1, 'snapctl_failures_total', 'b'), 0);
    const checked = status(dir, '2026-11-22T11:00:00Z');
    assert.equal(checked.code, 1, checked.stdout);
    assert.match(checked.stdout, /^SNAPCTL WARNING - a: 2026-11-22 is covered, but the last run failed; last run failed at \S+: delete h1_a\.20261120T100000Z\.tar: EISDIR[^|]*; 1 volume ok \| /);

    // Later that day: not due, only the deletion to do, and it fails again.
    const pruned = apply(dir, '2026-11-22T12:00:00Z', '--json');
    assert.equal(pruned.code, 3, pruned.out);
    assert.deepEqual((JSON.parse(pruned.stdout) as { volumes: { status: string; result: string }[] }).volumes.map((v) => [v.status, v.result]), [['up-to-date', 'failed'], ['up-to-date', 'skipped']]);
    const again = await volumeState(dir, 'a');
    assert.equal(again?.last.result, 'failed');
    assert.doesNotMatch(again?.last.message ?? '', /not due/);
    assert.equal(again?.failures, 2);
    assert.equal(again?.lastOk?.archive, made);
    const e2 = parseExposition(await readFile(join(dir, 'textfile', 'snapctl.prom'), 'utf8'));
    assert.equal(value(e2, 'snapctl_last_run_success', 'a'), 0);
    assert.equal(value(e2, 'snapctl_failures_total', 'a'), 2);
    assert.equal(value(e2, 'snapctl_last_run_success', 'b'), 1);
    assert.equal(status(dir, '2026-11-22T13:00:00Z').code, 1, 'still WARNING: the pruning keeps failing');
  }));

test('each volume records its own times: the last success is when its archive was complete, not the end of the run', () =>
  withDir(async (dir) => {
    // b, archived after a, first waits 2 s in its preSnapshot hook: the run ends well after a's archive.
    await twoVolumes(dir, { b: { hooks: { preSnapshot: [['sleep', '2']] } } });
    const r = apply(dir, '2026-03-01T03:00:00Z', '--json');
    assert.equal(r.code, 0, r.out);
    const [ja, jb] = (JSON.parse(r.stdout) as { volumes: { startedAt: string; finishedAt: string; archivedAt: string }[] }).volumes;
    const a = await volumeState(dir, 'a');
    const b = await volumeState(dir, 'b');
    assert.ok(a && b && ja && jb);
    const t = (iso: string | undefined): number => Date.parse(iso ?? '');
    assert.ok(t(b.last.startedAt) >= t(a.last.finishedAt), `b started (${b.last.startedAt}) after a finished (${a.last.finishedAt})`);
    assert.ok(t(b.last.finishedAt) - t(a.last.finishedAt) >= 1900, `a's run ended with a, ${a.last.finishedAt}, not with the run, ${b.last.finishedAt}`);
    assert.ok(t(a.last.startedAt) <= t(a.last.archivedAt) && t(a.last.archivedAt) <= t(a.last.finishedAt), JSON.stringify(a.last));
    assert.equal(a.lastOk?.finishedAt, a.last.archivedAt, 'the last success ends when the archive was complete');
    assert.equal(a.lastOk?.archivedAt, undefined);
    assert.deepEqual([ja.startedAt, ja.finishedAt, ja.archivedAt], [a.last.startedAt, a.last.finishedAt, a.last.archivedAt], '--json has the same times');
    assert.ok(t(jb.archivedAt) - t(jb.startedAt) >= 1900, 'the archive of b came after its hook');

    const e = parseExposition(await readFile(join(dir, 'textfile', 'snapctl.prom'), 'utf8'));
    assert.equal(value(e, 'snapctl_last_success_timestamp_seconds', 'a'), t(a.last.archivedAt) / 1000);
    assert.equal(value(e, 'snapctl_last_success_timestamp_seconds', 'b'), t(b.last.archivedAt) / 1000);
    assert.equal(value(e, 'snapctl_last_run_timestamp_seconds', 'a'), t(a.last.finishedAt) / 1000);
    assert.ok((value(e, 'snapctl_last_success_timestamp_seconds', 'b') ?? 0) - (value(e, 'snapctl_last_success_timestamp_seconds', 'a') ?? 0) >= 1.9);
  }));

/** Runs `fn` with `dir` read-only (a read-only bind mount over itself), as a state directory on a file system remounted ro. */
function readOnly(dir: string, fn: () => void): void {
  execFileSync('mount', ['--bind', dir, dir]);
  try {
    execFileSync('mount', ['-o', 'remount,ro,bind', dir]);
    fn();
  } finally {
    execFileSync('umount', [dir]);
  }
}

test('with a state directory that cannot be written, the metrics still describe this run: the volume that failed, its failure, the times of this run', () =>
  withDir(async (dir) => {
    await twoVolumes(dir);
    assert.equal(apply(dir, '2026-03-01T03:00:00Z').code, 0);
    const file = join(dir, 'textfile', 'snapctl.prom');
    const e1 = parseExposition(await readFile(file, 'utf8'));
    const stateBefore = await readFile(join(dir, 'state', 'state.json'), 'utf8');
    await rm(join(dir, 'src', 'b'), { recursive: true });
    readOnly(join(dir, 'state'), () => {
      const r = apply(dir, '2026-03-02T03:00:00Z');
      assert.equal(r.code, 3, r.out);
      assert.match(r.out, /could not record the run state: EROFS/);
    });
    assert.equal(await readFile(join(dir, 'state', 'state.json'), 'utf8'), stateBefore);
    const e2 = parseExposition(await readFile(file, 'utf8'));
    assert.equal(value(e2, 'snapctl_last_run_success', 'b'), 0);
    assert.equal(value(e2, 'snapctl_failures_total', 'b'), 1);
    assert.equal(value(e2, 'snapctl_last_run_success', 'a'), 1);
    assert.equal(value(e2, 'snapctl_archives', 'a'), 2);
    for (const v of ['a', 'b']) assert.ok((value(e2, 'snapctl_last_run_timestamp_seconds', v) ?? 0) > (value(e1, 'snapctl_last_run_timestamp_seconds', v) ?? Infinity), `${v}: this run's time`);
    assert.ok((value(e2, 'snapctl_last_success_timestamp_seconds', 'a') ?? 0) > (value(e1, 'snapctl_last_success_timestamp_seconds', 'a') ?? Infinity), 'a archived again');
    assert.equal(value(e2, 'snapctl_last_success_timestamp_seconds', 'b'), value(e1, 'snapctl_last_success_timestamp_seconds', 'b'), 'b keeps the last success it had');
  }));

for (const [what, spoil] of [
  ['truncated', (text: string): string => text.slice(0, 40)],
  ['from a newer snapctl', (text: string): string => text.replace('"version": 1', '"version": 2')],
] as const) {
  test(`with a state file that cannot be read (${what}), apply leaves it as it is and still writes metrics of this run, counting failures from this run alone`, () =>
    withDir(async (dir) => {
      await twoVolumes(dir);
      assert.equal(apply(dir, '2026-03-01T03:00:00Z').code, 0);
      const stateFile = join(dir, 'state', 'state.json');
      const spoilt = spoil(await readFile(stateFile, 'utf8'));
      await writeFile(stateFile, spoilt);
      await rm(join(dir, 'src', 'b'), { recursive: true });
      const r = apply(dir, '2026-03-02T03:00:00Z');
      assert.equal(r.code, 3, r.out);
      assert.match(r.out, /could not record the run state: state file .* \(the metrics file describes this run only\)/);
      assert.equal(await readFile(stateFile, 'utf8'), spoilt, 'never silently reset');
      const e = parseExposition(await readFile(join(dir, 'textfile', 'snapctl.prom'), 'utf8'));
      assert.equal(value(e, 'snapctl_last_run_success', 'a'), 1);
      assert.equal(value(e, 'snapctl_last_run_success', 'b'), 0);
      assert.equal(value(e, 'snapctl_failures_total', 'a'), 0);
      assert.equal(value(e, 'snapctl_failures_total', 'b'), 1);
      assert.equal(value(e, 'snapctl_archives', 'a'), 2);
      const success = value(e, 'snapctl_last_success_timestamp_seconds', 'a') ?? 0;
      assert.ok(Math.abs(success - Date.now() / 1000) < 60, `a's archive of this run (${success})`);
      assert.equal(value(e, 'snapctl_last_success_timestamp_seconds', 'b'), undefined, 'unknown without the history');
    }));
}

test('an apply that refuses to run (its host directory vanished) records every volume as failed in the state and the metrics', () =>
  withDir(async (dir) => {
    await twoVolumes(dir);
    assert.equal(apply(dir, '2026-03-01T03:00:00Z').code, 0);
    const file = join(dir, 'textfile', 'snapctl.prom');
    const e1 = parseExposition(await readFile(file, 'utf8'));
    await rename(join(dir, 'backup', 'h1'), join(dir, 'backup', 'h1.off'));
    const r = apply(dir, '2026-03-02T03:00:00Z');
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /error: .*h1 is missing, but earlier applies on this machine wrote archives there/);
    const e2 = parseExposition(await readFile(file, 'utf8'));
    for (const v of ['a', 'b']) {
      assert.equal(value(e2, 'snapctl_last_run_success', v), 0, v);
      assert.equal(value(e2, 'snapctl_failures_total', v), 1, v);
      assert.ok((value(e2, 'snapctl_last_run_timestamp_seconds', v) ?? 0) > (value(e1, 'snapctl_last_run_timestamp_seconds', v) ?? Infinity), `${v}: this run's time`);
      assert.equal(value(e2, 'snapctl_last_success_timestamp_seconds', v), value(e1, 'snapctl_last_success_timestamp_seconds', v), `${v} keeps its last success`);
      assert.equal(value(e2, 'snapctl_archives', v), undefined, `${v}: its archives are out of sight, not gone`);
      const state = await volumeState(dir, v);
      assert.equal(state?.last.result, 'failed');
      assert.match(state?.last.message ?? '', /h1 is missing, but earlier applies on this machine wrote archives there/);
    }
  }));

test('label values are escaped (backslash, quote, newline) and volumes without state get only the archive gauges', () => {
  const text = renderMetrics('we"ird\\host\n', [{ volume: 'v', archives: 2, newestBytes: 10 }]);
  const e = parseExposition(text);
  assert.deepEqual(
    e.samples.map((s) => [s.name, s.labels.host, s.value]),
    [
      ['snapctl_archive_size_bytes', 'we"ird\\host\n', 10],
      ['snapctl_archives', 'we"ird\\host\n', 2],
    ],
  );
  assert.equal(parseExposition(renderMetrics('h', [{ volume: 'v', archives: 0, state: { last: { startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:00:01Z', result: 'ok', snapshotPeakPercent: 42.5 } } }])).samples.find((s) => s.name === 'snapctl_snapshot_usage_peak_percent')?.value, 42.5);
});
