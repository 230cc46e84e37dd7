import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SnapctlError, formatError } from '../../src/core/errors.js';

test('formats a policy error as file:line:column: key: summary', () => {
  const err = new SnapctlError('input', 'unknown key "retension"', 'expected one of: retention', { file: 'p.yaml', line: 3, column: 5 }, 'hosts.db01.volumes.data');
  assert.equal(formatError(err), 'error: p.yaml:3:5: hosts.db01.volumes.data: unknown key "retension"\n  expected one of: retention');
});
