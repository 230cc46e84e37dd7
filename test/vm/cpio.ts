// A writer for the "newc" cpio format the kernel unpacks as an initramfs.
// Written here rather than shelling out to cpio: it is a few lines, needs no
// extra host package, and lets the archive hold a /dev/console node without
// mknod on the host. Timestamps and owners are fixed, so equal inputs give
// byte-identical archives.

export type CpioEntry =
  | { readonly kind: 'dir'; readonly path: string; readonly mode?: number }
  | { readonly kind: 'file'; readonly path: string; readonly data: Buffer; readonly mode?: number }
  | { readonly kind: 'symlink'; readonly path: string; readonly target: string }
  | { readonly kind: 'char'; readonly path: string; readonly major: number; readonly minor: number; readonly mode?: number };

const TYPE_BITS = { dir: 0o040000, file: 0o100000, symlink: 0o120000, char: 0o020000 } as const;

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

function pad4(length: number): Buffer {
  return Buffer.alloc((4 - (length % 4)) % 4);
}

function record(ino: number, mode: number, name: string, data: Buffer, rdev: { major: number; minor: number } = { major: 0, minor: 0 }): Buffer[] {
  const nameBytes = Buffer.from(`${name}\0`, 'utf8');
  const fields = [ino, mode, 0, 0, mode & TYPE_BITS.dir ? 2 : 1, 0, data.length, 0, 0, rdev.major, rdev.minor, nameBytes.length, 0];
  const header = Buffer.from(`070701${fields.map(hex8).join('')}`, 'ascii');
  return [header, nameBytes, pad4(header.length + nameBytes.length), data, pad4(data.length)];
}

/** Serialises entries in the given order (parents before children) plus the trailer. */
export function newcArchive(entries: readonly CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  entries.forEach((entry, index) => {
    const name = entry.path.replace(/^\/+/, '');
    const ino = index + 1;
    switch (entry.kind) {
      case 'dir':
        parts.push(...record(ino, TYPE_BITS.dir | (entry.mode ?? 0o755), name, Buffer.alloc(0)));
        break;
      case 'file':
        parts.push(...record(ino, TYPE_BITS.file | (entry.mode ?? 0o644), name, entry.data));
        break;
      case 'symlink':
        parts.push(...record(ino, TYPE_BITS.symlink | 0o777, name, Buffer.from(entry.target, 'utf8')));
        break;
      case 'char':
        parts.push(...record(ino, TYPE_BITS.char | (entry.mode ?? 0o600), name, Buffer.alloc(0), entry));
        break;
    }
  });
  parts.push(...record(0, 0, 'TRAILER!!!', Buffer.alloc(0)));
  return Buffer.concat(parts);
}
