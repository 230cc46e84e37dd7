// Which git commit a policy came from, so plans can name the policy version.
// node:child_process rather than execa: `validate` and `plan` must start fast,
// and two short git calls need no more.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface GitInfo {
  readonly commit: string;
  /** Whether any of the files differs from HEAD (modified, staged or untracked). */
  readonly dirty: boolean;
}

/**
 * The HEAD commit of the work tree holding `files` (absolute paths, one
 * directory) and whether they are dirty; undefined when git is absent, the
 * files are not in a work tree, the repository has no commit, or git refuses
 * the repository (e.g. `safe.directory`: never overridden, a repository's
 * config could run commands).
 */
export async function gitInfo(files: readonly string[]): Promise<GitInfo | undefined> {
  const first = files[0];
  if (first === undefined) return undefined;
  const cwd = dirname(first);
  // Most policies on servers are not in a work tree: don't spawn git to learn that.
  if (!insideWorkTree(cwd)) return undefined;
  // One git call: porcelain v2 with --branch names the HEAD commit too.
  const status = await git(['status', '--porcelain=v2', '--branch', '--untracked-files=all', '--', ...files], cwd);
  if (status === undefined) return undefined;
  const lines = status.split('\n');
  const head = lines.find((l) => l.startsWith('# branch.oid '))?.slice('# branch.oid '.length).trim();
  if (head === undefined || !/^[0-9a-f]{40,64}$/.test(head)) return undefined;
  return { commit: head, dirty: lines.some((l) => l !== '' && !l.startsWith('#')) };
}

function git(args: readonly string[], cwd: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    // GIT_OPTIONAL_LOCKS=0: reading status must not take the index lock of the operator's repository.
    execFile('git', args, { cwd, env: { ...process.env, GIT_OPTIONAL_LOCKS: '0', LC_ALL: 'C' }, timeout: 10_000 }, (error, stdout) => {
      resolve(error ? undefined : stdout);
    });
  });
}

/** Whether a `.git` (directory, or file of a worktree/submodule) exists in dir or above. */
function insideWorkTree(dir: string): boolean {
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, '.git'))) return true;
    if (dirname(d) === d) return false;
  }
}
