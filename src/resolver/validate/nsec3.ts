// Denial of existence with NSEC3 (RFC 5155 section 8, RFC 9276): the closest encloser proof
// (8.3), NXDOMAIN (8.4), NODATA (8.5), DS NODATA and opt-out (8.6), wildcard NODATA (8.7) and
// the wildcard-expansion proof (8.8). The NSEC3 sets given are already verified. More than
// MAX_ITERATIONS extra iterations make the answer insecure, as RFC 9276 3.2 lets a validator do
// (Unbound's and BIND's limit is 150), so a hostile zone cannot make us hash without end.

import { nsec3Hash, NSEC3_SHA1 } from '../../dnssec/nsec3-hash.js';
import { base32hexDecode } from '../../wire/base32hex.js';
import { firstLabel, isInDomain, nameEquals, parentName } from '../../wire/name.js';
import type { RRset } from '../../wire/rr.js';
import { RRType } from '../../wire/types.js';
import { bitmapHas, missing, nextCloser, proven, wildcardAt, type Proof } from './denial-common.js';

export const MAX_ITERATIONS = 150;

interface Nsec3 {
  hash: Buffer;
  next: Buffer;
  optOut: boolean;
  iterations: number;
  salt: Buffer;
  bitmap: Buffer;
}

function parse(set: RRset, zone: string): Nsec3 | undefined {
  const rd = set.rdata[0];
  const parent = parentName(set.name);
  if (!rd || rd.length < 6 || parent === undefined || !nameEquals(parent, zone) || rd[0] !== NSEC3_SHA1) return undefined;
  const saltLen = rd[4]!;
  const hashLen = rd[5 + saltLen];
  if (hashLen === undefined || rd.length < 6 + saltLen + hashLen) return undefined;
  const hash = base32hexDecode(firstLabel(set.name));
  if (!hash || hash.length !== hashLen) return undefined;
  return {
    hash, next: rd.subarray(6 + saltLen, 6 + saltLen + hashLen), optOut: (rd[1]! & 1) === 1,
    iterations: rd.readUInt16BE(2), salt: rd.subarray(5, 5 + saltLen), bitmap: rd.subarray(6 + saltLen + hashLen),
  };
}

class Nsec3Set {
  private readonly hashes = new Map<string, Buffer>();
  constructor(readonly records: Nsec3[]) {}

  private hashOf(name: string, n: Nsec3): Buffer {
    const k = `${n.salt.toString('hex')}/${n.iterations}/${name.toLowerCase()}`;
    let h = this.hashes.get(k);
    if (!h) this.hashes.set(k, (h = nsec3Hash(name, n.salt, n.iterations)));
    return h;
  }

  match(name: string): Nsec3 | undefined {
    return this.records.find((n) => this.hashOf(name, n).equals(n.hash));
  }

  cover(name: string): Nsec3 | undefined {
    return this.records.find((n) => {
      const h = this.hashOf(name, n);
      const afterOwner = Buffer.compare(n.hash, h) < 0;
      const beforeNext = Buffer.compare(h, n.next) < 0;
      return Buffer.compare(n.hash, n.next) >= 0 ? afterOwner || beforeNext : afterOwner && beforeNext;
    });
  }
}

type Loaded = { set: Nsec3Set } | { proof: Proof };

function load(sets: readonly RRset[], zone: string): Loaded {
  const records = sets.filter((s) => s.type === RRType.NSEC3).map((s) => parse(s, zone)).filter((n): n is Nsec3 => n !== undefined);
  if (records.length === 0) return { proof: missing(`no NSEC3 of ${zone} in the answer`) };
  const most = Math.max(...records.map((n) => n.iterations));
  if (most > MAX_ITERATIONS) return { proof: { result: 'insecure', why: `NSEC3 with ${most} iterations (more than ${MAX_ITERATIONS}; RFC 9276)` } };
  return { set: new Nsec3Set(records) };
}

const has = (n: Nsec3, type: number) => bitmapHas(n.bitmap, type);
/** A matching NSEC3 that is the parent side of a delegation or a DNAME cannot be a closest encloser (RFC 5155 8.3). */
const enclosing = (n: Nsec3) => !((has(n, RRType.NS) && !has(n, RRType.SOA)) || has(n, RRType.DNAME));

/** The closest encloser proof (8.3): an existing ancestor, and the next closer name covered. */
function closestEncloser(set: Nsec3Set, qname: string, zone: string): { ce: string; cover: Nsec3 } | undefined {
  for (let ce = parentName(qname); ce !== undefined && isInDomain(ce, zone); ce = parentName(ce)) {
    const m = set.match(ce);
    if (!m) continue;
    if (!enclosing(m)) return undefined;
    const cover = set.cover(nextCloser(qname, ce));
    return cover ? { ce, cover } : undefined;
  }
  return undefined;
}

export function nsec3Nxdomain(qname: string, zone: string, sets: readonly RRset[]): Proof {
  const l = load(sets, zone);
  if ('proof' in l) return l.proof;
  const cep = closestEncloser(l.set, qname, zone);
  if (!cep) return missing(`no NSEC3 closest encloser proof for ${qname}`);
  if (!l.set.cover(wildcardAt(cep.ce))) return missing(`no NSEC3 proves that the wildcard ${wildcardAt(cep.ce)} does not exist`);
  // Opt-out: an unsigned delegation may sit in the span, so the name may exist after all (RFC 5155 6).
  if (cep.cover.optOut) return { result: 'insecure', why: `the NSEC3 covering ${nextCloser(qname, cep.ce)} has opt-out` };
  return proven;
}

export function nsec3Nodata(qname: string, qtype: number, zone: string, sets: readonly RRset[]): Proof {
  const l = load(sets, zone);
  if ('proof' in l) return l.proof;
  const m = l.set.match(qname);
  if (m) {
    if (has(m, qtype) || has(m, RRType.CNAME)) return missing(`the NSEC3 for ${qname} lists the type asked for (or a CNAME)`);
    if (qtype !== RRType.DS && has(m, RRType.NS) && !has(m, RRType.SOA)) return missing(`the NSEC3 for ${qname} is the parent side of a delegation`);
    if (qtype === RRType.DS && has(m, RRType.SOA) && qname !== '.') return missing(`the NSEC3 for ${qname} is from the child zone, not the parent`);
    return qtype === RRType.DS ? { result: 'proven', delegation: has(m, RRType.NS) } : proven;
  }
  const cep = closestEncloser(l.set, qname, zone);
  if (!cep) return missing(`no NSEC3 matches ${qname} and no closest encloser proof`);
  // 8.6: no DS, proven by an opt-out span over the next closer name: an insecure delegation.
  if (qtype === RRType.DS && cep.cover.optOut) return { result: 'insecure', why: `${qname} is in an NSEC3 opt-out span` };
  const w = l.set.match(wildcardAt(cep.ce));
  if (w && !has(w, qtype) && !has(w, RRType.CNAME)) return proven;
  return missing(`no NSEC3 proves that ${qname} has no data of the type asked for`);
}

/** A wildcard expansion at `qname` from `*.<ce>` (8.8): the next closer name is covered. */
export function nsec3Wildcard(qname: string, ce: string, zone: string, sets: readonly RRset[]): Proof {
  const l = load(sets, zone);
  if ('proof' in l) return l.proof;
  return l.set.cover(nextCloser(qname, ce)) ? proven : missing(`no NSEC3 proves that ${nextCloser(qname, ce)} does not exist, as the wildcard answer for ${qname} needs`);
}
