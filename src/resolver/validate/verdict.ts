// What validation concludes about an answer (RFC 4033 section 5; RFC 4035 section 4.3): secure,
// insecure (no chain of trust reaches it, and that is proven), bogus (a chain should reach it and
// does not), or indeterminate (no trust anchor covers the name). A bogus verdict says why, as the
// Extended DNS Error a client is given (RFC 8914 section 4).

export type Security = 'secure' | 'insecure' | 'bogus' | 'indeterminate';

/** The RFC 8914 INFO-CODEs validation gives: the one table (wire/ede-codes.ts). */
export { EdeCode as DnssecEde } from '../../wire/ede-codes.js';

export interface Verdict {
  security: Security;
  /** For bogus (and an insecure answer for an unsupported algorithm or digest): the EDE INFO-CODE. */
  ede?: number;
  /** In words, for the log and the EDE EXTRA-TEXT. */
  why?: string;
  /** Seconds the verdict holds: the shortest TTL and signature lifetime it rests on. */
  ttl: number;
  /** For a secure denial of a DS: whether it shows a delegation there (the NS bit), which makes the child insecure. */
  delegation?: boolean;
}

export const bogus = (ede: number, why: string, ttl = 0): Verdict => ({ security: 'bogus', ede, why, ttl });
export const insecure = (why: string, ttl: number, ede?: number): Verdict => ({ security: 'insecure', why, ttl, ...(ede !== undefined ? { ede } : {}) });

/** The weakest of several verdicts: bogus over insecure/indeterminate over secure; TTL the smallest. */
export function weakest(verdicts: readonly Verdict[], empty: Verdict): Verdict {
  if (verdicts.length === 0) return empty;
  const rank = (v: Verdict) => (v.security === 'bogus' ? 3 : v.security === 'indeterminate' ? 2 : v.security === 'insecure' ? 1 : 0);
  let worst = verdicts[0]!;
  for (const v of verdicts) if (rank(v) > rank(worst)) worst = v;
  return { ...worst, ttl: Math.min(...verdicts.map((v) => v.ttl)) };
}
