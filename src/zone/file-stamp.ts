// What a zone file was when it was read (device, inode, size, change and modification times), so
// that a reload can leave a zone whose files are all as they were in service without reading it
// again, as BIND's `rndc reload` and Knot do: re-reading a thousand unchanged zones of a million
// agents took a minute before the one changed zone's new serial was served.

import { statSync } from 'node:fs';

export interface FileStamp {
  file: string;
  dev: bigint;
  ino: bigint;
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  /** When the stamp was taken (ns since the epoch, the file system's clock as stat reports it). */
  takenNs: bigint;
}

/**
 * A file changed within this long before its stamp was taken may change again in the same tick
 * of the file system's clock without its times moving ("racy" in git's words): such a stamp is
 * not trusted, and the file is read again at the next reload (whose stamp is then a safe one).
 */
const RACY_NS = 2_000_000_000n;

/** The stamp of `file` now (symlinks followed); undefined when it cannot be stat'ed. */
export function stampFile(file: string): FileStamp | undefined {
  try {
    const st = statSync(file, { bigint: true });
    return { file, dev: st.dev, ino: st.ino, size: st.size, mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs, takenNs: BigInt(Date.now()) * 1_000_000n };
  } catch {
    return undefined;
  }
}

/** Whether a stamp was taken too soon after its file changed to be trusted (see RACY_NS). */
export function racy(s: FileStamp): boolean {
  return s.takenNs - s.mtimeNs < RACY_NS || s.takenNs - s.ctimeNs < RACY_NS;
}

/**
 * Whether every file of `stamps` is as it was stamped. A racy stamp counts as changed, unless
 * `trustRacy` (then only what the stamps show).
 */
export function unchangedSince(stamps: readonly FileStamp[], opts: { trustRacy?: boolean } = {}): boolean {
  if (stamps.length === 0) return false;
  for (const s of stamps) {
    if (!opts.trustRacy && racy(s)) return false;
    const now = stampFile(s.file);
    if (now === undefined || now.dev !== s.dev || now.ino !== s.ino || now.size !== s.size || now.mtimeNs !== s.mtimeNs || now.ctimeNs !== s.ctimeNs) return false;
  }
  return true;
}
