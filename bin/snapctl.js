#!/usr/bin/env node
// Runs the single-file build that `npm run build` (and `npm ci`, `npm test`)
// writes from dist/src: see scripts/build.mjs. CommonJS, like the build
// (bin/package.json says so): node starts it faster than an ES module.
require('../build/snapctl.cjs');
