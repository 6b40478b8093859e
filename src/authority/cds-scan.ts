// The parental agent (RFC 7344 section 4.1, RFC 8078): what a child zone's CDS/CDNSKEY ask of
// its parent's DS set, accepted only when the chain the parent holds now vouches for it. The
// child's DNSKEY RRset must be signed by a key the current DS names, the CDS (or CDNSKEY)
// RRset by such a key too, and the DS set asked for must keep the delegation working: one of its
// DS names a key that is in the DNSKEY RRset and signs it. The CDS delete signal (`0 0 0 00`,
// RFC 8078 section 4) is not acted on: the child then stays as it is, and the log says why.

import { dsMatches } from '../dnssec/ds.js';
import { keysThatSigned } from '../dnssec/rrsig.js';
import type { Server } from '../transport/exchange.js';
import { nameKey, readName } from '../wire/name.js';
import type { Zone } from '../zone/zone.js';
import type { Logger } from '../base/log.js';
import { RRType } from '../wire/types.js';
import { askedDs, fetchSet, type FetchOptions } from './cds-read.js';
import { bootstrapChild, type BootstrapWatch } from './cds-bootstrap.js';

/** A change of the DS set (empty: removed, by the delete signal), or why there is none. */
export type CdsVerdict =
  | { change: Buffer[]; why: string }
  | { change?: undefined; why: string };

const sameSet = (a: readonly Buffer[], b: readonly Buffer[]): boolean =>
  a.length === b.length && a.every((x) => b.some((y) => y.equals(x))) && b.every((y) => a.some((x) => x.equals(y)));

/** What the child asks for and whether it may have it, judged at `now` against `currentDs`. */
export async function scanChild(child: string, currentDs: readonly Buffer[], servers: readonly Server[], now: number, ask: FetchOptions = {}): Promise<CdsVerdict> {
  if (currentDs.length === 0) return { why: 'no DS yet: an insecure delegation is taken secure only by the RFC 8078 bootstrap (--dnssec-cds-bootstrap)' };
  const dnskey = await fetchSet(servers, child, RRType.DNSKEY, ask);
  if (typeof dnskey === 'string') return { why: `no DNSKEY RRset: ${dnskey}` };
  const set = (type: number, rdata: Buffer[]) => ({ name: child, type, class: 1, rdata });
  const named = dnskey.rdata.filter((k) => currentDs.some((d) => dsMatches(child, d, k)));
  const trusted = keysThatSigned(set(RRType.DNSKEY, dnskey.rdata), dnskey.sigs, named, child, now);
  if (trusted.length === 0) return { why: 'the DNSKEY RRset is not signed by a key the current DS names' };
  const cds = await fetchSet(servers, child, RRType.CDS, ask);
  const cdnskey = await fetchSet(servers, child, RRType.CDNSKEY, ask);
  for (const [what, got, type] of [['CDS', cds, RRType.CDS], ['CDNSKEY', cdnskey, RRType.CDNSKEY]] as const) {
    if (typeof got === 'string' || got.rdata.length === 0) continue;
    if (keysThatSigned(set(type, got.rdata), got.sigs, trusted, child, now).length === 0) return { why: `the ${what} RRset is not signed by a key of the current DS chain` };
  }
  const asked = askedDs(child, typeof cds === 'string' ? [] : cds.rdata, typeof cdnskey === 'string' ? [] : cdnskey.rdata);
  if ('fault' in asked) return { why: asked.fault };
  if ('none' in asked) return { why: 'no CDS or CDNSKEY published' };
  if ('delete' in asked) return { change: [], why: 'CDS delete signal (RFC 8078 section 4), signed through the current DS chain: the DS set is removed, the delegation is now insecure' };
  const wanted = asked.ds;
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

/** The name servers of a delegation with no address in the parent's glue (out of bailiwick, or missing). */
export function unglued(zone: Zone, cut: string): string[] {
  const out: string[] = [];
  for (const ns of zone.nodeByKey(nameKey(cut))?.rrsets.get(RRType.NS)?.rdata ?? []) {
    const node = zone.nodeByKey(nameKey(readName(ns, 0).name));
    if (!node?.rrsets.has(RRType.A) && !node?.rrsets.has(RRType.AAAA)) out.push(readName(ns, 0).name);
  }
  return out;
}

function ipv6Text(b: Buffer): string {
  const parts: string[] = [];
  for (let i = 0; i < 16; i += 2) parts.push(b.readUInt16BE(i).toString(16));
  return parts.join(':');
}

/**
 * One scan of the delegations of `zone` (a zone signed here) to children not served here: each
 * secure one (a DS at the cut, from the zone or adopted before) has its CDS checked through the
 * current chain (scanChild); each insecure one, with `bootstrap`, is watched for a consistent
 * CDS (cds-bootstrap.ts). An accepted DS set (empty for the delete signal) goes to `adopt`,
 * which makes it the parent's DS set.
 */
export async function scanDelegations(
  zone: Zone,
  o: { now: number; port: number; currentDs: (cut: string) => Buffer[]; servedHere: (origin: string) => boolean; adopt: (cut: string, ds: Buffer[], ttl: number) => void; log: Logger; ask?: FetchOptions; bootstrap?: BootstrapWatch },
): Promise<number> {
  let changed = 0;
  for (const cutKey of zone.delegations()) {
    const cut = zone.nodeByKey(cutKey);
    if (!cut || o.servedHere(cut.name)) continue;
    const current = o.currentDs(cut.name);
    if (current.length === 0 && !o.bootstrap) continue;
    const servers = glueServers(zone, cut.name, o.port);
    const ttl = cut.rrsets.get(RRType.NS)?.ttl ?? zone.soa.ttl;
    if (current.length === 0) {
      if (await bootstrapOne(zone, cut.name, servers, o.bootstrap!, o, ttl)) changed++;
      continue;
    }
    if (servers.length === 0) {
      o.log.debug(`zone ${zone.origin}: CDS of ${cut.name} not scanned: no glue addresses for its name servers`);
      continue;
    }
    const v = await scanChild(cut.name, current, servers, o.now, o.ask);
    if (v.change) {
      o.adopt(cut.name, v.change, ttl);
      o.log.info(`zone ${zone.origin}: DS of ${cut.name} ${v.change.length === 0 ? 'removed' : 'updated'} from its CDS: ${v.why}`);
      changed++;
    } else o.log.debug(`zone ${zone.origin}: DS of ${cut.name} unchanged: ${v.why}`);
  }
  return changed;
}

/** The bootstrap of one insecure delegation: true when its DS set was adopted. */
async function bootstrapOne(
  zone: Zone, child: string, servers: Server[], watch: BootstrapWatch,
  o: { now: number; adopt: (cut: string, ds: Buffer[], ttl: number) => void; log: Logger; ask?: FetchOptions }, ttl: number,
): Promise<boolean> {
  const missing = unglued(zone, child);
  // Every name server must be asked (RFC 8078 3.3); one the parent has no address for cannot be.
  const v = missing.length > 0 ? { why: `name servers with no glue here cannot be asked: ${missing.join(', ')}` } : await bootstrapChild(child, servers, o.now, o.ask);
  if (!v.ds) {
    if (watch.reset(nameKey(child))) o.log.info(`zone ${zone.origin}: bootstrap of ${child} starts again: ${v.why}`);
    else o.log.debug(`zone ${zone.origin}: ${child} stays insecure: ${v.why}`);
    return false;
  }
  const seen = watch.note(nameKey(child), v.ds, o.now);
  if (seen.state === 'accept') {
    watch.reset(nameKey(child));
    o.adopt(child, v.ds, ttl);
    o.log.info(`zone ${zone.origin}: DS of ${child} bootstrapped from its CDS (RFC 8078 3.3): ${v.why}, unchanged for ${watch.hold} s`);
    return true;
  }
  if (seen.state === 'new') o.log.info(`zone ${zone.origin}: bootstrap of ${child}: ${v.why}; taken if unchanged at ${new Date(seen.at * 1000).toISOString()}`);
  return false;
}
