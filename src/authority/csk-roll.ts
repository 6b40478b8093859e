// Automated rollover of a combined signing key (CSK, flags 257 signing everything), the two
// roles each timed as RFC 7583 times them: pre-publication (section 3.2.1) for the
// zone-signing role, and double-KSK (section 3.3.1: the DNSKEY RRset signed by both keys, then
// the DS swapped at the parent) for the key-signing role. One step per call on the daemon's
// clock, its state in the key files' BIND timing fields, with the same parent model as the KSK
// roll (ksk-roll.ts):
//
//   1. the active CSK has signed for `lifetime`: a successor is made and published at once
//      (Publish now), to sign from Activate = now + the DNSKEY TTL, once every cached DNSKEY
//      RRset holds it. At Activate its CDS/CDNSKEY replace the old key's (SyncPublish of the
//      new key, SyncDelete of the old): the parent is asked for a DS swap;
//   2. from Activate the new key signs the zone's data alone and the DNSKEY RRset with the old
//      one (signer.ts selectKeys), so a validator holding either DS builds a chain. Once the
//      parent's DS set holds the new key's DS, DSPublish is set and the old key is timed out:
//      it stops signing a DS TTL later (Inactive), when no cache holds a DS set without the new
//      key, and leaves the DNSKEY RRset when its last signatures over data have left caches too
//      (Delete, at the latest of Inactive and the new key's Activate + the zone's longest TTL);
//   3. the parent's DS set has lost the old key's DS: DSRemoved is set; the roll is over.

import { dsMatches } from '../dnssec/ds.js';
import { isActive, isDeleted } from '../dnssec/key-timing.js';
import { isKsk, KSK_FLAGS, type DnssecKey } from '../dnssec/keys.js';
import type { KskRollStep, ParentDs } from './ksk-roll.js';

const at = (sec: number): string => new Date(sec * 1000).toISOString();

/**
 * One step of the roll for the keys `all` of `origin`, when they are combined keys only (no
 * ZSK). `parent` is undefined when the parent's DS set is not known (yet): nothing then waits on
 * it moves. `maxTtl` is the zone's longest TTL.
 */
export function cskRollStep(
  origin: string, all: DnssecKey[], now: number,
  opts: { lifetime: number; dnskeyTtl: number; maxTtl: number; parent?: ParentDs; make: (flags: number) => DnssecKey },
): KskRollStep {
  const csks = all.filter((k) => !isDeleted(k, now));
  if (csks.length === 0 || !all.every(isKsk)) return { changed: [] };
  const inDs = (k: DnssecKey): boolean => opts.parent?.ds.some((d) => dsMatches(origin, d, k.dnskey)) ?? false;

  // Step 3: an old key timed out; the roll ends when the parent has dropped its DS.
  for (const old of all.filter((k) => k.timing.Inactive !== undefined && k.timing.DSRemoved === undefined && k.timing.SyncDelete !== undefined)) {
    if (opts.parent === undefined || inDs(old) || old.timing.SyncDelete! > now) continue;
    old.timing = { ...old.timing, DSRemoved: now };
    return { changed: [old], said: `CSK ${old.tag}: its DS has left the parent; the roll is over (the key leaves the DNSKEY RRset at ${at(old.timing.Delete ?? now)})` };
  }

  // Step 2: a successor signing, its CDS asking for the swap; waits for its DS at the parent.
  const successor = csks.find((k) => k.timing.SyncPublish !== undefined && k.timing.DSPublish === undefined && k.timing.Activate !== undefined
    && csks.some((o) => o !== k && o.timing.SyncDelete === k.timing.SyncPublish && o.timing.Inactive === undefined));
  if (successor) {
    if (!isActive(successor, now) || !opts.parent || !inDs(successor)) return { changed: [] };
    const old = csks.filter((o) => o !== successor && o.timing.SyncDelete === successor.timing.SyncPublish && o.timing.Inactive === undefined);
    const inactive = now + opts.parent.ttl;
    const remove = Math.max(inactive, successor.timing.Activate! + opts.maxTtl);
    successor.timing = { ...successor.timing, DSPublish: now };
    for (const o of old) o.timing = { ...o.timing, Inactive: inactive, Delete: remove };
    return {
      changed: [successor, ...old],
      said: `CSK ${successor.tag}: its DS is at the parent (DS TTL ${opts.parent.ttl}); ${old.map((k) => k.tag).join(',')} stops signing at ${at(inactive)} and leaves the DNSKEY RRset at ${at(remove)}`,
    };
  }

  // Step 1: the one active CSK has had its time, and no other key is on its way in.
  const active = csks.filter((k) => isActive(k, now));
  if (active.length !== 1 || csks.some((k) => (k.timing.Publish ?? k.timing.Activate ?? 0) > now)) return { changed: [] };
  const cur = active[0]!;
  const since = cur.timing.Activate ?? cur.timing.Publish ?? cur.timing.Created ?? now;
  if (cur.timing.Inactive !== undefined || now - since < opts.lifetime) return { changed: [] };
  // Not begun while the parent's DS set is unknown: the roll could not finish.
  if (opts.parent === undefined) return { changed: [], waiting: `CSK ${cur.tag} is due to roll, but the parent's DS set is not known (no parent served here, no --dnssec-parental-agent answered)` };
  const next = opts.make(KSK_FLAGS);
  const swap = now + opts.dnskeyTtl;
  next.timing = { Created: now, Publish: now, Activate: swap, SyncPublish: swap };
  cur.timing = { ...cur.timing, SyncDelete: swap };
  return {
    changed: [next, cur], made: next,
    said: `CSK roll: made CSK ${next.tag} to replace ${cur.tag}: published now, signing and asking the parent for its DS (CDS swap) at ${at(swap)}`,
  };
}
