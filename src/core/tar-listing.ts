// Reads GNU tar's verbose listing (`tar -tv --quoting-style=c`): one member
// per line, names C-quoted so newlines, quotes and " -> " inside names
// cannot be confused with the line's structure. With --block-number each
// line starts `block N: `, and the listing's last line says whether tar
// reached the archive's end marker.

export type MemberType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';

export interface TarMember {
  readonly type: MemberType;
  /**
   * The name as stored (decoded), e.g. `./a/b`, `snap_backup/x`, `/abs`.
   * Bytes that are not UTF-8 (a Latin-1 name) decode to U+FFFD: see `shown`.
   */
  readonly name: string;
  /** Symlink target or hard-link target name (decoded), else undefined. */
  readonly link?: string;
  /** The name and the link quoted with their bytes, only where a name is not UTF-8 (else quoteName(name) shows it). */
  readonly shown?: { readonly name: string; readonly link?: string };
  /** Bytes of file data (0 for anything but regular files). */
  readonly size: number;
  /** `-rw-r--r--` style mode as tar prints it. */
  readonly mode: string;
  /** `uid/gid` (with --numeric-owner). */
  readonly owner: string;
}

const ENCODER = new TextEncoder();
/** Throws on bytes that are not UTF-8: the rare name that needs its bytes shown (quoteBytes). */
const STRICT = new TextDecoder('utf-8', { fatal: true });
const LENIENT = new TextDecoder();

const TYPES: Readonly<Record<string, MemberType>> = { '-': 'file', d: 'dir', l: 'symlink', h: 'hardlink' };

/** Decodes one C-quoted string starting at `text[at] === '"'`; returns the value and the index after the closing quote. */
function unquote(text: string, at: number): { value: string; shown?: string; end: number } | undefined {
  if (text[at] !== '"') return undefined;
  const bytes: number[] = [];
  const simple: Readonly<Record<string, number>> = { n: 10, t: 9, r: 13, a: 7, b: 8, f: 12, v: 11, '\\': 92, '"': 34, '?': 63, "'": 39 };
  let i = at + 1;
  while (i < text.length) {
    const ch = String.fromCodePoint(text.codePointAt(i)!);
    if (ch === '"') return decoded(new Uint8Array(bytes), i + 1);
    if (ch !== '\\') {
      bytes.push(...ENCODER.encode(ch));
      i += ch.length;
      continue;
    }
    const next = text[i + 1];
    if (next === undefined) return undefined;
    const octal = /^[0-7]{1,3}/.exec(text.slice(i + 1, i + 4));
    if (octal) {
      bytes.push(parseInt(octal[0], 8) & 0xff);
      i += 1 + octal[0].length;
    } else if (simple[next] !== undefined) {
      bytes.push(simple[next]);
      i += 2;
    } else {
      return undefined;
    }
  }
  return undefined;
}

function decoded(bytes: Uint8Array, end: number): { value: string; shown?: string; end: number } {
  try {
    return { value: STRICT.decode(bytes), end };
  } catch {
    return { value: LENIENT.decode(bytes), shown: quoteBytes(bytes), end };
  }
}

const ESCAPES: Readonly<Record<number, string>> = { 7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r', 34: '\\"', 92: '\\\\' };

function octal(byte: number): string {
  return `\\${byte.toString(8).padStart(3, '0')}`;
}

/** One UTF-8 encoded character (its bytes) quoted: control characters (C0, DEL, C1) as escapes, the rest as it is. */
function quoteChar(ch: string): string {
  const code = ch.codePointAt(0) ?? 0;
  if (code < 0x20 || code === 0x7f || (code >= 0x80 && code < 0xa0)) return ESCAPES[code] ?? [...ENCODER.encode(ch)].map(octal).join('');
  return ESCAPES[code] ?? ch;
}

/**
 * A name for people to read, C-quoted as GNU tar quotes it (`"a\nb"`,
 * `"\"x\""`), but with UTF-8 characters shown as themselves. Control
 * characters are escaped, so a name cannot move the cursor or recolour a
 * terminal.
 */
export function quoteName(name: string): string {
  let out = '"';
  for (const ch of name) out += quoteChar(ch);
  return `${out}"`;
}

/** Like quoteName, from the bytes of a name that is not all UTF-8: each byte of no UTF-8 character as an octal escape (`\351`), as tar shows it. */
function quoteBytes(bytes: Uint8Array): string {
  let out = '"';
  for (let i = 0; i < bytes.length; ) {
    const length = utf8Length(bytes, i);
    if (length === 0) {
      out += octal(bytes[i] as number);
      i++;
      continue;
    }
    out += quoteChar(LENIENT.decode(bytes.subarray(i, i + length)));
    i += length;
  }
  return `${out}"`;
}

/** The length of the well-formed UTF-8 character at bytes[i] (RFC 3629: no overlong forms, surrogates or code points past U+10FFFF), or 0. */
function utf8Length(bytes: Uint8Array, i: number): number {
  const b0 = bytes[i] as number;
  if (b0 < 0x80) return 1;
  const within = (k: number, lo: number, hi: number): boolean => {
    const b = bytes[i + k];
    return b !== undefined && b >= lo && b <= hi;
  };
  if (b0 >= 0xc2 && b0 <= 0xdf) return within(1, 0x80, 0xbf) ? 2 : 0;
  if (b0 >= 0xe0 && b0 <= 0xef) {
    const [lo, hi] = b0 === 0xe0 ? [0xa0, 0xbf] : b0 === 0xed ? [0x80, 0x9f] : [0x80, 0xbf];
    return within(1, lo, hi) && within(2, 0x80, 0xbf) ? 3 : 0;
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    const [lo, hi] = b0 === 0xf0 ? [0x90, 0xbf] : b0 === 0xf4 ? [0x80, 0x8f] : [0x80, 0xbf];
    return within(1, lo, hi) && within(2, 0x80, 0xbf) && within(3, 0x80, 0xbf) ? 4 : 0;
  }
  return 0;
}

/**
 * One line of `tar -tv --numeric-owner --quoting-style=c` (after any
 * `block N: `, see splitBlockNumber) as a member, or
 * undefined for a line that is not a member line. Mode, owner, size and date
 * never contain a quote, so the name starts at the first `"`.
 */
export function parseListingLine(line: string): TarMember | undefined {
  const quote = line.indexOf('"');
  if (quote < 0) return undefined;
  const fields = line.slice(0, quote).trim().split(/\s+/);
  const [mode, owner, size] = fields;
  if (mode === undefined || owner === undefined || size === undefined) return undefined;
  const name = unquote(line, quote);
  if (name === undefined) return undefined;
  const type = TYPES[mode[0] ?? ''] ?? 'other';
  const rest = line.slice(name.end);
  const arrow = rest.startsWith(' -> ') ? 4 : rest.startsWith(' link to ') ? 9 : 0;
  const link = arrow > 0 ? unquote(rest, arrow) : undefined;
  const bytes = type === 'file' && /^\d+$/.test(size) ? Number(size) : 0;
  const shown = name.shown !== undefined || link?.shown !== undefined ? { shown: { name: name.shown ?? quoteName(name.value), ...(link ? { link: link.shown ?? quoteName(link.value) } : {}) } } : {};
  return { type, name: name.value, ...(link ? { link: link.value } : {}), size: bytes, mode, owner, ...shown };
}

/** A line of `tar -t --block-number`: the number of the block it is about and what follows `block N: `. */
export interface BlockLine {
  readonly block: number;
  readonly rest: string;
}

/** Splits `block N: …` (every line tar -t prints with --block-number); undefined for a line without that prefix. */
export function splitBlockNumber(line: string): BlockLine | undefined {
  const prefix = /^block (\d+): /.exec(line);
  return prefix ? { block: Number(prefix[1]), rest: line.slice(prefix[0].length) } : undefined;
}

/**
 * What tar -R prints after the block number for the zero block that ends an
 * archive. tar -t also exits 0 when the data simply stops where a header
 * would start (a copy cut at a block boundary), printing END_OF_FILE there
 * instead: only this line tells a complete archive from a cut one. With
 * --quoting-style=c a member's name is quoted, so it cannot look like either.
 */
export const END_OF_ARCHIVE = '** Block of NULs **';
export const END_OF_FILE = '** End of File **';

/** Why a listing tar ended with `last` (and exit 0) does not reach the archive's end marker; undefined when it does. */
export function missingEndMarker(last: BlockLine | undefined): string | undefined {
  if (last?.rest === END_OF_ARCHIVE) return undefined;
  const where = last?.rest === END_OF_FILE ? ` after ${last.block} blocks of 512 bytes` : '';
  return `the tar data ends${where} without the end-of-archive marker (zero blocks): the archive was cut short between two members`;
}

/** Path components of a member name without empty and `.` parts: `./a//b/` → [a, b]. */
export function components(name: string): string[] {
  return name.split('/').filter((part) => part !== '' && part !== '.');
}
