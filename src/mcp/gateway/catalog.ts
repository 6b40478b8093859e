// What the gateway's list tools (list_agents, discover_agents, search_agents) read: pages of
// agents with filters and opaque cursors. Two implementations: SnapshotCatalog here, over the
// configured zones' indexes (AgentDirectory: a few thousand agents in memory, substring search),
// and the on-disk directory's (src/directory/catalog.ts: a crawl of many organisations, FTS5).

import type { AgentDirectory, DirectoryEntry, ZoneProblem } from './discovery.js';
import { decodeCursor, encodeCursor, requestDigest } from './cursor.js';
import { discoveryInfo, matches, type SearchField } from './tools.js';

export interface AgentFilters {
  /** The organisation: the zone whose index lists the agent (`acme.agents`). */
  organization?: string;
  /** A capability the agent's records or capability document name, exactly (any case). */
  capability?: string;
  /** One of the agent's endpoints uses this transport (`streamable-http`, `sse`). */
  transport?: string;
  /** Only agents whose records are DNSSEC-secure and whose cap-sha256, when they have one, was checked. */
  verifiedOnly?: boolean;
}

export interface PageRequest extends AgentFilters {
  /** The `nextCursor` of the page before; absent for the first page. */
  cursor?: string;
  /** Most agents on the page. */
  limit: number;
}

export interface SearchRequest extends PageRequest {
  query: string;
  fields: readonly SearchField[];
}

export interface AgentPage {
  agents: DirectoryEntry[];
  /** Agents matching the request in all (not only on this page). */
  total: number;
  /** True: `total` is a lower bound (a search over more matches than it counts exactly). */
  totalAtLeast?: true;
  /** What the answer should say besides (a query word whose prefix was cut to its most frequent terms). */
  notes?: string[];
  /** Absent on the last page. */
  nextCursor?: string;
}

export interface AgentCatalog {
  /** Agents in a stable order (the indexes', or names'). Throws CursorError for a cursor of another request. */
  list(req: PageRequest, signal?: AbortSignal): Promise<AgentPage>;
  /** list() with the names alone (list_agents): a catalog that can skip reading the rest does. Same cursors as list(). */
  listNames?(req: PageRequest, signal?: AbortSignal): Promise<{ names: string[]; total: number; nextCursor?: string }>;
  /** Agents matching the query, best first. Throws CursorError for a cursor of another request. */
  search(req: SearchRequest, signal?: AbortSignal): Promise<AgentPage>;
  /** One agent by DNS name or gateway tool name. */
  find(nameOrTool: string, signal?: AbortSignal): Promise<DirectoryEntry | undefined>;
  /** What get_server_info reports of it. */
  info(signal?: AbortSignal): Promise<{ agents: number; zones: number; problems: ZoneProblem[]; [k: string]: unknown }>;
}

export const DEFAULT_PAGE = 100;
export const MAX_PAGE = 1000;

/** Whether an entry passes the filters (what the DNS says of it: its card and its zone). */
export function passes(e: DirectoryEntry, f: AgentFilters): boolean {
  if (f.organization !== undefined && e.zone.toLowerCase() !== f.organization.toLowerCase().replace(/\.$/, '')) return false;
  const card = e.card;
  if (f.capability !== undefined && !(card?.capabilities ?? []).some((c) => c.toLowerCase() === f.capability!.toLowerCase())) return false;
  if (f.transport !== undefined && !(card?.endpoints ?? []).some((p) => p.transport === f.transport)) return false;
  if (f.verifiedOnly === true && !verified(e)) return false;
  return true;
}

/** Secure records, and the capability document checked when the records pin one. */
export function verified(e: DirectoryEntry): boolean {
  if (e.verification !== undefined) return e.verification.verified;
  const card = e.card;
  if (card === undefined || card.dnssec?.state !== 'secure') return false;
  return card.capSha256 === undefined || card.capVerified === true;
}

const filterKey = (f: AgentFilters): unknown[] => [f.organization?.toLowerCase() ?? null, f.capability?.toLowerCase() ?? null, f.transport ?? null, f.verifiedOnly === true];

/** A page of `all` (already in order) at the request's cursor. */
function page(all: DirectoryEntry[], req: PageRequest, digest: string, keyset: boolean): AgentPage {
  let start = 0;
  if (req.cursor !== undefined) {
    const at = decodeCursor(req.cursor, digest);
    if ('after' in at) {
      const i = all.findIndex((e) => e.name.toLowerCase() > at.after);
      start = i < 0 ? all.length : i;
    } else start = at.offset;
  }
  const agents = all.slice(start, start + req.limit);
  const end = start + agents.length;
  const last = agents[agents.length - 1];
  const more = end < all.length && last !== undefined;
  return {
    agents, total: all.length,
    ...(more ? { nextCursor: encodeCursor(digest, keyset ? { after: last.name.toLowerCase() } : { offset: end }) } : {}),
  };
}

/** The configured zones' snapshot as pages: today's directory, paginated and filtered in memory. */
export class SnapshotCatalog implements AgentCatalog {
  constructor(private readonly directory: AgentDirectory) {}

  async list(req: PageRequest, signal?: AbortSignal): Promise<AgentPage> {
    const snap = await this.directory.list(signal);
    // The indexes' order, as before pagination (zones in order, entries in record order).
    const all = snap.agents.filter((e) => passes(e, req));
    return page(all, req, requestDigest(['list', ...filterKey(req)]), false);
  }

  async search(req: SearchRequest, signal?: AbortSignal): Promise<AgentPage> {
    const snap = await this.directory.list(signal);
    // Index order, as before pagination: the snapshot is the order the indexes list.
    const all = snap.agents.filter((e) => passes(e, req) && matches(discoveryInfo(e), req.query, req.fields));
    return page(all, req, requestDigest(['search', req.query, [...req.fields].sort(), ...filterKey(req)]), false);
  }

  find(nameOrTool: string, signal?: AbortSignal): Promise<DirectoryEntry | undefined> {
    return this.directory.find(nameOrTool, signal);
  }

  async info(signal?: AbortSignal): Promise<{ agents: number; zones: number; problems: ZoneProblem[] }> {
    const snap = await this.directory.list(signal);
    return { agents: snap.agents.length, zones: snap.zones.length, problems: snap.problems };
  }
}
