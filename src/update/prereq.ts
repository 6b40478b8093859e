// UPDATE prerequisites (RFC 2136 3.2): RRset or name must, or must not, exist; or an RRset must
// hold exactly the given records. Checked against the zone as it is before the update.

import { isInDomain, nameKey } from '../wire/name.js';
import type { RR } from '../wire/rr.js';
import { RRClass, RRType, Rcode, isMetaType, typeToString } from '../wire/types.js';
import { sameRdata } from '../zone/journal.js';
import type { Zone } from '../zone/zone.js';

/** A refusal: the RCODE to answer and why, for the log. */
export interface Verdict {
  rcode: number;
  reason: string;
}

function inUse(zone: Zone, name: string): boolean {
  const node = zone.node(name);
  return node !== undefined && node.rrsets.size > 0;
}

/** Undefined when every prerequisite holds, else the first failure (RFC 2136 3.2.1-3.2.5). */
export function checkPrerequisites(zone: Zone, prereqs: readonly RR[], zclass: number): Verdict | undefined {
  const wanted = new Map<string, { name: string; type: number; rdata: Buffer[] }>();
  for (const rr of prereqs) {
    const what = `prerequisite ${rr.name} ${typeToString(rr.type)}`;
    if (rr.ttl !== 0) return { rcode: Rcode.FORMERR, reason: `${what}: TTL must be 0` };
    if (!isInDomain(rr.name, zone.origin)) return { rcode: Rcode.NOTZONE, reason: `${what}: ${rr.name} is outside the zone ${zone.origin}` };
    if (rr.class === RRClass.ANY) {
      if (rr.rdata.length !== 0) return { rcode: Rcode.FORMERR, reason: `${what}: class ANY takes no RDATA` };
      if (rr.type === RRType.ANY) {
        if (!inUse(zone, rr.name)) return { rcode: Rcode.NXDOMAIN, reason: `${what}: name ${rr.name} is not in use` };
      } else if (isMetaType(rr.type)) {
        return { rcode: Rcode.FORMERR, reason: `${what}: not a data type` };
      } else if (!zone.rrset(rr.name, rr.type)) {
        return { rcode: Rcode.NXRRSET, reason: `${what}: no such RRset` };
      }
    } else if (rr.class === RRClass.NONE) {
      if (rr.rdata.length !== 0) return { rcode: Rcode.FORMERR, reason: `${what}: class NONE takes no RDATA` };
      if (rr.type === RRType.ANY) {
        if (inUse(zone, rr.name)) return { rcode: Rcode.YXDOMAIN, reason: `${what}: name ${rr.name} is in use` };
      } else if (isMetaType(rr.type)) {
        return { rcode: Rcode.FORMERR, reason: `${what}: not a data type` };
      } else if (zone.rrset(rr.name, rr.type)) {
        return { rcode: Rcode.YXRRSET, reason: `${what}: the RRset exists` };
      }
    } else if (rr.class === zclass) {
      if (isMetaType(rr.type)) return { rcode: Rcode.FORMERR, reason: `${what}: not a data type` };
      const key = `${nameKey(rr.name)}|${rr.type}`;
      let set = wanted.get(key);
      if (!set) wanted.set(key, (set = { name: rr.name, type: rr.type, rdata: [] }));
      if (!set.rdata.some((d) => sameRdata(rr.type, d, rr.rdata))) set.rdata.push(rr.rdata);
    } else {
      return { rcode: Rcode.FORMERR, reason: `${what}: class ${rr.class} is not the zone's, ANY or NONE` };
    }
  }
  // Value-dependent: the RRset must hold exactly these records, TTL aside (3.2.3).
  for (const want of wanted.values()) {
    const have = zone.rrset(want.name, want.type);
    const same = have !== undefined && have.rdata.length === want.rdata.length
      && want.rdata.every((d) => have.rdata.some((h) => sameRdata(want.type, h, d)));
    if (!same) return { rcode: Rcode.NXRRSET, reason: `prerequisite ${want.name} ${typeToString(want.type)}: the RRset does not hold exactly the ${want.rdata.length} given record(s)` };
  }
  return undefined;
}
