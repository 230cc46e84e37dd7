import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { parsePySnapCommand, PY_SNAP_DEFAULTS } from '../../src/core/py-snap-args.js';
import { policyFromPySnap, pySnapSource, volumeNameFor, yamlScalar } from '../../src/core/policy-from-py-snap.js';
import type { PySnapInput } from '../../src/core/policy-from-py-snap.js';
import { loadPolicy } from '../../src/policy/load.js';
import { resolveHost } from '../../src/policy/resolve.js';
import type { HostPolicy } from '../../src/core/model.js';
import { assertGolden } from '../helpers/golden.js';

function generate(commandLine: string, host = 'db01', vg = 'vg0'): string {
  return policyFromPySnap({ options: parsePySnapCommand(commandLine), host, vg, vgNote: 'given with --vg', commandLine });
}

/** Loads generated YAML with the policy loader plan and apply use. */
async function resolved(text: string, host: string): Promise<HostPolicy> {
  const dir = await mkdtemp(join(tmpdir(), 'snapctl-from-py-snap-'));
  try {
    await writeFile(join(dir, 'policy.yaml'), text);
    return resolveHost(await loadPolicy(join(dir, 'policy.yaml')), host);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test("py_snap's documented defaults become a valid policy with exactly those values", async () => {
  const policy = await resolved(generate('py_snap.py'), 'db01');
  assert.equal(policy.backupDir, '/backup');
  assert.equal(policy.volumes.length, 1);
  const v = policy.volumes[0]!;
  assert.equal(v.name, 'data');
  assert.deepEqual(v.source, { kind: 'lvm', vg: 'vg0', lv: 'lv_data' });
  assert.equal(v.mount, '/data');
  assert.equal(v.compression, 'none');
  assert.deepEqual(v.schedule, { kind: 'daily' });
  assert.equal(v.retention.withinMs, 3 * 86_400_000);
  assert.equal(v.retention.withinText, '3d');
  assert.deepEqual(v.legacy, { snapshot: { vg: 'vg0', lv: 'lv_data_snap' }, mountPoint: '/tmp/snap_backup', cleanup: false });
  assert.equal(v.legacyPrefix, 'db01_data', "adopts py_snap's db01_data.<date>.tar archives");
});

test('a fully specified py_snap cron line gives exactly the golden policy', () => {
  const line = '30 2 * * * root /usr/bin/python /opt/py_snap.py -b /srv/backup --compress -f/var/lib/mongo --logical-volume=lv_mongo -m /mnt/snap -r 7 --snap-name mongo_snap --log-dir /var/log/lvm_backup >/dev/null 2>&1';
  assertGolden('test/golden/init/full-cron-line.yaml', generate(line, 'db01', 'vg_db'));
});

test('a cron line every 15 minutes or every 6 hours resolves to that every schedule', async () => {
  for (const [fields, ms] of [['*/15 * * * *', 15 * 60_000], ['0 */6 * * *', 6 * 3_600_000]] as const) {
    const v = (await resolved(generate(`${fields} /opt/py_snap.py`), 'db01')).volumes[0]!;
    assert.deepEqual(v.schedule, { kind: 'every', ms }, fields);
  }
});

test('the fully specified policy resolves to the py_snap values', async () => {
  const line = 'py_snap.py -b /srv/backup -c -f /var/lib/mongo -l lv_mongo -m /mnt/snap -r 7 -s mongo_snap';
  const v = (await resolved(generate(line, 'db01', 'vg_db'), 'db01')).volumes[0]!;
  assert.equal(v.name, 'var_lib_mongo');
  assert.deepEqual(v.source, { kind: 'lvm', vg: 'vg_db', lv: 'lv_mongo' });
  assert.equal(v.compression, 'gzip');
  assert.equal(v.retention.withinText, '7d');
  assert.deepEqual(v.legacy, { snapshot: { vg: 'vg_db', lv: 'mongo_snap' }, mountPoint: '/mnt/snap', cleanup: false });
  assert.equal(v.legacyPrefix, 'db01_var_lib_mongo');
});

test('the cron period becomes the schedule; a cron line with no simple period is daily, with a note', async () => {
  assert.deepEqual((await resolved(generate('0 * * * * /opt/py_snap.py'), 'db01')).volumes[0]!.schedule, { kind: 'hourly' });
  assert.deepEqual((await resolved(generate('0 4 * * 6 /opt/py_snap.py'), 'db01')).volumes[0]!.schedule, { kind: 'weekly' });
  const odd = generate('0 2,14 * * * /opt/py_snap.py');
  assert.match(odd, /^# The cron line "0 2,14 \* \* \*" has no simple period; daily was chosen\.$/m);
  assert.deepEqual((await resolved(odd, 'db01')).volumes[0]!.schedule, { kind: 'daily' });
});

test('scalars YAML would read as numbers or booleans are quoted and read back as the same strings', () => {
  for (const s of ['1e3', '10.0.0.5', '0x1F', '007', 'true', 'No', 'null', '~', '-x', '.inf', 'a b', 'a: b', '#c', 'db01', '/data', 'vg0/lv_data', 'db-01.example.com']) {
    const doc = yaml.load(`k: ${yamlScalar(s)}\n${yamlScalar(s)}: v\n`) as Record<string, unknown>;
    assert.equal(doc['k'], s, s);
    assert.equal(doc[s], 'v', `${s} as a key`);
  }
  assert.equal(yamlScalar('db01'), 'db01');
  assert.equal(yamlScalar('/var/lib/mongo'), '/var/lib/mongo');
});

test('a mount point that names the volume like a number stays that volume name', async () => {
  const policy = await resolved(generate('py_snap.py -f /1e3'), 'db01');
  assert.equal(policy.volumes[0]!.name, '1e3');
  assert.equal(policy.volumes[0]!.legacyPrefix, 'db01_1e3');
});

test('a line break in a value cannot end a comment and add keys to the policy', () => {
  const text = policyFromPySnap({ options: parsePySnapCommand('py_snap.py'), host: 'db01', vg: 'vg0', vgNote: 'CHECK: x\nversion: 2', commandLine: 'py_snap.py' });
  const doc = yaml.load(text) as { version: number };
  assert.equal(doc.version, 1);
  assert.match(text, /# CHECK: x\\nversion: 2$/m);
});

test('volume names from mount points: / becomes _, leading and trailing / dropped', () => {
  assert.equal(volumeNameFor('/data'), 'data');
  assert.equal(volumeNameFor('/var/lib/mongo'), 'var_lib_mongo');
  assert.equal(volumeNameFor('/data/'), 'data');
  assert.equal(volumeNameFor('/srv/my data'), 'srv_my_data');
});

test('each key of the generated policy that an input reaches maps back to that input', () => {
  // Every input gets a value of its own; wherever one shows up, in a key or a value, the key must name it.
  const options = { ...PY_SNAP_DEFAULTS, backupDir: '/Bdir', fileSystem: '/Fsys', logicalVolume: 'Llv', mount: '/Mnt', retentionDays: 77, snapName: 'Ssnap' };
  const markers: [PySnapInput, string][] = [
    ['backupDir', 'Bdir'], ['fileSystem', 'Fsys'], ['logicalVolume', 'Llv'], ['mount', 'Mnt'], ['retentionDays', '77'], ['snapName', 'Ssnap'], ['host', 'Hhost'], ['vg', 'Vvg'],
  ];
  const doc = yaml.load(policyFromPySnap({ options, host: 'Hhost', vg: 'Vvg', vgNote: 'given with --vg', commandLine: 'py_snap.py' }));
  const reached = new Set<PySnapInput>();
  const walk = (node: unknown, path: string[]): void => {
    if (typeof node !== 'object' || node === null) return;
    for (const [key, value] of Object.entries(node)) {
      const at = [...path, key];
      for (const [input, marker] of markers) {
        if (!key.includes(marker) && !(typeof value !== 'object' && String(value).includes(marker))) continue;
        assert.ok(pySnapSource(at)?.inputs.includes(input), `${at.join('.')} comes from ${input}`);
        reached.add(input);
      }
      walk(value, at);
    }
  };
  walk(doc, []);
  assert.deepEqual([...reached].sort(), markers.map(([input]) => input).sort(), 'every input shows up in the policy');
  assert.equal(pySnapSource(['hosts', 'Hhost', 'volumes', 'Fsys', 'legacy', 'cleanup']), undefined, 'a key no input sets');
});
