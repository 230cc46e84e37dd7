import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

test('src/policy/policy-document.generated.ts is what the schema generates (run `npm run gen:types`)', () => {
  const fresh = execFileSync(process.execPath, ['scripts/gen-types.mjs', '--stdout'], { cwd: ROOT, encoding: 'utf8' });
  const committed = readFileSync(`${ROOT}src/policy/policy-document.generated.ts`, 'utf8');
  assert.equal(committed, fresh, 'the generated types are stale: run `npm run gen:types` and commit the result');
});
