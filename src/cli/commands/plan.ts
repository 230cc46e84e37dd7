// snapctl plan: observe, plan, print the diff (or JSON); change nothing.
import { parseArgs } from 'node:util';
import { writeFile } from 'node:fs/promises';
import { plan as computePlan } from '../../core/plan.js';
import { inventoryFingerprint, SAVED_PLAN_FORMAT, type SavedPlan } from '../../core/saved-plan.js';
import { SnapctlError } from '../../core/errors.js';
import { observe } from '../../adapters/observe.js';
import { systemObservePorts } from '../../adapters/system.js';
import { renderPlan } from '../../render/plan-text.js';
import { planJson } from '../../render/plan-json.js';
import { EXIT } from '../exit-codes.js';
import { loadContext } from '../policy-context.js';
import { palette } from '../palette.js';

export const HELP = `usage: snapctl plan --policy FILE|DIR [options]

Shows what \`snapctl apply\` would do now: which archives are due (+), which
have expired under the retention rules (-), and which leftovers of
interrupted runs would be cleaned up (~). Changes nothing; needs no root
(without root or LVM it says that it could not check LVM).

Options:
  --policy FILE|DIR     policy file, or a directory of *.yaml policies (required)
  --host NAME           plan for this host (default: this machine's hostname)
  --backup-dir DIR      use DIR instead of every backupDir in the policy
                        (archives live in DIR/<host>/; py_snap's -b)
  --now TIME            plan as if it were TIME (ISO-8601, e.g. 2026-11-26T03:00:00Z)
  --json                print one JSON document instead of the diff
  --out PLANFILE        also save the plan for \`snapctl apply PLANFILE\`
  --detailed-exitcode   exit 2 when there are changes, 0 when there are none
  --verbose             show why each archive is kept
  --no-color            no colours (also: NO_COLOR set, or stdout not a terminal)
  -h, --help            this help

Exit codes:
  0  success (with --detailed-exitcode: success and no changes)
  1  error: bad policy or flags, unreadable backup directory
  2  with --detailed-exitcode: success, changes pending
`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      policy: { type: 'string' },
      host: { type: 'string' },
      'backup-dir': { type: 'string' },
      now: { type: 'string' },
      json: { type: 'boolean', default: false },
      out: { type: 'string' },
      'detailed-exitcode': { type: 'boolean', default: false },
      verbose: { type: 'boolean', short: 'v', default: false },
      'no-color': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return EXIT.ok;
  }
  const ctx = await loadContext({ policy: values.policy, host: values.host, backupDir: values['backup-dir'], now: values.now });
  const { observed, files } = await observe(ctx.policy, systemObservePorts);
  const result = computePlan(ctx.policy, observed, ctx.now);

  if (values.out !== undefined) {
    const saved: SavedPlan = {
      format: SAVED_PLAN_FORMAT,
      version: 1,
      request: {
        policy: values.policy ?? '',
        host: ctx.policy.host,
        ...(values['backup-dir'] !== undefined ? { backupDir: values['backup-dir'] } : {}),
      },
      policyHash: ctx.source.hash,
      ...(ctx.source.git ? { git: ctx.source.git } : {}),
      inventoryFingerprint: inventoryFingerprint(files, observed),
      plan: result,
    };
    try {
      await writeFile(values.out, `${JSON.stringify(saved, null, 2)}\n`);
    } catch (err) {
      throw new SnapctlError('input', `cannot write the plan to ${values.out}: ${(err as Error).message}`);
    }
  }

  if (values.json) process.stdout.write(`${JSON.stringify(planJson(result, ctx.source), null, 2)}\n`);
  else process.stdout.write(renderPlan({ plan: result, policy: ctx.policy, archives: observed.archives, source: ctx.source, verbose: values.verbose }, palette(values['no-color'])));
  if (values.out !== undefined && !values.json) process.stdout.write(`Saved the plan to ${values.out}; apply it with: snapctl apply ${values.out}\n`);

  const changes = result.actions.length > 0;
  return values['detailed-exitcode'] && changes ? EXIT.changes : EXIT.ok;
}
