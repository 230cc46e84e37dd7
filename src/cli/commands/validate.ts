// snapctl validate (placeholder until the command lands).
import { SnapctlError } from '../../core/errors.js';

// eslint-disable-next-line @typescript-eslint/require-await
export async function run(_argv: string[]): Promise<number> {
  throw new SnapctlError('input', 'snapctl validate is not implemented yet');
}
