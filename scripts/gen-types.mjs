// Generates src/policy/policy-document.generated.ts from schema/policy.schema.json
// (the schema is the single source of truth). `--stdout` prints instead of writing,
// so the drift test can compare without touching the tree.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compile } from 'json-schema-to-typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const schemaPath = join(root, 'schema', 'policy.schema.json');
const outPath = join(root, 'src', 'policy', 'policy-document.generated.ts');

const schema = JSON.parse(readFileSync(schemaPath, 'utf8'));
const banner = `/* Generated from schema/policy.schema.json by \`npm run gen:types\`. Do not edit:
 * change the schema and regenerate (a unit test fails when this file is stale). */`;
const code = await compile(schema, 'PolicyDocument', {
  bannerComment: banner,
  additionalProperties: false,
  unreachableDefinitions: false,
  strictIndexSignatures: true,
  format: true,
  style: { singleQuote: true, printWidth: 120 },
  cwd: join(root, 'schema'),
});

if (process.argv.includes('--stdout')) process.stdout.write(code);
else writeFileSync(outPath, code);
