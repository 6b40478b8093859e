// Making and checking one RRSIG over one RRset (RFC 4034 section 3, RFC 4035 5.3): the signed
// octets come from canonical.ts, the signature from algorithms.ts. Time checks (inception,
// expiration) are the caller's: a validator and a signer want different clocks and slack.

import type { KeyObject } from 'node:crypto';
import { readRrsig, rrsigWire } from '../wire/rdata/dnssec.js';
import { publicKeyFromDnskey, signData, verifyData } from './algorithms.js';
import { rrsigLabels, signedData } from './canonical.js';
import { keyTag } from './keytag.js';

export interface RrsetToSign {
  name: string;
  type: number;
  class: number;
  ttl: number;
  rdata: readonly Buffer[];
}

export interface SigningKey {
  /** The zone (signer's name). */
  zone: string;
  algorithm: number;
  tag: number;
  privateKey: KeyObject;
}

/** RRSIG RDATA over `rrset` (which must be owned by the zone). Times are seconds since 1970. */
export function signRrset(rrset: RrsetToSign, key: SigningKey, inception: number, expiration: number): Buffer {
  const fields = {
    typeCovered: rrset.type, algorithm: key.algorithm, labels: rrsigLabels(rrset.name), originalTtl: rrset.ttl,
    expiration: expiration % 2 ** 32, inception: inception % 2 ** 32, keyTag: key.tag, signerName: key.zone, signature: Buffer.alloc(0),
  };
  const unsigned = rrsigWire(fields);
  const data = signedData(unsigned, rrset)!;
  return Buffer.concat([unsigned, signData(key.algorithm, key.privateKey, data)]);
}

/**
 * Whether `rrsigRdata` is a good signature over `rrset` by the DNSKEY `dnskeyRdata`: type
 * covered, algorithm and key tag match, labels fit the owner, and the signature verifies.
 * The RRset's rdata may hold the records in any order and case.
 */
export function verifyRrsig(rrset: Omit<RrsetToSign, 'ttl'>, rrsigRdata: Buffer, dnskeyRdata: Buffer): boolean {
  let sig;
  try {
    sig = readRrsig(rrsigRdata);
  } catch {
    return false;
  }
  if (sig.typeCovered !== rrset.type || dnskeyRdata.length < 5) return false;
  if (sig.algorithm !== dnskeyRdata[3] || sig.keyTag !== keyTag(dnskeyRdata)) return false;
  const data = signedData(rrsigRdata, rrset);
  if (data === undefined) return false;
  let pub: KeyObject;
  try {
    pub = publicKeyFromDnskey(sig.algorithm, dnskeyRdata.subarray(4));
  } catch {
    return false;
  }
  return verifyData(sig.algorithm, pub, data, sig.signature);
}

/**
 * The keys of `keys` with a good RRSIG over `rrset` among `sigs`, by `signer` and inside its
 * validity window at `now` (RFC 1982 arithmetic on 32-bit seconds): for the parental agent and
 * the trust-anchor tracker, which check one RRset against keys they already trust.
 */
export function keysThatSigned(rrset: Omit<RrsetToSign, 'ttl'>, sigs: readonly Buffer[], keys: readonly Buffer[], signer: string, now: number): Buffer[] {
  const before = (a: number, b: number): boolean => ((b - a) >>> 0) < 0x80000000;
  const out: Buffer[] = [];
  for (const sig of sigs) {
    let f;
    try {
      f = readRrsig(sig);
    } catch {
      continue;
    }
    if (f.signerName.toLowerCase() !== signer.toLowerCase() || !before(f.inception, now) || !before(now, f.expiration)) continue;
    for (const k of keys) if (!out.includes(k) && verifyRrsig(rrset, sig, k)) out.push(k);
  }
  return out;
}
