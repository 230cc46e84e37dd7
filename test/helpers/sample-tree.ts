// A small directory tree with what backups tend to get wrong (symlinks,
// dangling ones, hard links, empty directories, odd file names, special
// modes, foreign owners), for end-to-end archive comparisons.
import { execFileSync } from 'node:child_process';
import { chmod, link, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Fills `root` (which must exist) with the sample tree. */
export async function makeSampleTree(root: string): Promise<void> {
  await mkdir(join(root, 'a/b/c'), { recursive: true });
  await writeFile(join(root, 'a/b/c/deep.txt'), 'deep\n');
  await writeFile(join(root, 'a/file.txt'), 'hello world\n'.repeat(1000));
  await symlink('a/file.txt', join(root, 'link-to-file'));
  await symlink('../a', join(root, 'a/b/link-to-dir'));
  await symlink('does/not/exist', join(root, 'dangling'));
  await writeFile(join(root, 'hard1'), 'shared inode\n');
  await link(join(root, 'hard1'), join(root, 'a/hard2'));
  await link(join(root, 'hard1'), join(root, 'a/b/hard3'));
  await mkdir(join(root, 'empty-dir'));
  await mkdir(join(root, 'a/empty-nested'));
  for (const name of ['with space', 'new\nline', 'tab\there', 'ünïcødé ✓', '-leading-dash', '--exclude=x', "quote'and\"double", 'back\\slash', '*glob?[x]'])
    await writeFile(join(root, name), `${name}\n`);
  await writeFile(join(root, 'owned'), 'owned by 1234\n');
  execFileSync('chown', ['1234:1234', join(root, 'owned')]);
  await mkdir(join(root, 'owned-dir'));
  execFileSync('chown', ['4321:5678', join(root, 'owned-dir')]);
  execFileSync('chown', ['-h', '2222:3333', join(root, 'dangling')]);
  await mkdir(join(root, 'private'));
  await chmod(join(root, 'private'), 0o700);
  await writeFile(join(root, 'private/secret'), 'secret\n');
  await chmod(join(root, 'private/secret'), 0o600);
  await writeFile(join(root, 'setuid'), '#!/bin/sh\n');
  await chmod(join(root, 'setuid'), 0o4755);
  await mkdir(join(root, 'sticky'));
  await chmod(join(root, 'sticky'), 0o1777);
  await writeFile(join(root, 'ro'), 'read only\n');
  await chmod(join(root, 'ro'), 0o440);
  await writeFile(join(root, 'empty-file'), '');
}
