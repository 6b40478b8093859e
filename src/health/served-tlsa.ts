// The TLSA RRset of an https endpoint as this server serves it, for the health probes' DANE check
// (targets.ts): at `_<port>._tcp.<host>` in the served zones, CNAMEs followed within them (RFC 7671
// section 7), and only when every step is signed in what is served (aop's own --dnssec signing, or
// a zone that came signed). A validating client uses such a TLSA instead of WebPKI; an unsigned
// one it ignores, so the probe does the same and judges the endpoint as the clients will.

import { readName } from '../wire/name.js';
import { RRType } from '../wire/types.js';
import type { Zone } from '../zone/zone.js';
import { tlsaName } from '../mcp/tlsa-lookup.js';

/** CNAMEs followed from a TLSA name at most (as the hand-off's lookup, tlsa-lookup.ts). */
const MAX_CNAMES = 8;

/** Whether `zone` holds an RRSIG over `type` at `name`. */
function signedAt(zone: Zone, name: string, type: number): boolean {
  return zone.node(name)?.rrsets.get(RRType.RRSIG)?.rdata.some((r) => r.length >= 2 && r.readUInt16BE(0) === type) ?? false;
}

/**
 * The signed TLSA RDATA (hex) the served zones hold for `host`:`port`, or undefined (none, or some
 * step unsigned). `findServed(name)`: the served (signed, when signed) zone holding a name.
 */
export function servedTlsa(findServed: (name: string) => Zone | undefined, host: string, port: number): string[] | undefined {
  let name = tlsaName(host, port);
  for (let hop = 0; hop <= MAX_CNAMES; hop++) {
    const zone = findServed(name);
    const node = zone?.node(name);
    if (zone === undefined || node === undefined) return undefined;
    const tlsa = node.rrsets.get(RRType.TLSA);
    if (tlsa !== undefined && tlsa.rdata.length > 0) return signedAt(zone, name, RRType.TLSA) ? tlsa.rdata.map((r) => r.toString('hex')) : undefined;
    const cname = node.rrsets.get(RRType.CNAME)?.rdata[0];
    if (cname === undefined || !signedAt(zone, name, RRType.CNAME)) return undefined;
    name = readName(cname, 0).name;
  }
  return undefined;
}
