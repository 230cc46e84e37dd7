// Build: compile TypeScript to dist/, precompile the policy validator (ajv
// standalone code) so `snapctl` never compiles the schema at start-up, then
// bundle dist/src into build/snapctl.cjs: one JavaScript file with every
// dependency inside. bin/snapctl.js runs that file, and it is what a server
// without npm installs (it needs only node >= 20). One file loads in about
// 15 ms less than the ~50 modules of dist/src and node_modules it replaces
// (apply and plan, medians of 40-60 alternating runs). It is CommonJS, and
// so is bin/snapctl.js (bin/package.json): node 20 started the same bundle
// 7-22 ms later as an ES module (`--version` 71 against 49 ms, `plan` over
// 100 archives 112 against 102 ms, medians of 31 alternating runs), and
// nothing in snapctl needs ES module semantics at run time.
// execa, which only hooks use, goes into its own file next to it,
// build/snapctl-execa.mjs (execa is an ES module; the bundle's import()
// loads it): inside the main file its ~300 KB were compiled at every start
// (~11 ms of a 0.1 s `plan`) and used by few runs.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
const outfile = join(root, 'build', 'snapctl.cjs');
const EXECA_FILE = 'snapctl-execa.mjs';
// Some CommonJS code bundled into the ES module execa file calls require(); give it one.
const requireShim = `import { createRequire as __snapctlCreateRequire } from 'node:module';\nconst require = __snapctlCreateRequire(import.meta.url);`;
const common = { bundle: true, platform: 'node', target: 'node20', minify: false, legalComments: 'eof', logLevel: 'warning' };
await build({
  ...common,
  format: 'cjs',
  entryPoints: [join(root, 'dist', 'src', 'cli', 'main.js')],
  outfile,
  banner: { js: `#!/usr/bin/env node\n// snapctl ${version}, single-file build` },
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
  format: 'esm',
  entryPoints: [join(root, 'node_modules', 'execa', 'index.js')],
  outfile: join(root, 'build', EXECA_FILE),
  banner: { js: `// execa for snapctl ${version}: loaded by snapctl.cjs when a hook runs\n${requireShim}` },
});
// esbuild escapes non-ASCII characters in strings, but keeps comments as
// they are (a few quote marks from js-yaml's sources). One such character
// makes node read the whole file into a two-byte string: 5-11 ms instead of
// ~2.5 ms at every start. Escaped, they are the same comments in ASCII.
const bundled = readFileSync(outfile, 'utf8');
if (/[^\x00-\x7f]/.test(bundled)) writeFileSync(outfile, bundled.replace(/[^\x00-\x7f]/gu, (c) => `\\u{${c.codePointAt(0).toString(16)}}`));
chmodSync(outfile, 0o755);
// The ES module build of earlier versions: a stale copy must not be what anyone runs.
rmSync(join(root, 'build', 'snapctl.mjs'), { force: true });
