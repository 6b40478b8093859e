// Zone-loading faults and the error that carries them: every fault has file:line:col and a stable code.

import { AopError } from '../base/errors.js';

/** One thing wrong in a zone file, pointing at the offending token. */
export interface ZoneFault {
  file: string;
  /** 1-based; faults about the zone as a whole (no SOA, no NS) point at 1:1 of the zone file. */
  line: number;
  /** 1-based, in characters of the line. */
  col: number;
  code: string;
  message: string;
}

/**
 * The stable fault codes of the zone loader, each with what it means. RDATA faults carry the
 * codes of src/wire/rdata.ts (ERR_RDATA_*) instead. docs/zones.md documents every one.
 */
export const ZoneFaultCode = {
  // Reading
  ERR_ZONE_READ: 'the zone file or an included file cannot be read',
  ERR_ZONE_ENCODING: 'the file is not valid UTF-8',
  ERR_ZONE_BAD_FILE_NAME: 'a file name in the zones folder does not give a valid origin',
  ERR_ZONE_DUPLICATE_ORIGIN: 'two files in the zones folder give the same origin',
  ERR_ZONE_BAD_ORIGIN: 'the origin given to the loader is not a valid absolute name',
  ERR_ZONE_ORIGIN_MISMATCH: "the file's leading $ORIGIN is not the zone's origin (file name or --origin), and records fall outside the zone",
  ERR_ZONE_ORIGIN_IMPLICIT: 'a single-label origin taken from the file name alone, with no $ORIGIN in the file to confirm it',
  // Lexing
  ERR_ZONE_PARENS: 'unbalanced parentheses',
  ERR_ZONE_QUOTE: 'a quoted string is not closed on its line',
  ERR_ZONE_ESCAPE: 'a backslash at the end of a line',
  ERR_ZONE_NUL: 'a raw NUL byte outside a quoted string or comment',
  // Directives
  ERR_ZONE_UNKNOWN_DIRECTIVE: 'a $ directive other than $ORIGIN, $TTL, $INCLUDE',
  ERR_ZONE_BAD_DIRECTIVE: 'a directive with missing or extra arguments',
  ERR_ZONE_GENERATE: '$GENERATE, which aop does not support',
  ERR_ZONE_INCLUDE: '$INCLUDE of a file that cannot be read, an include loop, or includes nested too deep',
  // Records
  ERR_ZONE_NO_OWNER: 'a record with no owner name and no previous owner to inherit',
  ERR_ZONE_BAD_NAME: 'an owner name or $ORIGIN that is not a valid domain name',
  ERR_ZONE_BAD_TTL: 'a TTL that is not a number of seconds or BIND duration, or over 2147483647',
  ERR_ZONE_NO_TTL: 'a record whose TTL is not given and cannot be inherited',
  ERR_ZONE_BAD_CLASS: 'a class other than IN',
  ERR_ZONE_UNKNOWN_TYPE: 'a record type mnemonic aop does not know',
  ERR_ZONE_SYNTAX: 'a record line that ends before its type, or gives the TTL or class twice',
  // Validation (src/zone/validate.ts)
  ERR_ZONE_OUT_OF_ZONE: 'a record whose owner is not at or below the origin',
  ERR_ZONE_NO_SOA: 'no SOA record at the apex',
  ERR_ZONE_MULTIPLE_SOA: 'more than one SOA record at the apex',
  ERR_ZONE_SOA_NOT_AT_APEX: 'an SOA record below the apex',
  ERR_ZONE_NO_NS: 'no NS records at the apex',
  ERR_ZONE_CNAME_AT_APEX: 'a CNAME at the apex',
  ERR_ZONE_CNAME_AND_OTHER: 'a CNAME and other data at one name',
  ERR_ZONE_MULTIPLE_CNAME: 'more than one CNAME at one name',
  ERR_ZONE_MULTIPLE_DNAME: 'more than one DNAME at one name',
  ERR_ZONE_BELOW_DNAME: 'data below a DNAME',
  ERR_ZONE_OCCLUDED: 'data at or below a delegation that is not glue',
  ERR_ZONE_NO_GLUE: 'an in-zone name server without address records',
  ERR_ZONE_WILDCARD_NS: 'an NS record at a wildcard owner name',
  ERR_ZONE_NS_CNAME: 'an in-zone name server name that is a CNAME',
} as const;
export type ZoneFaultCodeName = keyof typeof ZoneFaultCode;

/** `file:line:col: message`, the form operators grep for. */
export function formatFault(f: ZoneFault): string {
  return `${f.file}:${f.line}:${f.col}: ${f.message}`;
}

/** A zone that failed to load, with every fault found (not just the first). */
export class ZoneLoadError extends AopError {
  declare readonly code: 'ERR_ZONE_INVALID';
  readonly faults: ZoneFault[];
  /** Origin of the zone, when known. */
  origin?: string;
  /** The zone file, when loaded from one. */
  file?: string;

  constructor(faults: ZoneFault[], opts: { origin?: string; file?: string } = {}) {
    super('ERR_ZONE_INVALID', faults.map(formatFault).join('\n'));
    this.faults = faults;
    if (opts.origin !== undefined) this.origin = opts.origin;
    if (opts.file !== undefined) this.file = opts.file;
  }
}
