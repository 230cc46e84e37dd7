// The time zone this machine is configured in, read from its files, never
// from the TZ environment variable. Intl (the process's own zone) follows TZ,
// so a shell's TZ would move a policy's periods, --now and py_snap's
// local-time archive names away from what cron's apply (without TZ) counts.
//
// The order is Debian tzdata's: the zone /etc/localtime links to (what
// timedatectl shows), else the name in /etc/timezone, else UTC, as glibc
// and systemd take a missing /etc/localtime. A name the zone database does
// not know is passed over. A copied /etc/localtime file (no link) names no
// zone itself: without /etc/timezone, the zone ICU finds for it with TZ
// unset (it looks for the zoneinfo file with the same contents), and UTC
// when it finds none.
import { lstatSync, readFileSync, readlinkSync } from 'node:fs';
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

/**
 * The zone Intl finds for this process with TZ unset. Node resets its zone
 * when TZ is set or deleted, so TZ is put back at once.
 */
export function zoneWithoutTz(): string | undefined {
  const tz = process.env['TZ'];
  if (tz === undefined) return Intl.DateTimeFormat().resolvedOptions().timeZone;
  delete process.env['TZ'];
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone;
  } finally {
    process.env['TZ'] = tz;
  }
}

/**
 * The system's zone name under `root` (a fake root in tests): see the top of
 * this file. `copiedZone` names the zone of a copied /etc/localtime; ICU
 * reads the real one, so under another root none is found by default.
 */
export function systemZone(root = '/', copiedZone: () => string | undefined = root === '/' ? zoneWithoutTz : () => undefined): string {
  const localtime = join(root, 'etc/localtime');
  const fromLink = tryRead(() => zoneOfLink(readlinkSync(localtime)));
  if (fromLink !== undefined && isValidTimeZone(fromLink)) return fromLink;
  const fromFile = tryRead(() => zoneOfFile(readFileSync(join(root, 'etc/timezone'), 'utf8')));
  if (fromFile !== undefined && isValidTimeZone(fromFile)) return fromFile;
  const fromCopy = tryRead(() => (lstatSync(localtime).isFile() ? copiedZone() : undefined));
  return fromCopy !== undefined && isValidTimeZone(fromCopy) ? fromCopy : 'UTC';
}
