// Denial of existence with NSEC (RFC 4035 5.4, RFC 6840 4.1 and 4.3): NXDOMAIN (a covering
// NSEC and no wildcard at the closest encloser), NODATA (a matching NSEC without the type, an
// empty non-terminal, or a wildcard without the type), the wildcard-expansion proof (5.3.4)
// and, for DS, the proof of an insecure delegation. The NSEC sets given are already verified.

import { compareCanonicalNames } from '../../dnssec/canonical.js';
import { isInDomain, labelCount, readName } from '../../wire/name.js';
import type { RRset } from '../../wire/rr.js';
import { RRType } from '../../wire/types.js';
import { bitmapHas, commonAncestor, missing, proven, same, wildcardAt, type Proof } from './denial-common.js';

interface Nsec {
  owner: string;
  next: string;
  bitmap: Buffer;
}

function parse(set: RRset): Nsec | undefined {
  const rd = set.rdata[0];
  if (!rd) return undefined;
  try {
    const { name, end } = readName(rd, 0);
    return { owner: set.name, next: name, bitmap: rd.subarray(end) };
  } catch {
    return undefined;
  }
}

const has = (n: Nsec, type: number) => bitmapHas(n.bitmap, type);

/** owner < name < next in canonical order, the last NSEC (next at the apex) covering all after it. */
function covers(n: Nsec, name: string): boolean {
  const afterOwner = compareCanonicalNames(n.owner, name) < 0;
  const beforeNext = compareCanonicalNames(name, n.next) < 0;
  const last = compareCanonicalNames(n.owner, n.next) >= 0;
  return last ? afterOwner || beforeNext : afterOwner && beforeNext;
}

/**
 * Whether an NSEC may speak about `name` at all (RFC 6840 4.1): one at a delegation from the
 * parent side (NS, no SOA) or at a DNAME says nothing about the names below it.
 */
function usable(n: Nsec, name: string): boolean {
  if (!isInDomain(name, n.owner) || same(name, n.owner)) return true;
  return !((has(n, RRType.NS) && !has(n, RRType.SOA)) || has(n, RRType.DNAME));
}

function load(sets: readonly RRset[], zone: string): Nsec[] {
  return sets.filter((s) => s.type === RRType.NSEC && isInDomain(s.name, zone)).map(parse).filter((n): n is Nsec => n !== undefined);
}

/** The closest encloser a covering NSEC implies (RFC 4035 5.4: the longer common ancestor). */
function closestEncloser(n: Nsec, name: string): string {
  const a = commonAncestor(name, n.owner);
  const b = commonAncestor(name, n.next);
  return labelCount(a) >= labelCount(b) ? a : b;
}

export function nsecNxdomain(qname: string, zone: string, sets: readonly RRset[]): Proof {
  const nsecs = load(sets, zone);
  const cover = nsecs.find((n) => covers(n, qname) && usable(n, qname));
  if (!cover) return missing(`no NSEC proves that ${qname} does not exist`);
  const ce = closestEncloser(cover, qname);
  const wild = wildcardAt(ce);
  if (nsecs.some((n) => same(n.owner, wild))) return missing(`the wildcard ${wild} exists, so ${qname} should have been expanded from it`);
  if (!nsecs.some((n) => covers(n, wild) && usable(n, wild))) return missing(`no NSEC proves that the wildcard ${wild} does not exist`);
  return proven;
}

export function nsecNodata(qname: string, qtype: number, zone: string, sets: readonly RRset[]): Proof {
  const nsecs = load(sets, zone);
  const match = nsecs.find((n) => same(n.owner, qname));
  if (match) {
    if (has(match, qtype) || has(match, RRType.CNAME)) return missing(`the NSEC at ${qname} lists the type asked for (or a CNAME)`);
    // The parent's NSEC at a delegation proves there is no DS; for any other type it is a referral.
    if (qtype !== RRType.DS && has(match, RRType.NS) && !has(match, RRType.SOA)) return missing(`the NSEC at ${qname} is the parent side of a delegation`);
    if (qtype === RRType.DS && has(match, RRType.SOA) && !same(qname, '.')) return missing(`the NSEC at ${qname} is from the child zone, not the parent`);
    return qtype === RRType.DS ? { result: 'proven', delegation: has(match, RRType.NS) } : proven;
  }
  const cover = nsecs.find((n) => covers(n, qname) && usable(n, qname));
  if (!cover) return missing(`no NSEC at or covering ${qname}`);
  // An empty non-terminal: the next name is below it (RFC 4035 3.1.3.2 / 5.4).
  if (isInDomain(cover.next, qname) && !same(cover.next, qname)) return proven;
  const wild = wildcardAt(closestEncloser(cover, qname));
  const w = nsecs.find((n) => same(n.owner, wild));
  if (w && !has(w, qtype) && !has(w, RRType.CNAME)) return proven;
  return missing(`no NSEC proves that ${qname} has no data of the type asked for`);
}

/** A wildcard expansion at `qname`: the name itself must not exist (RFC 4035 5.3.4). */
export function nsecWildcard(qname: string, zone: string, sets: readonly RRset[]): Proof {
  const nsecs = load(sets, zone);
  return nsecs.some((n) => covers(n, qname) && usable(n, qname)) ? proven : missing(`no NSEC proves that ${qname} does not exist, as its wildcard answer needs`);
}
