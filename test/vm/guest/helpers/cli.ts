// The snapctl CLI the scenarios run: this checkout's dist/src, bundled into
// one file in the guest's tmpfs once per VM boot. Why: under emulation every
// file node loads through the 9p share costs milliseconds, and `bin/snapctl.js`
// loads hundreds (dist/src and node_modules), which made each plan 6-10 s and
// each apply 11-14 s, against 1.7 s and 7.5 s for the bundle. The bundle is the
// same code built the way `npm run bundle` builds build/snapctl.mjs (the
// single-file release); the smoke test still runs bin/snapctl.js itself.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { buildSync } from 'esbuild';
import { CHECKOUT } from '../vm-guest.js';

const BUNDLE = '/tmp/snapctl-vm-cli/snapctl.mjs';

/** `[node, script]` of the CLI; builds the bundle on first use in this boot. */
export function snapctlCommand(): readonly [string, string] {
  if (!existsSync(BUNDLE)) {
    mkdirSync(dirname(BUNDLE), { recursive: true });
    buildSync({
      entryPoints: [`${CHECKOUT}/dist/src/cli/main.js`],
      outfile: BUNDLE,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'esm',
      logLevel: 'warning',
      // Bundled CommonJS dependencies call require(), as in scripts/bundle.mjs.
      banner: { js: "import { createRequire as __snapctlCreateRequire } from 'node:module';\nconst require = __snapctlCreateRequire(import.meta.url);" },
    });
  }
  return [process.execPath, BUNDLE];
}
