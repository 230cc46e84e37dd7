// Healthcheck pings against a real local HTTP server (127.0.0.1, random
// port) that records what it receives: URLs, order and bodies for the run
// and per volume, one retry on 500 and on a hang (timeout), and a failing or
// unreachable endpoint that never changes apply's exit code, user:password@
// sent as Basic authentication, log lines that never show a check's secret,
// and one check shared by several volumes (defaults) pinged once for all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ping, pingUrl, shownUrl, tailBody, volumeHealthchecks } from '../../src/apply/healthcheck.js';
import type { VolumeOutcome } from '../../src/apply/execute.js';
import { testHostPolicy, testVolume } from '../helpers/volume.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

interface Received {
  readonly method: string;
  readonly path: string;
  readonly body: string;
  /** The Authorization header, '' without one. */
  readonly authorization: string;
}

interface Recorder {
  readonly base: string;
  readonly requests: Received[];
  close(): Promise<void>;
}

/** A server on 127.0.0.1 that records every request, then answers as `respond` says ('hang': never). */
async function recorder(respond: (req: Received) => number | 'hang' = () => 200): Promise<Recorder> {
  const requests: Received[] = [];
  const hanging: ServerResponse[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.setEncoding('utf8').on('data', (c: string) => (body += c));
    req.on('end', () => {
      const r = { method: req.method ?? '', path: req.url ?? '', body, authorization: req.headers.authorization ?? '' };
      requests.push(r);
      const status = respond(r);
      if (status === 'hang') hanging.push(res);
      else res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 400 ? 'OK' : 'error');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('ping URLs: /start and /fail appended to the path (trailing slash or not), the query kept, success is the URL itself', () => {
  assert.equal(pingUrl('https://hc-ping.com/abc', 'start'), 'https://hc-ping.com/abc/start');
  assert.equal(pingUrl('https://hc-ping.com/abc/', 'fail'), 'https://hc-ping.com/abc/fail');
  assert.equal(pingUrl('https://hc.example/ping/key/slug?create=1', 'start'), 'https://hc.example/ping/key/slug/start?create=1');
  assert.equal(pingUrl('https://hc-ping.com/abc', 'success'), 'https://hc-ping.com/abc');
});

test('the /fail body is the last 50 lines, cut from the front to 10 kB', () => {
  const lines = Array.from({ length: 80 }, (_, i) => `line ${i}`);
  assert.deepEqual(tailBody(lines).split('\n'), lines.slice(30));
  const long = Array.from({ length: 50 }, (_, i) => `${i} ${'x'.repeat(400)}`);
  const body = tailBody(long);
  assert.ok(Buffer.byteLength(body) <= 10_240, `${Buffer.byteLength(body)} bytes`);
  assert.ok(body.endsWith(long[49]!), 'the newest line is kept');
  assert.ok(Buffer.byteLength(tailBody(['é'.repeat(20_000)])) <= 10_240, 'a single huge line is cut too');
});

test('a ping that gets 500 is retried once, then only warns and reports false', async () => {
  const server = await recorder(() => 500);
  try {
    const warnings: string[] = [];
    const ok = await ping(`${server.base}/check`, 'fail', 'the tail', (m) => warnings.push(m), { retryDelayMs: 10 });
    assert.equal(ok, false);
    assert.deepEqual(server.requests.map((r) => [r.method, r.path, r.body]), [['POST', '/check/fail', 'the tail'], ['POST', '/check/fail', 'the tail']]);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /^healthcheck ping to http:\/\/127\.0\.0\.1:\d+\/…\/fail failed \(HTTP 500 Internal Server Error\); the backup result is not affected$/);
  } finally {
    await server.close();
  }
});

test('a server that never answers times out, is retried once, and the ping gives up in bounded time', async () => {
  const server = await recorder(() => 'hang');
  try {
    const warnings: string[] = [];
    const started = Date.now();
    const ok = await ping(server.base, 'start', '', (m) => warnings.push(m), { timeoutMs: 300, retryDelayMs: 10 });
    assert.equal(ok, false);
    assert.equal(server.requests.length, 2);
    assert.ok(Date.now() - started < 5000, 'bounded by two timeouts');
    assert.match(warnings[0] ?? '', /no answer within 0\.3 s/);
  } finally {
    await server.close();
  }
});

test('a 404 is not retried; a refused connection is retried and named', async () => {
  const server = await recorder(() => 404);
  try {
    const warnings: string[] = [];
    assert.equal(await ping(server.base, 'success', 'ok', (m) => warnings.push(m), { retryDelayMs: 10 }), false);
    assert.equal(server.requests.length, 1);
    assert.match(warnings[0] ?? '', /HTTP 404/);
  } finally {
    await server.close();
  }
  const warnings: string[] = [];
  assert.equal(await ping(`http://127.0.0.1:${await closedPort()}/x`, 'start', '', (m) => warnings.push(m), { retryDelayMs: 10 }), false);
  assert.match(warnings[0] ?? '', /ECONNREFUSED/);
});

interface ApplyRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(args: string[]): Promise<ApplyRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/snapctl.js', ...args], { cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

interface PolicyRun extends ApplyRun {
  /** The run's snapctl.log. */
  readonly log: string;
}

/** Applies the policy `make` writes for a fresh directory (sources under it), with the log, state and lock there too. */
async function applyPolicy(make: (dir: string) => Promise<object>, now = '2026-03-01T03:00:00Z'): Promise<PolicyRun> {
  const dir = await mkdtemp(join(tmpdir(), 'snapctl-hc-'));
  try {
    await writeFile(join(dir, 'policy.yaml'), JSON.stringify(await make(dir)));
    const r = await run(['apply', '--policy', join(dir, 'policy.yaml'), '--host', 'h1', '--now', now, '--log-dir', join(dir, 'log'), '--state-dir', join(dir, 'state'), '--lock-file', join(dir, 'lock')]);
    return { ...r, log: await readFile(join(dir, 'log', 'snapctl.log'), 'utf8') };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Path volumes under `dir`: a source with one file for each ok one, a missing source (apply fails) for the others. */
async function pathVolumes(dir: string, volumes: Record<string, { ok: boolean; healthcheck?: string }>): Promise<Record<string, unknown>> {
  const vols: Record<string, unknown> = {};
  for (const [name, { ok, healthcheck }] of Object.entries(volumes)) {
    const src = join(dir, `src-${name}`);
    if (ok) {
      await mkdir(src);
      await writeFile(join(src, 'f'), name);
    }
    vols[name] = { path: src, schedule: 'daily', ...(healthcheck !== undefined ? { healthcheck } : {}) };
  }
  return vols;
}

/** Applies a policy with a run-level check at `<base>/run` and, per volume, `<base>/<volume>`. */
async function applyWith(base: string, volumes: Record<string, { ok: boolean }>, now = '2026-03-01T03:00:00Z'): Promise<ApplyRun> {
  const withChecks = Object.fromEntries(Object.entries(volumes).map(([name, v]) => [name, { ...v, healthcheck: `${base}/${name}` }]));
  return applyPolicy(async (dir) => ({ version: 1, timezone: 'UTC', healthcheck: `${base}/run`, hosts: { h1: { backupDir: join(dir, 'backup'), volumes: await pathVolumes(dir, withChecks) } } }), now);
}

test('apply pings the run and each volume in order: run/start, vol/start, vol, …, run with the summary', async () => {
  const server = await recorder();
  try {
    const r = await applyWith(server.base, { docs: { ok: true }, web: { ok: true } });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(server.requests.map((q) => `${q.method} ${q.path}`), ['POST /run/start', 'POST /docs/start', 'POST /docs', 'POST /web/start', 'POST /web', 'POST /run']);
    assert.match(server.requests[2]!.body, /^created h1_docs\.20260301T030000Z\.tar\.zst \(\d+ bytes in \d+\.\d s\)$/);
    assert.match(server.requests[5]!.body, /^snapctl apply on h1 at 2026-03-01T03:00:00.000Z: 2 created/);
    assert.equal(r.stderr, '', 'no warnings');
  } finally {
    await server.close();
  }
});

test('a failing volume pings its /fail with its own log lines, and the run pings /fail with the log tail and the summary', async () => {
  const server = await recorder();
  try {
    const r = await applyWith(server.base, { docs: { ok: true }, web: { ok: false } });
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.deepEqual(server.requests.map((q) => q.path), ['/run/start', '/docs/start', '/docs', '/web/start', '/web/fail', '/run/fail']);
    const webFail = server.requests[4]!.body;
    assert.match(webFail, /ERROR web: create failed, nothing deleted for this volume: .*src-web does not exist/);
    assert.doesNotMatch(webFail, / docs: /, 'only the volume\'s own lines');
    const runFail = server.requests[5]!.body;
    assert.match(runFail, /INFO {2}apply for h1 started/);
    assert.match(runFail, /INFO {2}docs: wrote h1_docs/);
    assert.match(runFail, /ERROR web: create failed/);
    assert.match(runFail, /apply finished with exit code 3\nsnapctl apply on h1 at 2026-03-01T03:00:00.000Z: 1 created, 0 deleted, 0 cleaned up, 1 failed\n[^]*src-web does not exist$/, 'the tail, then the summary');
  } finally {
    await server.close();
  }
});

test('a volume that is not due pings success without /start', async () => {
  const server = await recorder();
  try {
    const dir = await mkdtemp(join(tmpdir(), 'snapctl-hc-'));
    try {
      const src = join(dir, 'src');
      await mkdir(src);
      await writeFile(join(src, 'file'), 'data\n');
      await writeFile(join(dir, 'policy.yaml'), JSON.stringify({ version: 1, timezone: 'UTC', hosts: { h1: { backupDir: join(dir, 'backup'), volumes: { docs: { path: src, schedule: 'daily', healthcheck: `${server.base}/docs` } } } } }));
      const args = (now: string): string[] => ['apply', '--policy', join(dir, 'policy.yaml'), '--host', 'h1', '--now', now, '--log-dir', join(dir, 'log'), '--state-dir', join(dir, 'state'), '--lock-file', join(dir, 'lock')];
      assert.equal((await run(args('2026-03-01T03:00:00Z'))).code, 0);
      server.requests.length = 0;
      assert.equal((await run(args('2026-03-01T04:00:00Z'))).code, 0);
      assert.deepEqual(server.requests.map((q) => [q.path, q.body]), [['/docs', 'up to date']]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  } finally {
    await server.close();
  }
});

test('pings answered with 500 or refused only warn: the backup is made and the exit code stays 0', async () => {
  const server = await recorder(() => 500);
  try {
    const r = await applyWith(server.base, { docs: { ok: true } });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /1 created, 0 deleted, 0 cleaned up, 0 failed/);
    assert.equal(server.requests.length, 8, 'four pings, each tried twice');
    assert.match(r.stderr, /warning: healthcheck ping of the run to http:\/\/127\.0\.0\.1:\d+\/…\/start failed \(HTTP 500/);
  } finally {
    await server.close();
  }
  const refused = await applyWith(`http://127.0.0.1:${await closedPort()}`, { docs: { ok: true } });
  assert.equal(refused.code, 0, refused.stdout + refused.stderr);
  assert.match(refused.stderr, /warning: healthcheck ping .* failed \(ECONNREFUSED\)/);
});

test('log lines show a check as scheme and host only: no path, query or user:password@', () => {
  assert.equal(shownUrl('https://hc-ping.com/0b1e4d2c-6b0a-4a53-9d2e-5f0c2a1b3c4d', 'start'), 'https://hc-ping.com/…/start');
  assert.equal(shownUrl('http://user:S3cretPass@127.0.0.1:18089/run?api_key=X', 'fail'), 'http://127.0.0.1:18089/…/fail');
  assert.equal(shownUrl('https://hc.example/ping/key/slug?create=1', 'success'), 'https://hc.example/…');
});

const UUID = '0b1e4d2c-6b0a-4a53-9d2e-5f0c2a1b3c4d';
/** The parts of the checks' URLs below that no log line may show. */
const SECRETS = ['S3cretPass', 'user:', UUID, 'api_key', 'tok3n'];

/** A run check and a volume check with user:password@, a UUID in the path and a token in the query. */
function secretChecks(base: string): { run: string; docs: string } {
  const auth = base.replace('http://', 'http://user:S3cretPass@');
  return { run: `${auth}/run/${UUID}?api_key=tok3n`, docs: `${auth}/docs/${UUID}?api_key=tok3n` };
}

test('a URL with user:password@ is pinged with them as HTTP Basic authentication, the path and query kept', async () => {
  const basic = `Basic ${Buffer.from('user:S3cretPass').toString('base64')}`;
  const server = await recorder((req) => (req.authorization === basic ? 200 : 401));
  try {
    const checks = secretChecks(server.base);
    const r = await applyPolicy(async (dir) => ({ version: 1, timezone: 'UTC', healthcheck: checks.run, hosts: { h1: { backupDir: join(dir, 'backup'), volumes: await pathVolumes(dir, { docs: { ok: true, healthcheck: checks.docs } }) } } }));
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(
      server.requests.map((q) => [q.path, q.authorization]),
      [`/run/${UUID}/start?api_key=tok3n`, `/docs/${UUID}/start?api_key=tok3n`, `/docs/${UUID}?api_key=tok3n`, `/run/${UUID}?api_key=tok3n`].map((path) => [path, basic]),
    );
    assert.equal(r.stderr, '', 'every ping was taken');
    assert.doesNotMatch(r.log, /healthcheck/);
  } finally {
    await server.close();
  }
});

test('a ping that fails is logged without the check\'s password, path or query, on stderr and in snapctl.log', async () => {
  const server = await recorder(() => 500);
  const refusedBase = `http://127.0.0.1:${await closedPort()}`;
  try {
    for (const base of [server.base, refusedBase]) {
      const checks = secretChecks(base);
      const r = await applyPolicy(async (dir) => ({ version: 1, timezone: 'UTC', healthcheck: checks.run, hosts: { h1: { backupDir: join(dir, 'backup'), volumes: await pathVolumes(dir, { docs: { ok: true, healthcheck: checks.docs } }) } } }));
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const host = base.replace('http://', '');
      const why = base === server.base ? 'HTTP 500 Internal Server Error' : 'ECONNREFUSED';
      for (const [owner, shown] of [['the run', '/…/start'], ['volume docs', '/…/start'], ['volume docs', '/…'], ['the run', '/…']] as const) {
        const line = `healthcheck ping of ${owner} to http://${host}${shown} failed (${why}); the backup result is not affected`;
        assert.ok(r.stderr.includes(`warning: ${line}\n`), `stderr has "${line}":\n${r.stderr}`);
        assert.ok(r.log.includes(`WARN  ${line}\n`), `snapctl.log has "${line}":\n${r.log}`);
      }
      for (const secret of SECRETS) {
        assert.ok(!r.stderr.includes(secret), `stderr shows "${secret}":\n${r.stderr}`);
        assert.ok(!r.log.includes(secret), `snapctl.log shows "${secret}":\n${r.log}`);
      }
    }
  } finally {
    await server.close();
  }
});

/** Applies a policy whose `defaults` has the check `<base>/shared`, the run's `<base>/run` unless `run` says otherwise. */
function applyShared(base: string, volumes: Record<string, { ok: boolean; healthcheck?: string }>, run = `${base}/run`): Promise<PolicyRun> {
  return applyPolicy(async (dir) => ({ version: 1, timezone: 'UTC', healthcheck: run, defaults: { healthcheck: `${base}/shared` }, hosts: { h1: { backupDir: join(dir, 'backup'), volumes: await pathVolumes(dir, volumes) } } }));
}

test('volumes that share a check (defaults) ping it once: /start, then /fail when any of them failed, even one before the last', async () => {
  const server = await recorder();
  try {
    const r = await applyShared(server.base, { web: { ok: false }, docs: { ok: true } });
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.deepEqual(server.requests.map((q) => q.path), ['/run/start', '/shared/start', '/shared/fail', '/run/fail']);
    const body = server.requests[2]!.body;
    assert.match(body, /^docs: created h1_docs\.20260301T030000Z\.tar\.zst \(\d+ bytes in \d+\.\d s\)\n/, 'first how the others went');
    assert.match(body, /ERROR web: create failed, nothing deleted for this volume: .*src-web does not exist$/);
    assert.doesNotMatch(body, / docs: wrote /, 'the log lines of the failed volumes only');
  } finally {
    await server.close();
  }
});

test('a shared check is pinged success after the last of its volumes, around the pings of a volume with a check of its own', async () => {
  const server = await recorder();
  try {
    const r = await applyShared(server.base, { docs: { ok: true }, db: { ok: true, healthcheck: `${server.base}/db` }, web: { ok: true } });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(server.requests.map((q) => q.path), ['/run/start', '/shared/start', '/db/start', '/db', '/shared', '/run']);
    assert.match(server.requests[4]!.body, /^docs: created h1_docs\.20260301T030000Z\.tar\.zst \(\d+ bytes in \d+\.\d s\)\nweb: created h1_web\.20260301T030000Z\.tar\.zst \(\d+ bytes in \d+\.\d s\)$/);
    assert.match(server.requests[3]!.body, /^created h1_db\./, 'a check of one volume keeps its body');
    assert.equal(r.stderr, '');
  } finally {
    await server.close();
  }
});

test('a volume check that is the run\'s own URL is not pinged apart: the run\'s /start and /fail cover it', async () => {
  const server = await recorder();
  try {
    const r = await applyShared(server.base, { web: { ok: false }, docs: { ok: true } }, `${server.base}/shared/`);
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.deepEqual(server.requests.map((q) => q.path), ['/shared/start', '/shared/fail']);
  } finally {
    await server.close();
  }
});

test('a shared check\'s warning names its volumes', async () => {
  const r = await applyShared(`http://127.0.0.1:${await closedPort()}`, { docs: { ok: true }, web: { ok: true } });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stderr, /warning: healthcheck ping of volumes docs, web to http:\/\/127\.0\.0\.1:\d+\/…\/start failed \(ECONNREFUSED\)/);
  assert.match(r.stderr, /warning: healthcheck ping of volumes docs, web to http:\/\/127\.0\.0\.1:\d+\/… failed \(ECONNREFUSED\)/);
});

test('an interrupted volume ends every check that began with /fail, naming the volumes that did not run', async () => {
  const server = await recorder();
  try {
    const shared = `${server.base}/shared`;
    const volumes = ['docs', 'web', 'db', 'logs'].map((name) => testVolume(name, { kind: 'path', path: `/srv/${name}` }, { healthcheck: name === 'logs' ? `${server.base}/logs` : shared }));
    const lines = ['2026-03-01T03:00:01.000Z ERROR web: tar: interrupted'];
    const hooks = volumeHealthchecks(testHostPolicy('/tmp/x', volumes), { warn: (m) => lines.push(m), tail: () => lines }, { retryDelayMs: 10 });
    const create = (volume: string) => [{ type: 'create' as const, volume, archive: `h1_${volume}.tar`, path: `/b/h1_${volume}.tar`, reason: 'due' }];
    const outcome = (volume: string, status: VolumeOutcome['status']): VolumeOutcome => ({ volume, status, deleted: [], errors: status === 'interrupted' ? ['interrupted'] : [] });
    await hooks.volumeStart(volumes[0]!, create('docs'));
    await hooks.volumeDone(volumes[0]!, outcome('docs', 'up-to-date'));
    await hooks.volumeStart(volumes[1]!, create('web'));
    await hooks.volumeDone(volumes[1]!, outcome('web', 'interrupted'));
    assert.deepEqual(server.requests.map((q) => q.path), ['/shared/start', '/shared/fail'], 'logs never began: not pinged');
    assert.equal(server.requests[1]!.body, 'docs: up to date\n2026-03-01T03:00:01.000Z ERROR web: tar: interrupted\ndb: not run, apply was interrupted');
    assert.deepEqual(lines.slice(1), [], 'no warnings');
  } finally {
    await server.close();
  }
});
