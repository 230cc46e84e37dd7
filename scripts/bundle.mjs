// Builds build/snapctl.mjs: one JavaScript file with every dependency inside,
// runnable by a plain `node` (>= 20) on a server with no node_modules.
import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { stdio: 'inherit', cwd: root });
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const outfile = join(root, 'build', 'snapctl.mjs');
await build({
  entryPoints: [join(root, 'dist', 'src', 'cli', 'main.js')],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  minify: false,
  legalComments: 'eof',
  banner: {
    // Some bundled CommonJS dependencies call require(); give them one.
    js: `#!/usr/bin/env node\n// snapctl ${version}, single-file build\nimport { createRequire as __snapctlCreateRequire } from 'node:module';\nconst require = __snapctlCreateRequire(import.meta.url);`,
  },
  logLevel: 'warning',
});
chmodSync(outfile, 0o755);
console.log(`wrote ${outfile}`);
