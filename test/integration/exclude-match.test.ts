// The exclude matcher that validate uses, checked against GNU tar itself on
// a real tree: for each pattern, the members tar leaves out are the ones
// tarExcludes says, and excludesEverything refuses exactly the patterns
// that leave nothing but the root.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { excludesEverything, tarExcludePattern, tarExcludes } from '../../src/core/exclude.js';

const temps: string[] = [];
after(async () => {
  for (const t of temps) await rm(t, { recursive: true, force: true });
});

const FILES = ['a', 'b/c', '.hidden', 'cache/x', 'd/cache/y', 'tmp/z', 'logs/app.log', '.git/config', 'e/.git/HEAD', 'f.tmp'];
const PATTERNS = ['.*', '*', './*', '**', '?*', '*/*', '.[!.]*', '.??*', '*/.*', 'cache', 'cache/', './tmp', '/tmp', '*.log', '/', '.git', '[ab]', 'b/*', '*.tmp', 'nothing-here'];

test('tarExcludes and excludesEverything agree with GNU tar on a real tree', async () => {
  const src = await mkdtemp(join(tmpdir(), 'snapctl-exclude-'));
  temps.push(src);
  for (const f of FILES) {
    await mkdir(join(src, f, '..'), { recursive: true });
    await writeFile(join(src, f), `${f}\n`);
  }
  const all = execFileSync('tar', ['-cf', '-', '-C', src, '.']);
  const members = execFileSync('tar', ['-tf', '-'], { input: all, encoding: 'utf8' }).split('\n').filter((l) => l !== '').map((m) => m.replace(/\/$/, ''));
  for (const pattern of PATTERNS) {
    const tar = tarExcludePattern(pattern);
    const kept = new Set(
      execFileSync('tar', ['-tf', '-'], { input: execFileSync('tar', ['-cf', '-', '-C', src, `--exclude=${tar}`, '.']), encoding: 'utf8' })
        .split('\n')
        .filter((l) => l !== '')
        .map((m) => m.replace(/\/$/, '')),
    );
    for (const m of members) {
      // A member inside an excluded directory is left out with it, whichever matched.
      const expected = !kept.has(m);
      const predicted = m.split('/').some((_, i, parts) => tarExcludes(tar, parts.slice(0, i + 1).join('/')));
      assert.equal(predicted, expected, `${pattern} (${tar}) on ${m}: tar ${expected ? 'leaves it out' : 'keeps it'}`);
    }
    const nothingLeft = [...kept].every((m) => m === '.');
    assert.equal(excludesEverything(pattern) !== undefined, nothingLeft, `${pattern}: tar keeps ${[...kept].join(', ') || 'nothing'}`);
  }
});
