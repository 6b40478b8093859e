// Name -> agent card over a DnsLookup: SVCB at the name (CNAMEs and AliasMode followed with an
// AliasChain), then the `_agent` TXT and the endpoint hosts' A/AAAA, made into a card by src/agent.

import { AgentRecordError, AliasChain, agentName, cardFromRecords, classifySvcbSet, type AgentCard, type DnssecChainLink } from '../agent/index.js';
import { WireError } from '../wire/errors.js';
import { isInDomain, nameEquals, readName } from '../wire/name.js';
import type { RR } from '../wire/rr.js';
import { Rcode, RRType, rcodeToString, typeToString } from '../wire/types.js';
import { HandOffError } from './errors.js';
import { describeNotAnAnswer, notAnAnswer, type DnsLookup, type LookupReply } from './lookup.js';
import { isSecurityRefusal, weakestSecurity, type RecordSecurity, type SecurityRecord } from './security.js';
import { originTlsa, secureExpansion, secureTlsa, tlsaName, type TlsaFound } from './tlsa-lookup.js';

export interface ResolvedAgent {
  card: AgentCard;
  /** The names from the one asked for to the one holding the SVCB records (one entry without aliases). */
  aliases: string[];
  /** Seconds the card may be cached: the smallest TTL of the records it was built from. */
  ttl: number;
  /**
   * The DNSSEC state of every reply the card rests on, when the lookup judged them (a
   * VerifiedLookup, security.ts): the weakest, and each record.
   */
  security?: { state: RecordSecurity; records: SecurityRecord[] };
}

/** `lookup`, noting the DNSSEC state of each reply it gives (for ResolvedAgent.security; locate.ts for the documents' hosts). */
export function judged(lookup: DnsLookup, out: SecurityRecord[], chain: Map<string, DnssecChainLink>): DnsLookup {
  return {
    ...(lookup.source !== undefined ? { source: lookup.source } : {}),
    async query(name, type, signal) {
      const r = await lookup.query(name, type, signal);
      if (r.security !== undefined) out.push({ name, type: typeToString(type), security: r.security, ...(r.signedBy ? { signedBy: r.signedBy } : {}) });
      for (const l of r.chain ?? []) chain.set(l.zone.toLowerCase(), l);
      return r;
    },
  };
}

/** Follow the CNAMEs in an answer section from the chain's current name, one hop per record. */
function followCnames(chain: AliasChain, answers: readonly RR[]): void {
  for (let hop = 0; hop <= chain.max; hop++) {
    const cname = answers.find((r) => r.type === RRType.CNAME && nameEquals(r.name, chain.current));
    if (cname === undefined) return;
    chain.follow(readName(cname.rdata, 0).name, 'CNAME');
  }
}

async function ask(lookup: DnsLookup, name: string, type: number, signal: AbortSignal | undefined, agent: string): Promise<LookupReply> {
  try {
    return await lookup.query(name, type, signal);
  } catch (err) {
    // A DNSSEC refusal (security.ts) is the answer, not a lookup that failed.
    if (signal?.aborted || isSecurityRefusal(err)) throw err;
    throw new HandOffError('ERR_LOOKUP_FAILED', `${name} ${typeToString(type)}: no DNS reply: ${err instanceof Error ? err.message : String(err)}`, { agent, cause: err });
  }
}

/** The zone the records came from, when the reply's authority section shows its SOA or NS. */
function zoneOf(owner: string, reply: LookupReply): string | undefined {
  const rr = reply.authority.find((r) => (r.type === RRType.SOA || r.type === RRType.NS) && isInDomain(owner, r.name));
  return rr?.name;
}

/**
 * The zone holding `name`: the owner of the SOA in the answer (at an apex) or the authority section
 * (NODATA below it) of an SOA query at the name. Undefined when the reply does not say, or none came.
 */
/** `_{agent}._mcp._agents.{domain}` for `{agent}.{domain}`; undefined for a name that cannot have one. */
export function legacyName(name: string): string | undefined {
  const dot = name.indexOf('.');
  const label = name.slice(0, dot);
  const rest = name.slice(dot + 1);
  if (dot <= 0 || label.startsWith('_') || rest === '' || rest === '.') return undefined;
  return `_${label}._mcp._agents.${rest}`;
}

export async function findZone(lookup: DnsLookup, name: string, signal?: AbortSignal): Promise<string | undefined> {
  try {
    const r = await lookup.query(name, RRType.SOA, signal);
    if (r.rcode !== Rcode.NOERROR && r.rcode !== Rcode.NXDOMAIN) return undefined;
    const soa = [...r.answers, ...r.authority].find((rr) => rr.type === RRType.SOA && isInDomain(name, rr.name));
    return soa?.name;
  } catch (err) {
    if (signal?.aborted || isSecurityRefusal(err)) throw err;
    return undefined;
  }
}

interface Found {
  chain: AliasChain;
  reply: LookupReply;
  /** CNAME and AliasMode records followed on the way. */
  used: RR[];
}

/**
 * The SVCB answer for `name` (`start` names the agent in errors), aliases followed. Returns the
 * HandOffError instead of throwing it when `name` itself has no record (NXDOMAIN, NODATA), so the
 * caller may try the legacy name.
 */
async function findSvcb(lookup: DnsLookup, name: string, start: string, signal: AbortSignal | undefined): Promise<Found | HandOffError> {
  const chain = new AliasChain(name);
  const used: RR[] = [];
  let reply: LookupReply | undefined;
  const missing = (err: HandOffError): Found | HandOffError => {
    if (chain.hops === 0 && used.length === 0) return err;
    throw err;
  };
  try {
    // Each turn asks at a new name (AliasChain refuses repeats and a ninth hop), so this ends.
    for (;;) {
      const asked = chain.current;
      reply = await ask(lookup, asked, RRType.SVCB, signal, start);
      const via = chain.hops > 0 ? ` (via ${chain.names.join(' -> ')})` : '';
      followCnames(chain, reply.answers);
      used.push(...reply.answers.filter((r) => r.type === RRType.CNAME));
      if (reply.rcode === Rcode.NXDOMAIN) {
        return missing(new HandOffError('ERR_AGENT_NOT_FOUND', `${chain.current}: no such name (NXDOMAIN)${via}`, { agent: start }));
      }
      if (reply.rcode !== Rcode.NOERROR) {
        throw new HandOffError('ERR_LOOKUP_FAILED', `${chain.current} SVCB: the DNS server answered ${rcodeToString(reply.rcode)}${via}`, { agent: start });
      }
      const owner = chain.current;
      const kind = classifySvcbSet(owner, reply.answers);
      if (kind.kind === 'alias') {
        used.push(...reply.answers.filter((r) => r.type === RRType.SVCB && nameEquals(r.name, owner)));
        chain.follow(kind.target, 'AliasMode');
        continue;
      }
      if (kind.kind === 'unavailable') {
        throw new HandOffError('ERR_NO_AGENT_RECORD', `${owner} SVCB 0 .: the agent is not available (AliasMode to ".")`, { agent: start });
      }
      // A CNAME whose target the server did not chase (another zone): ask again there.
      if (kind.kind === 'none' && !nameEquals(owner, asked) && !reply.answers.some((r) => nameEquals(r.name, owner))) continue;
      if (kind.kind === 'none') {
        // A referral or a lame reply says nothing about the name: the server asked cannot answer it.
        const odd = notAnAnswer(reply, owner);
        if (odd !== undefined) {
          throw new HandOffError(odd.kind === 'referral' ? 'ERR_LOOKUP_REFERRAL' : 'ERR_LOOKUP_LAME', `${describeNotAnAnswer(odd, `${owner} SVCB`, lookup.source)}${via}`, { agent: start });
        }
        if (reply.tc === true) {
          throw new HandOffError('ERR_LOOKUP_FAILED', `${owner} SVCB: ${lookup.source ?? 'the DNS server'} sent a truncated reply (TC=1) with no answer${via}`, { agent: start });
        }
        return missing(new HandOffError('ERR_NO_AGENT_RECORD', `${owner}: the name exists but has no SVCB agent record${chain.hops > 0 ? ` (via ${chain.names.join(' -> ')})` : ''}`, { agent: start }));
      }
      break;
    }
  } catch (err) {
    if (err instanceof AgentRecordError) throw new HandOffError('ERR_NO_AGENT_RECORD', err.message, { agent: start, cause: err });
    throw err;
  }
  return { chain, reply, used };
}

/**
 * Resolve `name` to its agent card. Throws HandOffError: ERR_HANDOFF_USAGE (not a DNS name),
 * ERR_AGENT_NOT_FOUND (NXDOMAIN), ERR_NO_AGENT_RECORD (no usable SVCB, AliasMode to ".", an alias
 * loop), ERR_LOOKUP_FAILED (SERVFAIL, REFUSED, no reply, truncated), ERR_LOOKUP_REFERRAL (the
 * server referred us elsewhere), ERR_LOOKUP_LAME (a non-authoritative empty reply). Rejects with
 * the signal's reason when it aborts.
 */
export async function resolveAgent(given: DnsLookup, name: string, opts: { signal?: AbortSignal } = {}): Promise<ResolvedAgent> {
  const security: SecurityRecord[] = [];
  const links = new Map<string, DnssecChainLink>();
  const lookup = judged(given, security, links);
  let start: string;
  try {
    start = agentName(name);
  } catch (err) {
    throw new HandOffError('ERR_HANDOFF_USAGE', `"${name}" is not a valid agent name: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const { signal } = opts;
  let found = await findSvcb(lookup, start, start, signal);
  const aliases: string[] = [];
  if (found instanceof HandOffError) {
    // dns-aid-core before 0.25 (and several scanners) publish at `_{agent}._mcp._agents.{domain}`.
    const legacy = legacyName(start);
    const second = legacy === undefined ? found : await findSvcb(lookup, legacy, start, signal);
    if (second instanceof HandOffError) throw found;
    aliases.push(start);
    found = second;
  }
  const { chain, reply, used } = found;
  const owner = chain.current;
  const svcbReply = reply;
  const base = [...svcbReply.answers, ...svcbReply.additional];
  let first: AgentCard;
  try {
    first = cardFromRecords(owner, base, { dnsAid: true });
  } catch (err) {
    if (err instanceof AgentRecordError) throw new HandOffError('ERR_NO_AGENT_RECORD', err.message, { agent: start, cause: err });
    if (err instanceof WireError) throw new HandOffError('ERR_HANDOFF_USAGE', err.message, { agent: start, cause: err });
    throw err;
  }
  used.push(...base.filter((r) => r.type === RRType.SVCB && nameEquals(r.name, owner)));

  // The TXT and the missing addresses, all at once. A failed side query leaves a warning, not an error.
  const extra: RR[] = [];
  const warnings: string[] = [];
  /** Hosts whose address reply came by a secure CNAME chain: the name they expand to. */
  const expansions = new Map<string, string>();
  const side = async (qname: string, type: number): Promise<void> => {
    try {
      const r = await lookup.query(qname, type, signal);
      if (r.rcode !== Rcode.NOERROR && r.rcode !== Rcode.NXDOMAIN) warnings.push(`${qname} ${typeToString(type)}: ${rcodeToString(r.rcode)}`);
      // Records of the CNAME target count as the name's own (a host given by CNAME).
      let target = qname;
      for (let hop = 0; hop < 8; hop++) {
        const c = r.answers.find((x) => x.type === RRType.CNAME && nameEquals(x.name, target));
        if (c === undefined) break;
        target = readName(c.rdata, 0).name;
        used.push(c);
      }
      const exp = type === RRType.TXT ? undefined : secureExpansion(r, qname);
      if (exp !== undefined) expansions.set(qname.toLowerCase(), exp);
      for (const rr of r.answers) {
        if (rr.type === type && nameEquals(rr.name, target)) {
          const own = { ...rr, name: qname };
          extra.push(own);
          if (type !== RRType.TXT) used.push(own);
        }
      }
    } catch (err) {
      // A bogus (or, by policy, insecure) address or TXT refuses the agent: never a warning.
      if (signal?.aborted || isSecurityRefusal(err)) throw err;
      warnings.push(`${qname} ${typeToString(type)}: no DNS reply (${err instanceof Error ? err.message : String(err)})`);
    }
  };
  const jobs: Array<Promise<void>> = [side(`_agent.${owner}`, RRType.TXT)];
  const hosts = new Map<string, string>();
  for (const e of first.endpoints) if (e.addresses === undefined || e.addresses.length === 0) hosts.set(e.host.toLowerCase(), e.host);
  for (const host of hosts.values()) jobs.push(side(host, RRType.A), side(host, RRType.AAAA));
  // DANE (RFC 7671): the TLSA of each https endpoint's origin, used only when secure (tlsa-lookup.ts).
  const tlsaKnown = (qname: string) => (p: Promise<TlsaFound>): Promise<TlsaFound> => p.catch((err: unknown) => {
    if (signal?.aborted || isSecurityRefusal(err)) throw err;
    warnings.push(`${qname} TLSA: no DNS reply (${err instanceof Error ? err.message : String(err)}); WebPKI is used`);
    return { found: false, why: 'no DNS reply' };
  });
  const atHost = new Map<string, { host: string; port: number; p: Promise<TlsaFound> }>();
  for (const e of first.endpoints) {
    const qname = tlsaName(e.host, e.port);
    if (e.scheme !== 'https' || atHost.has(qname.toLowerCase())) continue;
    const p = tlsaKnown(qname)(secureTlsa(lookup, qname, signal));
    atHost.set(qname.toLowerCase(), { host: e.host, port: e.port, p });
    jobs.push(p.then(() => undefined));
  }
  // The source zone: positive answers usually carry no authority section, so ask an SOA at the
  // owner (beside the other side queries, so it adds no round trip). The card, zone included, is
  // cached for its TTL by the hand-off: one extra query per agent per TTL, none on a warm call.
  let zone = zoneOf(owner, svcbReply);
  if (zone === undefined) jobs.push(findZone(lookup, owner, signal).then((z) => { zone = z; }));
  await Promise.all(jobs);
  // A host given by a secure CNAME has its TLSA asked at the expanded name first (RFC 7671 section 7).
  const tlsa = new Map<string, string[]>();
  await Promise.all([...atHost].map(async ([key, t]) => {
    const expanded = expansions.get(t.host.toLowerCase());
    const found = expanded === undefined ? await t.p : await tlsaKnown(tlsaName(expanded, t.port))(originTlsa(lookup, t.host, t.port, { expanded, atHost: t.p, signal }));
    if (found.found) tlsa.set(key, found.rdata);
  }));
  used.push(...base.filter((r) => (r.type === RRType.A || r.type === RRType.AAAA) && first.endpoints.some((e) => nameEquals(e.host, r.name))));

  const card = cardFromRecords(owner, [...base, ...extra], zone === undefined ? { dnsAid: true } : { zone, dnsAid: true });
  for (const e of card.endpoints) {
    const t = e.scheme === 'https' ? tlsa.get(tlsaName(e.host, e.port).toLowerCase()) : undefined;
    if (t === undefined) continue;
    e.tlsa = t;
    // Only a secure expansion is a reference identity (RFC 7671 7): secureExpansion gave only those.
    const expanded = expansions.get(e.host.toLowerCase());
    if (expanded !== undefined) e.expanded = expanded;
  }
  // requireSecure 'auto': a signed agent's records must all be secure (security.ts).
  (given as { checkAgent?: (agent: string, records: SecurityRecord[]) => void }).checkAgent?.(start, security);
  if (security.length > 0) {
    const judge = (given as { judge?: unknown }).judge;
    card.dnssec = {
      state: weakestSecurity(security), records: security.map((r) => ({ name: r.name, type: r.type, security: r.security, ...(r.signedBy ? { signedBy: r.signedBy } : {}) })),
      validatedBy: judge !== undefined && security.some((r) => r.signedBy !== undefined) ? 'aop' : 'resolver',
      ...(links.size > 0 ? { chain: [...links.values()] } : {}),
    };
  }
  if (aliases.length > 0) card.warnings.push(`${start} has no record; found at the legacy name ${chain.names[0]} (dns-aid-core before 0.25)`);
  card.warnings.push(...warnings);
  const ttl = used.length > 0 ? Math.min(...used.map((r) => r.ttl)) : card.ttl;
  return {
    card, aliases: [...aliases, ...chain.names], ttl: Math.min(ttl, card.ttl),
    ...(security.length > 0 ? { security: { state: weakestSecurity(security), records: security } } : {}),
  };
}
