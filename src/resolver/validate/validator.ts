// The validator (RFC 4035 section 5): the chain of trust from a trust anchor down through DS
// and DNSKEY to the zone that signed an answer, the signatures of every RRset of the answer,
// and the NSEC/NSEC3 proofs of negative answers and wildcard expansions. It sits beside the
// resolver, not inside it: what it needs (DNSKEY and DS sets, with their RRSIGs and denials)
// it asks the resolver for like any question, so those come through the same cache. Verdicts
// and validated key sets are cached with the data (ValidationCache), bogus ones briefly.

import { createHash } from 'node:crypto';
import { isSupportedAlgorithm } from '../../dnssec/algorithms.js';
import { dsMatches, supportedDigest } from '../../dnssec/ds.js';
import { ValidationCache } from '../../cache/validation-cache.js';
import { isInDomain, labelCount, nameEquals, nameKey, parentName, readName } from '../../wire/name.js';
import type { RR, RRset } from '../../wire/rr.js';
import { Rcode, RRType } from '../../wire/types.js';
import { toSignedRRsets } from '../classify.js';
import type { Resolution } from '../resolver.js';
import type { TrustAnchors } from './anchors.js';
import type { AnchorTracker } from './managed-anchors.js';
import { suffix, type Proof } from './denial-common.js';
import { nsecNodata, nsecNxdomain, nsecWildcard } from './nsec.js';
import { nsec3Nodata, nsec3Nxdomain, nsec3Wildcard } from './nsec3.js';
import { checkSigs, parseSig, signers } from './rrsig.js';
import { bogus, DnssecEde, insecure, weakest, type Verdict } from './verdict.js';

/** A zone's validated keys, or why there are none to trust. */
export type ZoneKeys = { security: 'secure'; keys: Buffer[]; ttl: number } | { security: 'insecure' | 'bogus' | 'indeterminate'; verdict: Verdict };

export interface ValidatorOptions {
  anchors: TrustAnchors;
  /** The resolver's own resolution of (name, type): where DNSKEY and DS sets come from. */
  lookup(name: string, type: number): Promise<Resolution>;
  /** The zone the resolver knows `name` to be in: its deepest known zone cut at or above the name. */
  zoneOf(name: string): string;
  /** Where verdicts and key sets are kept (on the DNS cache's clock and generation). */
  verdicts: ValidationCache<Verdict>;
  keys: ValidationCache<ZoneKeys>;
  /** Unix seconds, for signature validity windows. Default the system clock. */
  now?: () => number;
}

export interface ValidatorStats {
  secure: number;
  insecure: number;
  bogus: number;
  indeterminate: number;
}

/** Nesting of DS/DNSKEY look-ups: deeper than any real chain (one per zone cut). */
const MAX_DEPTH = 24;

/** Names asked for DS below a signed zone when unsigned data is found there (insecureCutBelow). */
const MAX_CUT_WALK = 8;

/** A verdict cache key's fingerprint of the data it is about. */
function fingerprint(r: Resolution): string {
  const h = createHash('sha1');
  for (const rr of [...r.answer, ...r.authority]) h.update(`${nameKey(rr.name)}/${rr.type}/`).update(rr.rdata);
  return `${r.rcode}/${h.digest('base64')}`;
}

const isDnssecType = (t: number) => t === RRType.RRSIG || t === RRType.NSEC || t === RRType.NSEC3;

export class Validator {
  readonly stats: ValidatorStats = { secure: 0, insecure: 0, bogus: 0, indeterminate: 0 };
  private readonly now: () => number;
  private readonly pendingKeys = new Map<string, Promise<ZoneKeys>>();
  /** RFC 5011 updates of the managed anchors, when there are any (validatorFor sets it). */
  anchorTracker?: AnchorTracker;

  constructor(private readonly o: ValidatorOptions) {
    this.now = o.now ?? (() => Math.floor(Date.now() / 1000));
  }

  get anchors(): TrustAnchors {
    return this.o.anchors;
  }

  /** The trust anchors changed (RFC 5011): verdicts and key sets resting on the old ones are forgotten. */
  anchorsChanged(): void {
    this.o.keys.clear();
    this.o.verdicts.clear();
  }

  /** The verdict on a resolution of (qname, qtype). Never throws: trouble is bogus with a reason. */
  async validate(qname: string, qtype: number, r: Resolution): Promise<Verdict> {
    const v = await this.verdict(qname, qtype, r, 0).catch((err: unknown) => bogus(DnssecEde.DNSSEC_BOGUS, `validation failed: ${(err as Error).message}`));
    this.stats[v.security]++;
    return v;
  }

  private async verdict(qname: string, qtype: number, r: Resolution, depth: number): Promise<Verdict> {
    // A failure of the resolution itself is not a DNSSEC matter.
    if (r.rcode !== Rcode.NOERROR && r.rcode !== Rcode.NXDOMAIN) return { security: 'indeterminate', ttl: 0 };
    if (!this.o.anchors.closest(qname)) return { security: 'indeterminate', why: `no trust anchor covers ${qname}`, ttl: 0 };
    const key = `${nameKey(qname)}/${qtype}`;
    const about = fingerprint(r);
    const cached = this.o.verdicts.get(key, about);
    if (cached) return cached;
    const v = await this.judge(qname, qtype, r, depth);
    this.o.verdicts.put(key, v, v.ttl, { bogus: v.security === 'bogus', about });
    return v;
  }

  private async judge(qname: string, qtype: number, r: Resolution, depth: number): Promise<Verdict> {
    if (depth > MAX_DEPTH) return bogus(DnssecEde.DNSSEC_BOGUS, `chain of trust deeper than ${MAX_DEPTH} at ${qname}`);
    const answer = toSignedRRsets(r.answer, qtype === RRType.RRSIG);
    const authority = toSignedRRsets(r.authority);
    const proofs = authority.filter((s) => s.type === RRType.NSEC || s.type === RRType.NSEC3);
    const verdicts: Verdict[] = [];
    // The CNAME chain: each link is checked; the question's data sits at the chain's end.
    let target = qname;
    const dnames = answer.filter((s) => s.type === RRType.DNAME);
    for (const set of answer) {
      // A CNAME synthesised from a DNAME of the answer is unsigned by design (RFC 6672 5.3.1):
      // it is right when it is what the (checked) DNAME makes of the name.
      if (set.type === RRType.CNAME && (set.sigs?.length ?? 0) === 0 && dnames.some((d) => synthesises(d, set))) continue;
      verdicts.push(await this.checkSet(set, proofs, depth));
    }
    for (let hop = 0; hop <= answer.length; hop++) {
      const c = answer.find((s) => s.type === RRType.CNAME && nameEquals(s.name, target));
      if (!c || qtype === RRType.CNAME) break;
      target = readName(c.rdata[0]!, 0).name;
    }
    const data = answer.some((s) => nameEquals(s.name, target) && (s.type === qtype || qtype === RRType.ANY));
    if (!data && !(qtype === RRType.CNAME && answer.some((s) => s.type === RRType.CNAME))) {
      verdicts.push(await this.checkDenial(target, qtype, r.rcode === Rcode.NXDOMAIN, authority, proofs, depth));
    }
    return weakest(verdicts, bogus(DnssecEde.DNSSEC_BOGUS, `empty answer for ${qname}`));
  }

  /** One RRset: signed by a secure zone, or in a zone proven insecure. */
  private async checkSet(set: RRset, proofs: RRset[], depth: number): Promise<Verdict> {
    const names = signers(set);
    if (names.length === 0) {
      // Unsigned: fine only where the chain of trust is proven to end above it.
      const zone = this.o.zoneOf(set.type === RRType.DS ? parentName(set.name) ?? '.' : set.name);
      const zk = await this.zoneKeys(zone, depth + 1);
      if (zk.security !== 'secure') return { ...zk.verdict, ttl: Math.min(zk.verdict.ttl, set.ttl) };
      // A child zone served by its parent's server answers without a referral, so the resolver
      // may not know the cut: look for a proven insecure delegation between the zone and the name.
      const below = await this.insecureCutBelow(zone, set.type === RRType.DS ? parentName(set.name) ?? '.' : set.name, depth);
      if (below) return { ...below, ttl: Math.min(below.ttl, set.ttl) };
      return bogus(DnssecEde.RRSIGS_MISSING, `${set.name} type ${set.type} has no RRSIG, but ${zone} is signed`);
    }
    const tried: Verdict[] = [];
    for (const signer of names) {
      // A DS is signed by the parent: a signer at the DS's own name would be the child, and a loop.
      if (set.type === RRType.DS && nameEquals(signer, set.name)) continue;
      const zk = await this.zoneKeys(signer, depth + 1);
      if (zk.security !== 'secure') { tried.push(zk.verdict); continue; }
      const c = checkSigs(set, signer, zk.keys, this.now());
      if (!c.ok) { tried.push(bogus(c.ede, c.why)); continue; }
      let ttl = Math.min(c.ttl, zk.ttl);
      if (c.labels < labelCount(set.name)) {
        const p = this.wildcardProof(set.name, c.labels, signer, proofs);
        const checked = await this.checkProofSigs(proofs, signer, zk.keys);
        if (!checked.ok) return checked.verdict;
        if (p.result === 'missing') return bogus(DnssecEde.NSEC_MISSING, p.why);
        if (p.result === 'insecure') return insecure(p.why, ttl);
        ttl = Math.min(ttl, checked.ttl);
      }
      return { security: 'secure', ttl };
    }
    if (tried.length === 0) return bogus(DnssecEde.DNSSEC_BOGUS, `no usable signer for ${set.name} type ${set.type}`);
    // An insecure signer zone (proven, e.g. under an unsigned delegation) makes the set insecure.
    const soft = tried.find((v) => v.security !== 'bogus');
    return soft ?? tried[0]!;
  }

  /**
   * The insecure verdict of a delegation between `zone` (secure) and `name`, proven by its
   * parent's signed denial of DS (with the NS bit, or an opt-out span), or undefined: a signed
   * child, a bogus proof, or no delegation there. At most MAX_CUT_WALK names are asked about.
   */
  private async insecureCutBelow(zone: string, name: string, depth: number): Promise<Verdict | undefined> {
    const steps = labelCount(name) - labelCount(zone);
    for (let i = 1; i <= Math.min(steps, MAX_CUT_WALK); i++) {
      const x = suffix(name, labelCount(zone) + i);
      const r = await this.o.lookup(x, RRType.DS);
      if (r.rcode === Rcode.NXDOMAIN) return undefined;
      const v = await this.verdict(x, RRType.DS, r, depth + 1);
      if (v.security === 'insecure') return v;
      if (v.security !== 'secure' || r.answer.some((rr) => rr.type === RRType.DS)) return undefined;
      if (v.delegation === true) return insecure(`${x} is an insecure delegation (proven no DS)`, v.ttl);
    }
    return undefined;
  }

  private wildcardProof(name: string, labels: number, zone: string, proofs: RRset[]): Proof {
    if (proofs.some((p) => p.type === RRType.NSEC3)) return nsec3Wildcard(name, suffix(name, labels), zone, proofs);
    return nsecWildcard(name, zone, proofs);
  }

  /** The signatures of the NSEC/NSEC3 sets of `zone` in `proofs`; an unsigned or badly signed one is bogus. */
  private async checkProofSigs(proofs: RRset[], zone: string, keys: Buffer[]): Promise<{ ok: true; ttl: number } | { ok: false; verdict: Verdict }> {
    let ttl = Infinity;
    for (const p of proofs) {
      if (!isInDomain(p.name, zone)) continue;
      const c = checkSigs(p, zone, keys, this.now());
      if (!c.ok) return { ok: false, verdict: bogus(c.ede === DnssecEde.RRSIGS_MISSING ? DnssecEde.NSEC_MISSING : c.ede, c.why) };
      ttl = Math.min(ttl, c.ttl);
    }
    return { ok: true, ttl: ttl === Infinity ? 0 : ttl };
  }

  /** A negative answer (or a CNAME chain ending in one): the SOA and the denial, signed and proving it. */
  private async checkDenial(name: string, qtype: number, nxdomain: boolean, authority: RRset[], proofs: RRset[], depth: number): Promise<Verdict> {
    const soa = authority.find((s) => s.type === RRType.SOA && isInDomain(name, s.name));
    const zone = soa?.name ?? this.o.zoneOf(qtype === RRType.DS ? parentName(name) ?? '.' : name);
    // A DS denial comes from the parent: the child's SOA here would be a loop (and wrong).
    if (qtype === RRType.DS && nameEquals(zone, name) && name !== '.') return bogus(DnssecEde.DNSSEC_BOGUS, `the denial of the DS at ${name} comes from the child zone`);
    const zk = await this.zoneKeys(zone, depth + 1);
    if (zk.security !== 'secure') return zk.verdict;
    if (!soa) return bogus(DnssecEde.NSEC_MISSING, `negative answer for ${name} without the SOA of ${zone}`);
    const s = checkSigs(soa, zone, zk.keys, this.now());
    if (!s.ok) return bogus(s.ede, s.why);
    if (proofs.length === 0) return bogus(DnssecEde.NSEC_MISSING, `negative answer for ${name} from the signed zone ${zone} without NSEC or NSEC3`);
    const checked = await this.checkProofSigs(proofs, zone, zk.keys);
    if (!checked.ok) return checked.verdict;
    const useNsec3 = proofs.some((p) => p.type === RRType.NSEC3);
    const p = nxdomain
      ? (useNsec3 ? nsec3Nxdomain(name, zone, proofs) : nsecNxdomain(name, zone, proofs))
      : (useNsec3 ? nsec3Nodata(name, qtype, zone, proofs) : nsecNodata(name, qtype, zone, proofs));
    const ttl = Math.min(s.ttl, checked.ttl, zk.ttl);
    if (p.result === 'missing') return bogus(DnssecEde.NSEC_MISSING, p.why);
    if (p.result === 'insecure') return insecure(p.why, ttl);
    return { security: 'secure', ttl, ...(qtype === RRType.DS ? { delegation: p.delegation === true } : {}) };
  }

  /** The validated DNSKEY set of `zone`, or why there is none (shared while in flight, cached after). */
  private zoneKeys(zone: string, depth: number): Promise<ZoneKeys> {
    const key = nameKey(zone);
    const cached = this.o.keys.get(key);
    if (cached) return Promise.resolve(cached);
    const running = this.pendingKeys.get(key);
    if (running) return running;
    const p = this.findKeys(zone, depth).then((zk) => {
      const ttl = zk.security === 'secure' ? zk.ttl : zk.verdict.ttl;
      this.o.keys.put(key, zk, ttl, { bogus: zk.security === 'bogus' });
      return zk;
    }).finally(() => this.pendingKeys.delete(key));
    this.pendingKeys.set(key, p);
    return p;
  }

  private async findKeys(zone: string, depth: number): Promise<ZoneKeys> {
    const fail = (v: Verdict): ZoneKeys => ({ security: v.security === 'secure' ? 'bogus' : v.security, verdict: v } as ZoneKeys);
    if (depth > MAX_DEPTH) return fail(bogus(DnssecEde.DNSSEC_BOGUS, `chain of trust deeper than ${MAX_DEPTH} at ${zone}`));
    const anchor = this.o.anchors.at(zone);
    let ds: Buffer[];
    let dsTtl: number;
    if (anchor) {
      // Every key of a managed anchor revoked (RFC 5011): nothing is trusted there, and the zone
      // must not pass as insecure, which an anchor with no usable DS would.
      if (anchor.ds.length === 0 && anchor.dnskey.length === 0) return fail(bogus(DnssecEde.DNSKEY_MISSING, `every trust anchor key of ${zone} is revoked (RFC 5011): configure a new anchor`));
      ds = anchor.ds;
      dsTtl = Infinity;
    } else {
      if (!this.o.anchors.closest(zone)) return fail({ security: 'indeterminate', why: `no trust anchor covers ${zone}`, ttl: 0 });
      const r = await this.o.lookup(zone, RRType.DS);
      if (r.rcode !== Rcode.NOERROR && r.rcode !== Rcode.NXDOMAIN) return fail(bogus(DnssecEde.DNSSEC_BOGUS, `no answer for the DS of ${zone}: ${r.reason ?? `rcode ${r.rcode}`}`));
      const v = await this.verdict(zone, RRType.DS, r, depth);
      if (v.security !== 'secure') return fail(v.security === 'insecure' ? { ...v, why: v.why ?? `no chain of trust to ${zone}` } : v);
      ds = r.answer.filter((rr) => rr.type === RRType.DS && nameEquals(rr.name, zone)).map((rr) => rr.rdata);
      // A secure proof that there is no DS: an insecure delegation (RFC 4035 5.2), if the proof
      // shows a delegation there (RFC 6840 4.4). Else the name is no zone at all, and whatever
      // names it as signer (a forged RRSIG) must not pass as insecure.
      if (ds.length === 0) {
        // Its data then has no RRSIG of its real zone: RRSIGs Missing, as Unbound says.
        if (v.delegation !== true) return fail(bogus(DnssecEde.RRSIGS_MISSING, `${zone} is not a zone cut (the proof of no DS shows no delegation there): its RRSIGs are not its zone's`));
        return fail(insecure(`${zone} is an insecure delegation (proven no DS)`, v.ttl));
      }
      dsTtl = v.ttl;
    }
    const r = await this.o.lookup(zone, RRType.DNSKEY);
    const set = toSignedRRsets(r.answer).find((s) => s.type === RRType.DNSKEY && nameEquals(s.name, zone));
    const anchorKeys = anchor?.dnskey ?? [];
    // Only DS records we can use count (RFC 4035 5.2; RFC 6840 5.2): with none, the zone is insecure.
    const usableDs = ds.filter((d) => d.length > 4 && isSupportedAlgorithm(d[2]!) && supportedDigest(d[3]!));
    if (usableDs.length === 0 && anchorKeys.length === 0) {
      const alg = ds.every((d) => d.length > 4 && !isSupportedAlgorithm(d[2]!));
      return fail(insecure(`no DS of ${zone} has an algorithm and digest we support`, Number.isFinite(dsTtl) ? dsTtl : 3600, alg ? DnssecEde.UNSUPPORTED_DNSKEY_ALGORITHM : DnssecEde.UNSUPPORTED_DS_DIGEST));
    }
    if (!set) return fail(bogus(DnssecEde.DNSKEY_MISSING, `no DNSKEY set for ${zone}${r.reason ? `: ${r.reason}` : ''}`));
    const trusted = set.rdata.filter((k) => anchorKeys.some((a) => a.equals(k)) || usableDs.some((d) => dsMatches(zone, d, k)));
    if (trusted.length === 0) return fail(bogus(DnssecEde.DNSKEY_MISSING, `no DNSKEY of ${zone} matches its ${anchor ? 'trust anchor' : 'DS'}`));
    if (trusted.every((k) => (k.readUInt16BE(0) & 0x0100) === 0)) return fail(bogus(DnssecEde.NO_ZONE_KEY_BIT, `the DNSKEY of ${zone} its DS names has no Zone Key flag`));
    const c = checkSigs(set, zone, trusted, this.now());
    if (!c.ok) return fail(bogus(c.ede, `DNSKEY set of ${zone}: ${c.why}`));
    return { security: 'secure', keys: set.rdata, ttl: Math.min(c.ttl, dsTtl) };
  }
}

/** Whether `cname` is what the DNAME `d` makes of its owner (RFC 6672 2.2). */
function synthesises(d: RRset, cname: RRset): boolean {
  if (!isInDomain(cname.name, d.name) || nameEquals(cname.name, d.name)) return false;
  const target = readName(d.rdata[0]!, 0).name;
  const expected = suffixReplace(cname.name, d.name, target);
  return expected !== undefined && nameEquals(readName(cname.rdata[0]!, 0).name, expected);
}

function suffixReplace(name: string, from: string, to: string): string | undefined {
  const head = name.slice(0, name.length - (from === '.' ? 1 : from.length));
  return to === '.' ? head : head + to;
}

/** Records of an answer without the DNSSEC ones (RRSIG, NSEC, NSEC3), for a client that did not set DO. */
export function withoutDnssec(rrs: readonly RR[], qtype: number): RR[] {
  return rrs.filter((rr) => !isDnssecType(rr.type) || rr.type === qtype);
}

export { parseSig };
