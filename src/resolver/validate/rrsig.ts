// Checking an RRset's signatures against a zone's keys (RFC 4035 section 5.3): the RRSIG must
// cover the set's type, name the zone as signer, be in its validity window (serial arithmetic on
// 32-bit seconds, RFC 4034 3.1.5), and verify under a DNSKEY of the zone with the Zone Key flag
// and the RRSIG's key tag and algorithm. One good signature is enough.

import type { KeyObject } from 'node:crypto';
import { isSupportedAlgorithm, publicKeyFromDnskey, verifyData } from '../../dnssec/algorithms.js';
import { signedData } from '../../dnssec/canonical.js';
import { keyTag } from '../../dnssec/keytag.js';
import { isInDomain, labelCount, nameEquals } from '../../wire/name.js';
import { readRrsig, type RrsigFields } from '../../wire/rdata/dnssec.js';
import type { RRset } from '../../wire/rr.js';
import { DnssecEde } from './verdict.js';

export type SigCheck =
  /** `ttl`: how long the result holds (the set's TTL, the RRSIG's original TTL, time to expiry). `labels`: the good RRSIG's. */
  | { ok: true; ttl: number; labels: number }
  | { ok: false; ede: number; why: string };

/** Seconds before `b` that `a` is, in RFC 1982 serial arithmetic on 32 bits (negative: a is after b). */
function serialBefore(a: number, b: number): number {
  const d = (b - a) >>> 0;
  return d < 0x80000000 ? d : d - 0x100000000;
}

/** Public keys by DNSKEY RDATA: decoding a key costs more than verifying with it. */
const KEYS = new Map<string, KeyObject | null>();
const MAX_KEYS = 2000;

function publicKey(dnskey: Buffer): KeyObject | null {
  const k = dnskey.toString('base64');
  let key = KEYS.get(k);
  if (key !== undefined) return key;
  try {
    key = publicKeyFromDnskey(dnskey[3]!, dnskey.subarray(4));
  } catch {
    key = null;
  }
  if (KEYS.size >= MAX_KEYS) KEYS.delete(KEYS.keys().next().value!);
  KEYS.set(k, key);
  return key;
}

export function parseSig(rdata: Buffer): RrsigFields | undefined {
  try {
    return readRrsig(rdata);
  } catch {
    return undefined;
  }
}

/** The signer names of a set's RRSIGs that may sign it (the owner is in the signer's zone). */
export function signers(set: RRset): string[] {
  const out: string[] = [];
  for (const s of set.sigs ?? []) {
    const f = parseSig(s);
    if (f && f.typeCovered === set.type && isInDomain(set.name, f.signerName) && !out.some((n) => nameEquals(n, f.signerName))) out.push(f.signerName);
  }
  return out;
}

/**
 * Check `set.sigs` with the zone `zone`'s `keys` (DNSKEY RDATA) at `now` (Unix seconds). The
 * failure reported is the most telling one met: expiry or not-yet-valid over a missing key over
 * a bad signature.
 */
export function checkSigs(set: RRset, zone: string, keys: readonly Buffer[], now: number): SigCheck {
  const sigs = (set.sigs ?? []).map((raw) => ({ raw, f: parseSig(raw) }))
    .filter((s): s is { raw: Buffer; f: RrsigFields } => s.f !== undefined && s.f.typeCovered === set.type && nameEquals(s.f.signerName, zone));
  if (sigs.length === 0) return { ok: false, ede: DnssecEde.RRSIGS_MISSING, why: `no RRSIG by ${zone} over ${set.name} type ${set.type}` };
  const now32 = now >>> 0;
  let failure: { ede: number; why: string; weight: number } | undefined;
  const fail = (ede: number, why: string, weight: number) => { if (!failure || weight > failure.weight) failure = { ede, why, weight }; };
  for (const { raw, f } of sigs) {
    if (f.labels > labelCount(set.name)) { fail(DnssecEde.DNSSEC_BOGUS, `RRSIG over ${set.name} has more labels (${f.labels}) than its owner`, 1); continue; }
    if (!isSupportedAlgorithm(f.algorithm)) { fail(DnssecEde.UNSUPPORTED_DNSKEY_ALGORITHM, `RRSIG algorithm ${f.algorithm} is not supported`, 0); continue; }
    if (serialBefore(f.expiration, now32) > 0) { fail(DnssecEde.SIGNATURE_EXPIRED, `RRSIG over ${set.name} type ${set.type} by ${zone} key ${f.keyTag} expired`, 4); continue; }
    if (serialBefore(now32, f.inception) > 0) { fail(DnssecEde.SIGNATURE_NOT_YET_VALID, `RRSIG over ${set.name} type ${set.type} by ${zone} key ${f.keyTag} is not yet valid`, 4); continue; }
    const candidates = keys.filter((k) => k.length > 4 && k[3] === f.algorithm && k[2] === 3 && keyTag(k) === f.keyTag);
    if (candidates.length === 0) { fail(DnssecEde.DNSKEY_MISSING, `no DNSKEY of ${zone} with key tag ${f.keyTag} and algorithm ${f.algorithm} for the RRSIG over ${set.name} type ${set.type}`, 2); continue; }
    const data = signedData(raw, set);
    if (!data) { fail(DnssecEde.DNSSEC_BOGUS, `RRSIG over ${set.name} cannot be checked`, 1); continue; }
    for (const k of candidates) {
      // A key without the Zone Key flag must not be used to check zone data (RFC 4034 2.1.1).
      if ((k.readUInt16BE(0) & 0x0100) === 0) { fail(DnssecEde.NO_ZONE_KEY_BIT, `DNSKEY ${f.keyTag} of ${zone} has no Zone Key flag`, 3); continue; }
      const pk = publicKey(k);
      if (pk && verifyData(f.algorithm, pk, data, f.signature)) {
        const left = serialBefore(now32, f.expiration);
        return { ok: true, ttl: Math.max(0, Math.min(set.ttl, f.originalTtl, left)), labels: f.labels };
      }
    }
    fail(DnssecEde.DNSSEC_BOGUS, `the RRSIG over ${set.name} type ${set.type} by ${zone} key ${f.keyTag} does not verify`, 1);
  }
  return { ok: false, ede: failure!.ede, why: failure!.why };
}
