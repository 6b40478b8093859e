// The parental agent (RFC 7344 section 4.1, RFC 8078): what a child zone's CDS/CDNSKEY ask of
// its parent's DS set, accepted only when the chain the parent holds now vouches for it. The
// child's DNSKEY RRset must be signed by a key the current DS names, the CDS (or CDNSKEY)
// RRset by such a key too, and the DS set asked for must keep the delegation working: one of its
// DS names a key that is in the DNSKEY RRset and signs it. The CDS delete signal (`0 0 0 00`,
// RFC 8078 section 4) is not acted on: the child then stays as it is, and the log says why.

import { dsFromDnskey, dsMatches, supportedDigest } from '../dnssec/ds.js';
import { keysThatSigned } from '../dnssec/rrsig.js';
import { query, type Server } from '../transport/exchange.js';
import type { RR } from '../wire/rr.js';
import { nameEquals, nameKey, readName } from '../wire/name.js';
import type { Zone } from '../zone/zone.js';
import type { Logger } from '../base/log.js';
import { Rcode, RRType } from '../wire/types.js';

export type CdsVerdict =
  | { change: Buffer[]; why: string }
  | { change?: undefined; why: string };

interface Fetched {
  rdata: Buffer[];
  sigs: Buffer[];
}

async function fetchSet(servers: readonly Server[], name: string, type: number, timeout: number): Promise<Fetched | string> {
  let last = 'no servers';
  for (const s of servers) {
    try {
      const r = await query(s, { name, type, class: 1 }, { rd: false, edns: { udpSize: 1232, dnssecOk: true }, timeout });
      if (r.message.rcode !== Rcode.NOERROR) { last = `${s.address}: rcode ${r.message.rcode}`; continue; }
      if (!r.message.aa) { last = `${s.address}: not authoritative for ${name}`; continue; }
      const at = (rr: RR) => nameEquals(rr.name, name);
      return {
        rdata: r.message.answers.filter((rr) => at(rr) && rr.type === type).map((rr) => rr.rdata),
        sigs: r.message.answers.filter((rr) => at(rr) && rr.type === RRType.RRSIG && rr.rdata.length >= 2 && rr.rdata.readUInt16BE(0) === type).map((rr) => rr.rdata),
      };
    } catch (err) {
      last = `${s.address}: ${(err as Error).message}`;
    }
  }
  return last;
}

const sameSet = (a: readonly Buffer[], b: readonly Buffer[]): boolean =>
  a.length === b.length && a.every((x) => b.some((y) => y.equals(x))) && b.every((y) => a.some((x) => x.equals(y)));

/** What the child asks for and whether it may have it, judged at `now` against `currentDs`. */
export async function scanChild(child: string, currentDs: readonly Buffer[], servers: readonly Server[], now: number, timeout = 1500): Promise<CdsVerdict> {
  if (currentDs.length === 0) return { why: 'no DS yet: an insecure delegation is not taken secure from its CDS (RFC 8078 bootstrapping is not done)' };
  const dnskey = await fetchSet(servers, child, RRType.DNSKEY, timeout);
  if (typeof dnskey === 'string') return { why: `no DNSKEY RRset: ${dnskey}` };
  const set = (type: number, rdata: Buffer[]) => ({ name: child, type, class: 1, rdata });
  const named = dnskey.rdata.filter((k) => currentDs.some((d) => dsMatches(child, d, k)));
  const trusted = keysThatSigned(set(RRType.DNSKEY, dnskey.rdata), dnskey.sigs, named, child, now);
  if (trusted.length === 0) return { why: 'the DNSKEY RRset is not signed by a key the current DS names' };
  const cds = await fetchSet(servers, child, RRType.CDS, timeout);
  const cdnskey = await fetchSet(servers, child, RRType.CDNSKEY, timeout);
  let wanted: Buffer[] = [];
  for (const [what, got, type] of [['CDS', cds, RRType.CDS], ['CDNSKEY', cdnskey, RRType.CDNSKEY]] as const) {
    if (typeof got === 'string' || got.rdata.length === 0) continue;
    if (keysThatSigned(set(type, got.rdata), got.sigs, trusted, child, now).length === 0) return { why: `the ${what} RRset is not signed by a key of the current DS chain` };
    if (got.rdata.some((r) => (type === RRType.CDS ? r.length >= 4 && r[2] === 0 : r.length >= 4 && r[3] === 0))) return { why: `${what} delete signal (RFC 8078) not acted on` };
    // The CDS says the DS exactly; a CDNSKEY alone is made into DS digest type 2.
    if (wanted.length === 0) wanted = type === RRType.CDS ? got.rdata.filter((r) => r.length > 4 && supportedDigest(r[3]!)) : got.rdata.map((k) => dsFromDnskey(child, k, 2));
  }
  if (wanted.length === 0) return { why: 'no CDS or CDNSKEY published' };
  const signing = keysThatSigned(set(RRType.DNSKEY, dnskey.rdata), dnskey.sigs, dnskey.rdata, child, now);
  if (!wanted.some((d) => signing.some((k) => dsMatches(child, d, k)))) return { why: 'the DS set the CDS asks for names no key that signs the DNSKEY RRset (it would break the delegation)' };
  if (sameSet(wanted, currentDs)) return { why: 'the DS set is what the CDS asks for' };
  return { change: wanted, why: `CDS accepted: DS ${wanted.map((d) => d.readUInt16BE(0)).join(',')} (was ${currentDs.map((d) => d.readUInt16BE(0)).join(',')})` };
}

/** The addresses of a delegation's name servers from the parent's glue (in-bailiwick NS only). */
export function glueServers(zone: Zone, cut: string, port: number): Server[] {
  const out: Server[] = [];
  for (const ns of zone.nodeByKey(nameKey(cut))?.rrsets.get(RRType.NS)?.rdata ?? []) {
    const target = nameKey(readName(ns, 0).name);
    const node = zone.nodeByKey(target);
    for (const a of node?.rrsets.get(RRType.A)?.rdata ?? []) out.push({ address: [...a].join('.'), port });
    for (const a of node?.rrsets.get(RRType.AAAA)?.rdata ?? []) out.push({ address: ipv6Text(a), port });
  }
  return out;
}

function ipv6Text(b: Buffer): string {
  const parts: string[] = [];
  for (let i = 0; i < 16; i += 2) parts.push(b.readUInt16BE(i).toString(16));
  return parts.join(':');
}

/**
 * One scan of the delegations of `zone` (a zone signed here) to children not served here that
 * are secure now (a DS at the cut, from the zone or adopted before): each accepted CDS is handed
 * to `adopt`, which makes it the parent's DS set.
 */
export async function scanDelegations(
  zone: Zone, o: { now: number; port: number; currentDs: (cut: string) => Buffer[]; servedHere: (origin: string) => boolean; adopt: (cut: string, ds: Buffer[], ttl: number) => void; log: Logger; timeout?: number },
): Promise<number> {
  let changed = 0;
  for (const cutKey of zone.delegations()) {
    const cut = zone.nodeByKey(cutKey);
    if (!cut || o.servedHere(cut.name)) continue;
    const current = o.currentDs(cut.name);
    if (current.length === 0) continue;
    const servers = glueServers(zone, cut.name, o.port);
    if (servers.length === 0) {
      o.log.debug(`zone ${zone.origin}: CDS of ${cut.name} not scanned: no glue addresses for its name servers`);
      continue;
    }
    const v = await scanChild(cut.name, current, servers, o.now, o.timeout);
    if (v.change) {
      o.adopt(cut.name, v.change, cut.rrsets.get(RRType.NS)?.ttl ?? zone.soa.ttl);
      o.log.info(`zone ${zone.origin}: DS of ${cut.name} updated from its CDS: ${v.why}`);
      changed++;
    } else o.log.debug(`zone ${zone.origin}: DS of ${cut.name} unchanged: ${v.why}`);
  }
  return changed;
}
