import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemZone, zoneOfFile, zoneOfLink, zoneWithoutTz } from '../../src/adapters/system-zone.js';

const roots: string[] = [];
after(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

/** A fake root whose /etc/localtime is a link to `link` (or a copied file: `{ file }`), and whose /etc/timezone holds `timezone`; either may be left out. */
function root(setup: { link?: string; copiedLocaltime?: true; timezone?: string }): string {
  const dir = mkdtempSync(join(tmpdir(), 'snapctl-zone-'));
  roots.push(dir);
  mkdirSync(join(dir, 'etc'));
  if (setup.link !== undefined) symlinkSync(setup.link, join(dir, 'etc/localtime'));
  if (setup.copiedLocaltime) writeFileSync(join(dir, 'etc/localtime'), 'TZif2\n');
  if (setup.timezone !== undefined) writeFileSync(join(dir, 'etc/timezone'), setup.timezone);
  return dir;
}

/** systemZone(root) with TZ set to another zone: the answer must not follow it. */
function underTz(dir: string): string {
  const before = process.env['TZ'];
  process.env['TZ'] = 'Pacific/Auckland';
  try {
    return systemZone(dir);
  } finally {
    if (before === undefined) delete process.env['TZ'];
    else process.env['TZ'] = before;
  }
}

test('the zone /etc/localtime links to wins, absolute or relative, over /etc/timezone, whatever TZ says', () => {
  assert.equal(underTz(root({ link: '/usr/share/zoneinfo/Europe/Berlin', timezone: 'Asia/Tokyo\n' })), 'Europe/Berlin');
  assert.equal(underTz(root({ link: '../usr/share/zoneinfo/America/New_York' })), 'America/New_York');
  assert.equal(underTz(root({ link: '/usr/share/zoneinfo/Etc/UTC' })), 'Etc/UTC');
  assert.equal(underTz(root({ link: '/usr/share/zoneinfo/posix/Europe/Paris' })), 'Europe/Paris');
  assert.equal(underTz(root({ link: '/etc/zoneinfo/America/Argentina/Buenos_Aires' })), 'America/Argentina/Buenos_Aires', 'NixOS');
});

test('without a link, /etc/timezone names the zone: its first word, as Debian reads it', () => {
  assert.equal(underTz(root({ timezone: 'Europe/Paris\n' })), 'Europe/Paris');
  assert.equal(underTz(root({ copiedLocaltime: true, timezone: '  Asia/Tokyo  # set by hand\nignored\n' })), 'Asia/Tokyo');
});

test('with neither a link nor /etc/timezone the zone is UTC (as glibc and systemd take a missing /etc/localtime), not the process\'s zone', () => {
  assert.equal(underTz(root({})), 'UTC');
  assert.equal(underTz(root({ copiedLocaltime: true })), 'UTC');
  assert.equal(underTz(root({ timezone: '\n' })), 'UTC');
});

test('a copied /etc/localtime (a file, not a link) without /etc/timezone: the zone found for its contents, when it is one the database knows', () => {
  assert.equal(systemZone(root({ copiedLocaltime: true }), () => 'Europe/Lisbon'), 'Europe/Lisbon');
  assert.equal(systemZone(root({ copiedLocaltime: true }), () => 'Mars/Olympus_Mons'), 'UTC');
  assert.equal(systemZone(root({}), () => 'Europe/Lisbon'), 'UTC', 'no /etc/localtime at all: UTC');
  assert.equal(systemZone(root({ copiedLocaltime: true, timezone: 'Asia/Tokyo\n' }), () => 'Europe/Lisbon'), 'Asia/Tokyo', '/etc/timezone first');
});

test('the process\'s zone with TZ unset does not follow TZ, and TZ is as it was afterwards', () => {
  const before = process.env['TZ'];
  delete process.env['TZ'];
  const unset = Intl.DateTimeFormat().resolvedOptions().timeZone;
  process.env['TZ'] = 'Pacific/Auckland';
  try {
    assert.equal(zoneWithoutTz(), unset);
    assert.equal(process.env['TZ'], 'Pacific/Auckland');
    assert.equal(Intl.DateTimeFormat().resolvedOptions().timeZone, 'Pacific/Auckland');
  } finally {
    if (before === undefined) delete process.env['TZ'];
    else process.env['TZ'] = before;
  }
});

test('a name the zone database does not know is passed over: a bogus link falls back to /etc/timezone, a bogus file to UTC', () => {
  assert.equal(underTz(root({ link: '/usr/share/zoneinfo/Mars/Olympus_Mons', timezone: 'Europe/Vienna\n' })), 'Europe/Vienna');
  assert.equal(underTz(root({ link: '/var/lib/localtime', timezone: 'Europe/Vienna' })), 'Europe/Vienna', 'a link not into a zoneinfo directory names no zone');
  assert.equal(underTz(root({ link: '/usr/share/zoneinfo/', timezone: '+02:00\n' })), 'UTC');
  assert.equal(underTz(root({ timezone: 'Not a zone\n' })), 'UTC');
  assert.equal(underTz(root({ link: '/usr/share/zoneinfo/Mars/Olympus_Mons' })), 'UTC');
});

test('zoneOfLink and zoneOfFile read only the name; validating it is systemZone\'s', () => {
  assert.equal(zoneOfLink('/usr/share/zoneinfo/right/Europe/Berlin'), 'Europe/Berlin');
  assert.equal(zoneOfLink('/usr/share/zoneinfo'), undefined);
  assert.equal(zoneOfLink('/etc/localtime.copy'), undefined);
  assert.equal(zoneOfFile('/Europe/Berlin/\n'), 'Europe/Berlin');
  assert.equal(zoneOfFile(''), undefined);
});
