// The time zone this machine is configured in, read from its files, never
// from the TZ environment variable. Intl (the process's own zone) follows TZ,
// so a shell's TZ would move a policy's periods, --now and py_snap's
// local-time archive names away from what cron's apply (without TZ) counts.
//
// The order is Debian tzdata's: the zone /etc/localtime links to (what
// timedatectl shows), else the name in /etc/timezone, else UTC, as glibc
// and systemd take a missing /etc/localtime. A name the zone database does
// not know is passed over. A copied /etc/localtime file (no link) names no
// zone: without /etc/timezone that is UTC, and the policy's `timezone` says
// what is meant.
import { readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { isValidTimeZone } from '../core/time.js';

/**
 * The zone a /etc/localtime link target names: the path under its zoneinfo
 * directory ("../usr/share/zoneinfo/Europe/Berlin", NixOS's
 * "/etc/zoneinfo/Europe/Berlin" → "Europe/Berlin"); posix/ and right/ name
 * the same zone's civil time.
 */
export function zoneOfLink(target: string): string | undefined {
  return /(?:^|\/)zoneinfo\/(?:posix\/|right\/)?(.+)$/.exec(target)?.[1];
}

/** The zone /etc/timezone names: the first word of its first line, slashes around it trimmed, as Debian's tzdata reads it. */
export function zoneOfFile(text: string): string | undefined {
  const word = (text.split('\n')[0] ?? '').trim().split(/\s+/)[0]?.replace(/^\/+|\/+$/g, '');
  return word === '' ? undefined : word;
}

/** `read()`, or undefined when the file is missing, not a link, or unreadable: the next source is asked then. */
function tryRead(read: () => string | undefined): string | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

/** The system's zone name under `root` (a fake root in tests): see the top of this file. */
export function systemZone(root = '/'): string {
  const fromLink = tryRead(() => zoneOfLink(readlinkSync(join(root, 'etc/localtime'))));
  if (fromLink !== undefined && isValidTimeZone(fromLink)) return fromLink;
  const fromFile = tryRead(() => zoneOfFile(readFileSync(join(root, 'etc/timezone'), 'utf8')));
  if (fromFile !== undefined && isValidTimeZone(fromFile)) return fromFile;
  return 'UTC';
}
