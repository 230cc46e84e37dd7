// restic 0.14 `forget` semantics: which archives each keep-rule keeps.
import type { Retention } from './model.js';

export function applyRetention<T extends { readonly time: number }>(
  _items: readonly T[],
  _rules: Retention,
  _timeZone: string,
): { keep: { item: T; reasons: string[] }[]; remove: T[] } {
  throw new Error('not implemented');
}
