// The operator's request that a zone signed here publish the CDS/CDNSKEY delete signal (RFC 8078
// section 4: `CDS 0 0 0 00`, `CDNSKEY 0 3 0 AA==`), asking the parent to remove its DS and make
// the delegation insecure (before the zone goes unsigned, or to another operator). Kept as a
// file `cds-delete-<zone>` in the key folder, beside the keys and the `dsset-` files, so the
// request outlives restarts and a running `aop serve --dnssec` takes it at its next signing pass
// or reload (`aop zone cds-delete ZONE --key-dir DIR`, `--cancel` to withdraw it).

import { existsSync, mkdirSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { atomicWrite } from '../base/atomic-write.js';
import { nameKey } from '../wire/name.js';

/** `CDS 0 0 0 00`: key tag 0, algorithm 0, digest type 0, one zero octet of digest. */
export const CDS_DELETE_RDATA: Readonly<Buffer> = Buffer.from([0, 0, 0, 0, 0]);
/** `CDNSKEY 0 3 0 AA==`: flags 0, protocol 3, algorithm 0, one zero octet of key. */
export const CDNSKEY_DELETE_RDATA: Readonly<Buffer> = Buffer.from([0, 0, 3, 0, 0]);

/** The request's file for `origin` in `keyDir`. */
export function cdsDeleteFile(keyDir: string, origin: string): string {
  return path.join(keyDir, `cds-delete-${nameKey(origin)}`);
}

/** Whether the delete signal is asked for `origin`. */
export function cdsDeleteWanted(keyDir: string, origin: string): boolean {
  return existsSync(cdsDeleteFile(keyDir, origin));
}

/** Ask for the delete signal (`on`), or withdraw the request; true when that changed anything. */
export function setCdsDelete(keyDir: string, origin: string, on: boolean, now: Date = new Date()): boolean {
  const file = cdsDeleteFile(keyDir, origin);
  const was = existsSync(file);
  if (on === was) return false;
  if (on) {
    mkdirSync(keyDir, { recursive: true, mode: 0o700 });
    atomicWrite(file, `; ${nameKey(origin)} publishes the CDS/CDNSKEY delete signal (RFC 8078 4), asked ${now.toISOString()}\n; remove this file (aop zone cds-delete ${nameKey(origin)} --cancel) to publish the keys' CDS again\n`, { mode: 0o644 });
  } else {
    unlinkSync(file);
  }
  return true;
}
