import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatError } from '../../src/core/errors.js';
import { checkPolicy, loadPolicy, PolicyInvalid } from '../../src/policy/load.js';
import { fsProblem, MAX_POLICY_BYTES, mayNameLvm } from '../../src/policy/files.js';
import { toError, formatKeyPath } from '../../src/policy/problem.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const FIXTURES = join(ROOT, 'fixtures', 'policies');
const BAD = join(FIXTURES, 'bad');
const UPDATE = process.env['UPDATE_GOLDEN'] === '1';

// Messages name files relative to the repository, as a user running from it would see them.
async function messages(path: string): Promise<string> {
  const check = await checkPolicy(path);
  return check.problems.map((p) => formatError(toError(p)).replaceAll(ROOT, '')).join('\n') + '\n';
}

test('every bad fixture yields exactly its golden error text (UPDATE_GOLDEN=1 regenerates)', async () => {
  const files = readdirSync(BAD).filter((f) => f.endsWith('.yaml'));
  assert.ok(files.length >= 30);
  for (const name of files) {
    const text = await messages(join(BAD, name));
    const golden = join(BAD, name.replace(/\.yaml$/, '.expected'));
    if (UPDATE) writeFileSync(golden, text);
    assert.ok(text.startsWith('error: '), `${name} must be refused`);
    assert.equal(text, readFileSync(golden, 'utf8'), `${golden} differs`);
  }
});

// One row per class of bad input: the first problem's place, key path and wording.
const CASES: { fixture: string; line?: number; column?: number; keyPath?: string; summary: RegExp }[] = [
  { fixture: 'syntax-indentation', line: 7, column: 8, keyPath: 'hosts.db01.volumes', summary: /^YAML syntax error: bad indentation of a mapping entry$/ },
  { fixture: 'syntax-unclosed-flow', line: 5, column: 46, keyPath: 'hosts.db01.volumes.data.exclude', summary: /^YAML syntax error: missed comma/ },
  { fixture: 'unknown-key-typo', line: 7, column: 9, keyPath: 'hosts.db01.volumes.data.retension', summary: /^unknown key "retension" \(did you mean "retention"\?\)$/ },
  { fixture: 'wrong-type-list', line: 7, column: 9, keyPath: 'hosts.db01.volumes.data.exclude', summary: /^expected a list, found "\*\.tmp"$/ },
  { fixture: 'wrong-type-hosts', line: 2, column: 1, keyPath: 'hosts', summary: /^expected a mapping, found a list$/ },
  { fixture: 'zero-count', line: 4, column: 5, keyPath: 'defaults.retention.keepDaily', summary: /^expected a positive integer, found 0$/ },
  { fixture: 'negative-count', line: 7, column: 22, keyPath: 'hosts.db01.volumes.data.retention.keepLast', summary: /^expected a positive integer, found -3$/ },
  { fixture: 'fractional-count', line: 7, keyPath: 'hosts.db01.volumes.data.retention.keepWeekly', summary: /^expected a positive integer, found 1\.5$/ },
  { fixture: 'bad-duration', line: 7, keyPath: 'hosts.db01.volumes.data.retention.keepWithin', summary: /^expected a duration like 3d, 2d12h.*found "3 days"$/ },
  { fixture: 'bad-duration-order', line: 7, keyPath: 'hosts.db01.volumes.data.schedule.every', summary: /found "12h2d"$/ },
  { fixture: 'every-seconds', line: 7, keyPath: 'hosts.db01.volumes.data.schedule.every', summary: /^expected a whole number of minutes, found "90s"$/ },
  { fixture: 'gzip-level', line: 8, column: 9, keyPath: 'hosts.db01.volumes.data.compressionLevel', summary: /^gzip takes levels 1 to 9, found 12$/ },
  { fixture: 'level-from-defaults', line: 8, keyPath: 'hosts.db01.volumes.logs.compression', summary: /^gzip takes levels 1 to 9, found 12 \(compressionLevel from defaults\)$/ },
  { fixture: 'lockfile-dotdot', line: 7, keyPath: 'hosts.db01.volumes.data.lockFiles[1]', summary: /^expected a non-empty pattern inside the volume \(no \.\. components\), found "\.\.\/etc\/passwd"$/ },
  { fixture: 'hook-empty-program', line: 9, keyPath: 'hosts.db01.volumes.data.hooks.preSnapshot[0][0]', summary: /^expected a program name, found an empty string$/ },
  { fixture: 'exclude-everything', line: 7, keyPath: 'hosts.db01.volumes.data.exclude[1]', summary: /^"\.\*" would leave out the whole volume: it matches the volume's root directory, which tar names "\."; to leave out hidden files write "\*\/\.\*"$/ },
  { fixture: 'exclude-host-path', line: 10, keyPath: 'hosts.db01.volumes.data.exclude[2]', summary: /^"\/var\/lib\/docker\/\*" is a path under the volume's own directory, \/var\/lib, but exclude patterns start at the volume root: tar would look for \.\/var\/lib\/docker\/\* and archive \.\/docker\/\*$/ },
  { fixture: 'exclude-host-path-default', line: 3, keyPath: 'defaults.exclude[0]', summary: /^"\/srv\/www\/cache" is a path under the directory of volume www, \/srv\/www, but exclude patterns start/ },
  { fixture: 'long-hook-timeout', line: 7, keyPath: 'hosts.db01.volumes.data.hooks.timeout', summary: /^expected a duration of at most 24d, found "25d"$/ },
  { fixture: 'huge-duration', line: 7, keyPath: 'hosts.db01.volumes.data.retention.keepWithin', summary: /^expected a duration of at most 5218w \(100 years\), found "99999999999999999999w"$/ },
  { fixture: 'mount-root-slash', line: 4, keyPath: 'hosts.db01.mountRoot', summary: /^cannot be used: it is "\/"; snapshots are mounted at <mountRoot>\/<volume>/ },
  { fixture: 'mount-root-holds-backup', line: 5, keyPath: 'hosts.db01.mountRoot', summary: /^cannot be used: the backup directory \/srv\/m\/backup is inside it/ },
  { fixture: 'host-key-dot', line: 3, keyPath: 'hosts[".hidden"]', summary: /^invalid name "\.hidden": expected a host name or glob: a letter, digit or glob character/ },
  { fixture: 'host-key-too-long', line: 3, keyPath: `hosts.${'h'.repeat(81)}`, summary: /^invalid host name "h{81}": it is 81 characters long; at most 64 are allowed$/ },
  { fixture: 'zero-duration', line: 7, keyPath: 'hosts.db01.volumes.data.hooks.timeout', summary: /^expected a duration above zero, found "0m"$/ },
  { fixture: 'two-sources', line: 5, column: 7, keyPath: 'hosts.db01.volumes.data', summary: /^2 sources \(lvm, path\): a volume needs exactly one of lvm, btrfs or path$/ },
  { fixture: 'no-source', line: 5, column: 7, keyPath: 'hosts.db01.volumes.data', summary: /^no source: a volume needs exactly one of lvm, btrfs or path$/ },
  { fixture: 'name-with-slash', line: 5, column: 7, keyPath: 'hosts.db01.volumes["var/lib"]', summary: /^invalid name "var\/lib": expected a volume name.*no \/ and no "\.\."/ },
  { fixture: 'name-too-long', line: 5, column: 7, keyPath: `hosts.db01.volumes.${'v'.repeat(151)}`, summary: /^invalid name "v{151}": expected a volume name.*at most 150 characters$/ },
  { fixture: 'name-with-dotdot', line: 5, keyPath: 'hosts.db01.volumes["a..b"]', summary: /^invalid name "a\.\.b"/ },
  { fixture: 'duplicate-host', line: 6, column: 3, keyPath: 'hosts.db01', summary: /^duplicate key "db01" \(first defined on line 3\)$/ },
  { fixture: 'version-2', line: 1, column: 1, keyPath: 'version', summary: /^unsupported policy version 2: this snapctl reads version 1$/ },
  { fixture: 'version-missing', line: 1, summary: /^missing key "version"$/ },
  { fixture: 'empty', summary: /^the file is empty$/ },
  { fixture: 'comments-only', summary: /^the file is empty$/ },
  { fixture: 'json-policy', line: 8, column: 11, keyPath: 'hosts.db01.volumes.data.compression', summary: /^expected one of zstd, gzip, xz, none, found "bz2"/ },
  { fixture: 'flow-mapping-lines', line: 7, column: 10, keyPath: 'hosts.db01.volumes.data.compression', summary: /^expected one of zstd, gzip, xz, none, found "bz2"/ },
  { fixture: 'unknown-timezone', line: 2, column: 1, keyPath: 'timezone', summary: /^unknown time zone "Europe\/Berln"$/ },
  { fixture: 'bad-schedule', line: 5, keyPath: 'hosts.db01.volumes.data.schedule', summary: /found "dayly" \(did you mean "daily"\?\)$/ },
  { fixture: 'bad-compression', line: 2, keyPath: 'defaults.compression', summary: /^expected one of zstd, gzip, xz, none, found "zip"/ },
  { fixture: 'bad-snapshot-size', line: 7, keyPath: 'hosts.db01.volumes.data.snapshot.size', summary: /^expected an lvcreate size like 10%ORIGIN.*found "10%"$/ },
  { fixture: 'relative-path', line: 4, keyPath: 'hosts.db01.backupDir', summary: /^expected an absolute path, found "backup"$/ },
  { fixture: 'bad-hook', line: 8, keyPath: 'hosts.db01.volumes.data.hooks.preSnapshot[0]', summary: /^expected a command as a list of strings/ },
  { fixture: 'no-volumes', line: 3, keyPath: 'hosts.db01', summary: /^missing key "volumes"$/ },
  { fixture: 'bad-host-glob', line: 3, keyPath: 'hosts["db[0-9"]', summary: /^malformed host glob "db\[0-9"$/ },
  { fixture: 'source-in-defaults', line: 3, keyPath: 'defaults.lvm', summary: /^unknown key "lvm"$/ },
  { fixture: 'alias-cycle', line: 4, keyPath: 'hosts.db01.volumes', summary: /cycle/ },
  { fixture: 'billion-laughs', line: 3, column: 11, keyPath: 'lol2[0]', summary: /^the document expands to more than 100000 nodes through aliases/ },
  { fixture: 'not-utf8', summary: /^the file is not valid UTF-8 text$/ },
];

for (const c of CASES) {
  test(`bad input "${c.fixture}" is refused at the key it concerns`, async () => {
    const file = join(BAD, `${c.fixture}.yaml`);
    const check = await checkPolicy(file);
    await assert.rejects(loadPolicy(file, { git: false }), PolicyInvalid);
    const first = check.problems[0];
    assert.ok(first, 'a problem is reported');
    assert.equal(first.file, file);
    assert.equal(first.position?.line, c.line);
    if (c.column !== undefined) assert.equal(first.position?.column, c.column);
    assert.equal(first.path.length > 0 ? formatKeyPath(first.path) : undefined, c.keyPath);
    assert.match(first.summary, c.summary);
  });
}

test('several problems in one file are all reported, top to bottom', async () => {
  const check = await checkPolicy(join(BAD, 'several-problems.yaml'));
  assert.deepEqual(
    check.problems.map((p) => [p.position?.line, formatKeyPath(p.path)]),
    [
      [7, 'hosts.db01.volumes.data.retention.keepDaily'],
      [7, 'hosts.db01.volumes.data.retention.keepWithin'],
      [8, 'hosts.db01.volumes.data.compresion'],
      [10, 'hosts.db01.volumes.logs.path'],
    ],
  );
});

test('the semantic problems of what the schema accepted are reported with the schema problems, top to bottom', async () => {
  const check = await checkPolicy(join(BAD, 'schema-and-semantics.yaml'));
  assert.deepEqual(
    check.problems.map((p) => [p.position?.line, formatKeyPath(p.path), p.summary.split(':')[0]]),
    [
      [2, 'timezone', 'unknown time zone "Europe/Berln"'],
      [8, 'hosts.db01.volumes.data.retention.keepLast', 'expected a positive integer, found 0'],
      [9, 'hosts.db01.volumes.data.hooks.timeout', 'expected a duration above zero, found "0s"'],
      [10, 'hosts.db01.volumes.data.exclude[0]', '".*" would leave out the whole volume'],
    ],
  );
});

test('what the schema rejected is left out of the semantic checks, and so is what a check pairs with it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'snapctl-rejected-'));
  try {
    // No source, a volumes key that is not a mapping, a relative backupDir beside a mountRoot
    // that holds the default /backup, and a compressor no one has beside a level gzip refuses:
    // only the schema's words, no check on the pairs' defaults and no crash.
    const file = join(dir, 'p.yaml');
    writeFileSync(
      file,
      'version: 1\ndefaults: { compression: gzip }\nhosts:\n  db01:\n    backupDir: backup\n    mountRoot: /backup\n    volumes:\n' +
        '      data: { path: /data, compression: bz2, compressionLevel: 12 }\n      logs: { exclude: [".*", 7] }\n  web01:\n    volumes: 3\n',
    );
    const check = await checkPolicy(file);
    assert.deepEqual(
      check.problems.map((p) => [p.position?.line, formatKeyPath(p.path), p.summary.split(',')[0]]),
      [
        [5, 'hosts.db01.backupDir', 'expected an absolute path'],
        [8, 'hosts.db01.volumes.data.compression', 'expected one of zstd'],
        [9, 'hosts.db01.volumes.logs', 'no source: a volume needs exactly one of lvm'],
        [9, 'hosts.db01.volumes.logs.exclude[1]', 'expected a non-empty pattern'],
        [11, 'hosts.web01.volumes', 'expected a mapping'],
      ],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('keys and items of flow collections that start on their own line point at themselves, not at the parent key', async () => {
  const check = await checkPolicy(join(BAD, 'flow-mapping-lines.yaml'));
  assert.deepEqual(
    check.problems.map((p) => [p.position?.line, p.position?.column, formatKeyPath(p.path)]),
    [
      [7, 10, 'hosts.db01.volumes.data.compression'],
      [12, 12, 'hosts.db01.volumes.logs.exclude[1]'],
    ],
  );
});

test('a classic billion-laughs document is refused quickly', async () => {
  const started = process.hrtime.bigint();
  const check = await checkPolicy(join(BAD, 'billion-laughs.yaml'));
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  assert.equal(check.problems.length, 1);
  // Unbounded expansion of this document would take hours; the bound is far
  // from any slow machine's parse time, yet far below that.
  assert.ok(ms < 20_000, `took ${ms} ms`);
});

test('good fixtures and the bundled policies load without problems', async () => {
  for (const dir of [join(FIXTURES, 'good'), join(ROOT, 'policies')]) {
    for (const name of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
      const check = await checkPolicy(join(dir, name));
      assert.deepEqual(check.problems, [], name);
      assert.equal(check.documents.length, 1);
    }
  }
});

test('a directory is read as every *.yaml and *.yml in name order, other files ignored', async () => {
  const loaded = await loadPolicy(join(FIXTURES, 'dir-ok'), { git: false });
  assert.deepEqual(
    loaded.documents.map((d) => d.path),
    [join(FIXTURES, 'dir-ok', '10-db.yaml'), join(FIXTURES, 'dir-ok', '20-web.yml')],
  );
  assert.deepEqual(loaded.source.files, loaded.documents.map((d) => d.path));
  assert.match(loaded.source.hash, /^[0-9a-f]{64}$/);
});

test('a host key defined in two files of a directory is an error naming both', async () => {
  const check = await checkPolicy(join(FIXTURES, 'dir-dup-host'));
  const text = check.problems.map((p) => formatError(toError(p)).replaceAll(ROOT, ''));
  assert.equal(text.length, 1);
  assert.match(
    text[0] ?? '',
    /^error: fixtures\/policies\/dir-dup-host\/b\.yaml:6:3: hosts\.db01: host "db01" is also defined in fixtures\/policies\/dir-dup-host\/a\.yaml:4:3\n/,
  );
});

test('an exclude from defaults in another file of a directory is checked against each volume that takes it, and reported where it is written', async () => {
  const check = await checkPolicy(join(FIXTURES, 'dir-exclude-host-path'));
  assert.deepEqual(
    check.problems.map((p) => [p.file.replaceAll(ROOT, ''), p.position?.line, formatKeyPath(p.path), p.summary.split(',')[0]]),
    [
      ['fixtures/policies/dir-exclude-host-path/00-defaults.yaml', 3, 'defaults.exclude[1]', '"/srv/www/cache" is a path under the directory of volume www'],
      ['fixtures/policies/dir-exclude-host-path/10-web.yaml', 6, 'hosts.web01.volumes.logs.exclude[0]', '"/var/log/journal" is a path under the volume\'s own directory'],
    ],
  );
});

test('file-system mistakes: missing path, directory without policies, a directory named *.yaml, a file given as a directory', async () => {
  const summary = async (path: string): Promise<string | undefined> => (await checkPolicy(path)).problems[0]?.summary;
  assert.equal(await summary(join(FIXTURES, 'no-such.yaml')), 'no such file or directory');
  assert.equal(await summary(join(FIXTURES, 'empty-dir')), 'no policy files in this directory (expected *.yaml or *.yml)');
  assert.equal(await summary(join(FIXTURES, 'good', 'minimal.yaml') + '/'), 'expected a directory, found a file');
  const nested = await checkPolicy(join(FIXTURES, 'dir-with-subdir'));
  assert.deepEqual(
    nested.problems.map((p) => [p.file, p.summary]),
    [[join(FIXTURES, 'dir-with-subdir', 'nested.yaml'), 'expected a file, found a directory']],
  );
  assert.equal(await summary('/dev/null'), 'expected a policy file or a directory of them, found a special file');
});

test('unreadable files are described without a stack trace', () => {
  const err = (code: string): NodeJS.ErrnoException => Object.assign(new Error(code), { code });
  assert.equal(fsProblem(err('EACCES'), false), 'cannot read it: permission denied');
  assert.equal(fsProblem(err('EISDIR'), false), 'expected a file, found a directory');
  assert.equal(fsProblem(err('EIO'), false), 'cannot read it: EIO');
});

test('loadPolicy throws PolicyInvalid: the first problem, and all of them', async () => {
  await assert.rejects(loadPolicy(join(BAD, 'several-problems.yaml'), { git: false }), (err: unknown) => {
    assert.ok(err instanceof PolicyInvalid);
    assert.equal(err.kind, 'input');
    assert.equal(err.problems.length, 4);
    assert.equal(err.keyPath, 'hosts.db01.volumes.data.retention.keepDaily');
    assert.equal(err.location?.line, 7);
    assert.match(err.detail ?? '', /3 more problems in the policy/);
    return true;
  });
});

test('the policy hash covers file names and bytes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'snapctl-policy-'));
  try {
    const text = readFileSync(join(FIXTURES, 'good', 'minimal.yaml'));
    writeFileSync(join(dir, 'a.yaml'), text);
    const h1 = (await loadPolicy(join(dir, 'a.yaml'), { git: false })).source.hash;
    assert.equal((await loadPolicy(join(dir, 'a.yaml'), { git: false })).source.hash, h1);
    writeFileSync(join(dir, 'b.yaml'), text);
    assert.notEqual((await loadPolicy(join(dir, 'b.yaml'), { git: false })).source.hash, h1);
    writeFileSync(join(dir, 'a.yaml'), Buffer.concat([text, Buffer.from('# changed\n')]));
    assert.notEqual((await loadPolicy(join(dir, 'a.yaml'), { git: false })).source.hash, h1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('inside a git work tree the source names the commit and whether the policy is dirty', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'snapctl-git-'));
  try {
    const file = join(dir, 'policy.yaml');
    writeFileSync(file, readFileSync(join(FIXTURES, 'good', 'minimal.yaml')));
    assert.equal((await loadPolicy(file)).source.git, undefined, 'not a repository: no git field');
    const git = (...args: string[]): string =>
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', ...args], { cwd: dir, encoding: 'utf8' }).trim();
    git('init', '-q');
    assert.equal((await loadPolicy(file)).source.git, undefined, 'no commit yet: no git field');
    git('add', 'policy.yaml');
    git('commit', '-q', '-m', 'policy');
    const head = git('rev-parse', 'HEAD');
    assert.deepEqual((await loadPolicy(file)).source.git, { commit: head, dirty: false });
    writeFileSync(join(dir, 'unrelated.txt'), 'x');
    assert.deepEqual((await loadPolicy(file)).source.git, { commit: head, dirty: false }, 'other files do not make the policy dirty');
    writeFileSync(file, readFileSync(file, 'utf8') + '# edited\n');
    assert.deepEqual((await loadPolicy(file)).source.git, { commit: head, dirty: true });
    assert.equal(existsSync(join(dir, '.git', 'index.lock')), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("in a policy directory, a level in one file's defaults is checked against the compression of volumes in the others", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'snapctl-level-dir-'));
  try {
    writeFileSync(join(dir, '00-defaults.yaml'), 'version: 1\ndefaults:\n  compressionLevel: 15\nhosts:\n  db01:\n    volumes:\n      data: { path: /data }\n');
    writeFileSync(join(dir, '10-web.yaml'), 'version: 1\nhosts:\n  web01:\n    volumes:\n      www: { path: /srv/www, compression: xz }\n');
    const check = await checkPolicy(dir);
    assert.deepEqual(
      check.problems.map((p) => `${p.file}:${p.position?.line}: ${formatKeyPath(p.path)}: ${p.summary}`),
      [`${join(dir, '10-web.yaml')}:5: hosts.web01.volumes.www.compression: xz takes levels 1 to 9, found 15 (compressionLevel from defaults)`],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('in a policy directory, a file with a schema problem still has its level checked against defaults from another file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'snapctl-level-dir-'));
  try {
    writeFileSync(join(dir, '00-defaults.yaml'), 'version: 1\ndefaults:\n  compression: gzip\nhosts:\n  db01:\n    volumes:\n      data: { path: /data }\n');
    writeFileSync(join(dir, '10-web.yaml'), 'version: 1\nhosts:\n  web01:\n    volumes:\n      www: { path: /srv/www, compressionLevel: 12, retention: { keepLast: 0 } }\n');
    const check = await checkPolicy(dir);
    assert.deepEqual(
      check.problems.map((p) => `${p.position?.line}:${p.position?.column}: ${formatKeyPath(p.path)}: ${p.summary}`),
      ['5:30: hosts.web01.volumes.www.compressionLevel: gzip takes levels 1 to 9, found 12', '5:65: hosts.web01.volumes.www.retention.keepLast: expected a positive integer, found 0'],
    );
    assert.deepEqual(check.documents.map((d) => d.file), [join(dir, '00-defaults.yaml')]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('mayNameLvm finds an lvm: key in a file or a directory of them, in any YAML style, and nothing else', () => {
  const dir = mkdtempSync(join(tmpdir(), 'snapctl-lvm-key-'));
  const write = (name: string, text: string): string => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  try {
    const named = {
      block: 'hosts:\n  h1:\n    volumes:\n      data:\n        lvm: vg0/lv_data\n',
      flow: 'hosts: { h1: { volumes: { data: {lvm: vg0/lv_data} } } }\n',
      'flow after a comma': 'hosts: { h1: { volumes: { data: {mount: /data,lvm: vg0/lv_data} } } }\n',
      'double-quoted key': 'hosts:\n  h1:\n    volumes:\n      data:\n        "lvm" : vg0/lv_data\n',
      'single-quoted key': "hosts:\n  h1:\n    volumes:\n      data:\n        'lvm': vg0/lv_data\n",
      json: '{"hosts": {"h1": {"volumes": {"data": {"lvm": "vg0/lv_data"}}}}}',
    };
    for (const [label, text] of Object.entries(named)) assert.equal(mayNameLvm(write('p.yaml', text)), true, label);
    const unnamed = {
      'path volume': 'hosts:\n  h1:\n    volumes:\n      data:\n        path: /srv/lvm-data\n',
      'a longer key': 'hosts:\n  h1:\n    volumes:\n      data:\n        nolvm: x\n',
      'lvm as a value': 'hosts:\n  h1:\n    volumes:\n      lvm2:\n        path: /lvm\n',
    };
    for (const [label, text] of Object.entries(unnamed)) assert.equal(mayNameLvm(write('p.yaml', text)), false, label);

    // A directory: any of its policy files; files that are not *.yaml / *.yml do not count.
    const policies = join(dir, 'policies');
    mkdirSync(policies);
    writeFileSync(join(policies, 'a.yaml'), unnamed['path volume']);
    writeFileSync(join(policies, 'notes.txt'), named.block);
    assert.equal(mayNameLvm(policies), false);
    writeFileSync(join(policies, 'b.yml'), named.block);
    assert.equal(mayNameLvm(policies), true);

    // What loadPolicy refuses or cannot read is no: it reports the problem itself.
    assert.equal(mayNameLvm(join(dir, 'missing.yaml')), false);
    assert.equal(mayNameLvm(write('huge.yaml', named.block + '#'.repeat(MAX_POLICY_BYTES))), false);
    // A FIFO among the policy files is not opened (that would wait for a writer forever).
    const withFifo = join(dir, 'fifo');
    mkdirSync(withFifo);
    execFileSync('mkfifo', [join(withFifo, 'a.yaml')]);
    writeFileSync(join(withFifo, 'b.yaml'), named.block);
    assert.equal(mayNameLvm(withFifo), true);
    rmSync(join(withFifo, 'b.yaml'));
    assert.equal(mayNameLvm(withFifo), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
