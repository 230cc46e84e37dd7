import { test } from 'node:test';
import assert from 'node:assert/strict';
import { archiveLayout, compressionOfFile, lockFileMembers, lockPattern, parseInstant, pickArchive, unsafeMembers } from '../../src/core/restore-check.js';
import { missingEndMarker, parseListingLine, quoteName, splitBlockNumber, type TarMember } from '../../src/core/tar-listing.js';
import { verifyOutcome, verifyStatus } from '../../src/core/verify-status.js';
import type { Archive } from '../../src/core/model.js';

const m = (name: string, type: TarMember['type'] = 'file', link?: string): TarMember => ({ type, name, size: 0, mode: '-rw-r--r--', owner: '0/0', ...(link !== undefined ? { link } : {}) });

test('parseListingLine decodes C-quoted names with newlines, quotes, " -> ", octal UTF-8 and link targets', () => {
  assert.deepEqual(parseListingLine('-rw-r--r-- 0/0               5 2026-11-26 23:58:00 "./a \\"b\\" -> c\\nd"'), { type: 'file', name: './a "b" -> c\nd', size: 5, mode: '-rw-r--r--', owner: '0/0' });
  assert.equal(parseListingLine('-rw-r--r-- 0/0 3 2026-11-26 23:58:00 "./\\303\\274"')?.name, './ü');
  assert.deepEqual(parseListingLine('lrwxrwxrwx 0/0 0 2026-11-26 23:58:00 "./l" -> "/etc"'), { type: 'symlink', name: './l', link: '/etc', size: 0, mode: 'lrwxrwxrwx', owner: '0/0' });
  assert.equal(parseListingLine('hrw-r--r-- 0/0 0 2026-11-26 23:58:00 "./h" link to "../x"')?.link, '../x');
  assert.equal(parseListingLine('crw-r--r-- 0/0 1,3 2026-11-26 23:58:00 "./null"')?.type, 'other');
  assert.equal(parseListingLine('tar: Removing leading `/\' from member names'), undefined);
});

test('splitBlockNumber and missingEndMarker: only tar -R\'s end-of-archive zero block ends a listing of a whole archive', () => {
  assert.deepEqual(splitBlockNumber('block 14: -rw-r--r-- 0/0 3 2026-11-26 23:58:00 "./a"'), { block: 14, rest: '-rw-r--r-- 0/0 3 2026-11-26 23:58:00 "./a"' });
  assert.equal(splitBlockNumber('tar: A lone zero block at 22'), undefined);
  assert.equal(missingEndMarker(splitBlockNumber('block 57: ** Block of NULs **')), undefined);
  assert.equal(
    missingEndMarker(splitBlockNumber('block 50: ** End of File **')),
    'the tar data ends after 50 blocks of 512 bytes without the end-of-archive marker (zero blocks): the archive was cut short between two members',
  );
  assert.notEqual(missingEndMarker(splitBlockNumber('block 5: "** Block of NULs **"')), undefined, 'a member named like the marker is quoted');
  assert.notEqual(missingEndMarker(undefined), undefined, 'no listing at all');
});

test('unsafeMembers accepts a normal archive, including symlinks with absolute or .. targets', () => {
  assert.deepEqual(unsafeMembers([m('./', 'dir'), m('./a'), m('./abs', 'symlink', '/etc'), m('./up', 'symlink', '../x'), m('./h', 'hardlink', './a')]), []);
});

test('unsafeMembers names absolute names, .. components, paths through archive symlinks and bad hard-link targets', () => {
  assert.deepEqual(unsafeMembers([m('/etc/x'), m('a/../../b'), m('./l', 'symlink', 'sub'), m('./l/x'), m('./h', 'hardlink', '/etc/passwd'), m('./h2', 'hardlink', 'l/y')]), [
    'member "/etc/x" is an absolute path',
    'member "a/../../b" contains a ".." component',
    'member "./l/x" leads through the symlink "l" the archive creates',
    'hard link "./h" to "/etc/passwd" is an absolute path',
    'hard link "./h2" to "l/y" leads through the symlink "l" the archive creates',
  ]);
});

test('unsafeMembers treats a hard link to an archive symlink, and a hard link to that link, as the symlink: paths through them lead where it points', () => {
  assert.deepEqual(unsafeMembers([m('./s', 'symlink', '/outside'), m('./b', 'hardlink', './s'), m('./c', 'hardlink', 'b'), m('./b/x'), m('./c/y'), m('./h', 'hardlink', 'c/z')]), [
    'member "./b/x" leads through "b", a hard link the archive creates to the symlink "s"',
    'member "./c/y" leads through "c", a hard link the archive creates to the symlink "s"',
    'hard link "./h" to "c/z" leads through "c", a hard link the archive creates to the symlink "s"',
  ]);
  // The hard links themselves, and hard links to files, lead through nothing.
  assert.deepEqual(unsafeMembers([m('./f'), m('./s', 'symlink', 'f'), m('./b', 'hardlink', './s'), m('./g', 'hardlink', './f'), m('./d', 'dir'), m('./d/x', 'hardlink', 'g'), m('./g2', 'hardlink', 'd/x')]), []);
});

test('archiveLayout strips py_snap\'s single top-level directory, not snapctl\'s ./ root', () => {
  assert.deepEqual(archiveLayout([m('snap_backup', 'dir'), m('snap_backup/a'), m('snap_backup/d/b')]), { strip: 1, top: 'snap_backup' });
  assert.deepEqual(archiveLayout([m('./', 'dir'), m('./only', 'dir'), m('./only/a')]), { strip: 0 });
  assert.deepEqual(archiveLayout([m('a'), m('b')]), { strip: 0 });
  assert.deepEqual(archiveLayout([m('file-at-top')]), { strip: 0 }, 'a lone file is not a directory to strip');
});

test('lockPattern: * and ? within a component, ** across; anchored at the volume root', () => {
  assert.ok(lockPattern('mongod.lock').test('mongod.lock'));
  assert.ok(!lockPattern('mongod.lock').test('db/mongod.lock'));
  assert.ok(lockPattern('*.pid').test('x.pid') && !lockPattern('*.pid').test('d/x.pid'));
  assert.ok(lockPattern('**/*.pid').test('x.pid') && lockPattern('**/*.pid').test('a/b/x.pid'));
  assert.ok(lockPattern('run/?.lock').test('run/a.lock') && !lockPattern('run/?.lock').test('run/ab.lock'));
  assert.deepEqual(lockFileMembers([m('snap_backup', 'dir'), m('snap_backup/mongod.lock'), m('snap_backup/mongod.lock.d', 'dir')], ['mongod.lock*'], 1), ['mongod.lock']);
});

test('pickArchive: newest of the volume, or newest at or before --at', () => {
  const a = (file: string, volume: string, time: number): Archive => ({ file, volume, time, format: 'snapctl', compression: 'zstd', hasSidecar: true });
  const list = [a('v1', 'data', 100), a('v3', 'data', 300), a('o', 'other', 400), a('v2', 'data', 200)];
  assert.equal(pickArchive(list, 'data')?.file, 'v3');
  assert.equal(pickArchive(list, 'data', 250)?.file, 'v2');
  assert.equal(pickArchive(list, 'data', 200)?.file, 'v2');
  assert.equal(pickArchive(list, 'data', 99), undefined);
});

test('compressionOfFile and parseInstant', () => {
  assert.deepEqual(['a.tar.zst', 'a.tar.gz', 'a.tgz', 'a.tar.xz', 'a.tar', 'a.zip'].map(compressionOfFile), ['zstd', 'gzip', 'gzip', 'xz', 'none', undefined]);
  assert.equal(parseInstant('2026-11-26T03:00:00Z', 'Europe/Berlin')?.ms, Date.UTC(2026, 10, 26, 3));
  assert.equal(parseInstant('yesterday', 'UTC'), undefined);
  assert.equal(parseInstant('2026-13-01', 'UTC'), undefined);
  assert.equal(parseInstant('2026-02-30T10:00', 'UTC'), undefined);
});

test('parseInstant: an offset is that instant; no zone is wall time in the policy zone; a date alone is that whole day there', () => {
  assert.equal(parseInstant('2026-11-26T04:00+01:00', 'UTC')?.ms, Date.UTC(2026, 10, 26, 3));
  assert.equal(parseInstant('2026-11-26T04:00:00.250Z', 'UTC')?.ms, Date.UTC(2026, 10, 26, 4, 0, 0, 250));
  // Berlin is UTC+1 in November, UTC+2 in July.
  assert.deepEqual(parseInstant('2026-11-26T04:00', 'Europe/Berlin'), { ms: Date.UTC(2026, 10, 26, 3), meaning: 'Europe/Berlin time, 2026-11-26T03:00:00.000Z' });
  assert.equal(parseInstant('2026-07-01T04:00:30.5', 'Europe/Berlin')?.ms, Date.UTC(2026, 6, 1, 2, 0, 30, 500));
  assert.deepEqual(parseInstant('2026-11-26', 'Europe/Berlin'), { ms: Date.UTC(2026, 10, 26, 23) - 1, meaning: 'the end of that day in Europe/Berlin, 2026-11-26T22:59:59.999Z' });
  // The last day of a month and of a year roll over into the next.
  assert.equal(parseInstant('2026-12-31', 'UTC')?.ms, Date.UTC(2027, 0, 1) - 1);
  assert.equal(parseInstant('2026-02-28', 'UTC')?.ms, Date.UTC(2026, 2, 1) - 1);
});

test('verifyStatus and verifyOutcome: damaged beats unverifiable beats ok', () => {
  assert.equal(verifyStatus('match', undefined), 'ok');
  assert.equal(verifyStatus('match', false), 'truncated');
  assert.equal(verifyStatus('mismatch', false), 'corrupt');
  assert.equal(verifyStatus('bad-sidecar', true), 'corrupt');
  assert.equal(verifyStatus(undefined, true), 'unverifiable');
  assert.equal(verifyStatus(undefined, false), 'truncated');
  assert.equal(verifyOutcome([]), 'ok');
  assert.equal(verifyOutcome(['ok', 'unverifiable']), 'unverifiable');
  assert.equal(verifyOutcome(['unverifiable', 'truncated']), 'damaged');
});

test('parseListingLine keeps the bytes of a name that is not UTF-8 for display; quoteName escapes control characters only', () => {
  const latin1 = parseListingLine('-rw-r--r-- 0/0 1 2026-11-26 23:58:00 "./caf\\351"');
  assert.equal(latin1?.name, './caf\uFFFD');
  assert.deepEqual(latin1?.shown, { name: '"./caf\\351"' });
  const link = parseListingLine('lrwxrwxrwx 0/0 0 2026-11-26 23:58:00 "./l\\n" -> "t\\377\\303\\274"');
  assert.deepEqual(link?.shown, { name: '"./l\\n"', link: '"t\\377ü"' });
  // Overlong, surrogate and past-U+10FFFF forms are no UTF-8 either.
  assert.equal(parseListingLine('-rw-r--r-- 0/0 1 2026-11-26 23:58:00 "\\300\\257\\355\\240\\200\\364\\220\\200\\200"')?.shown?.name, '"\\300\\257\\355\\240\\200\\364\\220\\200\\200"');
  assert.equal(parseListingLine('-rw-r--r-- 0/0 1 2026-11-26 23:58:00 "./ü"')?.shown, undefined, 'UTF-8 names need nothing more');
  assert.equal(quoteName('a "b"\\\tc\u007f\u009b€😀'), '"a \\"b\\"\\\\\\tc\\177\\302\\233€😀"');
});
