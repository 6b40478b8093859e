// Signing one version of a zone: its records, less any DNSSEC records it carried, plus the
// DNSKEY RRset (and CDS/CDNSKEY for the key-signing keys, RFC 7344) and NSEC3PARAM at the apex,
// the NSEC3 chain, and an RRSIG over every authoritative RRset (RFC 4035 2.2: not over the NS
// at a delegation or glue). Signatures come from a cache shared by the zone's versions, keyed
// by the RRset's content, so a new version (an UPDATE) signs only the RRsets that changed and a
// refresh signs only the signatures that near expiry.

import type { RR } from '../wire/rr.js';
import { RRType } from '../wire/types.js';
import { nameKey, parentName } from '../wire/name.js';
import { dsFromDnskey } from '../dnssec/ds.js';
import { signRrset } from '../dnssec/rrsig.js';
import type { DnssecKey } from '../dnssec/keys.js';
import { Zone } from '../zone/zone.js';
import { nsec3Chain, nsec3ParamRdata, type ChainName, type Nsec3Params } from './nsec3-chain.js';
import { CDNSKEY_DELETE_RDATA, CDS_DELETE_RDATA } from '../dnssec/cds-delete.js';

/** Types the signer owns: whatever the zone held of them is replaced. */
const MANAGED_ANYWHERE = new Set<number>([RRType.RRSIG, RRType.NSEC, RRType.NSEC3]);
const MANAGED_AT_APEX = new Set<number>([RRType.DNSKEY, RRType.CDS, RRType.CDNSKEY, RRType.NSEC3PARAM]);
/** Signed with the key-signing keys; everything else with the zone-signing keys. */
const KSK_SIGNED = new Set<number>([RRType.DNSKEY, RRType.CDS, RRType.CDNSKEY]);

export interface SigningTimes {
  /** Seconds a new signature is valid for (from now). */
  validity: number;
  /** A cached signature with fewer seconds than this left is made again. */
  refresh: number;
  /** Seconds the inception is set back, for clocks behind ours (BIND: one hour). */
  backdate: number;
}

export interface ZoneKeys {
  /** Keys in the DNSKEY RRset. */
  published: DnssecKey[];
  /** Keys that sign the DNSKEY, CDS and CDNSKEY RRsets; their DS goes to the parent. */
  ksk: DnssecKey[];
  /** Keys that sign the rest (the same keys as `ksk` with a combined signing key). */
  zsk: DnssecKey[];
  /** Keys with a CDS and CDNSKEY at the apex (RFC 7344): the DS set the zone asks its parent for. */
  cds: DnssecKey[];
  /** The operator asked for the delete signal (src/dnssec/cds-delete.ts): published instead of the keys' CDS (`cds` is then empty). */
  cdsDelete?: boolean;
}

interface CachedSigs {
  sigs: Buffer[];
  /** Earliest expiration among them (seconds since 1970). */
  expiration: number;
}

/** Signatures of one zone across its versions; entries not used by the latest signing are dropped. */
export class SignatureCache {
  private entries = new Map<string, CachedSigs>();
  private used = new Map<string, CachedSigs>();
  /** Signatures made and taken from the cache, for tests and the log. */
  readonly counts = { made: 0, reused: 0 };

  get(key: string, now: number, refresh: number): Buffer[] | undefined {
    const e = this.entries.get(key);
    if (e === undefined || e.expiration - now <= refresh) return undefined;
    this.used.set(key, e);
    this.counts.reused += e.sigs.length;
    return e.sigs;
  }

  set(key: string, sigs: Buffer[], expiration: number): void {
    const e = { sigs, expiration };
    this.used.set(key, e);
    this.counts.made += sigs.length;
  }

  /** End of one signing pass: keep what it used. */
  commit(): void {
    this.entries = this.used;
    this.used = new Map();
  }

  private hashMemo?: { params: string; map: Map<string, Buffer> };

  /** NSEC3 hashes by name, kept across versions while the parameters stay. */
  hashes(p: Nsec3Params): Map<string, Buffer> {
    const params = `${p.iterations}/${p.salt.toString('hex')}`;
    if (this.hashMemo?.params !== params) this.hashMemo = { params, map: new Map() };
    return this.hashMemo.map;
  }
}

export interface SignedZone {
  zone: Zone;
  /** Earliest signature expiration in the zone: re-sign before `expiration - refresh`. */
  expiration: number;
}

/**
 * The signed form of `zone`. `serial`, when given, replaces the SOA serial (a re-signing with
 * no change of data still needs a new serial, so secondaries fetch the new signatures).
 */
export function signZone(
  zone: Zone, keys: ZoneKeys, nsec3: Nsec3Params, times: SigningTimes, cache: SignatureCache, now: number, serial?: number,
  childDs?: (cut: string, inZone: readonly Buffer[] | undefined) => Buffer[] | undefined,
): SignedZone {
  const hashes = cache.hashes(nsec3);
  const origin = zone.origin;
  const apexKey = zone.originKey;
  const soa = zone.soa;
  // The DS at each delegation: as the zone has it, unless `childDs` says otherwise (a child
  // signed here, or a DS set adopted from a child's CDS).
  const dsAt = new Map<string, { name: string; ttl: number; rdata: Buffer[] }>();
  if (childDs) {
    for (const cutKey of zone.delegations()) {
      const cut = zone.nodeByKey(cutKey);
      if (!cut) continue;
      const own = cut.rrsets.get(RRType.DS);
      const ds = childDs(cut.name, own?.rdata);
      if (ds !== undefined) dsAt.set(cutKey, { name: cut.name, ttl: own?.ttl ?? cut.rrsets.get(RRType.NS)?.ttl ?? soa.ttl, rdata: ds });
    }
  }
  const records: RR[] = [];
  for (const rr of zone.records()) {
    if (MANAGED_ANYWHERE.has(rr.type)) continue;
    if (rr.type === RRType.DS && dsAt.has(nameKey(rr.name))) continue;
    if (MANAGED_AT_APEX.has(rr.type) && nameKey(rr.name) === apexKey) continue;
    if (rr.type === RRType.SOA && serial !== undefined) {
      const rdata = Buffer.from(rr.rdata);
      rdata.writeUInt32BE(serial >>> 0, rdata.length - 20);
      records.push({ ...rr, rdata });
      continue;
    }
    records.push(rr);
  }
  const keyTtl = zone.apex.rrsets.get(RRType.DNSKEY)?.ttl ?? soa.ttl;
  for (const k of keys.published) records.push({ name: origin, type: RRType.DNSKEY, class: zone.class, ttl: keyTtl, rdata: k.dnskey });
  for (const k of keys.cds) {
    records.push({ name: origin, type: RRType.CDS, class: zone.class, ttl: keyTtl, rdata: dsFromDnskey(origin, k.dnskey, 2) });
    records.push({ name: origin, type: RRType.CDNSKEY, class: zone.class, ttl: keyTtl, rdata: k.dnskey });
  }
  // RFC 8078 4: the delete signal stands alone in both RRsets, signed by the KSKs as they are.
  if (keys.cdsDelete === true) {
    records.push({ name: origin, type: RRType.CDS, class: zone.class, ttl: keyTtl, rdata: Buffer.from(CDS_DELETE_RDATA) });
    records.push({ name: origin, type: RRType.CDNSKEY, class: zone.class, ttl: keyTtl, rdata: Buffer.from(CDNSKEY_DELETE_RDATA) });
  }
  for (const d of dsAt.values()) for (const rdata of d.rdata) records.push({ name: d.name, type: RRType.DS, class: zone.class, ttl: d.ttl, rdata });
  // RFC 5155 4: NSEC3PARAM TTL is not defined; 0 as BIND writes it keeps it out of caches.
  records.push({ name: origin, type: RRType.NSEC3PARAM, class: zone.class, ttl: 0, rdata: nsec3ParamRdata(nsec3) });
  const base = new Zone(origin, records, zone.class);

  const toSign: Array<{ name: string; type: number; ttl: number; rdata: Buffer[] }> = [];
  const chain: ChainName[] = [];
  for (const node of base.allNodes()) {
    const key = nameKey(node.name);
    if (key !== apexKey && occluded(base, key, apexKey)) continue;
    const cut = key !== apexKey && base.isCut(key);
    const types: number[] = [];
    let signed = false;
    for (const set of node.rrsets.values()) {
      if (cut && set.type !== RRType.NS && set.type !== RRType.DS) continue; // glue at the cut
      types.push(set.type);
      if (cut && set.type === RRType.NS) continue;
      toSign.push({ name: set.name, type: set.type, ttl: set.ttl, rdata: set.rdata });
      signed = true;
    }
    if (signed) types.push(RRType.RRSIG);
    chain.push({ name: node.name, types });
  }
  const negTtl = Math.min(soa.ttl, base.negativeTtl);
  // Names gone from the zone leave their hashes behind: drop them all once they outnumber the live ones.
  if (hashes.size > 2 * chain.length + 1024) hashes.clear();
  const nsec3s = nsec3Chain(origin, chain, nsec3, negTtl, hashes);
  for (const rr of nsec3s) toSign.push({ name: rr.name, type: rr.type, ttl: rr.ttl, rdata: [rr.rdata] });

  const out: RR[] = [...records, ...nsec3s];
  const inception = now - times.backdate;
  const expiration = now + times.validity;
  let earliest = Number.POSITIVE_INFINITY;
  for (const set of toSign) {
    const signers = KSK_SIGNED.has(set.type) && nameKey(set.name) === apexKey ? keys.ksk : keys.zsk;
    const rrset = { name: set.name, type: set.type, class: zone.class, ttl: set.ttl, rdata: set.rdata };
    const ck = cacheKey(rrset, signers);
    let sigs = cache.get(ck, now, times.refresh);
    if (sigs === undefined) {
      sigs = signers.map((k) => signRrset(rrset, { zone: origin, algorithm: k.algorithm, tag: k.tag, privateKey: k.privateKey }, inception, expiration));
      cache.set(ck, sigs, expiration);
    }
    for (const s of sigs) {
      out.push({ name: set.name, type: RRType.RRSIG, class: zone.class, ttl: set.ttl, rdata: s });
      const exp = s.readUInt32BE(8);
      if (exp < earliest) earliest = exp;
    }
  }
  cache.commit();
  return { zone: new Zone(origin, out, zone.class), expiration: earliest };
}

/** Whether a name lies below a delegation or a DNAME (not authoritative data: not signed, not chained). */
function occluded(zone: Zone, key: string, apexKey: string): boolean {
  for (let p = parentName(key); p !== undefined && p !== apexKey; p = parentName(p)) {
    if (zone.isCut(p)) return true;
    if (zone.nodeByKey(p)?.rrsets.has(RRType.DNAME)) return true;
  }
  return false;
}

/**
 * What a set of signatures depends on: owner, type, TTL, content and the signing keys. The
 * RDATA as octets, in sorted order: a key, not a digest, since hashing every RRset of a large
 * zone at each version costs more than the memory.
 */
export function cacheKey(set: { name: string; type: number; ttl: number; rdata: readonly Buffer[] }, keys: readonly DnssecKey[]): string {
  const head = `${set.name}|${set.type}|${set.ttl}|${keys.map((k) => `${k.algorithm}+${k.tag}`).join(',')}|`;
  if (set.rdata.length === 1) return head + set.rdata[0]!.toString('latin1');
  return head + set.rdata.map((r) => r.toString('latin1')).sort().join('\u0000');
}
