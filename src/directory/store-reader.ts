// The directory's read queries over one SQLite connection: list (keyset), search (bm25, top-k of a
// bounded candidate set), counts, one agent, stats. One copy of the SQL for both readers: the
// writer's own connection (DirectoryStore, in process) and the worker threads' read-only ones
// (reader-worker.ts), so the two answer alike by construction.

import { LRUCache } from 'lru-cache';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { FTS_WEIGHTS } from './fts-query.js';
import { isVerified, type DirectoryRecord } from './record.js';

export interface StoreFilters {
  org?: string;
  capability?: string;
  transport?: string;
  verifiedOnly?: boolean;
}

export interface StoredProblem {
  zone: string;
  code: string;
  message: string;
  at: number;
}

export interface StoredAgent extends DirectoryRecord {
  verified: boolean;
}

interface Row {
  name: string; org: string; description: string; capabilities: string; tools: string; transports: string; endpoints: string;
  card: string; dnssec: string; cap_check: string; source_server: string | null; source_zone: string; serial: number | null; confirmed: number;
}

function fromRow(r: Row): StoredAgent {
  const rec: DirectoryRecord = {
    name: r.name, org: r.org, description: r.description,
    capabilities: JSON.parse(r.capabilities) as string[], tools: JSON.parse(r.tools) as DirectoryRecord['tools'],
    transports: JSON.parse(r.transports) as string[], endpoints: JSON.parse(r.endpoints) as DirectoryRecord['endpoints'],
    card: JSON.parse(r.card) as Record<string, unknown>,
    dnssec: r.dnssec as DirectoryRecord['dnssec'], capCheck: r.cap_check as DirectoryRecord['capCheck'],
    source: { ...(r.source_server !== null ? { server: r.source_server } : {}), zone: r.source_zone, ...(r.serial !== null ? { serial: r.serial } : {}) },
    confirmedAt: r.confirmed,
  };
  return { ...rec, verified: isVerified(rec) };
}

/**
 * Agent ids carry their verification: band 0 (verified), 1, 2 (neither) times ID_BAND, plus a
 * sequence. FTS5 orders ties in bm25 by rowid at no cost (reading any stored value per match costs
 * 3x the bm25), so `ORDER BY score, rowid` ranks by relevance, then verification, then age.
 */
export const ID_BAND = 2 ** 40;

export const DEFAULT_CANDIDATE_CAP = 10_000;

/** The meta row counting the writes to agents' rows: what the readers' caches are keyed on. */
export const AGENTS_VERSION = 'agents_version';

// An agent is confirmed when its row was written or its zone's serial was last found unchanged (DirectoryStore.confirm).
const COLS = 'a.name, a.org, a.description, a.capabilities, a.tools, a.transports, a.endpoints, a.card, a.dnssec, a.cap_check, a.source_server, a.source_zone, a.serial, '
  + 'max(a.confirmed, coalesce((SELECT z.confirmed FROM zones z WHERE z.zone = a.org), 0)) AS confirmed';

export class StoreReader {
  private readonly stmts = new Map<string, StatementSync>();
  private readonly counts = new Map<string, { version: number; n: number }>();
  /**
   * The ids of a search's page, until the data changes: a cold search over a million agents costs
   * a pass over every match (bm25's document frequencies), the same words asked again cost one
   * lookup. The rows are read fresh each time.
   */
  private readonly pages = new LRUCache<string, { version: number; ids: number[] }>({ max: 2000 });

  /** `cache: false`: every read goes to SQLite (a benchmark's floor). */
  constructor(private readonly db: DatabaseSync, readonly candidateCap: number, private readonly opts: { cache?: boolean } = {}) {}

  /** Moves whenever an agent's row does (DirectoryStore writes it in the same transaction); NaN, never cached, in a file without it. */
  private version(): number {
    if (this.opts.cache === false) return NaN;
    return Number((this.stmt('SELECT value FROM meta WHERE key = ?').get(AGENTS_VERSION) as { value: string } | undefined)?.value ?? NaN);
  }

  private stmt(sql: string): StatementSync {
    let s = this.stmts.get(sql);
    if (s === undefined) this.stmts.set(sql, (s = this.db.prepare(sql)));
    return s;
  }

  get(name: string): StoredAgent | undefined {
    const r = this.stmt(`SELECT ${COLS} FROM agents a WHERE a.name = ?`).get(name.toLowerCase().replace(/\.$/, '')) as Row | undefined;
    return r === undefined ? undefined : fromRow(r);
  }

  /** Agents in name order after `after`, passing the filters. */
  list(f: StoreFilters, after: string | undefined, limit: number): StoredAgent[] {
    const { where, params } = filterSql(f);
    const cond = [...(after !== undefined ? ['a.name > ?'] : []), ...where];
    const sql = `SELECT ${COLS} FROM agents a ${cond.length > 0 ? `WHERE ${cond.join(' AND ')}` : ''} ORDER BY a.name LIMIT ?`;
    return (this.stmt(sql).all(...(after !== undefined ? [after] : []), ...params, limit) as unknown as Row[]).map(fromRow);
  }

  /** list() with the names alone: read from the indexes, no row (list_agents' answer). */
  listNames(f: StoreFilters, after: string | undefined, limit: number): string[] {
    const { where, params } = filterSql(f);
    const cond = [...(after !== undefined ? ['a.name > ?'] : []), ...where];
    const sql = `SELECT a.name FROM agents a ${cond.length > 0 ? `WHERE ${cond.join(' AND ')}` : ''} ORDER BY a.name LIMIT ?`;
    return (this.stmt(sql).all(...(after !== undefined ? [after] : []), ...params, limit) as Array<{ name: string }>).map((r) => r.name);
  }

  /** A page of list() with its total: one request to a reader thread, not two. */
  listPage(f: StoreFilters, after: string | undefined, limit: number): { rows: StoredAgent[]; total: number } {
    return { rows: this.list(f, after, limit), total: this.count(f) };
  }

  namesPage(f: StoreFilters, after: string | undefined, limit: number): { rows: string[]; total: number } {
    return { rows: this.listNames(f, after, limit), total: this.count(f) };
  }

  searchPage(match: string, f: StoreFilters, offset: number, limit: number): { rows: StoredAgent[]; total: number } {
    return { rows: this.search(match, f, offset, limit), total: this.count(f, match) };
  }

  /** How many agents pass the filters (and match, for a search), cached until the data changes. */
  count(f: StoreFilters, match?: string): number {
    const key = JSON.stringify([f.org, f.capability, f.transport, f.verifiedOnly === true, match]);
    const version = this.version();
    const hit = this.counts.get(key);
    if (hit !== undefined && hit.version === version) return hit.n;
    const { where, params } = match === undefined ? filterSql(f) : ftsFilterSql(f);
    const sql = match === undefined
      ? `SELECT count(*) AS n FROM agents a ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}`
      : `SELECT count(*) AS n FROM agents_fts f WHERE agents_fts MATCH ? ${where.map((w) => `AND ${w}`).join(' ')}`;
    const n = (this.stmt(sql).get(...(match !== undefined ? [match] : []), ...params) as { n: number }).n;
    if (this.counts.size > 1000) this.counts.clear();
    this.counts.set(key, { version, n });
    return n;
  }

  /** Agents matching an FTS5 expression (fts-query.ts), best first: bm25, then verification, then the order they came in. */
  search(match: string, f: StoreFilters, offset: number, limit: number): StoredAgent[] {
    // The page's ids from the FTS index alone (ties in bm25 by id: verification first, see ID_BAND), then those rows.
    const { where, params } = ftsFilterSql(f);
    const cond = where.map((w) => `AND ${w}`).join(' ');
    // bm25 costs about a microsecond per match: a query matching more than candidateCap agents
    // ranks the first candidateCap in id order (verified first, then oldest), so one broad query
    // ("a") cannot hold a reader for a second. The candidates are the first rows of the MATCH in
    // rowid order (FTS5's own order), ranked in a subquery: no second pass to find the edge.
    const sql = `SELECT id FROM (SELECT f.rowid AS id, bm25(agents_fts, ${FTS_WEIGHTS.join(', ')}) AS score FROM agents_fts f
      WHERE agents_fts MATCH ? ${cond} LIMIT ${Math.max(1, this.candidateCap)}) ORDER BY score, id LIMIT ? OFFSET ?`;
    const key = JSON.stringify([match, f.org, f.capability, f.transport, f.verifiedOnly === true, offset, limit]);
    const version = this.version();
    const hit = this.pages.get(key);
    let ids = hit?.version === version ? hit.ids : undefined;
    if (ids === undefined) {
      ids = (this.stmt(sql).all(match, ...params, limit, offset) as Array<{ id: number }>).map((r) => r.id);
      this.pages.set(key, { version, ids });
    }
    if (ids.length === 0) return [];
    const byId = new Map<number, StoredAgent>();
    for (const r of this.stmt(`SELECT a.id, ${COLS} FROM agents a WHERE a.id IN (SELECT value FROM json_each(?))`).all(JSON.stringify(ids)) as unknown as Array<Row & { id: number }>) byId.set(r.id, fromRow(r));
    return ids.map((id) => byId.get(id)).filter((a): a is StoredAgent => a !== undefined);
  }

  problems(limit = 1000): StoredProblem[] {
    return this.stmt('SELECT zone, code, message, at FROM problems ORDER BY zone, rowid LIMIT ?').all(limit) as unknown as StoredProblem[];
  }

  /** Agents, zones and problems held (the agents' count cached as count() is). */
  stats(): { agents: number; zones: number; problems: number } {
    const n = (sql: string): number => (this.stmt(sql).get() as { n: number }).n;
    return { agents: this.count({}), zones: n('SELECT count(*) AS n FROM zones'), problems: n('SELECT count(*) AS n FROM problems') };
  }
}

/** The filters over the FTS table's rowid: each a set of ids built once per query, not a join per match. */
function ftsFilterSql(f: StoreFilters): { where: string[]; params: Array<string | number> } {
  const where: string[] = [];
  const params: Array<string | number> = [];
  // `+`: not a constraint handed to FTS5 (which would run the MATCH once per id, 100x slower), a set tested per match.
  if (f.org !== undefined) { where.push('+f.rowid IN (SELECT id FROM agents WHERE org = ?)'); params.push(f.org.toLowerCase().replace(/\.$/, '')); }
  if (f.capability !== undefined) { where.push('+f.rowid IN (SELECT agent FROM agent_caps WHERE cap = ?)'); params.push(f.capability.toLowerCase()); }
  if (f.transport !== undefined) { where.push('+f.rowid IN (SELECT agent FROM agent_transports WHERE transport = ?)'); params.push(f.transport); }
  if (f.verifiedOnly === true) where.push(`+f.rowid < ${ID_BAND}`);
  return { where, params };
}

function filterSql(f: StoreFilters): { where: string[]; params: Array<string | number> } {
  const where: string[] = [];
  const params: Array<string | number> = [];
  if (f.org !== undefined) { where.push('a.org = ?'); params.push(f.org.toLowerCase().replace(/\.$/, '')); }
  if (f.capability !== undefined) { where.push('a.id IN (SELECT agent FROM agent_caps WHERE cap = ?)'); params.push(f.capability.toLowerCase()); }
  if (f.transport !== undefined) { where.push('a.id IN (SELECT agent FROM agent_transports WHERE transport = ?)'); params.push(f.transport); }
  if (f.verifiedOnly === true) where.push('a.vrank = 2');
  return { where, params };
}
