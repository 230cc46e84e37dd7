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
  readonly cron?: { readonly fields: readonly string[]; readonly schedule: 'hourly' | 'daily' | 'weekly' | 'monthly' | undefined };
}

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

const CRON_FIELD = /^[\d*/,-]+$/;

function cronSchedule(f: readonly string[]): 'hourly' | 'daily' | 'weekly' | 'monthly' | undefined {
  const [min, hour, dom, mon, dow] = f;
  const fixed = (s: string | undefined): boolean => s !== undefined && /^\d+$/.test(s);
  if (!fixed(min) || mon !== '*') return undefined;
  if (hour === '*' && dom === '*' && dow === '*') return 'hourly';
  if (!fixed(hour)) return undefined;
  if (dom === '*' && dow === '*') return 'daily';
  if (dom === '*' && fixed(dow)) return 'weekly';
  if (fixed(dom) && dow === '*') return 'monthly';
  return undefined;
}

const VALUE_FLAGS: Record<string, keyof PySnapOptions> = {
  '-b': 'backupDir', '--backup-dir': 'backupDir',
  '-f': 'fileSystem', '--file-system': 'fileSystem',
  '-l': 'logicalVolume', '--logical-volume': 'logicalVolume',
  '-m': 'mount', '--mount': 'mount',
  '-r': 'retentionDays', '--retention_days': 'retentionDays', '--retention-days': 'retentionDays',
  '-s': 'snapName', '--snap-name': 'snapName',
  '--log-dir': 'logDir',
};

export function parsePySnapCommand(line: string): PySnapOptions {
  let words = splitWords(line.trim());
  let cron: PySnapOptions['cron'];
  // A crontab line: five time fields, maybe a user (system crontab), then the command.
  if (words.length >= 5 && words.slice(0, 5).every((w) => CRON_FIELD.test(w))) {
    const fields = words.slice(0, 5);
    cron = { fields, schedule: cronSchedule(fields) };
    words = words.slice(5);
  }
  const script = words.findIndex((w) => /py_snap(\.py)?$/.test(w));
  const args = script >= 0 ? words.slice(script + 1) : words;
  const out: Record<string, string | number | boolean> = { ...PY_SNAP_DEFAULTS };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '>' || arg === '>>' || arg === '2>&1' || arg.startsWith('>') || arg.startsWith('2>') || arg === '|' || arg === ';' || arg === '&&') break;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    if (flag === '-c' || flag === '--compress') {
      out.compress = true;
      continue;
    }
    if (flag === '-v' || flag === '--verbose' || flag === '-cv' || flag === '-vc') {
      if (flag.includes('c')) out.compress = true;
      continue;
    }
    if (flag === '-h' || flag === '--help') continue;
    let key = VALUE_FLAGS[flag];
    let value: string | undefined;
    if (key !== undefined) {
      value = eq > 0 ? arg.slice(eq + 1) : args[++i];
    } else if (/^-[bflmrs].+/.test(arg)) {
      // argparse accepts "-b/backup" (value glued to a short flag).
      key = VALUE_FLAGS[arg.slice(0, 2)];
      value = arg.slice(2);
    }
    if (key === undefined) throw new SnapctlError('input', `unknown py_snap option "${arg}"`, 'py_snap.py knows -b -c -f -l -m -r -s -v --log-dir (and their long forms)');
    if (value === undefined) throw new SnapctlError('input', `py_snap option ${flag} needs a value`);
    if (key === 'retentionDays') {
      if (!/^\d+$/.test(value) || Number(value) < 1) throw new SnapctlError('input', `py_snap option ${flag}: "${value}" is not a positive number of days`);
      out[key] = Number(value);
    } else {
      out[key] = value;
    }
  }
  const opts = out as unknown as Omit<PySnapOptions, 'cron'>;
  return cron ? { ...opts, cron } : opts;
}
