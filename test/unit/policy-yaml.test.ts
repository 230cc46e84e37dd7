import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseYamlDocument } from '../../src/policy/yaml-document.js';
import type { YamlDocument } from '../../src/policy/yaml-document.js';

function parse(text: string): YamlDocument {
  const result = parseYamlDocument(text, 't.yaml');
  assert.ok(result.ok, 'parses');
  return result.doc;
}

const TEXT = `# comment
version: 1
hosts:
  db01:
    volumes:
      data:
        lvm: vg0/lv_data
        exclude:
          - "*.tmp"

          - cache/
        hooks: { preSnapshot: [[a, b], [c]] }
  "web*": {volumes: {x: {path: /x}}}
`;

test('key paths map to the line and column where the key starts', () => {
  const doc = parse(TEXT);
  assert.deepEqual(doc.positionOf(['version']), { line: 2, column: 1 });
  assert.deepEqual(doc.positionOf(['hosts', 'db01', 'volumes', 'data', 'lvm']), { line: 7, column: 9 });
  assert.deepEqual(doc.positionOf(['hosts', 'web*', 'volumes', 'x', 'path']), { line: 13, column: 26 });
});

test('sequence items map to where the item starts, in block and flow style', () => {
  const doc = parse(TEXT);
  assert.deepEqual(doc.positionOf(['hosts', 'db01', 'volumes', 'data', 'exclude', 1]), { line: 11, column: 13 });
  assert.deepEqual(doc.positionOf(['hosts', 'db01', 'volumes', 'data', 'hooks', 'preSnapshot', 1, 0]), { line: 12, column: 41 });
});

test('a path that does not exist maps to its deepest existing prefix', () => {
  const doc = parse(TEXT);
  assert.deepEqual(doc.positionOf(['hosts', 'db01', 'volumes', 'data', 'retention', 'keepDaily']), { line: 6, column: 7 });
  assert.deepEqual(doc.positionOf([]), { line: 1, column: 1 });
});

test('keys brought in by a merge key point at the merge key', () => {
  const doc = parse('base: &b\n  keep: 1\nvol:\n  <<: *b\n  own: 2\n');
  assert.deepEqual(doc.positionOf(['vol', 'keep']), { line: 4, column: 3 });
  assert.deepEqual(doc.positionOf(['vol', 'own']), { line: 5, column: 3 });
});

test('syntax errors carry the mark and the key path being read', () => {
  const result = parseYamlDocument('a:\n  b:\n    - x\n    - y: [1, 2\n', 't.yaml');
  assert.ok(!result.ok);
  assert.deepEqual(result.problem.path, ['a', 'b', 1, 'y']);
  assert.equal(result.problem.position?.line, 5);
  assert.match(result.problem.summary, /^YAML syntax error: /);
});

test('a duplicate key names the key and the line of its first definition', () => {
  const result = parseYamlDocument('hosts:\n  a: 1\n  b: 2\n  a: 3\n', 't.yaml');
  assert.ok(!result.ok);
  assert.deepEqual(result.problem.path, ['hosts', 'a']);
  assert.deepEqual(result.problem.position, { line: 4, column: 3 });
  assert.equal(result.problem.summary, 'duplicate key "a" (first defined on line 2)');
});

test('a second YAML document is refused with the line it starts on', () => {
  const cases: [string, number][] = [
    ['version: 1\n---\nversion: 1\n', 2],
    ['# head\n---\nversion: 1\n---\nhosts: {}\n', 4],
    ['version: 1\n...\n# tail\nhosts: {}\n', 4],
    ['version: 1\r\n--- \r\n', 2],
  ];
  for (const [text, line] of cases) {
    const result = parseYamlDocument(text, 't.yaml');
    assert.ok(!result.ok, JSON.stringify(text));
    assert.equal(result.problem.summary, `the file holds more than one YAML document (the second starts on line ${line})`);
    assert.deepEqual(result.problem.position, { line, column: 1 });
  }
  assert.ok(parseYamlDocument('---\nversion: 1\n...\n', 't.yaml').ok);
});

test('aliases within the node budget are accepted; a self-referencing alias is refused', () => {
  assert.ok(parseYamlDocument('a: &x [1, 2]\nb: *x\nc: *x\n', 't.yaml').ok);
  const cycle = parseYamlDocument('a: &x\n  b: *x\n', 't.yaml');
  assert.ok(!cycle.ok);
  assert.match(cycle.problem.summary, /cycle/);
});
