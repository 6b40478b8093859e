// Errors of the cache layer: bad options or bad input from the caller, each with a stable `code`.

import { AopError } from '../base/errors.js';

export type CacheErrorCode =
  | 'ERR_CACHE_BAD_OPTION'
  | 'ERR_CACHE_BAD_NAME'
  | 'ERR_CACHE_BAD_TTL'
  | 'ERR_CACHE_BAD_TYPE'
  | 'ERR_CACHE_BAD_CLASS'
  | 'ERR_CACHE_BAD_RANK'
  | 'ERR_CACHE_BAD_RRSET'
  | 'ERR_CACHE_BAD_SOA'
  | 'ERR_CACHE_BAD_ADDRESS'
  | 'ERR_CACHE_BAD_RTT';

export class CacheError extends AopError {
  declare readonly code: CacheErrorCode;
  constructor(code: CacheErrorCode, message: string) {
    super(code, message);
  }
}
