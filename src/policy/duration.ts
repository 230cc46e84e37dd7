// Durations in policies: `<n>w`, `<n>d`, `<n>h`, `<n>m`, `<n>s`, combinable in
// that order (`2d12h`, `1w3d`, `1m30s`), each unit at most once. The same grammar is the
// schema's `duration` pattern (a unit test keeps the two identical).

const MINUTE = 60_000;
const UNIT_MS = { w: 7 * 24 * 60 * MINUTE, d: 24 * 60 * MINUTE, h: 60 * MINUTE, m: MINUTE, s: 1000 } as const;

export const DURATION_PATTERN = /^(?=[0-9])(?:([0-9]+)w)?(?:([0-9]+)d)?(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?$/;

/** Milliseconds for a duration text, or undefined when it does not follow the grammar. "0d" is 0. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION_PATTERN.exec(text);
  if (!match) return undefined;
  const [, w, d, h, m, sec] = match;
  const ms = Number(w ?? 0) * UNIT_MS.w + Number(d ?? 0) * UNIT_MS.d + Number(h ?? 0) * UNIT_MS.h + Number(m ?? 0) * UNIT_MS.m + Number(sec ?? 0) * UNIT_MS.s;
  return Number.isSafeInteger(ms) ? ms : undefined;
}
