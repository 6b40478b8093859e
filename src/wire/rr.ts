// Resource records as aop holds them: owner name in canonical presentation form, RDATA in
// uncompressed wire form, so records are compared, cached and re-encoded byte for byte.

export interface RR {
  name: string;
  type: number;
  class: number;
  ttl: number;
  /** Uncompressed wire-form RDATA; names inside keep the case they were written with. */
  rdata: Buffer;
}

/** All records of one owner, type and class. Same TTL for all (RFC 2181 section 5.2). */
export interface RRset {
  name: string;
  type: number;
  class: number;
  ttl: number;
  rdata: Buffer[];
  /** RRSIG RDATA covering this set, kept when the resolver asks with DO=1 (RFC 4035 3.2.1). */
  sigs?: Buffer[];
  /**
   * The NSEC or NSEC3 sets (with their sigs) that came with the set in one answer: the proof
   * that a wildcard expansion was right (RFC 4035 5.3.4, RFC 5155 8.8).
   */
  proof?: RRset[];
}

export function rrsetToRecords(set: RRset, ttl = set.ttl, name = set.name): RR[] {
  return set.rdata.map((rdata) => ({ name, type: set.type, class: set.class, ttl, rdata }));
}
