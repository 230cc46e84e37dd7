import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Compression } from '../../src/core/model.js';
import { describeTree, type Entry } from '../helpers/tree.js';
import { cutBeforeLastMember, makeFixture, ROOT, snapctl, writePySnapArchive, type Fixture } from './restore-fixture.js';

const fixtures: Fixture[] = [];
const temps: string[] = [];
after(async () => {
  for (const f of fixtures) await f.cleanup();
  for (const t of temps) await rm(t, { recursive: true, force: true });
});
async function fixture(compression: Compression = 'zstd'): Promise<Fixture> {
  const f = await makeFixture(compression);
  fixtures.push(f);
  return f;
}
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'snapctl-restore-t-'));
  temps.push(d);
  return d;
}

const without = (tree: Record<string, Entry>, ...names: string[]): Record<string, Entry> =>
  Object.fromEntries(Object.entries(tree).filter(([k]) => !names.includes(k)));
const noXattrs = (tree: Record<string, Entry>): Record<string, Omit<Entry, 'xattrs'>> =>
  Object.fromEntries(Object.entries(tree).map(([k, v]) => [k, Object.fromEntries(Object.entries(v).filter(([f]) => f !== 'xattrs')) as Omit<Entry, 'xattrs'>]));

for (const compression of ['zstd', 'gzip', 'xz', 'none'] as const) {
  test(`restore of an apply-made ${compression} archive reproduces the tree: owners, modes, symlinks, hard links, xattrs, odd names`, async () => {
    const f = await fixture(compression);
    assert.equal(f.apply('2026-11-20T03:00:00Z').status, 0);
    const out = join(await tempDir(), 'restored');
    const r = snapctl('restore', '--volume', 'data', ...f.flags, '--to', out);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, /checksum: verified against its \.sha256 sidecar/);
    assert.match(r.stdout, /restored .*h1_data\.20261120T030000Z\.tar/);
    assert.deepEqual(await describeTree(out), await describeTree(f.src));
  });
}

for (const gzip of [true, false]) {
  test(`restore of a py_snap ${gzip ? '.tar.gz' : '.tar'} archive strips snap_backup/ and reproduces the tree (without sidecar: a warning)`, async () => {
    const f = await fixture();
    await mkdir(f.hostDir, { recursive: true });
    const name = `${f.legacyPrefix}.2026-11-19:03:00:00.tar${gzip ? '.gz' : ''}`;
    await writePySnapArchive(f.src, join(f.hostDir, name), gzip);
    const out = join(await tempDir(), 'restored');
    const r = snapctl('restore', '--volume', 'data', ...f.flags, '--to', out);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /^warning: .* has no .*\.sha256 sidecar/);
    assert.match(r.stdout, /stripped the py_snap top-level directory snap_backup\//);
    // tarfile stores no xattrs; everything else must match.
    assert.deepEqual(noXattrs(await describeTree(out)), noXattrs(await describeTree(f.src)));
  });
}

test('restore detects a py_snap top-level directory other than snap_backup (another -m)', async () => {
  const f = await fixture();
  const archive = join(await tempDir(), 'h1_data.2026-11-19:03:00:00.tar.gz');
  await writePySnapArchive(f.src, archive, true, 'mongo_snap');
  const out = join(await tempDir(), 'restored');
  const r = snapctl('restore', archive, '--to', out);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /stripped the py_snap top-level directory mongo_snap\//);
  assert.deepEqual(noXattrs(await describeTree(out)), noXattrs(await describeTree(f.src)));
});

test('--strip-locks removes the policy lockFiles (mongod.lock, **/*.pid) after extraction and lists them', async () => {
  const f = await fixture();
  assert.equal(f.apply('2026-11-20T03:00:00Z').status, 0);
  const out = join(await tempDir(), 'restored');
  const r = snapctl('restore', '--volume', 'data', ...f.flags, '--to', out, '--strip-locks');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /removed lock files: db\/mongod\.pid, mongod\.lock/);
  assert.deepEqual(await describeTree(out), without(await describeTree(f.src), 'mongod.lock', 'db/mongod.pid'));
});

test('--strip-locks on a py_snap archive given as a path finds the volume by its name and removes the lock under the stripped root', async () => {
  const f = await fixture();
  await mkdir(f.hostDir, { recursive: true });
  const archive = join(f.hostDir, `${f.legacyPrefix}.2026-11-19:03:00:00.tar.gz`);
  await writePySnapArchive(f.src, archive, true);
  const out = join(await tempDir(), 'restored');
  const r = snapctl('restore', archive, ...f.flags, '--to', out, '--strip-locks');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /removed lock files: db\/mongod\.pid, mongod\.lock/);
  assert.ok(!(await readdir(out)).includes('mongod.lock'));
  assert.ok((await readdir(out)).includes('owned'));
});

test('restore refuses a non-empty target (exit 1, nothing changed) and extracts over it with --force', async () => {
  const f = await fixture();
  assert.equal(f.apply('2026-11-20T03:00:00Z').status, 0);
  const out = await tempDir();
  await writeFile(join(out, 'precious'), 'keep me\n');
  const refused = snapctl('restore', '--volume', 'data', ...f.flags, '--to', out);
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /is not empty \(1 entry\)/);
  assert.deepEqual(await readdir(out), ['precious']);
  const forced = snapctl('restore', '--volume', 'data', ...f.flags, '--to', out, '--force');
  assert.equal(forced.status, 0, forced.stderr);
  assert.equal(await readFile(join(out, 'precious'), 'utf8'), 'keep me\n');
  assert.deepEqual(without(await describeTree(out), 'precious'), await describeTree(f.src));
});

test('--at picks the newest archive taken at or before TIME; before the first one it is an error', async () => {
  const f = await fixture();
  for (const [day, text] of [['20', 'one'], ['21', 'two'], ['22', 'three']] as const) {
    await writeFile(join(f.src, 'version'), text);
    assert.equal(f.apply(`2026-11-${day}T03:00:00Z`).status, 0);
  }
  const restoreAt = async (at: string): Promise<string> => {
    const out = join(await tempDir(), 'r');
    const r = snapctl('restore', '--volume', 'data', ...f.flags, '--at', at, '--to', out);
    assert.equal(r.status, 0, r.stderr);
    return readFile(join(out, 'version'), 'utf8');
  };
  assert.equal(await restoreAt('2026-11-21T12:00:00Z'), 'two');
  assert.equal(await restoreAt('2026-11-21T03:00:00Z'), 'two', 'at or before: the exact time counts');
  assert.equal(await restoreAt('2026-11-21T02:59:59Z'), 'one');
  assert.equal(await restoreAt('2030-01-01T00:00:00Z'), 'three');
  const none = snapctl('restore', '--volume', 'data', ...f.flags, '--at', '2026-11-19T00:00:00Z', '--to', join(await tempDir(), 'r'));
  assert.equal(none.status, 1);
  assert.match(none.stderr, /no archive of volume "data" at or before 2026-11-19T00:00:00Z in /);
  // The fixture's policy counts in UTC: a date alone is that whole day, a time without a zone is UTC wall time.
  assert.equal(await restoreAt('2026-11-21'), 'two');
  assert.equal(await restoreAt('2026-11-21T02:59'), 'one');
  const early = snapctl('restore', '--volume', 'data', ...f.flags, '--at', '2026-11-19', '--to', join(await tempDir(), 'r'));
  assert.equal(early.status, 1);
  assert.match(early.stderr, /at or before 2026-11-19 \(the end of that day in UTC, 2026-11-19T23:59:59\.999Z\)/);
  const bad = snapctl('restore', '--volume', 'data', ...f.flags, '--at', 'last tuesday', '--to', join(await tempDir(), 'r'));
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /--at: "last tuesday" is not an ISO-8601 date or time/);
});

test('--list prints the members without extracting anything', async () => {
  const f = await fixture();
  assert.equal(f.apply('2026-11-20T03:00:00Z').status, 0);
  const r = snapctl('restore', '--volume', 'data', ...f.flags, '--list');
  assert.equal(r.status, 0, r.stderr);
  // Which archive --volume chose, on stderr: stdout holds only member lines.
  assert.match(r.stderr, /^listed \/.*\/h1_data\.20261120T030000Z\.tar\.zst: checksum verified against its \.sha256 sidecar; \d+ files, /);
  assert.match(r.stdout, /^-rw-r--r-- 0\/0 +5 "\.\/mongod\.lock"$/m);
  assert.match(r.stdout, /^lrwxrwxrwx 0\/0 +0 "\.\/link" -> "db\/collection-1\.wt"$/m);
  assert.match(r.stdout, /"\.\/new\\nline \\"quoted\\" -> x"/);
});

test('restore refuses a checksum mismatch before writing anything', async () => {
  const f = await fixture();
  assert.equal(f.apply('2026-11-20T03:00:00Z').status, 0);
  const [archive] = (await readdir(f.hostDir)).filter((n) => n.endsWith('.zst'));
  const path = join(f.hostDir, archive!);
  const bytes = await readFile(path);
  const at = Math.floor(bytes.length / 2);
  bytes[at] = bytes[at]! ^ 0xff;
  await writeFile(path, bytes);
  const out = join(await tempDir(), 'r');
  const r = snapctl('restore', path, '--to', out);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /does not match its checksum: refusing to restore it/);
  await assert.rejects(readdir(out), /ENOENT/);
});

test('restore --volume refusing a damaged newest archive names the next older one and the --at that restores it', async () => {
  const f = await fixture();
  for (const [day, text] of [['20', 'one'], ['21', 'two'], ['22', 'three']] as const) {
    await writeFile(join(f.src, 'version'), text);
    assert.equal(f.apply(`2026-11-${day}T03:00:00Z`).status, 0);
  }
  const newest = join(f.hostDir, 'h1_data.20261122T030000Z.tar.zst');
  const bytes = await readFile(newest);
  await writeFile(newest, bytes.subarray(0, Math.floor(bytes.length / 2)));
  const r = snapctl('restore', '--volume', 'data', ...f.flags, '--to', join(await tempDir(), 'r'));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /h1_data\.20261122T030000Z\.tar\.zst does not match its checksum/);
  const hint = /The next older archive of volume "data" is h1_data\.20261121T030000Z\.tar\.zst: restore it with --at (\S+)$/m.exec(r.stderr);
  assert.ok(hint, r.stderr);
  const out = join(await tempDir(), 'r');
  const older = snapctl('restore', '--volume', 'data', ...f.flags, '--at', hint[1]!, '--to', out);
  assert.equal(older.status, 0, older.stderr);
  assert.equal(await readFile(join(out, 'version'), 'utf8'), 'two');
  // The oldest archive has nothing older to point to; ARCHIVE given by path gets no hint either.
  await writeFile(join(f.hostDir, 'h1_data.20261120T030000Z.tar.zst'), 'garbage');
  const oldest = snapctl('restore', '--volume', 'data', ...f.flags, '--at', '2026-11-20T03:00:00Z', '--to', join(await tempDir(), 'r'));
  assert.equal(oldest.status, 1);
  assert.doesNotMatch(oldest.stderr, /next older archive/);
  assert.doesNotMatch(snapctl('restore', newest, '--to', join(await tempDir(), 'r')).stderr, /next older archive/);
});

test('restore refuses a .tar cut where a member starts (tar -t exits 0 on it) before writing anything: snapctl\'s with its sidecar rewritten, py_snap\'s without one', async () => {
  const f = await fixture('none');
  assert.equal(f.apply('2026-11-20T03:00:00Z').status, 0);
  assert.equal(f.apply('2026-11-21T03:00:00Z').status, 0);
  const newest = join(f.hostDir, 'h1_data.20261121T030000Z.tar');
  await cutBeforeLastMember(newest, 'none');
  const out = join(await tempDir(), 'r');
  const r = snapctl('restore', '--volume', 'data', ...f.flags, '--to', out);
  assert.equal(r.status, 1, r.stdout);
  assert.match(r.stderr, /h1_data\.20261121T030000Z\.tar does not read as a complete tar archive: refusing to restore it/);
  assert.match(r.stderr, /the tar data ends after \d+ blocks of 512 bytes without the end-of-archive marker/);
  assert.match(r.stderr, /The next older archive of volume "data" is h1_data\.20261120T030000Z\.tar: restore it with --at 2026-11-20T03:00:00Z$/m);
  await assert.rejects(readdir(out), /ENOENT/);

  const legacy = join(await tempDir(), `${f.legacyPrefix}.2026-11-19:03:00:00.tar`);
  await writePySnapArchive(f.src, legacy, false);
  await cutBeforeLastMember(legacy, 'none');
  const py = snapctl('restore', legacy, '--to', out);
  assert.equal(py.status, 1, py.stdout);
  assert.match(py.stderr, /does not read as a complete tar archive: refusing to restore it/);
  await assert.rejects(readdir(out), /ENOENT/);
});

/** An archive made by hand: python3 adds `members` with add(t, name, type, link); `outside` is a directory no member may write into. */
function craftedArchive(path: string, outside: string, members: string): void {
  const script = `import io, sys, tarfile
out, outside = sys.argv[1], sys.argv[2]
def add(t, name, typ=tarfile.REGTYPE, link="", data=b"pwned\\n"):
    ti = tarfile.TarInfo(name); ti.type = typ; ti.linkname = link
    if typ == tarfile.REGTYPE:
        ti.size = len(data); t.addfile(ti, io.BytesIO(data))
    else:
        t.addfile(ti)
with tarfile.open(out, "w:gz", format=tarfile.GNU_FORMAT) as t:
${members}`;
  execFileSync('python3', ['-c', script, path, outside]);
}

/** An archive made by hand with the members a hostile or broken archive could hold. */
function maliciousArchive(path: string, outside: string): void {
  craftedArchive(
    path,
    outside,
    `    add(t, "./", tarfile.DIRTYPE)
    add(t, "./harmless")
    add(t, "../evil")
    add(t, outside + "/abs")
    add(t, "./escape", tarfile.SYMTYPE, outside)
    add(t, "./escape/through-link")
    add(t, "./hard", tarfile.LNKTYPE, "../../etc/hostname")
`,
  );
}

test('restore refuses an archive with ../evil, /abs, symlink-escape and ../ hard-link members: nothing written anywhere', async () => {
  const base = await tempDir();
  const outside = join(base, 'outside');
  await mkdir(outside);
  const archive = join(base, 'evil.tar.gz');
  maliciousArchive(archive, outside);
  const target = join(base, 'work/target');
  await mkdir(target, { recursive: true });
  const r = snapctl('restore', archive, '--to', target);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /has members that would be written outside the target: refusing to restore it/);
  assert.match(r.stderr, /"\.\.\/evil" contains a "\.\." component/);
  assert.match(r.stderr, new RegExp(`"${outside}/abs" is an absolute path`));
  assert.match(r.stderr, /"\.\/escape\/through-link" leads through the symlink "escape"/);
  assert.match(r.stderr, /hard link "\.\/hard" to "\.\.\/\.\.\/etc\/hostname" contains a "\.\." component/);
  assert.deepEqual(await readdir(target), []);
  assert.deepEqual(await readdir(outside), []);
  assert.deepEqual((await readdir(join(base, 'work'))).sort(), ['target']);
  assert.deepEqual((await readdir(base)).sort(), ['evil.tar.gz', 'outside', 'work']);
  // --force does not lower the bar.
  assert.equal(snapctl('restore', archive, '--to', target, '--force').status, 1);
  assert.deepEqual(await readdir(outside), []);
});

test('restore refuses paths through a hard link to an archive symlink (and a link to that link) before writing anything, naming the next older archive', async () => {
  const f = await fixture();
  assert.equal(f.apply('2026-11-20T03:00:00Z').status, 0);
  const base = await tempDir();
  const outside = join(base, 'outside');
  await mkdir(outside);
  // ./b and ./c extract as hard links to the symlink itself, pointing outside: tar would write b/x there were it not for its own check.
  craftedArchive(
    join(f.hostDir, `${f.legacyPrefix}.2026-11-21:03:00:00.tar.gz`),
    outside,
    `    add(t, "./", tarfile.DIRTYPE)
    add(t, "./s", tarfile.SYMTYPE, outside)
    add(t, "./b", tarfile.LNKTYPE, "./s")
    add(t, "./c", tarfile.LNKTYPE, "./b")
    add(t, "./b/x")
    add(t, "./c/y")
`,
  );
  const list = snapctl('restore', '--volume', 'data', ...f.flags, '--list');
  assert.equal(list.status, 1, list.stdout);
  const target = join(base, 'target');
  const r = snapctl('restore', '--volume', 'data', ...f.flags, '--to', target);
  assert.equal(r.status, 1, r.stdout);
  assert.match(r.stderr, /has members that would be written outside the target: refusing to restore it/);
  assert.match(r.stderr, /^ {2}member "\.\/b\/x" leads through "b", a hard link the archive creates to the symlink "s"$/m);
  assert.match(r.stderr, /^ {2}member "\.\/c\/y" leads through "c", a hard link the archive creates to the symlink "s"$/m);
  assert.match(r.stderr, /The next older archive of volume "data" is h1_data\.20261120T030000Z\.tar\.zst: restore it with --at 2026-11-20T03:00:00Z$/m);
  await assert.rejects(readdir(target), /ENOENT/);
  assert.deepEqual(await readdir(outside), []);
});

test('restore flags: ARCHIVE or --volume, --to required, --at only with --volume, --strip-locks needs a policy', () => {
  assert.match(snapctl('restore', '--to', '/tmp/x').stderr, /give ARCHIVE or --volume NAME/);
  assert.match(snapctl('restore', 'a.tar.zst').stderr, /--to DIR is required/);
  assert.match(snapctl('restore', 'a.tar.zst', '--at', '2026-01-01', '--to', '/tmp/x').stderr, /use it with --volume/);
  assert.match(snapctl('restore', 'a.tar.zst', '--strip-locks', '--to', '/tmp/x').stderr, /--strip-locks needs --policy/);
  assert.match(snapctl('restore', 'notes.txt', '--to', '/tmp/x').stderr, /not an archive name/);
  const help = snapctl('restore', '--help');
  assert.equal(help.status, 0);
  for (const section of ['NAME', 'SYNOPSIS', 'DESCRIPTION', 'OPTIONS', 'EXIT STATUS']) assert.match(help.stdout, new RegExp(`^${section}$`, 'm'));
});

/**
 * A PATH whose `zstd` is a shell script: `extracting` runs when zstd reads the
 * archive file itself (restore's extraction), `checking` when it reads a
 * pipe (the verifying read); $ZSTD is the real one. Either defaults to it.
 */
async function zstdWrapper(base: string, parts: { checking?: string; extracting?: string }): Promise<string> {
  const bin = join(base, 'bin');
  await mkdir(bin);
  const real = execFileSync('sh', ['-c', 'command -v zstd'], { encoding: 'utf8' }).trim();
  const script = `#!/bin/sh\nZSTD=${real}\nif [ -f /dev/stdin ]; then ${parts.extracting ?? 'exec "$ZSTD" "$@"'}; else ${parts.checking ?? 'exec "$ZSTD" "$@"'}; fi\n`;
  await writeFile(join(bin, 'zstd'), script, { mode: 0o755 });
  return `${bin}:${process.env['PATH'] ?? ''}`;
}

test('an archive apply prunes after restore has verified it is still restored whole: restore reads and extracts one open file', async () => {
  const f = await fixture();
  assert.equal(f.apply('2026-11-20T03:00:00Z').status, 0);
  const base = await tempDir();
  const archive = join(f.hostDir, (await readdir(f.hostDir)).find((n) => n.endsWith('.tar.zst'))!);
  // The checking read ends by deleting the archive and its sidecar, as a prune would.
  const path = await zstdWrapper(base, { checking: `"$ZSTD" "$@"; s=$?; rm -f '${archive}' '${archive}.sha256'; exit $s` });
  const out = join(base, 'restored');
  const r = spawnSync(process.execPath, ['bin/snapctl.js', 'restore', archive, '--to', out], { cwd: ROOT, env: { ...process.env, PATH: path }, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(await readdir(f.hostDir), [], 'the archive was deleted during the restore');
  assert.match(r.stdout, /checksum: verified against its \.sha256 sidecar/);
  assert.deepEqual(await describeTree(out), await describeTree(f.src));
});

/** Pids of live processes whose command line contains `text`. */
async function processesWith(text: string): Promise<number[]> {
  const pids: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const cmdline = await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(text)) pids.push(Number(name));
  }
  return pids;
}

interface Interrupted {
  readonly code: number | null;
  readonly stderr: string;
}

/**
 * Starts `snapctl restore --volume data ... --to out [--force]` with zstd
 * replaced as `parts` says (see zstdWrapper), waits until the wrapper runs
 * `sleep <seconds>` (it then holds a pipe of the verifying read or of the
 * extraction open), runs `whileHeld`, sends SIGINT and waits for the exit,
 * which must come long before the sleep would end. Whatever happens, no
 * snapctl, sleeper or tar is left running.
 */
async function interruptRestore(f: Fixture, base: string, out: string, force: boolean, parts: { checking?: string; extracting?: string }, seconds: number, whileHeld: () => Promise<void> = () => Promise.resolve()): Promise<Interrupted> {
  const path = await zstdWrapper(base, parts);
  const args = ['bin/snapctl.js', 'restore', '--volume', 'data', ...f.flags, '--to', out, ...(force ? ['--force'] : [])];
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, PATH: path }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const sleeper = `sleep\u0000${seconds}\u0000`;
  try {
    for (let i = 0; i < 600 && (await processesWith(sleeper)).length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal((await processesWith(sleeper)).length, 1, `the wrapper never held its pipe; stderr: ${stderr}`);
    await whileHeld();
    child.kill('SIGINT');
    const late = new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), 30_000).unref());
    const code = await Promise.race([exited, late]);
    if (code === 'late') assert.fail(`restore did not exit within 30 s of SIGINT; stderr: ${stderr}`);
    assert.deepEqual(await processesWith(sleeper), [], 'the decompressor was stopped');
    assert.deepEqual(await processesWith(`--directory=${out}`), [], 'no tar left extracting after restore exited');
    return { code, stderr };
  } finally {
    child.kill('SIGKILL');
    for (const pid of [...(await processesWith(sleeper)), ...(await processesWith(`--directory=${out}`))]) process.kill(pid, 'SIGKILL');
  }
}

/** A target holding a file of the user's, for --force. */
async function targetWithMine(base: string): Promise<string> {
  const out = join(base, 'keep');
  await mkdir(out);
  await writeFile(join(out, 'mine'), 'precious\n');
  return out;
}

test('restore interrupted during extraction stops tar and the decompressor before exiting, and says the target holds a partial restore', async () => {
  const f = await fixture();
  assert.equal(f.apply('2026-11-20T03:00:00Z').status, 0);
  const base = await tempDir();
  const out = join(base, 'restored');
  // A zstd that, when it reads the archive file itself (extraction, not the
  // checking read through a pipe), passes on the first six 10 KiB tar records
  // and then holds tar's input open: the restore is then certainly mid-extraction.
  const r = await interruptRestore(f, base, out, false, { extracting: '"$ZSTD" "$@" | head -c 61440; exec sleep 317' }, 317, async () => {
    assert.ok((await readdir(out)).length > 0, 'tar has begun extracting');
    assert.equal((await processesWith(`--directory=${out}`)).length, 1, 'tar -x is running');
  });
  assert.equal(r.code, 130, r.stderr);
  assert.match(r.stderr, /^SIGINT received: stopping tar and the decompressor$/m);
  assert.match(r.stderr, new RegExp(`^restore interrupted by SIGINT while extracting: ${out} holds a partial restore; remove it, or restore again with --force$`, 'm'));
});

test('restore --force interrupted during extraction into a non-empty directory does not say to remove it: the user\'s files are among what tar wrote', async () => {
  const f = await fixture();
  assert.equal(f.apply('2026-11-20T03:00:00Z').status, 0);
  const base = await tempDir();
  const out = await targetWithMine(base);
  const r = await interruptRestore(f, base, out, true, { extracting: '"$ZSTD" "$@" | head -c 61440; exec sleep 316' }, 316, async () => {
    assert.ok((await readdir(out)).length > 1, 'tar has begun extracting');
  });
  assert.equal(r.code, 130, r.stderr);
  assert.match(r.stderr, new RegExp(`^restore interrupted by SIGINT while extracting: ${out} may now hold part of the archive over what it held before; restore again with --force to complete it$`, 'm'));
  assert.doesNotMatch(r.stderr, /remove it/);
  assert.equal(await readFile(join(out, 'mine'), 'utf8'), 'precious\n');
});

for (const force of [false, true]) {
  test(`restore${force ? ' --force into a non-empty directory' : ''} interrupted while verifying says nothing was written${force ? ' and the directory was left as it was' : ''}, not that it holds a partial restore`, async () => {
    const f = await fixture();
    assert.equal(f.apply('2026-11-20T03:00:00Z').status, 0);
    const base = await tempDir();
    const out = force ? await targetWithMine(base) : join(base, 'restored');
    // The verifying read's decompressor (reading a pipe, not the file) never
    // finishes: the restore is certainly still verifying when SIGINT comes.
    const r = await interruptRestore(f, base, out, force, { checking: 'exec sleep 318' }, 318);
    assert.equal(r.code, 130, r.stderr);
    const said = force ? `nothing was written; the existing contents of ${out} were left as they were` : 'nothing was written';
    assert.match(r.stderr, new RegExp(`^restore interrupted by SIGINT before extracting: ${said}$`, 'm'));
    assert.doesNotMatch(r.stderr, /partial/);
    if (force) {
      assert.deepEqual(await readdir(out), ['mine']);
      assert.equal(await readFile(join(out, 'mine'), 'utf8'), 'precious\n');
    } else {
      await assert.rejects(readdir(out), /ENOENT/, 'the target was not even created');
    }
  });
}

test('a SIGINT while the verifying read waits on a full pipe into a decompressor that stopped reading stops the restore at once', async () => {
  const f = await fixture();
  // 8 MiB that zstd cannot shrink: far more than the pipe holds.
  await writeFile(join(f.src, 'random.bin'), randomBytes(8 << 20));
  assert.equal(f.apply('2026-11-20T03:00:00Z').status, 0);
  const base = await tempDir();
  const out = join(base, 'restored');
  const r = await interruptRestore(f, base, out, false, { checking: 'exec sleep 315' }, 315);
  assert.equal(r.code, 130, r.stderr);
  assert.match(r.stderr, /^restore interrupted by SIGINT before extracting: nothing was written$/m);
  await assert.rejects(readdir(out), /ENOENT/);
});

test('restore --force into a non-empty directory: a damaged archive leaves it as it was; tar failing midway says it may hold part of the archive over what it held', async () => {
  const f = await fixture();
  assert.equal(f.apply('2026-11-20T03:00:00Z').status, 0);
  const base = await tempDir();
  const out = await targetWithMine(base);
  const archive = join(f.hostDir, 'h1_data.20261120T030000Z.tar.zst');
  // The extraction's decompressor stops after six 10 KiB tar records and fails.
  const path = await zstdWrapper(base, { extracting: '"$ZSTD" "$@" | head -c 61440; exit 1' });
  const failed = spawnSync(process.execPath, ['bin/snapctl.js', 'restore', archive, '--to', out, '--force'], { cwd: ROOT, env: { ...process.env, PATH: path }, encoding: 'utf8' });
  assert.equal(failed.status, 1, failed.stderr);
  assert.match(failed.stderr, new RegExp(`extracting ${archive} into ${out} failed: zstd`));
  assert.match(failed.stderr, new RegExp(`${out} may now hold part of the archive over what it held before`));
  assert.doesNotMatch(failed.stderr, /remove it/);
  assert.equal(await readFile(join(out, 'mine'), 'utf8'), 'precious\n');

  const damaged = join(base, 'damaged');
  await mkdir(damaged);
  await writeFile(join(damaged, 'mine'), 'precious\n');
  const bytes = await readFile(archive);
  await writeFile(archive, bytes.subarray(0, Math.floor(bytes.length / 2)));
  const refused = snapctl('restore', archive, '--to', damaged, '--force');
  assert.equal(refused.status, 1, refused.stderr);
  assert.match(refused.stderr, /does not match its checksum: refusing to restore it/);
  assert.doesNotMatch(refused.stderr, /partial/);
  assert.deepEqual(await readdir(damaged), ['mine']);
});

test('checking a long archive leaves no listeners behind on the pipe into tar (each full pipe used to add two for good)', async () => {
  const base = await tempDir();
  const src = join(base, 'src');
  await mkdir(src);
  // 24 MiB that tar reads 64 KiB at a time from 1 MiB chunks: the pipe fills on every chunk.
  await writeFile(join(src, 'random.bin'), randomBytes(24 << 20));
  const archive = join(base, 'v.tar');
  execFileSync('tar', ['-cf', archive, '-C', src, '.']);
  const r = snapctl('restore', archive, '--list');
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /MaxListenersExceededWarning/);
  assert.match(r.stdout, /"\.\/random\.bin"$/m);
});

test('--list shows names that are not UTF-8 by their bytes, as tar does, and escapes control characters', async () => {
  const base = await tempDir();
  const src = join(base, 'src');
  await mkdir(src);
  // Two Latin-1 names that differ in one byte, a UTF-8 one, one with a C0 and a C1 control sequence, a link to a Latin-1 name.
  for (const name of [Buffer.from('caf\xe9', 'latin1'), Buffer.from('caf\xe8', 'latin1'), Buffer.from('café ü'), Buffer.from('esc\x1b[31mred\u009b')]) {
    await writeFile(Buffer.concat([Buffer.from(`${src}/`), name]), 'x');
  }
  await symlink(Buffer.from('target\xff', 'latin1'), join(src, 'link'));
  const archive = join(base, 'v.tar');
  execFileSync('tar', ['-cf', archive, '-C', src, '.']);
  const r = snapctl('restore', archive, '--list');
  assert.equal(r.status, 0, r.stderr);
  const names = r.stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.slice(l.indexOf('"')))
    .sort();
  assert.deepEqual(names, ['"./"', '"./caf\\350"', '"./caf\\351"', '"./café ü"', '"./esc\\033[31mred\\302\\233"', '"./link" -> "target\\377"']);
});
