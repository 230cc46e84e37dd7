import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withSystemDirs } from '../../src/cli/system-path.js';

test("cron's PATH gains the sbin directories (where lvcreate and lvs live) after its own", () => {
  assert.equal(withSystemDirs('/usr/bin:/bin'), '/usr/bin:/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/sbin');
});

test('a PATH that has them all is left as it is, order included; an unset or empty PATH gets all of them', () => {
  const full = '/opt/x/bin:/sbin:/bin:/usr/sbin:/usr/bin:/usr/local/sbin:/usr/local/bin';
  assert.equal(withSystemDirs(full), full);
  assert.equal(withSystemDirs(undefined), '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
  assert.equal(withSystemDirs(''), '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
});
