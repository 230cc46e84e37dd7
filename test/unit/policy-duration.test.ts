import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DURATION_PATTERN, parseDuration } from '../../src/policy/duration.js';

const H = 3_600_000;
const schema = JSON.parse(readFileSync(fileURLToPath(new URL('../../../schema/policy.schema.json', import.meta.url)), 'utf8')) as {
  definitions: { duration: { pattern: string } };
};

const CASES: [string, number | undefined][] = [
  ['3d', 72 * H],
  ['2d12h', 60 * H],
  ['1w', 168 * H],
  ['1w2d3h4m', (168 + 48 + 3) * H + 4 * 60_000],
  ['90m', 1.5 * H],
  ['6h', 6 * H],
  ['0d', 0],
  ['', undefined],
  ['3', undefined],
  ['d', undefined],
  ['12h2d', undefined],
  ['3d3d', undefined],
  ['3 d', undefined],
  ['-1d', undefined],
  ['1.5d', undefined],
  ['3D', undefined],
  ['10s', 10_000],
  ['1m30s', 90_000],
  ['30s1m', undefined],
  ['10S', undefined],
];

test('durations parse to milliseconds; anything off the grammar is undefined', () => {
  for (const [text, ms] of CASES) assert.equal(parseDuration(text), ms, text);
});

test('the schema accepts exactly the durations the parser accepts', () => {
  const schemaPattern = new RegExp(schema.definitions.duration.pattern, 'u');
  for (const [text] of CASES) assert.equal(schemaPattern.test(text), DURATION_PATTERN.test(text), text);
});
