// The gateway's fixed tools: their zod input schemas, and the Swarms AOP result shapes
// (swarms/structs/aop.py: discover_agents, list_agents, search_agents, get_agent_details,
// get_agents_info, get_server_info), filled from agent cards found through the DNS.

import { z } from 'zod';
import type { AgentCard } from '../../agent/index.js';
import { plainName, type DirectoryEntry } from './discovery.js';

/** A DNS name as a user writes it: labels of 1-63, at most 253 characters, trailing dot allowed. */
const dnsName = z.string().min(1).max(254)
  .regex(/^(?:[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.)*[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.?$/, 'not a domain name (labels of letters, digits, "-" and "_")');

/** A name a Swarms client passes: a DNS name or a gateway tool name (`writer_acme_agents`). */
const agentRef = z.string().min(1).max(254).regex(/^[A-Za-z0-9_.-]+$/, 'not an agent name: a DNS name such as writer.acme.agents, or a tool name such as writer_acme_agents');

export const SEARCH_FIELDS = ['name', 'description', 'tags', 'capabilities', 'tools'] as const;
export type SearchField = (typeof SEARCH_FIELDS)[number];

export const MAX_TIMEOUT_MS = 300_000;

/** Pagination (MCP's cursor and nextCursor) and the filters of the list tools. */
const paging = {
  cursor: z.string().min(1).max(1024).optional().describe('The nextCursor of the previous page; absent for the first'),
  limit: z.number().int().min(1).max(1000).optional().describe('Most agents on the page (default 100)'),
  organization: dnsName.optional().describe('Only agents of this organisation (the zone whose index lists them), e.g. acme.agents'),
  capability: z.string().min(1).max(63).optional().describe('Only agents with this capability, exactly (any case)'),
  transport: z.string().min(1).max(32).regex(/^[a-z0-9-]+$/).optional().describe('Only agents with an endpoint of this transport: streamable-http or sse'),
  verified_only: z.boolean().optional().describe('Only agents whose records are DNSSEC-secure and whose capability document matched its cap-sha256'),
  reachable_only: z.boolean().optional().describe('Only agents an endpoint of which has answered (a call, or the MCP initialize + ping of a probe); not yet known counts as not. A page may then hold fewer than limit: follow nextCursor'),
};

export const inputs = {
  resolve_agent: z.object({
    name: dnsName.describe('The agent\'s DNS name, e.g. writer.acme.agents'),
    probe: z.boolean().optional().describe('Probe its endpoints now (MCP initialize + ping) for the reachable state; default: what calls have seen'),
  }).strict(),
  call_agent: z.object({
    name: dnsName.optional().describe('The agent\'s DNS name, e.g. writer.acme.agents (or give capability)'),
    capability: z.string().min(1).max(63).regex(/^[A-Za-z0-9_.-]+$/, 'not a capability: letters, digits, "-", "_" and "."').optional()
      .describe('Instead of a name: call the best reachable, verified agent of the configured zones offering this capability, e.g. translation'),
    arguments: z.record(z.string(), z.unknown()).optional().describe('Arguments for the agent\'s tool, e.g. {"task": "Draft a haiku"}'),
    tool: z.string().min(1).max(128).regex(/^[A-Za-z0-9_.-]+$/).optional().describe('Call this tool at the agent\'s endpoint instead of the one its record names'),
    timeout_ms: z.number().int().min(1).max(MAX_TIMEOUT_MS).optional().describe('Deadline for the whole call, in milliseconds'),
  }).strict().refine((a) => (a.name === undefined) !== (a.capability === undefined), { message: 'give name or capability, not both' }),
  discover_agents: z.object({ agent_name: agentRef.optional().describe('One agent (DNS name or tool name); all agents when absent'), ...paging }).strict(),
  list_agents: z.object(paging).strict(),
  search_agents: z.object({
    query: z.string().min(1).max(256).describe('Keywords: a substring of the chosen fields; with the directory (--directory-db), words matched as prefixes and ranked by relevance'),
    search_fields: z.array(z.enum(SEARCH_FIELDS)).min(1).max(SEARCH_FIELDS.length).optional().describe('Fields to search; default all'),
    ...paging,
  }).strict(),
  get_agent_details: z.object({ agent_name: agentRef.describe('DNS name or tool name') }).strict(),
  get_agents_info: z.object({ agent_names: z.array(agentRef).min(1).max(100).describe('DNS names or tool names') }).strict(),
  get_server_info: z.object({}).strict(),
} as const;

export type FixedToolName = keyof typeof inputs;

export const descriptions: Record<FixedToolName, string> = {
  resolve_agent: 'Look an agent up by its DNS name and return its agent card: endpoints (URL, transport, priority), tool, description, capabilities, TTL, and its state (registered, reachable, verified).',
  call_agent: 'Call an agent by its DNS name, or the best reachable, verified agent offering a capability: resolve its records, connect to its MCP endpoint (failing over between endpoints) and call its tool with the arguments. Returns the agent\'s result.',
  discover_agents: 'Discover the agents listed in the DNS indexes of the configured zones: name, description, tags (its zone), capabilities. With agent_name, one agent (any DNS name, listed or not).',
  list_agents: 'List the names of the agents listed in the DNS indexes (of the configured zones, or of every organisation the directory crawled), in name order; paginated (nextCursor), with filters.',
  search_agents: 'Search the agents by keyword in their name, description, tags (their zone), capabilities or tools; paginated (nextCursor), with filters.',
  get_agent_details: 'Details of one agent: its configuration as the gateway calls it, and its discovery information.',
  get_agents_info: 'Details of several agents at once, with the names that were not found.',
  get_server_info: 'Information about this gateway: its agents, zones, transport and settings.',
};

/** JSON Schema of each fixed tool's input, for tools/list. */
export function inputJsonSchema(name: FixedToolName): { type: 'object'; [k: string]: unknown } {
  const schema = z.toJSONSchema(inputs[name], { target: 'draft-7' }) as Record<string, unknown>;
  delete schema.$schema;
  return { ...schema, type: 'object' };
}

/** The card as resolve_agent returns it: JSON-safe, names without trailing dots. */
export function cardJson(card: AgentCard): Record<string, unknown> {
  return JSON.parse(JSON.stringify({ ...card, name: plainName(card.name), ...(card.zone !== undefined ? { zone: plainName(card.zone) } : {}) })) as Record<string, unknown>;
}

/**
 * Swarms' `_get_agent_discovery_info` shape. What the DNS does not say (system prompt, model,
 * sampling settings) is null rather than invented; `tags` holds the agent's zone.
 */
export function discoveryInfo(e: DirectoryEntry): Record<string, unknown> {
  const card = e.card;
  return {
    tool_name: e.toolName,
    agent_name: e.name,
    description: card?.description ?? 'No description available',
    short_system_prompt: '',
    tags: [e.zone],
    capabilities: card?.capabilities ?? [],
    role: 'worker',
    model_name: null,
    max_loops: null,
    temperature: null,
    max_tokens: null,
    // aop's own additions: where and how the gateway reaches it.
    dns_name: e.name,
    zone: e.zone,
    endpoint_tool: card?.tool ?? null,
    endpoints: card?.endpoints.map((p) => ({ url: p.url, transport: p.transport, priority: p.priority })) ?? [],
    ttl: card?.ttl ?? null,
    ...(e.error ? { error: e.error } : {}),
    // The on-disk directory's additions (src/directory): what it checked, where and when it read it.
    ...(e.verification ? { verification: e.verification } : {}),
    ...(e.tools ? { tools: e.tools } : {}),
    ...(e.source ? { source: e.source } : {}),
    ...(e.confirmedAt !== undefined ? { last_confirmed: new Date(e.confirmedAt).toISOString() } : {}),
  };
}

/** Swarms' `get_agent_info` shape: how the server runs the agent; here, how the gateway calls it. */
export function agentInfo(e: DirectoryEntry, settings: { timeoutMs: number; retries: number }): Record<string, unknown> {
  const card = e.card;
  return {
    tool_name: e.toolName,
    agent_name: e.name,
    agent_description: card?.description ?? 'No description available',
    model_name: null,
    max_loops: null,
    tool_description: card?.description ?? '',
    timeout: settings.timeoutMs / 1000,
    max_retries: settings.retries,
    verbose: false,
    traceback_enabled: false,
    dns_name: e.name,
    zone: e.zone,
    endpoint_tool: card?.tool ?? null,
    auth: card?.auth ?? null,
    endpoints: card?.endpoints.map((p) => ({ url: p.url, transport: p.transport, priority: p.priority, scheme: p.scheme })) ?? [],
    ttl: card?.ttl ?? null,
  };
}

/** search_agents' matching rule, as Swarms': a case-insensitive substring of any chosen field. */
export function matches(info: Record<string, unknown>, query: string, fields: readonly SearchField[]): boolean {
  const q = query.toLowerCase();
  const has = (v: unknown): boolean => typeof v === 'string' && v.toLowerCase().includes(q);
  return fields.some((f) => {
    if (f === 'name') return has(info.agent_name);
    if (f === 'description') return has(info.description);
    if (f === 'tools') return has(info.endpoint_tool) || (Array.isArray(info.tools) && info.tools.some(has));
    const list = info[f];
    return Array.isArray(list) && list.some(has);
  });
}
