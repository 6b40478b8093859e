// One agent's records from what a user gives (name, endpoint URLs, tool, ...): the card, checked
// against the zone when there is one (endpoint hosts, addresses), and the SVCB set, A/AAAA for an
// IP endpoint, `_agent` TXT and index PTR that `recordsFromCard` writes. The one builder behind
// `aop zone add-agent` / `import-mcp` (a zone-file edit, agent-edit.ts) and `aop register` (a DNS
// UPDATE, build.ts), so the same inputs give the same records.

import { AopError } from '../base/errors.js';
import { isIP } from 'node:net';
import {
  type AgentCard, type AgentEndpoint, type AgentRecords, AgentRecordError, buildUrl, endpointFromUrl, recordsFromCard, type Transport,
} from '../agent/index.js';
import type { SourceRecord } from '../zone/edit.js';
import type { RR } from '../wire/rr.js';
import { WireError } from '../wire/errors.js';
import { isInDomain, nameEquals, parseName } from '../wire/name.js';
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from '../wire/rdata/addr.js';
import { RRType } from '../wire/types.js';

/** Every code an AgentEditError carries (docs/errors.md has a row for each). */
export const AgentEditCode = {
  ERR_ZONE_AGENT_NAME: 'the agent name is not a host name inside the zone',
  ERR_ZONE_AGENT_EXISTS: 'add-agent (or import-mcp) for a name that already has an agent or an alias, without --replace',
  ERR_ZONE_AGENT_NOT_FOUND: 'remove-agent for a name that has no agent (ServiceMode SVCB) in the zone',
  ERR_ZONE_AGENT_ALIASES: 'remove-agent for an agent that aliases in the zone point at, without --with-aliases',
  ERR_ZONE_AGENT_CONFLICT: 'the new records would clash with other data at the agent name or its `_agent` name',
  ERR_ZONE_AGENT_HOST: 'an endpoint host that the zone has no address records for, or IP endpoints at different addresses',
  ERR_ZONE_AGENT_BAD: 'an endpoint URL, tool, description, priority or TTL that the records cannot carry',
} as const;
export type AgentEditCodeName = keyof typeof AgentEditCode;

export class AgentEditError extends AopError {
  declare readonly code: AgentEditCodeName;
  constructor(code: AgentEditCodeName, message: string) {
    super(code, message);
  }
}

/** One agent to add. */
export interface AgentSpec {
  /** Relative to the zone (`writer`), or absolute with a trailing dot. */
  name: string;
  /** Endpoint URLs, in order. */
  endpoints: string[];
  /** SvcPriority per endpoint; default 1, 2, 3, ... in order (failover). */
  priorities?: number[];
  tool: string;
  description?: string;
  capabilities?: string[];
  auth?: string;
  /** Default 300 (docs/records.md, TTLs). */
  ttl?: number;
  transport?: Transport;
  /** The capability document's URL (key65400, DNS-AID `cap`); written into every SVCB record of the agent. */
  cap?: string;
  /** base64url SHA-256 of the document as served (key65401, `cap-sha256`); only with `cap`. */
  capSha256?: string;
}

export const DEFAULT_AGENT_TTL = 300;

const LDH = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;

/** The absolute agent name from what the user typed; must be LDH labels inside the zone. */
export function agentNameIn(name: string, origin: string): string {
  let abs: string;
  try {
    abs = parseName(name, origin);
  } catch (e) {
    if (e instanceof WireError) throw new AgentEditError('ERR_ZONE_AGENT_NAME', `agent name ${JSON.stringify(name)}: ${e.message}`);
    throw e;
  }
  if (!isInDomain(abs, origin) || nameEquals(abs, origin)) {
    throw new AgentEditError('ERR_ZONE_AGENT_NAME', `agent name ${abs} is not below the zone ${origin}`);
  }
  const rel = abs.slice(0, abs.length - (origin === '.' ? 1 : origin.length + 1));
  for (const label of rel.split('.')) {
    if (!LDH.test(label)) {
      throw new AgentEditError('ERR_ZONE_AGENT_NAME', `agent name ${abs}: label ${JSON.stringify(label)} is not a host-name label (letters, digits and inner hyphens, 1-63)`);
    }
  }
  return abs;
}

/** The records of `src` at `name` (of `type`, or every type). */
export const recordsAt = (src: { readonly records: readonly SourceRecord[] }, name: string, type?: number): SourceRecord[] =>
  src.records.filter((r) => nameEquals(r.name, name) && (type === undefined || r.type === type));

const at = recordsAt;

function addressText(rr: RR): string {
  return rr.type === RRType.A ? formatIPv4(rr.rdata) : formatIPv6(rr.rdata);
}

/** The zone an agent goes into: its origin, and its records as they will stand (for the checks). */
export interface AgentZone {
  origin: string;
  /** The zone's records; empty when they are out of sight (a DNS UPDATE, text for a new file). */
  records: readonly SourceRecord[];
  /** Records the same edit removes: they do not count for the checks. */
  removed?: ReadonlySet<SourceRecord>;
  /**
   * True when the zone's records are out of sight: an endpoint host inside the zone is not
   * checked for addresses (a warning says so) instead of refused when it has none.
   */
  unseen?: boolean;
}

/** How the agent's block is laid out as zone-file text (the records are the same either way). */
export interface AgentLayout {
  /** The $ORIGIN in force where the block goes; default the zone's origin. */
  origin?: string;
  /** The $TTL in force there: a TTL equal to it is not written. */
  defaultTtl?: number;
}

/** One agent's card and records, with what the user should know. */
export interface BuiltAgent {
  /** The absolute agent name. */
  name: string;
  card: AgentCard;
  records: AgentRecords;
  warnings: string[];
  /** Endpoint hosts inside the zone whose A/AAAA could not be checked (the zone out of sight). */
  uncheckedHosts: string[];
}

/**
 * The agent's card and records from a spec: its name checked (host-name labels inside the zone),
 * its endpoints turned into SVCB endpoints (an IP address becomes the agent's own name with an
 * A/AAAA record there), checked against the zone's records when they are in sight. Throws
 * AgentEditError (a record that cannot carry a value is ERR_ZONE_AGENT_BAD).
 */
export function buildAgent(zone: AgentZone, spec: AgentSpec, layout: AgentLayout = {}): BuiltAgent {
  const abs = agentNameIn(spec.name, zone.origin);
  const warnings: string[] = [];
  const uncheckedHosts: string[] = [];
  try {
    const card = checkedCard(zone, spec, abs, zone.removed ?? new Set(), warnings, zone.unseen ? uncheckedHosts : undefined);
    const records = recordsFromCard(card, {
      origin: layout.origin ?? zone.origin, organisation: zone.origin, ...(layout.defaultTtl !== undefined ? { defaultTtl: layout.defaultTtl } : {}),
    });
    warnings.push(...records.warnings);
    return { name: abs, card, records, warnings, uncheckedHosts };
  } catch (e) {
    if (e instanceof AgentRecordError || e instanceof WireError) throw new AgentEditError('ERR_ZONE_AGENT_BAD', e.message);
    throw e;
  }
}

function checkedCard(src: AgentZone, spec: AgentSpec, abs: string, removed: ReadonlySet<SourceRecord>, warnings: string[], unchecked: string[] | undefined): AgentCard {
  if (spec.endpoints.length === 0) throw new AgentEditError('ERR_ZONE_AGENT_BAD', `${abs}: give at least one --endpoint URL`);
  if (spec.priorities !== undefined && spec.priorities.length > 0 && spec.priorities.length !== spec.endpoints.length) {
    throw new AgentEditError('ERR_ZONE_AGENT_BAD', `${abs}: ${spec.priorities.length} --priority values for ${spec.endpoints.length} --endpoint URLs; give one per endpoint, in the same order`);
  }
  const kept = (r: SourceRecord): boolean => !removed.has(r);
  const ttl = spec.ttl ?? DEFAULT_AGENT_TTL;
  const endpoints: AgentEndpoint[] = [];
  let ipAddresses: string | undefined;
  spec.endpoints.forEach((url, i) => {
    const priority = spec.priorities?.[i] ?? i + 1;
    if (!Number.isInteger(priority) || priority < 1 || priority > 65535) throw new AgentEditError('ERR_ZONE_AGENT_BAD', `${abs}: priority ${priority} is not 1-65535`);
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new AgentEditError('ERR_ZONE_AGENT_BAD', `endpoint ${JSON.stringify(url)} is not a URL (want http://host:port/path or https://...)`);
    }
    const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
    const opts = { priority, ...(spec.transport !== undefined ? { transport: spec.transport } : {}) };
    if (isIP(host) !== 0) {
      // An IP address cannot be an SVCB target: the agent's own name becomes the host ('.'), with the address beside it.
      const fake = endpointFromUrl(url.replace(u.host, `${abs.replace(/\.$/, '')}${u.port === '' ? '' : `:${u.port}`}`), opts);
      const addr = isIP(host) === 4 ? formatIPv4(parseIPv4(host)!) : formatIPv6(parseIPv6(host)!);
      if (ipAddresses !== undefined && ipAddresses !== addr) {
        throw new AgentEditError('ERR_ZONE_AGENT_HOST', `${abs}: endpoints at different IP addresses (${ipAddresses}, ${addr}) need host names: add A/AAAA records for a host per address and use its name in the URL`);
      }
      ipAddresses = addr;
      const built = buildUrl(fake.scheme, abs, fake.port, fake.path);
      endpoints.push({ ...fake, target: '.', host: abs, url: 'url' in built ? built.url : fake.url, addresses: [addr] });
      if (fake.scheme === 'http' && !/^(127\.|::1$)/.test(addr)) warnings.push(`${abs}: plain http to ${addr}, which is not loopback; aop clients use http only on loopback unless told otherwise`);
      return;
    }
    const e = endpointFromUrl(url, opts);
    if (isInDomain(e.target, src.origin) && unchecked !== undefined) {
      // The zone is out of sight (a registration): the caller asks the server.
      if (!unchecked.includes(e.target)) unchecked.push(e.target);
    } else if (isInDomain(e.target, src.origin)) {
      const addrs = at(src, e.target).filter((r) => (r.type === RRType.A || r.type === RRType.AAAA) && kept(r));
      if (addrs.length === 0) {
        throw new AgentEditError('ERR_ZONE_AGENT_HOST', `${abs}: endpoint host ${e.target} has no A/AAAA records in zone ${src.origin}; add them first, or give the endpoint by IP address`);
      }
    } else {
      warnings.push(`${abs}: endpoint host ${e.target} is outside zone ${src.origin}; make sure it has A/AAAA records`);
    }
    endpoints.push(e);
  });
  const card: AgentCard = {
    name: abs, zone: src.origin, ttl, tool: spec.tool, capabilities: spec.capabilities ?? [], bap: 'mcp', endpoints, warnings: [],
  };
  if (spec.description !== undefined) card.description = spec.description;
  if (spec.auth !== undefined) card.auth = spec.auth;
  if (spec.capSha256 !== undefined && spec.cap === undefined) throw new AgentEditError('ERR_ZONE_AGENT_BAD', `${abs}: a cap-sha256 without a cap URL; give --cap too`);
  if (spec.cap !== undefined) {
    card.cap = spec.cap;
    if (!/^https:\/\//i.test(spec.cap)) warnings.push(`${abs}: cap ${spec.cap} is not an https URL; DNS-AID clients fetch the capability document only over https`);
  }
  if (spec.capSha256 !== undefined) card.capSha256 = spec.capSha256;
  // Addresses already at the agent name: the same set is kept as it is; a different one is a clash.
  const own = at(src, abs).filter((r) => (r.type === RRType.A || r.type === RRType.AAAA) && kept(r));
  if (ipAddresses !== undefined && own.length > 0) {
    const have = own.map(addressText);
    if (have.length !== 1 || have[0] !== ipAddresses) {
      throw new AgentEditError('ERR_ZONE_AGENT_CONFLICT', `${abs} already has address records (${have.join(', ')}); the endpoint needs ${ipAddresses} there`);
    }
    for (const e of endpoints) delete e.addresses;
  }
  return card;
}

