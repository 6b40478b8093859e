// The update section (RFC 2136 3.4): prescan, then additions and deletions applied in order to a
// draft of the touched names, turned into one journal change (SOA serial raised once) and a new
// zone that must still pass validation. Anything wrong refuses the whole update; the zone is untouched.

import { checkRdata } from '../wire/rdata.js';
import { isInDomain, nameEquals, nameKey, parentName, readName } from '../wire/name.js';
import type { RR } from '../wire/rr.js';
import { RRClass, RRType, Rcode, isMetaType, typeToString } from '../wire/types.js';
import { applyChange, canonicalRdata, sameRdata, type Change } from '../zone/journal.js';
import { nextSerial, serialGreater } from '../zone/serial.js';
import { validateZone } from '../zone/validate.js';
import type { ZoneFault } from '../zone/errors.js';
import type { Zone } from '../zone/zone.js';
import type { Verdict } from './prereq.js';

/** Types that may share a name with a CNAME (RFC 2181 10.1, RFC 4035 2.5). */
const AT_CNAME = new Set<number>([RRType.RRSIG, RRType.NSEC, 25, 30]);

/** Undefined when every update record is well formed and inside the zone (RFC 2136 3.4.1). */
export function prescan(zone: Zone, updates: readonly RR[], zclass: number): Verdict | undefined {
  for (const rr of updates) {
    const what = `update ${rr.name} ${typeToString(rr.type)}`;
    if (!isInDomain(rr.name, zone.origin)) return { rcode: Rcode.NOTZONE, reason: `${what}: ${rr.name} is outside the zone ${zone.origin}` };
    if (rr.class === zclass) {
      if (isMetaType(rr.type)) return { rcode: Rcode.FORMERR, reason: `${what}: cannot add a meta type` };
      try {
        checkRdata(rr.type, rr.rdata);
      } catch (err) {
        return { rcode: Rcode.FORMERR, reason: `${what}: bad RDATA: ${(err as Error).message}` };
      }
    } else if (rr.class === RRClass.ANY) {
      if (rr.ttl !== 0 || rr.rdata.length !== 0) return { rcode: Rcode.FORMERR, reason: `${what}: a class ANY deletion has TTL 0 and no RDATA` };
      if (isMetaType(rr.type) && rr.type !== RRType.ANY) return { rcode: Rcode.FORMERR, reason: `${what}: cannot delete a meta type` };
    } else if (rr.class === RRClass.NONE) {
      if (rr.ttl !== 0) return { rcode: Rcode.FORMERR, reason: `${what}: a class NONE deletion has TTL 0` };
      if (isMetaType(rr.type)) return { rcode: Rcode.FORMERR, reason: `${what}: cannot delete a meta type` };
    } else {
      return { rcode: Rcode.FORMERR, reason: `${what}: class ${rr.class} is not the zone's, ANY or NONE` };
    }
  }
  return undefined;
}

interface DraftSet {
  name: string;
  type: number;
  class: number;
  ttl: number;
  rdata: Buffer[];
}

/** The touched names of the zone, copied on first touch. */
class Draft {
  readonly names = new Map<string, { name: string; sets: Map<number, DraftSet> }>();

  constructor(private readonly zone: Zone) {}

  at(name: string): Map<number, DraftSet> {
    const key = nameKey(name);
    let entry = this.names.get(key);
    if (!entry) {
      const node = this.zone.node(name);
      const sets = new Map<number, DraftSet>();
      for (const s of node?.rrsets.values() ?? []) sets.set(s.type, { name: s.name, type: s.type, class: s.class, ttl: s.ttl, rdata: [...s.rdata] });
      entry = { name: node?.name ?? name, sets };
      this.names.set(key, entry);
    }
    return entry.sets;
  }
}

export type UpdateOutcome =
  | { ok: false; verdict: Verdict }
  /** Applied; `change` undefined when the update changed nothing (then the serial stays). */
  | { ok: true; zone: Zone; change?: Change };

/**
 * Apply the update records, in order, to a copy of the zone. Refuses (REFUSED) what would break
 * the zone: removing its SOA or its last NS, CNAME beside other data, or anything validation rejects.
 */
export function applyUpdate(zone: Zone, updates: readonly RR[], zclass: number, now = Math.floor(Date.now() / 1000)): UpdateOutcome {
  const refuse = (reason: string): UpdateOutcome => ({ ok: false, verdict: { rcode: Rcode.REFUSED, reason } });
  const draft = new Draft(zone);
  const apex = (name: string): boolean => nameEquals(name, zone.origin);
  let explicitSerial: number | undefined;
  for (const rr of updates) {
    const what = `${rr.name} ${typeToString(rr.type)}`;
    const sets = draft.at(rr.name);
    if (rr.class === zclass) {
      if (rr.type === RRType.SOA) {
        if (!apex(rr.name)) return refuse(`${what}: an SOA belongs only at the zone apex ${zone.origin}`);
        const serial = rr.rdata.readUInt32BE(rr.rdata.length - 20);
        const current = sets.get(RRType.SOA)!;
        // RFC 2136 3.4.2.2: an SOA whose serial is not newer is ignored.
        if (!serialGreater(serial, current.rdata[0]!.readUInt32BE(current.rdata[0]!.length - 20))) continue;
        sets.set(RRType.SOA, { ...current, ttl: rr.ttl, rdata: [rr.rdata] });
        explicitSerial = serial;
        continue;
      }
      if (rr.type === RRType.CNAME) {
        const others = [...sets.keys()].filter((t) => t !== RRType.CNAME && !AT_CNAME.has(t));
        if (others.length > 0) return refuse(`${what}: ${rr.name} already has ${others.map(typeToString).join(', ')} records, a CNAME cannot join them (RFC 1034 3.6.2)`);
        sets.set(RRType.CNAME, { name: rr.name, type: rr.type, class: rr.class, ttl: rr.ttl, rdata: [rr.rdata] });
        continue;
      }
      if (sets.has(RRType.CNAME) && !AT_CNAME.has(rr.type)) return refuse(`${what}: ${rr.name} is a CNAME, other data cannot join it (RFC 1034 3.6.2)`);
      let set = sets.get(rr.type);
      if (!set) sets.set(rr.type, (set = { name: rr.name, type: rr.type, class: rr.class, ttl: rr.ttl, rdata: [] }));
      set.ttl = rr.ttl; // one TTL per RRset (RFC 2181 5.2): the newest wins, as in BIND
      if (!set.rdata.some((d) => sameRdata(rr.type, d, rr.rdata))) set.rdata.push(rr.rdata);
    } else if (rr.class === RRClass.ANY) {
      if (rr.type === RRType.ANY) {
        for (const t of [...sets.keys()]) if (!(apex(rr.name) && (t === RRType.SOA || t === RRType.NS))) sets.delete(t);
      } else {
        if (apex(rr.name) && rr.type === RRType.SOA) return refuse(`${what}: deleting the zone's SOA is not allowed`);
        if (apex(rr.name) && rr.type === RRType.NS) return refuse(`${what}: deleting all of the zone's NS records is not allowed`);
        sets.delete(rr.type);
      }
    } else {
      if (rr.type === RRType.SOA) return refuse(`${what}: deleting the zone's SOA is not allowed`);
      const set = sets.get(rr.type);
      if (!set) continue;
      const rest = set.rdata.filter((d) => !sameRdata(rr.type, d, rr.rdata));
      if (apex(rr.name) && rr.type === RRType.NS && rest.length === 0) return refuse(`${what}: deleting the zone's last NS record is not allowed`);
      if (rest.length === 0) sets.delete(rr.type);
      else set.rdata = rest;
    }
  }
  const change = diff(zone, draft, explicitSerial, now);
  if (!change) return { ok: true, zone };
  const next = applyChange(zone, change);
  const faults = validateChange(zone, next, change);
  if (faults.length > 0) return refuse(`the zone would not be valid: ${faults.slice(0, 3).map((f) => f.message).join('; ')}`);
  return { ok: true, zone: next, change };
}

/** The change from the zone to the draft, with the SOA serial raised once; undefined when nothing differs. */
function diff(zone: Zone, draft: Draft, explicitSerial: number | undefined, now: number): Change | undefined {
  const deleted: RR[] = [];
  const added: RR[] = [];
  // Records compared by TTL and canonical RDATA through a set: a touched RRset of thousands (the
  // organisation index) costs its size, not its size squared.
  const keyOf = (type: number, ttl: number, rdata: Buffer): string => `${ttl}|${canonicalRdata(type, rdata).toString('latin1')}`;
  const keysOf = (rrs: readonly { ttl: number; rdata: Buffer }[], type: number): Set<string> => new Set(rrs.map((o) => keyOf(type, o.ttl, o.rdata)));
  let compared = 0;
  for (const [key, entry] of draft.names) {
    const before = zone.nodeByKey(key)?.rrsets ?? new Map();
    const types = new Set<number>([...before.keys(), ...entry.sets.keys()]);
    for (const type of types) {
      if (type === RRType.SOA && nameKey(zone.origin) === key) continue;
      const old = before.get(type);
      const now_ = entry.sets.get(type);
      const oldRRs = old ? old.rdata.map((rdata: Buffer) => ({ name: old.name, type, class: old.class, ttl: old.ttl, rdata })) : [];
      const newRRs = now_ ? now_.rdata.map((rdata) => ({ name: now_.name, type, class: now_.class, ttl: now_.ttl, rdata })) : [];
      const oldKeys = keysOf(oldRRs, type);
      const newKeys = keysOf(newRRs, type);
      for (const rr of oldRRs) if (!newKeys.has(keyOf(type, rr.ttl, rr.rdata))) deleted.push(rr);
      for (const rr of newRRs) if (!oldKeys.has(keyOf(type, rr.ttl, rr.rdata))) added.push(rr);
      compared += 2 * (oldRRs.length + newRRs.length);
    }
  }
  updateWork.recordsCompared += compared;
  if (deleted.length === 0 && added.length === 0 && explicitSerial === undefined) return undefined;
  const oldSoa = zone.soa;
  const draftSoa = draft.at(zone.origin).get(RRType.SOA)!;
  const from = zone.serial;
  const to = nextSerial(from, explicitSerial);
  const rdata = Buffer.from(draftSoa.rdata[0]!);
  rdata.writeUInt32BE(to, rdata.length - 20);
  return {
    from, to, time: now,
    deleted: [{ name: oldSoa.name, type: RRType.SOA, class: oldSoa.class, ttl: oldSoa.ttl, rdata: oldSoa.rdata[0]! }, ...deleted],
    added: [{ name: oldSoa.name, type: RRType.SOA, class: oldSoa.class, ttl: draftSoa.ttl, rdata }, ...added],
  };
}

/**
 * Work of the UPDATE path, for tests of its cost: whole-zone validations (validateChange's
 * fallback), records validated, records keyed to diff the touched RRsets, and agent checks of
 * every agent (src/update/handler.ts: a name left without an address).
 */
export const updateWork = { fullValidations: 0, recordsValidated: 0, recordsCompared: 0, wholeAgentChecks: 0 };

/**
 * validateZone's verdict on the changed zone, from the records the change can affect: every rule
 * is about a name, its ancestors (below a delegation or DNAME) and the name servers of the apex
 * and the delegations. So the records checked are those at the changed names and their
 * ancestors, the NS RRsets of the apex and of every delegation, and what is at their in-zone
 * targets; of other RRsets, two records stand for all (the rules look at types, and at
 * "more than one"). The zone before the change was valid, so a fault here is the change's.
 * A new delegation or DNAME can occlude what is below it: then the whole zone is validated.
 */
export function validateChange(before: Zone, next: Zone, change: Change): ZoneFault[] {
  const origin = next.origin;
  const asSourced = (rr: RR) => ({ ...rr, file: '<update>', line: 0, col: 0 });
  const whole = change.added.some((rr) => rr.type === RRType.DNAME || (rr.type === RRType.NS && !nameEquals(rr.name, origin) && !before.isCut(nameKey(rr.name))));
  if (whole) {
    updateWork.fullValidations++;
    const all = [...next.records()].map(asSourced);
    updateWork.recordsValidated += all.length;
    return validateZone(origin, all, '<update>');
  }
  const keys = new Set<string>([nameKey(origin)]);
  const target = (rdata: Buffer): void => {
    try {
      const t = readName(rdata, 0).name;
      if (isInDomain(t, origin)) keys.add(nameKey(t));
    } catch {
      // not a name: the RDATA check refused it already
    }
  };
  for (const rr of [...change.deleted.slice(1), ...change.added.slice(1)]) {
    keys.add(nameKey(rr.name));
    for (let p = parentName(rr.name); p !== undefined && isInDomain(p, origin); p = parentName(p)) {
      keys.add(nameKey(p));
      if (nameEquals(p, origin)) break;
    }
    if (rr.type === RRType.NS) target(rr.rdata);
  }
  const nsOwners = [nameKey(origin), ...next.delegations()];
  for (const k of nsOwners) {
    keys.add(k);
    for (const d of next.nodeByKey(k)?.rrsets.get(RRType.NS)?.rdata ?? []) target(d);
  }
  const records: ReturnType<typeof asSourced>[] = [];
  for (const k of keys) {
    const node = next.nodeByKey(k);
    if (!node) continue;
    for (const set of node.rrsets.values()) {
      const rdata = set.type === RRType.NS ? set.rdata : set.rdata.slice(0, 2);
      for (const d of rdata) records.push(asSourced({ name: set.name, type: set.type, class: set.class, ttl: set.ttl, rdata: d }));
    }
  }
  updateWork.recordsValidated += records.length;
  return validateZone(origin, records, '<update>');
}
