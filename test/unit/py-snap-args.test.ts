import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePySnapCommand, PY_SNAP_DEFAULTS, splitWords } from '../../src/core/py-snap-args.js';
import { SnapctlError } from '../../src/core/errors.js';

function refused(line: string, message: RegExp): void {
  assert.throws(
    () => parsePySnapCommand(line),
    (err: unknown) => err instanceof SnapctlError && err.kind === 'input' && message.test(err.message),
    line,
  );
}

test('a bare py_snap.py gets every py_snap default', () => {
  assert.deepEqual(parsePySnapCommand('py_snap.py'), {
    backupDir: '/backup',
    compress: false,
    fileSystem: '/data',
    logicalVolume: 'lv_data',
    mount: '/tmp/snap_backup',
    retentionDays: 3,
    snapName: 'lv_data_snap',
    logDir: '/var/log/py_snap',
  });
  assert.deepEqual(parsePySnapCommand('/usr/bin/python /opt/py_snap.py'), PY_SNAP_DEFAULTS);
});

test('every short option, with separate and glued values', () => {
  const expected = { backupDir: '/srv/b', compress: true, fileSystem: '/var/lib/mongo', logicalVolume: 'lv_mongo', mount: '/mnt/s', retentionDays: 7, snapName: 'mongo_snap', logDir: '/var/log/x' };
  assert.deepEqual(parsePySnapCommand('py_snap.py -b /srv/b -c -f /var/lib/mongo -l lv_mongo -m /mnt/s -r 7 -s mongo_snap --log-dir /var/log/x'), expected);
  assert.deepEqual(parsePySnapCommand('py_snap.py -b/srv/b -c -f/var/lib/mongo -llv_mongo -m/mnt/s -r7 -smongo_snap --log-dir=/var/log/x'), expected);
  assert.deepEqual(parsePySnapCommand('py_snap.py -b=/srv/b -cv -f=/var/lib/mongo -l lv_mongo -m /mnt/s -r 7 -s mongo_snap --log-dir /var/log/x'), expected);
});

test('long forms, --opt=value, and unambiguous prefixes as argparse allows', () => {
  const expected = { backupDir: '/srv/b', compress: true, fileSystem: '/d', logicalVolume: 'lv', mount: '/m', retentionDays: 5, snapName: 's', logDir: '/l' };
  assert.deepEqual(
    parsePySnapCommand('py_snap.py --backup-dir /srv/b --compress --file-system /d --logical-volume lv --mount /m --retention_days 5 --snap-name s --log-dir /l --verbose'),
    expected,
  );
  assert.deepEqual(parsePySnapCommand('py_snap.py --backup-dir=/srv/b --compress --file-system=/d --logical-volume=lv --mount=/m --retention_days=5 --snap-name=s --log-dir=/l'), expected);
  assert.deepEqual(parsePySnapCommand('py_snap.py --backup /srv/b --comp --file /d --logical lv --mo /m --ret 5 --snap s --log-d /l'), expected);
});

test('option clusters: flags, then a value-taking option with its value glued or next', () => {
  assert.equal(parsePySnapCommand('py_snap.py -cb/srv').backupDir, '/srv');
  assert.equal(parsePySnapCommand('py_snap.py -vcb /srv').compress, true);
  assert.equal(parsePySnapCommand('py_snap.py -vcb /srv').backupDir, '/srv');
});

test('quotes and backslashes are read like a shell would', () => {
  assert.deepEqual(splitWords(`a "b c" 'd "e"' f\\ g "h\\"i"`), ['a', 'b c', 'd "e"', 'f g', 'h"i']);
  assert.equal(parsePySnapCommand(`py_snap.py -b "/srv/my backups"`).backupDir, '/srv/my backups');
  refused(`py_snap.py -b "/srv`, /unterminated " quote/);
});

test('a cron line: its time fields give the schedule, the user and interpreter are skipped', () => {
  const daily = parsePySnapCommand('30 2 * * * root /usr/bin/python /opt/py_snap.py -c -f /var/lib/mongo');
  assert.deepEqual(daily.cron, { fields: ['30', '2', '*', '*', '*'], schedule: 'daily' });
  assert.equal(daily.compress, true);
  assert.equal(daily.fileSystem, '/var/lib/mongo');
  assert.equal(parsePySnapCommand('15 * * * * /opt/py_snap.py').cron?.schedule, 'hourly');
  assert.equal(parsePySnapCommand('0 3 * * 0 /opt/py_snap.py').cron?.schedule, 'weekly');
  assert.equal(parsePySnapCommand('0 3 * * sun /opt/py_snap.py').cron?.schedule, 'weekly', 'a named weekday');
  assert.deepEqual(parsePySnapCommand('0 3 * * sun /opt/py_snap.py').cron?.fields, ['0', '3', '*', '*', 'sun']);
  assert.equal(parsePySnapCommand('0 3 1 * * /opt/py_snap.py').cron?.schedule, 'monthly');
  // Steps that divide the hour or the day are periods; others restart at 0 and are not.
  for (const [fields, schedule] of [
    ['*/15 * * * *', '{ every: 15m }'],
    ['*/1 * * * *', '{ every: 1m }'],
    ['*/60 * * * *', 'hourly'],
    ['0 */6 * * *', '{ every: 6h }'],
    ['30 */1 * * *', 'hourly'],
    ['5 */24 * * *', 'daily'],
    ['*/7 * * * *', undefined],
    ['0 */5 * * *', undefined],
    ['*/15 3 * * *', undefined],
    ['*/15 * * * 1', undefined],
    ['0 */6 * * 1', undefined],
    ['0 3 * * 1-5', undefined],
    ['0 3 1 * 1', undefined],
  ] as const) {
    assert.equal(parsePySnapCommand(`${fields} /opt/py_snap.py`).cron?.schedule, schedule, fields);
  }
  assert.equal(parsePySnapCommand('@daily root /opt/py_snap.py -c').cron?.schedule, 'daily');
  assert.equal(parsePySnapCommand('@hourly /opt/py_snap.py').cron?.schedule, 'hourly');
  refused('@reboot /opt/py_snap.py', /@reboot cron line has no period/);
  assert.equal(parsePySnapCommand('py_snap.py -c').cron, undefined);
});

test('redirections, pipes and separators end the py_snap command', () => {
  for (const tail of ['>/dev/null 2>&1', '> /var/log/x', '>> /var/log/x', '2>/dev/null', '1>/dev/null', '&>/dev/null', '| logger', '; echo done', '&& touch /ok', '|| mail root', '&']) {
    const o = parsePySnapCommand(`0 3 * * * /opt/py_snap.py -c ${tail} -b /nope`);
    assert.equal(o.compress, true, tail);
    assert.equal(o.backupDir, '/backup', tail);
  }
});

test('unknown options, stray arguments, missing values and bad retention are refused with what is wrong', () => {
  refused('py_snap.py -x', /^unknown py_snap option "-x"$/);
  refused('py_snap.py -cx', /^unknown py_snap option "-x" in "-cx"$/);
  refused('py_snap.py --retention-days 3', /^unknown py_snap option "--retention-days"$/);
  refused('py_snap.py --log 3', /^ambiguous py_snap option "--log": could be --logical-volume, --log-dir$/);
  refused('py_snap.py extra', /^unexpected argument "extra"$/);
  refused('py_snap.py -b', /^py_snap option -b needs a value$/);
  refused('py_snap.py -b -c', /^py_snap option -b needs a value$/);
  refused('py_snap.py --mount', /^py_snap option --mount needs a value$/);
  refused('py_snap.py --compress=yes', /^py_snap option --compress takes no value$/);
  refused('py_snap.py -r 0', /^py_snap option -r: "0" is not a number of days from 1 to 36500$/);
  refused('py_snap.py -r seven', /"seven" is not a number of days/);
  refused('py_snap.py -r 1.5', /"1.5" is not a number of days/);
  refused('py_snap.py -r 99999999999999999999', /is not a number of days from 1 to 36500/);
  refused('', /^the py_snap command line is empty$/);
});
