// The GNU tar command line for creating an archive, and what the installed
// tar and the system support (SELinux labels only where SELinux is enabled:
// elsewhere `--selinux` only produces warnings).
import { execFile } from 'node:child_process';
import { access } from 'node:fs/promises';
import { SnapctlError } from '../core/errors.js';
import { tarExcludePattern } from '../core/exclude.js';

export interface TarCapabilities {
  readonly xattrs: boolean;
  readonly acls: boolean;
  readonly selinux: boolean;
}

let probed: Promise<TarCapabilities> | undefined;

/** Checks once per process that `tar` is GNU tar and which metadata options apply; throws SnapctlError('preflight'). */
export function probeTar(): Promise<TarCapabilities> {
  probed ??= (async () => {
    const help = await new Promise<string>((resolve, reject) => {
      execFile('tar', ['--help'], { env: { ...process.env, LC_ALL: 'C' }, maxBuffer: 1 << 20 }, (err, stdout) => {
        if (err) reject(new SnapctlError('preflight', `cannot run tar: ${err.message}`, 'snapctl needs GNU tar on PATH.'));
        else resolve(stdout);
      });
    });
    if (!help.includes('--one-file-system') || !help.includes('--sparse')) {
      throw new SnapctlError('preflight', 'tar on PATH is not GNU tar', 'snapctl needs GNU tar (--one-file-system, --sparse, --xattrs).');
    }
    const selinuxEnabled = await access('/sys/fs/selinux/enforce').then(
      () => true,
      () => false,
    );
    return { xattrs: help.includes('--xattrs'), acls: help.includes('--acls'), selinux: selinuxEnabled && help.includes('--selinux') };
  })();
  probed.catch(() => {
    probed = undefined;
  });
  return probed;
}

/**
 * argv (without the program) writing a tar of `sourceDir`'s contents, members
 * named `./…`, to stdout. `exclude` are the policy's patterns; `excludePaths`
 * are paths relative to `sourceDir` left out as they are spelt (no wildcards,
 * anchored at the root): the backup directory when it lies inside the volume.
 */
export function tarCreateArgv(caps: TarCapabilities, sourceDir: string, exclude: readonly string[], excludePaths: readonly string[] = []): string[] {
  return [
    '--create',
    '--file=-',
    `--directory=${sourceDir}`,
    ...(caps.xattrs ? ['--xattrs', '--xattrs-include=*'] : []),
    ...(caps.acls ? ['--acls'] : []),
    ...(caps.selinux ? ['--selinux'] : []),
    '--numeric-owner',
    '--sparse',
    '--one-file-system',
    // Progress: "tar: W: <bytes> (…)" on stderr every 1000 records (10 MB).
    '--checkpoint=1000',
    '--checkpoint-action=echo=%T',
    // --no-wildcards applies to the --exclude options after it, until --wildcards.
    ...(excludePaths.length > 0 ? ['--no-wildcards', ...excludePaths.map((p) => `--exclude=./${p}`), '--wildcards'] : []),
    ...exclude.map((p) => `--exclude=${tarExcludePattern(p)}`),
    '.',
  ];
}
