// RRset cache: (name, type, class) -> RRset with its trust rank, TTL clamps, serve-stale and prefetch.

import { nameKey } from '../wire/name.js';
import type { RRset } from '../wire/rr.js';
import { RRClass } from '../wire/types.js';
import { CacheError } from './errors.js';
import { checkRank, type Rank } from './rank.js';
import {
  checkClass, checkName, checkType, clampTtl, wireTtl,
  type ClockOption, type SizeOptions, type TtlOptions,
} from './policy.js';
import { TtlCache } from './ttl-cache.js';
import { ENTRY_OVERHEAD, type DumpEntry, type StoredEntry } from './store.js';

export interface RRsetCacheOptions extends TtlOptions, SizeOptions, ClockOption {}

export const RRSET_CACHE_DEFAULTS = { maxEntries: 100_000, maxBytes: 64 * 1024 * 1024 } as const;

/** What `put` did. */
export type PutResult =
  | 'stored'
  /** The cached entry is fresh and outranks the new data (RFC 2181 5.4.1). */
  | 'lower-rank'
  /** TTL 0 after clamping: used for this transaction only, never cached (RFC 1035 3.2.1). */
  | 'zero-ttl'
  /** Bigger than maxBytes on its own. */
  | 'too-large';

export interface CachedRRset {
  /** A copy whose ttl is the remaining TTL (or the stale TTL). Do not mutate the rdata buffers. */
  rrset: RRset;
  rank: Rank;
  /** Remaining seconds, floor, never negative; the stale TTL (default 30) when stale. */
  ttl: number;
  /** The TTL it was stored with, after clamping. */
  originalTtl: number;
  /** When it expires, in ms of the cache's clock (stale after that). */
  expires: number;
  stale: boolean;
  /** Refresh it now: reported once per entry, in the last 10% (prefetchRatio) of its TTL. */
  prefetch: boolean;
}

export interface GetOptions {
  /** Return entries past their TTL but inside the stale window (flagged stale). Default true. */
  allowStale?: boolean;
  /** Treat entries ranked below this as absent (pass MIN_ANSWER_RANK when answering clients). */
  minRank?: Rank;
  /** Count a miss in the stats. False when probing a second key for the same question. Default true. */
  countMiss?: boolean;
}

interface RRsetValue {
  rrset: RRset;
  rank: Rank;
}

export function rrsetKey(name: string, type: number, cls: number): string {
  // The name goes last, so '|' inside a label cannot make two keys collide.
  return `${cls}|${type}|${nameKey(name)}`;
}

export function rrsetSize(set: RRset): number {
  let n = ENTRY_OVERHEAD + set.name.length;
  for (const r of set.rdata) n += r.length + 16;
  for (const r of set.sigs ?? []) n += r.length + 16;
  for (const p of set.proof ?? []) n += rrsetSize(p);
  return n;
}

/** The DNSSEC parts of a set (RRSIGs, wildcard proof), copied, for a stored or returned copy. */
function dnssecParts(set: RRset): Pick<RRset, 'sigs' | 'proof'> {
  const out: Pick<RRset, 'sigs' | 'proof'> = {};
  if (set.sigs && set.sigs.length > 0) out.sigs = ownCopies(set.sigs);
  if (set.proof && set.proof.length > 0) out.proof = set.proof.map((p) => ({ ...p, rdata: ownCopies(p.rdata), ...dnssecParts(p) }));
  return out;
}

function sameSigs(a: RRset, b: RRset): boolean {
  return sameRdata(a.sigs ?? [], b.sigs ?? []) && (a.proof?.length ?? 0) === (b.proof?.length ?? 0);
}

function sameRdata(a: readonly Buffer[], b: readonly Buffer[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!a[i]!.equals(b[i]!)) return false;
  return true;
}

export class RRsetCache extends TtlCache<RRsetValue> {
  /** Every type ever offered to put (never forgotten, so never wrong): see mayHold. */
  private readonly typesSeen = new Set<number>();

  constructor(opts: RRsetCacheOptions = {}) {
    super(opts, RRSET_CACHE_DEFAULTS);
  }

  /**
   * Insert an RRset learned with `rank`. A fresh entry of higher rank is kept (RFC 2181 5.4.1:
   * "additional information from a reply will be ignored if the cache contains data from an
   * authoritative answer"); equal or higher rank replaces; anything replaces expired data.
   * A TTL of 0 (after clamping) is not cached, and removes what it would have replaced.
   */
  put(set: RRset, rank: Rank): PutResult {
    checkRank(rank);
    if (typeof set?.type === 'number') this.typesSeen.add(set.type);
    // Checked here, copied only if stored: the same glue again (below) needs no copy.
    const valid = checkRRset(set);
    const ttl = clampTtl(valid.ttl, this.policy.minTtl, this.policy.maxTtl);
    const key = rrsetKey(valid.name, valid.type, valid.class);
    const now = this.store.now();
    const old = this.store.peek(key, now);
    if (old && this.store.isFresh(old, now) && old.value.rank > rank) {
      this.store.stats.rejected++;
      return 'lower-rank';
    }
    if (ttl === 0) {
      if (old) this.store.delete(key);
      return 'zero-ttl';
    }
    // The same data again at the same rank and TTL (glue and additional records come with
    // every answer): restart its clock in place rather than store a copy.
    if (old && old.value.rank === rank && old.value.rrset.ttl === ttl && old.value.rrset.name === valid.name && sameRdata(old.value.rrset.rdata, valid.rdata) && sameSigs(old.value.rrset, valid)) {
      this.store.restart(key, old, now);
      this.store.stats.inserts++;
      return 'stored';
    }
    const stored: RRset = { ...valid, ttl, rdata: ownCopies(valid.rdata), ...dnssecParts(valid) };
    if (!this.store.put(key, valid.name, { rrset: stored, rank }, ttl, rrsetSize(stored), now)) return 'too-large';
    return 'stored';
  }

  get(name: string, type: number, cls: number = RRClass.IN, opts: GetOptions = {}): CachedRRset | undefined {
    const now = this.store.now();
    const e = this.store.get(rrsetKey(name, type, cls), now);
    if (!e || (opts.minRank !== undefined && e.value.rank < opts.minRank) || (opts.allowStale === false && !this.store.isFresh(e, now))) {
      if (opts.countMiss !== false) this.store.stats.misses++;
      return undefined;
    }
    return this.hit(e, now);
  }

  /**
   * False when no set of `type` was ever offered to this cache: a lookup for it would miss. The
   * resolver asks before probing every ancestor of a name for a DNAME, which few caches ever hold.
   */
  mayHold(type: number): boolean {
    return this.typesSeen.has(type);
  }

  /** Like get, but does not count, touch the LRU order or trigger a prefetch. */
  peek(name: string, type: number, cls: number = RRClass.IN): CachedRRset | undefined {
    const now = this.store.now();
    const e = this.store.peek(rrsetKey(name, type, cls), now);
    return e ? this.view(e, now, false) : undefined;
  }

  private hit(e: StoredEntry<RRsetValue>, now: number): CachedRRset {
    const v = this.view(e, now, true);
    this.store.stats.hits++;
    if (v.stale) this.store.stats.staleHits++;
    return v;
  }

  private view(e: StoredEntry<RRsetValue>, now: number, mark: boolean): CachedRRset {
    const f = this.store.freshness(e, now, mark);
    const s = e.value.rrset;
    return {
      rrset: { name: s.name, type: s.type, class: s.class, ttl: f.ttl, rdata: s.rdata.slice(), ...(s.sigs ? { sigs: s.sigs } : {}), ...(s.proof ? { proof: s.proof } : {}) },
      rank: e.value.rank, ttl: f.ttl, originalTtl: e.ttl, expires: e.expires, stale: f.stale, prefetch: f.prefetch,
    };
  }

  delete(name: string, type: number, cls: number = RRClass.IN): boolean {
    return this.store.delete(rrsetKey(name, type, cls));
  }

  /** Remove entries at `name` of one class, except the types in `keep`. */
  deleteAt(name: string, cls: number, keep: readonly number[] = []): number {
    return this.store.deleteAt(name, (_k, e) => e.value.rrset.class === cls && !keep.includes(e.value.rrset.type));
  }

  protected describe({ rrset: s, rank }: RRsetValue): Omit<DumpEntry, 'ttl' | 'originalTtl' | 'stale'> {
    return { kind: 'rrset', name: s.name, type: s.type, class: s.class, rank };
  }

}

/**
 * Copies of `bufs` in one block of their own. A decoder's subarray would keep its whole message
 * alive, and Buffer.from would slice node's shared 8 KiB pool, so that one cached record kept a
 * whole pool alive: 26 MB of pools for 8,000 cached names, unseen by the cache's byte count.
 */
function ownCopies(bufs: readonly Buffer[]): Buffer[] {
  let total = 0;
  for (const b of bufs) total += b.length;
  const block = Buffer.allocUnsafeSlow(total);
  const out: Buffer[] = [];
  let off = 0;
  for (const b of bufs) {
    block.set(b, off);
    out.push(block.subarray(off, off + b.length));
    off += b.length;
  }
  return out;
}

/** Check an RRset from the caller; returns a canonical copy with deduplicated, copied RDATA. */
export function validateRRset(set: RRset): RRset {
  const valid = checkRRset(set);
  return { ...valid, rdata: ownCopies(valid.rdata), ...dnssecParts(valid) };
}

/** validateRRset without the copy: the RDATA are the caller's buffers, deduplicated. */
function checkRRset(set: RRset): RRset {
  if (typeof set !== 'object' || set === null) throw new CacheError('ERR_CACHE_BAD_RRSET', 'RRset must be an object');
  const name = checkName(set.name, 'RRset owner');
  const type = checkType(set.type);
  const cls = checkClass(set.class);
  const ttl = wireTtl(set.ttl);
  if (!Array.isArray(set.rdata) || set.rdata.length === 0) {
    throw new CacheError('ERR_CACHE_BAD_RRSET', `RRset ${name} ${type} has no RDATA`);
  }
  const rdata: Buffer[] = [];
  const seen = set.rdata.length > 1 ? new Set<string>() : undefined;
  for (const r of set.rdata) {
    if (!Buffer.isBuffer(r)) throw new CacheError('ERR_CACHE_BAD_RRSET', `RRset ${name} ${type} has RDATA that is not a Buffer`);
    if (r.length > 0xffff) throw new CacheError('ERR_CACHE_BAD_RRSET', `RRset ${name} ${type} has RDATA of ${r.length} octets (limit 65535)`);
    if (seen) {
      // Duplicate records in an RRset are dropped (RFC 2181 section 5).
      const k = r.toString('latin1');
      if (seen.has(k)) continue;
      seen.add(k);
    }
    rdata.push(r);
  }
  return { name, type, class: cls, ttl, rdata, ...(set.sigs ? { sigs: set.sigs } : {}), ...(set.proof ? { proof: set.proof } : {}) };
}
