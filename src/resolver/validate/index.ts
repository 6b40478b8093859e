// The validating resolver's parts, and the one call that joins a validator to a resolver.

import { ValidationCache } from '../../cache/validation-cache.js';
import type { Resolution, Resolver } from '../resolver.js';
import type { TrustAnchors } from './anchors.js';
import { Validator } from './validator.js';

export { TrustAnchorError, TrustAnchors, parseTrustAnchors, readTrustAnchors, readTrustAnchorFiles, type TrustAnchor } from './anchors.js';
export { Validator, withoutDnssec, type ValidatorOptions, type ValidatorStats } from './validator.js';
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
  /** Seconds a bogus verdict is kept (1..300). Default 30. */
  bogusTtl?: number;
  /** Unix seconds, for signature windows (tests). */
  now?: () => number;
}

/**
 * A validator for `resolver` (which must ask with `dnssec: true`): DNSKEY and DS sets come
 * through the resolver and its cache (or, for names `local` serves, from those zones); verdicts
 * live on that cache's clock and generation.
 */
export function validatorFor(resolver: Resolver, config: ValidationConfig, local?: LocalAnswers): Validator {
  const clock = { now: () => resolver.cache.now(), generation: () => resolver.cache.generation, bogusTtl: config.bogusTtl };
  return new Validator({
    anchors: config.anchors,
    lookup: (name, type) => Promise.resolve(local?.answer(name, type) ?? resolver.resolve(name, type)),
    zoneOf: (name) => (local ? local.zoneOf(name, resolver.zoneCut(name)) : resolver.zoneCut(name)),
    verdicts: new ValidationCache(clock),
    keys: new ValidationCache(clock),
    ...(config.now ? { now: config.now } : {}),
  });
}
