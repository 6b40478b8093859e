// The verified hand-off's policy (RFC 4033 4.9.3, RFC 6840 5.8): every DNS answer the hand-off
// uses is judged by a validating resolver it trusts, and an agent whose records are bogus (or,
// with requireSecure, anything but secure) is never called. A VerifiedLookup wraps the lookup the
// hand-off asks through, so every record it rests on (SVCB, aliases, TXT, the endpoint hosts'
// addresses) passes the policy before any connection is made, whoever calls it: `aop call`,
// `aop agent`, the gateway.
//
// Whom to trust: AD is only worth what the path to the resolver is worth. When the client holds a
// trust anchor for the name (a `judge`: src/resolver/validate/stub.ts, given --trust-anchor or the
// anchor the local daemon announces), it validates the records itself and the resolver's AD does
// not count. Otherwise a resolver on this host (loopback: the local aop daemon with --trust-anchor)
// is trusted; AD from anywhere else is reported as "unverified", which requireSecure refuses.
//
// requireSecure 'auto' (the default of aop call, aop agent and the gateway) refuses anything but
// secure where it matters: for a name one of the judge's anchors covers, and for every record of
// an agent whose SVCB is secure (checkAgent): a downgrade to unsigned answers is not followed.

import { isIP } from 'node:net';
import { Rcode, typeToString } from '../wire/types.js';
import { HandOffError } from './errors.js';
import type { DnssecChainLink, DnssecSigner } from '../agent/index.js';
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
  /** For secure records this client validated: which zone signed them, with which keys. */
  signedBy?: DnssecSigner[];
}

/** What a validating stub says of one reply (src/resolver/validate/stub.ts fits). */
export interface ReplyVerdict {
  security: 'secure' | 'insecure' | 'bogus' | 'indeterminate';
  ede?: number;
  why?: string;
  signedBy?: Array<DnssecSigner & { name: string; type: number }>;
  chain?: DnssecChainLink[];
}

/** The client's own validation: answers for names under its trust anchors are judged here. */
export interface ReplyJudge {
  covers(name: string): boolean;
  judge(name: string, type: number, reply: LookupReply): Promise<ReplyVerdict>;
  /** The anchored zones, for messages. */
  readonly anchors: { zones(): string[] };
}

export interface SecurityPolicy {
  /**
   * true: refuse an agent unless every record is secure. 'auto': refuse non-secure records under a
   * trust anchor of `judge`, and an agent whose SVCB is secure with any record that is not
   * (checkAgent). false (the default here): refuse only bogus records.
   */
  requireSecure?: boolean | 'auto';
  /** The client's own validation (trust anchors it holds); without it, the resolver's AD is read. */
  judge?: ReplyJudge;
  /** Whether the resolver asked may be trusted to validate; default: it is on loopback. */
  trusted?: boolean;
}

/** What a summary says: the weakest state among the records. */
export interface SecuritySummary {
  state: RecordSecurity;
  /** The resolver whose AD bits these are, and whether it is trusted to validate. */
  resolver: string;
  trusted: boolean;
  requireSecure: boolean | 'auto';
  /** Whether this client validated (from the anchors of these zones) or read the resolver's AD. */
  validatedBy: 'aop' | 'resolver';
  anchors?: string[];
  records: SecurityRecord[];
  /** The chain of trust the secure records rest on, anchor first (client validation only). */
  chain?: DnssecChainLink[];
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
  readonly requireSecure: boolean | 'auto';
  readonly judge: ReplyJudge | undefined;
  private readonly seen: SecurityRecord[] = [];
  private readonly links = new Map<string, DnssecChainLink>();

  constructor(private readonly inner: DnsLookup & { server?: { address: string } }, policy: SecurityPolicy = {}) {
    if (inner.source !== undefined) this.source = inner.source;
    this.trusted = policy.trusted ?? (inner.server !== undefined && isLoopbackAddress(inner.server.address));
    this.requireSecure = policy.requireSecure ?? false;
    this.judge = policy.judge;
  }

  /** The records judged so far (the latest MAX_RECORDS). */
  get records(): SecurityRecord[] {
    return this.seen.slice();
  }

  /** The weakest state of the records so far, with them. */
  summary(): SecuritySummary {
    const anchors = this.judge?.anchors.zones();
    return {
      state: weakestSecurity(this.seen), resolver: this.source ?? 'the DNS server', trusted: this.trusted, requireSecure: this.requireSecure,
      validatedBy: this.judge !== undefined && this.seen.some((r) => r.signedBy !== undefined || this.judge!.covers(r.name)) ? 'aop' : 'resolver',
      ...(anchors !== undefined ? { anchors } : {}), records: this.records, ...(this.links.size > 0 ? { chain: [...this.links.values()] } : {}),
    };
  }

  /**
   * requireSecure 'auto' for one agent's records (resolve.ts calls it once they are all in): an
   * agent whose SVCB is secure is signed, so any record of it that is not secure is a downgrade.
   */
  checkAgent(agent: string, records: readonly SecurityRecord[]): void {
    if (this.requireSecure !== 'auto') return;
    if (!records.some((r) => r.type === 'SVCB' && r.security === 'secure')) return;
    const weak = records.find((r) => r.security !== 'secure');
    if (weak === undefined) return;
    throw new HandOffError('ERR_AGENT_INSECURE', `${weak.name} ${weak.type}: not DNSSEC-secure (${weak.security}), but the agent ${agent} is signed (its SVCB is secure): a downgrade is refused; --no-require-secure calls it anyway`);
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
    const anchored = this.judge?.covers(name) === true;
    let security: RecordSecurity = !this.trusted ? 'unverified' : r.ad === true ? 'secure' : 'insecure';
    let signedBy: DnssecSigner[] | undefined;
    let why: string | undefined;
    if (anchored) {
      // Our own verdict, from our anchor: the resolver's AD neither helps nor hurts.
      const v = await this.judge!.judge(name, type, r);
      if (v.security === 'bogus') {
        const ede = { code: v.ede ?? 6, ...(v.why ? { text: v.why } : {}) };
        this.note({ name, type: typeToString(type), security: 'bogus', ede });
        throw new HandOffError('ERR_AGENT_BOGUS', `${what}: bogus by aop's own DNSSEC validation (EDE ${ede.code}${v.why ? `: ${v.why}` : ''}; records from ${from}); the agent is not called`);
      }
      if (v.security === 'secure') {
        security = 'secure';
        // One entry per zone (a denial's SOA and NSEC3 are signed by the same zone and keys).
        const byZone = new Map<string, DnssecSigner>();
        for (const sb of v.signedBy ?? []) {
          const have = byZone.get(sb.zone.toLowerCase());
          if (!have) byZone.set(sb.zone.toLowerCase(), { zone: sb.zone, keys: [...sb.keys] });
          else for (const k of sb.keys) if (!have.keys.some((x) => x.tag === k.tag && x.algorithm === k.algorithm)) have.keys.push(k);
        }
        signedBy = [...byZone.values()];
        for (const l of v.chain ?? []) this.links.set(l.zone.toLowerCase(), l);
        r.chain = v.chain ?? [];
      } else if (v.security === 'insecure') {
        security = 'insecure';
        why = v.why;
      }
    }
    this.note({ name, type: typeToString(type), security, ...(signedBy && signedBy.length > 0 ? { signedBy } : {}) });
    r.security = security;
    if (signedBy && signedBy.length > 0) r.signedBy = signedBy;
    const required = this.requireSecure === true || (this.requireSecure === 'auto' && anchored);
    if (required && security !== 'secure') {
      const reason = anchored
        ? `the trust anchor of ${this.judge!.anchors.zones().join(', ')} covers it, but ${why ?? 'it is not signed along that chain'}`
        : security === 'unverified'
          ? `${from} is not on this host, so its AD bit proves nothing (ask the local validating aop resolver, or give --trust-anchor)`
          : `${from} did not validate it (AD clear: the zone is unsigned, or the resolver has no trust anchor for it)`;
      throw new HandOffError('ERR_AGENT_INSECURE', `${what}: not DNSSEC-secure: ${reason}; ${this.requireSecure === true ? '--require-secure' : 'the default policy (--require-secure auto)'} refuses the agent${this.requireSecure === 'auto' ? ' (--no-require-secure calls it anyway)' : ''}`);
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
