// Sorting an upstream reply into what it means for iteration (Unbound's iter_classify and
// iter_scrub): answer, negative answer, referral, or lame, keeping only records that are in
// bailiwick of the zone the server was asked as (RFC 5452 section 6 / "Kaminsky" defence).

import type { Message } from '../wire/message.js';
import { isInDomain, nameEquals, nameKey, readName } from '../wire/name.js';
import type { RR, RRset } from '../wire/rr.js';
import { RRType, Rcode, rcodeToString } from '../wire/types.js';

export type Classified =
  /** Authoritative data for the question (possibly with a CNAME/DNAME chain, possibly ending in NXDOMAIN). */
  | { kind: 'answer'; sets: RRset[]; nxdomain: boolean; soa?: RRset; proof?: RRset[] }
  | { kind: 'nodata'; soa?: RRset; proof?: RRset[] }
  | { kind: 'nxdomain'; soa?: RRset; proof?: RRset[] }
  | { kind: 'referral'; zone: string; nameservers: string[]; glue: Map<string, string[]>; ttl: number; glueSets: RRset[] }
  | { kind: 'lame'; reason: string };

/** Group records into RRsets (owner case of the first record, TTL the smallest; RFC 2181 5.2). */
export function toRRsets(rrs: readonly RR[]): RRset[] {
  const sets = new Map<string, RRset>();
  for (const rr of rrs) {
    const key = `${nameKey(rr.name)}/${rr.type}/${rr.class}`;
    const set = sets.get(key);
    if (!set) sets.set(key, { name: rr.name, type: rr.type, class: rr.class, ttl: rr.ttl, rdata: [rr.rdata] });
    else {
      set.ttl = Math.min(set.ttl, rr.ttl);
      if (!set.rdata.some((d) => d.equals(rr.rdata))) set.rdata.push(rr.rdata);
    }
  }
  return [...sets.values()];
}

/**
 * toRRsets, with each RRSIG put on the set it covers (`sigs`) rather than in a set of its own:
 * what a DO=1 reply carries, kept for the validator. RRSIGs of no set here are dropped. Without
 * RRSIGs (DO=0 replies) the same as toRRsets. `keep` keeps RRSIGs as a set (the question asked for them).
 */
export function toSignedRRsets(rrs: readonly RR[], keep = false): RRset[] {
  if (keep || !rrs.some((r) => r.type === RRType.RRSIG)) return toRRsets(rrs);
  const sets = toRRsets(rrs.filter((r) => r.type !== RRType.RRSIG));
  for (const rr of rrs) {
    if (rr.type !== RRType.RRSIG || rr.rdata.length < 2) continue;
    const covered = rr.rdata.readUInt16BE(0);
    const set = sets.find((s) => s.type === covered && s.class === rr.class && nameEquals(s.name, rr.name));
    if (!set) continue;
    set.sigs ??= [];
    if (!set.sigs.some((d) => d.equals(rr.rdata))) set.sigs.push(rr.rdata);
  }
  return sets;
}

/** The NSEC and NSEC3 sets of an authority section (a denial or a wildcard proof), or undefined. */
function denial(sets: RRset[]): { proof?: RRset[] } {
  const proof = sets.filter((s) => s.type === RRType.NSEC || s.type === RRType.NSEC3);
  return proof.length > 0 ? { proof } : {};
}

export function addressText(type: number, rdata: Buffer): string | undefined {
  if (type === RRType.A && rdata.length === 4) return [...rdata].join('.');
  if (type === RRType.AAAA && rdata.length === 16) {
    const parts: string[] = [];
    for (let i = 0; i < 16; i += 2) parts.push(rdata.readUInt16BE(i).toString(16));
    return parts.join(':');
  }
  return undefined;
}

/**
 * Classify `reply` to a query for (qname, qtype) sent to a server of `zone`. Records outside
 * `zone` are dropped before anything is believed.
 */
export function classify(reply: Message, qname: string, zone: string): Classified {
  if (reply.rcode !== Rcode.NOERROR && reply.rcode !== Rcode.NXDOMAIN) return { kind: 'lame', reason: `answered ${rcodeToString(reply.rcode)}` };
  const q = reply.questions[0];
  if (!q || !nameEquals(q.name, qname)) return { kind: 'lame', reason: 'reply is for another question' };
  const inZone = (rr: RR) => isInDomain(rr.name, zone);
  const answers = reply.answers.filter(inZone);
  const authority = reply.authority.filter(inZone);
  const authSets = toSignedRRsets(authority);
  const soaSet = authSets.find((s) => s.type === RRType.SOA);
  const proof = denial(authSets);
  // A negative answer's SOA must be the apex of a zone that contains the name.
  const soa = soaSet && isInDomain(qname, soaSet.name) ? soaSet : undefined;
  const nxdomain = reply.rcode === Rcode.NXDOMAIN;

  if (answers.length > 0) {
    if (!reply.aa) return { kind: 'lame', reason: 'non-authoritative answer from a server asked iteratively' };
    const sets = toSignedRRsets(answers, q.type === RRType.RRSIG);
    return { kind: 'answer', sets, nxdomain, soa, ...proof };
  }
  if (nxdomain) {
    if (!reply.aa && !soa) return { kind: 'lame', reason: 'NXDOMAIN without authority' };
    return { kind: 'nxdomain', soa, ...proof };
  }
  const ns = authority.filter((r) => r.type === RRType.NS);
  if (ns.length > 0 && !reply.aa) {
    const cut = ns[0]!.name;
    // A referral must lead down, towards the name: never sideways or up (loops, poisoning).
    if (nameEquals(cut, zone) || !isInDomain(cut, zone) || !isInDomain(qname, cut)) {
      return { kind: 'lame', reason: `referral to ${cut} does not lead below ${zone} towards ${qname}` };
    }
    const nsSet = ns.filter((r) => nameEquals(r.name, cut));
    const nameservers = [...new Set(nsSet.map((r) => readName(r.rdata, 0).name))];
    const glue = new Map<string, string[]>();
    const glueRecords: RR[] = [];
    for (const rr of reply.additional) {
      if (rr.type !== RRType.A && rr.type !== RRType.AAAA) continue;
      // Glue is believed only for the delegated servers' names, and only inside the parent's bailiwick.
      if (!isInDomain(rr.name, zone) || !nameservers.some((n) => nameEquals(n, rr.name))) continue;
      const addr = addressText(rr.type, rr.rdata);
      if (!addr) continue;
      const key = nameKey(rr.name);
      const list = glue.get(key) ?? [];
      if (!list.includes(addr)) list.push(addr);
      glue.set(key, list);
      glueRecords.push(rr);
    }
    return { kind: 'referral', zone: cut, nameservers, glue, ttl: Math.min(...nsSet.map((r) => r.ttl)), glueSets: toRRsets(glueRecords) };
  }
  if (reply.aa || soa) return { kind: 'nodata', soa, ...proof };
  return { kind: 'lame', reason: 'empty non-authoritative reply' };
}
