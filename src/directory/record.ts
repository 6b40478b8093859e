// One agent as the directory holds it: what its card (the DNS records) and its capability document
// say, how it was verified, and where and when it was read. Made from a card here, stored by store.ts.

import type { AgentCard, ParsedCapability } from '../agent/index.js';

/** What the capability document's digest check found (docs/directory.md, "Verification"). */
export type CapCheck = 'checked' | 'mismatch' | 'unreachable' | 'unpinned' | 'absent';

export interface DirectoryTool {
  name: string;
  description?: string;
  /** The input schema as JSON text (searched as words). */
  schema?: string;
}

export interface DirectoryRecord {
  /** Lower case, no trailing dot: `writer.acme.agents`. */
  name: string;
  /** The organisation: the zone whose index lists it. */
  org: string;
  description: string;
  /** Lower case, as listed. */
  capabilities: string[];
  tools: DirectoryTool[];
  transports: string[];
  endpoints: Array<{ url: string; transport: string; priority: number }>;
  /** The card, JSON-safe (what get_agent_details shows). */
  card: Record<string, unknown>;
  dnssec: 'secure' | 'insecure' | 'bogus' | 'unverified';
  capCheck: CapCheck;
  source: { server?: string; zone: string; serial?: number };
  /** When the DNS last said this (ms since the epoch). */
  confirmedAt: number;
}

/** Secure records, and the document checked when the records pin one. */
export function isVerified(r: Pick<DirectoryRecord, 'dnssec' | 'capCheck'>): boolean {
  return r.dnssec === 'secure' && (r.capCheck === 'checked' || r.capCheck === 'absent');
}

/** The rank verification gives among equally relevant results: 2 verified, 1 secure or checked, 0 neither. */
export function verificationRank(r: Pick<DirectoryRecord, 'dnssec' | 'capCheck'>): number {
  if (isVerified(r)) return 2;
  return r.dnssec === 'secure' || r.capCheck === 'checked' ? 1 : 0;
}

const plain = (n: string): string => (n.length > 1 && n.endsWith('.') ? n.slice(0, -1) : n).toLowerCase();

/** A JSON Schema as the words it holds, bounded (property names, descriptions, enums). */
function schemaText(schema: unknown, max = 4096): string {
  const s = JSON.stringify(schema ?? {});
  return s.length <= max ? s : s.slice(0, max);
}

/** The record for a card, its document (when fetched) and where it came from. */
export function recordFromCard(
  card: AgentCard, org: string,
  meta: { doc?: ParsedCapability; capCheck: CapCheck; source: DirectoryRecord['source']; confirmedAt: number; listedAs?: string },
): DirectoryRecord {
  const doc = meta.doc?.document;
  const json = meta.doc?.json;
  const tools: DirectoryTool[] = [];
  if (doc !== undefined) {
    for (const t of doc.tools) tools.push({ name: t.name, ...(t.description !== undefined ? { description: t.description } : {}), schema: schemaText(t.inputSchema) });
  } else if (Array.isArray(json?.tools)) {
    // Another publisher's document: its tools, as far as they look like MCP tools.
    for (const t of (json.tools as unknown[]).slice(0, 1000)) {
      const o = t as { name?: unknown; description?: unknown; inputSchema?: unknown };
      if (typeof o?.name !== 'string' || o.name.length > 128) continue;
      tools.push({ name: o.name, ...(typeof o.description === 'string' ? { description: o.description.slice(0, 4096) } : {}), ...(o.inputSchema !== undefined ? { schema: schemaText(o.inputSchema) } : {}) });
    }
  }
  if (card.tool !== undefined && !tools.some((t) => t.name === card.tool)) tools.unshift({ name: card.tool });
  const caps = new Set(card.capabilities.map((c) => c.toLowerCase()));
  const docCaps = doc?.capabilities ?? (Array.isArray(json?.capabilities) ? (json.capabilities as unknown[]).filter((c): c is string => typeof c === 'string' && c.length <= 63).slice(0, 64) : []);
  for (const c of docCaps) caps.add(c.toLowerCase());
  const description = card.description ?? doc?.description ?? (typeof json?.description === 'string' ? json.description.slice(0, 1000) : '');
  const dnssec = card.dnssec?.state ?? 'unverified';
  return {
    // The name the index lists (an alias stays its own entry, with the card it leads to).
    name: plain(meta.listedAs ?? card.name),
    org: plain(org),
    description,
    capabilities: [...caps],
    tools,
    transports: [...new Set(card.endpoints.map((e) => e.transport))],
    endpoints: card.endpoints.map((e) => ({ url: e.url, transport: e.transport, priority: e.priority })),
    card: JSON.parse(JSON.stringify({ ...card, name: plain(card.name), ...(card.zone !== undefined ? { zone: plain(card.zone) } : {}) })) as Record<string, unknown>,
    dnssec,
    capCheck: meta.capCheck,
    source: meta.source,
    confirmedAt: meta.confirmedAt,
  };
}
