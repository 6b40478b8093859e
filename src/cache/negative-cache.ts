// Negative cache (RFC 2308): NXDOMAIN per name, NODATA per (name, type), with the SOA to answer with.

import { nameKey, parentName } from '../wire/name.js';
import type { RRset } from '../wire/rr.js';
import { RRClass, RRType } from '../wire/types.js';
import { CacheError } from './errors.js';
import {
  checkClass, checkName, checkType, clampTtl, wireTtl,
  type ClockOption, type SizeOptions, type TtlOptions,
} from './policy.js';
import { rrsetSize, validateRRset } from './rrset-cache.js';
import { TtlCache } from './ttl-cache.js';
import { type DumpEntry, type StoredEntry } from './store.js';

export interface NegativeCacheOptions extends TtlOptions, SizeOptions, ClockOption {
  /**
   * RFC 8020: an NXDOMAIN for a name also denies every name below it. Default true. (Unbound
   * applies this only to DNSSEC-validated NXDOMAINs, harden-below-nxdomain; hence the switch.)
   */
  nxdomainCut?: boolean;
}

export const NEGATIVE_CACHE_DEFAULTS = { maxEntries: 50_000, maxBytes: 16 * 1024 * 1024 } as const;

export type NegativeKind = 'nxdomain' | 'nodata';

export interface NegativeInput {
  kind: NegativeKind;
  /** The name denied (the QNAME, or the last CNAME target). */
  name: string;
  /** The type denied; required for NODATA, ignored for NXDOMAIN. */
  type?: number;
  class?: number;
  /** The SOA RRset from the authority section of the negative answer. */
  soa: RRset;
  /** Negative TTL if the caller computed it; default min(SOA TTL, SOA MINIMUM) (RFC 2308 section 5). */
  ttl?: number;
  /** The NSEC/NSEC3 sets (with sigs) of the answer's authority section: the denial, for validation. */
  proof?: RRset[];
}

export interface NegativeHit {
  kind: NegativeKind;
  /** The name the entry is stored at: the queried name, or an ancestor for an RFC 8020 answer. */
  name: string;
  /** For NODATA, the type denied. */
  type?: number;
  class: number;
  /** The SOA to put in the authority section, its TTL set to the remaining negative TTL. */
  soa: RRset;
  ttl: number;
  originalTtl: number;
  /** When it expires, in ms of the cache's clock (stale after that). */
  expires: number;
  stale: boolean;
  prefetch: boolean;
  /** True when an NXDOMAIN at an ancestor answered (RFC 8020). */
  inherited: boolean;
  /** The denial's NSEC/NSEC3 sets, when the answer came with them (see NegativeInput.proof). */
  proof?: RRset[];
}

export interface NegativeGetOptions {
  allowStale?: boolean;
}

export type NegativePutResult = 'stored' | 'zero-ttl' | 'too-large';

interface NegativeValue {
  kind: NegativeKind;
  name: string;
  type: number;
  class: number;
  soa: RRset;
  proof?: RRset[];
}

export function nxdomainKey(name: string, cls: number): string {
  return `X|${cls}|${nameKey(name)}`;
}

export function nodataKey(name: string, type: number, cls: number): string {
  return `D|${cls}|${type}|${nameKey(name)}`;
}

/** Skip an uncompressed name in RDATA; returns the offset after it. */
function skipName(rdata: Buffer, offset: number): number {
  let pos = offset;
  for (;;) {
    const len = rdata[pos];
    if (len === undefined) throw new CacheError('ERR_CACHE_BAD_SOA', 'SOA RDATA ends inside a name');
    if (len === 0) return pos + 1;
    // Cached RDATA is uncompressed by contract (src/wire/rr.ts); a pointer means a decoder bug.
    if (len & 0xc0) throw new CacheError('ERR_CACHE_BAD_SOA', `SOA RDATA has a compressed or unknown label type at offset ${pos}`);
    pos += 1 + len;
  }
}

/** The MINIMUM field of SOA RDATA: MNAME, RNAME, then SERIAL REFRESH RETRY EXPIRE MINIMUM (RFC 1035 3.3.13). */
export function soaMinimum(rdata: Buffer): number {
  const end = skipName(rdata, skipName(rdata, 0));
  if (rdata.length - end !== 20) {
    throw new CacheError('ERR_CACHE_BAD_SOA', `SOA RDATA has ${rdata.length - end} octets after the names (expected 20)`);
  }
  return rdata.readUInt32BE(end + 16);
}

/** RFC 2308 section 5: the negative TTL is the smaller of the SOA's own TTL and its MINIMUM. */
export function negativeTtl(soa: RRset): number {
  const first = soa.rdata[0];
  if (soa.type !== RRType.SOA || first === undefined) throw new CacheError('ERR_CACHE_BAD_SOA', `expected an SOA RRset, got type ${soa.type} with ${soa.rdata.length} records`);
  return Math.min(wireTtl(soa.ttl), wireTtl(soaMinimum(first)));
}

export class NegativeCache extends TtlCache<NegativeValue> {
  readonly nxdomainCut: boolean;

  constructor(opts: NegativeCacheOptions = {}) {
    super(opts, NEGATIVE_CACHE_DEFAULTS);
    this.nxdomainCut = opts.nxdomainCut ?? true;
  }

  /**
   * Cache a negative answer. Negative answers come with the zone's SOA and always replace what
   * is cached at the same key. A NODATA proves the name exists, so it also drops any NXDOMAIN
   * cached at the name or above it (which RFC 8020 would otherwise apply).
   */
  put(input: NegativeInput): NegativePutResult {
    if (input.kind !== 'nxdomain' && input.kind !== 'nodata') {
      throw new CacheError('ERR_CACHE_BAD_OPTION', `negative kind must be 'nxdomain' or 'nodata', got ${String(input.kind)}`);
    }
    const name = checkName(input.name);
    const cls = checkClass(input.class ?? RRClass.IN);
    // A NODATA for ANY (an empty non-terminal asked ANY) is cached too, at its own key.
    const type = input.kind === 'nodata' ? (input.type === RRType.ANY ? RRType.ANY : checkType(input.type)) : 0;
    const soa = validateRRset(input.soa);
    if (soa.type !== RRType.SOA) throw new CacheError('ERR_CACHE_BAD_SOA', `the authority RRset of a negative answer must be an SOA, got type ${soa.type}`);
    if (soa.class !== cls) throw new CacheError('ERR_CACHE_BAD_SOA', `SOA class ${soa.class} does not match class ${cls}`);
    const raw = input.ttl === undefined ? negativeTtl(soa) : wireTtl(input.ttl);
    const ttl = clampTtl(raw, this.policy.minNegativeTtl, this.policy.maxNegativeTtl);
    const key = input.kind === 'nxdomain' ? nxdomainKey(name, cls) : nodataKey(name, type, cls);
    if (input.kind === 'nodata') this.dropNxdomainAtOrAbove(name, cls);
    if (ttl === 0) {
      this.store.delete(key);
      return 'zero-ttl';
    }
    const proof = input.proof && input.proof.length > 0 ? input.proof.map(validateRRset) : undefined;
    const value: NegativeValue = { kind: input.kind, name, type, class: cls, soa: { ...soa, ttl }, ...(proof ? { proof } : {}) };
    const size = rrsetSize(soa) + name.length + (proof ?? []).reduce((n, p) => n + rrsetSize(p), 0);
    if (!this.store.put(key, name, value, ttl, size)) return 'too-large';
    return 'stored';
  }

  /**
   * The negative answer for (name, type): an NXDOMAIN at the name, then (RFC 8020, when on) at
   * its nearest ancestor that has one, then a NODATA for the type. NXDOMAIN comes first because
   * a NODATA at or below a name denied later is the older news: inserting positive data or a
   * NODATA removes the NXDOMAINs above it.
   */
  get(name: string, type: number, cls: number = RRClass.IN, opts: NegativeGetOptions = {}): NegativeHit | undefined {
    const now = this.store.now();
    const usable = (e: StoredEntry<NegativeValue> | undefined): e is StoredEntry<NegativeValue> =>
      e !== undefined && (opts.allowStale !== false || this.store.isFresh(e, now));
    let inherited = false;
    for (let n: string | undefined = name; n !== undefined; n = parentName(n)) {
      const e = this.store.get(nxdomainKey(n, cls), now);
      if (usable(e)) return this.hit(e, now, inherited);
      if (!this.nxdomainCut) break;
      inherited = true;
    }
    const e = this.store.get(nodataKey(name, type, cls), now);
    if (usable(e)) return this.hit(e, now, false);
    this.store.stats.misses++;
    return undefined;
  }

  private hit(e: StoredEntry<NegativeValue>, now: number, inherited: boolean): NegativeHit {
    const f = this.store.freshness(e, now, true);
    this.store.stats.hits++;
    if (f.stale) this.store.stats.staleHits++;
    const v = e.value;
    const hit: NegativeHit = {
      kind: v.kind, name: v.name, class: v.class, soa: { ...v.soa, ttl: f.ttl, rdata: v.soa.rdata.slice() },
      ttl: f.ttl, originalTtl: e.ttl, expires: e.expires, stale: f.stale, prefetch: f.prefetch, inherited,
      ...(v.proof ? { proof: v.proof } : {}),
    };
    if (v.kind === 'nodata') hit.type = v.type;
    return hit;
  }

  /** Positive data or a NODATA at `name` shows that it and all its ancestors exist. */
  dropNxdomainAtOrAbove(name: string, cls: number = RRClass.IN): number {
    let n = 0;
    for (let at: string | undefined = name; at !== undefined; at = parentName(at)) {
      if (this.store.delete(nxdomainKey(at, cls))) n++;
    }
    return n;
  }

  /** Drop the NODATA for (name, type): positive data for it has arrived. */
  deleteNodata(name: string, type: number, cls: number = RRClass.IN): boolean {
    return this.store.delete(nodataKey(name, type, cls));
  }

  protected describe(v: NegativeValue): Omit<DumpEntry, 'ttl' | 'originalTtl' | 'stale'> {
    return { kind: v.kind, name: v.name, type: v.type, class: v.class };
  }

}
