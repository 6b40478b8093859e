// The NSEC3 chain of a zone (RFC 5155 section 7.1): one NSEC3 per authoritative name,
// delegation point and empty non-terminal, in hash order, each pointing at the next, with the
// type bitmap of the original name. Opt-out is off: every delegation gets its NSEC3, so an
// insecure delegation's lack of DS is proven by a matching NSEC3 (RFC 5155 7.2.4). Hash
// algorithm SHA-1, parameters as RFC 9276 asks: no extra iterations, no salt.

import { base32hexEncode } from '../wire/base32hex.js';
import { typeBitmap } from '../wire/rdata/type-bitmap.js';
import type { RR } from '../wire/rr.js';
import { RRType } from '../wire/types.js';
import { NSEC3_SHA1, nsec3Hash } from '../dnssec/nsec3-hash.js';

export interface Nsec3Params {
  iterations: number;
  salt: Buffer;
}

/** RFC 9276 section 3.1: 0 iterations, empty salt. */
export const RFC9276_PARAMS: Nsec3Params = { iterations: 0, salt: Buffer.alloc(0) };

/** NSEC3PARAM RDATA: algorithm 1, flags 0, iterations, salt. */
export function nsec3ParamRdata(p: Nsec3Params): Buffer {
  const head = Buffer.from([NSEC3_SHA1, 0, p.iterations >> 8, p.iterations & 0xff, p.salt.length]);
  return Buffer.concat([head, p.salt]);
}

/** A name the chain covers and the types its bitmap lists (RRSIG included by the caller). */
export interface ChainName {
  name: string;
  types: number[];
}

/** The NSEC3 records for `names` in `origin`, with the TTL given (RFC 9077: the negative TTL); `memo` keeps hashes by name. */
export function nsec3Chain(origin: string, names: readonly ChainName[], p: Nsec3Params, ttl: number, memo?: Map<string, Buffer>): RR[] {
  const hashOf = (name: string): Buffer => {
    if (!memo) return nsec3Hash(name, p.salt, p.iterations);
    const key = name.toLowerCase();
    let h = memo.get(key);
    if (h === undefined) memo.set(key, (h = nsec3Hash(name, p.salt, p.iterations)));
    return h;
  };
  const hashed = names.map((n) => ({ hash: hashOf(n.name), types: n.types }));
  hashed.sort((a, b) => Buffer.compare(a.hash, b.hash));
  // Two names with one hash cannot both be proven: the first stays (a SHA-1 collision).
  const chain = hashed.filter((h, i) => i === 0 || !h.hash.equals(hashed[i - 1]!.hash));
  const head = nsec3ParamRdata(p);
  const suffix = origin === '.' ? '.' : `.${origin}`;
  return chain.map((h, i) => {
    const next = chain[(i + 1) % chain.length]!.hash;
    const rdata = Buffer.concat([head, Buffer.from([next.length]), next, typeBitmap(h.types)]);
    return { name: base32hexEncode(h.hash).toLowerCase() + suffix, type: RRType.NSEC3, class: 1, ttl, rdata };
  });
}
