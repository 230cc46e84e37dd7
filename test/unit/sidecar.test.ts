import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSidecar } from '../../src/restore/sidecar.js';

const HASH = '865b0b56f30118093d4dc3b853f3007051ec84f90858b4ab11ba6a3247c0fecc';

test('a sidecar is read in every format sha256sum -c accepts: GNU (text or binary mark, any case, CRLF) and the BSD tag', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'snapctl-sidecar-'));
  try {
    const archive = join(dir, 'h1_data.20261127T190052Z.tar.zst');
    const read = async (text: string | undefined): Promise<unknown> => {
      rmSync(`${archive}.sha256`, { force: true });
      if (text !== undefined) writeFileSync(`${archive}.sha256`, text);
      return readSidecar(archive);
    };
    const present = { kind: 'present', sha256: HASH };
    assert.deepEqual(await read(`${HASH}  h1_data.20261127T190052Z.tar.zst\n`), present);
    assert.deepEqual(await read(`${HASH} *h1_data.20261127T190052Z.tar.zst\n`), present);
    assert.deepEqual(await read(`${HASH.toUpperCase()}  h1_data.20261127T190052Z.tar.zst\r\n`), present);
    assert.deepEqual(await read(`SHA256 (h1_data.20261127T190052Z.tar.zst) = ${HASH}\n`), present);
    assert.deepEqual(await read(`SHA256 (h1_data.20261127T190052Z.tar.zst) = ${HASH}\r\n`), present);
    assert.deepEqual(await read(undefined), { kind: 'absent' });
    for (const bad of ['', 'not a hash\n', `${HASH.slice(1)}  x\n`, `MD5 (x) = ${HASH.slice(0, 32)}\n`]) {
      const r = (await read(bad)) as { kind: string; reason?: string };
      assert.equal(r.kind, 'malformed', JSON.stringify(bad));
      assert.match(r.reason ?? '', /holds no sha256 hash \(expected "<hash> {2}<name>" or "SHA256 \(<name>\) = <hash>"\)$/);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
