// Colours for the terminal, off when stdout is not a TTY, with NO_COLOR, or --no-color.
import { NO_COLORS, type Palette } from '../render/plan-text.js';

/** The palette for `stream`; chalk is loaded only when colours are on (cron's and piped output never need it). */
export async function palette(noColorFlag: boolean, stream: NodeJS.WriteStream = process.stdout): Promise<Palette> {
  const noColor = noColorFlag || (process.env.NO_COLOR ?? '') !== '' || !stream.isTTY;
  if (noColor) return NO_COLORS;
  const { Chalk } = await import('chalk');
  const c = new Chalk({ level: 1 });
  return { add: c.green, remove: c.red, change: c.yellow, warn: c.yellow, error: c.red, bold: c.bold, dim: c.dim };
}
