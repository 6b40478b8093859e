// Cache options: validation, defaults and the TTL clamps applied when data is inserted.

import { parseName } from '../wire/name.js';
import { isMetaType } from '../wire/types.js';
import { CacheError } from './errors.js';

/** TTL rules shared by the RRset, negative and delegation caches. All values in seconds. */
export interface TtlOptions {
  /** Floor for positive TTLs (Unbound's cache-min-ttl). Also lifts a TTL of 0. Default 0. */
  minTtl?: number;
  /** Ceiling for positive TTLs (Unbound's cache-max-ttl). Default 86400. */
  maxTtl?: number;
  /** Floor for negative TTLs. Default 0. */
  minNegativeTtl?: number;
  /** Ceiling for negative TTLs (RFC 2308 section 5 suggests 1 to 3 hours). Default 3600. */
  maxNegativeTtl?: number;
  /** How long past expiry data may still be served stale (RFC 8767; 1 to 3 days suggested). 0 disables. Default 86400. */
  staleWindow?: number;
  /** TTL given to a stale answer (RFC 8767 section 4 recommends 30). Default 30. */
  staleTtl?: number;
  /** Fraction of the original TTL left at which `get` asks for a prefetch. 0 disables. Default 0.1. */
  prefetchRatio?: number;
}

export interface SizeOptions {
  /** Most entries held; 0 means no count limit (then maxBytes must be set). */
  maxEntries?: number;
  /** Most bytes held, counted from names and RDATA plus a fixed overhead; 0 means no byte limit. */
  maxBytes?: number;
}

export interface ClockOption {
  /** Milliseconds; injected by tests. Default Date.now. */
  now?: () => number;
}

export interface TtlPolicy {
  minTtl: number;
  maxTtl: number;
  minNegativeTtl: number;
  maxNegativeTtl: number;
  staleWindow: number;
  staleTtl: number;
  prefetchRatio: number;
}

/** RFC 2181 section 8: a TTL with the top bit set is treated as zero. */
export const MAX_TTL = 0x7fffffff;

export function checkInt(what: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new CacheError('ERR_CACHE_BAD_OPTION', `${what} must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}

export function ttlPolicy(opts: TtlOptions = {}): TtlPolicy {
  const p: TtlPolicy = {
    minTtl: checkInt('minTtl', opts.minTtl ?? 0, 0, MAX_TTL),
    maxTtl: checkInt('maxTtl', opts.maxTtl ?? 86400, 0, MAX_TTL),
    minNegativeTtl: checkInt('minNegativeTtl', opts.minNegativeTtl ?? 0, 0, MAX_TTL),
    maxNegativeTtl: checkInt('maxNegativeTtl', opts.maxNegativeTtl ?? 3600, 0, MAX_TTL),
    staleWindow: checkInt('staleWindow', opts.staleWindow ?? 86400, 0, MAX_TTL),
    staleTtl: checkInt('staleTtl', opts.staleTtl ?? 30, 0, MAX_TTL),
    prefetchRatio: opts.prefetchRatio ?? 0.1,
  };
  if (typeof p.prefetchRatio !== 'number' || !(p.prefetchRatio >= 0 && p.prefetchRatio < 1)) {
    throw new CacheError('ERR_CACHE_BAD_OPTION', `prefetchRatio must be a number from 0 up to (not including) 1, got ${String(opts.prefetchRatio)}`);
  }
  if (p.minTtl > p.maxTtl) throw new CacheError('ERR_CACHE_BAD_OPTION', `minTtl (${p.minTtl}) is above maxTtl (${p.maxTtl})`);
  if (p.minNegativeTtl > p.maxNegativeTtl) {
    throw new CacheError('ERR_CACHE_BAD_OPTION', `minNegativeTtl (${p.minNegativeTtl}) is above maxNegativeTtl (${p.maxNegativeTtl})`);
  }
  return p;
}

export function sizeLimits(opts: SizeOptions, defaults: { maxEntries: number; maxBytes: number }): { maxEntries: number; maxBytes: number } {
  const maxEntries = checkInt('maxEntries', opts.maxEntries ?? defaults.maxEntries, 0, 2 ** 30);
  const maxBytes = checkInt('maxBytes', opts.maxBytes ?? defaults.maxBytes, 0, Number.MAX_SAFE_INTEGER);
  if (maxEntries === 0 && maxBytes === 0) throw new CacheError('ERR_CACHE_BAD_OPTION', 'maxEntries and maxBytes cannot both be 0 (the cache would be unbounded)');
  return { maxEntries, maxBytes };
}

export function checkClock(now: unknown): () => number {
  if (now === undefined) return Date.now;
  if (typeof now !== 'function') throw new CacheError('ERR_CACHE_BAD_OPTION', `now must be a function returning milliseconds, got ${typeof now}`);
  return now as () => number;
}

/** A wire TTL (unsigned 32 bits) checked, with RFC 2181 section 8 applied. */
export function wireTtl(ttl: unknown): number {
  if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 0 || ttl > 0xffffffff) {
    throw new CacheError('ERR_CACHE_BAD_TTL', `TTL must be an integer from 0 to 4294967295, got ${String(ttl)}`);
  }
  return ttl > MAX_TTL ? 0 : ttl;
}

/** Clamp into [min, max]; min applies to 0 as well, as Unbound's cache-min-ttl does. */
export function clampTtl(ttl: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, ttl));
}

/** A name from the caller in canonical form; anything that is not an absolute DNS name is rejected. */
export function checkName(name: unknown, what = 'name'): string {
  if (typeof name !== 'string' || !name.endsWith('.')) {
    throw new CacheError('ERR_CACHE_BAD_NAME', `${what} must be an absolute name ending in '.', got ${JSON.stringify(name)}`);
  }
  try {
    return parseName(name);
  } catch (err) {
    throw new CacheError('ERR_CACHE_BAD_NAME', `${what} ${JSON.stringify(name)} is not a valid DNS name: ${(err as Error).message}`);
  }
}

/** A type that can be cached: 1..65535 and not a meta type (OPT, TSIG, AXFR, ANY...). */
export function checkType(type: unknown): number {
  if (typeof type !== 'number' || !Number.isInteger(type) || type < 1 || type > 0xffff || isMetaType(type)) {
    throw new CacheError('ERR_CACHE_BAD_TYPE', `type ${String(type)} cannot be cached (must be 1..65535 and not a meta type)`);
  }
  return type;
}

export function checkClass(cls: unknown): number {
  // NONE (254) and ANY (255) only appear in queries and updates, never in cached data.
  if (typeof cls !== 'number' || !Number.isInteger(cls) || cls < 1 || cls > 0xffff || cls === 254 || cls === 255) {
    throw new CacheError('ERR_CACHE_BAD_CLASS', `class ${String(cls)} cannot be cached (must be 1..65535 and not NONE or ANY)`);
  }
  return cls;
}
