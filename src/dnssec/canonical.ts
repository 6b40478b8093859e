// The canonical form and order of RFC 4034 section 6, shared by the signer and the validator:
// canonical names (6.2 item 2), names lowercased inside the RDATA of the types RFC 4034 6.2
// lists as amended by RFC 6840 5.1 (RRSIG yes, NSEC no), canonical RRset order (6.3), the
// octets an RRSIG signs (RFC 4034 3.1.8.1), and the owner name of a wildcard expansion
// (RFC 4035 5.3.2).

import { labelCount, nameToLabels, nameToWire, parentName } from '../wire/name.js';
import { RRType } from '../wire/types.js';
import { readRrsig } from '../wire/rdata/dnssec.js';

/** Uncompressed wire form with ASCII letters lowercased (RFC 4034 6.2 item 2). */
export function canonicalNameWire(name: string): Buffer {
  return lowerNameInPlace(Buffer.from(nameToWire(name)), 0);
}

/** Lowercases the uncompressed name at `pos` of `buf` in place; returns `buf`. */
function lowerNameInPlace(buf: Buffer, pos: number): Buffer {
  for (;;) {
    const len = buf[pos];
    if (len === undefined || len === 0 || len > 63) return buf;
    for (let i = pos + 1; i <= pos + len && i < buf.length; i++) {
      const c = buf[i]!;
      if (c >= 0x41 && c <= 0x5a) buf[i] = c + 0x20;
    }
    pos += 1 + len;
  }
}

/** Offset after the uncompressed name at `pos` (or the buffer length when it is cut off). */
function nameEnd(buf: Buffer, pos: number): number {
  for (;;) {
    const len = buf[pos];
    if (len === undefined) return buf.length;
    pos += 1 + len;
    if (len === 0) return pos;
  }
}

// Where the names sit in each type's RDATA: a fixed number of octets to skip, 'n' a name,
// 's' a character-string. The types of RFC 4034 6.2 item 3 less NSEC (RFC 6840 5.1); HINFO
// in that list holds no names.
type Step = number | 'n' | 's';
const NAME_LAYOUT = new Map<number, readonly Step[]>([
  [RRType.NS, ['n']], [3, ['n']], [4, ['n']], [RRType.CNAME, ['n']],
  [RRType.SOA, ['n', 'n']], [7, ['n']], [8, ['n']], [9, ['n']], [RRType.PTR, ['n']],
  [14, ['n', 'n']], [RRType.MX, [2, 'n']], [RRType.RP, ['n', 'n']], [RRType.AFSDB, [2, 'n']],
  [21, [2, 'n']], [24, [18, 'n']], [26, [2, 'n', 'n']], [30, ['n']],
  [RRType.NAPTR, [4, 's', 's', 's', 'n']], [RRType.KX, [2, 'n']], [RRType.SRV, [6, 'n']],
  [RRType.DNAME, ['n']], [RRType.RRSIG, [18, 'n']],
]);

/** RDATA with the embedded names lowercased where RFC 4034 6.2 (with RFC 6840 5.1) says so. */
export function canonicalRdata(type: number, rdata: Buffer): Buffer {
  if (type === 38) return canonicalA6(rdata);
  const layout = NAME_LAYOUT.get(type);
  if (layout === undefined) return rdata;
  const out = Buffer.from(rdata);
  let pos = 0;
  for (const step of layout) {
    if (pos >= out.length) break;
    if (step === 'n') {
      lowerNameInPlace(out, pos);
      pos = nameEnd(out, pos);
    } else if (step === 's') pos += 1 + out[pos]!;
    else pos += step;
  }
  return out;
}

/** A6 (RFC 2874): prefix length, the address suffix, then the prefix name when the length is not 0. */
function canonicalA6(rdata: Buffer): Buffer {
  if (rdata.length === 0 || rdata[0] === 0) return rdata;
  const out = Buffer.from(rdata);
  lowerNameInPlace(out, 1 + Math.ceil((128 - out[0]!) / 8));
  return out;
}

/** RFC 4034 6.3: by canonical RDATA as left-justified unsigned octet strings; duplicates removed. */
export function canonicalRdataOrder(type: number, rdatas: readonly Buffer[]): Buffer[] {
  const canon = rdatas.map((r) => canonicalRdata(type, r)).sort(Buffer.compare);
  return canon.filter((r, i) => i === 0 || !r.equals(canon[i - 1]!));
}

/**
 * RFC 4034 6.1 canonical name order: by labels from the right, each compared as lowercased
 * octet strings. Negative, zero or positive as for a sort.
 */
export function compareCanonicalNames(a: string, b: string): number {
  const la = nameToLabels(a).map(lowerLabel);
  const lb = nameToLabels(b).map(lowerLabel);
  for (let i = 1; i <= Math.min(la.length, lb.length); i++) {
    const c = Buffer.compare(la[la.length - i]!, lb[lb.length - i]!);
    if (c !== 0) return c;
  }
  return la.length - lb.length;
}

function lowerLabel(l: Buffer): Buffer {
  const out = Buffer.from(l);
  for (let i = 0; i < out.length; i++) if (out[i]! >= 0x41 && out[i]! <= 0x5a) out[i]! += 0x20;
  return out;
}

/**
 * The owner an RRSIG was made over (RFC 4035 5.3.2): the owner itself, or for a wildcard
 * expansion (RRSIG labels below the owner's label count) `*.` and the owner's rightmost
 * `labels` labels. Undefined when labels is over the owner's count (the RRSIG is invalid).
 */
export function signedOwner(owner: string, labels: number): string | undefined {
  const n = labelCount(owner);
  if (labels > n) return undefined;
  if (labels === n) return owner;
  let base: string = owner;
  for (let i = n; i > labels; i--) base = parentName(base)!;
  return base === '.' ? '*.' : `*.${base}`;
}

/** The RRSIG labels field for an owner (RFC 4034 3.1.3): labels not counting the root or a leading `*`. */
export function rrsigLabels(owner: string): number {
  return owner.startsWith('*.') ? labelCount(owner) - 1 : labelCount(owner);
}

/**
 * The octets an RRSIG signs (RFC 4034 3.1.8.1): the RRSIG RDATA up to the signature with the
 * signer's name lowercased, then each RR of the set in canonical form and order: owner (the
 * wildcard owner when the labels say so), type, class, the RRSIG's original TTL, RDLENGTH and
 * canonical RDATA. `rrsigRdata` may hold a signature or not: it is cut before it.
 * Undefined when the RRSIG's labels field is over the owner's label count.
 */
export function signedData(rrsigRdata: Buffer, rrset: { name: string; type: number; class: number; rdata: readonly Buffer[] }): Buffer | undefined {
  const sig = readRrsig(rrsigRdata);
  const owner = signedOwner(rrset.name, sig.labels);
  if (owner === undefined) return undefined;
  const head = Buffer.from(rrsigRdata.subarray(0, sig.signedFieldsLength));
  lowerNameInPlace(head, 18);
  const ownerWire = canonicalNameWire(owner);
  const fixed = Buffer.alloc(8);
  fixed.writeUInt16BE(rrset.type, 0);
  fixed.writeUInt16BE(rrset.class, 2);
  fixed.writeUInt32BE(sig.originalTtl, 4);
  const parts: Buffer[] = [head];
  for (const rd of canonicalRdataOrder(rrset.type, rrset.rdata)) {
    const len = Buffer.alloc(2);
    len.writeUInt16BE(rd.length);
    parts.push(ownerWire, fixed, len, rd);
  }
  return Buffer.concat(parts);
}
