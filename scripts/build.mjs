// Build: compile TypeScript to dist/, precompile the policy validator (ajv
// standalone code) so `snapctl` never compiles the schema at start-up, then
// bundle dist/src into build/snapctl.mjs: one JavaScript file with every
// dependency inside. bin/snapctl.js runs that file, and it is what a server
// without npm installs (it needs only node >= 20). One file loads in about
// 15 ms less than the ~50 modules of dist/src and node_modules it replaces
// (apply and plan, medians of 40-60 alternating runs).
// execa, which only hooks use, goes into its own file next to it,
// build/snapctl-execa.mjs: inside the main file its ~300 KB were compiled at
// every start (~11 ms of a 0.1 s `plan`) and used by few runs.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
if (!existsSync(tsc)) {
  console.error('build: TypeScript is not installed; run `npm ci` first.');
  process.exit(1);
}
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.json')], { stdio: 'inherit', cwd: root });
execFileSync(process.execPath, [join(root, 'scripts', 'build-validator.mjs')], { stdio: 'inherit', cwd: root });

const { build } = await import('esbuild');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const outfile = join(root, 'build', 'snapctl.mjs');
const EXECA_FILE = 'snapctl-execa.mjs';
// Some bundled CommonJS dependencies call require(); give them one.
const requireShim = `import { createRequire as __snapctlCreateRequire } from 'node:module';\nconst require = __snapctlCreateRequire(import.meta.url);`;
const common = { bundle: true, platform: 'node', target: 'node20', format: 'esm', minify: false, legalComments: 'eof', logLevel: 'warning' };
await build({
  ...common,
  entryPoints: [join(root, 'dist', 'src', 'cli', 'main.js')],
  outfile,
  banner: { js: `#!/usr/bin/env node\n// snapctl ${version}, single-file build\n${requireShim}` },
  plugins: [
    {
      name: 'execa-beside',
      setup(b) {
        // `import('execa')` (hooks.ts) becomes `import('./snapctl-execa.mjs')`, resolved next to this file.
        b.onResolve({ filter: /^execa$/ }, () => ({ path: `./${EXECA_FILE}`, external: true }));
      },
    },
  ],
});
await build({
  ...common,
  entryPoints: [join(root, 'node_modules', 'execa', 'index.js')],
  outfile: join(root, 'build', EXECA_FILE),
  banner: { js: `// execa for snapctl ${version}: loaded by snapctl.mjs when a hook runs\n${requireShim}` },
});
chmodSync(outfile, 0o755);
