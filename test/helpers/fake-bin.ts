// Tiny fake executables on PATH that replay captured outputs and record
// their argv (the execa way: the code under test runs real processes, only
// the tools behind them are stand-ins).
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface FakeReply {
  readonly stdout?: string;
  readonly stderr?: string;
  readonly exitCode?: number;
  /** Only for calls whose argv (joined by spaces) matches this regular expression. */
  readonly match?: string;
  /** How many calls this reply answers; unlimited when absent. */
  readonly times?: number;
}

export interface Call {
  readonly cmd: string;
  readonly argv: readonly string[];
}

export interface FakeBin {
  readonly dir: string;
  /** Every call so far, in order. */
  calls(): Call[];
  /** The argv of every call of one command. */
  argvOf(cmd: string): string[][];
  /** Puts only the fake directory on PATH until restore(). */
  install(): void;
  restore(): void;
  cleanup(): Promise<void>;
}

const FIXTURES = fileURLToPath(new URL('../../../fixtures/lvm/', import.meta.url));

/** A captured LVM output from fixtures/lvm/. */
export function fixture(name: string): string {
  return readFileSync(join(FIXTURES, name), 'utf8');
}

/** A captured command as a reply: NAME.stdout / NAME.stderr / NAME.rc. */
export function capturedReply(name: string, extra: Omit<FakeReply, 'stdout' | 'stderr' | 'exitCode'> = {}): FakeReply {
  const read = (ext: string): string | undefined => (existsSync(join(FIXTURES, `${name}.${ext}`)) ? fixture(`${name}.${ext}`) : undefined);
  const stdout = read('stdout');
  const stderr = read('stderr');
  return { ...extra, ...(stdout !== undefined ? { stdout } : {}), ...(stderr !== undefined ? { stderr } : {}), exitCode: Number(read('rc') ?? '0') };
}

// The script each fake runs: pick the first reply with uses left whose
// `match` fits, record the call, replay the reply.
const SCRIPT = `
const fs = require('node:fs');
const path = require('node:path');
const dir = __DIR__;
const cmd = __CMD__;
const argv = process.argv.slice(2);
fs.appendFileSync(path.join(dir, 'calls.jsonl'), JSON.stringify({ cmd, argv }) + '\\n');
const file = path.join(dir, cmd + '.replies.json');
const replies = JSON.parse(fs.readFileSync(file, 'utf8'));
const line = argv.join(' ');
const reply = replies.find((r) => (r.times === undefined || r.times > 0) && (r.match === undefined || new RegExp(r.match).test(line)));
if (!reply) { process.stderr.write('fake ' + cmd + ': no reply for: ' + line + '\\n'); process.exit(127); }
if (reply.times !== undefined) { reply.times -= 1; fs.writeFileSync(file, JSON.stringify(replies)); }
if (reply.stdout) process.stdout.write(reply.stdout);
if (reply.stderr) process.stderr.write(reply.stderr);
process.exitCode = reply.exitCode ?? 0;
`;

export function fakeBin(commands: Readonly<Record<string, FakeReply | readonly FakeReply[]>>): FakeBin {
  const dir = mkdtempSync(join(tmpdir(), 'snapctl-fakebin-'));
  writeFileSync(join(dir, 'calls.jsonl'), '');
  for (const [cmd, spec] of Object.entries(commands)) {
    const replies = Array.isArray(spec) ? spec : [spec];
    writeFileSync(join(dir, `${cmd}.replies.json`), JSON.stringify(replies));
    const script = `#!${process.execPath}\n${SCRIPT.replace('__DIR__', JSON.stringify(dir)).replace('__CMD__', JSON.stringify(cmd))}`;
    writeFileSync(join(dir, cmd), script);
    chmodSync(join(dir, cmd), 0o755);
  }
  let savedPath: string | undefined;
  const calls = (): Call[] =>
    readFileSync(join(dir, 'calls.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Call);
  return {
    dir,
    calls,
    argvOf: (cmd) => calls().filter((c) => c.cmd === cmd).map((c) => [...c.argv]),
    install() {
      savedPath = process.env['PATH'];
      process.env['PATH'] = dir;
    },
    restore() {
      if (savedPath !== undefined) process.env['PATH'] = savedPath;
    },
    async cleanup() {
      this.restore();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
