// The `path` source: no snapshot, the directory is archived as it is (so not
// point in time; tar's "file changed as we read it" is then only a warning).
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { SnapctlError } from '../core/errors.js';
import type { Volume } from '../core/model.js';
import type { PreparedSource, SourceDriver, TakeContext } from '../apply/source.js';

function pathOf(volume: Volume): string {
  if (volume.source.kind !== 'path') throw new Error(`path source driver given a ${volume.source.kind} volume (this is a bug)`);
  return volume.source.path;
}

export const pathSource: SourceDriver = {
  async preflight(volume: Volume, _ctx: TakeContext): Promise<void> {
    const dir = pathOf(volume);
    const st = await stat(dir).catch((err: NodeJS.ErrnoException) => {
      throw new SnapctlError('preflight', `volume ${volume.name}: ${dir} ${err.code === 'ENOENT' ? 'does not exist' : `cannot be read: ${err.message}`}`);
    });
    if (!st.isDirectory()) throw new SnapctlError('preflight', `volume ${volume.name}: ${dir} is not a directory`);
    await access(dir, constants.R_OK | constants.X_OK).catch((err: NodeJS.ErrnoException) => {
      throw new SnapctlError('preflight', `volume ${volume.name}: ${dir} is not readable (${err.code ?? err.message})`);
    });
  },

  take(volume: Volume, _ctx: TakeContext): Promise<PreparedSource> {
    return Promise.resolve({
      dir: pathOf(volume),
      verify: () => Promise.resolve(undefined),
      release: () => Promise.resolve(),
    });
  },
};
