// The recursive handler, as BIND behaves with recursion on. RD=1 questions from allowed clients
// for names no local zone serves go to the iterative resolver. Names in our zones are answered
// authoritatively by the handlers after this one, and this one reviews what they answered: to a
// client that may recurse, a referral away from our zones (the child not served here) is
// resolved instead of handed out, and every answer carries RA=1. Clients that may not recurse
// (outside the ACL, or RD=0 for the referral) get the authoritative answer as it is, RA=0 outside the ACL.

import type { Catalog } from '../authority/catalog.js';
import type { Acl } from '../resolver/acl.js';
import type { Resolution, Resolver } from '../resolver/resolver.js';
import { isInDomain, nameEquals, readName } from '../wire/name.js';
import type { RR } from '../wire/rr.js';
import { Rcode, RRType, typeToString } from '../wire/types.js';
import type { ReuseOwner } from './answer-cache.js';
import type { Handler, HandlerResult, QueryContext } from './handler.js';
import type { Logger } from '../base/log.js';
import type { Validator } from '../resolver/validate/validator.js';
import type { LocalAnswers } from '../resolver/validate/index.js';
import { withoutDnssec } from '../resolver/validate/validator.js';
import { EdeCode, type ExtendedError } from './ede.js';

/**
 * Where an authoritative answer leaves our zones: the name the answer's CNAME chain (if any)
 * ends at, and why it is not answered here: a delegation away (the cut's zone not served here),
 * or a CNAME to a name no served zone holds (a zone elsewhere in the namespace, or one reached
 * only by forwarding). Undefined when the answer is complete, negative, or stays in our zones.
 */
export function referralAway(result: HandlerResult, qname: string, qtype: number, catalog: Catalog): { target: string; cut: string } | undefined {
  if (result.rcode !== Rcode.NOERROR) return undefined;
  let target = qname;
  for (let hop = 0; hop <= result.answers.length; hop++) {
    const cname = result.answers.find((r) => r.type === RRType.CNAME && nameEquals(r.name, target));
    if (cname === undefined || qtype === RRType.CNAME) break;
    target = readName(cname.rdata, 0).name;
  }
  if (result.answers.some((r) => r.type === qtype && nameEquals(r.name, target))) return undefined;
  // Our authoritative answers put NS in the authority section only for a referral.
  const ns = result.authority.find((r) => r.type === RRType.NS);
  if (ns !== undefined && isInDomain(target, ns.name) && !catalog.get(ns.name)) return { target, cut: ns.name };
  // The chain's last CNAME points out of our zones: its target is the resolver's to find.
  if (!nameEquals(target, qname) && !catalog.find(target)) return { target, cut: 'a zone not served here' };
  return undefined;
}

/** Errors from the network below us (as node names them), as against servers that never answered. */
const NETWORK_ERROR = /\bE(CONNREFUSED|CONNRESET|HOSTUNREACH|NETUNREACH|NETDOWN|ADDRNOTAVAIL|ACCES|PERM)\b/;
/** The resolver's words for "nobody answered" (resolver.ts: askZone, forward, the deadline). */
const UNREACHABLE = /^(no server for .* answered|no forwarder answered|gave up after )/;

/**
 * The Extended DNS Error a resolution earns (RFC 8914): stale data served (3, or 19 for a stale
 * NXDOMAIN), or a SERVFAIL because no authority answered (22) or the network said no (23).
 */
export function resolutionEde(r: Resolution): ExtendedError | undefined {
  if (r.stale) return { code: r.rcode === Rcode.NXDOMAIN ? EdeCode.STALE_NXDOMAIN : EdeCode.STALE_ANSWER };
  // REFUSED by the resolver: a name outside the namespace with nowhere to forward it.
  if (r.rcode === Rcode.REFUSED) return { code: EdeCode.NOT_AUTHORITATIVE, ...(r.reason ? { text: r.reason } : {}) };
  if (r.rcode !== Rcode.SERVFAIL || r.reason === undefined) return undefined;
  if (NETWORK_ERROR.test(r.reason)) return { code: EdeCode.NETWORK_ERROR, text: r.reason };
  if (UNREACHABLE.test(r.reason)) return { code: EdeCode.NO_REACHABLE_AUTHORITY, text: r.reason };
  return undefined;
}

export class ResolverHandler implements Handler, ReuseOwner {
  readonly name = 'resolver';

  constructor(
    private readonly resolver: Resolver,
    private acl: Acl,
    private readonly catalog: Catalog,
    private readonly log: Logger,
    /** With trust anchors: answers are validated (RFC 4035 4.3), see validated(). */
    private readonly validator?: Validator,
    /** Our own zones, signed, for judging their answers (see localVerdict). */
    private readonly local?: LocalAnswers,
  ) {}

  /** Who may recurse from now on (a SIGHUP with a new --allow in the config file). */
  setAcl(acl: Acl): void {
    this.acl = acl;
  }

  async handle(ctx: QueryContext): Promise<HandlerResult | undefined> {
    const q = ctx.request.questions[0]!;
    // Our own zones answer authoritatively, and review() sees what they answered.
    if (!ctx.request.rd || this.catalog.find(q.name)) return undefined;
    if (!this.acl.allows(ctx.remoteAddress)) {
      this.log.debug(`recursion refused for ${ctx.remoteAddress}: not in the allowed networks`);
      return { rcode: Rcode.REFUSED, aa: false, ra: false, answers: [], authority: [], additional: [], ede: [{ code: EdeCode.PROHIBITED }] };
    }
    return this.validated(ctx, q.name, q.type, await this.resolver.resolve(q.name, q.type), []);
  }

  /**
   * A later handler's answer, for a client that may recurse: RA=1, and a referral away from our
   * zones resolved (for RD=1). The stored-answer cache keys on mayRecurse, so neither answer
   * reaches a client of the other kind.
   */
  async review(ctx: QueryContext, result: HandlerResult): Promise<HandlerResult> {
    if (!this.acl.allows(ctx.remoteAddress)) return result;
    const q = ctx.request.questions[0]!;
    const away = ctx.request.rd ? referralAway(result, q.name, q.type, this.catalog) : undefined;
    if (away === undefined) return this.localVerdict(ctx, { ...result, ra: true });
    this.log.debug(`${q.name} ${typeToString(q.type)}: ${away.cut} is delegated away; resolving ${away.target}`);
    const r = await this.resolver.resolve(away.target, q.type);
    // A target the resolver may not go to (outside the namespace, no forwarders): our answer as
    // it is, the CNAME for the client to follow, as an authoritative server gives it.
    if (r.rcode === Rcode.REFUSED) return this.localVerdict(ctx, { ...result, ra: true });
    // The CNAMEs of our own data that led there come first (RFC 1034 4.3.2 step 3a).
    return this.validated(ctx, away.target, q.type, r, result.answers);
  }

  /**
   * With a validator, the resolution judged before it is answered (RFC 4035 4.3, RFC 6840 5.7
   * and 5.9): bogus is SERVFAIL with the Extended DNS Error that says why; secure sets AD, but
   * only for a client that set AD or DO; CD=1 gets the data unjudged, AD clear. DNSSEC records
   * go only to a client that set DO (RFC 4035 3.2.1).
   */
  private async validated(ctx: QueryContext, name: string, type: number, r: Resolution, prefix: RR[]): Promise<HandlerResult> {
    if (!this.validator) return this.resolved(name, type, r, prefix);
    const req = ctx.request;
    const dnssecOk = req.edns?.dnssecOk === true;
    const plain = (res: Resolution): Resolution => dnssecOk ? res : { ...res, answer: withoutDnssec(res.answer, type), authority: withoutDnssec(res.authority, type) };
    if (req.cd) return this.resolved(name, type, plain(r), prefix);
    const v = await this.validator.validate(name, type, r);
    if (v.security === 'bogus') {
      this.log.info(`${name} ${typeToString(type)}: SERVFAIL: DNSSEC bogus: ${v.why ?? 'no reason'}`);
      return { rcode: Rcode.SERVFAIL, aa: false, ra: true, answers: [], authority: [], additional: [], ede: [{ code: v.ede ?? EdeCode.DNSSEC_BOGUS, ...(v.why ? { text: v.why } : {}) }] };
    }
    const result = this.resolved(name, type, plain(r), prefix);
    if (v.security === 'secure' && prefix.length === 0) {
      result.ad = req.ad || dnssecOk;
      // The stored encoding lasts no longer than the signatures it was judged by.
      if (result.reuse) result.reuse = { ...result.reuse, until: Math.min(result.reuse.until, this.resolver.cache.now() + v.ttl * 1000) };
    }
    if (v.security === 'insecure' && v.ede !== undefined && !result.ede) result.ede = [{ code: v.ede, ...(v.why ? { text: v.why } : {}) }];
    return result;
  }

  /**
   * Our own zones' answer to a client that uses us as its validating resolver (RD=1, allowed,
   * asking with AD or DO, not CD): judged from the trust anchors like any other, so AD=1 means
   * the chain from the anchor was checked, not that we hold the zone (RFC 4035 3.1.6 lets an
   * authoritative server vouch for its own data only by explicit configuration; this is that,
   * earned). Bogus is SERVFAIL as for resolved data. Names no anchor covers are left as they are.
   */
  private async localVerdict(ctx: QueryContext, result: HandlerResult): Promise<HandlerResult> {
    const req = ctx.request;
    const dnssecOk = req.edns?.dnssecOk === true;
    if (!this.validator || !this.local || !req.rd || req.cd || !(req.ad || dnssecOk)) return result;
    const q = req.questions[0]!;
    if (result.rcode !== Rcode.NOERROR && result.rcode !== Rcode.NXDOMAIN) return result;
    if (!this.validator.anchors.closest(q.name)) return result;
    // The signed form of the same answer (a DO=0 answer carries no RRSIGs to judge).
    const signed = dnssecOk ? { rcode: result.rcode, answer: result.answers, authority: result.authority, stale: false } : this.local.answer(q.name, q.type);
    if (!signed) return result;
    const v = await this.validator.validate(q.name, q.type, signed);
    if (v.security === 'bogus') {
      this.log.info(`${q.name} ${typeToString(q.type)}: SERVFAIL: DNSSEC bogus (our own zone): ${v.why ?? 'no reason'}`);
      return { rcode: Rcode.SERVFAIL, aa: false, ra: true, answers: [], authority: [], additional: [], ede: [{ code: v.ede ?? EdeCode.DNSSEC_BOGUS, ...(v.why ? { text: v.why } : {}) }] };
    }
    return v.security === 'secure' ? { ...result, ad: true } : result;
  }

  /** A resolution as a handler result, after `prefix` (the local part of a CNAME chain). */
  private resolved(name: string, type: number, r: Resolution, prefix: RR[]): HandlerResult {
    const failed = r.rcode === Rcode.SERVFAIL || r.rcode === Rcode.REFUSED;
    if (r.reason) this.log.info(`${name} ${typeToString(type)}: ${Rcode.SERVFAIL === r.rcode ? 'SERVFAIL' : 'REFUSED'}: ${r.reason}`);
    const result: HandlerResult = {
      rcode: r.rcode, aa: false, ra: true, answers: failed ? [] : [...prefix, ...r.answer], authority: failed ? [] : r.authority, additional: [],
    };
    // From fresh cache data only: the responder may keep the encoding (see answer-cache.ts). The
    // local part of a chain can only change with a reload, which empties the stored answers.
    if (r.reuseUntil !== undefined) result.reuse = { owner: this, until: r.reuseUntil };
    const ede = resolutionEde(r);
    if (ede) result.ede = [ede];
    return result;
  }

  /** Whether answers to this client are the recursive kind (RA=1, referrals resolved). */
  mayRecurse(address: string): boolean {
    return this.acl.allows(address);
  }

  // ReuseOwner: encoded answers live on the resolver cache's clock and generation, for allowed clients.
  get generation(): number {
    return this.resolver.cache.generation;
  }

  now(): number {
    return this.resolver.cache.now();
  }

  allows(address: string): boolean {
    return this.acl.allows(address);
  }
}
