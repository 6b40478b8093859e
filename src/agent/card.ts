// Agent records -> a typed agent card (docs/records.md): the SVCB set at the agent name, and
// optionally its `_agent` AID TXT and the targets' A/AAAA. Unusable records are skipped as an
// RFC 9460 client skips them; the card fails only when none is left. The SVCB is the source of
// truth: a TXT that disagrees gives a warning, never an error.

import { aidDescription, aidFromTxt, selectAid, type AidRecord } from './aid.js';
import { agentName, classifySvcbSet, pickIndex, unit } from './alias.js';
import { AgentRecordError, type RecordProblem } from './errors.js';
import { alpnIds, keyLabel, mandatoryKeys, readSvcb, SvcKey, type SvcbData } from './svcb.js';
import { buildUrl, looksLikeAddress } from './url.js';
import {
  authProblem, bapToken, capabilitiesProblem, capProblem, capSha256Problem, DEFAULT_PORT, descriptionProblem,
  pathProblem, type Scheme, schemeProblem, show, toolProblem, type Transport, transportProblem,
} from './values.js';
import type { RR } from '../wire/rr.js';
import { WireError } from '../wire/errors.js';
import { nameEquals, nameKey } from '../wire/name.js';
import { formatIPv4, formatIPv6 } from '../wire/rdata/addr.js';
import { RRClass, RRType, typeToString } from '../wire/types.js';

export type { Scheme, Transport } from './values.js';

export interface AgentEndpoint {
  /** The URL to call (docs/records.md, "Building the URL"). */
  url: string;
  /** The TargetName as the record has it: an absolute name, or '.' for the agent's own name. */
  target: string;
  /** The host to connect to and ask A/AAAA for: the target, or the agent name when the target is '.'. */
  host: string;
  /** The port key, or 443 (https) / 80 (http) when the record has none. */
  port: number;
  path: string;
  transport: Transport;
  scheme: Scheme;
  /** SvcPriority, 1-65535: lower first. */
  priority: number;
  /** Share among equal priorities (RFC 2782 style) for orderEndpoints; records carry none, so uniform. */
  weight?: number;
  /** The record's ALPN ids, `mcp` among them. */
  alpn: string[];
  /** The host's addresses, when the records given held its A/AAAA (A first, in record order). */
  addresses?: string[];
  /** For https: the DNSSEC-secure TLSA RDATA at `_<port>._tcp.<host>` (hex), which the certificate must match (DANE). */
  tlsa?: string[];
  /** With `tlsa`: the name the host expands to by a secure CNAME chain, a reference identity too (RFC 7671 7). */
  expanded?: string;
}

export interface AgentCard {
  /** The agent's name, absolute: the owner of its SVCB records. */
  name: string;
  /** Usable endpoints, lowest priority first; equal priorities in record order (shuffle with orderEndpoints). */
  endpoints: AgentEndpoint[];
  /** The MCP tool to call (key65322); absent for a DNS-AID card: `--tool`, else the endpoint's only tool. */
  tool?: string;
  /**
   * 'dns-aid' when the records carry none of aop's keys (path, transport, tool) and say `mcp` in
   * alpn or bap (CardOptions.dnsAid): each endpoint's path is then `/mcp` until the client locates
   * it (the `cap` document, else the target's /.well-known/agent-card.json; src/mcp/locate.ts).
   */
  form?: 'dns-aid';
  /** For a 'dns-aid' card once located: where the endpoints' path came from. */
  located?: 'cap' | 'agent-card' | 'default';
  /** key65324, from the preferred record. */
  description?: string;
  /** key65323 as a list; empty when absent. */
  capabilities: string[];
  /** key65325, the auth hint; absent means not stated. */
  auth?: string;
  /** key65400 (DNS-AID cap): where a full capability descriptor lives. */
  cap?: string;
  /** key65401 (DNS-AID cap-sha256). */
  capSha256?: string;
  /** True once a client fetched the `cap` document and found its SHA-256 to be capSha256 (src/mcp/locate.ts). */
  capVerified?: boolean;
  /** key65402 (DNS-AID bap): the protocol token, before any `=` or `/`. */
  bap?: string;
  /** The SVCB records' TTL (the smallest when they differ). */
  ttl: number;
  /** The zone the records came from, when the caller said. */
  zone?: string;
  /** The `_agent` AID record, when one valid record was given. */
  aid?: AidRecord;
  /** What was skipped or disagreed: skipped records, a TXT that does not match the SVCB, ... */
  warnings: string[];
  /**
   * The DNSSEC state of the records the card was read from, when a validating resolver judged
   * them (src/mcp/security.ts): the weakest, and each record's.
   */
  dnssec?: {
    state: 'secure' | 'insecure' | 'bogus' | 'unverified';
    records: Array<{ name: string; type: string; security: 'secure' | 'insecure' | 'bogus' | 'unverified'; signedBy?: DnssecSigner[] }>;
    /** Who judged: this client from its own trust anchors ('aop'), or the resolver's AD bit ('resolver'). */
    validatedBy?: 'aop' | 'resolver';
    /** The chain of trust the secure records rest on, anchor first (when the client validated itself). */
    chain?: DnssecChainLink[];
  };
}

export interface CardOptions {
  /** The source zone, copied to the card. */
  zone?: string;
  /**
   * Told of every SVCB record that is skipped (malformed, unusable, or naming another tool), with
   * the record itself, before the card is made or ERR_AGENT_BAD_RECORD is thrown. The zone check
   * (checkAgentZone) reports each as a fault; clients need only the card's warnings.
   */
  onSkip?: (problem: RecordProblem, rr: RR) => void;
  /** SVCB and AID RDATA the caller has read already (by the RDATA buffer itself), so they are not read twice. */
  read?: { svcb?: ReadonlyMap<Buffer, SvcbData>; aid?: ReadonlyMap<Buffer, AidRecord> };
  /**
   * Also make a card of records in DNS-AID form (none of aop's keys; alpn or bap says mcp), as a
   * client of agents other publishers write: https, streamable-http, path `/mcp` to be located,
   * no tool. Off for the zone tooling, which holds aop's own records to aop's form.
   */
  dnsAid?: boolean;
}

/** Keys whose meaning aop implements, so a `mandatory` list of them does not drop the record. */
const IMPLEMENTED = new Set<number>([
  SvcKey.alpn, SvcKey.noDefaultAlpn, SvcKey.port, SvcKey.ipv4hint, SvcKey.ipv6hint,
  SvcKey.path, SvcKey.transport, SvcKey.tool, SvcKey.capabilities, SvcKey.description, SvcKey.auth, SvcKey.scheme,
  SvcKey.cap, SvcKey.bap,
]);

/** What one usable record says beyond its endpoint. */
interface RecordMeta {
  tool: string | undefined;
  dnsAid: boolean;
  description: string | undefined;
  capabilities: string[];
  auth: string | undefined;
  cap: string | undefined;
  capSha256: string | undefined;
  bap: string | undefined;
}

interface Evaluated {
  label: string;
  /** The record, once cardFromRecords has it. */
  rr?: RR;
  svcb: SvcbData;
  endpoint?: AgentEndpoint;
  meta?: RecordMeta;
  reasons: string[];
  notes: string[];
}

const latin1 = (b: Buffer): string => b.toString('latin1');

/**
 * Check one ServiceMode record against docs/records.md; reasons make it unusable, notes do not.
 * Reasons for an absent key start `missing `, `no alpn ` or `mandatory lists `: the zone check
 * (zone-check.ts) tells them from wrong values by that.
 */
function evaluate(owner: string, label: string, svcb: SvcbData, acceptDnsAid = false): Evaluated {
  const reasons: string[] = [];
  const notes: string[] = [];
  const p = svcb.params;
  const text = (key: number): string | undefined => {
    const v = p.get(key);
    return v === undefined ? undefined : latin1(v);
  };
  const required = (key: number, check: (v: string) => string | undefined): string | undefined => {
    const v = text(key);
    if (v === undefined) {
      reasons.push(`missing ${keyLabel(key)}`);
      return undefined;
    }
    const why = check(v);
    if (why !== undefined) {
      reasons.push(`bad ${keyLabel(key)} ${show(v)}: ${why}`);
      return undefined;
    }
    return v;
  };
  const optional = (key: number, check: (v: string) => string | undefined): string | undefined => {
    const v = text(key);
    if (v === undefined) return undefined;
    const why = check(v);
    if (why !== undefined) {
      reasons.push(`bad ${keyLabel(key)} ${show(v)}: ${why}`);
      return undefined;
    }
    return v;
  };

  const mandatory = p.get(SvcKey.mandatory);
  if (mandatory !== undefined) {
    const keys = mandatoryKeys(mandatory);
    const unknown = keys.filter((k) => !IMPLEMENTED.has(k));
    if (unknown.length > 0) reasons.push(`mandatory lists ${unknown.map(keyLabel).join(', ')}, which aop does not implement`);
    const priv = keys.filter((k) => k >= 65280);
    if (priv.length > 0) notes.push(`mandatory lists private keys (${priv.map(keyLabel).join(', ')}): clients other than aop drop this record`);
  }

  const alpnValue = p.get(SvcKey.alpn);
  const alpn = alpnValue === undefined ? [] : alpnIds(alpnValue);
  const bapRaw = p.get(SvcKey.bap);
  // DNS-AID form: none of aop's keys, and `mcp` in alpn or bap (one token: mcp, mcp=1.0).
  const aidForm = acceptDnsAid && !p.has(SvcKey.path) && !p.has(SvcKey.transport) && !p.has(SvcKey.tool)
    && (alpn.includes('mcp') || (bapRaw !== undefined && bapToken(latin1(bapRaw)) === 'mcp'));
  if (!aidForm) {
    if (alpnValue === undefined) reasons.push('no alpn (it must contain "mcp")');
    else if (!alpn.includes('mcp')) reasons.push(`alpn ${show(alpn.join(','))} lacks "mcp"`);
  }

  // A DNS-AID record's path is located later (src/mcp/locate.ts); `/mcp` is the last resort.
  const path = aidForm ? '/mcp' : required(SvcKey.path, pathProblem);
  const transport = aidForm ? 'streamable-http' : required(SvcKey.transport, transportProblem) as Transport | undefined;
  const tool = aidForm ? undefined : required(SvcKey.tool, toolProblem);
  const capabilities = optional(SvcKey.capabilities, capabilitiesProblem);
  let description: string | undefined;
  const descValue = p.get(SvcKey.description);
  if (descValue !== undefined) {
    const why = descriptionProblem(descValue);
    if (why !== undefined) reasons.push(`bad ${keyLabel(SvcKey.description)} ${show(latin1(descValue))}: ${why}`);
    else description = descValue.toString('utf8');
  }
  const auth = optional(SvcKey.auth, authProblem);
  const schemeText = text(SvcKey.scheme);
  const scheme = optional(SvcKey.scheme, schemeProblem) as Scheme | undefined;
  const effectiveScheme: Scheme | undefined = schemeText === undefined ? 'https' : scheme;

  const portValue = p.get(SvcKey.port);
  let port: number | undefined;
  if (portValue !== undefined) {
    port = portValue.readUInt16BE(0);
    if (port === 0) {
      reasons.push('port 0 (must be 1-65535)');
      port = undefined;
    }
  } else if (effectiveScheme !== undefined) {
    port = DEFAULT_PORT[effectiveScheme];
  }

  const host = svcb.target === '.' ? owner : svcb.target;
  if (looksLikeAddress(host)) reasons.push(`target ${host} reads as an IP address in a URL; use a host name with A/AAAA records`);

  // DNS-AID keys: a bad value is ignored with a note, since aop does not need them to call.
  const dnsAid = (key: number, check: (v: string) => string | undefined): string | undefined => {
    const v = text(key);
    if (v === undefined) return undefined;
    const why = check(v);
    if (why === undefined) return v;
    notes.push(`ignored ${keyLabel(key)} ${show(v)}: ${why}`);
    return undefined;
  };
  const cap = dnsAid(SvcKey.cap, capProblem);
  const capSha256 = dnsAid(SvcKey.capSha256, capSha256Problem);
  const bapText = text(SvcKey.bap);
  let bap: string | undefined;
  if (bapText !== undefined) {
    bap = bapToken(bapText);
    if (bap === undefined) notes.push(`ignored ${keyLabel(SvcKey.bap)} ${show(bapText)}: not a protocol token`);
    else if (bap !== 'mcp') notes.push(`${keyLabel(SvcKey.bap)} says ${show(bap)}, not "mcp"`);
  }

  let url: string | undefined;
  if (reasons.length === 0 && path !== undefined && effectiveScheme !== undefined && port !== undefined) {
    const built = buildUrl(effectiveScheme, host, port, path);
    if ('problem' in built) reasons.push(built.problem);
    else url = built.url;
  }
  if (reasons.length > 0 || url === undefined || path === undefined || transport === undefined || (tool === undefined && !aidForm) || effectiveScheme === undefined || port === undefined) {
    return { label, svcb, reasons, notes };
  }
  return {
    label,
    svcb,
    reasons,
    notes,
    endpoint: { url, target: svcb.target, host, port, path, transport, scheme: effectiveScheme, priority: svcb.priority, alpn },
    meta: { tool, dnsAid: aidForm, description, capabilities: capabilities === undefined ? [] : capabilities.split(','), auth, cap, capSha256, bap },
  };
}

/** `writer.acme.agents. SVCB 1`, with the target added when another record has the same priority. */
function labels(owner: string, parsed: Array<SvcbData | undefined>, rdata: Buffer[]): string[] {
  const prio = parsed.map((s, i) => s?.priority ?? (rdata[i]!.length >= 2 ? rdata[i]!.readUInt16BE(0) : -1));
  return parsed.map((s, i) => {
    const pr = prio[i]!;
    const shown = pr < 0 ? '?' : String(pr);
    const shared = prio.filter((x) => x === pr).length > 1;
    return `${owner} SVCB ${shown}${shared ? ` ${s?.target ?? `(record ${i + 1})`}` : ''}`;
  });
}

function problemMessage(owner: string, problems: RecordProblem[]): string {
  if (problems.length === 1) return `${problems[0]!.label}: ${problems[0]!.reasons.join('; ')}`;
  return `no usable SVCB record at ${owner}: ` + problems.map((p) => `${p.label}: ${p.reasons.join('; ')}`).join(' | ');
}

/**
 * The agent card for `name` from its records: the SVCB set at the name (required), the AID TXT at
 * `_agent.<name>` and A/AAAA records of the endpoint hosts (both optional). Everything else
 * (other names, CNAME, RRSIG, ...) is ignored, so a resolver may pass a whole answer.
 *
 * Throws AgentRecordError: ERR_AGENT_NO_RECORD (no SVCB at the name, or AliasMode to '.'),
 * ERR_AGENT_ALIAS (AliasMode: follow `error.target`), ERR_AGENT_BAD_RECORD (no usable record;
 * `error.problems` says why for each). A bad `name` throws the wire layer's NameError.
 */
export function cardFromRecords(name: string, records: readonly RR[], opts: CardOptions = {}): AgentCard {
  const owner = agentName(name);
  const txtOwner = `_agent.${owner}`;
  const warnings: string[] = [];
  const svcbRRs: RR[] = [];
  const txtRRs: RR[] = [];
  const addrRRs: RR[] = [];
  for (const rr of records) {
    const list = rr.type === RRType.SVCB && nameEquals(rr.name, owner) ? svcbRRs
      : rr.type === RRType.TXT && nameEquals(rr.name, txtOwner) ? txtRRs
      : rr.type === RRType.A || rr.type === RRType.AAAA ? addrRRs
      : undefined;
    if (list === undefined) continue;
    if (rr.class !== RRClass.IN) {
      warnings.push(`ignored ${rr.name} ${typeToString(rr.type)}: class ${rr.class}, not IN`);
      continue;
    }
    list.push(rr);
  }
  if (svcbRRs.length === 0) throw new AgentRecordError('ERR_AGENT_NO_RECORD', `${owner}: no SVCB record`);

  // Only a set with an AliasMode record (priority 0, the first two octets) needs classifying.
  const kind = svcbRRs.some((r) => r.rdata.length < 2 || r.rdata.readUInt16BE(0) === 0) ? classifySvcbSet(owner, svcbRRs) : { kind: 'service' as const };
  if (kind.kind === 'unavailable') throw new AgentRecordError('ERR_AGENT_NO_RECORD', `${owner} SVCB 0 .: AliasMode to "." says the agent is not available`);
  if (kind.kind === 'alias') {
    throw new AgentRecordError('ERR_AGENT_ALIAS', `${owner} SVCB 0: an alias of ${kind.target}; follow it`, { target: kind.target });
  }

  const parsed: Array<SvcbData | undefined> = [];
  const malformed: string[] = [];
  for (const rr of svcbRRs) {
    try {
      parsed.push(opts.read?.svcb?.get(rr.rdata) ?? readSvcb(rr.rdata));
      malformed.push('');
    } catch (e) {
      if (!(e instanceof WireError)) throw e;
      parsed.push(undefined);
      malformed.push(`malformed RDATA: ${e.message}`);
    }
  }
  const names = labels(owner, parsed, svcbRRs.map((r) => r.rdata));
  const problems: RecordProblem[] = [];
  const usable: Evaluated[] = [];
  const skip = (p: RecordProblem, rr: RR): void => {
    problems.push(p);
    opts.onSkip?.(p, rr);
  };
  parsed.forEach((svcb, i) => {
    const label = names[i]!;
    if (svcb === undefined) {
      const pr = svcbRRs[i]!.rdata.length >= 2 ? svcbRRs[i]!.rdata.readUInt16BE(0) : -1;
      skip({ owner, priority: pr, target: '', reasons: [malformed[i]!], label }, svcbRRs[i]!);
      return;
    }
    const ev = evaluate(owner, label, svcb, opts.dnsAid === true);
    ev.rr = svcbRRs[i]!;
    if (ev.endpoint === undefined) skip({ owner, priority: svcb.priority, target: svcb.target, reasons: ev.reasons, label }, svcbRRs[i]!);
    else usable.push(ev);
  });
  if (usable.length === 0) throw new AgentRecordError('ERR_AGENT_BAD_RECORD', problemMessage(owner, problems), { problems });

  // Lowest priority first; equal priorities keep record order (Array.prototype.sort is stable).
  usable.sort((a, b) => a.svcb.priority - b.svcb.priority);
  // Records in aop's form win over DNS-AID ones beside them: one card, one way to locate the path.
  if (usable.some((ev) => !ev.meta!.dnsAid)) {
    for (let i = usable.length - 1; i >= 0; i--) {
      const ev = usable[i]!;
      if (!ev.meta!.dnsAid) continue;
      warnings.push(`${ev.label}: skipped: a DNS-AID record (no aop keys) beside records in aop's form`);
      usable.splice(i, 1);
    }
  }
  for (const p of problems) warnings.push(`${p.label}: skipped: ${p.reasons.join('; ')}`);
  const preferred = usable[0]!;
  const meta = preferred.meta!;
  const kept: Evaluated[] = [];
  for (const ev of usable) {
    for (const n of ev.notes) warnings.push(`${ev.label}: ${n}`);
    const m = ev.meta!;
    if (m.tool !== meta.tool) {
      const why = `${keyLabel(SvcKey.tool)} ${show(m.tool ?? '')} differs from ${preferred.label}'s ${show(meta.tool ?? '')} (one tool per agent)`;
      warnings.push(`${ev.label}: skipped: ${why}`);
      opts.onSkip?.({ owner, priority: ev.svcb.priority, target: ev.svcb.target, reasons: [why], label: ev.label }, ev.rr!);
      continue;
    }
    if (ev !== preferred) {
      const differs: string[] = [];
      if (m.description !== meta.description) differs.push(keyLabel(SvcKey.description));
      if (m.capabilities.join(',') !== meta.capabilities.join(',')) differs.push(keyLabel(SvcKey.capabilities));
      if (m.auth !== meta.auth) differs.push(keyLabel(SvcKey.auth));
      // A cap on the preferred records only is how aop writes it (src/agent/records.ts).
      if (m.cap !== undefined && m.cap !== meta.cap) differs.push(keyLabel(SvcKey.cap));
      if (m.bap !== meta.bap) differs.push(keyLabel(SvcKey.bap));
      if (differs.length > 0) warnings.push(`${ev.label}: ${differs.join(', ')} differ from ${preferred.label}; the card takes ${preferred.label}'s`);
    }
    kept.push(ev);
  }
  const endpoints = kept.map((ev) => ev.endpoint!);

  // Addresses of the endpoint hosts.
  const hosts = new Set(endpoints.map((e) => nameKey(e.host)));
  const byHost = new Map<string, { a: string[]; aaaa: string[] }>();
  for (const rr of addrRRs) {
    const key = nameKey(rr.name);
    if (!hosts.has(key)) continue;
    const want = rr.type === RRType.A ? 4 : 16;
    if (rr.rdata.length !== want) {
      warnings.push(`ignored ${rr.name} ${typeToString(rr.type)}: RDATA of ${rr.rdata.length} octets, not ${want}`);
      continue;
    }
    let entry = byHost.get(key);
    if (!entry) byHost.set(key, (entry = { a: [], aaaa: [] }));
    const text = rr.type === RRType.A ? formatIPv4(rr.rdata) : formatIPv6(rr.rdata);
    const list = rr.type === RRType.A ? entry.a : entry.aaaa;
    if (!list.includes(text)) list.push(text);
  }
  for (const e of endpoints) {
    const entry = byHost.get(nameKey(e.host));
    if (entry) e.addresses = [...entry.a, ...entry.aaaa];
  }

  const card: AgentCard = {
    name: owner,
    endpoints,
    capabilities: meta.capabilities,
    ttl: Math.min(...svcbRRs.map((r) => r.ttl)),
    warnings,
  };
  if (meta.tool !== undefined) card.tool = meta.tool;
  if (meta.dnsAid) card.form = 'dns-aid';
  if (meta.description !== undefined) card.description = meta.description;
  if (meta.auth !== undefined) card.auth = meta.auth;
  if (meta.cap !== undefined) card.cap = meta.cap;
  if (meta.capSha256 !== undefined) card.capSha256 = meta.capSha256;
  if (meta.bap !== undefined) card.bap = meta.bap;
  if (opts.zone !== undefined) card.zone = opts.zone;

  const aid = checkTxt(txtOwner, txtRRs, card, warnings, opts.read?.aid);
  if (aid !== undefined) card.aid = aid;
  return card;
}

/** The one valid AID record among the TXT records, compared with the card; warnings for the rest. */
function checkTxt(txtOwner: string, rrs: RR[], card: AgentCard, warnings: string[], read: ReadonlyMap<Buffer, AidRecord> | undefined): AidRecord | undefined {
  if (rrs.length === 0) return undefined;
  const valid: Array<{ aid: AidRecord; strings: number }> = [];
  for (const rr of rrs) {
    try {
      const aid = read?.get(rr.rdata) ?? aidFromTxt(rr.rdata);
      let strings = 0;
      for (let i = 0; i < rr.rdata.length; i += 1 + rr.rdata[i]!) strings++;
      valid.push({ aid, strings });
    } catch (e) {
      if (!(e instanceof AgentRecordError)) throw e;
      warnings.push(`${txtOwner} TXT: not a valid AID record (${e.message})`);
    }
  }
  if (valid.length === 0) return undefined;
  // As AID 2.x does: the aid2 record, else the aid1 one; two valid records of that version are ambiguous.
  const choice = selectAid(valid);
  if (choice.selected === undefined) {
    warnings.push(`${txtOwner} TXT: ${choice.counts[choice.ambiguous!]} valid ${choice.ambiguous} records; AID clients refuse the name as ambiguous`);
    return undefined;
  }
  const { aid, strings } = choice.selected;
  if (strings > 1) warnings.push(`${txtOwner} TXT: ${strings} character-strings; docs/records.md asks for one`);
  if (aid.p !== 'mcp') warnings.push(`${txtOwner} TXT: p=${aid.p}, not mcp`);
  const best = card.endpoints[0]!.priority;
  const urls = card.endpoints.filter((e) => e.priority === best).map((e) => e.url);
  let u: string | undefined;
  try {
    u = new URL(aid.u).href;
  } catch {
    u = undefined;
  }
  if (u === undefined || !urls.includes(u)) {
    warnings.push(`${txtOwner} TXT: u=${aid.u} is not the URL of a priority-${best} endpoint (${urls.join(', ')}); the SVCB wins`);
  }
  if (aid.a !== card.auth) {
    warnings.push(`${txtOwner} TXT: a=${aid.a ?? '(none)'} but ${keyLabel(SvcKey.auth)} is ${card.auth ?? '(none)'}; the SVCB wins`);
  }
  if (card.description !== undefined) {
    const { s, shortened } = aidDescription(card.description);
    if (!shortened && aid.s !== s) warnings.push(`${txtOwner} TXT: s=${aid.s === undefined ? '(none)' : show(aid.s)} but the description is ${show(card.description)}; the SVCB wins`);
  }
  return aid;
}

/**
 * Endpoints in the order to try them: by priority, lowest first; within one priority a weighted
 * shuffle in the manner of RFC 2782 (weight/total chance to come next), uniform when no endpoint
 * has a weight. Weight 0 comes after the weighted ones of its priority (RFC 2782 gives it a tiny
 * chance before). `random` returns [0, 1); inject it in tests. Does not change its input.
 */
export function orderEndpoints<T extends { priority: number; weight?: number }>(endpoints: readonly T[], random: () => number = Math.random): T[] {
  for (const e of endpoints) {
    if (e.weight !== undefined && !(Number.isFinite(e.weight) && e.weight >= 0)) throw new RangeError(`endpoint weight ${e.weight} is not a finite number >= 0`);
  }
  const byPriority = new Map<number, T[]>();
  for (const e of endpoints) {
    const list = byPriority.get(e.priority);
    if (list) list.push(e);
    else byPriority.set(e.priority, [e]);
  }
  const out: T[] = [];
  for (const prio of [...byPriority.keys()].sort((a, b) => a - b)) {
    const left = [...byPriority.get(prio)!];
    while (left.length > 0) {
      const total = left.reduce((n, e) => n + (e.weight ?? 1), 0);
      let pick = 0;
      if (total > 0) {
        const r = unit(random) * total;
        let run = 0;
        pick = left.length - 1;
        for (let i = 0; i < left.length; i++) {
          const w = left[i]!.weight ?? 1;
          if (w === 0) continue;
          run += w;
          if (run > r) {
            pick = i;
            break;
          }
        }
        // Float rounding can leave r at the very end: take the last weighted entry.
        while ((left[pick]!.weight ?? 1) === 0) pick--;
      } else {
        pick = pickIndex(left.length, random);
      }
      out.push(left.splice(pick, 1)[0]!);
    }
  }
  return out;
}

/** A DNSSEC key, as the card shows it: key tag, algorithm (13 ECDSA P-256, 15 Ed25519, ...), flags (257 KSK, 256 ZSK). */
export interface DnssecKeyRef {
  tag: number;
  algorithm: number;
  flags?: number;
}

/** Which zone signed a record, with which keys (those whose RRSIG verifies). */
export interface DnssecSigner {
  zone: string;
  keys: DnssecKeyRef[];
}

/** One zone of the chain of trust: its DS at the parent (or the anchor), its keys, and which of them sign its DNSKEY set. */
export interface DnssecChainLink {
  zone: string;
  anchor: boolean;
  ds: Array<{ tag: number; algorithm: number; digestType: number }>;
  dnskeys: DnssecKeyRef[];
  dnskeySignedBy: number[];
}
