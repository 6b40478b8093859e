// Delegation cache: zone cut -> NS names and their known addresses; closestCut walks up the labels.

import { isIP } from 'node:net';
import { nameKey, parentName } from '../wire/name.js';
import { RRClass, RRType } from '../wire/types.js';
import { CacheError } from './errors.js';
import { checkRank, type Rank } from './rank.js';
import {
  checkClass, checkName, clampTtl, wireTtl,
  type ClockOption, type SizeOptions, type TtlOptions,
} from './policy.js';
import type { PutResult } from './rrset-cache.js';
import { TtlCache } from './ttl-cache.js';
import { ENTRY_OVERHEAD, type DumpEntry, type StoredEntry } from './store.js';

export interface DelegationCacheOptions extends TtlOptions, SizeOptions, ClockOption {}

export const DELEGATION_CACHE_DEFAULTS = { maxEntries: 20_000, maxBytes: 16 * 1024 * 1024 } as const;

export interface NameServer {
  name: string;
  /** Known addresses (from glue or learned later); empty when the resolver must look them up. */
  addresses: string[];
}

export interface DelegationInput {
  /** The zone cut: the owner of the NS RRset. */
  zone: string;
  class?: number;
  /** NS targets. */
  nameservers: readonly string[];
  /** Addresses by NS name, from the additional section; names not in `nameservers` are ignored. */
  glue?: ReadonlyMap<string, readonly string[]> | Readonly<Record<string, readonly string[]>>;
  /** TTL of the NS RRset. */
  ttl: number;
  /** Rank of the NS RRset: Additional for a referral, AuthorityAuth/AnswerAuth from the child. */
  rank: Rank;
}

export interface CachedDelegation {
  zone: string;
  class: number;
  nameservers: NameServer[];
  rank: Rank;
  ttl: number;
  originalTtl: number;
  stale: boolean;
  prefetch: boolean;
}

export interface CutOptions {
  /** Accept a delegation past its TTL (inside the stale window). Default false. */
  allowStale?: boolean;
}

interface DelegationValue {
  zone: string;
  class: number;
  nameservers: NameServer[];
  rank: Rank;
}

export function delegationKey(zone: string, cls: number): string {
  return `${cls}|${nameKey(zone)}`;
}

function checkAddresses(list: unknown, ns: string): string[] {
  if (!Array.isArray(list)) throw new CacheError('ERR_CACHE_BAD_ADDRESS', `addresses of ${ns} must be an array of IP address strings`);
  const out: string[] = [];
  for (const a of list) {
    if (typeof a !== 'string' || isIP(a) === 0) throw new CacheError('ERR_CACHE_BAD_ADDRESS', `address ${JSON.stringify(a)} of ${ns} is not an IPv4 or IPv6 address`);
    if (!out.includes(a)) out.push(a);
  }
  return out;
}

function delegationSize(v: DelegationValue): number {
  let n = ENTRY_OVERHEAD + v.zone.length;
  for (const ns of v.nameservers) {
    n += 32 + ns.name.length;
    for (const a of ns.addresses) n += 16 + a.length;
  }
  return n;
}

export class DelegationCache extends TtlCache<DelegationValue> {

  constructor(opts: DelegationCacheOptions = {}) {
    super(opts, DELEGATION_CACHE_DEFAULTS);
  }

  /** Insert a zone cut. The same rank rules as the RRset cache apply (RFC 2181 5.4.1). */
  put(input: DelegationInput): PutResult {
    const zone = checkName(input.zone, 'zone');
    const cls = checkClass(input.class ?? RRClass.IN);
    const rank = checkRank(input.rank);
    const ttl = clampTtl(wireTtl(input.ttl), this.policy.minTtl, this.policy.maxTtl);
    if (!Array.isArray(input.nameservers) || input.nameservers.length === 0) {
      throw new CacheError('ERR_CACHE_BAD_RRSET', `delegation of ${zone} has no name servers`);
    }
    const glue = new Map<string, readonly string[]>();
    if (input.glue instanceof Map) for (const [k, v] of input.glue) glue.set(nameKey(k), v);
    else if (input.glue) for (const [k, v] of Object.entries(input.glue)) glue.set(nameKey(k), v);
    const nameservers: NameServer[] = [];
    const seen = new Set<string>();
    for (const raw of input.nameservers) {
      const name = checkName(raw, `name server of ${zone}`);
      const k = nameKey(name);
      if (seen.has(k)) continue;
      seen.add(k);
      const addrs = glue.get(k);
      nameservers.push({ name, addresses: addrs === undefined ? [] : checkAddresses(addrs, name) });
    }

    const key = delegationKey(zone, cls);
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
    const value: DelegationValue = { zone, class: cls, nameservers, rank };
    return this.store.put(key, zone, value, ttl, delegationSize(value), now) ? 'stored' : 'too-large';
  }

  /**
   * Record addresses learned for one name server of a cached cut (e.g. after resolving an NS
   * name that had no glue). False when the cut or the name server is not cached.
   */
  addAddresses(zone: string, nsName: string, addresses: readonly string[], cls: number = RRClass.IN): boolean {
    const add = checkAddresses(addresses, nsName);
    const key = delegationKey(zone, cls);
    const now = this.store.now();
    const e = this.store.peek(key, now);
    if (!e) return false;
    const k = nameKey(nsName);
    if (!e.value.nameservers.some((ns) => nameKey(ns.name) === k)) return false;
    const nameservers = e.value.nameservers.map((ns) =>
      nameKey(ns.name) === k ? { name: ns.name, addresses: [...ns.addresses, ...add.filter((a) => !ns.addresses.includes(a))] } : ns);
    const value = { ...e.value, nameservers };
    return this.store.replace(key, e, value, delegationSize(value), now);
  }

  /** The cut stored exactly at `zone`. */
  get(zone: string, cls: number = RRClass.IN, opts: CutOptions = {}): CachedDelegation | undefined {
    const now = this.store.now();
    const e = this.store.get(delegationKey(zone, cls), now);
    if (e && (opts.allowStale || this.store.isFresh(e, now))) return this.hit(e, now);
    this.store.stats.misses++;
    return undefined;
  }

  /**
   * The deepest cached cut at or above `name` that has not expired (or, with allowStale, is
   * inside the stale window). Undefined when not even the root is cached: use the root hints.
   */
  closestCut(name: string, cls: number = RRClass.IN, opts: CutOptions = {}): CachedDelegation | undefined {
    const now = this.store.now();
    for (let n: string | undefined = name; n !== undefined; n = parentName(n)) {
      const e = this.store.get(delegationKey(n, cls), now);
      if (e && (opts.allowStale || this.store.isFresh(e, now))) return this.hit(e, now);
    }
    this.store.stats.misses++;
    return undefined;
  }

  private hit(e: StoredEntry<DelegationValue>, now: number): CachedDelegation {
    const f = this.store.freshness(e, now, true);
    this.store.stats.hits++;
    if (f.stale) this.store.stats.staleHits++;
    const v = e.value;
    return {
      zone: v.zone, class: v.class, rank: v.rank,
      nameservers: v.nameservers.map((ns) => ({ name: ns.name, addresses: ns.addresses.slice() })),
      ttl: f.ttl, originalTtl: e.ttl, stale: f.stale, prefetch: f.prefetch,
    };
  }

  delete(zone: string, cls: number = RRClass.IN): boolean {
    return this.store.delete(delegationKey(zone, cls));
  }

  protected describe(v: DelegationValue): Omit<DumpEntry, 'ttl' | 'originalTtl' | 'stale'> {
    return { kind: 'delegation', name: v.zone, type: RRType.NS, class: v.class, rank: v.rank };
  }

}
