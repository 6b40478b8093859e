// The storage under every name cache: lru-cache for LRU order and size, our own clock for expiry.

import { LRUCache } from 'lru-cache';
import { isInDomain, nameKey } from '../wire/name.js';
import type { Rank } from './rank.js';

export interface CacheStats {
  hits: number;
  misses: number;
  /** Hits answered from data past its TTL but inside the stale window (also counted in hits). */
  staleHits: number;
  inserts: number;
  /** Entries pushed out by the entry or byte limit (not expiry, not flushes). */
  evictions: number;
  /** Times `get` asked the caller to refresh an entry early. */
  prefetches: number;
  /** Inserts refused because the cached data outranks them (RFC 2181 5.4.1). */
  rejected: number;
}

export interface CacheSnapshot extends CacheStats {
  entries: number;
  bytes: number;
}

export function emptyStats(): CacheStats {
  return { hits: 0, misses: 0, staleHits: 0, inserts: 0, evictions: 0, prefetches: 0, rejected: 0 };
}

/** One row of `dump()`, shared by every cache. */
export interface DumpEntry {
  kind: 'rrset' | 'nxdomain' | 'nodata' | 'delegation';
  name: string;
  /** Record type; for nxdomain and delegation entries 0 and NS (2). */
  type: number;
  class: number;
  ttl: number;
  originalTtl: number;
  rank?: Rank;
  stale: boolean;
}

/** One cached item with its timing. Times are in ms of the injected clock, TTLs in seconds. */
export interface StoredEntry<V> {
  readonly name: string;
  readonly value: V;
  /** TTL at insertion, after clamping: the base for the prefetch threshold. */
  readonly ttl: number;
  readonly storedAt: number;
  readonly expires: number;
  /** End of the serve-stale window; at or after it the entry is gone. */
  readonly staleUntil: number;
  readonly size: number;
  prefetchIssued: boolean;
}

export interface Freshness {
  /** Remaining seconds (floor, never negative), or the stale TTL when stale. */
  ttl: number;
  stale: boolean;
  /** True once per entry, when it enters the last `prefetchRatio` of its TTL. */
  prefetch: boolean;
}

export interface StoreOptions {
  now: () => number;
  maxEntries: number;
  maxBytes: number;
  staleWindow: number;
  staleTtl: number;
  prefetchRatio: number;
}

/** Fixed per-entry cost added to the byte count: key, timing fields, object headers. */
export const ENTRY_OVERHEAD = 96;

/**
 * lru-cache keeps the recency order and the size bound. It also gets each entry's hard end
 * (TTL plus stale window) as its own ttl, with our clock as `perf` and ttlResolution 0 (its
 * default caches the time for 1 ms through a timer, which a fake clock would defeat), so dead
 * entries are dropped on access. Expiry, staleness and the TTL we hand out are computed here
 * from the times in the entry, because lru-cache treats an entry stored at time 0 as immortal
 * and has no notion of serve-stale.
 */
export class TtlStore<V> {
  readonly stats: CacheStats = emptyStats();
  readonly opts: StoreOptions;
  private readonly lru: LRUCache<string, StoredEntry<V>>;
  /** nameKey -> cache keys at that name, so one name's entries are found without a scan. */
  // Most names hold one entry: that key alone, a Set only from the second (a Set per cached name
  // was an allocation and ~130 bytes per name).
  private readonly byName = new Map<string, string | Set<string>>();

  constructor(opts: StoreOptions) {
    this.opts = opts;
    const lruOpts: LRUCache.Options<string, StoredEntry<V>, unknown> = {
      max: opts.maxEntries,
      ttlResolution: 0,
      perf: { now: opts.now },
      dispose: (value, key, reason) => {
        if (reason === 'evict') this.stats.evictions++;
        // 'set' is a replacement under the same key, which stays indexed.
        if (reason !== 'set') this.unindex(value.name, key);
      },
    };
    if (opts.maxBytes > 0) lruOpts.maxSize = opts.maxBytes;
    this.lru = new LRUCache(lruOpts);
  }

  now(): number {
    return this.opts.now();
  }

  /** Store `value` for `ttl` seconds (> 0). False when it is bigger than the whole cache. */
  put(key: string, name: string, value: V, ttl: number, size: number, now = this.now()): boolean {
    const bytes = Math.max(1, Math.ceil(size));
    if (this.opts.maxBytes > 0 && bytes > this.opts.maxBytes) return false;
    const expires = now + ttl * 1000;
    const entry: StoredEntry<V> = {
      name, value, ttl, storedAt: now, expires, staleUntil: expires + this.opts.staleWindow * 1000, size: bytes, prefetchIssued: false,
    };
    this.lru.set(key, entry, this.setOptions(entry.staleUntil - now, bytes));
    this.index(name, key);
    this.stats.inserts++;
    return true;
  }

  /** Start an entry's TTL again from `now`, same value: as if it had just been put. */
  restart(key: string, entry: StoredEntry<V>, now = this.now()): void {
    const e = entry as { -readonly [K in keyof StoredEntry<V>]: StoredEntry<V>[K] };
    e.storedAt = now;
    e.expires = now + e.ttl * 1000;
    e.staleUntil = e.expires + this.opts.staleWindow * 1000;
    e.prefetchIssued = false;
    this.lru.set(key, entry, this.setOptions(e.staleUntil - now, e.size));
  }

  /** Put an entry back with a changed value, keeping its timing (for in-place updates). */
  replace(key: string, entry: StoredEntry<V>, value: V, size: number, now = this.now()): boolean {
    const left = entry.staleUntil - now;
    if (left <= 0) return false;
    const bytes = Math.max(1, Math.ceil(size));
    if (this.opts.maxBytes > 0 && bytes > this.opts.maxBytes) return false;
    this.lru.set(key, { ...entry, value, size: bytes }, this.setOptions(left, bytes));
    this.index(entry.name, key);
    return true;
  }

  private setOptions(ms: number, bytes: number): LRUCache.SetOptions<string, StoredEntry<V>, unknown> {
    const o: LRUCache.SetOptions<string, StoredEntry<V>, unknown> = { ttl: Math.max(1, Math.ceil(ms)) };
    if (this.opts.maxBytes > 0) o.size = bytes;
    return o;
  }

  /** The live entry (fresh or stale), marking it recently used. Dead ones are dropped. */
  get(key: string, now = this.now()): StoredEntry<V> | undefined {
    const e = this.lru.get(key);
    return e && this.alive(key, e, now) ? e : undefined;
  }

  /** Like get, without touching the recency order. */
  peek(key: string, now = this.now()): StoredEntry<V> | undefined {
    const e = this.lru.peek(key);
    return e && this.alive(key, e, now) ? e : undefined;
  }

  private alive(key: string, e: StoredEntry<V>, now: number): boolean {
    if (now < e.staleUntil) return true;
    this.lru.delete(key);
    return false;
  }

  isFresh(e: StoredEntry<V>, now = this.now()): boolean {
    return now < e.expires;
  }

  /** Remaining TTL, stale flag and (when `mark`) the one-time prefetch signal. */
  freshness(e: StoredEntry<V>, now: number, mark: boolean): Freshness {
    if (now >= e.expires) return { ttl: this.opts.staleTtl, stale: true, prefetch: false };
    const left = e.expires - now;
    let prefetch = false;
    if (mark && !e.prefetchIssued && this.opts.prefetchRatio > 0 && left <= e.ttl * 1000 * this.opts.prefetchRatio) {
      e.prefetchIssued = true;
      prefetch = true;
      this.stats.prefetches++;
    }
    return { ttl: Math.floor(left / 1000), stale: false, prefetch };
  }

  delete(key: string): boolean {
    return this.lru.delete(key);
  }

  /** Keys stored at a name (any case), live or not. */
  keysAt(name: string): string[] {
    const keys = this.byName.get(nameKey(name));
    return keys === undefined ? [] : typeof keys === 'string' ? [keys] : [...keys];
  }

  deleteAt(name: string, filter: (key: string, e: StoredEntry<V>) => boolean = () => true): number {
    let n = 0;
    for (const key of this.keysAt(name)) {
      const e = this.lru.peek(key, { allowStale: true });
      if (e && filter(key, e) && this.lru.delete(key)) n++;
    }
    return n;
  }

  /** Delete everything at or below `name`. A full scan: meant for operator commands. */
  deleteTree(name: string): number {
    const doomed: string[] = [];
    for (const [nk, keys] of this.byName) {
      if (isInDomain(nk, name)) {
        if (typeof keys === 'string') doomed.push(keys);
        else doomed.push(...keys);
      }
    }
    let n = 0;
    for (const key of doomed) if (this.lru.delete(key)) n++;
    return n;
  }

  /** Live entries, most recently used first, without touching the order. */
  *entries(now = this.now()): Generator<[string, StoredEntry<V>]> {
    for (const [key, e] of this.lru.entries()) {
      if (now < e.staleUntil) yield [key, e];
    }
  }

  /** One `DumpEntry` per live entry; `describe` says what the value is, the store adds its timing. */
  dump(describe: (value: V) => Omit<DumpEntry, 'ttl' | 'originalTtl' | 'stale'>, now = this.now()): DumpEntry[] {
    const out: DumpEntry[] = [];
    for (const [, e] of this.entries(now)) {
      const f = this.freshness(e, now, false);
      out.push({ ...describe(e.value), ttl: f.ttl, originalTtl: e.ttl, stale: f.stale });
    }
    return out;
  }

  clear(): void {
    this.lru.clear();
    this.byName.clear();
  }

  /** Entries held (dead ones not yet dropped included): 0 means every lookup misses. */
  get count(): number {
    return this.lru.size;
  }

  snapshot(): CacheSnapshot {
    return { ...this.stats, entries: this.lru.size, bytes: this.opts.maxBytes > 0 ? this.lru.calculatedSize : this.countBytes() };
  }

  private countBytes(): number {
    let n = 0;
    for (const e of this.lru.values()) n += e.size;
    return n;
  }

  private index(name: string, key: string): void {
    const nk = nameKey(name);
    const keys = this.byName.get(nk);
    if (keys === undefined) this.byName.set(nk, key);
    else if (typeof keys !== 'string') keys.add(key);
    else if (keys !== key) this.byName.set(nk, new Set([keys, key]));
  }

  private unindex(name: string, key: string): void {
    const nk = nameKey(name);
    const keys = this.byName.get(nk);
    if (keys === undefined) return;
    if (typeof keys === 'string') {
      if (keys === key) this.byName.delete(nk);
      return;
    }
    keys.delete(key);
    if (keys.size === 0) this.byName.delete(nk);
  }
}
