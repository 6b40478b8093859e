// DS from a DNSKEY (RFC 4034 section 5.1.4): digest over the canonical owner name and the
// DNSKEY RDATA; SHA-256 (digest type 2, RFC 4509) and SHA-384 (4, RFC 6605). SHA-1 (1) is
// computed for checking old DS records only (RFC 8624: MUST NOT be published).

import { createHash } from 'node:crypto';
import { canonicalNameWire } from './canonical.js';
import { keyTag } from './keytag.js';

const HASHES = new Map<number, string>([[1, 'sha1'], [2, 'sha256'], [4, 'sha384']]);

export function supportedDigest(digestType: number): boolean {
  return HASHES.has(digestType);
}

/** The digest of a DS, or undefined for a digest type we do not implement. */
export function dsDigest(owner: string, dnskeyRdata: Buffer, digestType: number): Buffer | undefined {
  const alg = HASHES.get(digestType);
  if (alg === undefined) return undefined;
  return createHash(alg).update(canonicalNameWire(owner)).update(dnskeyRdata).digest();
}

/** DS RDATA for a DNSKEY (digest type 2 unless told). */
export function dsFromDnskey(owner: string, dnskeyRdata: Buffer, digestType = 2): Buffer {
  const digest = dsDigest(owner, dnskeyRdata, digestType);
  if (digest === undefined) throw new RangeError(`DS digest type ${digestType} is not supported`);
  const head = Buffer.alloc(4);
  head.writeUInt16BE(keyTag(dnskeyRdata), 0);
  head[2] = dnskeyRdata[3]!;
  head[3] = digestType;
  return Buffer.concat([head, digest]);
}

/** Whether a DS RDATA matches a DNSKEY at `owner` (tag, algorithm and digest). */
export function dsMatches(owner: string, dsRdata: Buffer, dnskeyRdata: Buffer): boolean {
  if (dsRdata.length < 5 || dnskeyRdata.length < 4) return false;
  if (dsRdata.readUInt16BE(0) !== keyTag(dnskeyRdata) || dsRdata[2] !== dnskeyRdata[3]) return false;
  const digest = dsDigest(owner, dnskeyRdata, dsRdata[3]!);
  return digest !== undefined && digest.equals(dsRdata.subarray(4));
}
