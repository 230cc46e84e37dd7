// Runs node's test runner on every *.test.js under the given dist folders (or the given files).
// (Node 20's directory mode would also run helper modules under test/.)
import { readdirSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const dirs = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const flags = process.argv.slice(2).filter((a) => a.startsWith('-'));
const files = [];
const walk = (dir) => {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path);
    else if (entry.name.endsWith('.test.js')) files.push(path);
  }
};
for (const dir of dirs) {
  if (!existsSync(dir)) continue;
  if (statSync(dir).isDirectory()) walk(dir);
  else files.push(dir);
}
if (files.length === 0) {
  console.error(`run-tests: no *.test.js files under ${dirs.join(', ')}`);
  process.exit(1);
}
files.sort();
const result = spawnSync(process.execPath, ['--test', ...flags, ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
