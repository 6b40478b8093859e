// How the hand-off looks names up: a small interface, with a network implementation that sends
// RD=1 queries to one resolver through src/transport. The embedded server plugs in an in-process one.

import { query, TransportError, type Server } from '../transport/index.js';
import { isInDomain, nameEquals, readName } from '../wire/name.js';
import type { RR } from '../wire/rr.js';
import type { DnssecChainLink, DnssecSigner } from '../agent/index.js';
import { RRClass, RRType, Rcode } from '../wire/types.js';

/** The parts of a DNS reply the hand-off reads. */
export interface LookupReply {
  rcode: number;
  answers: RR[];
  authority: RR[];
  additional: RR[];
  /** The AA flag; undefined when the lookup does not say (then no reply is judged lame by it). */
  aa?: boolean;
  /** The TC flag: the reply was cut short and not asked again over TCP. */
  tc?: boolean;
  /** The AD flag (RFC 4035 3.2.3): what a validating resolver says of the data; see security.ts. */
  ad?: boolean;
  /** Extended DNS Error INFO-CODEs of the reply (RFC 8914): why a SERVFAIL is one. */
  ede?: Array<{ code: number; text?: string }>;
  /** The DNSSEC state a VerifiedLookup (security.ts) gave the reply: secure, insecure or unverified. */
  security?: 'secure' | 'insecure' | 'bogus' | 'unverified';
  /** For a reply this client validated as secure: who signed it, and the chain of trust (security.ts). */
  signedBy?: DnssecSigner[];
  chain?: DnssecChainLink[];
}

export interface DnsLookup {
  /** Ask for `type` at `name` (class IN). Rejects when no reply came; an rcode is a reply, not a rejection. */
  query(name: string, type: number, signal?: AbortSignal): Promise<LookupReply>;
  /** Who answers, for messages: `127.0.0.1:5300`, `the daemon (in-process)`. */
  readonly source?: string;
}

/**
 * What a NOERROR reply without the data asked for is, when it is not a negative answer: a
 * referral (NS for a zone holding the name in the authority section, AA clear, no SOA: the
 * server asked does not recurse and is not authoritative for the name), or lame (AA clear and
 * neither an SOA nor a referral towards the name: nothing a client can use).
 */
export type NotAnAnswer =
  | { kind: 'referral'; zone: string; nameservers: string[] }
  | { kind: 'lame'; reason: string };

const plain = (n: string): string => (n.length > 1 && n.endsWith('.') ? n.slice(0, -1) : n);

/**
 * Whether `reply` (to a question at `qname`) is a referral or lame rather than an answer or a
 * negative answer (RFC 2308: NODATA is authoritative, or carries the SOA of a zone holding the
 * name). Undefined for anything else, an rcode other than NOERROR included, and for a reply with
 * records at `qname`.
 */
export function notAnAnswer(reply: LookupReply, qname: string): NotAnAnswer | undefined {
  if (reply.rcode !== Rcode.NOERROR || reply.aa === true) return undefined;
  if (reply.answers.some((r) => nameEquals(r.name, qname))) return undefined;
  if (reply.authority.some((r) => r.type === RRType.SOA && isInDomain(qname, r.name))) return undefined;
  const ns = reply.authority.filter((r) => r.type === RRType.NS);
  const cut = ns.find((r) => isInDomain(qname, r.name));
  if (cut !== undefined) {
    const names = ns.filter((r) => nameEquals(r.name, cut.name)).map((r) => {
      try {
        return readName(r.rdata, 0).name;
      } catch {
        return '?';
      }
    });
    return { kind: 'referral', zone: cut.name, nameservers: [...new Set(names)] };
  }
  // Only a lookup that reports AA can tell an empty non-authoritative reply from NODATA.
  if (reply.aa === undefined) return undefined;
  if (ns.length > 0) return { kind: 'lame', reason: `a referral to ${plain(ns[0]!.name)}, which does not hold the name` };
  return { kind: 'lame', reason: 'an empty answer that is not authoritative (no SOA, no referral)' };
}

/** The words for a NotAnAnswer, from `source`, about `what` (`analyst.initech.agents. SVCB`). */
export function describeNotAnAnswer(n: NotAnAnswer, what: string, source: string | undefined): string {
  const from = source ?? 'the DNS server';
  if (n.kind === 'referral') {
    return `${what}: ${from} answered with a referral to ${plain(n.zone)} (${n.nameservers.join(', ')}); ask a recursive resolver or a server for ${plain(n.zone)}`;
  }
  return `${what}: ${from} gave a lame answer: ${n.reason}; ask a recursive resolver or a server authoritative for the name`;
}

export interface NetworkLookupOptions {
  /** Milliseconds per DNS attempt (UDP, then TCP on TC=1). Default 2000. */
  timeoutMs?: number;
  /** Ask with DO=1 (RFC 3225), so a validating resolver says with AD whether the data is secure. Default false. */
  dnssec?: boolean;
  /** Ask with CD=1 too: the resolver hands the data over unjudged, for this client to validate (stub.ts). Default false. */
  checkingDisabled?: boolean;
}

/** The Extended DNS Errors of a reply's OPT record (option 15: INFO-CODE, then UTF-8 text). */
export function edeOf(options: ReadonlyArray<{ code: number; data: Buffer }> | undefined): LookupReply['ede'] {
  const out = (options ?? []).filter((o) => o.code === 15 && o.data.length >= 2).map((o) => {
    const text = o.data.subarray(2).toString('utf8');
    return { code: o.data.readUInt16BE(0), ...(text !== '' ? { text } : {}) };
  });
  return out.length > 0 ? out : undefined;
}

/** Queries with RD=1 to one recursive resolver (or an authoritative server holding the zones). */
export class NetworkLookup implements DnsLookup {
  readonly server: { address: string; port: number };
  readonly source: string;
  private readonly timeoutMs: number;
  readonly dnssec: boolean;
  readonly checkingDisabled: boolean;

  constructor(server: { address: string; port: number }, opts: NetworkLookupOptions = {}) {
    this.dnssec = opts.dnssec ?? false;
    this.checkingDisabled = opts.checkingDisabled ?? false;
    this.server = { address: server.address, port: server.port };
    this.source = server.address.includes(':') ? `[${server.address}]:${server.port}` : `${server.address}:${server.port}`;
    this.timeoutMs = opts.timeoutMs ?? 2000;
    if (!Number.isInteger(this.timeoutMs) || this.timeoutMs < 1 || this.timeoutMs > 0x7fffffff) {
      throw new RangeError(`timeoutMs ${String(opts.timeoutMs)} is not a whole number of milliseconds in 1..2147483647`);
    }
  }

  async query(name: string, type: number, signal?: AbortSignal): Promise<LookupReply> {
    const s: Server = this.server;
    const r = await query(s, { name, type, class: RRClass.IN }, {
      rd: true, timeout: this.timeoutMs, ...(signal ? { signal } : {}), ...(this.checkingDisabled ? { cd: true } : {}), ...(this.dnssec ? { edns: { udpSize: 1232, dnssecOk: true } } : {}),
    });
    const m = r.message;
    const ede = edeOf(m.edns?.options);
    return { rcode: m.rcode, answers: m.answers, authority: m.authority, additional: m.additional, aa: m.aa, tc: m.tc, ad: m.ad, ...(ede ? { ede } : {}) };
  }
}

/** Whether an error from DnsLookup.query is the transport's (no reply) rather than a bug. */
export function isLookupTransportError(err: unknown): err is TransportError {
  return err instanceof TransportError;
}
