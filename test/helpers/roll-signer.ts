// The signer-level world of the key-roll tests: a parent `example.` and its child `child.example.` in one
// signer on a hand-driven clock, and the tag readers their assertions compare.

import { Signer } from '../../src/authority/signer.js';
import { loadZoneText } from '../../src/zone/load.js';
import { readRrsig } from '../../src/wire/rdata/dnssec.js';
import { RRType } from '../../src/wire/types.js';
import { keyTag } from '../../src/dnssec/keytag.js';
import type { Zone } from '../../src/zone/zone.js';

export const T0 = 1_800_000_000;
export const DAY = 86400;
export const CHILD = 'child.example.';

const PARENT_TEXT = '$TTL 300\n@ SOA ns hostmaster 1 3600 600 86400 60\n@ NS ns\nns A 192.0.2.1\nchild 600 NS ns.child\nns.child A 192.0.2.2\n';
const CHILD_TEXT = '$TTL 300\n@ SOA ns hostmaster 1 3600 600 86400 60\n@ NS ns\nns A 192.0.2.2\nwww A 192.0.2.3\n';

/** The two zones, keyed by lower-case origin, as the signer's `servedZone` finds them. */
export function rollZones(): Map<string, Zone> {
  return new Map([['example.', loadZoneText(PARENT_TEXT, { origin: 'example.' })], [CHILD, loadZoneText(CHILD_TEXT, { origin: CHILD })]]);
}

/** A signer of both zones with a 60-day KSK/CSK lifetime; `logs` collects its info, warnings and errors. */
export function rollSigner(o: { dir: string; zones: Map<string, Zone>; layout: 'split' | 'combined'; now: () => number; logs?: string[] }): Signer {
  const push = (m: string) => o.logs?.push(m);
  return new Signer({
    keyDir: o.dir, algorithm: 13, keyLayout: o.layout, times: { validity: 30 * DAY, refresh: 10 * DAY, backdate: 3600 }, now: o.now,
    kskLifetime: 60 * DAY, servedZone: (origin) => o.zones.get(origin.toLowerCase()), logger: { debug() {}, info: push, warn: push, error: push },
  });
}

export const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);
/** Key tags of DS or CDS rdata (their first two bytes). */
export const tags = (rdata: Buffer[] | undefined): number[] => sorted((rdata ?? []).map((r) => r.readUInt16BE(0)));
export const dnskeyTags = (z: Zone): number[] => sorted((z.apex.rrsets.get(RRType.DNSKEY)?.rdata ?? []).map(keyTag));
/** Tags of the keys whose RRSIGs cover `type` at `owner`. */
export const sigTags = (z: Zone, owner: string, type: number): number[] =>
  sorted([...new Set((z.nodeByKey(owner)?.rrsets.get(RRType.RRSIG)?.rdata ?? []).map(readRrsig).filter((s) => s.typeCovered === type).map((s) => s.keyTag))]);
/** The child's DS rdata at the parent. */
export const parentDs = (p: Zone): Buffer[] => p.nodeByKey(CHILD)?.rrsets.get(RRType.DS)?.rdata ?? [];
