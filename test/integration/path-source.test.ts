import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathSource } from '../../src/adapters/path-source.js';
import type { TakeContext } from '../../src/apply/source.js';
import { SnapctlError } from '../../src/core/errors.js';
import type { Volume } from '../../src/core/model.js';
import { testVolume } from '../helpers/volume.js';

function volume(path: string): Volume {
  return testVolume('home', { kind: 'path', path }, { retention: { last: 1 } });
}

const ctx: TakeContext = { host: 'h', mountRoot: '/run/snapctl', runStamp: '20250102T030405Z', signal: new AbortController().signal, log: { info: () => {}, warn: () => {} } };

const preflightError = (summary: string) => (err: unknown) => err instanceof SnapctlError && err.kind === 'preflight' && err.summary === summary;

test('take() hands back the directory itself; verify() finds nothing wrong; release() leaves it alone', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'snapctl-path-'));
  await writeFile(join(dir, 'f'), 'x');
  await pathSource.preflight(volume(dir), ctx);
  const prepared = await pathSource.take(volume(dir), ctx);
  assert.equal(prepared.dir, dir);
  assert.equal(await prepared.verify(), undefined);
  await prepared.release();
  await prepared.release();
  assert.equal((await import('node:fs')).existsSync(join(dir, 'f')), true);
  await rm(dir, { recursive: true });
});

test('preflight refuses a missing directory and a file, naming the volume and path', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'snapctl-path-'));
  await writeFile(join(dir, 'file'), 'x');
  await assert.rejects(pathSource.preflight(volume(join(dir, 'nope')), ctx), preflightError(`volume home: ${join(dir, 'nope')} does not exist`));
  await assert.rejects(pathSource.preflight(volume(join(dir, 'file')), ctx), preflightError(`volume home: ${join(dir, 'file')} is not a directory`));
  await rm(dir, { recursive: true });
});
