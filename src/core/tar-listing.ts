// Reads GNU tar's verbose listing (`tar -tv --quoting-style=c`): one member
// per line, names C-quoted so newlines, quotes and " -> " inside names
// cannot be confused with the line's structure.

export type MemberType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';

export interface TarMember {
  readonly type: MemberType;
  /** The name as stored (decoded), e.g. `./a/b`, `snap_backup/x`, `/abs`. */
  readonly name: string;
  /** Symlink target or hard-link target name (decoded), else undefined. */
  readonly link?: string;
  /** Bytes of file data (0 for anything but regular files). */
  readonly size: number;
  /** `-rw-r--r--` style mode as tar prints it. */
  readonly mode: string;
  /** `uid/gid` (with --numeric-owner). */
  readonly owner: string;
}

const ENCODER = new TextEncoder();
const DECODER = new TextDecoder();

const TYPES: Readonly<Record<string, MemberType>> = { '-': 'file', d: 'dir', l: 'symlink', h: 'hardlink' };

/** Decodes one C-quoted string starting at `text[at] === '"'`; returns the value and the index after the closing quote. */
function unquote(text: string, at: number): { value: string; end: number } | undefined {
  if (text[at] !== '"') return undefined;
  const bytes: number[] = [];
  const simple: Readonly<Record<string, number>> = { n: 10, t: 9, r: 13, a: 7, b: 8, f: 12, v: 11, '\\': 92, '"': 34, '?': 63, "'": 39 };
  let i = at + 1;
  while (i < text.length) {
    const ch = String.fromCodePoint(text.codePointAt(i)!);
    if (ch === '"') return { value: DECODER.decode(new Uint8Array(bytes)), end: i + 1 };
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

/**
 * One line of `tar -tv --numeric-owner --quoting-style=c` as a member, or
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
  return { type, name: name.value, ...(link ? { link: link.value } : {}), size: bytes, mode, owner };
}

/** Path components of a member name without empty and `.` parts: `./a//b/` → [a, b]. */
export function components(name: string): string[] {
  return name.split('/').filter((part) => part !== '' && part !== '.');
}
