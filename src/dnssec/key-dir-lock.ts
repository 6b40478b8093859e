// An exclusive lock on a key directory, held while keys are made there: with `aop serve
// --workers N`, or two daemons given one --key-dir, only one process makes a zone's first keys,
// and the others (which wait, then read the folder again) find and use them, so every process
// signs with the same keys. Synchronous on purpose: keys are made on a zone's first signing,
// inside the synchronous signing path. The lock is a file made with O_EXCL holding its owner's
// pid; one whose owner is gone (a crash) or that is older than STALE_MS is taken over.

import { closeSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { DnssecError } from './errors.js';

/** The lock file's name in the key directory. */
export const KEY_LOCK_FILE = '.aop-keys.lock';

/** A lock older than this is a leftover: making a zone's keys takes milliseconds. */
const STALE_MS = 30_000;
/** How long to wait for another process's lock before giving up. */
const WAIT_MS = 20_000;

const sleeper = new Int32Array(new SharedArrayBuffer(4));
const sleep = (ms: number): void => void Atomics.wait(sleeper, 0, 0, ms);

function ownerGone(file: string): boolean {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    if (Number.isInteger(pid) && pid > 0) {
      try {
        process.kill(pid, 0);
      } catch (e) {
        return (e as NodeJS.ErrnoException).code === 'ESRCH';
      }
    }
    return Date.now() - statSync(file).mtimeMs > STALE_MS;
  } catch {
    return false; // gone already, or being written: try again
  }
}

/** Run `fn` holding the key directory's lock (the directory must exist). */
export function withKeyDirLock<T>(dir: string, fn: () => T): T {
  const file = path.join(dir, KEY_LOCK_FILE);
  const deadline = Date.now() + WAIT_MS;
  let fd: number | undefined;
  for (;;) {
    try {
      fd = openSync(file, 'wx', 0o600);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new DnssecError('ERR_DNSSEC_KEY_FILE', `${file}: cannot lock the key directory: ${(e as Error).message}`, { cause: e });
    }
    if (ownerGone(file)) {
      rmSync(file, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new DnssecError('ERR_DNSSEC_KEY_FILE', `${file}: the key directory stayed locked by another process for ${WAIT_MS / 1000} s (remove the file if no aop is making keys there)`);
    sleep(20);
  }
  try {
    writeSync(fd, `${process.pid}\n`);
    closeSync(fd);
    return fn();
  } finally {
    rmSync(file, { force: true });
  }
}
