// Host keys: a host name or a glob (* ? [...]). An exact key wins; among
// matching globs the one with the most literal characters wins; a tie between
// two globs is ambiguous and reported rather than guessed.

export function isGlob(key: string): boolean {
  return /[*?[]/.test(key);
}

/** The glob as an anchored RegExp, or undefined when it is malformed (an unclosed `[`). */
export function globToRegExp(glob: string): RegExp | undefined {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i] ?? '';
    if (ch === '*') source += '.*';
    else if (ch === '?') source += '.';
    else if (ch === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close < 0) return undefined;
      let body = glob.slice(i + 1, close);
      const negate = body.startsWith('!') || body.startsWith('^');
      if (negate) body = body.slice(1);
      if (body === '') return undefined;
      source += `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
      i = close;
    } else if (ch === ']') return undefined;
    else source += ch.replace(/[.\\+^$(){}|-]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/** How specific a glob is: its literal characters (a class counts as one). */
export function specificity(glob: string): number {
  return glob.replace(/\[[^\]]*\]/g, '#').replace(/[*?]/g, '').length;
}

export type HostMatch =
  | { readonly kind: 'match'; readonly key: string }
  | { readonly kind: 'none' }
  | { readonly kind: 'ambiguous'; readonly keys: readonly [string, string] };

export function matchHost(keys: readonly string[], host: string): HostMatch {
  if (keys.includes(host)) return { kind: 'match', key: host };
  const matching = keys
    .filter((key) => isGlob(key) && globToRegExp(key)?.test(host) === true)
    .sort((a, b) => specificity(b) - specificity(a));
  const [best, second] = matching;
  if (best === undefined) return { kind: 'none' };
  if (second !== undefined && specificity(second) === specificity(best)) return { kind: 'ambiguous', keys: [best, second] };
  return { kind: 'match', key: best };
}
