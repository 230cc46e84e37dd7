// The `path` source: no snapshot, the directory is archived as it is (so not
// point in time; tar's "file changed as we read it" is then only a warning).
// btrfs subvolumes inside it are left out (tar --one-file-system): a warning.
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { subvolumesInsideMessage } from '../core/describe.js';
import { SnapctlError } from '../core/errors.js';
import type { Volume } from '../core/model.js';
import type { PreparedSource, SourceDriver, TakeContext } from '../apply/source.js';
import { subvolumesInside } from './btrfs-inside.js';

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

  async take(volume: Volume, ctx: TakeContext): Promise<PreparedSource> {
    const dir = pathOf(volume);
    const inside = await subvolumesInside(dir, ctx.volumeDirs ?? [], ctx.backupDir);
    if (inside !== undefined && inside.length > 0) ctx.log.warn(`${dir}: ${subvolumesInsideMessage(inside)}`);
    return {
      dir,
      verify: () => Promise.resolve(undefined),
      release: () => Promise.resolve(),
    };
  },
};
