// Every command's --help is a man page that documents every flag its parseArgs
// accepts: the flags are read from the OPTIONS table each command module
// exports (and passes to parseArgs), so adding one without documenting it
// fails here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { OPTIONS as SCHEDULE_OPTIONS } from '../../src/cli/commands/schedule.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function snapctl(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['bin/snapctl.js', ...args], { cwd: ROOT, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function parse(path: string): ts.SourceFile {
  return ts.createSourceFile(path, readFileSync(join(ROOT, path), 'utf8'), ts.ScriptTarget.ES2022, true);
}

function visit(node: ts.Node, fn: (n: ts.Node) => void): void {
  fn(node);
  node.forEachChild((child) => visit(child, fn));
}

function unwrap(e: ts.Expression): ts.Expression {
  while (ts.isAsExpression(e) || ts.isSatisfiesExpression(e) || ts.isParenthesizedExpression(e)) e = e.expression;
  return e;
}

function keyName(name: ts.PropertyName): string | undefined {
  return ts.isIdentifier(name) || ts.isStringLiteral(name) ? name.text : undefined;
}

/** Command name → module path, from the COMMANDS registry in main.ts (`plan: () => import('./commands/plan.js')`). */
function registeredCommands(): Map<string, string> {
  const out = new Map<string, string>();
  visit(parse('src/cli/main.ts'), (n) => {
    if (!ts.isVariableDeclaration(n) || !ts.isIdentifier(n.name) || n.name.text !== 'COMMANDS' || !n.initializer) return;
    const registry = unwrap(n.initializer);
    if (!ts.isObjectLiteralExpression(registry)) return;
    for (const p of registry.properties) {
      if (!ts.isPropertyAssignment(p)) continue;
      const name = keyName(p.name);
      const spec = /import\('\.\/(commands\/[\w-]+)\.js'\)/.exec(p.initializer.getText());
      if (name !== undefined && spec?.[1] !== undefined) out.set(name, `src/cli/${spec[1]}.ts`);
    }
  });
  return out;
}

/** Every `--long` and `-s` flag in a command module's exported OPTIONS, the table its parseArgs reads. */
async function acceptedFlags(path: string): Promise<string[]> {
  const url = new URL(`../../${path.replace(/\.ts$/, '.js')}`, import.meta.url);
  const { OPTIONS } = (await import(url.href)) as { OPTIONS?: Record<string, { short?: string }> };
  assert.ok(OPTIONS, `${path} does not export its parseArgs OPTIONS`);
  // …and that table is the one it reads its arguments with.
  const source = readFileSync(join(ROOT, path), 'utf8');
  const calls = source.match(/\b(?:parseArgs\(\{[^}]*?\boptions: |parseCommandLine\(argv, )[^,\s)]+/g) ?? [];
  assert.ok(calls.length > 0, `${path}: no parseCommandLine(argv, OPTIONS, …) call found`);
  for (const call of calls) assert.match(call, /[ (]OPTIONS$/, `${path}: ${call}`);
  return Object.entries(OPTIONS).flatMap(([name, o]) => [`--${name}`, ...(o.short !== undefined ? [`-${o.short}`] : [])]);
}

const commands = registeredCommands();

test('the command registry lists the commands this test checks', () => {
  for (const name of ['plan', 'apply', 'validate', 'init', 'schedule']) assert.ok(commands.has(name), name);
});

test('the flag reader finds every flag of a command, long and short', async () => {
  const apply = await acceptedFlags('src/cli/commands/apply.ts');
  for (const flag of ['--policy', '--host', '--backup-dir', '--lock-wait', '--state-dir', '--verbose', '-v', '--no-color', '--help', '-h']) assert.ok(apply.includes(flag), flag);
  const expected = Object.entries(SCHEDULE_OPTIONS).flatMap(([name, o]) => ['--' + name, ...('short' in o ? ['-' + o.short] : [])]);
  assert.deepEqual((await acceptedFlags('src/cli/commands/schedule.ts')).sort(), expected.sort());
});

for (const [name, path] of commands) {
  test(`snapctl ${name} --help is a man page naming every flag ${name} accepts, and exits 0`, async () => {
    const r = snapctl(name, '--help');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    for (const section of ['NAME', 'SYNOPSIS', 'DESCRIPTION', 'OPTIONS', 'EXIT STATUS']) assert.match(r.stdout, new RegExp(`^${section}$`, 'm'), `section ${section}`);
    assert.match(r.stdout, new RegExp(`^    snapctl ${name} - `, 'm'), 'NAME line');
    const flags = await acceptedFlags(path);
    assert.ok(flags.includes('--help'), `${path}: no --help option found by the reader`);
    // --no-color is global: every command accepts it and `snapctl --help` documents it once.
    assert.ok(flags.includes('--no-color'), `${path}: every command accepts the global --no-color`);
    for (const flag of flags.filter((f) => f !== '--no-color')) {
      assert.match(r.stdout, new RegExp(`(^|[\\s,\\[|])${flag.replace(/-/g, '\\-')}(?![\\w-])`, 'm'), `${flag} is accepted by ${path} but not in its --help`);
    }
    // Every line fits a terminal.
    for (const line of r.stdout.split('\n')) assert.ok(line.length <= 100, `line too long: ${line}`);
  });
}

test('snapctl --help lists every command with a one-line summary and the exit code table, and exits 0', () => {
  const r = snapctl('--help');
  assert.equal(r.status, 0);
  for (const section of ['NAME', 'SYNOPSIS', 'COMMANDS', 'OPTIONS', 'EXIT STATUS']) assert.match(r.stdout, new RegExp(`^${section}$`, 'm'), section);
  for (const name of commands.keys()) assert.match(r.stdout, new RegExp(`^    ${name} +\\S.*$`, 'm'), `${name} has no summary line`);
  assert.match(r.stdout, /^ {4}--no-color +\S/m, 'the global --no-color');
  for (const code of ['0', '1', '2', '3', '4', '70', '130', '143']) assert.match(r.stdout, new RegExp(`^    ${code} +\\S`, 'm'), `exit code ${code}`);
  assert.equal(snapctl('-h').stdout, r.stdout);
});

test('snapctl with no command prints the usage and exits 1; an unknown command names itself', () => {
  const none = snapctl();
  assert.equal(none.status, 1);
  assert.match(none.stdout, /^COMMANDS$/m);
  const unknown = snapctl('bakcup');
  assert.equal(unknown.status, 1);
  assert.match(unknown.stderr, /^error: unknown command "bakcup"/);
});

test('every command refuses an empty option value or argument, naming it, before it reads or writes anything', async () => {
  for (const [name, path] of commands) {
    const url = new URL(`../../${path.replace(/\.ts$/, '.js')}`, import.meta.url);
    const { OPTIONS } = (await import(url.href)) as { OPTIONS: Record<string, { type: string }> };
    const strings = Object.entries(OPTIONS).filter(([, o]) => o.type === 'string').map(([flag]) => flag);
    for (const flag of strings) {
      const r = snapctl(name, `--${flag}`, '');
      // status speaks Nagios: an error there is UNKNOWN (3), on stdout's first line as well.
      assert.equal(r.status, name === 'status' ? 3 : 1, `${name} --${flag} '': ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`^error: --${flag} was given an empty value\\n`), `${name} --${flag} ''`);
    }
  }
  const r = snapctl('apply', '');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^error: an empty argument was given\n/);
});
