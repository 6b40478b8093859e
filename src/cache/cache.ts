// The resolver's cache: RRset, negative, delegation and server caches behind one object, kept consistent.

import type { RRset } from '../wire/rr.js';
import { nameKey } from '../wire/name.js';
import { RRClass, RRType } from '../wire/types.js';
import { DelegationCache, type DelegationInput } from './delegation-cache.js';
import { InfraCache, type InfraCacheOptions } from './infra-cache.js';
import { NegativeCache, type NegativeHit, type NegativeInput, type NegativePutResult } from './negative-cache.js';
import { checkClock, checkInt, type ClockOption, type SizeOptions, type TtlOptions } from './policy.js';
import type { Rank } from './rank.js';
import { RRsetCache, type CachedRRset, type GetOptions, type PutResult } from './rrset-cache.js';
import type { CacheSnapshot, DumpEntry } from './store.js';

export interface DnsCacheOptions extends TtlOptions, ClockOption {
  rrset?: SizeOptions;
  negative?: SizeOptions & { nxdomainCut?: boolean };
  delegation?: SizeOptions;
  infra?: Omit<InfraCacheOptions, 'now'>;
  /**
   * RFC 8767's client response timer, ms: a question that has stale data to fall back on waits
   * at most this long for the servers, then gets the stale data while the resolution goes on in
   * the background. 0 answers from stale data at once (and still refreshes). Default 1800.
   */
  staleClientTimeout?: number;
  /**
   * RFC 8767's failure recheck timer, seconds: after a failed refresh of a name, its stale data
   * is served at once, without asking upstream again, for this long. 0 asks every time. Default 30.
   */
  staleRecheck?: number;
}

/** Most names remembered as recently failed (a bound, not a tuning knob: each entry is tiny). */
const MAX_FAILED = 10_000;

/** What the cache knows about a question: a result, not an exception. */
export type CacheLookup =
  | { kind: 'answer'; hit: CachedRRset }
  /** No RRset of the type, but the name is an alias: follow hit.rrset. */
  | { kind: 'cname'; hit: CachedRRset }
  | { kind: 'nxdomain'; hit: NegativeHit }
  | { kind: 'nodata'; hit: NegativeHit }
  | { kind: 'miss' };

export interface DnsCacheSnapshot {
  rrset: CacheSnapshot;
  negative: CacheSnapshot;
  delegation: CacheSnapshot;
  infra: { hosts: number; heldBack: number };
}

export class DnsCache {
  readonly rrsets: RRsetCache;
  readonly negatives: NegativeCache;
  readonly delegations: DelegationCache;
  readonly infra: InfraCache;
  /** The cache's clock, in ms (Date.now unless injected). */
  readonly now: () => number;
  /**
   * Bumped whenever data is removed before its time (every flush, and positive data a negative
   * answer disproves): what was copied out of the cache earlier, such as encoded answers kept
   * by the responder, is valid only while this has not changed.
   */
  generation = 0;
  /** Serve-stale timers (see DnsCacheOptions): client response timer in ms, failure recheck in s. */
  readonly staleTimers: { clientTimeout: number; recheck: number };
  /** setKey-style `name/type` (case folded) -> until when (ms) a refresh is not to be tried again. */
  private readonly failed = new Map<string, number>();

  constructor(opts: DnsCacheOptions = {}) {
    const now = checkClock(opts.now);
    this.now = now;
    this.staleTimers = {
      clientTimeout: checkInt('staleClientTimeout', opts.staleClientTimeout ?? 1800, 0, 3_600_000),
      recheck: checkInt('staleRecheck', opts.staleRecheck ?? 30, 0, 86400),
    };
    const ttl: TtlOptions = {
      minTtl: opts.minTtl, maxTtl: opts.maxTtl, minNegativeTtl: opts.minNegativeTtl, maxNegativeTtl: opts.maxNegativeTtl,
      staleWindow: opts.staleWindow, staleTtl: opts.staleTtl, prefetchRatio: opts.prefetchRatio,
    };
    this.rrsets = new RRsetCache({ ...ttl, ...opts.rrset, now });
    this.negatives = new NegativeCache({ ...ttl, ...opts.negative, now });
    this.delegations = new DelegationCache({ ...ttl, ...opts.delegation, now });
    this.infra = new InfraCache({ ...opts.infra, now });
  }

  /** Cache an RRset; when stored, the negative entries it disproves go. */
  putRRset(set: RRset, rank: Rank): PutResult {
    const r = this.rrsets.put(set, rank);
    // An empty negative cache (a cold start, or names that all exist) has nothing to drop: the
    // probes below cost a key and a lookup per ancestor of every stored set.
    if (r === 'stored' && this.negatives.count > 0) {
      // Data of any type at the name also contradicts a NODATA cached for ANY there.
      const removed = (this.negatives.deleteNodata(set.name, set.type, set.class) ? 1 : 0) + (this.negatives.deleteNodata(set.name, RRType.ANY, set.class) ? 1 : 0)
        + this.negatives.dropNxdomainAtOrAbove(set.name, set.class);
      if (removed > 0) this.generation++;
    }
    return r;
  }

  /** Cache a negative answer; it removes the positive data it contradicts at that name. */
  putNegative(input: NegativeInput): NegativePutResult {
    const r = this.negatives.put(input);
    const cls = input.class ?? RRClass.IN;
    let removed = 0;
    if (input.kind === 'nodata' && input.type !== undefined) removed = this.rrsets.delete(input.name, input.type, cls) ? 1 : 0;
    // The name is gone: so is its data. (Data further below is left to expire; RFC 8020 allows either.)
    else if (input.kind === 'nxdomain') removed = this.rrsets.deleteAt(input.name, cls);
    if (removed > 0) this.generation++;
    return r;
  }

  /** Cache a zone cut; a cut at a name shows that it exists. */
  putDelegation(input: DelegationInput): PutResult {
    const r = this.delegations.put(input);
    if (r === 'stored' && this.negatives.dropNxdomainAtOrAbove(input.zone, input.class ?? RRClass.IN) > 0) this.generation++;
    return r;
  }

  /**
   * What the cache can say about (name, type): the RRset; else a CNAME at the name; else a
   * cached NXDOMAIN (at the name or, RFC 8020, above it) or NODATA; else a miss.
   */
  lookup(name: string, type: number, cls: number = RRClass.IN, opts: GetOptions = {}): CacheLookup {
    const answer = this.rrsets.get(name, type, cls, opts);
    if (answer) return { kind: 'answer', hit: answer };
    if (type !== RRType.CNAME) {
      const alias = this.rrsets.get(name, RRType.CNAME, cls, { ...opts, countMiss: false });
      if (alias) return { kind: 'cname', hit: alias };
    }
    const neg = this.negatives.get(name, type, cls, { allowStale: opts.allowStale });
    if (neg) return neg.kind === 'nxdomain' ? { kind: 'nxdomain', hit: neg } : { kind: 'nodata', hit: neg };
    return { kind: 'miss' };
  }

  /**
   * A refresh of (name, type) failed: for `staleRecheck` seconds the resolver answers it from
   * stale data without asking upstream (RFC 8767 section 5, the failure recheck timer).
   */
  markFailed(name: string, type: number): void {
    if (this.staleTimers.recheck === 0) return;
    const key = `${nameKey(name)}/${type}`;
    this.failed.delete(key);
    // Oldest first (insertion order): the bound drops the mark that would end soonest.
    if (this.failed.size >= MAX_FAILED) this.failed.delete(this.failed.keys().next().value!);
    this.failed.set(key, this.now() + this.staleTimers.recheck * 1000);
  }

  /** A refresh of (name, type) succeeded: it may be asked for again at once. */
  clearFailed(name: string, type: number): void {
    if (this.failed.size > 0) this.failed.delete(`${nameKey(name)}/${type}`);
  }

  /** Milliseconds left on the failure recheck timer of (name, type); 0 when none is running. */
  failedRecently(name: string, type: number): number {
    if (this.failed.size === 0) return 0;
    const key = `${nameKey(name)}/${type}`;
    const until = this.failed.get(key);
    if (until === undefined) return 0;
    const left = until - this.now();
    if (left > 0) return left;
    this.failed.delete(key);
    return 0;
  }

  /** Empty the RRset, negative and delegation caches. Server RTT and lameness stay (infra.clear() drops them). */
  flushAll(): void {
    this.generation++;
    this.failed.clear();
    this.rrsets.flushAll();
    this.negatives.flushAll();
    this.delegations.flushAll();
  }

  /** Remove everything cached at `name`: all types and classes, negatives, a cut at it. */
  flushName(name: string): number {
    this.generation++;
    this.failed.clear(); // marks only hold questions back: dropping all of them is always safe
    return this.rrsets.flushName(name) + this.negatives.flushName(name) + this.delegations.flushName(name);
  }

  /** Remove everything at or below `name`, negatives and delegations included. */
  flushTree(name: string): number {
    this.generation++;
    this.failed.clear();
    return this.rrsets.flushTree(name) + this.negatives.flushTree(name) + this.delegations.flushTree(name);
  }

  /** Every live entry, for inspection, ordered by name (case-insensitive) then type. */
  dump(): DumpEntry[] {
    const all = [...this.rrsets.dump(), ...this.negatives.dump(), ...this.delegations.dump()];
    return all.sort((a, b) => {
      const x = a.name.toLowerCase();
      const y = b.name.toLowerCase();
      return x < y ? -1 : x > y ? 1 : a.type - b.type || a.kind.localeCompare(b.kind);
    });
  }

  snapshot(): DnsCacheSnapshot {
    return {
      rrset: this.rrsets.snapshot(),
      negative: this.negatives.snapshot(),
      delegation: this.delegations.snapshot(),
      infra: this.infra.snapshot(),
    };
  }
}
