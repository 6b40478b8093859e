// NSEC3 proofs for answers from a signed zone (RFC 5155 section 7.2): the NSEC3 that matches a
// name, the one that covers a name, and the closest encloser proof. The zone's NSEC3 records
// are indexed by hash once per zone version.

import { base32hexDecode } from '../wire/base32hex.js';
import { firstLabel, labelCount, nameKey, parentName } from '../wire/name.js';
import type { RRset } from '../wire/rr.js';
import { RRType } from '../wire/types.js';
import { nsec3Hash } from '../dnssec/nsec3-hash.js';
import type { Zone, ZoneNode } from '../zone/zone.js';

interface Nsec3Index {
  salt: Buffer;
  iterations: number;
  /** Owner hashes, ascending, with their nodes. */
  hashes: Buffer[];
  nodes: ZoneNode[];
}

const indexes = new WeakMap<Zone, Nsec3Index | null>();

/** The zone's NSEC3 index, or undefined when it has no NSEC3PARAM (not NSEC3-signed). */
export function nsec3Index(zone: Zone): Nsec3Index | undefined {
  let idx = indexes.get(zone);
  if (idx === undefined) {
    idx = build(zone);
    indexes.set(zone, idx);
  }
  return idx ?? undefined;
}

function build(zone: Zone): Nsec3Index | null {
  const param = zone.apex.rrsets.get(RRType.NSEC3PARAM)?.rdata.find((r) => r.length >= 5 && r[0] === 1 && r[1] === 0);
  if (param === undefined) return null;
  const iterations = param.readUInt16BE(2);
  const salt = Buffer.from(param.subarray(5, 5 + param[4]!));
  const entries: Array<{ hash: Buffer; node: ZoneNode }> = [];
  for (const node of zone.allNodes()) {
    if (!node.rrsets.has(RRType.NSEC3) || labelCount(node.name) !== labelCount(zone.origin) + 1) continue;
    const hash = base32hexDecode(firstLabel(node.name));
    if (hash !== undefined) entries.push({ hash, node });
  }
  entries.sort((a, b) => Buffer.compare(a.hash, b.hash));
  return { salt, iterations, hashes: entries.map((e) => e.hash), nodes: entries.map((e) => e.node) };
}

function nsec3Of(node: ZoneNode): RRset {
  return node.rrsets.get(RRType.NSEC3)!;
}

/** The NSEC3 RRset whose owner is the hash of `name`, if any. */
export function matching(idx: Nsec3Index, name: string): RRset | undefined {
  const h = nsec3Hash(name, idx.salt, idx.iterations);
  const i = lowerBound(idx.hashes, h);
  return i < idx.hashes.length && idx.hashes[i]!.equals(h) ? nsec3Of(idx.nodes[i]!) : undefined;
}

/** The NSEC3 RRset whose owner hash is the last one before the hash of `name` (wrapping round). */
export function covering(idx: Nsec3Index, name: string): RRset | undefined {
  if (idx.hashes.length === 0) return undefined;
  const h = nsec3Hash(name, idx.salt, idx.iterations);
  const i = lowerBound(idx.hashes, h);
  const at = (i === 0 ? idx.hashes.length : i) - 1;
  return nsec3Of(idx.nodes[at]!);
}

function lowerBound(arr: readonly Buffer[], x: Buffer): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (Buffer.compare(arr[mid]!, x) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The name one label longer than `encloser` on the way to `name` (RFC 5155 1.3 "next closer name"). */
export function nextCloser(name: string, encloser: string): string {
  const want = labelCount(encloser) + 1;
  let cur = name;
  while (labelCount(cur) > want) cur = parentName(cur)!;
  return cur;
}

/**
 * Closest encloser proof (RFC 5155 7.2.1) for `name` whose closest encloser is `encloser`:
 * the NSEC3 matching the encloser and the one covering the next closer name.
 */
export function closestEncloserProof(idx: Nsec3Index, name: string, encloser: string): RRset[] {
  const out: RRset[] = [];
  const m = matching(idx, encloser);
  if (m) out.push(m);
  const c = covering(idx, nextCloser(name, encloser));
  if (c) out.push(c);
  return out;
}

/** Keys of RRsets already chosen, so one NSEC3 is not sent twice. */
export function dedupe(sets: RRset[]): RRset[] {
  const seen = new Set<string>();
  return sets.filter((s) => {
    const k = nameKey(s.name);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
