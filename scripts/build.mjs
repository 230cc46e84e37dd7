// Build: compile TypeScript to dist/, then precompile the policy validator
// (ajv standalone code) so `snapctl` never compiles the schema at start-up.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
if (!existsSync(tsc)) {
  console.error('build: TypeScript is not installed; run `npm ci` first.');
  process.exit(1);
}
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.json')], { stdio: 'inherit', cwd: root });
const validatorBuilder = join(root, 'scripts', 'build-validator.mjs');
if (existsSync(validatorBuilder)) {
  execFileSync(process.execPath, [validatorBuilder], { stdio: 'inherit', cwd: root });
}
