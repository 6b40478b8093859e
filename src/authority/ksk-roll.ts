// Automated KSK rollover by the double-DS method (RFC 7583 section 3.3.2), one step per call on
// the daemon's clock, its state in the key files' BIND timing fields:
//
//   1. the active KSK has signed for `lifetime`: a successor is made with Created and
//      SyncPublish only. It is not in the DNSKEY RRset yet, but its CDS/CDNSKEY are, beside the
//      old key's (the CDS RRset now asks for both DS records, RFC 7344);
//   2. the parent's DS set holds the successor's DS: DSPublish is set, and the switch is timed
//      for when that DS set's TTL has run out of caches (Publish/Activate of the new key,
//      Inactive/Delete of the old); the old key's CDS stays a DNSKEY TTL longer, so its DS is
//      not asked away while the old DNSKEY RRset may still be cached;
//   3. the parent's DS set has lost the old key's DS: DSRemoved is set; the roll is over.
//
// The timing fields do the rest (key-timing.ts): the signer follows them, so a restart, or BIND
// reading the folder, continues the roll where it was.

import { dsMatches } from '../dnssec/ds.js';
import { isActive, isDeleted } from '../dnssec/key-timing.js';
import { isKsk, KSK_FLAGS, type DnssecKey } from '../dnssec/keys.js';

/** The DS RRset the parent publishes for the zone now, as seen by a query or in a zone served here. */
export interface ParentDs {
  ds: Buffer[];
  ttl: number;
}

export interface KskRollStep {
  /** Keys whose timing changed (to write back), and the new key when one was made. */
  changed: DnssecKey[];
  made?: DnssecKey;
  /** What happened, for the log. */
  said?: string;
  /** Why a roll that is due does not begin (logged once). */
  waiting?: string;
}

const at = (sec: number): string => new Date(sec * 1000).toISOString();

/**
 * One step of the roll for the keys `all` of `origin` (a KSK/ZSK split). `parent` is undefined
 * when the parent's DS set is not known (yet): nothing then waits on it moves.
 */
export function kskRollStep(
  origin: string, all: DnssecKey[], now: number, opts: { lifetime: number; dnskeyTtl: number; parent?: ParentDs; make: (flags: number) => DnssecKey },
): KskRollStep {
  const ksks = all.filter((k) => isKsk(k) && !isDeleted(k, now));
  if (ksks.length === 0 || all.every((k) => isKsk(k))) return { changed: [] }; // combined keys are not rolled here
  const inDs = (k: DnssecKey): boolean => opts.parent?.ds.some((d) => dsMatches(origin, d, k.dnskey)) ?? false;

  // Step 3: an old KSK out of signing, its CDS gone; the roll ends when the parent drops its DS.
  for (const old of all.filter((k) => isKsk(k) && k.timing.Inactive !== undefined && k.timing.DSRemoved === undefined && k.timing.SyncDelete !== undefined)) {
    if (old.timing.SyncDelete! > now || opts.parent === undefined || inDs(old)) continue;
    old.timing = { ...old.timing, DSRemoved: now };
    return { changed: [old], said: `KSK ${old.tag}: its DS has left the parent; the roll is over` };
  }

  // Step 2: a successor waiting for its DS at the parent.
  const waiting = ksks.find((k) => k.timing.Publish === undefined && k.timing.Activate === undefined && k.timing.SyncPublish !== undefined);
  if (waiting) {
    if (!opts.parent || !inDs(waiting)) return { changed: [] };
    const old = ksks.filter((k) => k !== waiting && isActive(k, now));
    const swap = now + opts.parent.ttl;
    waiting.timing = { ...waiting.timing, DSPublish: now, Publish: swap, Activate: swap };
    for (const o of old) o.timing = { ...o.timing, Inactive: swap, Delete: swap, SyncDelete: swap + opts.dnskeyTtl };
    return {
      changed: [waiting, ...old],
      said: `KSK ${waiting.tag}: its DS is at the parent (DS TTL ${opts.parent.ttl}); it replaces ${old.map((k) => k.tag).join(',')} at ${at(swap)}, whose CDS goes at ${at(swap + opts.dnskeyTtl)}`,
    };
  }

  // Step 1: the one active KSK has had its time.
  const active = ksks.filter((k) => isActive(k, now));
  if (active.length !== 1 || ksks.some((k) => (k.timing.Publish ?? k.timing.Activate ?? 0) > now)) return { changed: [] };
  const cur = active[0]!;
  const since = cur.timing.Activate ?? cur.timing.Publish ?? cur.timing.Created ?? now;
  if (cur.timing.Inactive !== undefined || now - since < opts.lifetime) return { changed: [] };
  const next = opts.make(KSK_FLAGS);
  next.timing = { Created: now, SyncPublish: now };
  // The old key's CDS made explicit, so it outlives the key's time in the DNSKEY RRset.
  cur.timing = { ...cur.timing, SyncPublish: cur.timing.SyncPublish ?? Math.min(since, now) };
  return { changed: [next, cur], made: next, said: `KSK roll (double-DS): made KSK ${next.tag} to replace ${cur.tag}; CDS/CDNSKEY of both published, waiting for the parent's DS of ${next.tag}` };
}
