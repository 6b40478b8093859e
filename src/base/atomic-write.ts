// Replace a file so a reader (or a crash) sees the old contents or the new, never a mix: write a
// temporary file in the same folder (a rename cannot cross file systems), fsync it, rename it over
// the target, then fsync the folder so the rename itself is on disk. One copy of the steps that
// the zone editor, the journal, the update store, the secondary copies, key files and the state
// file each wrote for themselves, two of them without the folder fsync.

import { closeSync, fchmodSync, fchownSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

export interface AtomicWriteOptions {
  /** The new file's mode, exactly (the umask does not apply). Default: 0o666 less the umask, as a new file. */
  mode?: number;
  /** Give the new file this owner, when allowed (only root may give a file away; otherwise ignored). */
  owner?: { uid: number; gid: number };
  /** Runs after the temporary file is complete and before the rename; a throw leaves `file` untouched. */
  beforeRename?: () => void;
}

/** The temporary file beside `file`: hidden, and unique per process and call. */
function tempPath(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.aop-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
}

/**
 * Write `data` to `file` atomically (see the head of this file). Throws the file system's error
 * (ENOENT, EACCES, ENOSPC) with `file` left as it was and no temporary file behind.
 */
export function atomicWrite(file: string, data: string | Uint8Array, opts: AtomicWriteOptions = {}): void {
  const tmp = tempPath(file);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx', opts.mode ?? 0o666);
    if (opts.mode !== undefined) fchmodSync(fd, opts.mode);
    if (opts.owner) {
      try {
        fchownSync(fd, opts.owner.uid, opts.owner.gid);
      } catch {
        // Only root may give a file away; the file then belongs to whoever writes it.
      }
    }
    writeAll(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    opts.beforeRename?.();
    renameSync(tmp, file);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // Never created, or already renamed.
    }
    throw err;
  }
  fsyncDir(path.dirname(file));
}

function writeAll(fd: number, buf: Uint8Array): void {
  // writeSync may write less than asked (a full disk mid-way reports ENOSPC on the next call).
  for (let off = 0; off < buf.length;) off += writeSync(fd, buf, off, buf.length - off);
}

/** fsync a folder, so a rename or a new file in it survives a crash; a no-op where the file system cannot. */
export function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some file systems cannot fsync a folder; the rename itself has happened.
  }
}
