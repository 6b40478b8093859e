// An agent card -> its records (the inverse of cardFromRecords), for the zone tooling: the SVCB set,
// the `_agent` AID TXT and the index PTR, as RRs and as zone-file text in the bundled zones' style
// (zones/acme.agents.zone): RDATA from column 27, SVCB params in parentheses on lines of at most
// 90 characters, grouped as endpoint, MCP, text, and the rest.

import { aidDescription, aidTxtRdata, formatAid, type AidRecord } from './aid.js';
import type { AgentCard, AgentEndpoint } from './card.js';
import { agentName } from './alias.js';
import { AgentRecordError } from './errors.js';
import { alpnValue, keyLabel, readSvcb, SvcKey, writeSvcb } from './svcb.js';
import { buildUrl, looksLikeAddress } from './url.js';
import {
  alpnIdProblem, authProblem, bapToken, capabilitiesProblem, capProblem, capSha256Problem, DEFAULT_PORT,
  descriptionProblem, pathProblem, type Scheme, schemeProblem, show, toolProblem, type Transport, transportProblem,
} from './values.js';
import type { RR } from '../wire/rr.js';
import { WireError } from '../wire/errors.js';
import { isInDomain, nameEquals, nameToWire } from '../wire/name.js';
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from '../wire/rdata/addr.js';
import { quoteText } from '../wire/rdata/common.js';
import { svcbParamText } from '../wire/rdata/svcb.js';
import { RRClass, RRType } from '../wire/types.js';

export interface RecordsOptions {
  /** Origin of the zone the text goes into; owner names are written relative to it. Default: card.zone. */
  origin?: string;
  /** The organisation whose `_index._agents` lists the agent. Default: the origin. */
  organisation?: string;
  /** The $TTL in force where the text goes: records with this TTL are written without one. */
  defaultTtl?: number;
}

export interface AgentRecords {
  /** The SVCB records at the agent name, in the card's endpoint order. */
  svcb: RR[];
  /** A/AAAA at the agent name, for endpoints whose target is '.' and whose card lists addresses. */
  addresses: RR[];
  /** The `_agent` AID TXT. */
  txt: RR;
  /** `_index._agents.<organisation> PTR <agent name>`. */
  index: RR;
  /** All of the above: svcb, addresses, txt, index. */
  records: RR[];
  /** The agent's block as zone-file text: SVCB, A/AAAA for a '.' target, then the TXT; ends in a newline. */
  text: string;
  /** The index entry as one zone-file line (no newline); drop the owner to append to an existing index. */
  indexLine: string;
  /** What was adjusted, e.g. a description shortened for AID's `s`. */
  warnings: string[];
}

/** Where the RDATA starts (0-based) and how wide a line of SVCB params may get. */
const RDATA_COLUMN = 26;
const OWNER_WIDTH = 16;
const MAX_LINE = 90;
/** Recommended limit (docs/records.md, "Size limits"). */
const MAX_ENDPOINTS = 4;
const MAX_TTL = 2147483647;

function bad(message: string): never {
  throw new AgentRecordError('ERR_AGENT_BAD_CARD', message);
}

/**
 * One zone-file line in the bundled style: owner padded to 16, `[ttl ]IN TYPE`, RDATA from column
 * 27 (later when the owner is long). An empty owner continues the previous owner.
 */
export function zoneLine(owner: string, type: string, rdata: string, ttl?: number): string {
  const head = `${owner.padEnd(OWNER_WIDTH)} ${ttl === undefined ? '' : `${ttl} `}IN ${type}`;
  return `${head.padEnd(RDATA_COLUMN - 1)} ${rdata}`;
}

/** `name` relative to `origin` ('@' for the origin itself); throws when it is outside. */
function relative(name: string, origin: string): string {
  if (nameEquals(name, origin)) return '@';
  if (!isInDomain(name, origin)) bad(`${name} is not inside the zone ${origin}`);
  return origin === '.' ? name.slice(0, -1) : name.slice(0, name.length - origin.length - 1);
}

function absoluteName(name: string, what: string): string {
  try {
    return agentName(name);
  } catch (e) {
    if (e instanceof WireError) bad(`${what} ${show(name)}: ${e.message}`);
    throw e;
  }
}

function check(what: string, value: string, why: string | undefined): void {
  if (why !== undefined) bad(`${what} ${show(value)}: ${why}`);
}

/** Presentation of one SvcParam as the bundled zones write it. */
function paramText(key: number, value: Buffer, alpn?: readonly string[]): string {
  if (key === SvcKey.alpn) return `alpn="${alpn!.join(',')}"`;
  if (key === SvcKey.port) return `port=${value.readUInt16BE(0)}`;
  return `key${key}=${quoteText(value)}`;
}

/** Which line group a key goes in: endpoint, MCP, text, the rest. */
function group(key: number): number {
  if (key === SvcKey.alpn || key === SvcKey.port || key === SvcKey.path) return 0;
  if (key === SvcKey.transport || key === SvcKey.tool) return 1;
  if (key === SvcKey.capabilities || key === SvcKey.description) return 2;
  return 3;
}

/** The SVCB record as zone-file lines: head with `(`, params in groups, the last line ending ` )`. */
function svcbLines(owner: string, ttl: number | undefined, priority: number, target: string, params: string[][]): string[] {
  const lines = [zoneLine(owner, 'SVCB', `${priority} ${target} (`, ttl)];
  const indent = ' '.repeat(RDATA_COLUMN);
  const groups = params.filter((g) => g.length > 0);
  groups.forEach((g, gi) => {
    const lastGroup = gi === groups.length - 1;
    let cur = '';
    g.forEach((p, pi) => {
      const tail = lastGroup && pi === g.length - 1 ? ' )' : '';
      const joined = cur === '' ? p : `${cur} ${p}`;
      if (cur !== '' && RDATA_COLUMN + joined.length + tail.length > MAX_LINE) {
        lines.push(indent + cur);
        cur = p;
      } else {
        cur = joined;
      }
    });
    lines.push(indent + cur + (lastGroup ? ' )' : ''));
  });
  return lines;
}

/**
 * Any SVCB record as zone-file text in the bundled style (one line head, params grouped as
 * recordsFromCard groups them, each as BIND prints it); ends in a newline. For edits that change
 * some params of a record the file already has (`aop zone cap`).
 */
export function svcbRecordText(owner: string, ttl: number | undefined, rdata: Buffer): string {
  const s = readSvcb(rdata);
  const params: string[][] = [[], [], [], []];
  for (const [key, value] of s.params) params[group(key)]!.push(svcbParamText(key, value));
  if (params.every((g) => g.length === 0)) return zoneLine(owner, 'SVCB', `${s.priority} ${s.target}`, ttl) + '\n';
  return svcbLines(owner, ttl, s.priority, s.target, params).join('\n') + '\n';
}

interface CheckedEndpoint {
  e: AgentEndpoint;
  target: string;
  rdata: Buffer;
  params: string[][];
}

/** Validate one endpoint of the card and build its SVCB RDATA and param text. */
function endpointRecord(name: string, e: AgentEndpoint, shared: Array<[number, Buffer]>, i: number): CheckedEndpoint {
  const what = `${name} endpoint ${i + 1}`;
  if (!Number.isInteger(e.priority) || e.priority < 1 || e.priority > 65535) bad(`${what}: priority ${e.priority} is not 1-65535 (0 is AliasMode)`);
  const target = e.target === '.' ? '.' : absoluteName(e.target, `${what}: target`);
  const host = target === '.' ? name : target;
  if (e.host !== undefined && !nameEquals(absoluteName(e.host, `${what}: host`), host)) {
    bad(`${what}: host ${e.host} does not match target ${e.target} (the host is the target, or the agent name for ".")`);
  }
  if (looksLikeAddress(host)) bad(`${what}: target ${host} reads as an IP address; an SVCB target must be a host name with A/AAAA records`);
  check(`${what}: scheme`, e.scheme, schemeProblem(e.scheme));
  check(`${what}: transport`, e.transport, transportProblem(e.transport));
  check(`${what}: path`, e.path, pathProblem(e.path));
  if (!Number.isInteger(e.port) || e.port < 1 || e.port > 65535) bad(`${what}: port ${e.port} is not 1-65535`);
  if (!Array.isArray(e.alpn) || !e.alpn.includes('mcp')) bad(`${what}: alpn ${show((e.alpn ?? []).join(','))} lacks "mcp"`);
  for (const id of e.alpn) {
    const why = alpnIdProblem(id);
    if (why !== undefined) bad(`${what}: ${why}`);
  }
  if (new Set(e.alpn).size !== e.alpn.length) bad(`${what}: alpn lists an id twice`);
  const built = buildUrl(e.scheme, host, e.port, e.path);
  if ('problem' in built) bad(`${what}: ${built.problem}`);
  if (e.url !== undefined && e.url !== built.url) bad(`${what}: url ${e.url} does not match its parts (${built.url})`);
  if (e.addresses !== undefined) {
    for (const a of e.addresses) if (parseIPv4(a) === undefined && parseIPv6(a) === undefined) bad(`${what}: address ${show(a)} is not an IPv4 or IPv6 address`);
  }

  const portValue = Buffer.alloc(2);
  portValue.writeUInt16BE(e.port);
  const own: Array<[number, Buffer]> = [
    [SvcKey.alpn, alpnValue(e.alpn)],
    [SvcKey.port, portValue],
    [SvcKey.path, Buffer.from(e.path, 'latin1')],
    [SvcKey.transport, Buffer.from(e.transport, 'latin1')],
  ];
  // Absent means https (docs/records.md), so only http is written.
  if (e.scheme === 'http') own.push([SvcKey.scheme, Buffer.from('http', 'latin1')]);
  const all = [...own, ...shared].sort((a, b) => a[0] - b[0]);
  const params: string[][] = [[], [], [], []];
  for (const [key, value] of all) params[group(key)]!.push(paramText(key, value, e.alpn));
  return { e, target, rdata: writeSvcb(e.priority, target, all), params };
}

/**
 * The records of an agent card, as RRs and as zone-file text. Throws AgentRecordError
 * ERR_AGENT_BAD_CARD naming the field when the card cannot be written (a value outside
 * docs/records.md's rules, a name outside the zone, an endpoint whose url disagrees with its parts).
 */
export function recordsFromCard(card: AgentCard, opts: RecordsOptions = {}): AgentRecords {
  const warnings: string[] = [];
  const name = absoluteName(card.name, 'agent name');
  const originText = opts.origin ?? card.zone;
  if (originText === undefined) bad(`${name}: no zone origin (pass opts.origin or set card.zone)`);
  const origin = absoluteName(originText, 'origin');
  const org = opts.organisation === undefined ? origin : absoluteName(opts.organisation, 'organisation');
  if (!isInDomain(name, org)) bad(`${name} is not inside the organisation ${org}; its index cannot list it`);
  const owner = relative(name, origin);
  const indexName = `_index._agents.${org === '.' ? '' : org}`;
  const indexOwner = relative(indexName, origin);
  const txtName = `_agent.${name}`;
  const txtOwner = owner === '@' ? '_agent' : `_agent.${owner}`;

  if (!Number.isInteger(card.ttl) || card.ttl < 0 || card.ttl > MAX_TTL) bad(`${name}: ttl ${card.ttl} is not 0-${MAX_TTL}`);
  const ttl = opts.defaultTtl !== undefined && opts.defaultTtl === card.ttl ? undefined : card.ttl;

  // The keys every record of the agent shares.
  if (card.tool === undefined) bad(`${name}: no tool (aop's records name one)`);
  check(`${name}: tool`, card.tool, toolProblem(card.tool));
  const shared: Array<[number, Buffer]> = [[SvcKey.tool, Buffer.from(card.tool, 'latin1')]];
  if (card.capabilities.length > 0) {
    const caps = card.capabilities.join(',');
    check(`${name}: capabilities`, caps, capabilitiesProblem(caps));
    shared.push([SvcKey.capabilities, Buffer.from(caps, 'latin1')]);
  }
  if (card.description !== undefined) {
    const b = Buffer.from(card.description, 'utf8');
    check(`${name}: description`, card.description, descriptionProblem(b));
    shared.push([SvcKey.description, b]);
  }
  if (card.auth !== undefined) {
    check(`${name}: auth`, card.auth, authProblem(card.auth));
    shared.push([SvcKey.auth, Buffer.from(card.auth, 'latin1')]);
  }
  // The capability document describes the agent, not an endpoint: it goes on the preferred
  // records only (those of the lowest SvcPriority, which a DNS-AID client takes first), which keeps a failover set within the answer budget.
  const capShared: Array<[number, Buffer]> = [];
  if (card.cap !== undefined) {
    check(`${name}: ${keyLabel(SvcKey.cap)}`, card.cap, capProblem(card.cap));
    capShared.push([SvcKey.cap, Buffer.from(card.cap, 'latin1')]);
  }
  if (card.capSha256 !== undefined) {
    check(`${name}: ${keyLabel(SvcKey.capSha256)}`, card.capSha256, capSha256Problem(card.capSha256));
    capShared.push([SvcKey.capSha256, Buffer.from(card.capSha256, 'latin1')]);
  }
  if (card.bap !== undefined) {
    if (bapToken(card.bap) !== card.bap) bad(`${name}: ${keyLabel(SvcKey.bap)} ${show(card.bap)} is not a protocol token`);
    shared.push([SvcKey.bap, Buffer.from(card.bap, 'latin1')]);
  }

  if (card.endpoints.length === 0) bad(`${name}: no endpoints`);
  if (card.endpoints.length > MAX_ENDPOINTS) warnings.push(`${name}: ${card.endpoints.length} endpoints; docs/records.md keeps agents to ${MAX_ENDPOINTS} so the answer fits one UDP packet`);
  const preferred = Math.min(...card.endpoints.map((e) => e.priority));
  const checked = card.endpoints.map((e, i) => endpointRecord(name, e, e.priority === preferred ? [...shared, ...capShared] : shared, i));
  for (let i = 0; i < checked.length; i++) {
    for (let j = 0; j < i; j++) {
      if (checked[i]!.rdata.equals(checked[j]!.rdata)) bad(`${name}: endpoints ${j + 1} and ${i + 1} are the same record`);
    }
  }

  const rr = (n: string, type: number, rdata: Buffer): RR => ({ name: n, type, class: RRClass.IN, ttl: card.ttl, rdata });
  const svcb = checked.map((c) => rr(name, RRType.SVCB, c.rdata));
  const lines: string[] = [];
  checked.forEach((c, i) => lines.push(...svcbLines(i === 0 ? owner : '', ttl, c.e.priority, c.target, c.params)));

  // A '.' target makes the agent name the host: its addresses go beside the SVCB, as summarizer's do.
  const addresses: RR[] = [];
  const seen = new Set<string>();
  for (const c of checked) {
    if (c.target !== '.' || c.e.addresses === undefined) continue;
    for (const a of c.e.addresses) {
      const v4 = parseIPv4(a);
      const v6 = v4 === undefined ? parseIPv6(a) : undefined;
      const text = v4 !== undefined ? formatIPv4(v4) : formatIPv6(v6!);
      if (seen.has(text)) continue;
      seen.add(text);
      addresses.push(rr(name, v4 !== undefined ? RRType.A : RRType.AAAA, v4 ?? v6!));
    }
  }
  // A before AAAA, as the bundled zones list them.
  addresses.sort((a, b) => a.type - b.type);
  for (const a of addresses) {
    lines.push(zoneLine('', a.type === RRType.A ? 'A' : 'AAAA', a.type === RRType.A ? formatIPv4(a.rdata) : formatIPv6(a.rdata), ttl));
  }

  const aid = aidFor(card, warnings, name);
  const txtRdata = aidTxtRdata(formatAid(aid));
  const txt = rr(txtName, RRType.TXT, txtRdata);
  lines.push(zoneLine(txtOwner, 'TXT', quoteText(txtRdata.subarray(1)), ttl));

  const index = rr(indexName, RRType.PTR, nameToWire(name));
  const indexLine = zoneLine(indexOwner, 'PTR', name, ttl);
  return { svcb, addresses, txt, index, records: [...svcb, ...addresses, txt, index], text: lines.join('\n') + '\n', indexLine, warnings };
}

/** The AID record for a card: u from the preferred endpoint, a and s from the card, the rest kept from card.aid. */
function aidFor(card: AgentCard, warnings: string[], name: string): AidRecord {
  const best = Math.min(...card.endpoints.map((e) => e.priority));
  const preferred = card.endpoints.find((e) => e.priority === best)!;
  const host = preferred.target === '.' ? name : preferred.target;
  const built = buildUrl(preferred.scheme, host, preferred.port, preferred.path);
  const aid: AidRecord = { v: 'aid2', u: 'url' in built ? built.url : preferred.url, p: 'mcp' };
  if (card.auth !== undefined) aid.a = card.auth;
  if (card.description !== undefined) {
    const { s, shortened } = aidDescription(card.description);
    if (shortened) warnings.push(`${name}: description shortened to ${show(s)} for the _agent TXT (AID allows 60 octets and no ";")`);
    if (s.length > 0) aid.s = s;
  }
  for (const k of ['d', 'e', 'k', 'i'] as const) {
    const v = card.aid?.[k];
    if (v !== undefined) aid[k] = v;
  }
  return aid;
}

export interface EndpointOptions {
  priority?: number;
  transport?: Transport;
  /** Default: ["mcp"] for http; ["mcp", "h2", "http/1.1"] for https (list what the server really negotiates). */
  alpn?: string[];
  weight?: number;
}

/**
 * An endpoint from an MCP server URL, for `aop zone import-mcp`: `http://mcp.acme.agents:18101/mcp`
 * -> target `mcp.acme.agents.`, port 18101, path `/mcp`. Throws ERR_AGENT_BAD_CARD for a URL the
 * records cannot express: not http(s), user info, a query or fragment, an IP address as host.
 */
export function endpointFromUrl(url: string, opts: EndpointOptions = {}): AgentEndpoint {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    bad(`endpoint URL ${show(url)} is not a URL`);
  }
  const scheme = u.protocol.slice(0, -1);
  check('endpoint URL scheme', scheme, schemeProblem(scheme));
  if (u.username !== '' || u.password !== '') bad(`endpoint URL ${show(url)} has user info, which the records cannot carry`);
  if (u.search !== '' || u.hash !== '') bad(`endpoint URL ${show(url)} has a query or fragment, which the records cannot carry`);
  const hostname = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  if (looksLikeAddress(hostname)) bad(`endpoint URL ${show(url)} has an IP address as host; an SVCB target must be a host name with A/AAAA records`);
  const target = absoluteName(hostname, `endpoint URL ${show(url)}: host`);
  const path = u.pathname;
  check('endpoint URL path', path, pathProblem(path));
  const s = scheme as Scheme;
  const port = u.port === '' ? DEFAULT_PORT[s] : Number(u.port);
  const priority = opts.priority ?? 1;
  const transport = opts.transport ?? 'streamable-http';
  check('transport', transport, transportProblem(transport));
  const built = buildUrl(s, target, port, path);
  if ('problem' in built) bad(`endpoint URL ${show(url)}: ${built.problem}`);
  const e: AgentEndpoint = {
    url: built.url, target, host: target, port, path, transport, scheme: s, priority,
    alpn: opts.alpn ?? (s === 'http' ? ['mcp'] : ['mcp', 'h2', 'http/1.1']),
  };
  if (opts.weight !== undefined) e.weight = opts.weight;
  return e;
}
