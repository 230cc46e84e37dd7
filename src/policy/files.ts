// Which files a policy argument names (a file, or the *.yaml / *.yml of a
// directory), and a look at their text before they are parsed. Small and
// synchronous: plan looks for an `lvm:` key here before its own modules load.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Problem } from './problem.js';

/** A policy file is never this large; bigger files are refused unread. */
export const MAX_POLICY_BYTES = 1024 * 1024;

/** The file itself, or a directory's policy files in name order; a problem when there are none to read. */
export function listPolicyFiles(fileOrDir: string): { files: string[] } | { problem: Problem } {
  let isFile: boolean;
  try {
    const info = statSync(fileOrDir);
    if (!info.isFile() && !info.isDirectory()) return { problem: { file: fileOrDir, path: [], summary: 'expected a policy file or a directory of them, found a special file' } };
    isFile = info.isFile();
  } catch (err) {
    return { problem: { file: fileOrDir, path: [], summary: fsProblem(err as NodeJS.ErrnoException, fileOrDir.endsWith('/')) } };
  }
  if (isFile) return { files: [fileOrDir] };
  let names: string[];
  try {
    names = readdirSync(fileOrDir);
  } catch (err) {
    return { problem: { file: fileOrDir, path: [], summary: fsProblem(err as NodeJS.ErrnoException, true) } };
  }
  const files = names.filter((n) => /\.ya?ml$/.test(n) && !n.startsWith('.')).sort().map((n) => join(fileOrDir, n));
  if (files.length === 0) return { problem: { file: fileOrDir, path: [], summary: 'no policy files in this directory (expected *.yaml or *.yml)' } };
  return { files };
}

/** Words for a failed stat/read/readdir; `wantDirectory` when a directory was expected. */
export function fsProblem(err: NodeJS.ErrnoException, wantDirectory: boolean): string {
  switch (err.code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'cannot read it: permission denied';
    case 'ENOTDIR':
      return wantDirectory ? 'expected a directory, found a file' : 'a component of the path is a file, not a directory';
    case 'EISDIR':
      return 'expected a file, found a directory';
    case 'ELOOP':
      return 'too many levels of symbolic links';
    default:
      return `cannot read it: ${err.code ?? err.message}`;
  }
}

/** An `lvm:` key as YAML writes it: block or flow style, quoted or not. */
const LVM_KEY = /(?:^|[\s{,])["']?lvm["']?\s*:/m;

/**
 * Whether the policy's text has an `lvm:` key, looked for before it is
 * parsed, so that plan can read LVM state (an lvs report takes longer than
 * loading the policy) while the policy loads. Only a guess, which costs
 * time when wrong, never a result: the loaded policy decides what is used.
 * Unreadable, oversized or special files count as no.
 */
export function mayNameLvm(fileOrDir: string): boolean {
  const listed = listPolicyFiles(fileOrDir);
  if ('problem' in listed) return false;
  return listed.files.some((file) => {
    try {
      const info = statSync(file);
      // Regular files only: reading a FIFO named *.yaml would wait forever (loading it refuses it unread).
      return info.isFile() && info.size <= MAX_POLICY_BYTES && LVM_KEY.test(readFileSync(file, 'utf8'));
    } catch {
      return false;
    }
  });
}
