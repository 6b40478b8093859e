// The gateway's list tools over the on-disk directory: list_agents in name order (keyset cursors),
// search_agents by relevance (impact-ordered postings, top-k.ts), then verification (offset cursors), with the exact
// filters; each entry with what was checked, where it was read and when.

import type { AgentCard } from '../agent/index.js';
import {
  decodeCursor, encodeCursor, requestDigest, toolNameFor,
  type AgentCatalog, type AgentFilters, type AgentPage, type DirectoryEntry, type PageRequest, type SearchRequest, type ZoneProblem,
} from '../mcp/gateway/index.js';
import { ftsMatch } from './fts-query.js';
import { inProcessReads, type DirectoryReads } from './reader-pool.js';
import { DirectoryStore, type StoreFilters, type StoredAgent } from './store.js';
import { MAX_EXPANSIONS } from './store-reader.js';
import { CursorError } from '../mcp/gateway/cursor.js';

const filtersOf = (f: AgentFilters): StoreFilters => ({
  ...(f.organization !== undefined ? { org: f.organization } : {}),
  ...(f.capability !== undefined ? { capability: f.capability } : {}),
  ...(f.transport !== undefined ? { transport: f.transport } : {}),
  ...(f.verifiedOnly === true ? { verifiedOnly: true } : {}),
});
const filterKey = (f: AgentFilters): unknown[] => [f.organization?.toLowerCase() ?? null, f.capability?.toLowerCase() ?? null, f.transport ?? null, f.verifiedOnly === true];

/** A stored agent as the gateway's entry: its card as the DNS gave it, plus the directory's notes. */
export function entryOf(a: StoredAgent): DirectoryEntry {
  return {
    name: a.name, zone: a.org, toolName: toolNameFor(a.name),
    card: a.card as unknown as AgentCard,
    verification: { dnssec: a.dnssec, capSha256: a.capCheck, verified: a.verified },
    source: a.source, confirmedAt: a.confirmedAt, tools: a.tools.map((t) => t.name),
  };
}

/** A list request's cursor digest, and the name it continues after. */
function listAt(req: PageRequest): { digest: string; after: string | undefined } {
  const digest = requestDigest(['dir-list', ...filterKey(req)]);
  if (req.cursor === undefined) return { digest, after: undefined };
  const at = decodeCursor(req.cursor, digest);
  if (!('after' in at)) throw new CursorError('the cursor is not one this gateway gave (pass nextCursor back unchanged)');
  return { digest, after: at.after };
}

export class StoreCatalog implements AgentCatalog {
  private readonly store: DirectoryReads;

  /** Over the store's own connection (on this thread), or over reader threads (DirectoryReaders). */
  constructor(source: DirectoryStore | DirectoryReads) {
    this.store = source instanceof DirectoryStore ? inProcessReads(source) : source;
  }

  async list(req: PageRequest): Promise<AgentPage> {
    const { digest, after } = listAt(req);
    const f = filtersOf(req);
    // One more than asked: whether there is a next page, without counting.
    const { rows, total } = await this.store.list(f, after, req.limit + 1);
    const agents = rows.slice(0, req.limit).map(entryOf);
    const last = agents[agents.length - 1];
    return { agents, total, ...(rows.length > req.limit && last ? { nextCursor: encodeCursor(digest, { after: last.name }) } : {}) };
  }

  async listNames(req: PageRequest): Promise<{ names: string[]; total: number; nextCursor?: string }> {
    const { digest, after } = listAt(req);
    const f = filtersOf(req);
    const { rows, total } = await this.store.listNames(f, after, req.limit + 1);
    const names = rows.slice(0, req.limit);
    const last = names[names.length - 1];
    return { names, total, ...(rows.length > req.limit && last !== undefined ? { nextCursor: encodeCursor(digest, { after: last }) } : {}) };
  }

  async search(req: SearchRequest): Promise<AgentPage> {
    // Throws SearchQueryError (a query of no words): the tool's error result says so.
    const match = ftsMatch(req.query, req.fields);
    const digest = requestDigest(['dir-search', match, ...filterKey(req)]);
    let offset = 0;
    if (req.cursor !== undefined) {
      const at = decodeCursor(req.cursor, digest);
      if (!('offset' in at)) throw new CursorError('the cursor is not one this gateway gave (pass nextCursor back unchanged)');
      offset = at.offset;
    }
    const f = filtersOf(req);
    const { rows, total, atLeast, capped, partial } = await this.store.search(match, f, offset, req.limit + 1);
    const notes = [
      ...(capped ?? []).map((w) => `${JSON.stringify(w)} is the prefix of more than ${MAX_EXPANSIONS} words: its ${MAX_EXPANSIONS} most frequent were searched; type more of it to narrow`),
      ...(partial === true ? ['ranked among the agents read within the search\'s budget, not every match: add a filter or a word to narrow'] : []),
    ];
    const agents = rows.slice(0, req.limit).map(entryOf);
    return {
      agents, total, ...(atLeast === true ? { totalAtLeast: true as const } : {}),
      ...(notes.length > 0 ? { notes } : {}),
      ...(rows.length > req.limit ? { nextCursor: encodeCursor(digest, { offset: offset + req.limit }) } : {}),
    };
  }

  async find(nameOrTool: string): Promise<DirectoryEntry | undefined> {
    const key = nameOrTool.toLowerCase().replace(/\.$/, '');
    const a = (await this.store.get(key)) ?? (key.includes('.') ? undefined : await this.store.get(key.replace(/_/g, '.')));
    return a === undefined ? undefined : entryOf(a);
  }

  async info(): Promise<{ agents: number; zones: number; problems: ZoneProblem[]; db: string }> {
    const [s, problems] = await Promise.all([this.store.stats(), this.store.problems(100)]);
    return { agents: s.agents, zones: s.zones, problems: problems.map((p) => ({ zone: p.zone, code: p.code, message: p.message })), db: this.store.file };
  }
}
