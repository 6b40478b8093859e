// Trust anchors (RFC 4033 section 2; RFC 4035 section 5): the DS or DNSKEY records a validator
// takes on faith, read from a file in zone-file syntax (as BIND's and Unbound's anchor files:
// `. IN DS 20326 8 2 E06D...`). Several anchors, for several zones, may sit in one file.

import { readFileSync } from 'node:fs';
import { AopError } from '../../base/errors.js';
import { nameKey } from '../../wire/name.js';
import { RRType } from '../../wire/types.js';
import { parseZone } from '../../zone/parser.js';
import { formatFault } from '../../zone/load.js';

export class TrustAnchorError extends AopError {
  declare readonly code: 'ERR_TRUST_ANCHOR_INVALID';
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_TRUST_ANCHOR_INVALID', message, options);
  }
}

/** The anchor of one zone: DS RDATA, DNSKEY RDATA, or both. */
export interface TrustAnchor {
  zone: string;
  ds: Buffer[];
  dnskey: Buffer[];
}

export class TrustAnchors {
  private readonly byZone = new Map<string, TrustAnchor>();

  constructor(anchors: Iterable<TrustAnchor> = []) {
    for (const a of anchors) this.byZone.set(nameKey(a.zone), a);
  }

  get size(): number {
    return this.byZone.size;
  }

  zones(): string[] {
    return [...this.byZone.values()].map((a) => a.zone);
  }

  /** Add or replace the anchor of a zone (RFC 5011 updates, managed-anchors.ts). */
  set(anchor: TrustAnchor): void {
    this.byZone.set(nameKey(anchor.zone), anchor);
  }

  /** The anchor for exactly this zone, if any. */
  at(zone: string): TrustAnchor | undefined {
    return this.byZone.get(nameKey(zone));
  }

  /** The deepest anchor at or above `name`: where its chain of trust starts. */
  closest(name: string): TrustAnchor | undefined {
    const labels = nameKey(name).split('.').filter((l) => l !== '');
    for (let i = 0; i <= labels.length; i++) {
      const zone = i === labels.length ? '.' : labels.slice(i).join('.') + '.';
      const a = this.byZone.get(zone);
      if (a) return a;
    }
    return undefined;
  }
}

/** Anchors from zone-file text: DS and DNSKEY records only, owner names absolute (origin `.`). */
export function parseTrustAnchors(text: string, file = '<text>'): TrustAnchors {
  // Anchor files (BIND's, Unbound's) often leave the TTL out: it means nothing for an anchor.
  const { records, faults } = parseZone(text, { origin: '.', file, defaultTtl: 3600 });
  if (faults.length > 0) throw new TrustAnchorError(faults.map((f) => formatFault(f)).join('; '));
  const byZone = new Map<string, TrustAnchor>();
  for (const rr of records) {
    if (rr.type !== RRType.DS && rr.type !== RRType.DNSKEY) {
      throw new TrustAnchorError(`${rr.file}:${rr.line}:${rr.col}: a trust anchor is a DS or DNSKEY record, not type ${rr.type} at ${rr.name}`);
    }
    // A DNSKEY anchor must be a zone key (RFC 4034 2.1.1): anything else could never sign the zone.
    if (rr.type === RRType.DNSKEY && (rr.rdata.readUInt16BE(0) & 0x0100) === 0) {
      throw new TrustAnchorError(`${rr.file}:${rr.line}:${rr.col}: the DNSKEY anchor for ${rr.name} has no Zone Key flag (flags 256 or 257)`);
    }
    const key = nameKey(rr.name);
    const a = byZone.get(key) ?? { zone: rr.name, ds: [], dnskey: [] };
    (rr.type === RRType.DS ? a.ds : a.dnskey).push(rr.rdata);
    byZone.set(key, a);
  }
  if (byZone.size === 0) throw new TrustAnchorError(`trust anchors ${file}: no DS or DNSKEY records`);
  return new TrustAnchors(byZone.values());
}

export function readTrustAnchors(file: string): TrustAnchors {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new TrustAnchorError(`cannot read trust anchors ${file}: ${(err as Error).message}`, { cause: err });
  }
  return parseTrustAnchors(text, file);
}

/** Anchors from several files (the option may be given more than once): later files add zones. */
export function readTrustAnchorFiles(files: readonly string[]): TrustAnchors {
  const all: TrustAnchor[] = [];
  for (const f of files) {
    const anchors = readTrustAnchors(f);
    for (const zone of anchors.zones()) {
      const a = anchors.at(zone)!;
      const same = all.find((x) => nameKey(x.zone) === nameKey(zone));
      if (same) { same.ds.push(...a.ds); same.dnskey.push(...a.dnskey); } else all.push({ ...a });
    }
  }
  return new TrustAnchors(all);
}
