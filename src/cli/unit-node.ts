// Which node a cron job or systemd service would start snapctl with: its
// "#!/usr/bin/env node" line looks node up on the PATH those give a job, which
// is not the PATH of the shell that installed node (nvm, /opt).
import { spawnSync } from 'node:child_process';
import { accessSync, closeSync, constants, openSync, readSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { MIN_NODE_MAJOR, unsupportedNode } from './node-version.js';

/**
 * The PATH a job of the cron file gets (the file sets it) and, give or take
 * /sbin and /bin, the one systemd gives a system service by default.
 */
export const UNIT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The first line of a file (at most 256 bytes), or undefined when it cannot be read. */
function firstLine(path: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const buf = Buffer.alloc(256);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, n).toString('utf8').split('\n')[0];
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function sameFile(a: string, b: string): boolean {
  try {
    const sa = statSync(a);
    const sb = statSync(b);
    return sa.dev === sb.dev && sa.ino === sb.ino;
  } catch {
    return false;
  }
}

/** The version \`node --version\` prints (v18.19.0), or undefined when it does not answer. */
function nodeVersion(node: string): string | undefined {
  const r = spawnSync(node, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  const version = r.status === 0 ? r.stdout.trim() : '';
  return /^v\d+\.\d+\.\d+$/.test(version) ? version : undefined;
}

/**
 * Why the unit must run \`node bin\` rather than bin itself, or undefined when
 * bin runs as it is. snapctl starts \`#!/usr/bin/env node\`, which runs the
 * first node on the unit's PATH: there is none when node came from nvm or a
 * tarball under /opt, and the distribution's may be too old for snapctl
 * (Debian 12 ships node 18) while a newer one runs it by hand. The node that
 * runs this command is then the one to name. A bin that is not a node script
 * (a wrapper of the operator's), or that cannot be read here (not installed
 * yet), is left as it is.
 */
export function nodeToName(bin: string, node: string, path: string = UNIT_PATH): string | undefined {
  const shebang = /^#!\s*(\S+)(?:[ \t]+(\S+))?/.exec(firstLine(bin) ?? '');
  if (!shebang) return undefined;
  const interpreter = basename(shebang[1] as string);
  const viaEnv = interpreter === 'env' && shebang[2] === 'node';
  if (!viaEnv && interpreter !== 'node') return undefined;
  if (!isExecutableFile(bin)) return `${bin} is not executable`;
  if (!viaEnv) return undefined;
  const found = path
    .split(':')
    .map((dir) => join(dir, 'node'))
    .find(isExecutableFile);
  if (found === undefined) return `its "#!/usr/bin/env node" line finds no node on the unit's PATH (${path})`;
  if (sameFile(found, node)) return undefined;
  const version = nodeVersion(found);
  if (version !== undefined && unsupportedNode(version) === undefined) return undefined;
  return `its "#!/usr/bin/env node" line would run ${found} (${version ?? 'which does not say its version'}), and snapctl needs node ${MIN_NODE_MAJOR} or later`;
}
