// Golden files: compare a test's output with a committed file, or rewrite the
// file when UPDATE_GOLDEN=1 (then read the diff before committing it).
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (tests run from dist/test/..., goldens live in test/golden/). */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export const UPDATE_GOLDEN = process.env['UPDATE_GOLDEN'] === '1';

/** Asserts `actual` equals the golden file at `path` (relative to the repository root); rewrites it with UPDATE_GOLDEN=1. */
export function assertGolden(path: string, actual: string): void {
  const file = join(REPO_ROOT, path);
  if (UPDATE_GOLDEN) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  let expected: string;
  try {
    expected = readFileSync(file, 'utf8');
  } catch {
    assert.fail(`golden file ${path} is missing (UPDATE_GOLDEN=1 npm test creates it)`);
  }
  assert.equal(actual, expected, `${path} differs (UPDATE_GOLDEN=1 npm test regenerates it)`);
}
