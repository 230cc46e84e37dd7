import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SnapctlError } from '../../src/core/errors.js';
import { loadPolicy } from '../../src/policy/load.js';
import type { LoadedPolicy } from '../../src/policy/load.js';
import { legacyPrefix, resolveHost } from '../../src/policy/resolve.js';
import { matchHost } from '../../src/policy/host-glob.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

async function policy(text: string): Promise<LoadedPolicy> {
  const dir = mkdtempSync(join(tmpdir(), 'snapctl-resolve-'));
  try {
    writeFileSync(join(dir, 'p.yaml'), text);
    return await loadPolicy(join(dir, 'p.yaml'), { git: false });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a volume with no settings gets snapctl defaults', async () => {
  const loaded = await policy('version: 1\nhosts:\n  db01:\n    volumes:\n      data: { lvm: vg0/lv_data }\n');
  const host = resolveHost(loaded, 'db01', { systemTimezone: 'Europe/Paris' });
  assert.deepEqual(host, {
    host: 'db01',
    matchedBy: 'db01',
    backupDir: '/backup',
    timezone: 'Europe/Paris',
    mountRoot: '/run/snapctl',
    volumes: [
      {
        name: 'data',
        source: { kind: 'lvm', vg: 'vg0', lv: 'lv_data' },
        schedule: { kind: 'daily' },
        retention: {},
        compression: 'zstd',
        snapshotSize: '10%ORIGIN',
        exclude: [],
        hooks: { preSnapshot: [], postSnapshot: [], timeoutMs: 300_000 },
        lockFiles: [],
      },
    ],
  });
});

test('defaults merge under volumes key by key; a volume key replaces the default wholesale', async () => {
  const loaded = await policy(`version: 1
timezone: America/New_York
healthcheck: https://hc.example/run
defaults:
  compression: gzip
  compressionLevel: 6
  retention: { keepDaily: 7, keepWeekly: 4 }
  exclude: ["*.tmp"]
  healthcheck: https://hc.example/volume
hosts:
  "db*":
    backupDir: /srv/backup
    mountRoot: /run/snap
    volumes:
      data:
        lvm: vg0/lv_data
        mount: /var/lib/mongo
        retention: { keepLast: 2, keepWithin: 2d12h }
        schedule: { every: 6h }
        snapshot: { size: 2G }
        hooks: { preSnapshot: [[sync]], timeout: 90m }
        lockFiles: [mongod.lock]
        legacy: { snapshot: vg0/lv_data_snap, mountPoint: /tmp/snap_backup }
      www: { path: /srv/www, compression: none }
`);
  const host = resolveHost(loaded, 'db07');
  assert.equal(host.matchedBy, 'db*');
  assert.equal(host.timezone, 'America/New_York');
  assert.equal(host.backupDir, '/srv/backup');
  assert.equal(host.mountRoot, '/run/snap');
  assert.equal(host.healthcheck, 'https://hc.example/run');
  const [data, www] = host.volumes;
  assert.deepEqual(data?.retention, { last: 2, withinMs: 60 * 3_600_000, withinText: '2d12h' });
  assert.deepEqual(data?.schedule, { kind: 'every', ms: 6 * 3_600_000 });
  assert.equal(data?.compression, 'gzip');
  assert.equal(data?.compressionLevel, 6);
  assert.equal(data?.snapshotSize, '2G');
  assert.deepEqual(data?.exclude, ['*.tmp']);
  assert.deepEqual(data?.hooks, { preSnapshot: [['sync']], postSnapshot: [], timeoutMs: 90 * 60_000 });
  assert.deepEqual(data?.lockFiles, ['mongod.lock']);
  assert.equal(data?.legacyPrefix, 'db07_var_lib_mongo');
  assert.deepEqual(data?.legacy, { snapshot: { vg: 'vg0', lv: 'lv_data_snap' }, mountPoint: '/tmp/snap_backup', cleanup: false });
  assert.equal(data?.healthcheck, 'https://hc.example/volume');
  assert.deepEqual(www?.source, { kind: 'path', path: '/srv/www' });
  assert.equal(www?.compression, 'none');
  assert.deepEqual(www?.retention, { daily: 7, weekly: 4 });
  assert.equal(www?.legacyPrefix, 'db07_srv_www');
  assert.equal(www?.legacy, undefined);
});

test('--backup-dir overrides every backupDir and is made absolute', async () => {
  const loaded = await policy('version: 1\nhosts:\n  a:\n    backupDir: /x\n    volumes:\n      v: { path: /v }\n');
  assert.equal(resolveHost(loaded, 'a', { backupDir: 'fixtures/backups' }).backupDir, resolve('fixtures/backups'));
  assert.equal(resolveHost(loaded, 'a', { backupDir: '/mnt/b' }).backupDir, '/mnt/b');
});

test('an lvm volume without mount has no legacy prefix; py_snap names join host and mount', async () => {
  const loaded = await policy('version: 1\nhosts:\n  a:\n    volumes:\n      v: { lvm: vg/lv }\n');
  assert.equal(resolveHost(loaded, 'a').volumes[0]?.legacyPrefix, undefined);
  assert.equal(legacyPrefix('db01', '/data'), 'db01_data');
  assert.equal(legacyPrefix('db01', '/var/lib/mongo'), 'db01_var_lib_mongo');
});

test('host keys: exact name wins, then the glob with most literal characters, ties are ambiguous', () => {
  const keys = ['db*', 'db0?', 'db01', '*', 'web-[0-9]', 'w*eb-1', '*-1'];
  assert.deepEqual(matchHost(keys, 'db01'), { kind: 'match', key: 'db01' });
  assert.deepEqual(matchHost(keys, 'db02'), { kind: 'match', key: 'db0?' });
  assert.deepEqual(matchHost(keys, 'db10'), { kind: 'match', key: 'db*' });
  assert.deepEqual(matchHost(keys, 'mail'), { kind: 'match', key: '*' });
  assert.deepEqual(matchHost(keys, 'web-1'), { kind: 'ambiguous', keys: ['web-[0-9]', 'w*eb-1'] });
  assert.deepEqual(matchHost(['db*'], 'web1'), { kind: 'none' });
  assert.deepEqual(matchHost(['db.example.com'], 'dbxexample.com'), { kind: 'none' }, 'dots are literal');
  assert.deepEqual(matchHost(['web-[!0-4]'], 'web-7'), { kind: 'match', key: 'web-[!0-4]' });
  assert.deepEqual(matchHost(['web-[!0-4]'], 'web-3'), { kind: 'none' });
});

test('a host matched by no key is an input error listing the keys', async () => {
  const loaded = await policy('version: 1\nhosts:\n  db01:\n    volumes:\n      v: { path: /v }\n  "web*":\n    volumes:\n      v: { path: /v }\n');
  assert.throws(
    () => resolveHost(loaded, 'mail01'),
    (err: unknown) => err instanceof SnapctlError && err.kind === 'input' && /"mail01"/.test(err.summary) && /Host keys: db01, web\*/.test(err.detail ?? ''),
  );
});

test('two equally specific globs matching the host are an input error naming both', async () => {
  const loaded = await policy('version: 1\nhosts:\n  "db*":\n    volumes:\n      v: { path: /v }\n  "*01":\n    volumes:\n      v: { path: /v }\n');
  assert.throws(() => resolveHost(loaded, 'db01'), (err: unknown) => err instanceof SnapctlError && err.summary === 'host "db01" matches two globs equally: "db*" and "*01"');
});

test('a host name that cannot be a directory and the start of archive names is refused before anything else', async () => {
  const loaded = await policy('version: 1\nhosts:\n  "*":\n    volumes:\n      v: { path: /v }\n');
  const longest = 'h'.repeat(64);
  for (const good of ['db01', 'DB01.example.org', 'a_b-c', '7', longest]) assert.equal(resolveHost(loaded, good).host, good);
  const bad: [string, RegExp][] = [
    ['../etc', /^invalid host name "\.\.\/etc": expected a letter or digit/],
    ['db01/x', /^invalid host name "db01\/x": expected a letter or digit/],
    ['', /^invalid host name "": it is empty$/],
    ['db01 ', /^invalid host name "db01 ": expected/],
    ['.hidden', /^invalid host name "\.hidden": expected/],
    ['-x', /^invalid host name "-x": expected/],
    ['a..b', /^invalid host name "a\.\.b": it contains "\.\."$/],
    [`${longest}h`, /^invalid host name "h{65}": it is 65 characters long; at most 64 are allowed$/],
  ];
  for (const [host, summary] of bad) {
    assert.throws(
      () => resolveHost(loaded, host),
      (err: unknown) => err instanceof SnapctlError && err.kind === 'input' && summary.test(err.summary) && /--host NAME/.test(err.detail ?? ''),
      JSON.stringify(host),
    );
  }
});

test('a policy directory resolves hosts from any of its files, with timezone from the file that sets it', async () => {
  const loaded = await loadPolicy(join(ROOT, 'fixtures', 'policies', 'dir-ok'), { git: false });
  const web = resolveHost(loaded, 'web3', { systemTimezone: 'UTC' });
  assert.equal(web.matchedBy, 'web*');
  assert.equal(web.timezone, 'Europe/Berlin');
  assert.deepEqual(web.volumes.map((v) => v.name), ['www']);
});

test('py-snap-defaults.yaml resolves to py_snap\'s defaults', async () => {
  const loaded = await loadPolicy(join(ROOT, 'policies', 'py-snap-defaults.yaml'), { git: false });
  const host = resolveHost(loaded, 'db01', { systemTimezone: 'UTC' });
  assert.equal(host.backupDir, '/backup');
  const [data] = host.volumes;
  assert.equal(data?.legacyPrefix, 'db01_data');
  assert.equal(data?.compression, 'none');
  assert.deepEqual(data?.retention, { withinMs: 3 * 86_400_000, withinText: '3d' });
  assert.deepEqual(data?.source, { kind: 'lvm', vg: 'vg0', lv: 'lv_data' });
  assert.deepEqual(data?.legacy, { snapshot: { vg: 'vg0', lv: 'lv_data_snap' }, mountPoint: '/tmp/snap_backup', cleanup: false });
});

test('the policy timezone is spelt as the time zone database spells it, whatever its case', async () => {
  for (const [given, canonical] of [['utc', 'UTC'], ['europe/berlin', 'Europe/Berlin'], ['America/New_York', 'America/New_York']] as const) {
    const loaded = await policy(`version: 1\ntimezone: ${given}\nhosts:\n  h1:\n    volumes:\n      v: { path: /v }\n`);
    assert.equal(resolveHost(loaded, 'h1').timezone, canonical, given);
  }
});

test('without timezone the system\'s zone is used, spelt as the time zone database spells it', async () => {
  const loaded = await policy('version: 1\nhosts:\n  h1:\n    volumes:\n      v: { path: /v }\n');
  for (const [system, canonical] of [['Etc/UTC', 'UTC'], ['Europe/Berlin', 'Europe/Berlin']] as const) {
    assert.equal(resolveHost(loaded, 'h1', { systemTimezone: system }).timezone, canonical, system);
  }
  const set = await policy('version: 1\ntimezone: Asia/Tokyo\nhosts:\n  h1:\n    volumes:\n      v: { path: /v }\n');
  assert.equal(resolveHost(set, 'h1', { systemTimezone: 'Europe/Berlin' }).timezone, 'Asia/Tokyo', 'the policy\'s own wins');
});

test('no matching host key: the hint names a key that differs only in case or domain (matching stays exact: the name is in every archive)', async () => {
  const loaded = await policy('version: 1\nhosts:\n  db01:\n    volumes:\n      v: { path: /v }\n  "web*":\n    volumes:\n      v: { path: /v }\n');
  const hint = (name: string): string | undefined => {
    try {
      resolveHost(loaded, name);
      return 'matched';
    } catch (err) {
      return (err as SnapctlError).detail;
    }
  };
  assert.equal(hint('db01.example.com'), 'Host keys: db01, web*. "db01" differs only in the domain: pass --host db01 (archives are named after it), or rename the key.');
  assert.equal(hint('DB01'), 'Host keys: db01, web*. "db01" differs only in case: pass --host db01 (archives are named after it), or rename the key.');
  assert.equal(hint('mail01'), 'Host keys: db01, web*. Add the host to the policy, or pass --host NAME.');
  assert.equal(hint('web01.example.com'), 'matched', 'a glob matches the name as it is');
});

test('a UTC policy resolves without asking Intl, whose first use loads ICU\'s zone data (~15 ms and ~7 MB in every plan and apply)', async () => {
  for (const given of ['UTC', 'Etc/UTC']) {
    const loaded = await policy(`version: 1\ntimezone: ${given}\nhosts:\n  h1:\n    volumes:\n      v: { path: /v }\n`);
    const original = Intl.DateTimeFormat;
    Intl.DateTimeFormat = function refused(): never {
      throw new Error('Intl.DateTimeFormat was asked');
    } as unknown as typeof Intl.DateTimeFormat;
    try {
      assert.equal(resolveHost(loaded, 'h1').timezone, 'UTC', given);
    } finally {
      Intl.DateTimeFormat = original;
    }
  }
});
