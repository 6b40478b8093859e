// The validating resolver's parts, and the one call that joins a validator to a resolver.

import { ValidationCache } from '../../cache/validation-cache.js';
import type { Resolution, Resolver } from '../resolver.js';
import type { TrustAnchors } from './anchors.js';
import { Validator } from './validator.js';
import { AnchorTracker, type ManagedAnchor } from './managed-anchors.js';
import type { Logger } from '../../base/log.js';

export { TrustAnchorError, TrustAnchors, parseTrustAnchors, readTrustAnchors, readTrustAnchorFiles, type TrustAnchor } from './anchors.js';
export { Validator, withoutDnssec, type ValidatorOptions, type ValidatorStats } from './validator.js';
export { AnchorTracker, ManagedAnchor, DEFAULT_HOLD_DOWN, type ManagedAnchorOptions } from './managed-anchors.js';
export { AnchorState, readAnchorFile } from './anchor-file.js';
export { DnssecEde, type Security, type Verdict } from './verdict.js';
export { StubValidator, type ChainKey, type ChainLink, type SignedBy, type StubAsk, type StubVerdict } from './stub.js';

/** Answers from zones served beside the resolver (server/local-answers.ts): the validator asks them first. */
export interface LocalAnswers {
  answer(name: string, type: number): Resolution | undefined;
  /** The zone holding `name`, given the resolver's own deepest known cut. */
  zoneOf(name: string, known: string): string;
}

export interface ValidationConfig {
  anchors: TrustAnchors;
  /** Anchors kept up to date by RFC 5011 (`--trust-anchor-managed FILE`), added to `anchors`. */
  managed?: ManagedAnchor[];
  /** Seconds a bogus verdict is kept (1..300). Default 30. */
  bogusTtl?: number;
  /** Unix seconds, for signature windows (tests). */
  now?: () => number;
  /** Where the RFC 5011 tracker says what it did. */
  logger?: Logger;
}

/**
 * A validator for `resolver` (which must ask with `dnssec: true`): DNSKEY and DS sets come
 * through the resolver and its cache (or, for names `local` serves, from those zones); verdicts
 * live on that cache's clock and generation.
 */
export function validatorFor(resolver: Resolver, config: ValidationConfig, local?: LocalAnswers): Validator {
  const clock = { now: () => resolver.cache.now(), generation: () => resolver.cache.generation, bogusTtl: config.bogusTtl };
  const validator = new Validator({
    anchors: config.anchors,
    lookup: (name, type) => Promise.resolve(local?.answer(name, type) ?? resolver.resolve(name, type)),
    zoneOf: (name) => (local ? local.zoneOf(name, resolver.zoneCut(name)) : resolver.zoneCut(name)),
    verdicts: new ValidationCache(clock),
    keys: new ValidationCache(clock),
    ...(config.now ? { now: config.now } : {}),
  });
  if (config.managed?.length) {
    validator.anchorTracker = new AnchorTracker(config.managed, config.anchors, {
      lookup: (name, type) => resolver.resolve(name, type),
      now: config.now ?? (() => Math.floor(resolver.cache.now() / 1000)),
      changed: () => validator.anchorsChanged(),
      ...(config.logger ? { logger: config.logger } : {}),
    });
  }
  return validator;
}
