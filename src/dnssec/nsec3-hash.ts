// The NSEC3 hash of an owner name (RFC 5155 section 5): SHA-1 over the canonical wire name
// and the salt, then `iterations` more times over the previous digest and the salt.

import { createHash } from 'node:crypto';
import { base32hexEncode } from '../wire/base32hex.js';
import { canonicalNameWire } from './canonical.js';

/** Hash algorithm 1 (SHA-1) is the only one defined. */
export const NSEC3_SHA1 = 1;

export function nsec3Hash(name: string, salt: Uint8Array, iterations: number): Buffer {
  let h = createHash('sha1').update(canonicalNameWire(name)).update(salt).digest();
  for (let i = 0; i < iterations; i++) h = createHash('sha1').update(h).update(salt).digest();
  return h;
}

/** The NSEC3 owner label: the hash in lowercase base32hex, as signers write it. */
export function nsec3Label(name: string, salt: Uint8Array, iterations: number): string {
  return base32hexEncode(nsec3Hash(name, salt, iterations)).toLowerCase();
}
