// Reads a py_snap.py command line (or a whole cron line running it) into its
// options with py_snap's own defaults, for `snapctl init --from-py-snap`.
import { SnapctlError } from './errors.js';

export interface PySnapOptions {
  readonly backupDir: string;
  readonly compress: boolean;
  readonly fileSystem: string;
  readonly logicalVolume: string;
  readonly mount: string;
  readonly retentionDays: number;
  readonly snapName: string;
  readonly logDir: string;
  /** From a cron line's five time fields, when the line had them. */
  readonly cron?: { readonly fields: readonly string[]; readonly schedule: CronSchedule | undefined };
}

/** A cron line's period as a policy schedule, written as in YAML: `daily`, or `{ every: 15m }` for a line run every 15 minutes. */
export type CronSchedule = 'hourly' | 'daily' | 'weekly' | 'monthly' | `{ every: ${string} }`;

/** py_snap's defaults (its argparse help, and what its code really used for the log dir). */
export const PY_SNAP_DEFAULTS: Omit<PySnapOptions, 'cron'> = {
  backupDir: '/backup',
  compress: false,
  fileSystem: '/data',
  logicalVolume: 'lv_data',
  mount: '/tmp/snap_backup',
  retentionDays: 3,
  snapName: 'lv_data_snap',
  logDir: '/var/log/py_snap',
};

/** Splits a command line like a POSIX shell would for words: quotes and backslashes, no expansion. */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] ?? '';
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && i + 1 < line.length && '"\\$`'.includes(line[i + 1] ?? '')) word += line[++i] ?? '';
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      word += line[++i] ?? '';
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw new SnapctlError('input', `unterminated ${quote} quote in the py_snap command line`);
  if (inWord) words.push(word);
  return words;
}

// Minute, hour, day of month: digits and * / , -; month and weekday may also be names (jan, mon).
const CRON_FIELD = /^[\d*/,-]+$/;
const CRON_NAMED_FIELD = /^[\d*/,A-Za-z-]+$/;

/** Vixie cron's @-shortcuts that have a snapctl period (@reboot and @yearly have none). */
const CRON_SHORTCUTS: Record<string, 'hourly' | 'daily' | 'weekly' | 'monthly'> = {
  '@hourly': 'hourly',
  '@daily': 'daily',
  '@midnight': 'daily',
  '@weekly': 'weekly',
  '@monthly': 'monthly',
};

function isCronTime(words: readonly string[]): boolean {
  return words.length >= 5 && words.slice(0, 3).every((w) => CRON_FIELD.test(w)) && words.slice(3, 5).every((w) => CRON_NAMED_FIELD.test(w));
}

function cronSchedule(f: readonly string[]): CronSchedule | undefined {
  const [min, hour, dom, mon, dow] = f;
  const fixed = (s: string | undefined): boolean => s !== undefined && /^\d+$/.test(s);
  if (mon !== '*' || (dom !== '*' && dow !== '*')) return undefined;
  // `*/N` in the minute or hour field is a period when N divides the hour or the day:
  // cron then fires at the same offsets every hour or day, as an `every` bucket
  // aligned to midnight does. (`*/7` restarts at 0 each hour: no fixed period.)
  const step = (s: string | undefined, whole: number): number | undefined => {
    const n = /^\*\/(\d+)$/.exec(s ?? '')?.[1];
    return n !== undefined && Number(n) > 0 && whole % Number(n) === 0 ? Number(n) : undefined;
  };
  const everyDay = dom === '*' && dow === '*';
  const minutes = step(min, 60);
  if (minutes !== undefined && hour === '*' && everyDay) return minutes === 60 ? 'hourly' : `{ every: ${minutes}m }`;
  if (!fixed(min)) return undefined;
  if (hour === '*' && everyDay) return 'hourly';
  const hours = step(hour, 24);
  if (hours !== undefined && everyDay) return hours === 1 ? 'hourly' : hours === 24 ? 'daily' : `{ every: ${hours}h }`;
  if (!fixed(hour)) return undefined;
  if (everyDay) return 'daily';
  if (dom === '*' && (fixed(dow) || /^(?:sun|mon|tue|wed|thu|fri|sat)$/i.test(dow ?? ''))) return 'weekly';
  if (fixed(dom) && dow === '*') return 'monthly';
  return undefined;
}

/** py_snap's options taking a value, by every name argparse knows them by. */
const VALUE_FLAGS: Record<string, keyof PySnapOptions> = {
  '-b': 'backupDir', '--backup-dir': 'backupDir',
  '-f': 'fileSystem', '--file-system': 'fileSystem',
  '-l': 'logicalVolume', '--logical-volume': 'logicalVolume',
  '-m': 'mount', '--mount': 'mount',
  '-r': 'retentionDays', '--retention_days': 'retentionDays',
  '-s': 'snapName', '--snap-name': 'snapName',
  '--log-dir': 'logDir',
};
/** The flag naming a py_snap option in messages: its short form (--log-dir has none). */
export function pySnapFlag(key: keyof PySnapOptions): string {
  return Object.keys(VALUE_FLAGS).find((flag) => VALUE_FLAGS[flag] === key) ?? key;
}
const SWITCHES = ['--compress', '--verbose', '--help'];
const LONG_NAMES = [...Object.keys(VALUE_FLAGS).filter((f) => f.startsWith('--')), ...SWITCHES];
const KNOWN = 'py_snap.py knows -b -c -f -l -m -r -s -v --log-dir (and their long forms)';
/** 100 years: more is a typo, and would overflow the duration in milliseconds. */
const MAX_RETENTION_DAYS = 36_500;

/** A word that ends the command: a redirection, pipe or command separator (`>/dev/null`, `2>&1`, `&>`, `|`, `;`, `&&`). */
function endsCommand(word: string): boolean {
  return /^(?:\d*[<>]|&>|\||;|&)/.test(word);
}

/** argparse accepts any unambiguous prefix of a long option (`--backup` for `--backup-dir`). */
function longOption(name: string): string {
  if (LONG_NAMES.includes(name)) return name;
  const matches = LONG_NAMES.filter((n) => n.startsWith(name));
  if (matches.length === 1 && matches[0] !== undefined) return matches[0];
  if (matches.length > 1) throw new SnapctlError('input', `ambiguous py_snap option "${name}": could be ${matches.join(', ')}`);
  throw new SnapctlError('input', `unknown py_snap option "${name}"`, KNOWN);
}

/** argparse: a value may not look like an option ("-b -c" means -b lacks its value). */
function takeValue(flag: string, value: string | undefined): string {
  if (value === undefined || (value.startsWith('-') && value.length > 1)) throw new SnapctlError('input', `py_snap option ${flag} needs a value`);
  return value;
}

function setValue(out: Record<string, string | number | boolean>, flag: string, key: keyof PySnapOptions, value: string): void {
  if (key !== 'retentionDays') {
    out[key] = value;
    return;
  }
  // py_snap kept -r as a string (its retention from the command line never ran); the number of days is what was meant.
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > MAX_RETENTION_DAYS) {
    throw new SnapctlError('input', `py_snap option ${flag}: "${value}" is not a number of days from 1 to ${MAX_RETENTION_DAYS}`);
  }
  out[key] = Number(value);
}

export function parsePySnapCommand(line: string): PySnapOptions {
  let words = splitWords(line.trim());
  if (words.length === 0) throw new SnapctlError('input', 'the py_snap command line is empty', 'e.g. "py_snap.py -c -f /data", or the whole cron line');
  let cron: PySnapOptions['cron'];
  // A crontab line: five time fields or an @-shortcut, maybe a user (system crontab), then the command.
  const shortcut = words[0]?.startsWith('@') ? words[0] : undefined;
  if (shortcut !== undefined) {
    if (shortcut === '@reboot') throw new SnapctlError('input', 'an @reboot cron line has no period to schedule', 'give the py_snap command without it, or a periodic cron line');
    cron = { fields: [shortcut], schedule: CRON_SHORTCUTS[shortcut] };
    words = words.slice(1);
  } else if (isCronTime(words)) {
    const fields = words.slice(0, 5);
    cron = { fields, schedule: cronSchedule(fields) };
    words = words.slice(5);
  }
  const script = words.findIndex((w) => /py_snap(\.py)?$/.test(w));
  const args = script >= 0 ? words.slice(script + 1) : words;
  const out: Record<string, string | number | boolean> = { ...PY_SNAP_DEFAULTS };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (endsCommand(arg)) break;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const flag = longOption(eq > 0 ? arg.slice(0, eq) : arg);
      const key = VALUE_FLAGS[flag];
      if (key !== undefined) {
        setValue(out, flag, key, eq > 0 ? arg.slice(eq + 1) : takeValue(flag, args[++i]));
      } else if (eq > 0) {
        throw new SnapctlError('input', `py_snap option ${flag} takes no value`);
      } else if (flag === '--compress') {
        out.compress = true;
      }
      continue;
    }
    if (!arg.startsWith('-') || arg === '-') throw new SnapctlError('input', `unexpected argument "${arg}"`, `py_snap.py takes no arguments besides its options; ${KNOWN}`);
    // A cluster of short options, as argparse reads it: "-cv", "-cb/backup", "-b=/backup", "-cb /backup".
    for (let j = 1; j < arg.length; j++) {
      const flag = `-${arg[j] ?? ''}`;
      if (flag === '-c') out.compress = true;
      else if (flag === '-v' || flag === '-h') continue;
      else {
        const key = VALUE_FLAGS[flag];
        if (key === undefined) throw new SnapctlError('input', `unknown py_snap option "${flag}"${flag === arg ? '' : ` in "${arg}"`}`, KNOWN);
        const glued = arg.slice(j + 1);
        const value = glued === '' ? takeValue(flag, args[++i]) : glued.startsWith('=') ? glued.slice(1) : glued;
        setValue(out, flag, key, value);
        break;
      }
    }
  }
  const opts = out as unknown as Omit<PySnapOptions, 'cron'>;
  return cron ? { ...opts, cron } : opts;
}
