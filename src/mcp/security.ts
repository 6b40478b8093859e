// The verified hand-off's policy (RFC 4033 4.9.3, RFC 6840 5.8): every DNS answer the hand-off
// uses is judged by a validating resolver it trusts, and an agent whose records are bogus (or,
// with requireSecure, anything but secure) is never called. A VerifiedLookup wraps the lookup the
// hand-off asks through, so every record it rests on (SVCB, aliases, TXT, the endpoint hosts'
// addresses) passes the policy before any connection is made, whoever calls it: `aop call`,
// `aop agent`, the gateway.
//
// Whom to trust: AD is only worth what the path to the resolver is worth. A resolver on this
// host (loopback: the local aop daemon with --trust-anchor) is trusted; AD from anywhere else is
// reported as "unverified", which requireSecure refuses like insecure.

import { isIP } from 'node:net';
import { Rcode, typeToString } from '../wire/types.js';
import { HandOffError } from './errors.js';
import type { DnsLookup, LookupReply } from './lookup.js';

/** The RFC 8914 INFO-CODEs that mean DNSSEC validation failed (1, 2 and 5 to 12). */
const DNSSEC_EDE = new Set([1, 2, 5, 6, 7, 8, 9, 10, 11, 12]);

export type RecordSecurity = 'secure' | 'insecure' | 'bogus' | 'unverified';

export interface SecurityRecord {
  name: string;
  type: string;
  security: RecordSecurity;
  /** For bogus: the resolver's Extended DNS Error. */
  ede?: { code: number; text?: string };
}

export interface SecurityPolicy {
  /** Refuse an agent unless every record is secure (DNSSEC-validated by a trusted resolver). */
  requireSecure?: boolean;
  /** Whether the resolver asked may be trusted to validate; default: it is on loopback. */
  trusted?: boolean;
}

/** What a summary says: the weakest state among the records. */
export interface SecuritySummary {
  state: RecordSecurity;
  /** The resolver whose AD bits these are, and whether it is trusted to validate. */
  resolver: string;
  trusted: boolean;
  requireSecure: boolean;
  records: SecurityRecord[];
}

export function isLoopbackAddress(address: string): boolean {
  if (isIP(address) === 4) return address.startsWith('127.');
  return address === '::1';
}

/** Most records remembered (a long-lived gateway asks forever; the recent ones are what a card shows). */
const MAX_RECORDS = 64;

const WEIGHT: Record<RecordSecurity, number> = { secure: 0, unverified: 1, insecure: 2, bogus: 3 };

export class VerifiedLookup implements DnsLookup {
  readonly source?: string;
  readonly trusted: boolean;
  readonly requireSecure: boolean;
  private readonly seen: SecurityRecord[] = [];

  constructor(private readonly inner: DnsLookup & { server?: { address: string } }, policy: SecurityPolicy = {}) {
    if (inner.source !== undefined) this.source = inner.source;
    this.trusted = policy.trusted ?? (inner.server !== undefined && isLoopbackAddress(inner.server.address));
    this.requireSecure = policy.requireSecure ?? false;
  }

  /** The records judged so far (the latest MAX_RECORDS). */
  get records(): SecurityRecord[] {
    return this.seen.slice();
  }

  /** The weakest state of the records so far, with them. */
  summary(): SecuritySummary {
    return { state: weakestSecurity(this.seen), resolver: this.source ?? 'the DNS server', trusted: this.trusted, requireSecure: this.requireSecure, records: this.records };
  }

  async query(name: string, type: number, signal?: AbortSignal): Promise<LookupReply> {
    const r = await this.inner.query(name, type, signal);
    const what = `${name} ${typeToString(type)}`;
    const from = this.source ?? 'the DNS server';
    const dnssecFailure = r.rcode === Rcode.SERVFAIL ? r.ede?.find((e) => DNSSEC_EDE.has(e.code)) : undefined;
    if (dnssecFailure) {
      this.note({ name, type: typeToString(type), security: 'bogus', ede: dnssecFailure });
      throw new HandOffError('ERR_AGENT_BOGUS', `${what}: ${from} found the records bogus (DNSSEC, EDE ${dnssecFailure.code}${dnssecFailure.text ? `: ${dnssecFailure.text}` : ''}); the agent is not called`);
    }
    if (r.rcode !== Rcode.NOERROR && r.rcode !== Rcode.NXDOMAIN) return r;
    const security: RecordSecurity = !this.trusted ? 'unverified' : r.ad === true ? 'secure' : 'insecure';
    this.note({ name, type: typeToString(type), security });
    r.security = security;
    if (this.requireSecure && security !== 'secure') {
      const why = security === 'unverified'
        ? `${from} is not on this host, so its AD bit proves nothing (ask the local validating aop resolver)`
        : `${from} did not validate it (AD clear: the zone is unsigned, or the resolver has no trust anchor for it)`;
      throw new HandOffError('ERR_AGENT_INSECURE', `${what}: not DNSSEC-secure: ${why}; --require-secure refuses the agent`);
    }
    return r;
  }

  private note(rec: SecurityRecord): void {
    this.seen.push(rec);
    if (this.seen.length > MAX_RECORDS) this.seen.shift();
  }
}

/** The weakest state of `records` ('unverified' when there are none). */
export function weakestSecurity(records: readonly SecurityRecord[]): RecordSecurity {
  if (records.length === 0) return 'unverified';
  return records.reduce<RecordSecurity>((w, r) => (WEIGHT[r.security] > WEIGHT[w] ? r.security : w), 'secure');
}

/** Whether a hand-off error is the policy's (these must not be turned into warnings or retries). */
export function isSecurityRefusal(err: unknown): err is HandOffError {
  return err instanceof HandOffError && (err.code === 'ERR_AGENT_BOGUS' || err.code === 'ERR_AGENT_INSECURE');
}
