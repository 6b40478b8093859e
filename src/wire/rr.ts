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
}

export function rrsetToRecords(set: RRset, ttl = set.ttl, name = set.name): RR[] {
  return set.rdata.map((rdata) => ({ name, type: set.type, class: set.class, ttl, rdata }));
}
