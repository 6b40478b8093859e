// The cache module's public surface: src/resolver imports from here.

export { CacheError, type CacheErrorCode } from './errors.js';
export { Rank, MIN_ANSWER_RANK, rankToString, rankFor, isRank } from './rank.js';
export { ttlPolicy, clampTtl, MAX_TTL, type TtlOptions, type SizeOptions, type ClockOption, type TtlPolicy } from './policy.js';
export { type CacheStats, type CacheSnapshot, type DumpEntry, ENTRY_OVERHEAD } from './store.js';
export { RRsetCache, RRSET_CACHE_DEFAULTS, type RRsetCacheOptions, type CachedRRset, type GetOptions, type PutResult } from './rrset-cache.js';
export {
  NegativeCache, NEGATIVE_CACHE_DEFAULTS, soaMinimum, negativeTtl,
  type NegativeCacheOptions, type NegativeInput, type NegativeHit, type NegativeKind, type NegativeGetOptions, type NegativePutResult,
} from './negative-cache.js';
export {
  DelegationCache, DELEGATION_CACHE_DEFAULTS,
  type DelegationCacheOptions, type DelegationInput, type CachedDelegation, type NameServer, type CutOptions,
} from './delegation-cache.js';
export { InfraCache, type InfraCacheOptions, type ChooseOptions, type ServerInfo } from './infra-cache.js';
export { DnsCache, type DnsCacheOptions, type CacheLookup, type DnsCacheSnapshot } from './cache.js';
export { ValidationCache, type ValidationCacheOptions } from './validation-cache.js';
