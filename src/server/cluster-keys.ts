// `aop serve --dnssec --workers N`: the primary makes the keys of every zone in the zones folder
// that has none, before it forks, so the workers start with one key set per zone in the key
// folder and all sign with it (docs/dnssec.md, "Signing with several workers"). A zone added
// later is keyed by whichever worker signs it first, under the key folder's lock (key-dir-lock.ts).

import { readFileSync } from 'node:fs';
import type { Logger } from '../base/log.js';
import { readKeyDir } from '../dnssec/keys.js';
import { Signer, type SignerOptions } from '../authority/signer.js';
import { zoneDirOrigins } from '../zone/load.js';

/** A zone file that is signed already (its DNSKEY set has an RRSIG): served as it is, no keys made. */
const PRESIGNED = /\sRRSIG\s+DNSKEY\s/;

/** Make the missing keys of the zones in `zonesDir`; returns the origins keyed now. */
export function prepareClusterKeys(zonesDir: string, dnssec: Omit<SignerOptions, 'logger'>, log: Logger): string[] {
  const signer = new Signer({ ...dnssec, logger: log });
  const made: string[] = [];
  for (const { file, origin } of zoneDirOrigins(zonesDir)) {
    let have: number;
    try {
      have = readKeyDir(dnssec.keyDir, origin).length;
    } catch {
      have = 0; // no folder yet: the signer makes it
    }
    if (have > 0) continue;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue; // the worker that loads it says why
    }
    if (PRESIGNED.test(text)) continue;
    signer.keysFor(origin);
    made.push(origin);
  }
  return made;
}
