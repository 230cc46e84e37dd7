// Waiting for a child process and keeping the tail of its stderr, so a
// failure can say what the tool said.
import type { ChildProcess } from 'node:child_process';
import type { ChildExit } from '../adapters/run-tool.js';

/** Resolves when the child exits (127 when it could not be started); stderr() returns its last lines. */
export function watchChild(child: ChildProcess): { exit: Promise<ChildExit>; stderr: () => string[] } {
  let text = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    text = (text + chunk).slice(-4000);
  });
  const exit = new Promise<ChildExit>((resolve) => {
    child.once('error', (err) => resolve({ code: (err as NodeJS.ErrnoException).code === 'ENOENT' ? 127 : 126, signal: null }));
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  return { exit, stderr: () => text.split('\n').filter((l) => l !== '') };
}
