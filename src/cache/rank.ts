// Trust ranks of cached data, in the order of RFC 2181 section 5.4.1 (lowest first).

import { CacheError } from './errors.js';

/**
 * RFC 2181 section 5.4.1 lists, from most to least trustworthy:
 *   1. data from a primary zone file, other than glue;
 *   2. data from a zone transfer, other than glue;
 *   3. the authoritative data in the answer section of an authoritative reply;
 *   4. data from the authority section of an authoritative answer;
 *   5. glue from a primary zone, or glue from a zone transfer;
 *   6. data from the answer section of a non-authoritative answer, and non-authoritative
 *      data from the answer section of an authoritative answer (records after a CNAME);
 *   7. additional information from an authoritative answer, data from the authority section
 *      of a non-authoritative answer, additional information from non-authoritative answers.
 * Bigger is more trusted. Note that the glue a resolver sees in a referral is rank 7 (additional
 * section of a non-authoritative reply), not rank 5, which is glue held in zone data.
 * Unbound (packed_rrset.h, enum rrset_trust) splits ranks 6 and 7 further; we keep RFC's groups.
 */
export const Rank = {
  Additional: 1,
  AnswerNonAuth: 2,
  ZoneGlue: 3,
  AuthorityAuth: 4,
  AnswerAuth: 5,
  ZoneTransfer: 6,
  PrimaryZone: 7,
} as const;
export type Rank = (typeof Rank)[keyof typeof Rank];

/**
 * The lowest rank that may be returned as an answer to a client: RFC 2181 5.4.1 says data of
 * the least trusted group "should not be cached in such a way that they would ever be
 * returned as answers to a received query".
 */
export const MIN_ANSWER_RANK: Rank = Rank.AnswerNonAuth;

const rankNames = new Map<number, string>(Object.entries(Rank).map(([k, v]) => [v, k]));

export function rankToString(rank: number): string {
  return rankNames.get(rank) ?? `RANK${rank}`;
}

export function isRank(value: unknown): value is Rank {
  return typeof value === 'number' && rankNames.has(value);
}

export function checkRank(value: unknown): Rank {
  if (!isRank(value)) throw new CacheError('ERR_CACHE_BAD_RANK', `rank must be one of ${[...rankNames.keys()].join(', ')}, got ${String(value)}`);
  return value;
}

/**
 * The rank of a record learned from a reply, by section and the AA bit. `authoritative`
 * overrides AA for the answer section: after a CNAME only the alias record itself is
 * necessarily authoritative (RFC 2181 5.4.1), so the caller passes false for the rest.
 */
export function rankFor(section: 'answer' | 'authority' | 'additional', aa: boolean, authoritative = aa): Rank {
  switch (section) {
    case 'answer': return aa && authoritative ? Rank.AnswerAuth : Rank.AnswerNonAuth;
    case 'authority': return aa ? Rank.AuthorityAuth : Rank.Additional;
    case 'additional': return Rank.Additional;
  }
}
