// What a key's timing fields (keys.ts, BIND's names) make of it at a moment: in the DNSKEY RRset
// (Publish..Delete), signing (Activate..Inactive), and with a CDS/CDNSKEY at the apex
// (SyncPublish..SyncDelete). As in BIND, a key with timing but no Publish or Activate is not
// used (`dnssec-keygen -G`); one with no timing at all (old key files) is used from the start.

import { isKsk, type DnssecKey } from './keys.js';
import { keyTag } from './keytag.js';

type Timed = Pick<DnssecKey, 'timing' | 'flags'>;

const NEVER = Number.POSITIVE_INFINITY;

function publishAt(k: Timed): number {
  const t = k.timing;
  if (t.Publish !== undefined) return t.Publish;
  if (t.Activate !== undefined) return t.Activate;
  return Object.keys(t).length === 0 ? 0 : NEVER;
}

export function isDeleted(k: Timed, now: number): boolean {
  return k.timing.Delete !== undefined && k.timing.Delete <= now;
}

/** In the DNSKEY RRset at `now`. */
export function isPublished(k: Timed, now: number): boolean {
  return publishAt(k) <= now && !isDeleted(k, now);
}

/** Signs at `now` (published, and between Activate and Inactive). */
export function isActive(k: Timed, now: number): boolean {
  const start = k.timing.Activate ?? publishAt(k);
  return isPublished(k, now) && start <= now && !(k.timing.Inactive !== undefined && k.timing.Inactive <= now);
}

/**
 * Has a CDS and CDNSKEY at the apex at `now` (RFC 7344): from SyncPublish to SyncDelete when
 * SyncPublish is set (a double-DS roll publishes the CDS of a key not yet in the DNSKEY RRset),
 * else while it is an active key-signing key.
 */
export function hasCds(k: Timed, now: number): boolean {
  if (isRevoked(k, now)) return false;
  if (k.timing.SyncDelete !== undefined && k.timing.SyncDelete <= now) return false;
  if (k.timing.SyncPublish !== undefined) return k.timing.SyncPublish <= now;
  return isKsk(k) && isActive(k, now);
}

/** DNSKEY flag bit 8 (RFC 5011 section 3): the key is revoked. */
export const REVOKE_FLAG = 0x0080;

/** Past its Revoke time (dnssec-settime -R): published with the REVOKE bit, self-signing (RFC 5011). */
export function isRevoked(k: Timed, now: number): boolean {
  return k.timing.Revoke !== undefined && k.timing.Revoke <= now;
}

/** The key as published at `now`: with the REVOKE bit set (and so a new key tag) once revoked. */
export function asPublished(k: DnssecKey, now: number): DnssecKey {
  if (!isRevoked(k, now) || (k.flags & REVOKE_FLAG) !== 0) return k;
  const dnskey = Buffer.from(k.dnskey);
  dnskey.writeUInt16BE(k.flags | REVOKE_FLAG, 0);
  return { ...k, flags: k.flags | REVOKE_FLAG, dnskey, tag: keyTag(dnskey) };
}
