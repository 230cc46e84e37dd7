import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diffRows, renderPlan, type Rows } from '../../src/render/plan-text.js';
import type { Archive, HostPolicy, Plan } from '../../src/core/model.js';
import { testVolume } from '../helpers/volume.js';
import { grouped } from '../../src/core/describe.js';

const names = (n: number, from = 0): string[] => Array.from({ length: n }, (_, i) => `h_v.2026${String(100 + from + i).slice(1)}.tar`);

test('the bounded diff and the direct marking give the same rows for every shape of change', () => {
  const before = names(40);
  const shapes: [string, Set<string>, string[]][] = [
    ['nothing', new Set(), []],
    ['one create', new Set(), ['new1']],
    ['deletes at the start, one create', new Set(before.slice(0, 5)), ['new1']],
    ['deletes scattered', new Set(before.filter((_, i) => i % 3 === 0)), ['new1']],
    ['deletes at the end, two creates', new Set(before.slice(-4)), ['new1', 'new2']],
    ['everything but one', new Set(before.slice(0, -1)), ['new1']],
  ];
  // Each row as [file, mark, index in before].
  const table = (rows: Rows): [string, string, number][] => Array.from({ length: rows.length }, (_, r) => [rows.file(r), rows.mark(r), rows.beforeIndex(r)]);
  for (const [label, deletes, creates] of shapes) {
    const deleted = (i: number): boolean => deletes.has(before[i] as string);
    const diffed = table(diffRows(before, deleted, creates, 10_000));
    const direct = table(diffRows(before, deleted, creates, 0));
    assert.deepEqual(diffed, direct, label);
    for (const [file, mark, at] of diffed) assert.equal(mark === '+' ? file : before[at], file, label);
    const marks = diffed.map(([, mark]) => mark);
    const files = diffed.map(([file]) => file);
    assert.equal(marks.filter((m) => m === '-').length, deletes.size, label);
    assert.deepEqual(files.filter((_, i) => marks[i] === '+'), creates, label);
    assert.deepEqual(files.filter((_, i) => marks[i] === '-'), before.filter((f) => deletes.has(f)), label);
  }
});

function fixture(deleteCount: number): { plan: Plan; policy: HostPolicy; archives: Archive[] } {
  const files = names(deleteCount + 2);
  const archives: Archive[] = files.map((file, i) => ({ file, volume: 'v', time: i * 1000, format: 'snapctl', compression: 'none', hasSidecar: false }));
  const plan: Plan = {
    host: 'h',
    now: '2026-01-01T00:00:00.000Z',
    backupDir: '/b/h',
    actions: [
      ...files.slice(0, deleteCount).map((f) => ({ type: 'delete' as const, volume: 'v', archive: f, path: `/b/h/${f}`, reason: 'expired' })),
      { type: 'create', volume: 'v', archive: 'h_v.new.tar', path: '/b/h/h_v.new.tar', reason: 'due' },
    ],
    kept: files.slice(deleteCount).map((f) => ({ volume: 'v', archive: f, reasons: ['daily'] })),
    unmanaged: [],
    diagnostics: [],
  };
  const volume = testVolume('v', { kind: 'path', path: '/srv' }, { retention: { daily: 2 }, compression: 'none' });
  const policy: HostPolicy = { host: 'h', matchedBy: 'h', backupDir: '/b', timezone: 'UTC', mountRoot: '/run/snapctl', volumes: [volume] };
  return { plan, policy, archives };
}

test('a long run of deletions with one reason is shortened to its ends and a count; --verbose lists every archive', () => {
  const { plan, policy, archives } = fixture(20);
  const short = renderPlan({ plan, policy, archives });
  const shown = short.split('\n').filter((l) => l.startsWith('  - h_v.'));
  assert.equal(shown.length, 6, short);
  assert.match(short, / {2}- … 14 more to delete, same reason \(--verbose lists every archive\)/);
  const full = renderPlan({ plan, policy, archives, verbose: true });
  assert.equal(full.split('\n').filter((l) => l.startsWith('  - h_v.')).length, 20);
  assert.match(short, /Plan: 1 to create, 20 to delete, 0 to clean up\./);
});

test('a short run of deletions is listed whole', () => {
  const { plan, policy, archives } = fixture(10);
  const text = renderPlan({ plan, policy, archives });
  assert.equal(text.split('\n').filter((l) => l.startsWith('  - h_v.')).length, 10);
  assert.doesNotMatch(text, /more to delete/);
});

test('archives are listed oldest first, equal times by file name, in whatever order they come', () => {
  const { plan, policy } = fixture(0);
  const at = (file: string, time: number): Archive => ({ file, volume: 'v', time, format: 'snapctl', compression: 'none', hasSidecar: false });
  const listed = (archives: Archive[]): string[] =>
    renderPlan({ plan, policy, archives })
      .split('\n')
      .filter((l) => l.startsWith('    h_'))
      .map((l) => l.trim());
  const distinct = [at('h_v.c.tar', 3000), at('h_v.b.tar', 2000), at('h_v.a.tar', 1000)];
  const tied = [at('h_v.d.tar', 3000), at('h_v.b.tar', 2000), at('h_v.c.tar', 2000), at('h_v.a.tar', 1000)];
  for (const order of [distinct, [...distinct].reverse(), [distinct[1]!, distinct[0]!, distinct[2]!]]) assert.deepEqual(listed(order), ['h_v.a.tar', 'h_v.b.tar', 'h_v.c.tar']);
  for (const order of [tied, [...tied].reverse(), [tied[2]!, tied[0]!, tied[1]!, tied[3]!]]) assert.deepEqual(listed(order), ['h_v.a.tar', 'h_v.b.tar', 'h_v.c.tar', 'h_v.d.tar']);
  const input = [...tied];
  listed(input);
  assert.deepEqual(input, tied, 'the list passed in is left as it was');
});

test('counts are grouped in threes as en-US writes them', () => {
  for (const n of [0, 7, 999, 1000, 1206, 12_345, 99_906, 100_000, 1_234_567, 9_007_199_254_740_991, -1, -1234]) {
    assert.equal(grouped(n), n.toLocaleString('en-US'), String(n));
  }
});

test('rendering a shortened run asks no locale (its first use loads ICU number data, ~20 ms of a plan)', () => {
  const { plan, policy, archives } = fixture(1206);
  const original = Object.getOwnPropertyDescriptor(Number.prototype, 'toLocaleString') as PropertyDescriptor;
  const originalFormat = Intl.NumberFormat;
  Number.prototype.toLocaleString = function refused(): never {
    throw new Error('toLocaleString was asked');
  };
  Intl.NumberFormat = function refused(): never {
    throw new Error('Intl.NumberFormat was asked');
  } as unknown as typeof Intl.NumberFormat;
  let text: string;
  try {
    text = renderPlan({ plan, policy, archives });
  } finally {
    Object.defineProperty(Number.prototype, 'toLocaleString', original);
    Intl.NumberFormat = originalFormat;
  }
  assert.match(text, / {2}- … 1,200 more to delete, same reason/);
});
