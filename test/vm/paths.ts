// Where the harness finds the checkout and keeps its cache. Compiled code runs
// from dist/test/vm/, but non-TypeScript files (init.sh) are read from the
// source tree, which tsc does not copy.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout root: the same path inside the guest, which sees the host root. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url)).replace(/\/$/, '');

export const INIT_SCRIPT = join(REPO_ROOT, 'test', 'vm', 'init.sh');

/** Gitignored; SNAPCTL_VM_CACHE moves it (e.g. to a CI cache folder). */
export function cacheDir(): string {
  return process.env.SNAPCTL_VM_CACHE ?? join(REPO_ROOT, '.vm-cache');
}
