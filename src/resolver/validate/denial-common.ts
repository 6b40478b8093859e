// What the NSEC and NSEC3 proofs share: the outcome of a proof, the type bitmap (RFC 4034 4.1.2),
// and name arithmetic on the canonical order.

import { labelCount, nameEquals, nameToLabels, parentName } from '../../wire/name.js';

/** A denial proof: proven, made insecure by NSEC3 opt-out (RFC 5155 6) or too many iterations (RFC 9276), or not there. */
export type Proof =
  /** `delegation`, for a DS denial: the matching record is a delegation's (NS, no SOA; RFC 6840 4.4). */
  | { result: 'proven'; delegation?: boolean }
  | { result: 'insecure'; why: string }
  | { result: 'missing'; why: string };

export const proven: Proof = { result: 'proven' };
export const missing = (why: string): Proof => ({ result: 'missing', why });

/** Whether a type bitmap (windows of <window, length, bits>) has `type`. */
export function bitmapHas(bitmap: Buffer, type: number): boolean {
  const window = type >> 8;
  const bit = type & 0xff;
  for (let i = 0; i + 2 <= bitmap.length; ) {
    const w = bitmap[i]!;
    const len = bitmap[i + 1]!;
    if (w === window) {
      const byte = bit >> 3;
      return byte < len && i + 2 + byte < bitmap.length && (bitmap[i + 2 + byte]! & (0x80 >> (bit & 7))) !== 0;
    }
    i += 2 + len;
  }
  return false;
}

/** `name` cut to its rightmost `labels` labels. */
export function suffix(name: string, labels: number): string {
  let n = name;
  for (let c = labelCount(name); c > labels; c--) n = parentName(n)!;
  return n;
}

/** The deepest name both are in. */
export function commonAncestor(a: string, b: string): string {
  const la = nameToLabels(a).map((l) => l.toString('latin1').toLowerCase());
  const lb = nameToLabels(b).map((l) => l.toString('latin1').toLowerCase());
  let n = 0;
  while (n < la.length && n < lb.length && la[la.length - 1 - n] === lb[lb.length - 1 - n]) n++;
  return suffix(a, n);
}

/** The child of `ancestor` on the way down to `name` (the "next closer name" of RFC 5155 1.3). */
export function nextCloser(name: string, ancestor: string): string {
  return suffix(name, labelCount(ancestor) + 1);
}

export const wildcardAt = (name: string): string => (name === '.' ? '*.' : `*.${name}`);

export const same = nameEquals;
