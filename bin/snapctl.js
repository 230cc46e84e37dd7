#!/usr/bin/env node
// Runs the single-file build that `npm run build` (and `npm ci`, `npm test`)
// writes from dist/src: see scripts/build.mjs.
import '../build/snapctl.mjs';
