// Realistic text for the data set: source files, prose and service logs built
// from real words and identifiers with skewed frequencies and per-file local
// vocabularies, so compressors see the redundancy of real text (not repeated bytes).
import type { Rng } from './prng.js';

const WORDS = (
  'the of and to a in is it that for was on are as with be by this at from or have an they which one you were all ' +
  'we her she there been if more when will would who so no out up into do than only some could them other then its ' +
  'about over time after new also what can first may two like these any my now such our most made well back through ' +
  'where much before must good right still own way even because those same while file data value error user server ' +
  'request response buffer stream process thread config option result state update check create delete read write ' +
  'open close start stop retry timeout connection session cache index table query record field header body message ' +
  'event handler callback promise module package version build test debug release backup snapshot volume archive ' +
  'disk block size count limit offset length path name host port address network client service worker queue task ' +
  'job schedule policy rule level mode flag default empty invalid missing failed success warning notice change ' +
  'local remote source target input output format parse encode decode hash key token secret account group owner'
).split(' ');

const C_TYPES = ['int', 'size_t', 'char *', 'const char *', 'struct buffer *', 'uint32_t', 'bool', 'void', 'ssize_t', 'double'];
const OPS = ['==', '!=', '<', '>', '<=', '>=', '&&', '||'];
const LEVELS = ['INFO', 'INFO', 'INFO', 'INFO', 'DEBUG', 'DEBUG', 'WARN', 'ERROR', 'NOTICE'];
const SERVICES = ['nginx', 'postgres', 'sshd', 'cron', 'kernel', 'systemd', 'backupd', 'api-gateway', 'worker', 'redis'];
const METHODS = ['GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE', 'HEAD'];

/** A word with English-like frequencies. */
export function word(rng: Rng): string {
  return WORDS[rng.skewed(WORDS.length)]!;
}

function sentence(rng: Rng, min: number, max: number): string {
  const n = rng.range(min, max);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(word(rng));
  const s = parts.join(' ');
  return s.charAt(0).toUpperCase() + s.slice(1) + '.';
}

/** A file-local pool of identifiers: real code reuses a few dozen names many times. */
function identifiers(rng: Rng, n: number, style: 'camel' | 'snake'): string[] {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const parts = [word(rng), word(rng)];
    if (rng.float() < 0.3) parts.push(word(rng));
    ids.push(style === 'camel' ? parts.map((p, j) => (j === 0 ? p : p.charAt(0).toUpperCase() + p.slice(1))).join('') : parts.join('_'));
  }
  return ids;
}

function number(rng: Rng): string {
  const r = rng.float();
  if (r < 0.5) return String(rng.int(10));
  if (r < 0.8) return String(rng.int(1000));
  return `0x${rng.u32().toString(16)}`;
}

function tsLine(rng: Rng, ids: readonly string[], indent: string): string {
  const id = (): string => ids[rng.skewed(ids.length)]!;
  switch (rng.int(9)) {
    case 0:
      return `${indent}const ${id()} = ${id()}.${id()}(${id()}, ${number(rng)});`;
    case 1:
      return `${indent}if (${id()} ${rng.pick(OPS)} ${number(rng)}) return ${id()};`;
    case 2:
      return `${indent}// ${sentence(rng, 4, 14)}`;
    case 3:
      return `${indent}${id()}.${id()} = await ${id()}(${id()});`;
    case 4:
      return `${indent}for (const ${id()} of ${id()}) ${id()}.push(${id()});`;
    case 5:
      return `${indent}throw new Error(\`${sentence(rng, 3, 8)} \${${id()}}\`);`;
    case 6:
      return `${indent}let ${id()}: ${rng.pick(['string', 'number', 'boolean', 'Buffer', 'readonly string[]'])} = ${id()} ?? ${number(rng)};`;
    case 7:
      return `${indent}${id()} += ${id()}.length;`;
    default:
      return `${indent}return { ${id()}, ${id()}: ${id()}(${number(rng)}) };`;
  }
}

function cLine(rng: Rng, ids: readonly string[], indent: string): string {
  const id = (): string => ids[rng.skewed(ids.length)]!;
  switch (rng.int(8)) {
    case 0:
      return `${indent}${rng.pick(C_TYPES)} ${id()} = ${id()}(${id()}, ${number(rng)});`;
    case 1:
      return `${indent}if (${id()} ${rng.pick(OPS)} ${number(rng)})\n${indent}\treturn -${rng.pick(['EINVAL', 'ENOMEM', 'EIO', 'ENOENT'])};`;
    case 2:
      return `${indent}/* ${sentence(rng, 5, 16)} */`;
    case 3:
      return `${indent}${id()}->${id()} = ${id()};`;
    case 4:
      return `${indent}for (i = 0; i < ${id()}; i++)\n${indent}\t${id()}[i] = ${id()}(${id()}[i]);`;
    case 5:
      return `${indent}pr_${rng.pick(['info', 'debug', 'err', 'warn'])}("${sentence(rng, 3, 8)} %d\\n", ${id()});`;
    case 6:
      return `${indent}memcpy(${id()}, ${id()}, sizeof(*${id()}));`;
    default:
      return `${indent}${id()} = ${id()} ${rng.pick(['+', '-', '|', '&', '<<'])} ${number(rng)};`;
  }
}

function pyLine(rng: Rng, ids: readonly string[], indent: string): string {
  const id = (): string => ids[rng.skewed(ids.length)]!;
  switch (rng.int(7)) {
    case 0:
      return `${indent}${id()} = ${id()}.${id()}(${id()}, ${number(rng)})`;
    case 1:
      return `${indent}if ${id()} ${rng.pick(['==', '!=', '<', '>', 'is', 'in'])} ${id()}:\n${indent}    return ${id()}`;
    case 2:
      return `${indent}# ${sentence(rng, 4, 14)}`;
    case 3:
      return `${indent}for ${id()} in ${id()}:\n${indent}    ${id()}.append(${id()})`;
    case 4:
      return `${indent}raise ${rng.pick(['ValueError', 'RuntimeError', 'KeyError', 'OSError'])}("${sentence(rng, 3, 8)}")`;
    case 5:
      return `${indent}self.${id()} = ${id()}`;
    default:
      return `${indent}log.${rng.pick(['info', 'debug', 'warning'])}("%s: ${sentence(rng, 2, 6)}", ${id()})`;
  }
}

export type TextKind = 'ts' | 'c' | 'py' | 'md' | 'conf';

/** A source-like file of about `bytes` bytes in the given language. */
export function textFile(rng: Rng, kind: TextKind, bytes: number): string {
  const out: string[] = [];
  let size = 0;
  const push = (line: string): void => {
    out.push(line);
    size += line.length + 1;
  };
  const ids = identifiers(rng, rng.range(12, 60), kind === 'c' || kind === 'py' ? 'snake' : 'camel');
  const id = (): string => ids[rng.skewed(ids.length)]!;
  switch (kind) {
    case 'ts':
      push(`// ${sentence(rng, 6, 14)}`);
      for (let i = rng.range(1, 6); i > 0; i--) push(`import { ${id()}, ${id()} } from './${id()}.js';`);
      break;
    case 'c':
      push(`/* SPDX-License-Identifier: GPL-2.0 */\n/* ${sentence(rng, 6, 14)} */`);
      for (let i = rng.range(2, 8); i > 0; i--) push(`#include <${rng.pick(['linux', 'sys', 'net'])}/${id()}.h>`);
      break;
    case 'py':
      push(`"""${sentence(rng, 6, 14)}"""`);
      for (let i = rng.range(1, 6); i > 0; i--) push(`from ${id()} import ${id()}, ${id()}`);
      break;
    case 'md':
      push(`# ${sentence(rng, 2, 6)}`);
      break;
    case 'conf':
      push(`# ${sentence(rng, 4, 10)}`);
      break;
  }
  while (size < bytes) {
    push('');
    if (kind === 'md') {
      if (rng.float() < 0.2) push(`## ${sentence(rng, 2, 5)}`);
      const lines = rng.range(2, 6);
      for (let i = 0; i < lines; i++) push(sentence(rng, 8, 20) + ' ' + sentence(rng, 5, 15));
      continue;
    }
    if (kind === 'conf') {
      push(`[${id()}]`);
      for (let i = rng.range(2, 10); i > 0; i--) push(`${id()} = ${rng.float() < 0.5 ? number(rng) : `"${word(rng)}/${id()}"`}`);
      continue;
    }
    const name = id();
    const body = rng.range(3, 20);
    if (kind === 'ts') {
      push(`export ${rng.float() < 0.4 ? 'async ' : ''}function ${name}(${id()}: ${rng.pick(['string', 'number', 'Options'])}, ${id()}: ${rng.pick(['Buffer', 'Context', 'number'])}) {`);
      for (let i = 0; i < body; i++) push(tsLine(rng, ids, '  '));
      push('}');
    } else if (kind === 'c') {
      push(`static ${rng.pick(C_TYPES)} ${name}(${rng.pick(C_TYPES)} ${id()}, ${rng.pick(C_TYPES)} ${id()})\n{`);
      for (let i = 0; i < body; i++) push(cLine(rng, ids, '\t'));
      push('}');
    } else {
      push(`def ${name}(self, ${id()}, ${id()}=${number(rng)}):`);
      push(`    """${sentence(rng, 4, 12)}"""`);
      for (let i = 0; i < body; i++) push(pyLine(rng, ids, '    '));
    }
  }
  return out.join('\n') + '\n';
}

/** A service log being written over time: each call continues the same stream. */
export class LogWriter {
  private ms: number;
  private readonly hosts: string[];
  private readonly users: string[];
  private readonly paths: string[];

  constructor(
    private readonly rng: Rng,
    startMs: number,
  ) {
    this.ms = startMs;
    this.hosts = Array.from({ length: 12 }, (_, i) => `${rng.pick(['web', 'db', 'app', 'cache'])}${String(i + 1).padStart(2, '0')}`);
    this.users = identifiers(rng, 40, 'snake');
    this.paths = Array.from({ length: 200 }, () => `/${word(rng)}/${word(rng)}${rng.float() < 0.5 ? `/${rng.int(10000)}` : ''}`);
  }

  /** About `bytes` bytes of log lines. */
  chunk(bytes: number): string {
    const rng = this.rng;
    const out: string[] = [];
    let size = 0;
    while (size < bytes) {
      this.ms += rng.skewed(4000) + 1;
      const ts = new Date(this.ms).toISOString();
      const host = this.hosts[rng.skewed(this.hosts.length)]!;
      let line: string;
      if (rng.float() < 0.45) {
        const ip = `10.${rng.int(4)}.${rng.int(256)}.${rng.int(256)}`;
        const status = rng.float() < 0.9 ? 200 : rng.pick([301, 304, 400, 403, 404, 500, 502]);
        line = `${ts} ${host} nginx[${1000 + rng.int(50)}]: ${ip} - ${this.users[rng.skewed(this.users.length)]} "${rng.pick(METHODS)} ${this.paths[rng.skewed(this.paths.length)]} HTTP/1.1" ${status} ${rng.int(60000)} ${(rng.float() * 0.5).toFixed(3)}`;
      } else {
        const svc = SERVICES[rng.skewed(SERVICES.length)]!;
        line = `${ts} ${host} ${svc}[${2000 + rng.int(300)}]: ${rng.pick(LEVELS)} ${sentence(rng, 3, 12)} ${word(rng)}=${number(rng)} ${word(rng)}_id=${rng.u32().toString(16)}`;
      }
      out.push(line);
      size += line.length + 1;
    }
    return out.join('\n') + '\n';
  }
}
