// The planner on fixture cases (fixtures/plans/<case>/), against golden JSON
// and golden verbose text in test/golden/plans/<case>.{json,txt}.
// Regenerate the goldens with `UPDATE_GOLDEN=1 npm test`, then read the diff:
// a golden that looks wrong is a bug in the code, not in the golden.
//
// A case directory holds policy.yaml, case.json ({ host, now, backupDir,
// lvmUnavailable? }), files.txt (the host directory's file names; absent =
// the directory does not exist), and optionally lvs.json / vgs.json (LVM
// JSON reports) and mounts.txt (a /proc/self/mounts excerpt).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { plan } from '../../src/core/plan.js';
import { classifyBackupDir } from '../../src/core/naming.js';
import type { HostPolicy, LvmState, Observed, Plan } from '../../src/core/model.js';
import { parseLvs, parseVgs } from '../../src/adapters/lvm-parse.js';
import { parseMounts } from '../../src/adapters/mounts.js';
import { loadPolicy } from '../../src/policy/load.js';
import { resolveHost } from '../../src/policy/resolve.js';
import { NO_COLORS, renderPlan } from '../../src/render/plan-text.js';
import { planJson } from '../../src/render/plan-json.js';
import { assertGolden, REPO_ROOT } from '../helpers/golden.js';

const CASES_DIR = join(REPO_ROOT, 'fixtures', 'plans');

interface CaseFile {
  readonly host: string;
  readonly now: string;
  readonly backupDir: string;
  readonly lvmUnavailable?: string;
}

interface Case {
  readonly name: string;
  readonly policy: HostPolicy;
  readonly observed: Observed;
  readonly now: number;
}

function optional(dir: string, file: string): string | undefined {
  const path = join(dir, file);
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

/** Observed state built from the case's files with the same pure pieces observe() uses. */
async function loadCase(name: string): Promise<Case> {
  const dir = join(CASES_DIR, name);
  const spec = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as CaseFile;
  const loaded = await loadPolicy(join(dir, 'policy.yaml'), { git: false });
  const policy = resolveHost(loaded, spec.host, { backupDir: spec.backupDir, systemTimezone: 'UTC' });
  const listing = optional(dir, 'files.txt');
  const files = listing === undefined ? [] : listing.split('\n').filter((f) => f !== '');
  const { archives, others } = classifyBackupDir(files, policy.host, policy.volumes, policy.timezone);
  const lvsText = optional(dir, 'lvs.json');
  const vgsText = optional(dir, 'vgs.json');
  const needsLvm = policy.volumes.some((v) => v.source.kind === 'lvm');
  let lvm: LvmState;
  if (!needsLvm) lvm = { available: false, reason: 'no lvm volumes in the policy' };
  else if (spec.lvmUnavailable !== undefined) lvm = { available: false, reason: spec.lvmUnavailable };
  else if (lvsText !== undefined && vgsText !== undefined) lvm = { available: true, lvs: parseLvs(lvsText), vgs: parseVgs(vgsText) };
  else throw new Error(`case ${name}: an lvm volume needs lvs.json and vgs.json, or lvmUnavailable`);
  const observed: Observed = {
    archives,
    others,
    backupDirExists: listing !== undefined,
    lvm,
    mounts: parseMounts(optional(dir, 'mounts.txt') ?? ''),
    btrfsLeftovers: [],
  };
  return { name, policy, observed, now: Date.parse(spec.now) };
}

/** What must hold for every plan, whatever the policy. */
function checkInvariants(c: Case, result: Plan): void {
  const volumes = new Set(c.policy.volumes.map((v) => v.name));
  const observedFiles = new Set(c.observed.archives.map((a) => a.file));
  const deletes = result.actions.filter((a) => a.type === 'delete');
  for (const d of deletes) {
    assert.ok(observedFiles.has(d.archive), `${c.name}: deletes ${d.archive}, which is not an observed archive`);
    assert.ok(volumes.has(d.volume), `${c.name}: deletes ${d.archive} of ${d.volume}, not a policy volume`);
    assert.equal(d.path, `${result.backupDir}/${d.archive}`, `${c.name}: delete path outside the host directory`);
  }
  for (const volume of volumes) {
    const mine = c.observed.archives.filter((a) => a.volume === volume);
    const deleted = deletes.filter((d) => d.volume === volume).map((d) => d.archive);
    const kept = result.kept.filter((k) => k.volume === volume).map((k) => k.archive);
    assert.deepEqual([...kept, ...deleted].sort(), mine.map((a) => a.file).sort(), `${c.name}: kept ∪ deleted ≠ observed archives of ${volume}`);
    assert.equal(new Set([...kept, ...deleted]).size, mine.length, `${c.name}: an archive of ${volume} is both kept and deleted`);
    const newest = mine.reduce<(typeof mine)[number] | undefined>((a, b) => (a === undefined || b.time > a.time ? b : a), undefined);
    if (newest) assert.ok(!deleted.includes(newest.file), `${c.name}: deletes the newest archive of ${volume}`);
    for (const k of result.kept.filter((x) => x.volume === volume)) assert.ok(k.reasons.length > 0, `${c.name}: ${k.archive} kept without a reason`);
  }
  // Archives of volumes outside the policy are never planned for deletion.
  for (const d of deletes) assert.ok(!result.unmanaged.includes(d.archive));
  assert.deepEqual(plan(c.policy, c.observed, c.now), result, `${c.name}: the plan differs when computed twice`);
}

const names = readdirSync(CASES_DIR, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

test('the plan fixture set is not empty', () => {
  assert.ok(names.length >= 15, `only ${names.length} cases under fixtures/plans`);
});

for (const name of names) {
  test(`plan ${name}: golden JSON and text, invariants`, async () => {
    const c = await loadCase(name);
    const result = plan(c.policy, c.observed, c.now);
    checkInvariants(c, result);
    assertGolden(`test/golden/plans/${name}.json`, `${JSON.stringify(planJson(result), null, 2)}\n`);
    assertGolden(`test/golden/plans/${name}.txt`, renderPlan({ plan: result, policy: c.policy, archives: c.observed.archives, verbose: true }, NO_COLORS));
  });
}
