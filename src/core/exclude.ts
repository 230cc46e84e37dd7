// exclude patterns as GNU tar reads them when creating an archive, and a
// check that one does not leave out the whole volume.

/**
 * An exclude pattern as GNU tar reads it when creating: unanchored (it matches
 * any trailing run of path components, at any depth: `cache` excludes every
 * directory or file named cache, `var/cache` every `…/var/cache`), `*` also
 * matches `/`, and a pattern that matches a directory excludes its contents.
 * `./cache` anchors at the volume root. A leading `/` would never match (members
 * are `./…`), so it is read as volume-root anchored too: `/tmp` → `./tmp`.
 * A trailing `/` (`cache/`, as rsync and .gitignore spell a directory) would
 * make tar match nothing at all, so it is dropped: tar's patterns cannot tell
 * a directory from a file, and `cache/` then leaves out both.
 */
export function tarExcludePattern(pattern: string): string {
  const trimmed = pattern.replace(/(?<=[^/])\/+$/, '');
  return trimmed.startsWith('/') ? `.${trimmed.replace(/^\/+/, '/')}` : trimmed;
}

/** A tar glob as a regular expression: `*` and `?` also match `/` (tar's default for exclude), `[…]` and `[!…]` are classes, `\\x` is x. */
function globSource(glob: string): string {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i] ?? '';
    if (ch === '*') re += '.*';
    else if (ch === '?') re += '.';
    else if (ch === '\\' && i + 1 < glob.length) re += escape(glob[++i] ?? '');
    else if (ch === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close < 0) re += '\\[';
      else {
        const body = glob.slice(i + 1, close);
        re += `[${body.startsWith('!') ? `^${body.slice(1)}` : body}]`;
        i = close;
      }
    } else re += escape(ch);
  }
  return re;
}

function escape(ch: string): string {
  return ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/**
 * Whether tar, given `--exclude=PATTERN` (as tarExcludePattern spells it),
 * leaves out the member `name` ("." is the root, then "./a/b"): unanchored,
 * the pattern may match the whole name or what follows any "/", and a match
 * of a leading directory leaves out everything below it.
 */
export function tarExcludes(pattern: string, name: string): boolean {
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${globSource(pattern)})(?:/.*)?$`, 's');
  } catch {
    return false; // a bracket expression JavaScript cannot read: no verdict
  }
  if (re.test(name)) return true;
  for (let i = name.indexOf('/'); i >= 0; i = name.indexOf('/', i + 1)) if (re.test(name.slice(i + 1))) return true;
  return false;
}

/**
 * Why a policy exclude pattern would leave out the whole volume, or
 * undefined. `.*` (meant for hidden files) matches the root, which tar names
 * ".", so every archive would be empty, and retention would then rotate the
 * real ones out.
 */
export function excludesEverything(pattern: string): string | undefined {
  const tar = tarExcludePattern(pattern);
  if (tarExcludes(tar, '.')) return 'it matches the volume\'s root directory, which tar names "."; to leave out hidden files write "*/.*"';
  if (tarExcludes(tar, './snapctl-probe') && tarExcludes(tar, './probe-dir/snapctl-probe.txt')) return 'it matches every path in the volume';
  return undefined;
}
