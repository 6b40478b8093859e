// Authoritative answers (RFC 1034 4.3.2 with RFC 2308, 4592, 6604, 6672, 8482, 9471): given the
// catalog and one question, produce the sections of the response. No I/O and no wire encoding.

import { RRType, Rcode } from '../wire/types.js';
import { isInDomain, labelCount, nameKey, nameToWire, parentName, parseName, readName } from '../wire/name.js';
import { NameError } from '../wire/errors.js';
import type { RR, RRset } from '../wire/rr.js';
import type { Zone, ZoneNode } from '../zone/zone.js';
import type { Catalog } from './catalog.js';
import { closestEncloserProof, covering, dedupe, matching, nextCloser, nsec3Index } from './denial.js';

export interface AuthAnswer {
  rcode: number;
  /** Authoritative: false for referrals and REFUSED. */
  aa: boolean;
  answer: RR[];
  authority: RR[];
  additional: RR[];
  /** How many leading additional records are glue that must not be dropped (RFC 9471). */
  requiredAdditional: number;
  /** The zone that answered (the first one, for a CNAME chain across zones). */
  zone?: Zone;
}

/** Longest CNAME/DNAME chain followed inside our own data. */
export const MAX_CHAIN = 16;

function push(out: RR[], set: RRset, owner = set.name, ttl = set.ttl): void {
  const rdatas = set.type === RRType.SVCB || set.type === RRType.HTTPS ? bySvcPriority(set.rdata) : set.rdata;
  for (const rdata of rdatas) out.push({ name: owner, type: set.type, class: set.class, ttl, rdata });
}

/**
 * SVCB/HTTPS records in SvcPriority order (AliasMode 0 first), ties in zone order: clients that
 * take the first record (DNS-AID's reference client does) then get the preferred endpoint.
 */
export function bySvcPriority(rdata: readonly Buffer[]): readonly Buffer[] {
  const prio = (r: Buffer): number => (r.length >= 2 ? r.readUInt16BE(0) : 0);
  for (let i = 1; i < rdata.length; i++) {
    // Array.prototype.sort is stable, and most sets are one record or already in order.
    if (prio(rdata[i]!) < prio(rdata[i - 1]!)) return [...rdata].sort((a, b) => prio(a) - prio(b));
  }
  return rdata;
}

/** Name embedded in RDATA of types whose target drives additional-section processing. */
function targetOf(type: number, rdata: Buffer, owner: string): string | undefined {
  try {
    switch (type) {
      case RRType.NS: case RRType.CNAME: case RRType.DNAME: case RRType.PTR:
        return readName(rdata, 0).name;
      case RRType.MX:
        return readName(rdata, 2).name;
      case RRType.SRV:
        return readName(rdata, 6).name;
      case RRType.SVCB: case RRType.HTTPS: {
        const t = readName(rdata, 2).name;
        // Target '.' means the owner itself in ServiceMode (RFC 9460 2.5.2).
        return t === '.' ? (rdata.readUInt16BE(0) === 0 ? undefined : owner) : t;
      }
      default:
        return undefined;
    }
  } catch {
    return undefined;
  }
}

/** What of the query besides its question shapes the answer. */
export interface AnswerOptions {
  /** The query's DO bit (RFC 3225): DNSSEC records of a signed zone go into referrals only then. */
  dnssecOk?: boolean;
}

/** The RRSIGs at a node that cover `covered` (RRSIG RDATA starts with the type covered). */
function sigsOver(node: ZoneNode, covered: number): RRset | undefined {
  const sigs = node.rrsets.get(RRType.RRSIG);
  if (!sigs) return undefined;
  const rdata = sigs.rdata.filter((r) => r.length >= 2 && r.readUInt16BE(0) === covered);
  return rdata.length > 0 ? { ...sigs, rdata } : undefined;
}

/** The RRSIGs over `set` at `node`, with the set's TTL (or `ttl`) and `owner` (a wildcard's answer name). */
function pushSigs(out: RR[], node: ZoneNode, set: RRset, owner = set.name, ttl = set.ttl): void {
  const sigs = sigsOver(node, set.type);
  if (sigs) push(out, sigs, owner, ttl);
}

/** Per zone version (each load or change is a new Zone), whether it is signed: tested once, not per referral. */
const signedZones = new WeakMap<Zone, boolean>();

/** Whether a zone is signed: its DNSKEY RRset signed at the apex (NSD's test). */
function isSigned(zone: Zone): boolean {
  let signed = signedZones.get(zone);
  if (signed === undefined) {
    signed = sigsOver(zone.apex, RRType.DNSKEY) !== undefined;
    signedZones.set(zone, signed);
  }
  return signed;
}

/**
 * Answer-time filtering of RRsets (aop serve --health-probe leaves SVCB records whose endpoint is
 * down out): `filter` gives the records to serve, or undefined for the whole set; for a signed zone
 * `sign` gives the RRSIGs over that subset, and without them (undefined) the whole set is served,
 * since a subset with the full set's signatures would not validate.
 */
export interface RRsetFilter {
  filter(zone: Zone, set: RRset): readonly Buffer[] | undefined;
  sign?(zone: Zone, subset: RRset): Buffer[] | undefined;
}

export class Authority {
  constructor(private readonly catalog: Catalog, private readonly rrsetFilter?: RRsetFilter) {}

  /** The set as served: filtered (with its own RRSIGs when `sign`), or undefined to serve it as stored. */
  private filtered(zone: Zone, set: RRset, sign: boolean): { set: RRset; sigs?: Buffer[] } | undefined {
    const f = this.rrsetFilter;
    if (f === undefined || set.type !== RRType.SVCB) return undefined;
    const rdata = f.filter(zone, set);
    if (rdata === undefined || rdata.length === set.rdata.length || rdata.length === 0) return undefined;
    const subset: RRset = { name: set.name, type: set.type, class: set.class, ttl: set.ttl, rdata: [...rdata] };
    if (!sign) return { set: subset };
    const sigs = f.sign?.(zone, subset);
    return sigs === undefined ? undefined : { set: subset, sigs };
  }

  /** Answer one question. `qname` keeps the client's case, which owner names echo. */
  answer(qname: string, qtype: number, opts: AnswerOptions = {}): AuthAnswer {
    const first = this.zoneFor(qname, qtype);
    const res: AuthAnswer = { rcode: Rcode.NOERROR, aa: false, answer: [], authority: [], additional: [], requiredAdditional: 0 };
    if (!first) {
      res.rcode = Rcode.REFUSED;
      return res;
    }
    res.zone = first;
    res.aa = true;
    const seen = new Set<string>();
    let name = qname;
    let zone: Zone | undefined = first;
    for (let step = 0; zone && step <= MAX_CHAIN; step++) {
      const key = nameKey(name) + '/' + zone.originKey;
      if (seen.has(key)) break; // a loop inside our data: stop with what we have (RFC 1034 3.6.2)
      seen.add(key);
      const next = this.step(zone, name, qtype, res, opts.dnssecOk === true);
      if (next === undefined) break;
      name = next;
      zone = this.zoneFor(name, qtype);
    }
    this.addAdditional(res);
    return res;
  }

  /** The zone to answer from: the most specific one, except for DS at a zone apex. */
  private zoneFor(name: string, qtype: number): Zone | undefined {
    const stored = this.catalog.find(name);
    const zone = stored && this.catalog.view(stored);
    // DS lives on the parent side of a cut: when we serve both sides, the parent answers (RFC 4035 3.1.4.1).
    if (zone && qtype === RRType.DS && nameKey(name) === zone.originKey) {
      const parent = this.catalog.findParent(name);
      return parent ? this.catalog.view(parent) : zone;
    }
    return zone;
  }

  /**
   * One pass of the algorithm for `name` in `zone`. Returns the name to restart with after a
   * CNAME or DNAME, or undefined when the answer is complete.
   */
  private step(zone: Zone, name: string, qtype: number, res: AuthAnswer, dnssecOk: boolean): string | undefined {
    // RFC 4035 3.1: RRSIGs and denial proofs only when the query set DO and the zone is signed.
    const sign = dnssecOk && isSigned(zone);
    const nameLabels = labelCount(name);
    const apexLabels = labelCount(zone.origin);
    // Walk down from the apex: delegations and DNAMEs above the name take precedence.
    let closest: ZoneNode = zone.apex;
    for (let depth = apexLabels; depth <= nameLabels; depth++) {
      const ancestor = suffix(name, nameLabels - depth);
      const node = depth === apexLabels ? zone.apex : zone.nodeByKey(nameKey(ancestor));
      if (!node) break;
      closest = node;
      const atName = depth === nameLabels;
      if (depth > apexLabels && node.rrsets.has(RRType.NS) && !(atName && qtype === RRType.DS)) {
        this.referral(zone, node, res, dnssecOk);
        return undefined;
      }
      const dname = node.rrsets.get(RRType.DNAME);
      if (dname && !atName) {
        const next = this.synthesizeFromDname(dname, name, res);
        if (sign) pushSigs(res.answer, node, dname);
        // For QTYPE=CNAME the synthesised CNAME is the answer: no restart (RFC 1034 4.3.2 step 3a).
        return qtype === RRType.CNAME ? undefined : next;
      }
      if (atName) return this.atNode(zone, node, name, qtype, res, undefined, sign);
    }
    // No node at the name: a wildcard at the closest encloser synthesizes one (RFC 4592). A
    // wildcard that is only an empty non-terminal still exists, so it gives NODATA (RFC 4592 2.2.2).
    const wildcard = zone.nodeByKey(nameKey('*.' + closest.name));
    if (wildcard) return this.atNode(zone, wildcard, name, qtype, res, closest.name, sign);
    this.negative(zone, res, Rcode.NXDOMAIN);
    // RFC 5155 7.2.2: the closest encloser proof and the NSEC3 covering the wildcard at it.
    if (sign) this.prove(zone, res, (idx) => [...closestEncloserProof(idx, name, closest.name), covering(idx, '*.' + closest.name)]);
    return undefined;
  }

  /**
   * The name exists (or a wildcard matched it; `encloser` is then the closest encloser, where
   * the wildcard sits): answer, follow a CNAME, or NODATA.
   */
  private atNode(zone: Zone, node: ZoneNode, name: string, qtype: number, res: AuthAnswer, encloser: string | undefined, sign: boolean): string | undefined {
    const wildcard = encloser !== undefined;
    // Owner names echo the question's spelling when they are the question (or a wildcard match).
    const owner = wildcard || nameKey(node.name) === nameKey(name) ? name : node.name;
    const answerWith = (stored: RRset): void => {
      const f = this.filtered(zone, stored, sign);
      const set = f?.set ?? stored;
      push(res.answer, set, owner);
      if (!sign) return;
      if (f?.sigs) push(res.answer, { name: set.name, type: RRType.RRSIG, class: set.class, ttl: set.ttl, rdata: f.sigs }, owner);
      else pushSigs(res.answer, node, set, owner);
      // RFC 5155 7.2.6: a wildcard answer proves that the next closer name does not exist.
      if (wildcard) this.prove(zone, res, (idx) => [covering(idx, nextCloser(name, encloser))]);
    };
    if (qtype === RRType.ANY) {
      // RFC 8482: one RRset is enough; pick the lowest type for a stable answer.
      const types = [...node.rrsets.keys()].sort((a, b) => a - b);
      const set = types.length > 0 ? node.rrsets.get(types[0]!) : undefined;
      if (set) answerWith(set);
      else this.nodata(zone, res, name, encloser, sign);
      return undefined;
    }
    const exact = node.rrsets.get(qtype);
    if (exact) {
      answerWith(exact);
      return undefined;
    }
    const cname = node.rrsets.get(RRType.CNAME);
    if (cname) {
      answerWith(cname);
      return readName(cname.rdata[0]!, 0).name;
    }
    this.nodata(zone, res, name, encloser, sign);
    return undefined;
  }

  /** NODATA: the SOA, and when signed the NSEC3 proof (RFC 5155 7.2.3-7.2.5). */
  private nodata(zone: Zone, res: AuthAnswer, name: string, encloser: string | undefined, sign: boolean): void {
    this.negative(zone, res, Rcode.NOERROR);
    if (!sign) return;
    if (encloser === undefined) this.prove(zone, res, (idx) => [matching(idx, name)]);
    else this.prove(zone, res, (idx) => [...closestEncloserProof(idx, name, encloser), matching(idx, '*.' + encloser)]);
  }

  /** The SOA's RRSIGs and the NSEC3 RRsets `pick` chooses, each with its RRSIGs, into the authority section. */
  private prove(zone: Zone, res: AuthAnswer, pick: (idx: NonNullable<ReturnType<typeof nsec3Index>>) => Array<RRset | undefined>): void {
    const soaSigned = res.authority.some((r) => r.type === RRType.RRSIG && r.rdata.readUInt16BE(0) === RRType.SOA);
    if (!soaSigned && res.authority.some((r) => r.type === RRType.SOA)) pushSigs(res.authority, zone.apex, zone.soa, zone.soa.name, zone.negativeTtl);
    const idx = nsec3Index(zone);
    if (!idx) return;
    const have = new Set(res.authority.filter((r) => r.type === RRType.NSEC3).map((r) => nameKey(r.name)));
    for (const set of dedupe(pick(idx).filter((x): x is RRset => x !== undefined))) {
      if (have.has(nameKey(set.name))) continue;
      push(res.authority, set);
      const node = zone.nodeByKey(nameKey(set.name));
      if (node) pushSigs(res.authority, node, set);
    }
  }

  /** RFC 6672: the DNAME itself, a CNAME synthesized from it, then restart at the new name. */
  private synthesizeFromDname(dname: RRset, name: string, res: AuthAnswer): string | undefined {
    push(res.answer, dname);
    const target = readName(dname.rdata[0]!, 0).name;
    // The labels of `name` below the DNAME owner, with their trailing dot ("w." for w.old. under old.).
    const prefix = dname.name === '.' ? name : name.slice(0, name.length - dname.name.length);
    let next: string;
    try {
      next = target === '.' ? prefix : parseName(prefix + target);
    } catch (err) {
      if (err instanceof NameError) {
        res.rcode = Rcode.YXDOMAIN; // the substituted name would be too long (RFC 6672 2.2)
        return undefined;
      }
      throw err;
    }
    res.answer.push({ name, type: RRType.CNAME, class: dname.class, ttl: dname.ttl, rdata: nameToWire(next) });
    return next;
  }

  private referral(zone: Zone, cut: ZoneNode, res: AuthAnswer, dnssecOk: boolean): void {
    // A referral is authoritative only if something before it in the chain was.
    if (res.answer.length === 0) res.aa = false;
    const ns = cut.rrsets.get(RRType.NS)!;
    push(res.authority, ns);
    // RFC 4035 3.1.4 and RFC 3225 3: the DS with its RRSIGs (or, for an insecure delegation, the
    // NSEC that proves there is none) only when the query set DO and the zone is signed (its
    // DNSKEY RRset signed at the apex, NSD's test); otherwise NS and glue alone, as NSD and Knot send.
    if (dnssecOk && isSigned(zone)) {
      const proof = cut.rrsets.has(RRType.DS) ? RRType.DS : RRType.NSEC;
      const set = cut.rrsets.get(proof);
      if (set) push(res.authority, set);
      const sigs = set ? sigsOver(cut, proof) : undefined;
      if (sigs) push(res.authority, sigs, sigs.name, set!.ttl);
      // NSEC3 (opt-out off): the NSEC3 matching the cut, whose bitmap lacks DS (RFC 5155 7.2.7).
      if (!set) this.prove(zone, res, (idx) => [matching(idx, cut.name)]);
    }
    // Glue for name servers in or below the cut is required; other in-zone addresses are a courtesy.
    const required: RR[] = [];
    const optional: RR[] = [];
    for (const rdata of ns.rdata) {
      const host = readName(rdata, 0).name;
      if (!isInDomain(host, zone.origin)) continue;
      const out = isInDomain(host, cut.name) ? required : optional;
      const node = zone.node(host);
      for (const t of [RRType.A, RRType.AAAA]) {
        const set = node?.rrsets.get(t);
        if (set) push(out, set);
      }
    }
    res.additional.push(...required, ...optional);
    res.requiredAdditional = required.length;
  }

  private negative(zone: Zone, res: AuthAnswer, rcode: number): void {
    res.rcode = rcode;
    // RFC 2308 section 3: the SOA with TTL min(SOA TTL, MINIMUM), so caches use the right time.
    push(res.authority, zone.soa, zone.soa.name, zone.negativeTtl);
  }

  /**
   * Addresses of NS, MX, SRV and SVCB targets that we hold authoritatively (RFC 1035 3.3), and for
   * SVCB/HTTPS also the target's own SVCB/HTTPS RRset, which an AliasMode client needs next
   * (RFC 9460 4.1; Knot does the same). One level only: additional data is a courtesy.
   */
  private addAdditional(res: AuthAnswer): void {
    if (res.rcode !== Rcode.NOERROR) return;
    const have = new Set(res.additional.map((r) => nameKey(r.name) + '/' + r.type));
    for (const r of res.answer) have.add(nameKey(r.name) + '/' + r.type);
    const add = (node: ZoneNode, type: number, zone?: Zone): void => {
      const k = nameKey(node.name) + '/' + type;
      const stored = node.rrsets.get(type);
      if (!stored || have.has(k)) return;
      have.add(k);
      // No RRSIGs go with additional data here, so a filtered SVCB set needs none.
      push(res.additional, (zone && this.filtered(zone, stored, false)?.set) ?? stored);
    };
    for (const rr of res.answer) {
      if (rr.type === RRType.CNAME || rr.type === RRType.DNAME || rr.type === RRType.PTR) continue;
      const host = targetOf(rr.type, rr.rdata, rr.name);
      if (host === undefined) continue;
      const served = this.catalog.findServed(host);
      const node = served?.node(host);
      if (!node) continue;
      if (rr.type === RRType.SVCB || rr.type === RRType.HTTPS) add(node, rr.type, served);
      add(node, RRType.A);
      add(node, RRType.AAAA);
    }
  }
}

/** `name` with its `drop` leftmost labels removed. */
function suffix(name: string, drop: number): string {
  let cur = name;
  for (let i = 0; i < drop; i++) cur = parentName(cur) ?? '.';
  return cur;
}

