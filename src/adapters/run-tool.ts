// Runs a system tool and hands back its streams and status as a value, so
// callers decide what a non-zero exit means (LVM's exit 5 is often expected).
import { execa } from 'execa';

export interface ToolResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  /** The tool is not installed (spawn ENOENT). */
  readonly missing: boolean;
}

export async function runTool(file: string, args: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<ToolResult> {
  // LC_ALL=C: the error mapping reads English messages.
  const r = await execa(file, args, { reject: false, stdin: 'ignore', stripFinalNewline: false, env: { LC_ALL: 'C', ...env } });
  const missing = (r as { code?: string }).code === 'ENOENT';
  return {
    exitCode: r.exitCode ?? (missing ? 127 : 1),
    stdout: typeof r.stdout === 'string' ? r.stdout : '',
    stderr: typeof r.stderr === 'string' ? r.stderr : missing ? `${file}: command not found` : '',
    missing,
  };
}

/** `file args…` for logs and error details. */
export function commandLine(file: string, args: readonly string[]): string {
  return [file, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** `udevadm settle` when udev is there (device nodes of a new LV appear asynchronously); a no-op otherwise. */
export async function udevSettle(): Promise<void> {
  await runTool('udevadm', ['settle', '--timeout=30']);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
